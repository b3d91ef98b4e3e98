"""The ground plane in the camera frame: a robust fit to foot points in contact, and its geometry.

The plane is ``n . x + d = 0`` with ``n`` a unit normal pointing **up**, towards the body, in the camera frame
(OpenCV: x right, y down, z forward; so for a level camera n is close to (0, -1, 0)). Signed distances are
positive above the floor. The fit is RANSAC (vectorised hypotheses, inlier count) followed by an M-estimator
(iteratively reweighted total least squares with Tukey weights). Plain numpy: runs inside Blender.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class GroundPlane:
    """``normal . x + offset = 0`` in the camera frame, metres.

    Attributes:
        normal: (3,) unit normal, pointing up (towards the body).
        offset: d, so that ``signed_distance(x) = normal . x + offset`` (positive above the floor).
        inlier_rms_m: RMS distance of the inliers to the plane after the fit (NaN when not fitted).
        num_points: points the fit saw.
        num_inliers: points within the inlier threshold after the fit.
    """

    normal: np.ndarray
    offset: float
    inlier_rms_m: float = float("nan")
    num_points: int = 0
    num_inliers: int = 0

    def as_array(self) -> np.ndarray:
        """(4,) (nx, ny, nz, d): the fused file's ``ground_plane`` extra."""
        return np.concatenate([np.asarray(self.normal, dtype=np.float64), [float(self.offset)]])

    @classmethod
    def from_array(cls, plane: np.ndarray) -> "GroundPlane":
        """(4,) (n, d) -> plane, with n normalised (d scaled alike). Raises ValueError for a zero normal."""
        arr = np.asarray(plane, dtype=np.float64).reshape(4)
        norm = float(np.linalg.norm(arr[:3]))
        if not np.isfinite(arr).all() or norm < 1e-9:
            raise ValueError("a ground plane needs a finite, non-zero normal")
        return cls(normal=arr[:3] / norm, offset=float(arr[3] / norm))

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points -> (...) metres above the floor (negative below)."""
        return np.asarray(points, dtype=np.float64) @ self.normal + self.offset

    def horizontal(self, vectors: np.ndarray) -> np.ndarray:
        """(..., 3) vectors -> their components in the ground plane (the normal component removed)."""
        v = np.asarray(vectors, dtype=np.float64)
        return v - (v @ self.normal)[..., None] * self.normal


def orient_up(normal: np.ndarray, up_hint: np.ndarray) -> np.ndarray:
    """(..., 3) normals flipped where needed so that each has a non-negative dot product with ``up_hint`` (3,)."""
    n = np.asarray(normal, dtype=np.float64)
    sign = np.where(n @ np.asarray(up_hint, dtype=np.float64) < 0.0, -1.0, 1.0)
    return n * sign[..., None]


def _weighted_plane(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total least squares: ((3,) centroid, (3,) eigenvalues ascending, (3, 3) eigenvectors as columns)."""
    w = weights / max(float(weights.sum()), 1e-12)
    centroid = w @ points
    centred = points - centroid
    cov = (centred * w[:, None]).T @ centred
    vals, vecs = np.linalg.eigh(cov)
    return centroid, vals, vecs


def fit_ground_plane(points_cam: np.ndarray, up_hint: np.ndarray, inlier_threshold_m: float = 0.02,
                     max_tilt_deg: float = 45.0, hypotheses: int = 256, irls_iterations: int = 10,
                     min_spread_m: float = 0.05, seed: int = 0) -> Optional[GroundPlane]:
    """Robust plane through foot points in contact.

    Args:
        points_cam: (N, 3) camera-frame points (heel and toe points of feet in contact), metres.
        up_hint: (3,) the rough up direction (e.g. the body's pelvis-to-neck direction); the normal is oriented
            along it, hypotheses tilted more than ``max_tilt_deg`` from it are rejected, and it fixes the tilt a
            degenerate point set (all on one line, e.g. a person standing still) cannot determine.
        inlier_threshold_m: RANSAC inlier distance.
        hypotheses: RANSAC samples of three points, scored all at once.
        irls_iterations: Tukey-weighted refinement steps after RANSAC.
        min_spread_m: below this spread along the second principal direction the set counts as a line.
        seed: the RANSAC sampler's seed (the fit is deterministic).
    Returns:
        The :class:`GroundPlane`, or None with fewer than three points.
    """
    pts = np.asarray(points_cam, dtype=np.float64).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(axis=1)]
    up = np.asarray(up_hint, dtype=np.float64)
    up = up / np.linalg.norm(up)
    n_pts = pts.shape[0]
    if n_pts < 3:
        return None
    cos_tilt = np.cos(np.radians(max_tilt_deg))
    # RANSAC, every hypothesis at once: (H, 3) samples -> (H, 3) normals -> (H, N) distances
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_pts, size=(hypotheses, 3))
    a, b, c = pts[idx[:, 0]], pts[idx[:, 1]], pts[idx[:, 2]]
    normals = np.cross(b - a, c - a)
    lengths = np.linalg.norm(normals, axis=1)
    ok = lengths > 1e-6
    normals = orient_up(normals / np.where(ok, lengths, 1.0)[:, None], up)
    ok &= normals @ up >= cos_tilt
    # the up direction through the median point is always a candidate (it wins on degenerate sets)
    normals = np.vstack([normals[ok], up[None]])
    anchors = np.vstack([a[ok], np.median(pts, axis=0)[None]])
    offsets = -np.einsum("hc,hc->h", normals, anchors)
    dist = np.abs(pts @ normals.T + offsets)  # (N, H)
    score = (dist < inlier_threshold_m).sum(axis=0)
    best = int(np.argmax(score))
    normal, offset = normals[best], float(offsets[best])
    inliers = np.abs(pts @ normal + offset) < inlier_threshold_m
    weights = inliers.astype(np.float64)
    for _ in range(irls_iterations):
        centroid, vals, vecs = _weighted_plane(pts, weights)
        if np.sqrt(max(vals[1], 0.0)) < min_spread_m:
            # a line (or a blob): the normal is the up hint made perpendicular to the line
            line = vecs[:, 2]
            cand = up - (up @ line) * line if np.sqrt(max(vals[2], 0.0)) >= min_spread_m else up
            normal = cand / np.linalg.norm(cand)
        else:
            normal = orient_up(vecs[:, 0], up)
        offset = -float(normal @ centroid)
        resid = pts @ normal + offset
        # Tukey's biweight with a fixed cut-off (1.5 x the inlier distance): a stretch of frames that sinks a few
        # centimetres is an outlier, not a reason to tilt the floor
        u = resid / (1.5 * inlier_threshold_m)
        weights = np.where(np.abs(u) < 1.0, (1.0 - u ** 2) ** 2, 0.0)
        if weights.sum() < 3:
            weights = inliers.astype(np.float64)
    resid = pts @ normal + offset
    inliers = np.abs(resid) < inlier_threshold_m
    rms = float(np.sqrt(np.mean(resid[inliers] ** 2))) if inliers.any() else float("nan")
    return GroundPlane(normal=normal, offset=offset, inlier_rms_m=rms, num_points=n_pts,
                       num_inliers=int(inliers.sum()))


__all__ = ["GroundPlane", "fit_ground_plane", "orient_up"]
