"""A fused take re-expressed in its gravity-aligned world and back, and a level display frame for that world.

A schema-1.1 take keeps its body in the camera frame (OpenCV) and carries the camera's pose in the estimator's
world per frame, ``world_from_camera`` (T, 4, 4): a camera-frame point ``x`` is ``R x + p`` in the world. The
world copy of the take (:func:`take_in_world`) moves the root pose (:func:`core.body.rigid_frames.reframe_take`)
about the pelvis SMPL-X turns the root about, ``J0(betas, expression)`` per frame (``pelvis_joint``), so the
world body's every vertex is exactly ``R v_cam + p``; :func:`take_in_camera` is its exact inverse. Only
``global_orient`` and ``transl`` change; the local pose, shape, expression, camera and extras are kept (the world
copy drops ``world_from_camera`` and the camera-frame ``ground_plane``, which do not apply to it).

:func:`level_from_world` (4, 4) maps the world onto a level, Z-up display frame such as Blender's: ``world_up`` on
+Z, the floor (height ``floor_height`` along up) at z = 0, the first camera's horizontal heading on +Y (as a plain
import's camera looks along +Y) and the first camera straight above the origin.

Plain numpy: runs inside Blender with the extension's bundled wheels.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..body.model import BodyModel
from ..body.rigid_frames import invert_rigid, pelvis_joint, reframe_take
from ..contracts.fused_file import WORLD_FROM_CAMERA_KEY, WORLD_UP_KEY, FusedSequence
from ..errors import FusionError

__all__ = ["CAMERA_GROUND_PLANE_KEY", "WORLD_GROUND_PLANE_KEY", "has_world", "world_from_camera_of", "world_up_of",
           "pelvis_joint", "reframe_take", "take_in_world", "take_in_camera", "level_from_world"]

#: The camera-frame floor of schema 1 (``core.grounding``): meaningless for a moving camera, dropped in the world.
CAMERA_GROUND_PLANE_KEY = "ground_plane"
#: (4,) the floor ``n . x + d = 0`` in the take's *world* frame (n = ``world_up``), written by ``core.world.ground``.
WORLD_GROUND_PLANE_KEY = "world_ground_plane"


def has_world(seq: FusedSequence) -> bool:
    """True when ``seq`` carries schema 1.1's ``world_from_camera``."""
    return WORLD_FROM_CAMERA_KEY in seq.extras


def world_from_camera_of(seq: FusedSequence) -> np.ndarray:
    """(T, 4, 4) the take's ``world_from_camera``. Raises FusionError when the take has none."""
    if not has_world(seq):
        raise FusionError("the take has no world_from_camera (a schema 1.1 world-grounded take is needed)",
                          field=WORLD_FROM_CAMERA_KEY)
    world = np.asarray(seq.extras[WORLD_FROM_CAMERA_KEY], dtype=np.float64)
    if world.shape != (seq.num_frames, 4, 4):
        raise FusionError(f"expected shape ({seq.num_frames}, 4, 4), found {world.shape}", field=WORLD_FROM_CAMERA_KEY)
    return world


def world_up_of(seq: FusedSequence) -> np.ndarray:
    """(3,) the world's unit up axis (``world_up``; +y, the estimators' convention, when the file has none)."""
    up = np.asarray(seq.extras.get(WORLD_UP_KEY, (0.0, 1.0, 0.0)), dtype=np.float64).reshape(3)
    norm = float(np.linalg.norm(up))
    if not np.isfinite(up).all() or norm < 1e-9:
        raise FusionError("expected a finite, non-zero (3,) up axis", field=WORLD_UP_KEY)
    return up / norm


def take_in_world(seq: FusedSequence, model: BodyModel) -> FusedSequence:
    """The take in its world frame (a schema-1 take whose ``global_orient`` / ``transl`` are world-frame): the
    camera-frame extras ``world_from_camera`` and ``ground_plane`` are dropped, everything else is kept."""
    out = reframe_take(seq, world_from_camera_of(seq), model)
    out.extras.pop(WORLD_FROM_CAMERA_KEY, None)
    out.extras.pop(CAMERA_GROUND_PLANE_KEY, None)
    return out


def take_in_camera(world_seq: FusedSequence, world_from_camera: np.ndarray, model: BodyModel,
                   world_up: Optional[np.ndarray] = None) -> FusedSequence:
    """The inverse of :func:`take_in_world`: the world take seen from the camera again, with ``world_from_camera``
    (T, 4, 4) (and ``world_up`` when given) put back as extras."""
    world_from_camera = np.asarray(world_from_camera, dtype=np.float64)
    out = reframe_take(world_seq, invert_rigid(world_from_camera), model)
    out.extras[WORLD_FROM_CAMERA_KEY] = world_from_camera
    if world_up is not None:
        out.extras[WORLD_UP_KEY] = np.asarray(world_up, dtype=np.float64)
    return out


def _heading(world_from_camera: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(3,) the first camera's horizontal viewing direction (its +z, else its -y up to the tilt, else its x)."""
    rot = world_from_camera[0, :3, :3]
    for axis in (rot[:, 2], -rot[:, 1], np.cross(rot[:, 0], up)):
        level = axis - (axis @ up) * up
        norm = float(np.linalg.norm(level))
        if norm > 1e-6:
            return level / norm
    raise FusionError("the first camera's heading is undefined", field=WORLD_FROM_CAMERA_KEY)


def level_from_world(world_from_camera: np.ndarray, world_up: np.ndarray, floor_height: float = 0.0) -> np.ndarray:
    """(4, 4) rigid map of world points to a level Z-up display frame (Blender's world).

    Args:
        world_from_camera: (T, 4, 4) the camera trajectory (frame 0 sets the heading and the origin).
        world_up: (3,) the world's up axis.
        floor_height: the floor's height along ``world_up`` in the world (a floor ``up . x + d = 0`` has
            height ``-d``).
    Returns:
        ``L`` with ``L[:3, :3]`` rows (X, Y, Z): Y the first camera's horizontal heading, Z up, X = Y x Z; the
        floor at z = 0 and the first camera at (0, 0, its height above the floor).
    """
    world_from_camera = np.asarray(world_from_camera, dtype=np.float64).reshape(-1, 4, 4)
    up = np.asarray(world_up, dtype=np.float64).reshape(3)
    up = up / np.linalg.norm(up)
    forward = _heading(world_from_camera, up)
    rot = np.stack([np.cross(forward, up), forward, up])
    centre = world_from_camera[0, :3, 3]
    origin = centre - (centre @ up - float(floor_height)) * up
    out = np.eye(4)
    out[:3, :3] = rot
    out[:3, 3] = -rot @ origin
    return out
