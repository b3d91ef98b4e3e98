"""The camera fit without torch: one focal and per-frame translations by ``scipy.optimize.least_squares``.

The same unknowns, start and objective as :mod:`core.camera.fit` (see its notes), numpy and scipy only, so it runs
in Blender's own Python with the extension's bundled scipy. :func:`core.camera.fit.fit_camera` runs it when torch
does not import (or with ``FitOptions(backend="scipy")``, ``fit-camera --backend scipy``).

Unknowns, as in the torch fit: ``x = [u_0, v_0, log s_0, ..., u_{T-1}, v_{T-1}, log s_{T-1}, log f]`` (the pelvis
pixel and the log pixels-per-metre at the pelvis of each frame, then the log-focal, absent when the focal is fixed),
so changing f alone changes only the perspective. The translation follows as
``t = ((u - cx) / s, (v - cy) / s, f / s) - pelvis``.

Residuals (the cost ``0.5 * sum(r^2)`` is ``T / 2`` times the torch objective, exactly):

* data, two per evidence point with weight > 0: ``sqrt(w) h(|e|^2) e`` with ``e`` the 2D reprojection error and
  ``h(q) = sqrt(rho(q) / q)``, so each point contributes ``w rho(|e|^2)`` with the torch fit's Cauchy loss
  ``rho(q) = c^2 log(1 + q / c^2)`` on the point's squared distance. ``least_squares``' own ``loss="cauchy"``
  would apply the loss to the x and y errors separately and put the point weight inside it (changing its scale
  per group), which is a different objective; this keeps the two fits' optima the same. The loss passed to
  ``least_squares`` is then ``"linear"``;
* smoothness, three per inner frame: ``sqrt(smooth_weight) s_t (t_{t-1} - 2 t_t + t_{t+1})``;
* the focal prior, one when given: ``sqrt(prior_weight) c (log f - log f_prior) / sigma``.

Jacobian: analytic and sparse (:func:`jacobian_sparsity` is its structure): a data row depends on its frame's three
unknowns and ``log f``; a smoothness row on its frame's and both neighbours' and ``log f``. The trust-region
reflective solver (``method="trf"``) with LSMR solves each step on the sparse matrix.
"""
from __future__ import annotations

import time
from typing import Optional

import numpy as np
import scipy.sparse as sp
from scipy.optimize import least_squares

from .evidence import Evidence
from .fit_common import (
    FitOptions,
    best_cell,
    best_cell_start,
    finish_fit,
    frame_outlier_weights,
    grid_points,
    prepare_fit,
    start_translations,
)
from .points import ModelPoints
from .result import CameraFit

#: Depth below which a point is held in front of the camera (metres), as in the torch fit.
_MIN_DEPTH = 1e-3
#: Below this ``q / c^2`` the robust factor ``h`` and its derivative use their series (no cancellation).
_SERIES_BELOW = 1e-3


def grid_data(points: np.ndarray, uv: np.ndarray, weight: np.ndarray, centre: np.ndarray, focal_px: float,
              transl: np.ndarray, robust_px: float) -> np.ndarray:
    """The robust data term per frame, ``sum_p w rho(|e|^2)``, for one focal and a batch of translations.

    Args:
        points: (T, P, 3) before translation; uv: (T, P, 2) evidence (NaN where none); weight: (T, P).
        centre: (2,) principal point; transl: (..., T, 3).
    Returns:
        (..., T) pixels squared.
    """
    x = points + np.asarray(transl, dtype=np.float64)[..., :, None, :]
    z = np.maximum(x[..., 2:3], _MIN_DEPTH)
    r2 = ((focal_px * x[..., :2] / z + centre - np.nan_to_num(uv)) ** 2).sum(-1)
    c2 = float(robust_px) ** 2
    return (weight * np.log1p(r2 / c2)).sum(-1) * c2


