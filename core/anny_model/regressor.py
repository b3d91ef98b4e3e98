"""The joint regressor: each joint a sparse convex combination of the surface vertices around it.

MakeHuman places joints at joint-cube centroids, helper geometry that the shape targets move but that the model
does not carry. So each SMPL-X joint is refitted from skin vertices: non-negative weights summing to one over the
vertices near the joint (in the region its bone and its neighbours skin), chosen so that the weighted mean is the
joint on the mean body *and* moves like the joint cube along the principal shape directions. Joints regressed this
way follow the betas (and, where the vertices move, the expressions) as SMPL-X's do.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

from ..body.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS

#: Residual scale: one unit of the least-squares residual is this many metres.
_RESIDUAL_M = 1e-3
#: Pull towards uniform weights (keeps the rows spread over many vertices).
_SPREAD = 0.1


def fit_convex(points: np.ndarray, target: np.ndarray, point_dirs: np.ndarray, target_dirs: np.ndarray
               ) -> np.ndarray:
    """Weights (m,) >= 0 summing to 1 with ``w @ points ~= target`` and ``w @ point_dirs[p] ~= target_dirs[p]``.

    ``points`` (m, 3), ``target`` (3,), ``point_dirs`` (P, m, 3), ``target_dirs`` (P, 3). The rest fit is weighted
    ten times the direction fits; a mild pull towards uniform weights keeps the solution spread out.
    """
    m = points.shape[0]
    rows = [10.0 * (points - target).T / _RESIDUAL_M]
    rhs = [np.zeros(3)]
    for p in range(point_dirs.shape[0]):
        rows.append((point_dirs[p] - target_dirs[p]).T / _RESIDUAL_M)
        rhs.append(np.zeros(3))
    rows.append(1e4 * np.ones((1, m)))
    rhs.append(np.array([1e4]))
    rows.append(_SPREAD * np.eye(m))
    rhs.append(np.full(m, _SPREAD / m))
    w, _ = nnls(np.vstack(rows), np.concatenate(rhs), maxiter=100 * m)
    total = w.sum()
    if total <= 0:
        raise RuntimeError("empty regressor row")
    return w / total


def candidate_region(weights: np.ndarray, joint: int, eyes: dict[int, np.ndarray], body_count: int) -> np.ndarray:
    """Vertex ids a joint may be regressed from: the eyeball for an eye joint, else skin vertices skinned (> 0.3)
    to the joint, its parent or its children."""
    if joint in eyes:
        return eyes[joint]
    related = [joint] + [int(c) for c in np.nonzero(PARENTS == joint)[0]]
    if PARENTS[joint] >= 0:
        related.append(int(PARENTS[joint]))
    share = weights[:body_count, related].sum(axis=1)
    return np.nonzero(share > 0.3)[0]


def joint_regressor(vertices: np.ndarray, joints: np.ndarray, vertex_dirs: np.ndarray, joint_dirs: np.ndarray,
                    weights: np.ndarray, eyes: dict[int, np.ndarray], body_count: int,
                    min_vertices: int = 150, max_vertices: int = 400) -> np.ndarray:
    """(55, V) float64 convex joint regressor.

    ``vertices`` (V, 3) and ``joints`` (55, 3): the mean body at rest; ``vertex_dirs`` (P, V, 3) and ``joint_dirs``
    (P, 55, 3): how they move along P shape directions; ``weights`` (V, 55) skinning weights; ``eyes`` maps the eye
    joint indices to their eyeball vertex ids; the first ``body_count`` vertices are skin.

    For each joint, the nearest vertices of its region are taken (at least ``min_vertices``, growing the radius
    until the joint lies inside their hull, at most ``max_vertices``).
    """
    reg = np.zeros((NUM_JOINTS, vertices.shape[0]))
    for j in range(NUM_JOINTS):
        region = candidate_region(weights, j, eyes, body_count)
        dist = np.linalg.norm(vertices[region] - joints[j], axis=1)
        order = region[np.argsort(dist, kind="stable")]
        count = min(min_vertices, order.size)
        while True:
            idx = np.sort(order[:count])
            w = fit_convex(vertices[idx], joints[j], vertex_dirs[:, idx], joint_dirs[:, j])
            err = float(np.linalg.norm(w @ vertices[idx] - joints[j]))
            if err < 2e-4 or count >= min(max_vertices, order.size):
                break
            count = min(int(count * 1.5), max_vertices, order.size)
        if err > 2e-3:
            raise RuntimeError(f"cannot regress joint {JOINT_NAMES[j]} ({err * 1e3:.2f} mm off)")
        reg[j, idx] = w
    return reg
