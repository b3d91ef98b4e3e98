"""Pose-corrective blendshapes: smplx's pose feature, and an exact low-rank basis for fewer shape keys.

smplx adds ``pose_feature @ posedirs`` to the shaped rest mesh, with ``pose_feature`` = (R_j - I) flattened
row-major for joints 1..54 (486 numbers) and ``posedirs`` the model's (V, 3, 486) directions (``smplx/lbs.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rotations import axis_angle_to_matrix

#: Largest possible 2-norm of a pose feature: 54 joints, ||R - I||_F <= 2*sqrt(2) each.
MAX_FEATURE_NORM = float(np.sqrt(54 * 8.0))


def pose_feature(full_pose: np.ndarray) -> np.ndarray:
    """(T, 55, 3) axis-angle -> (T, 486) pose feature (R_j - I of joints 1..54, row-major), as smplx computes it."""
    rot = axis_angle_to_matrix(np.asarray(full_pose)[:, 1:])
    return (rot - np.eye(3)).reshape(rot.shape[0], -1)


@dataclass(frozen=True)
class CorrectiveBasis:
    """Shape-key directions and the map from pose features to their weights.

    Attributes:
        directions: (V, 3, K) one direction per shape key, model frame.
        feature_to_weight: (486, K) key weights = pose_feature @ feature_to_weight.
        max_error_m: guaranteed bound on any vertex's offset error against the full 486 directions.
    """

    directions: np.ndarray
    feature_to_weight: np.ndarray
    max_error_m: float


def full_basis(posedirs: np.ndarray) -> CorrectiveBasis:
    """All 486 directions, weights equal to the pose feature (exact)."""
    return CorrectiveBasis(directions=np.asarray(posedirs, dtype=np.float64),
                           feature_to_weight=np.eye(posedirs.shape[2]), max_error_m=0.0)


def compact_basis(posedirs: np.ndarray, tolerance_m: float = 1e-5, weight_limit: float = 10.0) -> CorrectiveBasis:
    """The fewest SVD components of ``posedirs`` whose offsets stay within ``tolerance_m`` of the full set.

    With P the (486, 3V) direction matrix and P = U S V^T, keeping k components changes a vertex's offset by at
    most ||f||_2 * s_(k+1) <= MAX_FEATURE_NORM * s_(k+1) for any pose feature f; k is the smallest that keeps
    that bound under ``tolerance_m``. Directions are rows of V^T scaled so that every weight,
    f @ (U_k S_k) / scale, stays within +-``weight_limit`` for any pose (Blender clamps shape-key values to +-10).
    """
    n_verts, _, n_basis = posedirs.shape
    p = np.asarray(posedirs, dtype=np.float64).reshape(n_verts * 3, n_basis).T  # (486, 3V)
    used = np.flatnonzero(np.abs(p).max(axis=1) > 0.0)  # features that move any vertex at all
    # SVD through the small Gram matrix of the used rows: P_u P_u^T = W diag(s^2) W^T, V^T = diag(1/s) W^T P_u
    gram = p[used] @ p[used].T
    eigval, eigvec = np.linalg.eigh(gram)
    order = np.argsort(eigval)[::-1]
    s = np.sqrt(np.clip(eigval[order], 0.0, None))
    u = np.zeros((n_basis, used.size))
    u[used] = eigvec[:, order]
    bound = MAX_FEATURE_NORM * np.append(s[1:], 0.0)  # error bound if we keep 1, 2, ... components
    k = int(np.argmax(bound <= tolerance_m)) + 1 if s.size and s[0] > 0 else 0
    vt = (u[used, :k].T @ p[used]) / s[:k, None] if k else np.zeros((0, p.shape[1]))
    scale = s[:k] * MAX_FEATURE_NORM / weight_limit  # |f @ u_k s_k| <= MAX_FEATURE_NORM s_k
    directions = (vt[:k] * scale[:, None]).reshape(k, n_verts, 3).transpose(1, 2, 0)
    return CorrectiveBasis(directions=np.ascontiguousarray(directions),
                           feature_to_weight=u[:, :k] * (s[:k] / scale),
                           max_error_m=float(bound[k - 1]) if k else 0.0)
