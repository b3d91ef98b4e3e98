"""Accuracy against a ground truth: MPJPE, PA-MPJPE, per-vertex error and acceleration error, per frame.

Conventions follow the video-HMR literature and ``bench/fusion_accuracy.py``: joints are root-aligned (pelvis
subtracted) for MPJPE and the acceleration error; PA-MPJPE aligns each frame with a similarity transform
(rotation, uniform scale, translation). The Procrustes solution is the closed form of Umeyama (1991), batched
over frames with numpy's SVD; ``tests/validate/test_metrics.py`` checks it against ``scipy.linalg.
orthogonal_procrustes`` frame by frame.
"""
from __future__ import annotations

from typing import Optional

import numpy as np


def _root_aligned(joints: np.ndarray, root: int = 0) -> np.ndarray:
    j = np.asarray(joints, dtype=np.float64)
    return j - j[:, root:root + 1]


def mpjpe(pred: np.ndarray, gt: np.ndarray, root: Optional[int] = 0) -> np.ndarray:
    """(T, J, 3), (T, J, 3) metres -> (T,) mean per-joint position error, metres (root-aligned unless None)."""
    p, g = (np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)) if root is None else \
        (_root_aligned(pred, root), _root_aligned(gt, root))
    return np.linalg.norm(p - g, axis=-1).mean(axis=1)


def similarity_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T, J, 3) ``pred`` mapped onto ``gt`` by the best similarity transform of each frame (Umeyama)."""
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    mp, mg = p.mean(axis=1, keepdims=True), g.mean(axis=1, keepdims=True)
    pc, gc = p - mp, g - mg
    cov = np.einsum("tji,tjk->tik", gc, pc)  # (T, 3, 3) sum of g p^T
    u, s, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.ones_like(s)
    fix[:, -1] = d
    rot = u @ (fix[:, :, None] * vt)  # (T, 3, 3): g ~ R p
    var = np.sum(pc * pc, axis=(1, 2))
    scale = np.sum(s * fix, axis=1) / np.maximum(var, 1e-12)
    return scale[:, None, None] * np.einsum("tab,tjb->tja", rot, pc) + mg


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T, J, 3), (T, J, 3) -> (T,) MPJPE after a per-frame similarity alignment, metres."""
    g = np.asarray(gt, dtype=np.float64)
    return np.linalg.norm(similarity_align(pred, g) - g, axis=-1).mean(axis=1)


def per_vertex_error(pred_vertices: np.ndarray, gt_vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, V, 3), (T, V, 3) -> ((T,) mean over vertices, (V,) mean over frames), metres, no alignment."""
    err = np.linalg.norm(np.asarray(pred_vertices, dtype=np.float64) - np.asarray(gt_vertices, dtype=np.float64),
                         axis=-1)
    return err.mean(axis=1), err.mean(axis=0)


def acceleration_error(pred: np.ndarray, gt: np.ndarray, root: Optional[int] = 0) -> np.ndarray:
    """(T, J, 3), (T, J, 3) -> (T,) mean ||a_pred - a_gt|| per frame, metres / frame^2 (root-aligned; NaN at the
    first and last frame, where no central second difference exists)."""
    p, g = (np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)) if root is None else \
        (_root_aligned(pred, root), _root_aligned(gt, root))
    out = np.full(p.shape[0], np.nan)
    if p.shape[0] >= 3:
        ap = p[2:] - 2.0 * p[1:-1] + p[:-2]
        ag = g[2:] - 2.0 * g[1:-1] + g[:-2]
        out[1:-1] = np.linalg.norm(ap - ag, axis=-1).mean(axis=1)
    return out


def summary_mm(per_frame_m: np.ndarray) -> dict[str, float]:
    """(T,) metres -> {mean, median, max} in millimetres over the finite frames."""
    v = np.asarray(per_frame_m, dtype=np.float64)
    v = v[np.isfinite(v)] * 1000.0
    if v.size == 0:
        return {"mean": float("nan"), "median": float("nan"), "max": float("nan")}
    return {"mean": float(v.mean()), "median": float(np.median(v)), "max": float(v.max())}


__all__ = ["mpjpe", "similarity_align", "pa_mpjpe", "per_vertex_error", "acceleration_error", "summary_mm"]
