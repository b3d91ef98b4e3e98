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

from .axes import CAMERA_TO_BLENDER, MODEL_TO_BLENDER
from .core.body_model import BodyModel
from .core.fused_file import FusedSequence
from .core.rotations import axis_angle_to_matrix, matrix_to_quaternion_wxyz


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
    rot_model = axis_angle_to_matrix(seq.full_pose())  # (T, 55, 3, 3)
    a, c, b = MODEL_TO_BLENDER, CAMERA_TO_BLENDER, np.asarray(bone_rest_rotation, dtype=np.float64)
    b_t = np.swapaxes(b, -1, -2)
    # Q_j = B_j^T A R_j A^T B_j for every joint, then replace the root's leading A by C
    frame_rot = np.einsum("ab,tjbc,dc->tjad", a, rot_model, a)
    frame_rot[:, 0] = np.einsum("ab,tbc,dc->tad", c, rot_model[:, 0], a)
    basis_rot = b_t[None] @ frame_rot @ b[None]

    t_frames = seq.num_frames
    delta = model.expression_joint_offsets(seq.expression) if seq.expression.shape[1] else \
        np.zeros((t_frames, 55, 3))
    moved = delta - np.einsum("tjab,tjb->tja", rot_model, delta)  # (I - R_j) Delta_j, model frame
    location = np.einsum("jba,bc,tjc->tja", b, a, moved)  # B_j^T A (...)
    root_world = (seq.transl + rest_joints_model[0] + moved[:, 0]) @ c.T - a @ rest_joints_model[0]
    location[:, 0] = root_world @ b[0]  # B_0^T x, row-vector form
    animated = np.any(np.abs(location) > 1e-12, axis=0).any(axis=1)
    animated[0] = True
    return PoseChannels(quaternion_wxyz=matrix_to_quaternion_wxyz(basis_rot, continuous=True),
                        location=location, animated_location=animated)
