"""One focal length and per-frame root translations that reproject a sequence's 3D points onto its 2D evidence.

Method (torch, imported inside the functions; CUDA when present; every step batched over frames):

1. **Start.** The sequence's own per-frame camera (the body regressor's virtual camera, as fused) and translation.
   For a focal f and a scale s the start converts each frame's translation to the single camera
   (:func:`core.camera.conversions.convert_translation`): the pelvis keeps its pixel, its depth becomes
   ``s * z * f / f_frame`` (apparent size kept at s = 1).
2. **Grid search** over focal 1,000-20,000 px (log-spaced) and scale 0.5-3.0, on the robust data term of up to 256
   evenly spaced frames.
3. **Per-frame start** at the best cell: iteratively re-weighted linear least squares for each frame's translation
   (all frames batched; numpy).
4. **L-BFGS** (strong Wolfe line search, autograd) over ``log f`` and, per frame, the pelvis pixel and
   ``log(f / z_pelvis)`` (pixels per metre at the pelvis): with those, changing f alone changes only the
   perspective, which keeps the problem well conditioned. A fixed focal (the user's, or the footage metadata's)
   leaves only the per-frame unknowns.

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
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from .conversions import check_focal, check_image_size, check_range, convert_translation, intrinsics_matrix
from .conversions import principal_point as principal_point_of
from .errors import CameraError
from .evidence import Evidence
from .points import ModelPoints
from .result import CameraFit, reprojection_errors

#: How far a unit step of the optimised log-focal moves the image, relative to a frame's spread (conditioning).
_FOCAL_UNIT = 0.02


@dataclass
class FitOptions:
    """Settings of :func:`fit_camera`.

    Attributes:
        focal_px: a fixed focal (pixels); None fits it.
        focal_source: recorded with the result (``"user"``, ``"footage metadata"`` or ``"fit"``).
        principal_point: (cx, cy) pixels; None puts it at the image centre.
        focal_range_px, focal_steps: the grid's focal range (log-spaced) and number of values.
        scale_range, scale_steps: the grid's depth scales (linear) and number of values.
        robust_px: the Cauchy loss's scale c (residuals well beyond it count about logarithmically).
        smooth_weight: weight of the translation's acceleration (in pixels) per frame.
        focal_prior_px, focal_prior_sigma, prior_weight: optional log-normal prior on the focal.
        max_iterations: L-BFGS function evaluations at most.
        grid_frames: frames (evenly spaced) the grid search scores, at most.
        frame_outlier_factor: when the focal is fitted, frames whose mean residual exceeds this many times the
            median frame's are down-weighted (Cauchy per frame) and the fit refined once; 0 turns it off.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
        cpu_threads: torch threads on the CPU during the fit (small batched tensors: one thread avoids the
            threading overhead); None leaves torch's setting.
    """

    focal_px: Optional[float] = None
    focal_source: str = "fit"
    principal_point: Optional[Sequence[float]] = None
    focal_range_px: tuple[float, float] = (1000.0, 20000.0)
    focal_steps: int = 25
    scale_range: tuple[float, float] = (0.5, 3.0)
    scale_steps: int = 11
    robust_px: float = 10.0
    smooth_weight: float = 0.1
    focal_prior_px: Optional[float] = None
    focal_prior_sigma: float = 0.5
    prior_weight: float = 1.0
    max_iterations: int = 100
    grid_frames: int = 256
    frame_outlier_factor: float = 3.0
    device: str = "auto"
    cpu_threads: Optional[int] = 1


def torch_available() -> bool:
    """Whether torch can be imported here (inside Blender it usually cannot)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


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


