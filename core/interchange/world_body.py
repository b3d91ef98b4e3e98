"""One body in the y-up interchange world (:mod:`.world_frame`), and its conversion to and from a fused take.

A fused take keeps the body in its camera's frame; the world body is the same body placed by the camera's pose
(``world_from_camera`` of schema 1.1 when the take has one, else the camera at the origin, level, looking down -z).
Only the root changes (:func:`.world_frame.rigid_move_params`): local joint rotations, hands (flat-relative in both),
shape and expression are copied.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..contracts.fused_file import FusedSequence, validate
from .fused_world import get_world, set_world
from .world_frame import WORLD_UP_Y, interchange_world_from_camera, invert_rigid, rigid_move_params


@dataclass
class WorldBody:
    """SMPL-X parameters of one person in the y-up interchange world, T frames.

    Attributes:
        fps: frames per second.
        gender: ``neutral``, ``male`` or ``female``.
        betas: (B,) shape.
        expression: (T, E) expression coefficients (FLAME-style in ``.smpl``; E may be 0).
        global_orient: (T, 3) axis-angle, world frame (y up).
        body_pose: (T, 21, 3) axis-angle, SMPL-X joints 1-21.
        jaw_pose, leye_pose, reye_pose: (T, 3) axis-angle.
        left_hand_pose, right_hand_pose: (T, 15, 3) axis-angle relative to the **flat** hand.
        transl: (T, 3) metres, world frame (smplx ``transl``: added after rotating about the pelvis rest joint).
        notes: the conventions applied on the way (recorded in a fused file's provenance).
    """

    fps: float
    gender: str
    betas: np.ndarray
    expression: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    jaw_pose: np.ndarray
    leye_pose: np.ndarray
    reye_pose: np.ndarray
    left_hand_pose: np.ndarray
    right_hand_pose: np.ndarray
    transl: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(self.global_orient.shape[0])

    def pelvis_world(self, pelvis_rest: np.ndarray) -> np.ndarray:
        """(T, 3) the pelvis joint in the world: J0 + transl (rotation about J0 leaves it in place)."""
        return self.transl + np.asarray(pelvis_rest, dtype=np.float64).reshape(1, 3)


def world_body_from_fused(seq: FusedSequence, pelvis_rest: np.ndarray) -> WorldBody:
    """The fused take's body in the interchange world. ``pelvis_rest`` (3,) is J0 of the take's model and betas."""
    validate(seq)
    world_from_camera, world_up = get_world(seq)
    pose = interchange_world_from_camera(seq.num_frames, world_from_camera, world_up)
    orient, transl = rigid_move_params(seq.global_orient, seq.transl, pose[:, :3, :3], pose[:, :3, 3], pelvis_rest)
    where = "the take's world_from_camera, turned so world_up is +y" if world_from_camera is not None else \
        "the camera at the origin, level, looking down -z (OpenCV -> OpenGL axes)"
    return WorldBody(
        fps=float(seq.fps), gender=seq.gender, betas=seq.betas.copy(), expression=seq.expression.copy(),
        global_orient=orient, body_pose=seq.body_pose.copy(), jaw_pose=seq.jaw_pose.copy(),
        leye_pose=seq.leye_pose.copy(), reye_pose=seq.reye_pose.copy(), left_hand_pose=seq.left_hand_pose.copy(),
        right_hand_pose=seq.right_hand_pose.copy(), transl=transl, notes=[f"world: {where}"])


def fused_from_world_body(body: WorldBody, pelvis_rest: np.ndarray, world_from_camera: np.ndarray,
                          camera_K: np.ndarray, image_size: np.ndarray, model_variant: str,
                          source: dict[str, Any], valid: Optional[np.ndarray] = None) -> FusedSequence:
    """A fused take (camera frame) of ``body`` filmed by a camera at ``world_from_camera`` (T, 4, 4).

    The take records the camera poses and the world's up axis (+y) as schema 1.1's ``world_from_camera`` and
    ``world_up``; its expression is (T, 10) zeros when the body has none. ``valid`` (T,) defaults to every frame.
    """
    t = body.num_frames
    camera_from_world = invert_rigid(np.asarray(world_from_camera, dtype=np.float64))
    orient, transl = rigid_move_params(body.global_orient, body.transl, camera_from_world[:, :3, :3],
                                       camera_from_world[:, :3, 3], pelvis_rest)
    expression = body.expression if body.expression.shape[1] > 0 else np.zeros((t, 10))
    provenance = dict(source)
    provenance["conventions"] = list(body.notes) + list(provenance.get("conventions", []))
    seq = FusedSequence(
        fps=float(body.fps), gender=body.gender, model_variant=model_variant, betas=body.betas.copy(),
        expression=expression.copy(), global_orient=orient, body_pose=body.body_pose.copy(),
        jaw_pose=body.jaw_pose.copy(), leye_pose=body.leye_pose.copy(), reye_pose=body.reye_pose.copy(),
        left_hand_pose=body.left_hand_pose.copy(), right_hand_pose=body.right_hand_pose.copy(), transl=transl,
        camera_K=np.asarray(camera_K, dtype=np.float64), image_size=np.asarray(image_size, dtype=np.float64),
        part_confidence=np.ones((t, 3)), valid=np.ones(t, dtype=bool) if valid is None else valid.astype(bool),
        provenance=json.dumps(provenance))
    set_world(seq, world_from_camera, WORLD_UP_Y)
    return validate(seq)


__all__ = ["WorldBody", "world_body_from_fused", "fused_from_world_body"]
