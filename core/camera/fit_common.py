"""What the two camera fits share (numpy only): the options, the checks and the start, the frame-outlier rule and the
result.

:mod:`core.camera.fit` (torch, L-BFGS) and :mod:`core.camera.fit_scipy` (scipy ``least_squares``) fit the same
unknowns to the same objective (see :mod:`core.camera.fit`'s notes); this module is the part of the method that
does not depend on the optimiser:

1. :func:`prepare_fit` checks the input and lays out the grid (focal 1,000-20,000 px log-spaced, scale 0.5-3.0)
   and the frames it scores;
2. :func:`start_translations` / :func:`irls_translations` give the grid's start translations and, at the best cell,
   the per-frame start (iteratively re-weighted linear least squares);
3. :func:`frame_outlier_weights` down-weights frames whose 3D does not match their 2D at all before one more pass;
4. :func:`finish_fit` checks the result and builds the :class:`core.camera.result.CameraFit`.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .conversions import check_focal, check_image_size, check_range, convert_translation, intrinsics_matrix, project
from .conversions import principal_point as principal_point_of
from .errors import CameraError
from .evidence import Evidence
from .points import ModelPoints
from .result import CameraFit, reprojection_errors

#: The fits :func:`core.camera.fit.fit_camera` can run (``FitOptions.backend``).
BACKENDS = ("auto", "torch", "scipy")


class ImplausibleFocalError(CameraError):
    """The optimiser's focal left the plausible range (e.g. towards the orthographic limit when the evidence carries
    almost no perspective): the caller may fall back to a default field of view (:mod:`core.camera.footage_frame`)."""


@dataclass
class FitOptions:
    """Settings of :func:`core.camera.fit.fit_camera`.

    Attributes:
        focal_px: a fixed focal (pixels); None fits it.
        focal_source: recorded with the result (``"user"``, ``"footage metadata"`` or ``"fit"``).
        principal_point: (cx, cy) pixels; None puts it at the image centre.
        focal_range_px, focal_steps: the grid's focal range (log-spaced) and number of values.
        scale_range, scale_steps: the grid's depth scales (linear) and number of values.
        robust_px: the Cauchy loss's scale c (residuals well beyond it count about logarithmically).
        robust_from_start: raise c to the start's weighted median residual where that is larger
            (:func:`robust_scale_px`), so a start far from the evidence is pulled by all of it.
        smooth_weight: weight of the translation's acceleration (in pixels) per frame.
        focal_prior_px, focal_prior_sigma, prior_weight: optional log-normal prior on the focal.
        max_iterations: function evaluations at most per pass (L-BFGS's, or ``least_squares``' ``max_nfev``).
        grid_frames: frames (evenly spaced) the grid search scores, at most.
        frame_outlier_factor: when the focal is fitted, frames whose mean residual exceeds this many times the
            median frame's are down-weighted (Cauchy per frame) and the fit refined once; 0 turns it off.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"`` (the torch fit; the scipy fit runs on the
            CPU).
        cpu_threads: torch threads on the CPU during the fit (small batched tensors: one thread avoids the
            threading overhead); None leaves torch's setting.
        backend: ``"auto"`` (torch when it imports, else scipy), ``"torch"`` or ``"scipy"``.
    """

    focal_px: Optional[float] = None
    focal_source: str = "fit"
    principal_point: Optional[Sequence[float]] = None
    focal_range_px: tuple[float, float] = (1000.0, 20000.0)
    focal_steps: int = 25
    scale_range: tuple[float, float] = (0.5, 3.0)
    scale_steps: int = 11
    robust_px: float = 10.0
    robust_from_start: bool = True
    smooth_weight: float = 0.1
    focal_prior_px: Optional[float] = None
    focal_prior_sigma: float = 0.5
    prior_weight: float = 1.0
    max_iterations: int = 100
    grid_frames: int = 256
    frame_outlier_factor: float = 3.0
    device: str = "auto"
    cpu_threads: Optional[int] = 1
    backend: str = "auto"


def torch_available() -> bool:
    """Whether torch can be imported here (inside Blender it usually cannot)."""
    return importlib.util.find_spec("torch") is not None


@dataclass
class FitSetup:
    """The checked input of a fit and its grid.

    Attributes:
        t: frames; image_size: (2,) W, H; centre: (2,) the principal point (pixels).
        focal_grid: (G,) the grid's focal lengths (one value when the focal is fixed); scales: (S,) its depth scales.
        focal_range: (lo, hi) of the grid.
        start_transl, start_K: (T, 3) and (T, 3, 3) the sequence's own camera with unusable frames filled.
        ref: (T, 3) the reference point (pelvis) per frame, before translation.
        grid_rows: (N,) the frames the grid scores (evenly spaced, at most ``grid_frames``).
        notes: decisions for the report.
    """

    t: int
    image_size: np.ndarray
    centre: np.ndarray
    focal_grid: np.ndarray
    scales: np.ndarray
    focal_range: tuple[float, float]
    start_transl: np.ndarray
    start_K: np.ndarray
    ref: np.ndarray
    grid_rows: np.ndarray
    notes: list = field(default_factory=list)


def prepare_fit(points: ModelPoints, evidence: Evidence, init_transl: np.ndarray, init_K: np.ndarray,
                opts: FitOptions) -> FitSetup:
    """Check the input and lay out the grid. Raises :class:`CameraError` on unusable input."""
    t = points.num_frames
    if evidence.num_frames != t or np.asarray(init_transl).shape != (t, 3):
        raise CameraError(f"points, evidence and translations disagree on the number of frames ({t}, "
                          f"{evidence.num_frames}, {np.asarray(init_transl).shape[0]})", field="transl")
    size = check_image_size(evidence.image_size)
    centre = principal_point_of(size, opts.principal_point)
    has_evidence = evidence.frames_with_evidence()
    if np.count_nonzero(has_evidence) < 1:
        raise CameraError("no frame has any 2D evidence to fit to", field="evidence")
    lo, hi = check_focal(np.asarray(opts.focal_range_px, dtype=np.float64), "focal_range_px")
    s_lo, s_hi = check_range(np.asarray(opts.scale_range, dtype=np.float64), (0.01, 100.0), "scale_range")
    notes: list[str] = []
    if opts.focal_px is not None:
        focal_grid = np.array([float(check_focal(opts.focal_px))])
        notes.append(f"focal fixed at {focal_grid[0]:.2f} px ({opts.focal_source})")
    else:
        focal_grid = np.geomspace(lo, hi, max(int(opts.focal_steps), 2))
    scales = np.linspace(s_lo, s_hi, max(int(opts.scale_steps), 1))
    start_transl, start_K = fill_start(init_transl, init_K, points, np.asarray(has_evidence))
    rows = np.unique(np.linspace(0, t - 1, min(t, max(int(opts.grid_frames), 1))).round().astype(np.int64))
    return FitSetup(t=t, image_size=size, centre=centre, focal_grid=focal_grid, scales=scales,
                    focal_range=(float(lo), float(hi)), start_transl=start_transl, start_K=start_K,
                    ref=points.points[:, points.ref_index], grid_rows=rows, notes=notes)


def grid_points(points: ModelPoints, rows: np.ndarray) -> ModelPoints:
    """The points of the grid's frames ``rows``."""
    return ModelPoints(points=points.points[rows], joints=points.joints[rows], ref_index=points.ref_index)


