"""Per-frame pose-bone channels (quaternions and locations) that make the Blender rig equal smplx's LBS. bpy-free.

Derivation (model frame, 4x4 rigid transforms, A = MODEL_TO_BLENDER, C = CAMERA_TO_BLENDER, B_j the rotation of
``bone.matrix_local``, J_j the rest joints from the betas, Delta_j the joint shift caused by the expression):

* smplx: G'_j = G'_parent . T(J'_j - J'_parent) . R_j with J' = J + Delta; a vertex moves by G'_j . T(-J'_j).
* Blender: pose_j = pose_parent . (rest_parent^-1 . rest_j) . T(t_j) . Q_j, rest_j = T(A J_j) . B_j, and the
  armature deforms a rest vertex by pose_j . rest_j^-1.
* Requiring pose_j . rest_j^-1 = C . G'_j . T(-J'_j) . A^T gives, for every non-root joint independently,
  Q_j = B_j^T A R_j A^T B_j and t_j = B_j^T A (I - R_j) Delta_j, and for the root
  Q_0 = B_0^T C R_0 A^T B_0 and t_0 = B_0^T (C (transl + J_0 + (I - R_0) Delta_0) - A J_0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.body.model import BodyModel
from ..core.contracts.fused_file import FusedSequence
from ..core.rotations import (
    axis_angle_to_matrix,
    axis_angle_to_quaternion_wxyz,
    make_quaternions_continuous,
    matrix_to_quaternion_wxyz,
    quaternion_multiply,
)
from .axes import CAMERA_TO_BLENDER, MODEL_TO_BLENDER

__all__ = ["PoseChannels", "compute_pose_channels"]


@dataclass(frozen=True)
class PoseChannels:
    """Bone-local animation channels.

    Attributes:
        quaternion_wxyz: (T, 55, 4) pose-bone rotations, sign-continuous over frames.
        location: (T, 55, 3) pose-bone translations in each bone's rest frame.
        animated_location: (55,) bool, the bones whose location is not identically zero (root, and joints that
            the expression moves).
    """

    quaternion_wxyz: np.ndarray
    location: np.ndarray
    animated_location: np.ndarray


def compute_pose_channels(seq: FusedSequence, model: BodyModel, rest_joints_model: np.ndarray,
                          bone_rest_rotation: np.ndarray) -> PoseChannels:
    """Pose-bone channels for every frame of ``seq``.

    Args:
        seq: the fused sequence (T frames, hands flat-relative).
        model: the body model (only the joint regressor and expression directions are used).
        rest_joints_model: (55, 3) rest joints from the betas alone, model frame.
        bone_rest_rotation: (55, 3, 3) rotation part of each ``bone.matrix_local`` (armature space).
    """
    full_pose = seq.full_pose()  # (T, 55, 3) axis-angle, model frame
    a, c, b = MODEL_TO_BLENDER, CAMERA_TO_BLENDER, np.asarray(bone_rest_rotation, dtype=np.float64)
    b_t = np.swapaxes(b, -1, -2)
    # Q_j = (B_j^T A) R_j (A^T B_j); for the root the leading A becomes C. Composed as quaternions.
    left = b_t @ a  # (55, 3, 3) B_j^T A
    left[0] = b_t[0] @ c
    right = a.T @ b  # (55, 3, 3) A^T B_j
    basis_quat = quaternion_multiply(
        quaternion_multiply(matrix_to_quaternion_wxyz(left)[None], axis_angle_to_quaternion_wxyz(full_pose)),
        matrix_to_quaternion_wxyz(right)[None])

    t_frames = seq.num_frames
    location = np.zeros((t_frames, 55, 3))
    moved_root = np.zeros((t_frames, 3))
    if seq.expression.shape[1]:
        delta = model.expression_joint_offsets(seq.expression)  # (T, 55, 3)
        shifted = np.flatnonzero(np.abs(delta).max(axis=(0, 2)) > 0.0)
        rot_shifted = axis_angle_to_matrix(full_pose[:, shifted])
        moved = delta[:, shifted] - (rot_shifted @ delta[:, shifted, :, None])[..., 0]  # (I - R_j) Delta_j
        location[:, shifted] = ((b_t @ a)[shifted][None] @ moved[..., None])[..., 0]  # B_j^T A (...)
        if shifted.size and shifted[0] == 0:
            moved_root = moved[:, 0]
    root_world = (seq.transl + rest_joints_model[0] + moved_root) @ c.T - a @ rest_joints_model[0]
    location[:, 0] = root_world @ b[0]  # B_0^T x, row-vector form
    animated = np.any(np.abs(location) > 1e-12, axis=0).any(axis=1)
    animated[0] = True
    return PoseChannels(quaternion_wxyz=make_quaternions_continuous(basis_quat),
                        location=location, animated_location=animated)
