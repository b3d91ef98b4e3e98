"""The ground plane from a few footprints and the body's up direction: a robust maximum-a-posteriori fit.

Why a prior: the footprints of a walk pin the floor's tilt *along* the walk (they lie metres apart) but hardly
*across* it (left and right feet are ~0.2 m apart, so a 3 mm height difference between them already reads as a
degree of roll). The body's mean up direction (pelvis to neck) is the reverse: people lean forward by a few degrees
when they walk or carry something, but hardly sideways on average. So the fit minimises

    sum_i w_i (n . p_i + d)^2 / s^2  +  (n - u)^T Lambda (n - u),   |n| = 1,

with ``p_i`` the footprints (camera frame), ``u`` the body's up direction, ``Lambda`` the prior's precision (weak
along the body's sagittal direction, ``sagittal_deg``; strong across it, ``frontal_deg``; see
:func:`lean_prior_precision`), ``s`` the footprints' robust residual scale (median absolute deviation) and ``w_i``
Tukey biweights, so a footprint whose height disagrees with the others (a contact inside an estimator glitch) drops
out. The data and the prior are weighed by their own precisions: where the footprints determine the tilt well, the
prior hardly moves it. The normal is updated by Gauss-Newton steps in the tangent plane of the current normal, the
offset in closed form. Plain numpy: runs inside Blender.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .plane import GroundPlane, orient_up

#: Tukey's biweight cut-off in robust scales (95 % efficiency under Gaussian noise).
TUKEY_C = 4.685
MAD_TO_SIGMA = 1.4826


def lean_prior_precision(up: np.ndarray, forward: Optional[np.ndarray], sagittal_deg: float,
                         frontal_deg: float) -> np.ndarray:
    """(3, 3) precision (1/rad^2) of the prior on the floor normal about the body's up direction.

    Args:
        up: (3,) unit body up direction (the prior's mean).
        forward: (3,) the body's facing direction, or None (then the prior is isotropic with ``sagittal_deg``).
        sagittal_deg: the prior's standard deviation for a tilt of the normal forward or back (body lean).
        frontal_deg: its standard deviation for a sideways tilt.
    Returns:
        ``F f f^T + L l l^T`` with ``f`` the forward direction made perpendicular to ``up``, ``l = up x f``,
        ``F = 1 / sagittal^2`` and ``L = 1 / frontal^2`` (radians); zero along ``up``.
    """
    u = np.asarray(up, dtype=np.float64)
    u = u / np.linalg.norm(u)
    sag = 1.0 / np.radians(sagittal_deg) ** 2
    fro = 1.0 / np.radians(frontal_deg) ** 2
    f = None if forward is None else np.asarray(forward, dtype=np.float64)
    if f is not None:
        f = f - (f @ u) * u
        length = float(np.linalg.norm(f))
        f = f / length if length > 1e-6 else None
    if f is None:
        return sag * (np.eye(3) - np.outer(u, u))
    side = np.cross(u, f)
    return sag * np.outer(f, f) + fro * np.outer(side, side)


def tangent_basis(normal: np.ndarray) -> np.ndarray:
    """(3, 2) two orthonormal vectors perpendicular to the unit ``normal`` (3,)."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(normal[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(normal, helper)
    e1 /= np.linalg.norm(e1)
    return np.stack([e1, np.cross(normal, e1)], axis=1)


def _gauss_newton_step(centred: np.ndarray, weights: np.ndarray, normal: np.ndarray, up: np.ndarray,
                       precision: np.ndarray) -> np.ndarray:
    """One step of the MAP problem from ``normal`` (3,); ``centred`` (N, 3) points minus their weighted centroid,
    ``weights`` (N,) already divided by the scale squared. Returns the new unit normal."""
    basis = tangent_basis(normal)  # (3, 2)
    jac = np.concatenate([centred @ basis, np.ones((centred.shape[0], 1))], axis=1)  # (N, 3): tilt a, b; offset
    resid = centred @ normal
    lhs = (jac * weights[:, None]).T @ jac
    rhs = (jac * weights[:, None]).T @ resid
    lhs[:2, :2] += basis.T @ precision @ basis
    rhs[:2] += basis.T @ precision @ (normal - up)
    # least squares, not solve: without a prior, a single footprint (or a line of them) leaves tilts undetermined,
    # and the minimum-norm step leaves those alone
    step = -np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    new = normal + basis @ step[:2]
    return new / np.linalg.norm(new)


def fit_plane_with_prior(points_cam: np.ndarray, up: np.ndarray, prior_precision: np.ndarray,
                         initial: Optional[GroundPlane] = None, scale_floor_m: float = 0.005,
                         tukey_c: float = TUKEY_C, iterations: int = 12) -> Optional[GroundPlane]:
    """Robust MAP plane through footprints (see the module docstring).

    Args:
        points_cam: (N, 3) footprints, camera frame, metres (one per contact: :mod:`core.grounding.stance_points`).
        up: (3,) the prior's mean normal (the body's up direction); the result points the same way.
        prior_precision: (3, 3) from :func:`lean_prior_precision` (zeros: no prior, plain robust total least
            squares when the points span a plane).
        initial: where to start (e.g. a RANSAC plane); default the prior's normal through the points' median.
        scale_floor_m: the residual scale never drops below this (two footprints fit exactly; without a floor
            they would outweigh any prior).
        tukey_c: the biweight cut-off in robust scales.
        iterations: reweighting steps, each with one Gauss-Newton step for the normal.
    Returns:
        The :class:`GroundPlane` (``num_points`` footprints, ``num_inliers`` with a non-zero weight,
        ``inlier_rms_m`` their RMS residual), or None without a finite point.
    """
    pts = np.asarray(points_cam, dtype=np.float64).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if pts.shape[0] == 0:
        return None
    u = np.asarray(up, dtype=np.float64)
    u = u / np.linalg.norm(u)
    precision = np.asarray(prior_precision, dtype=np.float64).reshape(3, 3)
    if initial is not None:
        normal = orient_up(np.asarray(initial.normal, dtype=np.float64), u)
        offset = float(initial.offset) * float(np.sign(normal @ initial.normal))
    else:
        normal = u.copy()
        offset = -float(np.median(pts @ normal))
    weights = np.ones(pts.shape[0])
    scale = scale_floor_m
    for _ in range(iterations):
        resid = pts @ normal + offset
        centre = np.median(resid)
        scale = max(MAD_TO_SIGMA * float(np.median(np.abs(resid - centre))), scale_floor_m)
        z = resid / (tukey_c * scale)
        weights = np.where(np.abs(z) < 1.0, (1.0 - z ** 2) ** 2, 0.0)
        if weights.sum() < 1e-6:
            weights = np.ones(pts.shape[0])
        w = weights / scale ** 2
        centroid = (w @ pts) / w.sum()
        normal = _gauss_newton_step(pts - centroid, w, normal, u, precision)
        offset = -float(normal @ centroid)
    resid = pts @ normal + offset
    used = weights > 0.0
    rms = float(np.sqrt(np.mean(resid[used] ** 2))) if used.any() else float("nan")
    return GroundPlane(normal=normal, offset=offset, inlier_rms_m=rms, num_points=int(pts.shape[0]),
                       num_inliers=int(used.sum()))


__all__ = ["TUKEY_C", "lean_prior_precision", "tangent_basis", "fit_plane_with_prior"]
