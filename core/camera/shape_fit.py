"""One body shape for a take, fitted in the output model's own shape space to what the inputs measure. numpy + scipy.

An estimator's ``betas`` live in SMPL-X's shape space and mean nothing on a built-in model
(:mod:`core.body.shape_space`), so on a built-in model the shape is fitted here instead, as SMPLify fits it
(Bogo et al. 2016, sec. 3.2; SMPLify-X, Pavlakos et al. 2019): the reprojection of the posed joints onto a 2D
detector's keypoints, with the pose and the camera held, ``betas`` shared by every frame of the take, and a
Gaussian shape prior. What the keypoints measure are bone lengths seen through the camera.

The model is linear in ``betas`` for a fixed pose: each posed point is ``P0 + sum_b beta_b P_b`` (forward kinematics is
linear in the rest joints, and the rest joints and fingertip vertices are linear in ``betas``), so the residuals and
their Jacobian are closed-form and :func:`scipy.optimize.least_squares` runs over the model's betas only (10).

Optional 3D evidence (an estimator's camera-frame joints, e.g. ExPose's) adds each limb's length in metres, which
2D keypoints cannot give: through one camera a larger body further away looks the same, so from 2D alone the overall
size stays where the camera fit's depth puts it (the prior's mean body) and the fit recovers the proportions.

In ``fit-camera`` (:func:`fit_builtin_shape`): camera fit -> shape fit -> camera refit with the fitted shape.
The bone-length agreement (per limb: the model's projected length against the keypoints', relative, before and
after) goes into the fitted file's provenance (``camera_fit.shape_fit``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import numpy as np

from ..body import chains
from ..body.limbs import LIMB_JOINTS, LIMB_NAMES
from ..body.model import BodyModel
from ..body.shape_space import SMPLX_SHAPE_SPACE, model_shape_space
from ..body.skeleton import SMPLX_EXTRA_VERTEX_IDS
from ..contracts.fused_file import FusedSequence
from ..fusion.hands import FINGERTIPS
from ..rotations import axis_angle_to_matrix
from .points import POINT_GROUPS, point_rig, rig_points

#: Points of :mod:`core.camera.points` a shape is fitted on: the body joints and both hands (not the face box).
SHAPE_POINTS = slice(0, POINT_GROUPS["right_hand"].stop)
#: Evidence groups that can carry a detector's keypoints (the shape is fitted on those only).
KEYPOINT_GROUPS = ("body", "left_hand", "right_hand")


@dataclass
class ShapeFitOptions:
    """Settings of :func:`fit_shape`.

    Attributes:
        max_betas: the leading betas fitted, at most (the model's count when smaller); the others stay at zero.
        prior_weight: weight of the shape prior ``|betas|^2`` (unit-variance betas) against the mean squared
            normalised reprojection residual of one point.
        robust_px: Huber scale of the reprojection residuals, pixels.
        metres_sigma: scale of a 3D limb-length residual, metres (one such residual weighs like one point at
            ``robust_px``).
        max_frames: frames (evenly spaced) the fit uses, at most.
        min_points: fewest weighted keypoints for a fit; fewer leaves the shape as it was.
        max_pose_error: the fit runs only when the keypoints' median distance at the start is at most this fraction
            of the body's size in the image (the median over frames of the keypoints' box diagonal): beyond it the
            misfit is the pose's, and fitting the shape to it would make a wrong body.
        max_iterations: ``least_squares``' ``max_nfev``.
        min_limb_fraction: a frame measures a limb in 2D when its keypoint length is at least this fraction of the
            limb's 90th-percentile length over the take (a limb pointing at the camera measures nothing).
        rounds: in ``fit-camera`` (:func:`fit_builtin_shape`), rounds of shape fit then camera refit.
        max_abs_beta: bounds on each fitted beta (unit-variance betas: 3 standard deviations), so that a detector's
            systematic offsets (its hips are not SMPL-X's) cannot push the body outside the population.
        fit_translation: also fit one factor and one offset on every translation (the body's distance and place),
            so that the shape is not bent to a distance set by another shape, nor the skeleton moved by betas in
            place of the translation; the shape prior then sets the overall size.
    """

    max_betas: int = 10
    prior_weight: float = 0.01
    robust_px: float = 5.0
    metres_sigma: float = 0.01
    max_frames: int = 300
    min_points: int = 30
    max_pose_error: float = 0.05
    max_iterations: int = 50
    min_limb_fraction: float = 0.5
    rounds: int = 1
    max_abs_beta: float = 3.0
    fit_translation: bool = True


@dataclass
class ShapeFit:
    """What :func:`fit_shape` found.

    Attributes:
        betas: (B,) the fitted shape in the model's own space (B = the model's count; unfitted ones zero).
        betas_start: (B,) where it started.
        fitted_betas: how many leading betas were free.
        points: weighted keypoints used; frames: frames used.
        reproj_px_before, reproj_px_after: median pixel distance of those keypoints, before and after.
        limbs: per limb (:data:`core.body.limbs.LIMB_NAMES`): ``measured_px`` (the keypoints' median projected
            length), ``model_px_before`` / ``model_px_after`` and ``rel_before`` / ``rel_after`` (the model's median
            ratio to the keypoints' length over the frames that measure it, minus 1), ``frames``; plus
            ``measured_m`` / ``model_m`` / ``rel_m`` where 3D joints were given.
        depth_scale, transl_offset: the factor and (3,) offset (metres) the fit applied to every translation
            (1 and 0 when held, see ``fit_translation``): ``transl * depth_scale + transl_offset``.
        seconds, iterations: wall time and function evaluations; notes: decisions for the report.
    """

    betas: np.ndarray
    betas_start: np.ndarray
    fitted_betas: int
    points: int
    frames: int
    reproj_px_before: Optional[float]
    reproj_px_after: Optional[float]
    limbs: dict = field(default_factory=dict)
    depth_scale: float = 1.0
    transl_offset: np.ndarray = field(default_factory=lambda: np.zeros(3))
    seconds: float = 0.0
    iterations: int = 0
    notes: list = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-able record (provenance ``camera_fit.shape_fit``)."""
        def rnd(v: Optional[float], n: int = 3) -> Optional[float]:
            return None if v is None or not np.isfinite(v) else round(float(v), n)

        worst = [abs(v["rel_after"]) for v in self.limbs.values() if v.get("rel_after") is not None]
        return {"betas": [round(float(b), 5) for b in self.betas],
                "betas_start": [round(float(b), 5) for b in self.betas_start],
                "fitted_betas": self.fitted_betas, "points": self.points, "frames": self.frames,
                "reproj_px_before": rnd(self.reproj_px_before), "reproj_px_after": rnd(self.reproj_px_after),
                "limb_agreement": {name: {k: (rnd(v, 4) if isinstance(v, float) else v) for k, v in entry.items()}
                                   for name, entry in self.limbs.items()},
                "limb_rel_err_max": rnd(max(worst), 4) if worst else None, "depth_scale": rnd(self.depth_scale, 5),
                "transl_offset_m": [round(float(v), 5) for v in self.transl_offset],
                "seconds": round(self.seconds, 4), "iterations": self.iterations, "notes": list(self.notes)}


def _frames(weight: np.ndarray, max_frames: int) -> np.ndarray:
    """Up to ``max_frames`` frame indices (evenly spaced) among those with any weighted point."""
    rows = np.flatnonzero((weight > 0).any(axis=1))
    if rows.size > max_frames:
        rows = rows[np.unique(np.linspace(0, rows.size - 1, max_frames).round().astype(np.int64))]
    return rows


def _tip_vertex_ids() -> dict[int, int]:
    """Point index -> smplx fingertip vertex id, for the fingertip points of :mod:`core.camera.points`."""
    out = {}
    for side, group in ((0, "left_hand"), (1, "right_hand")):
        for row, (tip, _) in FINGERTIPS.items():
            out[POINT_GROUPS[group].start + row] = SMPLX_EXTRA_VERTEX_IDS[("l" if side == 0 else "r") + tip]
    return out


def linear_points(full_pose: np.ndarray, expression: Optional[np.ndarray], model: BodyModel,
                  num_betas: int, betas_fixed: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """The posed points as an affine function of the leading betas, pose held.

    Forward kinematics is linear in the rest joints for fixed rotations (``p_j = p_parent + G_parent (J_j -
    J_parent)``), the rest joints are linear in the betas (``J_regressor @ shapedirs``), and so are the fingertips'
    offsets from their joints (a fingertip vertex minus its joint): one pass over the joints gives every direction.

    Args:
        full_pose: (T, 55, 3) axis-angle (hands flat-relative); expression: (T, E) or None.
        num_betas: leading betas to differentiate.
        betas_fixed: (B,) values of the betas after ``num_betas`` (held); zeros when None.
    Returns:
        ``(P0, P)``: (T, 64, 3) points with the leading betas at zero and (nb, T, 64, 3) their change per unit of
        each leading beta (camera frame before ``transl``; :mod:`core.camera.points` layout without the face point).
    """
    zero = np.zeros(model.num_betas)
    if betas_fixed is not None:
        held = np.asarray(betas_fixed, dtype=np.float64).reshape(-1)[:model.num_betas]
        zero[num_betas:held.size] = held[num_betas:]
    pose = np.asarray(full_pose, dtype=np.float64)
    rig = point_rig(zero, expression, model, pose.shape[0])
    rots, pos = chains.forward_kinematics(axis_angle_to_matrix(pose), rig.rest_joints)
    base = rig_points(rig, rots, pos)[:, SHAPE_POINTS]
    joint_dirs = np.einsum("jv,vcb->bjc", model.joint_regressor, model.shape_dirs[:, :, :num_betas])  # (nb, 55, 3)
    pos_dirs = np.zeros((num_betas,) + pos.shape)                                                      # (nb, T, 55, 3)
    pos_dirs[:, :, 0] = joint_dirs[:, None, 0]
    for j in range(1, pos.shape[1]):
        p = int(model.parents[j])
        bone_dirs = joint_dirs[:, j] - joint_dirs[:, p]                                               # (nb, 3)
        pos_dirs[:, :, j] = pos_dirs[:, :, p] + np.einsum("tac,bc->bta", rots[:, p], bone_dirs)
    offset_dirs = np.zeros((num_betas, SHAPE_POINTS.stop, 3))
    point_joint = rig.point_joint[SHAPE_POINTS]
    for point, vertex in _tip_vertex_ids().items():
        offset_dirs[:, point] = model.shape_dirs[vertex, :, :num_betas].T - joint_dirs[:, point_joint[point]]
    dirs = pos_dirs[:, :, point_joint] + np.einsum("tpac,bpc->btpa", rots[:, point_joint], offset_dirs)
    return base, dirs


def _project(x: np.ndarray, camera_K: np.ndarray) -> np.ndarray:
    z = np.maximum(x[..., 2], 1e-6)
    return np.stack([camera_K[0, 0] * x[..., 0] / z + camera_K[0, 1] * x[..., 1] / z + camera_K[0, 2],
                     camera_K[1, 1] * x[..., 1] / z + camera_K[1, 2]], axis=-1)


def _projection_jacobian(x: np.ndarray, camera_K: np.ndarray) -> np.ndarray:
    """(M, 2, 3) d(u, v)/d(x, y, z) of the pinhole projection at points (M, 3)."""
    z = np.maximum(x[:, 2], 1e-6)
    fx, s, fy = camera_K[0, 0], camera_K[0, 1], camera_K[1, 1]
    jac = np.zeros((x.shape[0], 2, 3))
    jac[:, 0, 0] = fx / z
    jac[:, 0, 1] = s / z
    jac[:, 0, 2] = -(fx * x[:, 0] + s * x[:, 1]) / z ** 2
    jac[:, 1, 1] = fy / z
    jac[:, 1, 2] = -fy * x[:, 1] / z ** 2
    return jac


def limb_agreement_2d(points_cam: np.ndarray, camera_K: np.ndarray, uv: np.ndarray, weight: np.ndarray,
                      min_fraction: float = 0.5) -> dict[str, dict]:
    """Per limb: the model's projected length against the keypoints', over the frames that measure it.

    Args:
        points_cam: (T, >=22, 3) camera-frame points (translation added); camera_K: (3, 3).
        uv, weight: (T, >=22, 2) and (T, >=22) the keypoints (body joints 0-21 first).
        min_fraction: see :class:`ShapeFitOptions` ``min_limb_fraction``.
    Returns:
        name -> ``{"measured_px", "model_px", "rel", "frames"}`` (``rel``: median of model / measured - 1); limbs no
        frame measures are left out.
    """
    model_uv = _project(points_cam[:, :22], camera_K)
    out: dict[str, dict] = {}
    for name, (a, b) in zip(LIMB_NAMES, LIMB_JOINTS):
        seen = (weight[:, a] > 0) & (weight[:, b] > 0)
        measured = np.linalg.norm(uv[:, b] - uv[:, a], axis=-1)
        seen &= np.isfinite(measured)
        if not seen.any():
            continue
        reach = np.percentile(measured[seen], 90)
        seen &= measured >= min_fraction * reach
        if not seen.any() or reach <= 0:
            continue
        model_len = np.linalg.norm(model_uv[:, b] - model_uv[:, a], axis=-1)
        out[name] = {"measured_px": float(np.median(measured[seen])), "model_px": float(np.median(model_len[seen])),
                     "rel": float(np.median(model_len[seen] / measured[seen]) - 1.0), "frames": int(seen.sum())}
    return out


def _body_size_px(uv: np.ndarray, weight: np.ndarray) -> float:
    """Median over frames of the diagonal of the weighted keypoints' box, pixels (0 without any)."""
    sizes = []
    for f in range(uv.shape[0]):  # frames of the fit (at most max_frames)
        pts = uv[f][weight[f] > 0]
        if pts.shape[0] >= 2:
            sizes.append(float(np.linalg.norm(pts.max(axis=0) - pts.min(axis=0))))
    return float(np.median(sizes)) if sizes else 0.0


def _limb_3d(joints3d: np.ndarray, weight3d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames x limbs where both ends have 3D evidence: (M, 3) index triples (frame, a, b) and (M,) measured length."""
    rows = []
    for a, b in LIMB_JOINTS:
        f = np.flatnonzero((weight3d[:, a] > 0) & (weight3d[:, b] > 0)
                           & np.isfinite(joints3d[:, [a, b]]).all(axis=(1, 2)))
        rows.append(np.stack([f, np.full_like(f, a), np.full_like(f, b)], axis=1))
    idx = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)
    measured = np.linalg.norm(joints3d[idx[:, 0], idx[:, 2]] - joints3d[idx[:, 0], idx[:, 1]], axis=-1)
    return idx, measured


def fit_shape(full_pose: np.ndarray, expression: Optional[np.ndarray], model: BodyModel, uv: np.ndarray,
              weight: np.ndarray, camera_K: np.ndarray, transl_cam: np.ndarray,
              betas_start: Optional[np.ndarray] = None, options: Optional[ShapeFitOptions] = None, *,
              joints3d: Optional[np.ndarray] = None, weight3d: Optional[np.ndarray] = None) -> ShapeFit:
    """Fit one shape for the take to 2D keypoints (and optional 3D joints), pose and camera held.

    Args:
        full_pose: (T, 55, 3) axis-angle, hands flat-relative (schema v1), camera frame.
        expression: (T, E) or None.
        model: the output model; its own shape space is fitted.
        uv: (T, >=64, 2) keypoints in the :mod:`core.camera.points` layout (pixels, NaN where none).
        weight: (T, >=64) their weights (0 where none).
        camera_K: (3, 3) the camera; transl_cam: (T, 3) root translations (metres, camera frame).
        betas_start: (B,) the starting shape (zeros when None).
        options: :class:`ShapeFitOptions`.
        joints3d: (T, 55, 3) an estimator's 3D joints (any frame: only limb lengths are used), or None.
        weight3d: (T, 55) their weights (default 1 where finite).
    Returns:
        :class:`ShapeFit`; with too few keypoints the shape is left as it started (said in ``notes``).
    """
    from scipy.optimize import least_squares

    opts = options or ShapeFitOptions()
    started = time.perf_counter()
    n_all = model.num_betas
    nb = max(1, min(int(opts.max_betas), n_all))
    start = np.zeros(n_all)
    if betas_start is not None:
        b0 = np.asarray(betas_start, dtype=np.float64).reshape(-1)[:n_all]
        start[:b0.size] = b0
    K = np.asarray(camera_K, dtype=np.float64).reshape(3, 3)
    n_pts = SHAPE_POINTS.stop
    uv_all = np.asarray(uv, dtype=np.float64)[:, :n_pts]
    w_all = np.where(np.isfinite(uv_all).all(axis=-1), np.asarray(weight, dtype=np.float64)[:, :n_pts], 0.0)
    notes: list[str] = []
    rows = _frames(w_all, opts.max_frames)
    use = w_all[rows] > 0
    count = int(use.sum())
    has_3d = joints3d is not None
    if count < opts.min_points and not has_3d:
        notes.append(f"shape not fitted: {count} weighted keypoints, fewer than {opts.min_points}")
        return ShapeFit(betas=start, betas_start=start.copy(), fitted_betas=0, points=count, frames=int(rows.size),
                        reproj_px_before=None, reproj_px_after=None, notes=notes,
                        seconds=time.perf_counter() - started)

    pose = np.asarray(full_pose, dtype=np.float64)
    expr = None if expression is None else np.asarray(expression, dtype=np.float64)
    transl = np.asarray(transl_cam, dtype=np.float64)
    base, dirs = linear_points(pose[rows], None if expr is None else expr[rows], model, nb, start)
    f_idx, p_idx = np.nonzero(use)
    a_pts = base[f_idx, p_idx]                             # (M, 3) before translation
    t_pts = transl[rows][f_idx]                            # (M, 3) their frames' translations
    b_pts = np.moveaxis(dirs[:, f_idx, p_idx], 0, 2)       # (M, 3, nb)
    obs = uv_all[rows][f_idx, p_idx]                       # (M, 2)
    w = w_all[rows][f_idx, p_idx]
    sw = np.sqrt(w / w.mean()) / opts.robust_px            # (M,) per-point scale of the pixel residuals
    m2d = a_pts.shape[0]

    idx3, measured3 = np.zeros((0, 3), dtype=np.int64), np.zeros(0)
    if has_3d:
        j3 = np.asarray(joints3d, dtype=np.float64)
        w3 = np.where(np.isfinite(j3).all(axis=-1), 1.0, 0.0) if weight3d is None else \
            np.asarray(weight3d, dtype=np.float64)
        rows3 = _frames(w3, opts.max_frames)
        idx3, measured3 = _limb_3d(j3[rows3], w3[rows3])
        if idx3.size:
            # limb lengths are pose-dependent only for joints off one chain (shoulder and hip widths): pose held
            base3, dirs3 = linear_points(pose[rows3], None if expr is None else expr[rows3], model, nb, start)
            a3 = base3[idx3[:, 0], idx3[:, 2]] - base3[idx3[:, 0], idx3[:, 1]]          # (M3, 3)
            b3 = np.moveaxis(dirs3[:, idx3[:, 0], idx3[:, 2]] - dirs3[:, idx3[:, 0], idx3[:, 1]], 0, 2)
        else:
            notes.append("3D joints given, but no limb has both ends in them")
    prior = np.sqrt(opts.prior_weight * max(m2d, 1))

    free_depth = bool(opts.fit_translation)
    n_var = nb + 4 * int(free_depth)

    def points_at(x: np.ndarray) -> np.ndarray:
        moved = a_pts + np.einsum("mcb,b->mc", b_pts, x[:nb])
        return moved + np.exp(x[nb]) * t_pts + x[nb + 1:nb + 4] if free_depth else moved + t_pts

    def residuals(x: np.ndarray) -> np.ndarray:
        beta = x[:nb]
        parts = [((_project(points_at(x), K) - obs) * sw[:, None]).ravel()]
        if idx3.size:
            parts.append((np.linalg.norm(a3 + np.einsum("mcb,b->mc", b3, beta), axis=-1) - measured3)
                         / opts.metres_sigma)
        parts.append(prior * beta)
        return np.concatenate(parts)

    def jacobian(x: np.ndarray) -> np.ndarray:
        beta = x[:nb]
        proj = _projection_jacobian(points_at(x), K)
        jp = np.zeros((m2d, 2, n_var))
        jp[:, :, :nb] = np.einsum("mij,mjb->mib", proj, b_pts)
        if free_depth:
            jp[:, :, nb] = np.einsum("mij,mj->mi", proj, np.exp(x[nb]) * t_pts)
            jp[:, :, nb + 1:nb + 4] = proj
        parts = [(jp * sw[:, None, None]).reshape(-1, n_var)]
        if idx3.size:
            vec = a3 + np.einsum("mcb,b->mc", b3, beta)
            unit = vec / np.maximum(np.linalg.norm(vec, axis=-1, keepdims=True), 1e-9)
            parts.append(np.pad(np.einsum("mc,mcb->mb", unit, b3) / opts.metres_sigma,
                                ((0, 0), (0, n_var - nb))))
        parts.append(np.pad(prior * np.eye(nb), ((0, 0), (0, n_var - nb))))
        return np.concatenate(parts, axis=0)

    x0 = np.concatenate([start[:nb], np.zeros(4 * int(free_depth))])
    before = np.linalg.norm(_project(points_at(x0), K) - obs, axis=-1)
    body_px = _body_size_px(uv_all[rows], w_all[rows])
    if m2d and body_px > 0 and np.median(before) > opts.max_pose_error * body_px:
        notes.append(f"shape not fitted: the pose and camera miss the keypoints by {np.median(before):.1f} px "
                     f"(median), more than {opts.max_pose_error:.0%} of the body's {body_px:.0f} px: that is pose "
                     "error, which a shape fit would turn into a wrong body")
        return ShapeFit(betas=start, betas_start=start.copy(), fitted_betas=0, points=m2d, frames=int(rows.size),
                        reproj_px_before=float(np.median(before)), reproj_px_after=None, notes=notes,
                        seconds=time.perf_counter() - started)
    bound = np.concatenate([np.full(nb, float(opts.max_abs_beta)), np.full(n_var - nb, np.inf)])
    inside = np.clip(x0, -0.999 * bound, 0.999 * bound)
    result = least_squares(residuals, inside, jac=jacobian, bounds=(-bound, bound), loss="huber", f_scale=1.0,
                           method="trf", max_nfev=opts.max_iterations)
    beta = result.x[:nb]
    depth_scale = float(np.exp(result.x[nb])) if free_depth else 1.0
    offset = result.x[nb + 1:nb + 4] if free_depth else np.zeros(3)
    after = np.linalg.norm(_project(points_at(result.x), K) - obs, axis=-1)
    betas = start.copy()
    betas[:nb] = beta

    trows = transl[rows, None]
    limbs = _limb_report(base + trows, base + depth_scale * trows + offset, dirs, x0[:nb], beta, uv_all[rows],
                         w_all[rows], K, opts.min_limb_fraction)
    if idx3.size:
        for name, (a, b) in zip(LIMB_NAMES, LIMB_JOINTS):
            sel = (idx3[:, 1] == a) & (idx3[:, 2] == b)
            if not sel.any():
                continue
            model_m = np.linalg.norm(a3[sel] + np.einsum("mcb,b->mc", b3[sel], beta), axis=-1)
            entry = limbs.setdefault(name, {})
            entry.update({"measured_m": float(np.median(measured3[sel])), "model_m": float(np.median(model_m)),
                          "rel_m": float(np.median(model_m / measured3[sel]) - 1.0)})
        notes.append(f"3D limb lengths: {idx3.shape[0]} frame-limbs from the given 3D joints")
    if nb < n_all:
        notes.append(f"fitted the first {nb} of the model's {n_all} betas")
    if free_depth:
        notes.append(f"translations scaled by {depth_scale:.4f} and moved by {np.round(offset, 4).tolist()} m with the "
                     "shape: through one camera a body's size and its distance trade off (the shape prior, the "
                     "model's mean body, sets the size), and betas that move the whole skeleton trade off with the "
                     "translation")
    return ShapeFit(betas=betas, betas_start=start, fitted_betas=nb, points=m2d, frames=int(rows.size),
                    reproj_px_before=float(np.median(before)) if m2d else None,
                    reproj_px_after=float(np.median(after)) if m2d else None, limbs=limbs, depth_scale=depth_scale,
                    transl_offset=offset,
                    seconds=time.perf_counter() - started, iterations=int(result.nfev), notes=notes)


def _limb_report(base_before: np.ndarray, base_after: np.ndarray, dirs: np.ndarray, beta_before: np.ndarray,
                 beta_after: np.ndarray, uv: np.ndarray, weight: np.ndarray, camera_K: np.ndarray,
                 min_fraction: float) -> dict[str, dict]:
    """:attr:`ShapeFit.limbs` from the affine points (frames used, translated) before and after."""
    out: dict[str, dict] = {}
    before = limb_agreement_2d(base_before + np.einsum("btpc,b->tpc", dirs, beta_before), camera_K, uv, weight,
                               min_fraction)
    after = limb_agreement_2d(base_after + np.einsum("btpc,b->tpc", dirs, beta_after), camera_K, uv, weight,
                              min_fraction)
    for name, entry in after.items():
        out[name] = {"measured_px": entry["measured_px"], "model_px_before": before[name]["model_px"],
                     "model_px_after": entry["model_px"], "rel_before": before[name]["rel"],
                     "rel_after": entry["rel"], "frames": entry["frames"]}
    return out


def keypoint_evidence(evidence: Any) -> tuple[np.ndarray, np.ndarray]:
    """(T, 65, 2) and (T, 65): the evidence of the groups a detector's 2D keypoints cover (their ``sources`` say so),
    weight 0 elsewhere: the crop cameras' evidence renders the estimators' own bodies, not the person's."""
    weight = np.zeros_like(evidence.weight)
    for group in KEYPOINT_GROUPS:
        if str(evidence.sources.get(group, "")).startswith("2D keypoints"):
            sl = POINT_GROUPS[group]
            weight[:, sl] = evidence.weight[:, sl]
    return evidence.uv, weight


def estimate_joints3d(body: Any, seq: FusedSequence) -> Optional[np.ndarray]:
    """(T, 55, 3) a body estimate's own 3D joints on the sequence's rows (NaN where it has none), when it carries
    them in smplx's joint order (``joint_layout`` ``smplx-*``, e.g. ExPose's 144; rows not ``valid`` left NaN), else
    None."""
    from .evidence import sequence_frame_ids
    from .keypoints2d import frame_rows

    joints = None if body is None else getattr(body, "joints_3d", None)
    if joints is None or not str(getattr(body, "joint_layout", "")).startswith("smplx"):
        return None
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1] < 55 or joints.shape[2] != 3:
        return None
    out = np.full((seq.num_frames, 55, 3), np.nan)
    row, matched = frame_rows(sequence_frame_ids(seq), np.asarray(body.frame_ids, dtype=np.int64))
    matched &= np.asarray(body.valid, dtype=bool).reshape(-1)  # a reader zeroes the joints of invalid rows
    out[row[matched]] = joints[matched, :55]
    return out if np.isfinite(out).any() else None


def _plausible(focal_px: float, first_px: float) -> bool:
    """A refitted focal within a factor 1.5 of the first fit's (which passed the command's plausibility rule)."""
    return bool(np.isfinite(focal_px)) and first_px / 1.5 <= focal_px <= first_px * 1.5


def fit_builtin_shape(seq: FusedSequence, model: BodyModel, evidence: Any, fit: Any, camera_options: Any,
                      options: Optional[ShapeFitOptions] = None, *, body: Any = None
                      ) -> tuple[FusedSequence, Any, dict]:
    """``fit-camera``'s shape step: on a built-in model with 2D keypoints, fit the take's shape (camera held), then
    refit the camera's translations with it (the focal held at the fit's).

    Args:
        seq: the fused sequence; model: its model; evidence: :class:`core.camera.evidence.Evidence`.
        fit: the camera fit (:class:`core.camera.result.CameraFit`) on ``seq``'s current shape.
        camera_options: the :class:`core.camera.fit_common.FitOptions` of that fit (reused for the refit).
        options: :class:`ShapeFitOptions`.
        body: the body estimate (:class:`core.contracts.estimates.BodyEstimate`) or None: its own 3D joints, where
            it carries them (ExPose), add the limbs' lengths in metres (:func:`estimate_joints3d`).
    Returns:
        ``(seq, fit, record)``: the sequence with the fitted ``betas``, the refitted camera (its ``reproj_before_px``
        still the original camera's), and the JSON record for the provenance (``fitted`` False with the reason when
        nothing was fitted: SMPL-X's own model keeps the estimator's betas; no keypoints, no shape).
    """
    from .fit import fit_camera
    from .fit_common import ImplausibleFocalError
    from .points import sequence_points

    space = model_shape_space(model)
    if space == SMPLX_SHAPE_SPACE:
        return seq, fit, {"fitted": False, "shape_space": space,
                          "reason": "SMPL-X's own model: the estimator's betas (SMPL-X's shape space) are kept"}
    uv, weight = keypoint_evidence(evidence)
    if not (weight > 0).any():
        return seq, fit, {"fitted": False, "shape_space": space,
                          "reason": "no 2D keypoints: nothing measures the body (give --keypoints2d to fit it)"}
    joints3d = estimate_joints3d(body, seq)
    opts = options or ShapeFitOptions()
    shaped, current, shape, focal_free = seq, fit, None, fit.focal_source == "fit"
    seconds, iterations = fit.seconds, fit.iterations
    for _ in range(max(1, opts.rounds)):  # shape with the camera held, then the camera with the shape held
        shape = fit_shape(shaped.full_pose(), shaped.expression, model, uv, weight, current.camera_K,
                          current.transl_cam, shaped.betas, opts, joints3d=joints3d)
        if shape.fitted_betas == 0:
            break
        shaped = replace(shaped, betas=shape.betas)
        points = sequence_points(shaped, model)
        start_transl = current.transl_cam * shape.depth_scale + shape.transl_offset
        held = replace(camera_options, focal_px=float(current.focal_px))
        try:
            refit = fit_camera(points, evidence, start_transl, current.camera_K, camera_options) if focal_free \
                else None
        except ImplausibleFocalError:
            refit = None
        if refit is None or not _plausible(refit.focal_px, fit.focal_px):  # keep the first fit's focal
            refit = fit_camera(points, evidence, start_transl, current.camera_K, held)
        current = refit
        seconds, iterations = seconds + shape.seconds + refit.seconds, iterations + refit.iterations
    record = {"fitted": shape.fitted_betas > 0, "shape_space": space,
              "joints3d": "the body estimate's 3D joints (limb lengths, metres)" if joints3d is not None else None,
              **shape.summary()}
    if shape.fitted_betas == 0:
        kept = f"built-in model: the shape is kept as fused ({shape.notes[0]})"
        return seq, replace(fit, notes=list(fit.notes) + [kept]), record
    note = (f"shape fitted on the built-in model ({shape.fitted_betas} betas, {shape.points} keypoints over "
            f"{shape.frames} frames, {opts.rounds} rounds of shape then camera): keypoint error "
            f"{record['reproj_px_before']} -> {record['reproj_px_after']} px, largest limb disagreement "
            f"{record['limb_rel_err_max']}; focal {fit.focal_px:.1f} -> {current.focal_px:.1f} px")
    refit = replace(current, focal_source=fit.focal_source, reproj_before_px=fit.reproj_before_px,
                    iterations=iterations, seconds=seconds, notes=list(fit.notes) + [note])
    record["camera_refit"] = {"focal_px_before": round(float(fit.focal_px), 3),
                              "focal_px_after": round(float(current.focal_px), 3)}
    return shaped, refit, record


__all__ = ["SHAPE_POINTS", "KEYPOINT_GROUPS", "ShapeFitOptions", "ShapeFit", "linear_points", "limb_agreement_2d",
           "fit_shape", "keypoint_evidence", "estimate_joints3d", "fit_builtin_shape"]
