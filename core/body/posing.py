"""The posed skeleton and linear-blend-skinned vertices of a fused take, in plain numpy (runs inside Blender).

smplx's LBS (``smplx/lbs.py``), batched over frames: rest joints are regressed from the shaped vertices, which
include the expression offsets, so they are per frame; ``G_j`` and ``p_j`` come from the kinematic chain
(:func:`core.body.chains.forward_kinematics`); a rest vertex ``x`` moves to
``sum_j W_vj (G_j (x + pose offsets) + p_j - G_j J_j) + transl``. The torch / smplx path for the full mesh is
:mod:`core.validate.mesh_eval`; this one serves vertex subsets (penetration queries, extra joints) and Blender.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..contracts.fused_file import FusedSequence
from .chains import forward_kinematics, full_pose_local_rotmats
from .model import BodyModel
from .skeleton import NUM_JOINTS, SMPLX_EXTRA_VERTEX_IDS

#: smplx's 21 extra joints after the 55 (``smplx/vertex_joint_selector.py`` order): face, then feet, then tips.
EXTRA_JOINT_ORDER = ("nose", "reye", "leye", "rear", "lear", "LBigToe", "LSmallToe", "LHeel", "RBigToe",
                     "RSmallToe", "RHeel", "lthumb", "lindex", "lmiddle", "lring", "lpinky", "rthumb", "rindex",
                     "rmiddle", "rring", "rpinky")


@dataclass
class PosedSkeleton:
    """Posed joints of T frames.

    Attributes:
        local_rot: (T, 55, 3, 3) local joint rotations.
        global_rot: (T, 55, 3, 3) joint rotations in the camera frame.
        rest_joints: (T, 55, 3) shaped rest joints per frame (betas and expression), model frame.
        joints: (T, 55, 3) posed joints in the camera frame, metres (``transl`` included), as smplx returns them.
        transl: (T, 3).
    """

    local_rot: np.ndarray
    global_rot: np.ndarray
    rest_joints: np.ndarray
    joints: np.ndarray
    transl: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])


def with_full_pose(seq: FusedSequence, full_pose: np.ndarray) -> FusedSequence:
    """A copy of ``seq`` with its pose replaced by (T, 55, 3) axis-angle (SMPL-X joint order)."""
    import copy

    pose = np.asarray(full_pose, dtype=np.float64)
    out = copy.deepcopy(seq)
    out.global_orient = pose[:, 0].copy()
    out.body_pose = pose[:, 1:22].copy()
    out.jaw_pose = pose[:, 22].copy()
    out.leye_pose = pose[:, 23].copy()
    out.reye_pose = pose[:, 24].copy()
    out.left_hand_pose = pose[:, 25:40].copy()
    out.right_hand_pose = pose[:, 40:55].copy()
    return out


def truncated_coefficients(seq: FusedSequence, model: BodyModel) -> tuple[np.ndarray, np.ndarray]:
    """``betas`` (B,) and ``expression`` (T, E) cut (or zero-padded) to what ``model`` has."""
    betas = np.zeros(model.num_betas)
    nb = min(model.num_betas, seq.betas.shape[0])
    betas[:nb] = seq.betas[:nb]
    expr = np.zeros((seq.num_frames, model.num_expression))
    ne = min(model.num_expression, seq.expression.shape[1])
    expr[:, :ne] = seq.expression[:, :ne]
    return betas, expr


def pose_skeleton(seq: FusedSequence, model: BodyModel, full_pose: Optional[np.ndarray] = None) -> PosedSkeleton:
    """Forward kinematics of every frame (loops over the 55 joints only).

    Args:
        seq: the take (betas, expression, transl; and the pose unless ``full_pose`` is given).
        model: the body model.
        full_pose: (T, 55, 3) axis-angle overriding ``seq.full_pose()``.
    """
    betas, expr = truncated_coefficients(seq, model)
    rest = model.rest_joints(betas)[None] + model.expression_joint_offsets(expr)  # (T, 55, 3)
    pose = seq.full_pose() if full_pose is None else np.asarray(full_pose, dtype=np.float64)
    local = full_pose_local_rotmats(pose)
    rots, pos = forward_kinematics(local, rest)
    transl = np.asarray(seq.transl, dtype=np.float64)
    return PosedSkeleton(local_rot=local, global_rot=rots, rest_joints=rest, joints=pos + transl[:, None],
                         transl=transl)


def skin_vertices(model: BodyModel, seq: FusedSequence, skeleton: PosedSkeleton,
                  vertex_ids: Optional[Sequence[int]] = None, pose_correctives: bool = True,
                  frames: Optional[np.ndarray] = None) -> np.ndarray:
    """Linear blend skinning of some vertices (all by default), camera frame.

    Args:
        model, seq: the body model and the take (betas, expression).
        skeleton: :func:`pose_skeleton` of the same take.
        vertex_ids: (N,) vertex indices; None for all V.
        pose_correctives: add the pose blendshapes (smplx does; so does Blender's rig when imported with pose
            correctives).
        frames: (T',) frame indices to evaluate; None for all.
    Returns:
        (T', N, 3) float64 vertices, metres.
    """
    idx = np.arange(model.num_vertices) if vertex_ids is None else np.asarray(vertex_ids, dtype=np.int64)
    fr = np.arange(skeleton.num_frames) if frames is None else np.asarray(frames, dtype=np.int64)
    betas, expr = truncated_coefficients(seq, model)
    n, t = len(idx), len(fr)
    base = model.v_template[idx].reshape(-1) + model.shape_dirs[idx].reshape(n * 3, -1) @ betas
    verts = np.broadcast_to(base.reshape(1, n * 3), (t, n * 3))
    if model.num_expression:
        verts = verts + expr[fr] @ model.expression_dirs[idx].reshape(n * 3, -1).T  # (T', 3N)
    local = skeleton.local_rot[fr]
    if pose_correctives:
        feature = (local[:, 1:] - np.eye(3)).reshape(t, -1)  # (T', 486)
        verts = verts + feature @ model.pose_dirs[idx].reshape(n * 3, -1).T
    verts = np.asarray(verts).reshape(t, n, 3).transpose(1, 0, 2)  # (N, T', 3)
    g = skeleton.global_rot[fr]  # (T', 55, 3, 3)
    offset = (skeleton.joints[fr] - skeleton.transl[fr, None]) - np.einsum("tjab,tjb->tja", g,
                                                                           skeleton.rest_joints[fr])
    affine = np.concatenate([g, offset[..., None]], axis=-1).reshape(t, NUM_JOINTS, 12)  # (T', 55, 12)
    weights = model.skinning_weights[idx]  # (N, 55)
    blended = (weights @ affine.transpose(1, 0, 2).reshape(NUM_JOINTS, t * 12)).reshape(n, t, 3, 4)
    out = blended[..., 3] + blended[..., 0] * verts[..., 0:1] + blended[..., 1] * verts[..., 1:2] \
        + blended[..., 2] * verts[..., 2:3]
    out = out.transpose(1, 0, 2)
    return out + skeleton.transl[fr, None]


def extra_joint_vertex_ids() -> np.ndarray:
    """(21,) vertex ids of smplx's extra joints in its output order (joints 55..75)."""
    return np.array([SMPLX_EXTRA_VERTEX_IDS[name] for name in EXTRA_JOINT_ORDER], dtype=np.int64)


def joints_76(model: BodyModel, seq: FusedSequence, skeleton: PosedSkeleton) -> np.ndarray:
    """(T, 76, 3) smplx's first 76 output joints (55 + the 21 vertex joints), camera frame, metres."""
    extra = skin_vertices(model, seq, skeleton, extra_joint_vertex_ids())
    return np.concatenate([skeleton.joints, extra], axis=1)




def model_landmarks(model: BodyModel) -> "tuple[np.ndarray, np.ndarray] | None":
    """smplx's 51 static face landmarks of ``model``'s file: ((51, 3) vertex ids, (51, 3) barycentric weights), or
    None when the file does not hold ``lmk_faces_idx`` / ``lmk_bary_coords``."""
    from pathlib import Path

    path = Path(model.path)
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as data:
                faces_idx, bary = np.asarray(data["lmk_faces_idx"]), np.asarray(data["lmk_bary_coords"])
        else:
            from ..fileio.safe_pickle import load_pickle

            data = load_pickle(path)
            faces_idx, bary = np.asarray(data["lmk_faces_idx"]), np.asarray(data["lmk_bary_coords"])
    except (KeyError, OSError, ValueError, TypeError):
        return None
    faces_idx = faces_idx.astype(np.int64).reshape(-1)
    if faces_idx.size == 0 or faces_idx.max() >= model.faces.shape[0]:
        return None
    return model.faces[faces_idx], bary.astype(np.float64).reshape(-1, 3)


def smplx_output_points(model: BodyModel, seq: FusedSequence, skeleton: PosedSkeleton, joint_index: np.ndarray,
                        pose_correctives: bool = True) -> "np.ndarray | None":
    """(T, J, 3) camera-frame positions of smplx's output joints ``joint_index`` (0-126), or None when landmarks
    are asked for and the model file holds none."""
    idx = np.asarray(joint_index, dtype=np.int64)
    out = np.empty((skeleton.num_frames, idx.size, 3))
    body = idx < NUM_JOINTS
    out[:, body] = skeleton.joints[:, idx[body]]
    extra = (idx >= NUM_JOINTS) & (idx < NUM_JOINTS + 21)
    if extra.any():
        ids = extra_joint_vertex_ids()[idx[extra] - NUM_JOINTS]
        out[:, extra] = skin_vertices(model, seq, skeleton, ids, pose_correctives)
    lmk = idx >= NUM_JOINTS + 21
    if lmk.any():
        found = model_landmarks(model)
        if found is None:
            return None
        tri, bary = found
        sel = idx[lmk] - NUM_JOINTS - 21
        verts = skin_vertices(model, seq, skeleton, tri[sel].reshape(-1), pose_correctives)
        out[:, lmk] = np.einsum("tlkc,lk->tlc", verts.reshape(skeleton.num_frames, -1, 3, 3), bary[sel])
    return out


__all__ = ["PosedSkeleton", "EXTRA_JOINT_ORDER", "with_full_pose", "truncated_coefficients", "pose_skeleton",
           "skin_vertices",
           "extra_joint_vertex_ids", "joints_76", "model_landmarks", "smplx_output_points"]