def robust_factor(q: np.ndarray, c2: float) -> tuple[np.ndarray, np.ndarray]:
    """``h(q) = sqrt(rho(q) / q)`` and ``dh/dq`` for the Cauchy ``rho(q) = c2 log(1 + q / c2)``; q (N,) >= 0.

    ``h(0) = 1`` (a small error counts as plain least squares) and ``h`` falls as the error grows past c.
    """
    x = np.asarray(q, dtype=np.float64) / c2
    small = x < _SERIES_BELOW
    xs = np.where(small, 1.0, x)  # keeps the exact formulas finite where the series is used
    g = np.where(small, 1.0 - x / 2.0 + x * x / 3.0 - x ** 3 / 4.0, np.log1p(xs) / xs)
    dg = np.where(small, -0.5 + 2.0 * x / 3.0 - 0.75 * x * x, (xs / (1.0 + xs) - np.log1p(xs)) / (xs * xs))
    h = np.sqrt(g)
    return h, dg / (2.0 * h * c2)


def jacobian_sparsity(frame_of_point: np.ndarray, t: int, smooth: bool, fit_focal: bool,
                      prior: bool) -> sp.csr_matrix:
    """(M, N) 0/1 structure of the residuals' Jacobian (rows as :class:`_Residuals` lays them out).

    Args:
        frame_of_point: (K,) the frame of each data point (two rows each); t: frames.
        smooth: whether the T - 2 smoothness triples are there; fit_focal: whether ``log f`` (the last column) is;
        prior: whether the prior row is (only with ``fit_focal``).
    """
    rows, cols = _structure(np.asarray(frame_of_point, dtype=np.int64), t, smooth, fit_focal, prior)
    m = int(rows.max()) + 1 if rows.size else 0
    n = 3 * t + (1 if fit_focal else 0)
    return sp.csr_matrix((np.ones(rows.shape[0]), (rows, cols)), shape=(m, n))


