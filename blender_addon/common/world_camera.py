"""A world-grounded take (schema 1.1) in Blender's world: the floor, the camera's path and the rig's frame. bpy-free.

Blender's world for a world import is :func:`core.world.level_from_world` ``L`` of the take's world: ``world_up`` on
+Z, the floor at z = 0, the first camera's horizontal heading on +Y (as in a plain import) above the origin.

* **Camera.** A camera-frame (OpenCV) point ``x`` is ``W_t x`` in the take's world (``world_from_camera``) and
  ``L W_t x`` in Blender's; a Blender camera object looks down its local -Z with +Y up, so OpenCV is
  ``D = diag(1, -1, -1)`` of its local frame (``core.camera.blender_camera.OPENCV_TO_BLENDER_CAMERA``), and the
  camera object's world matrix at frame t is ``L W_t D`` (:func:`camera_matrices`).
* **Rig.** The rig's root channels (:mod:`.pose_channels`) map the take's frame to Blender's world by
  ``C = axes.CAMERA_TO_BLENDER``. Giving them the take re-expressed by ``C^T L W_t`` per frame
  (:func:`rig_take`, the root turned about the pelvis J0: ``R' = M R_c``, ``t' = M (J0 + t_c) + m - J0``) puts the
  avatar at ``L W_t`` of its camera-frame self, so the armature object stays at the identity and its F-curves,
  and the FBX / BVH exports made from them, carry the world motion.

The camera sees the avatar exactly as in a plain import (both moved by ``L W_t``): the render over the plate is
unchanged. The floor's height in the take's world is the file's ``world_ground_plane`` (from ``ground``), else the
estimator's own floor where it has one (PromptHMR: y = 0), else found from the feet with the known up axis
(``core.grounding.estimate_ground`` on the world copy, mode ``auto``, else ``always``: the feet's usual lowest
level).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.body.model import BodyModel
from ..core.body.rigid_frames import invert_rigid
from ..core.camera.blender_camera import OPENCV_TO_BLENDER_CAMERA
from ..core.contracts.fused_file import FusedSequence
from ..core.grounding import estimate_ground
from ..core.world import (
    has_world,
    level_from_world,
    reframe_take,
    take_in_world,
    world_floor_plane,
    world_from_camera_of,
    world_up_of,
)
from .ground_alignment import CAMERA_TO_BLENDER_4

__all__ = ["WORLD_PROPERTY", "ESTIMATOR_FLOOR_AT_ZERO", "WorldPlacement", "floor_height", "world_placement",
           "camera_matrices", "rig_from_camera", "rig_take", "camera_from_rig_of"]

#: Custom property (JSON) on the armature and camera of a world import: ``blender_from_world`` (4, 4), ``world_up``,
#: the floor's height and source. Absent after a plain import.
WORLD_PROPERTY = "smplx_fusion_world"


@dataclass(frozen=True)
class WorldPlacement:
    """Where a world take goes in Blender.

    Attributes:
        blender_from_world: (4, 4) ``L``, the take's world -> Blender's world.
        world_from_camera: (T, 4, 4) the take's camera trajectory.
        world_up: (3,) its up axis.
        floor_height: the floor's height along ``world_up`` in the take's world (metres).
        floor_source: ``file`` (``world_ground_plane``), ``estimator`` (PromptHMR's y = 0), ``fitted`` or
            ``lowest`` (from the feet, known up axis), or ``shared`` (another avatar's on the same camera).
    """

    blender_from_world: np.ndarray
    world_from_camera: np.ndarray
    world_up: np.ndarray
    floor_height: float
    floor_source: str


#: Estimators whose world puts the floor at height 0 along its up axis (PromptHMR's ``world.py`` levels its world on
#: the estimated floor, y = 0), by the body format the fused file's provenance names.
ESTIMATOR_FLOOR_AT_ZERO = ("prompthmr",)


def _body_format(seq: FusedSequence) -> str:
    try:
        provenance = json.loads(seq.provenance)
        return str(provenance["inputs"]["body"]["format"])
    except (ValueError, KeyError, TypeError):
        return ""


def floor_height(seq: FusedSequence, model: BodyModel) -> tuple[float, str]:
    """The floor's height along ``world_up`` in the take's world, and where it came from: the file's
    ``world_ground_plane`` (``file``), else the estimator's own floor (``estimator``: PromptHMR's y = 0), else found
    from the feet with the known up axis (``fitted`` or ``lowest``)."""
    up = world_up_of(seq)
    plane = world_floor_plane(seq)
    if plane is not None:  # n . x + d = 0; its height along up where n is up
        return float(-plane.offset / float(plane.normal @ up)), "file"
    if _body_format(seq) in ESTIMATOR_FLOOR_AT_ZERO:
        return 0.0, "estimator"
    world = take_in_world(seq, model)
    estimate = estimate_ground(world, model, "auto", known_up=up)
    if estimate.plane is None:
        estimate = estimate_ground(world, model, "always", known_up=up)
    plane = estimate.plane
    return float(-plane.offset / float(plane.normal @ up)), estimate.plane_source


def world_placement(seq: FusedSequence, model: BodyModel,
                    blender_from_world: Optional[np.ndarray] = None) -> WorldPlacement:
    """The take's :class:`WorldPlacement` (its floor found when the file does not give it). ``blender_from_world``
    (4, 4): an ``L`` already in use (another person of the same clip and camera): kept, so all share one world."""
    world_from_camera = world_from_camera_of(seq)
    up = world_up_of(seq)
    if blender_from_world is not None:
        level = np.asarray(blender_from_world, dtype=np.float64).reshape(4, 4)
        return WorldPlacement(level, world_from_camera, up, float(-level[2, 3]), "shared")
    height, source = floor_height(seq, model)
    return WorldPlacement(level_from_world(world_from_camera, up, height), world_from_camera, up, height, source)


def camera_matrices(placement: WorldPlacement) -> np.ndarray:
    """(T, 4, 4) the Blender camera object's world matrix per frame, ``L W_t D``."""
    d4 = np.eye(4)
    d4[:3, :3] = OPENCV_TO_BLENDER_CAMERA
    return placement.blender_from_world[None] @ placement.world_from_camera @ d4


def rig_from_camera(placement: WorldPlacement) -> np.ndarray:
    """(T, 4, 4) ``C^T L W_t``: the take's camera frame -> the frame the rig's channels expect."""
    return CAMERA_TO_BLENDER_4.T[None] @ placement.blender_from_world[None] @ placement.world_from_camera


def rig_take(seq: FusedSequence, model: BodyModel, placement: WorldPlacement) -> FusedSequence:
    """The take the rig is built from: ``seq`` re-expressed by :func:`rig_from_camera` (root about the pelvis)."""
    return reframe_take(seq, rig_from_camera(placement), model)


def camera_from_rig_of(world_property: Optional[str], seq: FusedSequence) -> Optional[np.ndarray]:
    """(T, 4, 4) the rig's frame -> the take's camera frame for a world import (``world_property``: the armature's
    :data:`WORLD_PROPERTY`; ``seq``: its source take, for ``world_from_camera``); None for a plain import. The read-back
    (``common.readback``) maps what the rig holds to the camera frame with it, and back."""
    if not world_property or not has_world(seq):
        return None
    level = np.asarray(json.loads(str(world_property))["blender_from_world"], dtype=np.float64).reshape(4, 4)
    rig = CAMERA_TO_BLENDER_4.T[None] @ level[None] @ world_from_camera_of(seq)
    return invert_rigid(rig)
