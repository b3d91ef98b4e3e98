"""Rigid frames for SMPL(-X) bodies: homogeneous transforms and a root pose moved between frames. numpy only.

SMPL and SMPL-X rotate the root about the pelvis joint ``J0`` (smplx ``lbs.py``: joints are posed as
``R (J - J0) + J0``, then ``transl`` is added). So the same body seen from two frames related by ``x' = Q x + q``
has ``R' = Q R`` and ``t' = Q (J0 + t) + q - J0`` (:func:`reframe_root`). ``J0`` is the rest pelvis of the body's
shape (and, for SMPL-X, its expression: smplx regresses the joints from the shaped *and* expressed rest mesh).

Used by the world-grounded readers (``core.io.world``), the world frame of a fused take (``core.world``) and the
Blender world import; it lives here, below both.
"""
from __future__ import annotations

import copy

import numpy as np

from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .model import BodyModel

__all__ = ["rigid", "invert_rigid", "reframe_root", "pelvis_joint", "reframe_take"]


def rigid(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations and (T, 3) translations -> (T, 4, 4) homogeneous transforms."""
    rotation = np.asarray(rotation, dtype=np.float64)
    translation = np.asarray(translation, dtype=np.float64)
    out = np.zeros(rotation.shape[:-2] + (4, 4))
    out[..., :3, :3] = rotation
    out[..., :3, 3] = translation
    out[..., 3, 3] = 1.0
    return out


def invert_rigid(transform: np.ndarray) -> np.ndarray:
    """(..., 4, 4) rigid transform -> its inverse (R^T, -R^T p), exact for rotations."""
    rot_t = np.swapaxes(transform[..., :3, :3], -1, -2)
    return rigid(rot_t, -np.einsum("...ij,...j->...i", rot_t, transform[..., :3, 3]))


def reframe_root(root_rotmat: np.ndarray, transl: np.ndarray, pelvis_rest: np.ndarray,
                 new_from_old: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An SMPL(-X) root pose re-expressed in another frame.

    Args:
        root_rotmat: (T, 3, 3) root rotation in the old frame.
        transl: (T, 3) the model's ``transl`` in the old frame.
        pelvis_rest: (T, 3) or (3,) the rest pelvis joint J0 for the body's shape (what the root turns about).
        new_from_old: (T, 4, 4) or (4, 4) rigid transform, old-frame points to new-frame points.
    Returns:
        ``(root_rotmat_new (T, 3, 3), transl_new (T, 3))`` with ``R' = Q R`` and ``t' = Q (J0 + t) + q - J0``.
    """
    q_rot = new_from_old[..., :3, :3]
    q_t = new_from_old[..., :3, 3]
    rot_new = q_rot @ root_rotmat
    transl_new = np.einsum("...ij,...j->...i", q_rot, pelvis_rest + transl) + q_t - pelvis_rest
    return rot_new, transl_new


def pelvis_joint(seq: FusedSequence, model: BodyModel) -> np.ndarray:
    """(T, 3) the rest pelvis J0 a fused take's root turns about: the model's regressed joint 0 for the take's betas
    plus the expression's shift of it per frame (smplx regresses the joints from the shaped and expressed mesh)."""
    j0 = model.rest_joints(np.asarray(seq.betas, dtype=np.float64))[0]
    out = np.broadcast_to(j0, (seq.num_frames, 3)).copy()
    if seq.expression.shape[1] and model.num_expression:
        out += model.expression_joint_offsets(seq.expression)[:, 0]
    return out


def reframe_take(seq: FusedSequence, new_from_old: np.ndarray, model: BodyModel) -> FusedSequence:
    """A copy of ``seq`` whose root pose is in another frame (``new_from_old`` (T, 4, 4) or (4, 4), rigid): every
    posed vertex ``v`` becomes ``Q v + q``. Only ``global_orient`` and ``transl`` change (extras copied as a dict)."""
    out = copy.copy(seq)
    out.extras = dict(seq.extras)
    rot, transl = reframe_root(axis_angle_to_matrix(seq.global_orient), np.asarray(seq.transl, dtype=np.float64),
                               pelvis_joint(seq, model), np.asarray(new_from_old, dtype=np.float64))
    out.global_orient = matrix_to_axis_angle(rot)
    out.transl = transl
    return out