def best_cell(setup: FitSetup, grid: np.ndarray, fixed_focal: bool) -> tuple[float, float]:
    """(focal, scale) of the grid's lowest loss ``grid`` (G, S); notes a best focal on the grid's edge."""
    bi, bj = np.unravel_index(int(np.nanargmin(grid)), grid.shape)
    best_focal, best_scale = float(setup.focal_grid[bi]), float(setup.scales[bj])
    if not fixed_focal and bi in (0, setup.focal_grid.shape[0] - 1):
        lo, hi = setup.focal_range
        setup.notes.append(f"the grid's best focal {best_focal:.0f} px lies on the edge of {lo:.0f}-{hi:.0f} px: "
                           f"the evidence hardly constrains the focal")
    return best_focal, best_scale


def start_translations(points: ModelPoints, init_transl: np.ndarray, init_K: np.ndarray, focal_px: np.ndarray,
                       centre: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """(F, S, T, 3) start translations for every focal and scale of the grid (pelvis pixel kept)."""
    ref = points.points[:, points.ref_index]
    out = np.empty((focal_px.shape[0], scales.shape[0], ref.shape[0], 3))
    for i, f in enumerate(focal_px):  # grid values, not frames
        k_to = intrinsics_matrix(f, centre)
        base = convert_translation(init_transl, ref, init_K, k_to)
        z = base[:, 2] + ref[:, 2]
        xy_over_z = (base[:, :2] + ref[:, :2]) / z[:, None]
        zs = z[None, :] * scales[:, None]                                            # (S, T)
        out[i] = np.concatenate([xy_over_z[None] * zs[..., None], zs[..., None]], axis=-1) - ref[None]
    return out


def fill_start(init_transl: np.ndarray, init_K: np.ndarray, points: ModelPoints,
               frames_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start translation and K with unusable frames (pelvis behind the camera, bad K) taken from a usable one."""
    t = init_transl.shape[0]
    k = np.broadcast_to(np.asarray(init_K, dtype=np.float64), (t, 3, 3)).copy()
    tr = np.asarray(init_transl, dtype=np.float64).copy()
    z = tr[:, 2] + points.points[:, points.ref_index, 2]
    ok = frames_ok & np.isfinite(z) & (z > 1e-3) & np.all(np.isfinite(k.reshape(t, 9)), axis=1) \
        & (k[:, 0, 0] > 0) & (k[:, 1, 1] > 0) & np.all(np.isfinite(tr), axis=1)
    if not ok.any():
        raise CameraError("no frame has a usable start camera (the pelvis must be in front of it)", field="transl")
    idx = np.arange(t)
    nearest = np.maximum.accumulate(np.where(ok, idx, -1))
    first = int(np.flatnonzero(ok)[0])
    nearest = np.where(nearest < 0, first, nearest)
    return tr[nearest], k[nearest]


def irls_translations(points: np.ndarray, evidence: Evidence, focal_px: float, centre: np.ndarray,
                      start: np.ndarray, robust_px: float, iterations: int = 4) -> np.ndarray:
    """Per-frame translations for a fixed camera by iteratively re-weighted linear least squares (numpy).

    Each point gives two equations linear in t, ``f (X + tx) - (u - cx)(Z + tz) = 0`` (and y); dividing by the
    current depth makes them pixel errors, and Cauchy weights ``1 / (1 + r^2 / c^2)`` down-weight outliers. All
    frames are solved at once (T batched 3 x 3 systems).

    Args:
        points: (T, P, 3) before translation; start: (T, 3) the translations to start from.
    Returns:
        (T, 3) translations (a frame without evidence keeps its start).
    """
    p = np.asarray(points, dtype=np.float64)
    uv = np.nan_to_num(evidence.uv)
    d = uv - centre                                                                  # (T, P, 2)
    w0 = evidence.weight
    t_cur = np.asarray(start, dtype=np.float64).copy()
    has = (w0 > 0).sum(axis=1) >= 2
    for _ in range(iterations):
        x = p + t_cur[:, None]
        z = np.maximum(x[..., 2], 1e-3)
        r2 = ((focal_px * x[..., :2] / z[..., None] + centre - uv) ** 2).sum(-1)
        w = w0 / (1.0 + r2 / robust_px ** 2) / z ** 2                               # (T, P)
        a = np.zeros(p.shape[:2] + (2, 3))
        a[..., 0, 0] = focal_px
        a[..., 1, 1] = focal_px
        a[..., :, 2] = -d
        b = d * p[..., 2:3] - focal_px * p[..., :2]                                  # (T, P, 2)
        ata = np.einsum("tp,tpki,tpkj->tij", w, a, a) + 1e-9 * np.eye(3)
        atb = np.einsum("tp,tpki,tpk->ti", w, a, b)
        solved = np.linalg.solve(ata, atb[..., None])[..., 0]
        ok = has & np.all(np.isfinite(solved), axis=1) & (solved[:, 2] + p[:, 0, 2] > 1e-3)
        t_cur = np.where(ok[:, None], solved, t_cur)
    return t_cur


def best_cell_start(setup: FitSetup, points: ModelPoints, evidence: Evidence, best_focal: float, best_scale: float,
                    robust_px: float) -> np.ndarray:
    """(T, 3) the per-frame start at the grid's best cell: its start translations, then :func:`irls_translations`."""
    start = start_translations(points, setup.start_transl, setup.start_K, np.array([best_focal]), setup.centre,
                               np.array([best_scale]))[0, 0]
    return irls_translations(points.points, evidence, best_focal, setup.centre, start, robust_px)


def robust_scale_px(points: np.ndarray, evidence: Evidence, transl: np.ndarray, camera_K: np.ndarray,
                    base_px: float) -> float:
    """The Cauchy scale for a fit starting at ``transl`` / ``camera_K``: ``base_px``, or the start's weighted median
    point distance where that is larger.

    A Cauchy loss of scale c pulls a residual r with ``2 r / (1 + r^2 / c^2)``, about ``2 c^2 / r`` beyond c: when
    the whole start lies far beyond c (a pose transferred from another body model, a camera converted from a crop's),
    every point barely pulls, the fit settles on whichever few points it can reach and ends further from the
    evidence than it started. The scale of an M-estimator belongs to the residuals' own level; the start's median
    (robust to the few gross outliers the loss is for) gives it.

    Args:
        points: (T, P, 3) before translation; transl: (T, 3); camera_K: (3, 3) or (T, 3, 3).
    """
    uv = project(np.asarray(points, dtype=np.float64) + np.asarray(transl, dtype=np.float64)[:, None], camera_K)
    dist = np.linalg.norm(uv - evidence.uv, axis=-1)
    use = (np.asarray(evidence.weight) > 0) & np.isfinite(dist)
    if not use.any():
        return float(base_px)
    d, w = dist[use], np.asarray(evidence.weight, dtype=np.float64)[use]
    order = np.argsort(d)
    cum = np.cumsum(w[order])
    median = float(d[order][np.searchsorted(cum, 0.5 * cum[-1])])
    return max(float(base_px), median)


def frame_outlier_weights(points: ModelPoints, evidence: Evidence, transl: np.ndarray, focal_px: float,
                          centre: np.ndarray, factor: float) -> Optional[tuple[np.ndarray, str]]:
    """(T,) per-frame weights for frames that fit far worse than the median, and the note; None when none does.

    Frames whose 3D does not match their 2D at all (a regressor outlier, smeared over its neighbours by the fusion's
    smoothing) pull the focal, which every frame shares: Cauchy on the frame's mean residual, with scale
    ``factor`` x the median frame's.
    """
    err = reprojection_errors(points.points, transl, intrinsics_matrix(focal_px, centre), evidence)
    scale = factor * max(float(np.nanmedian(err)), 1e-3) if np.isfinite(err).any() else 0.0
    if not (scale > 0 and np.nanmax(err) > scale):
        return None
    frame_w = 1.0 / (1.0 + (np.nan_to_num(err, nan=0.0) / scale) ** 2)
    note = (f"{int(np.count_nonzero(err > scale))} frame(s) fit far worse than the median (> {scale:.1f} px) and "
            f"were down-weighted for the focal")
    return frame_w, note


def finish_fit(setup: FitSetup, points: ModelPoints, evidence: Evidence, init_transl: np.ndarray,
               init_K: np.ndarray, opts: FitOptions, *, focal: float, transl: np.ndarray, grid: np.ndarray,
               best: tuple[float, float], loss_initial: float, loss_final: float, iterations: int, device: str,
               seconds: float, backend: str) -> CameraFit:
    """Check the optimiser's focal and (T, 3) translations and build the :class:`CameraFit`. A fixed focal is kept
    exactly (not the optimiser's round trip through its log-parametrisation)."""
    if opts.focal_px is not None:
        focal = float(opts.focal_px)
    if not np.isfinite(loss_final) or not np.all(np.isfinite(transl)) or not np.isfinite(focal):
        raise CameraError("the fit diverged (non-finite result); check the evidence", field="transl")
    try:
        check_focal(focal)
    except CameraError:
        raise ImplausibleFocalError(f"the fitted focal {focal:.0f} px is implausible; give the focal (--focal) or "
                                    f"footage metadata", field="focal_px") from None
    K = intrinsics_matrix(focal, setup.centre)
    before = reprojection_errors(points.points, init_transl, init_K, evidence)
    after = reprojection_errors(points.points, transl, K, evidence)
    return CameraFit(focal_px=focal, focal_source=opts.focal_source if opts.focal_px is not None else "fit",
                     principal_point=setup.centre, image_size=setup.image_size, transl_cam=transl,
                     reproj_before_px=before, reproj_after_px=after, grid_focal_px=setup.focal_grid,
                     grid_loss=grid.min(axis=1), grid_best=best, loss_initial=loss_initial, loss_final=loss_final,
                     iterations=iterations, device=device, seconds=seconds, notes=setup.notes, backend=backend)


__all__ = ["BACKENDS", "ImplausibleFocalError", "FitOptions", "FitSetup", "robust_scale_px",
           "torch_available", "prepare_fit", "grid_points", "best_cell",
           "start_translations", "fill_start", "irls_translations", "best_cell_start", "frame_outlier_weights",
           "finish_fit"]
