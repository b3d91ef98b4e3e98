"""Kinematic chains of the SMPL-X skeleton: local <-> global joint rotations and joint positions, batched over frames.

Convention (smplx ``lbs.batch_rigid_transform``; PIXIE ``pose_rel2abs``; FrankMocap ``__transfer_rot``):
the global rotation of joint j is ``G_j = G_parent(j) @ R_j`` with ``G_root = R_0`` (``global_orient``), so along a
chain ``c_0 = 0, c_1, ..., c_k`` the global rotation is the ordered product ``R_c0 @ R_c1 @ ... @ R_ck``. A joint's
local rotation from its global one is therefore ``R_j = G_parent(j)^T @ G_j``: the product stops at the **parent**
(the elbow for a wrist, the neck for the head), not at the joint itself.

Joint positions: ``p_0 = J_0`` (the root turns about its own rest position) and
``p_j = p_parent + G_parent @ (J_j - J_parent)``; smplx adds ``transl`` afterwards.

Every loop here runs over joints (at most 55 iterations), never over frames.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from ..rotations import axis_angle_to_matrix
from .skeleton import NUM_JOINTS, PARENTS


def ancestors(joint: int, parents: np.ndarray = PARENTS) -> tuple[int, ...]:
    """The chain from the root down to the **parent** of ``joint`` (root first), e.g. 20 -> (0, 3, 6, 9, 13, 16, 18)."""
    chain = []
    cur = int(parents[joint])
    while cur >= 0:
        chain.append(cur)
        cur = int(parents[cur])
    return tuple(reversed(chain))


def chain_to(joint: int, parents: np.ndarray = PARENTS) -> tuple[int, ...]:
    """The chain from the root down to ``joint`` itself, e.g. 20 -> (0, 3, 6, 9, 13, 16, 18, 20)."""
    return ancestors(joint, parents) + (int(joint),)


def closure(joints: Iterable[int], parents: np.ndarray = PARENTS) -> np.ndarray:
    """Sorted joint indices of ``joints`` and all their ancestors (a topological order: parents precede children)."""
    needed: set[int] = set()
    for j in joints:
        needed.update(chain_to(int(j), parents))
    return np.array(sorted(needed), dtype=np.int64)


def chain_product(local_rotmats: np.ndarray, chain: Sequence[int]) -> np.ndarray:
    """Ordered product of local rotations along ``chain``: ``R_c0 @ R_c1 @ ... @ R_ck``.

    Args:
        local_rotmats: (T, 55, 3, 3) local joint rotations (or (T, J, 3, 3) indexed by ``chain``).
        chain: joint indices, root first (e.g. :func:`ancestors` of the wrist for the elbow's global rotation).
    Returns:
        (T, 3, 3) global rotation of the chain's last joint (identity for an empty chain).
    """
    t = local_rotmats.shape[0]
    if len(chain) == 0:
        return np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
    out = local_rotmats[:, chain[0]]
    for j in chain[1:]:
        out = out @ local_rotmats[:, j]
    return np.ascontiguousarray(out)


def parent_global_rotmat(local_rotmats: np.ndarray, joint: int, parents: np.ndarray = PARENTS) -> np.ndarray:
    """(T, 55, 3, 3) local rotations -> (T, 3, 3) global rotation of ``joint``'s parent (e.g. the elbow for a wrist)."""
    return chain_product(local_rotmats, ancestors(joint, parents))


def global_to_local(parent_global_rotmat: np.ndarray, global_rotmat: np.ndarray) -> np.ndarray:
    """``parent^T @ global``: (..., 3, 3) global rotation of a joint -> (..., 3, 3) its local rotation."""
    return np.swapaxes(parent_global_rotmat, -1, -2) @ global_rotmat


def local_to_global(parent_global_rotmat: np.ndarray, local_rotmat: np.ndarray) -> np.ndarray:
    """``parent @ local``: (..., 3, 3) local rotation of a joint -> (..., 3, 3) its global rotation."""
    return parent_global_rotmat @ local_rotmat


def full_pose_local_rotmats(full_pose_aa: np.ndarray, joints: Optional[Sequence[int]] = None) -> np.ndarray:
    """(T, 55, 3) axis-angle full pose -> (T, 55, 3, 3) local rotation matrices.

    With ``joints`` given, only those joints are converted (the rest hold the identity), which is what the wrist and
    head chains need.
    """
    aa = np.asarray(full_pose_aa, dtype=np.float64)
    if joints is None:
        return axis_angle_to_matrix(aa)
    idx = np.asarray(joints, dtype=np.int64)
    out = np.broadcast_to(np.eye(3), aa.shape[:-1] + (3, 3)).copy()
    out[:, idx] = axis_angle_to_matrix(aa[:, idx])
    return out


def global_rotmats(local_rotmats: np.ndarray, joints: Optional[Sequence[int]] = None,
                   parents: np.ndarray = PARENTS) -> np.ndarray:
    """Global rotations of every joint (or of ``joints`` and their ancestors), one loop over joints.

    Args:
        local_rotmats: (T, 55, 3, 3) local rotations; joint 0 is ``global_orient`` in the camera frame.
        joints: joints whose global rotation is wanted; None for all 55.
    Returns:
        (T, 55, 3, 3) global rotations in the camera frame. Joints outside the needed set hold NaN.
    """
    t, n = local_rotmats.shape[:2]
    order = np.arange(n) if joints is None else closure(joints, parents)
    out = np.full((t, n, 3, 3), np.nan)
    for j in order:
        p = int(parents[j])
        out[:, j] = local_rotmats[:, j] if p < 0 else out[:, p] @ local_rotmats[:, j]
    return out


def full_pose_to_global_rotmats(full_pose_aa: np.ndarray, joints: Optional[Sequence[int]] = None) -> np.ndarray:
    """(T, 55, 3) axis-angle full pose -> (T, 55, 3, 3) global rotations (all joints, or ``joints`` + ancestors)."""
    needed = None if joints is None else closure(joints)
    return global_rotmats(full_pose_local_rotmats(full_pose_aa, needed), joints)


def forward_kinematics(local_rotmats: np.ndarray, rest_joints: np.ndarray, joints: Optional[Sequence[int]] = None,
                       parents: np.ndarray = PARENTS) -> tuple[np.ndarray, np.ndarray]:
    """Posed joint positions and global rotations (smplx's rigid transform chain, before ``transl``).

    Args:
        local_rotmats: (T, 55, 3, 3) local rotations.
        rest_joints: (55, 3) or (T, 55, 3) rest joint positions (``BodyModel.rest_joints``), metres.
        joints: joints wanted (their ancestors come along); None for all.
    Returns:
        ``(global_rotmats, positions)``: (T, 55, 3, 3) and (T, 55, 3); joints outside the needed set hold NaN.
        Add ``transl`` to the positions for the camera frame.
    """
    t, n = local_rotmats.shape[:2]
    rest = np.asarray(rest_joints, dtype=np.float64)
    if rest.ndim == 2:
        rest = rest[None]
    order = np.arange(n) if joints is None else closure(joints, parents)
    rots = np.full((t, n, 3, 3), np.nan)
    pos = np.full((t, n, 3), np.nan)
    for j in order:
        p = int(parents[j])
        if p < 0:
            rots[:, j] = local_rotmats[:, j]
            pos[:, j] = np.broadcast_to(rest[:, j], (t, 3))
        else:
            rots[:, j] = rots[:, p] @ local_rotmats[:, j]
            offset = rest[:, j] - rest[:, p]  # (1 or T, 3)
            pos[:, j] = pos[:, p] + np.einsum("tab,tb->ta", rots[:, p], np.broadcast_to(offset, (t, 3)))
    return rots, pos


def forward_kinematics_subset(local_rotmats: Mapping[int, np.ndarray], rest_joints: np.ndarray,
                              joints: Iterable[int], root: int = 0, parents: np.ndarray = PARENTS
                              ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Forward kinematics over only the joints needed, without (T, 55, 3, 3) arrays.

    Args:
        local_rotmats: joint index -> (T, 3, 3) local rotation, for every joint on the way from ``root`` (excluded
            unless ``root`` is 0) to ``joints``.
        rest_joints: (55, 3) or (T, 55, 3) rest joint positions.
        joints: the joints wanted.
        root: where to start. With ``root=0`` the result is smplx's (before ``transl``); with another root, that joint
            is placed at the origin with the identity rotation (e.g. a hand in its wrist's frame).
    Returns:
        ``(global_rotmats, positions)``: dicts joint -> (T, 3, 3) and joint -> (T, 3) for ``root``, ``joints`` and the
        joints between.
    """
    rest = np.asarray(rest_joints, dtype=np.float64)
    needed: set[int] = set()
    for j in joints:
        cur = int(j)
        while cur != root:
            if cur < 0:
                raise ValueError(f"joint {j} does not descend from joint {root}")
            needed.add(cur)
            cur = int(parents[cur])
    t = next(iter(local_rotmats.values())).shape[0]
    rots: dict[int, np.ndarray] = {}
    pos: dict[int, np.ndarray] = {}
    if root == 0:
        rots[0] = np.asarray(local_rotmats[0], dtype=np.float64)
        pos[0] = np.broadcast_to(rest[..., 0, :], (t, 3)).copy()
    else:
        rots[root] = np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
        pos[root] = np.zeros((t, 3))
    for j in sorted(needed):  # SMPL-X parents precede their children
        p = int(parents[j])
        offset = np.broadcast_to(rest[..., j, :] - rest[..., p, :], (t, 3))
        rots[j] = rots[p] @ local_rotmats[j]
        pos[j] = pos[p] + np.einsum("tab,tb->ta", rots[p], offset)
    return rots, pos


__all__ = ["ancestors", "chain_to", "closure", "chain_product", "parent_global_rotmat", "global_to_local",
           "local_to_global", "full_pose_local_rotmats", "global_rotmats", "full_pose_to_global_rotmats",
           "forward_kinematics", "forward_kinematics_subset", "NUM_JOINTS"]
