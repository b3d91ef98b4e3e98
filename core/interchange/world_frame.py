"""The world of the interchange files and the rigid moves of SMPL-X parameters between it and the camera frame.

The fused file keeps the body in the footage camera's frame (OpenCV: x right, y down, z forward). Meshcapade's
``.smpl`` and ``.mcs`` keep it in a y-up world, metres (the SMPL-X model frame; ``avatar.smpl`` stands with its
pelvis about 1 m above y = 0). A camera pose is ``world_from_camera`` (4, 4): an OpenCV camera point x_c maps to
``R x_c + p`` in the world.

Moving a body rigidly by (R, p) changes its SMPL-X parameters as follows. smplx rotates the shaped body about the
pelvis rest joint J0 (which depends on the betas) and then adds ``transl``:
``v = R_g (v0 - J0) + J0 + t``. Hence ``R v + p = (R R_g)(v0 - J0) + J0 + t'`` with
``t' = R (J0 + t) + p - J0``; the local joint rotations do not change. J0 comes from the body model
(:func:`pelvis_rest_joint`); a round trip with the same J0 is exact whatever its value.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from scipy.spatial.transform import Rotation

from ..body.model import BodyModel
from ..body.rigid_frames import invert_rigid, reframe_root, rigid

#: OpenCV camera axes -> OpenGL / glTF camera axes (y up, looking down -z): a half turn about x.
CV_TO_GL = np.diag([1.0, -1.0, -1.0])
#: The up axis of the interchange world.
WORLD_UP_Y = np.array([0.0, 1.0, 0.0])


def rigid_move_params(global_orient: np.ndarray, transl: np.ndarray, rotation: np.ndarray, translation: np.ndarray,
                      pelvis_rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply the rigid move x -> R x + p, per frame, to SMPL-X root parameters (axis-angle in and out around
    :func:`core.body.rigid_frames.reframe_root`).

    Args:
        global_orient: (T, 3) axis-angle.
        transl: (T, 3) metres.
        rotation: (T, 3, 3) or (3, 3) R.
        translation: (T, 3) or (3,) p.
        pelvis_rest: (3,) J0, the pelvis joint of the shaped rest body.
    Returns:
        ((T, 3) axis-angle of R R_g, (T, 3) t' = R (J0 + t) + p - J0).
    """
    t = global_orient.shape[0]
    rot = np.broadcast_to(np.asarray(rotation, dtype=np.float64), (t, 3, 3))
    shift = np.broadcast_to(np.asarray(translation, dtype=np.float64), (t, 3))
    j0 = np.asarray(pelvis_rest, dtype=np.float64).reshape(3)
    root_rotmat = Rotation.from_rotvec(np.asarray(global_orient, dtype=np.float64)).as_matrix()
    moved_rotmat, moved_transl = reframe_root(root_rotmat, np.asarray(transl, dtype=np.float64), j0,
                                              rigid(rot, shift))
    return Rotation.from_matrix(moved_rotmat).as_rotvec(), moved_transl


def up_to_y(world_up: Optional[np.ndarray]) -> np.ndarray:
    """(3, 3) the smallest rotation taking ``world_up`` to +y (identity when None or already +y)."""
    if world_up is None:
        return np.eye(3)
    up = np.asarray(world_up, dtype=np.float64).reshape(3)
    up = up / np.linalg.norm(up)
    if np.allclose(up, WORLD_UP_Y, atol=1e-12):
        return np.eye(3)
    if np.allclose(up, -WORLD_UP_Y, atol=1e-12):
        return np.diag([1.0, -1.0, -1.0])  # a half turn about x
    rot, _ = Rotation.align_vectors(WORLD_UP_Y[None], up[None])
    return rot.as_matrix()


def interchange_world_from_camera(num_frames: int, world_from_camera: Optional[np.ndarray],
                                  world_up: Optional[np.ndarray]) -> np.ndarray:
    """(T, 4, 4) the footage camera's pose in the y-up interchange world.

    With the fused file's ``world_from_camera`` (schema 1.1) that world, turned so that ``world_up`` is +y; without
    it, the camera sits at the origin, level, looking down -z (OpenCV -> OpenGL axes, :data:`CV_TO_GL`).
    """
    if world_from_camera is None:
        out = np.tile(np.eye(4), (num_frames, 1, 1))
        out[:, :3, :3] = CV_TO_GL
        return out
    turn = np.eye(4)
    turn[:3, :3] = up_to_y(world_up)
    return np.einsum("ij,tjk->tik", turn, np.asarray(world_from_camera, dtype=np.float64))


def pelvis_rest_joint(model: BodyModel, betas: np.ndarray) -> np.ndarray:
    """(3,) J0 of ``model`` shaped by ``betas`` (B,) (betas beyond the model's are ignored, missing ones are 0)."""
    b = np.zeros(model.num_betas)
    k = min(model.num_betas, int(betas.shape[0]))
    b[:k] = betas[:k]
    return np.asarray(model.rest_joints(b)[0], dtype=np.float64)


__all__ = ["CV_TO_GL", "WORLD_UP_Y", "rigid_move_params", "invert_rigid", "up_to_y",
           "interchange_world_from_camera", "pelvis_rest_joint"]
