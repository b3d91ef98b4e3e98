"""One focal length and per-frame root translations that reproject a sequence's 3D points onto its 2D evidence.

Two implementations of the same method: this module's (torch, imported inside the functions; CUDA when present;
every step batched over frames; L-BFGS with autograd) and :mod:`core.camera.fit_scipy`'s (numpy and scipy, so it
runs in Blender's own Python: ``least_squares`` with an analytic sparse Jacobian). :func:`fit_camera` runs the torch
one when torch imports and the scipy one otherwise (``FitOptions.backend``: ``"auto"``, ``"torch"``, ``"scipy"``);
the shared steps (checks, grid, start, frame outliers, result) are in :mod:`core.camera.fit_common`.

1. **Start.** The sequence's own per-frame camera (the body regressor's virtual camera, as fused) and translation.
   For a focal f and a scale s the start converts each frame's translation to the single camera
   (:func:`core.camera.conversions.convert_translation`): the pelvis keeps its pixel, its depth becomes
   ``s * z * f / f_frame`` (apparent size kept at s = 1).
2. **Grid search** over focal 1,000-20,000 px (log-spaced) and scale 0.5-3.0, on the robust data term of up to 256
   evenly spaced frames.
3. **Per-frame start** at the best cell: iteratively re-weighted linear least squares for each frame's translation
   (all frames batched; numpy).
4. **L-BFGS** (strong Wolfe line search, autograd; scipy: trust-region Gauss-Newton) over ``log f`` and, per
   frame, the pelvis pixel and ``log(f / z_pelvis)`` (pixels per metre at the pelvis): with those, changing f alone
   changes only the perspective, which keeps the problem well conditioned. A fixed focal (the user's, or the
   footage metadata's) leaves only the per-frame unknowns.

Objective, averaged over frames (pixels squared):
``sum_p w_tp rho(|pi(P_tp + t_t) - uv_tp|^2)`` with the Cauchy loss ``rho(r2) = c^2 log(1 + r2 / c^2)``,
``+ smooth_weight * |t_{t-1} - 2 t_t + t_{t+1}|^2 (f / z_t)^2`` (the translation's acceleration seen in pixels),
``+ prior_weight * c^2 ((log f - log f_prior) / sigma)^2 / T`` when a focal prior is given.

What the data can and cannot tell: every estimator renders its own 3D through a near-orthographic crop camera
(SMPLer-X's virtual focal is ~13,000 px at 1280 x 720, WiLoR's 25,000 px), so their 2D carries the sequence's
image positions and apparent sizes exactly but the true camera's perspective only weakly. Focal and depth then
trade off along a flat valley; the fit reports ``reproj`` before and after per frame and the grid's loss profile,
and a user focal or footage metadata pins the focal exactly.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Optional

import numpy as np

from .conversions import check_image_size
from .conversions import principal_point as principal_point_of
from .errors import CameraError
from .evidence import Evidence
from .fit_common import (
    BACKENDS,
    FitOptions,
    best_cell,
    best_cell_start,
    finish_fit,
    frame_outlier_weights,
    grid_points,
    irls_translations,
    prepare_fit,
    robust_scale_px,
    start_translations,
    torch_available,
)
from .points import ModelPoints
from .result import CameraFit

#: How far a unit step of the optimised log-focal moves the image, relative to a frame's spread (conditioning).
_FOCAL_UNIT = 0.02


def choose_backend(backend: str) -> str:
    """``"torch"`` or ``"scipy"`` for ``FitOptions.backend``: ``"auto"`` takes torch when it imports here, else scipy.

    Raises :class:`CameraError` for ``"torch"`` without torch, or an unknown name."""
    if backend not in BACKENDS:
        raise CameraError(f"unknown camera-fit backend '{backend}' (expected {', '.join(BACKENDS)})",
                          field="backend")
    if backend == "auto":
        return "torch" if torch_available() else "scipy"
    if backend == "torch" and not torch_available():
        raise CameraError("the torch camera fit needs torch, which does not import here; use the scipy fit "
                          "(--backend scipy or auto) or a Python that has torch", field="backend")
    return backend


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; ``"cuda"`` without one is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise CameraError("CUDA was requested but torch sees no GPU", field="device")
    if device not in ("cpu", "cuda"):
        raise CameraError(f"unknown device '{device}' (expected auto, cpu or cuda)", field="device")
    return device


class _Problem:
    """The fit's tensors and objective on one device.

    The data (P points x T frames) are float32, half the memory traffic of float64; the optimised parameters,
    the translations built from them and every sum stay float64.
    """

    def __init__(self, points: np.ndarray, ref: np.ndarray, uv: np.ndarray, weight: np.ndarray, centre: np.ndarray,
                 options: FitOptions, device: str) -> None:
        import torch

        self.torch = torch
        self.dtype = torch.float32
        kw = {"dtype": self.dtype, "device": device}
        kw64 = {"dtype": torch.float64, "device": device}
        self.P = torch.as_tensor(points, **kw)                                      # (T, P, 3)
        self.uv = torch.as_tensor(np.nan_to_num(uv), **kw)                          # (T, P, 2)
        self.w = torch.as_tensor(weight, **kw)                                      # (T, P)
        self.c = torch.as_tensor(centre, **kw)                                      # (2,)
        self.ref = torch.as_tensor(ref, **kw64)                                     # (T, 3)
        self.c64 = torch.as_tensor(centre, **kw64)
        self.c2 = float(options.robust_px) ** 2
        self.smooth = float(options.smooth_weight)
        self.t = int(points.shape[0])
        self.prior = None
        if options.focal_prior_px is not None:
            self.prior = (float(np.log(options.focal_prior_px)), float(options.focal_prior_sigma),
                          float(options.prior_weight))

    def data(self, f: Any, transl: Any) -> Any:
        """(..., T) robust data term per frame for translations (..., T, 3) and focal lengths f of shape (...)."""
        torch = self.torch
        x = self.P + transl.to(self.dtype)[..., :, None, :]
        z = torch.clamp(x[..., 2:3], min=1e-3)
        uv = f.to(self.dtype).reshape(tuple(f.shape) + (1, 1, 1)) * x[..., :2] / z + self.c
        r2 = ((uv - self.uv) ** 2).sum(-1)
        return (self.w * torch.log1p(r2 / self.c2)).sum(-1, dtype=torch.float64) * self.c2

    def transl_from(self, log_f: Any, root_px: Any, log_scale: Any) -> Any:
        """(T, 3) translations from the pelvis pixel (T, 2) and log pixels-per-metre (T,) at focal exp(log_f)."""
        torch = self.torch
        scale = torch.exp(log_scale)
        z = torch.exp(log_f) / scale
        xy = (root_px - self.c64) / scale[:, None]
        return torch.cat([xy, z[:, None]], dim=1) - self.ref

    def objective(self, log_f: Any, root_px: Any, log_scale: Any) -> Any:
        """Data + smoothness (+ prior), per frame."""
        torch = self.torch
        transl = self.transl_from(log_f, root_px, log_scale)
        total = self.data(torch.exp(log_f), transl).sum()
        if self.t >= 3 and self.smooth > 0:
            acc = transl[2:] - 2.0 * transl[1:-1] + transl[:-2]
            total = total + self.smooth * ((acc ** 2).sum(-1) * torch.exp(2.0 * log_scale[1:-1])).sum()
        if self.prior is not None:
            mu, sigma, weight = self.prior
            total = total + weight * self.c2 * ((log_f - mu) / sigma) ** 2
        return total / self.t


def fit_camera(points: ModelPoints, evidence: Evidence, init_transl: np.ndarray, init_K: np.ndarray,
               options: Optional[FitOptions] = None) -> CameraFit:
    """Fit one camera (focal, principal point at the image centre unless given) and per-frame translations.

    Args:
        points: the sequence's 3D points (:func:`core.camera.points.sequence_points`), T frames.
        evidence: their 2D evidence (:func:`core.camera.evidence.build_evidence`), same T.
        init_transl: (T, 3) the sequence's translations in its own camera(s) ``init_K`` ((3, 3) or (T, 3, 3)).
        options: :class:`FitOptions`; its ``backend`` picks the torch fit (here) or the scipy one
            (:func:`core.camera.fit_scipy.fit_camera_scipy`; ``"auto"``: scipy when torch does not import).
    Returns:
        :class:`core.camera.result.CameraFit`. Raises :class:`CameraError` on unusable input.
    """
    opts = options or FitOptions()
    note = None
    if opts.robust_from_start:  # the Cauchy scale at the start's residual level (fit_common.robust_scale_px)
        scale = robust_scale_px(points.points, evidence, init_transl, init_K, opts.robust_px)
        if scale > opts.robust_px:
            note = (f"robust loss scale {scale:.1f} px (the start's median residual; {opts.robust_px:g} px would let "
                    f"every point far beyond it barely pull)")
            opts = replace(opts, robust_px=scale)
    if choose_backend(opts.backend) == "scipy":
        from .fit_scipy import fit_camera_scipy

        result = fit_camera_scipy(points, evidence, init_transl, init_K, opts)
    else:
        import torch

        device = resolve_device(opts.device)
        threads = torch.get_num_threads()
        if device == "cpu" and opts.cpu_threads:
            torch.set_num_threads(int(opts.cpu_threads))
        try:
            result = _fit(torch, points, evidence, init_transl, init_K, opts, device)
        finally:
            torch.set_num_threads(threads)
    if note:
        result.notes = [note] + list(result.notes)
    return result


def minimise_lbfgs(torch: Any, params: list, objective: Any, max_iterations: int, loss_scale: float) -> int:
    """Minimise ``objective()`` (a torch scalar) over ``params`` with L-BFGS (strong-Wolfe line search); the change
    tolerance is relative to ``loss_scale`` (the starting loss). Returns the number of objective evaluations."""
    optimizer = torch.optim.LBFGS(params, lr=1.0, max_iter=int(max_iterations), history_size=20,
                                  tolerance_grad=1e-7, tolerance_change=1e-9 * max(loss_scale, 1.0),
                                  line_search_fn="strong_wolfe")

    def closure() -> Any:
        optimizer.zero_grad()
        value = objective()
        value.backward()
        return value

    optimizer.step(closure)
    return int(optimizer.state[optimizer._params[0]].get("func_evals", 0))


def _fit(torch: Any, points: ModelPoints, evidence: Evidence, init_transl: np.ndarray, init_K: np.ndarray,
         opts: FitOptions, device: str) -> CameraFit:
    started = time.perf_counter()
    setup = prepare_fit(points, evidence, init_transl, init_K, opts)
    t, centre, focal_grid, scales = setup.t, setup.centre, setup.focal_grid, setup.scales
    kw = {"dtype": torch.float64, "device": device}
    ref = setup.ref

    # ---------------------------------------------------------------- grid search (no gradients, frame subsample)
    sub = setup.grid_rows
    sub_points = grid_points(points, sub)
    starts = start_translations(sub_points, setup.start_transl[sub], setup.start_K[sub], focal_grid, centre, scales)
    grid_problem = _Problem(sub_points.points, ref[sub], evidence.uv[sub], evidence.weight[sub], centre, opts,
                            device)
    with torch.no_grad():
        grid = torch.empty((focal_grid.shape[0], scales.shape[0]), **kw)
        for i in range(focal_grid.shape[0]):  # grid values, each batched over scales and frames
            f = torch.full((scales.shape[0],), float(focal_grid[i]), **kw)
            grid[i] = grid_problem.data(f, torch.as_tensor(starts[i], **kw)).sum(-1) / sub.shape[0]
    grid_np = grid.cpu().numpy()
    best_focal, best_scale = best_cell(setup, grid_np, opts.focal_px is not None)

    # ---------------------------------------------------------------- per-frame start at the best cell (IRLS)
    start = best_cell_start(setup, points, evidence, best_focal, best_scale, opts.robust_px)

    # ---------------------------------------------------------------- L-BFGS refinement
    problem = _Problem(points.points, ref, evidence.uv, evidence.weight, centre, opts, device)
    ref_cam = start + ref
    root_start = ref_cam[:, :2] / ref_cam[:, 2:3] * best_focal + centre
    # unit changes of the optimised variables move the image by about a pixel: the pelvis pixel as is, log(f / z)
    # times the points' spread around it, log f times that and sqrt(T) (it moves every frame at once)
    spread = np.sqrt(np.nansum(evidence.weight * np.nansum((evidence.uv - root_start[:, None]) ** 2, axis=-1))
                     / max(float(evidence.weight.sum()), 1e-12))
    scale_unit = float(np.clip(spread, 20.0, 5000.0))
    focal_unit = scale_unit * _FOCAL_UNIT * np.sqrt(t)
    log_f = torch.tensor(np.log(best_focal) * focal_unit, **kw)
    root_px = torch.as_tensor(root_start, **kw)
    log_scale = torch.as_tensor(np.log(best_focal / ref_cam[:, 2]) * scale_unit, **kw)
    params = [root_px, log_scale] + ([log_f] if opts.focal_px is None else [])
    for p in params:
        p.requires_grad_(True)

    def objective() -> Any:
        return problem.objective(log_f / focal_unit, root_px, log_scale / scale_unit)

    with torch.no_grad():
        loss_initial = float(objective())
    iterations = minimise_lbfgs(torch, params, objective, opts.max_iterations, loss_initial)
    if opts.focal_px is None and opts.frame_outlier_factor > 0 and t >= 3:
        with torch.no_grad():
            transl_now = problem.transl_from(log_f / focal_unit, root_px, log_scale / scale_unit).cpu().numpy()
            focal_now = float(torch.exp(log_f / focal_unit))
        outliers = frame_outlier_weights(points, evidence, transl_now, focal_now, centre, opts.frame_outlier_factor)
        if outliers is not None:
            frame_w, note = outliers
            problem.w = problem.w * torch.as_tensor(frame_w[:, None], dtype=problem.w.dtype, device=problem.w.device)
            setup.notes.append(note)
            iterations += minimise_lbfgs(torch, params, objective, opts.max_iterations, loss_initial)
    with torch.no_grad():
        loss_final = float(objective())
        transl = problem.transl_from(log_f / focal_unit, root_px, log_scale / scale_unit).cpu().numpy()
        focal = float(torch.exp(log_f / focal_unit))
    return finish_fit(setup, points, evidence, init_transl, init_K, opts, focal=focal, transl=transl, grid=grid_np,
                      best=(best_focal, best_scale), loss_initial=loss_initial, loss_final=loss_final,
                      iterations=iterations, device=device, seconds=time.perf_counter() - started, backend="torch")


def objective_at(points: ModelPoints, evidence: Evidence, transl_cam: np.ndarray, focal_px: float,
                 options: Optional[FitOptions] = None) -> float:
    """The fit's objective for a given camera (e.g. the ground truth's), to compare with a fit's ``loss_final``."""
    import torch

    opts = options or FitOptions()
    centre = principal_point_of(check_image_size(evidence.image_size), opts.principal_point)
    problem = _Problem(points.points, points.points[:, points.ref_index], evidence.uv, evidence.weight, centre,
                       opts, "cpu")
    ref_cam = np.asarray(transl_cam, dtype=np.float64) + points.points[:, points.ref_index]
    with torch.no_grad():
        log_f = torch.tensor(np.log(focal_px), dtype=torch.float64)
        root_px = torch.as_tensor(ref_cam[:, :2] / ref_cam[:, 2:3] * focal_px + centre, dtype=torch.float64)
        log_scale = torch.as_tensor(np.log(focal_px / ref_cam[:, 2]), dtype=torch.float64)
        return float(problem.objective(log_f, root_px, log_scale))


__all__ = ["FitOptions", "fit_camera", "choose_backend", "objective_at", "torch_available", "resolve_device",
           "irls_translations"]