def _structure(tt: np.ndarray, t: int, smooth: bool, fit_focal: bool, prior: bool) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every Jacobian entry, in the order :meth:`_Residuals.jacobian` fills them."""
    k = tt.shape[0]
    focal_col = 3 * t
    n_cols = 4 if fit_focal else 3
    # data: rows 2i (u), 2i+1 (v); columns the frame's three unknowns (+ log f)
    data_cols = np.stack([3 * tt, 3 * tt + 1, 3 * tt + 2] + ([np.full(k, focal_col)] if fit_focal else []), axis=1)
    rows = [np.repeat(np.arange(2 * k), n_cols)]
    cols = [np.repeat(data_cols, 2, axis=0).ravel()]
    next_row = 2 * k
    if smooth and t >= 3:
        m = np.arange(1, t - 1)                                              # the middle frame of each triple
        frame_cols = 3 * (m[:, None] + np.arange(-1, 2)[None, :])            # (T-2, 3) first column of each frame
        block = (frame_cols[:, :, None] + np.arange(3)[None, None, :]).reshape(-1, 9)
        if fit_focal:
            block = np.concatenate([block, np.full((block.shape[0], 1), focal_col)], axis=1)
        n_block = block.shape[1]
        rows.append(next_row + np.repeat(np.arange(3 * (t - 2)), n_block))
        cols.append(np.repeat(block, 3, axis=0).ravel())
        next_row += 3 * (t - 2)
    if fit_focal and prior:
        rows.append(np.array([next_row]))
        cols.append(np.array([focal_col]))
    return np.concatenate(rows), np.concatenate(cols)


class _Residuals:
    """The fit's residuals and their sparse Jacobian for one problem (see the module notes for the layout).

    Data (K evidence points with weight > 0): ``q`` (K, 3) the point minus its frame's pelvis, ``obs`` (K, 2) its
    evidence, ``sw`` (K,) the square root of its weight, ``tt`` (K,) its frame.
    """

    def __init__(self, points: np.ndarray, ref: np.ndarray, evidence: Evidence, centre: np.ndarray,
                 opts: FitOptions, fit_focal: bool, focal_px: float) -> None:
        weight = np.asarray(evidence.weight, dtype=np.float64)
        uv = np.asarray(evidence.uv, dtype=np.float64)
        use = (weight > 0) & np.all(np.isfinite(uv), axis=-1)
        self.tt, pp = np.nonzero(use)
        self.q = np.asarray(points, dtype=np.float64)[self.tt, pp] - ref[self.tt]       # (K, 3)
        self.obs = uv[self.tt, pp]                                                       # (K, 2)
        self.w0 = weight[self.tt, pp]                                                    # (K,)
        self.sw = np.sqrt(self.w0)
        self.ref = np.asarray(ref, dtype=np.float64)                                     # (T, 3)
        self.centre = np.asarray(centre, dtype=np.float64)
        self.t = int(points.shape[0])
        self.c2 = float(opts.robust_px) ** 2
        self.ks = float(np.sqrt(max(float(opts.smooth_weight), 0.0)))
        self.smooth = self.t >= 3 and opts.smooth_weight > 0
        self.fit_focal = fit_focal
        self.fixed_log_f = float(np.log(focal_px))
        self.prior: Optional[tuple[float, float]] = None
        if fit_focal and opts.focal_prior_px is not None:
            self.prior = (float(np.log(opts.focal_prior_px)),
                          float(np.sqrt(opts.prior_weight) * opts.robust_px / opts.focal_prior_sigma))
        rows, self.cols = _structure(self.tt, self.t, self.smooth, fit_focal, self.prior is not None)
        # the entries come row by row with ascending columns: the CSR layout as is, no sorting per call
        self.shape = (int(rows.max()) + 1, 3 * self.t + (1 if fit_focal else 0))
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=self.shape[0]))])

    def set_frame_weights(self, frame_w: np.ndarray) -> None:
        """Multiply each point's weight by its frame's (T,) weight (the frame-outlier pass)."""
        self.sw = np.sqrt(self.w0 * np.asarray(frame_w, dtype=np.float64)[self.tt])

    def unpack(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(log f, (T, 2) pelvis pixels, (T,) log pixels per metre) from the parameter vector."""
        log_f = float(x[3 * self.t]) if self.fit_focal else self.fixed_log_f
        frames = x[: 3 * self.t].reshape(self.t, 3)
        return log_f, frames[:, :2], frames[:, 2]

    def pack(self, log_f: float, root_px: np.ndarray, log_scale: np.ndarray) -> np.ndarray:
        """The parameter vector of (log f, (T, 2) pelvis pixels, (T,) log pixels per metre)."""
        x = np.concatenate([root_px, log_scale[:, None]], axis=1).ravel()
        return np.append(x, log_f) if self.fit_focal else x

    def transl(self, x: np.ndarray) -> np.ndarray:
        """(T, 3) translations of the parameter vector."""
        log_f, root, log_s = self.unpack(x)
        s = np.exp(log_s)
        return np.concatenate([(root - self.centre) / s[:, None], (np.exp(log_f) / s)[:, None]], axis=1) - self.ref

    def _project(self, x: np.ndarray) -> dict:
        """Everything the residuals and the Jacobian share at ``x``."""
        log_f, root, log_s = self.unpack(x)
        f = np.exp(log_f)
        s = np.exp(log_s)
        zc = f / s                                                                       # (T,) pelvis depth
        dxy = (root - self.centre) / s[:, None]                                          # (T, 2) pelvis x, y
        tt = self.tt
        xy = self.q[:, :2] + dxy[tt]                                                     # (K, 2)
        z_raw = self.q[:, 2] + zc[tt]
        front = z_raw > _MIN_DEPTH
        z = np.where(front, z_raw, _MIN_DEPTH)
        a = f / z                                                                        # (K,)
        e = a[:, None] * xy + self.centre - self.obs                                     # (K, 2)
        return {"f": f, "s": s, "zc": zc, "dxy": dxy, "xy": xy, "z": z, "front": front, "a": a, "e": e,
                "log_f": log_f}

    def _smooth_terms(self, p: dict) -> tuple[np.ndarray, np.ndarray]:
        """(T, 3) translations and (T-2, 3) accelerations."""
        transl = np.concatenate([p["dxy"], p["zc"][:, None]], axis=1) - self.ref
        return transl, transl[2:] - 2.0 * transl[1:-1] + transl[:-2]

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """(M,) the residual vector."""
        p = self._project(x)
        e = p["e"]
        h, _ = robust_factor((e * e).sum(-1), self.c2)
        parts = [((self.sw * h)[:, None] * e).ravel()]
        if self.smooth:
            _, acc = self._smooth_terms(p)
            parts.append((self.ks * p["s"][1:-1, None] * acc).ravel())
        if self.prior is not None:
            mu, k = self.prior
            parts.append(np.array([k * (p["log_f"] - mu)]))
        return np.concatenate(parts)

    def jacobian(self, x: np.ndarray) -> sp.csr_matrix:
        """(M, N) the residuals' Jacobian, sparse (entries in :func:`_structure`'s order)."""
        p = self._project(x)
        tt, a, xy, z, e = self.tt, p["a"], p["xy"], p["z"], p["e"]
        s = p["s"][tt]
        dz_dlogs = np.where(p["front"], -p["zc"][tt], 0.0)                              # (K,)
        dz_dlogf = -dz_dlogs
        # the projection's derivatives, (K, 2, n): columns u-pixel, v-pixel, log s (, log f)
        n_cols = 4 if self.fit_focal else 3
        jr = np.zeros((tt.shape[0], 2, n_cols))
        jr[:, 0, 0] = a / s
        jr[:, 1, 1] = a / s
        dxy_dlogs = -p["dxy"][tt]                                                        # (K, 2)
        jr[:, :, 2] = a[:, None] * (dxy_dlogs - xy * (dz_dlogs / z)[:, None])
        if self.fit_focal:
            jr[:, :, 3] = (a * (1.0 - dz_dlogf / z))[:, None] * xy
        # the robust residual sqrt(w) h(|e|^2) e: d = sqrt(w) (h I + 2 h' e e^T) de
        h, dh = robust_factor((e * e).sum(-1), self.c2)
        # (h I + 2 h' e e^T) jr = h jr + 2 h' e (e^T jr)
        ejr = (e[:, :, None] * jr).sum(axis=1)                                           # (K, n)
        jd = h[:, None, None] * jr + (2.0 * dh)[:, None, None] * e[:, :, None] * ejr[:, None, :]
        values = [(self.sw[:, None, None] * jd).ravel()]
        if self.smooth:
            values.append(self._smooth_jacobian(p).ravel())
        if self.prior is not None:
            values.append(np.array([self.prior[1]]))
        return sp.csr_matrix((np.concatenate(values), self.cols, self.indptr), shape=self.shape)

    def _smooth_jacobian(self, p: dict) -> np.ndarray:
        """(T-2, 3, 9 or 10) the smoothness rows' entries: per triple and axis, the three frames' unknowns (+ log f)."""
        s, zc, dxy = p["s"], p["zc"], p["dxy"]
        _, acc = self._smooth_terms(p)
        t = self.t
        # dT_j / d(u_j, v_j, log s_j): (T, 3 axes, 3 unknowns)
        d_frame = np.zeros((t, 3, 3))
        d_frame[:, 0, 0] = 1.0 / s
        d_frame[:, 1, 1] = 1.0 / s
        d_frame[:, :2, 2] = -dxy
        d_frame[:, 2, 2] = -zc
        coef = np.array([1.0, -2.0, 1.0])
        sm = self.ks * s[1:-1]                                                           # (T-2,)
        blocks = [sm[:, None, None] * coef[i] * d_frame[i: t - 2 + i] for i in range(3)]
        blocks[1][:, :, 2] += sm[:, None] * acc                                          # d s_m / d log s_m
        out = [np.concatenate(blocks, axis=2)]                                           # (T-2, 3, 9)
        if self.fit_focal:
            # dT_j / d log f = (0, 0, f / s_j)
            dzf = zc[:-2] - 2.0 * zc[1:-1] + zc[2:]
            col = np.zeros((t - 2, 3, 1))
            col[:, 2, 0] = sm * dzf
            out.append(col)
        return np.concatenate(out, axis=2)