def _start_translations(points: ModelPoints, init_transl: np.ndarray, init_K: np.ndarray, focal_px: np.ndarray,
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


def _fill_start(init_transl: np.ndarray, init_K: np.ndarray, points: ModelPoints,
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


def fit_camera(points: ModelPoints, evidence: Evidence, init_transl: np.ndarray, init_K: np.ndarray,
               options: Optional[FitOptions] = None) -> CameraFit:
    """Fit one camera (focal, principal point at the image centre unless given) and per-frame translations.

    Args:
        points: the sequence's 3D points (:func:`core.camera.points.sequence_points`), T frames.
        evidence: their 2D evidence (:func:`core.camera.evidence.build_evidence`), same T.
        init_transl: (T, 3) the sequence's translations in its own camera(s) ``init_K`` ((3, 3) or (T, 3, 3)).
        options: :class:`FitOptions`.
    Returns:
        :class:`core.camera.result.CameraFit`. Raises :class:`CameraError` on unusable input.
    """
    import torch

    opts = options or FitOptions()
    device = resolve_device(opts.device)
    threads = torch.get_num_threads()
    if device == "cpu" and opts.cpu_threads:
        torch.set_num_threads(int(opts.cpu_threads))
    try:
        return _fit(torch, points, evidence, init_transl, init_K, opts, device)
    finally:
        torch.set_num_threads(threads)


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
    start_transl, start_K = _fill_start(init_transl, init_K, points, np.asarray(has_evidence))
    kw = {"dtype": torch.float64, "device": device}
    ref = points.points[:, points.ref_index]

    # ---------------------------------------------------------------- grid search (no gradients, frame subsample)
    sub = np.unique(np.linspace(0, t - 1, min(t, max(int(opts.grid_frames), 1))).round().astype(np.int64))
    sub_points = ModelPoints(points=points.points[sub], joints=points.joints[sub], ref_index=points.ref_index)
    starts = _start_translations(sub_points, start_transl[sub], start_K[sub], focal_grid, centre, scales)
    grid_problem = _Problem(sub_points.points, ref[sub], evidence.uv[sub], evidence.weight[sub], centre, opts,
                            device)
    with torch.no_grad():
        grid = torch.empty((focal_grid.shape[0], scales.shape[0]), **kw)
        for i in range(focal_grid.shape[0]):  # grid values, each batched over scales and frames
            f = torch.full((scales.shape[0],), float(focal_grid[i]), **kw)
            grid[i] = grid_problem.data(f, torch.as_tensor(starts[i], **kw)).sum(-1) / sub.shape[0]
    grid_np = grid.cpu().numpy()
    bi, bj = np.unravel_index(int(np.nanargmin(grid_np)), grid_np.shape)
    best_focal, best_scale = float(focal_grid[bi]), float(scales[bj])
    if opts.focal_px is None and bi in (0, focal_grid.shape[0] - 1):
        notes.append(f"the grid's best focal {best_focal:.0f} px lies on the edge of {lo:.0f}-{hi:.0f} px: the "
                     f"evidence hardly constrains the focal")

    # ---------------------------------------------------------------- per-frame start at the best cell (IRLS)
    start = _start_translations(points, start_transl, start_K, np.array([best_focal]), centre,
                                np.array([best_scale]))[0, 0]
    start = irls_translations(points.points, evidence, best_focal, centre, start, opts.robust_px)

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
        # frames whose 3D does not match their 2D at all (a regressor outlier, smeared over its neighbours by the
        # fusion's smoothing) pull the focal, which every frame shares: down-weight them (Cauchy on the frame's
        # mean residual, scale = factor x the median frame's) and refine once more
        with torch.no_grad():
            transl_now = problem.transl_from(log_f / focal_unit, root_px, log_scale / scale_unit).cpu().numpy()
            focal_now = float(torch.exp(log_f / focal_unit))
        err = reprojection_errors(points.points, transl_now, intrinsics_matrix(focal_now, centre), evidence)
        scale = opts.frame_outlier_factor * max(float(np.nanmedian(err)), 1e-3) if np.isfinite(err).any() else 0.0
        if scale > 0 and np.nanmax(err) > scale:
            frame_w = 1.0 / (1.0 + (np.nan_to_num(err, nan=0.0) / scale) ** 2)
            problem.w = problem.w * torch.as_tensor(frame_w[:, None], dtype=problem.w.dtype, device=problem.w.device)
            notes.append(f"{int(np.count_nonzero(err > scale))} frame(s) fit far worse than the median "
                         f"(> {scale:.1f} px) and were down-weighted for the focal")
            iterations += minimise_lbfgs(torch, params, objective, opts.max_iterations, loss_initial)
    with torch.no_grad():
        loss_final = float(objective())
        transl = problem.transl_from(log_f / focal_unit, root_px, log_scale / scale_unit).cpu().numpy()
        focal = float(torch.exp(log_f / focal_unit))
    if not np.isfinite(loss_final) or not np.all(np.isfinite(transl)):
        raise CameraError("the fit diverged (non-finite result); check the evidence", field="transl")
    try:
        check_focal(focal)
    except CameraError:
        raise CameraError(f"the fitted focal {focal:.0f} px is implausible; give the focal (--focal) or footage "
                          f"metadata", field="focal_px") from None
    seconds = time.perf_counter() - started
    K = intrinsics_matrix(focal, centre)
    before = reprojection_errors(points.points, init_transl, init_K, evidence)
    after = reprojection_errors(points.points, transl, K, evidence)
    return CameraFit(focal_px=focal, focal_source=opts.focal_source if opts.focal_px is not None else "fit",
                     principal_point=centre, image_size=size, transl_cam=transl, reproj_before_px=before,
                     reproj_after_px=after, grid_focal_px=focal_grid, grid_loss=grid_np.min(axis=1),
                     grid_best=(best_focal, best_scale), loss_initial=loss_initial, loss_final=loss_final,
                     iterations=iterations, device=device, seconds=seconds, notes=notes)


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


__all__ = ["FitOptions", "fit_camera", "objective_at", "torch_available", "resolve_device"]