def _solve(res: _Residuals, x0: np.ndarray, max_nfev: int) -> tuple[np.ndarray, int]:
    """``least_squares`` from ``x0``; (solution, function evaluations)."""
    result = least_squares(res.residuals, x0, jac=res.jacobian, method="trf", tr_solver="lsmr", x_scale="jac",
                           loss="linear", max_nfev=max(int(max_nfev), 1), ftol=1e-8, xtol=1e-8, gtol=1e-8)
    return result.x, int(result.nfev)


def loss_of(res: _Residuals, x: np.ndarray) -> float:
    """The torch fit's objective (per frame) at ``x``: the sum of squared residuals over T."""
    r = res.residuals(x)
    return float(np.dot(r, r)) / res.t


def fit_camera_scipy(points: ModelPoints, evidence: Evidence, init_transl: np.ndarray, init_K: np.ndarray,
                     options: Optional[FitOptions] = None) -> CameraFit:
    """Fit one camera (focal, principal point at the image centre unless given) and per-frame translations with
    scipy; the same method, arguments and result as :func:`core.camera.fit.fit_camera` (``backend="scipy"``).

    Args:
        points: (T frames) :class:`ModelPoints`; evidence: their 2D evidence; init_transl: (T, 3) in the
            sequence's own camera(s) ``init_K`` ((3, 3) or (T, 3, 3)); options: :class:`FitOptions` (``device``
            and ``cpu_threads`` do not apply: it runs on the CPU).
    Returns:
        :class:`core.camera.result.CameraFit` with ``backend="scipy"``, ``device="cpu"`` and ``iterations`` the
        residual evaluations. Raises :class:`core.camera.errors.CameraError` on unusable input.
    """
    opts = options or FitOptions()
    started = time.perf_counter()
    setup = prepare_fit(points, evidence, init_transl, init_K, opts)
    if opts.device == "cuda":
        setup.notes.append("the scipy fit runs on the CPU: device 'cuda' applies to the torch fit only")
    centre, focal_grid, scales, ref = setup.centre, setup.focal_grid, setup.scales, setup.ref

    # ---------------------------------------------------------------- grid search (frame subsample)
    sub = setup.grid_rows
    sub_points = grid_points(points, sub)
    starts = start_translations(sub_points, setup.start_transl[sub], setup.start_K[sub], focal_grid, centre, scales)
    grid = np.empty((focal_grid.shape[0], scales.shape[0]))
    for i in range(focal_grid.shape[0]):  # grid values, each batched over scales and frames
        grid[i] = grid_data(sub_points.points, evidence.uv[sub], evidence.weight[sub], centre, float(focal_grid[i]),
                            starts[i], opts.robust_px).sum(-1) / sub.shape[0]
    fixed = opts.focal_px is not None
    best_focal, best_scale = best_cell(setup, grid, fixed)

    # ---------------------------------------------------------------- per-frame start at the best cell (IRLS)
    start = best_cell_start(setup, points, evidence, best_focal, best_scale, opts.robust_px)

    # ---------------------------------------------------------------- sparse trust-region least squares
    res = _Residuals(points.points, ref, evidence, centre, opts, fit_focal=not fixed, focal_px=best_focal)
    ref_cam = start + ref
    root_start = ref_cam[:, :2] / ref_cam[:, 2:3] * best_focal + centre
    x = res.pack(float(np.log(best_focal)), root_start, np.log(best_focal / ref_cam[:, 2]))
    loss_initial = loss_of(res, x)
    x, evaluations = _solve(res, x, opts.max_iterations)
    if not fixed and opts.frame_outlier_factor > 0 and setup.t >= 3:
        log_f, _, _ = res.unpack(x)
        outliers = frame_outlier_weights(points, evidence, res.transl(x), float(np.exp(log_f)), centre,
                                         opts.frame_outlier_factor)
        if outliers is not None:
            frame_w, note = outliers
            res.set_frame_weights(frame_w)
            setup.notes.append(note)
            x, more = _solve(res, x, opts.max_iterations)
            evaluations += more
    focal = best_focal if fixed else float(np.exp(res.unpack(x)[0]))  # a fixed focal exactly as given
    return finish_fit(setup, points, evidence, init_transl, init_K, opts, focal=focal,
                      transl=res.transl(x), grid=grid, best=(best_focal, best_scale), loss_initial=loss_initial,
                      loss_final=loss_of(res, x), iterations=evaluations, device="cpu",
                      seconds=time.perf_counter() - started, backend="scipy")


__all__ = ["fit_camera_scipy", "grid_data", "robust_factor", "jacobian_sparsity", "loss_of"]
