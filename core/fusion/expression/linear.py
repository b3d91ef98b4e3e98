"""Linear least-squares expression mappers: closed form, precomputed; optional Tikhonov; a bounded variant.

For a :class:`.mapping.FacePair` with M corresponding vertices and weights W (the face mask):

* inputs ``x = [e (Ks), vec(R(jaw) - I) (9)]`` (:func:`.mapping.mapper_inputs`);
* what the target must show, linearised: ``X x`` with ``X = [F, D_src - D_tgt]`` (3M x (Ks + 9)): F the source's
  expression directions, D the jaw fields of each model (:meth:`LinearFaceModel.jaw_fields`: its jaw skinning and
  pose correctives per entry of ``vec(R - I)``, linear in it; zero for a rig without a jaw bone). The
  target's own jaw bone already shows ``D_tgt``; the expression makes up the difference;
* ``w = argmin ||W^1/2 (S w - X x)||^2 + lambda ||w||^2 = (S^T W S + lambda I)^-1 S^T W X x`` = ``matrix @ x``,
  one (Kt x (Ks + 9)) matrix, computed once. lambda is relative to the mean diagonal of ``S^T W S``;
  ``tikhonov="auto"`` picks it on held-out frames (the smallest vertex error over a grid).
* bounded (``linear_bounded``): the same objective with ``lo <= w <= hi`` per frame (ARKit and facial-action rigs:
  [0, 1]), solved with ``scipy.optimize.lsq_linear`` on the Cholesky-reduced system ``||L^T w - L^-1 b||``
  (``G = S^T W S + lambda I = L L^T``, ``b = S^T W X x``; equal to the vertex objective up to a constant), or, where
  scipy is missing (Blender), by a batched projected-gradient (FISTA) solver in numpy. Plain ``linear`` on a
  bounded target clips the unbounded solution.

What no linear map captures: the bilinear ``expression x jaw`` terms (each model's jaw rotates its own
expression-displaced vertices with its own weights; the target's regressed jaw joint moves with its expression)
and the jaw rotating its own pose correctives (second order). :class:`ProjectionMapper` handles all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .mapping import (
    NUM_JAW_FEATURES,
    ExpressionMapper,
    FacePair,
    jaw_features,
    mapper_inputs,
    model_arrays,
    model_from_arrays,
)

TIKHONOV_GRID: tuple[float, ...] = (0.0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1)
_ZERO_COLUMN_RIDGE = 1e-9  # keeps G positive definite when a target direction is empty (eyeLook*, tongueOut)


def linear_system(pair: FacePair) -> tuple[np.ndarray, np.ndarray]:
    """``(G, C)``: G = S^T W S (Kt, Kt) and C = S^T W X (Kt, Ks + 9) of the pair (see the module notes)."""
    sw = np.sqrt(pair.weights)[:, None, None]
    s = (pair.target.dirs * sw).reshape(-1, pair.target.num_coefficients)
    x = np.concatenate([pair.source.dirs, pair.source.jaw_fields() - pair.target.jaw_fields()], axis=2)
    x = (x * sw).reshape(-1, x.shape[2])
    return s.T @ s, s.T @ x


def _regularised(gram: np.ndarray, tikhonov: float) -> np.ndarray:
    k = gram.shape[0]
    mean_diag = float(np.trace(gram)) / max(k, 1)
    return gram + (float(tikhonov) + _ZERO_COLUMN_RIDGE) * mean_diag * np.eye(k)


def _box_qp_active_set(gram: np.ndarray, b: np.ndarray, lo: float, hi: float, start: np.ndarray,
                       max_iterations: int = 500) -> Optional[np.ndarray]:
    """One frame of ``argmin_{lo <= w <= hi} w^T G w - 2 b^T w`` by the primal active-set method (Nocedal and
    Wright, algorithm 16.3, for bounds): feasible iterates, the objective never rises. None if it did not finish."""
    k = b.shape[0]
    w = np.clip(start, lo, hi)
    at_lo, at_hi = w <= lo, w >= hi
    scale = max(float(np.abs(np.diag(gram)).max()), 1e-300)
    for _ in range(max_iterations):
        free = ~(at_lo | at_hi)
        target = w.copy()
        if free.any():
            fixed = ~free
            target[free] = np.linalg.solve(gram[np.ix_(free, free)], b[free] - gram[np.ix_(free, fixed)] @ w[fixed])
        step = target - w
        if np.abs(step).max(initial=0.0) <= 1e-13 * max(1.0, float(np.abs(w).max(initial=0.0))):
            grad = gram @ w - b
            viol = np.where(at_lo, -grad, 0.0) + np.where(at_hi, grad, 0.0)  # > 0: the bound holds w back wrongly
            j = int(np.argmax(viol)) if k else 0
            if k == 0 or viol[j] <= 1e-12 * scale:
                return w
            at_lo[j] = at_hi[j] = False
            continue
        alpha, block, block_hi = 1.0, -1, False
        for i in np.flatnonzero(free & (step != 0.0)):
            limit = ((hi - w[i]) if step[i] > 0 else (lo - w[i])) / step[i]
            if limit < alpha:
                alpha, block, block_hi = limit, i, step[i] > 0
        w = np.clip(w + max(alpha, 0.0) * step, lo, hi)
        if block >= 0:
            w[block] = hi if block_hi else lo
            at_hi[block], at_lo[block] = block_hi, not block_hi
    return None


def _box_qp_fista(gram: np.ndarray, b: np.ndarray, lo: float, hi: float, start: np.ndarray,
                  iterations: int = 20000, tol: float = 1e-12) -> np.ndarray:
    """Projected gradient with Nesterov momentum and Jacobi scaling; one frame (K,) or a batch (T, K)."""
    d = 1.0 / np.sqrt(np.maximum(np.diag(gram), 1e-300))
    g = gram * d[:, None] * d[None, :]
    bs = b * d
    lo_u, hi_u = lo / d, hi / d
    step = 1.0 / float(np.linalg.eigvalsh(g)[-1])
    u = np.clip(start / d, lo_u, hi_u)
    z, tk = u.copy(), 1.0
    for _ in range(iterations):
        u_new = np.clip(z - step * (z @ g - bs), lo_u, hi_u)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * tk * tk))
        z = u_new + ((tk - 1.0) / t_new) * (u_new - u)
        change = float(np.abs(u_new - u).max()) if u.size else 0.0
        u, tk = u_new, t_new
        if change < tol:
            break
    return u * d


def solve_bounded(gram: np.ndarray, rhs: np.ndarray, lo: float, hi: float, solver: str = "auto",
                  start: Optional[np.ndarray] = None) -> np.ndarray:
    """Per frame ``argmin_{lo <= w <= hi} w^T G w - 2 w^T b`` -> (T, K).

    Args:
        gram: (K, K) positive definite, shared by all frames, or (T, K, K) one per frame.
        rhs: (T, K) b per frame.
        solver: ``"lsq_linear"`` (scipy, per frame on the Cholesky-reduced system), ``"numpy"`` (primal active set
            per frame, projected gradient if it ever ran out of iterations; for Blender, which has no scipy), or
            ``"auto"`` (scipy where importable).
        start: (T, K) warm start (default: the clipped unbounded solution).
    """
    b = np.atleast_2d(np.asarray(rhs, dtype=np.float64))
    grams = np.asarray(gram, dtype=np.float64)
    per_frame = grams.ndim == 3
    if solver == "auto":
        try:
            import scipy.optimize  # noqa: F401
            solver = "lsq_linear"
        except ImportError:
            solver = "numpy"
    out = np.empty_like(b)
    if solver == "lsq_linear":
        from scipy.optimize import lsq_linear

        chol = None if per_frame else np.linalg.cholesky(grams)
        for t in range(b.shape[0]):
            c = np.linalg.cholesky(grams[t]) if per_frame else chol
            out[t] = lsq_linear(c.T, np.linalg.solve(c, b[t]), bounds=(lo, hi), method="bvls", tol=1e-12).x
        return np.clip(out, lo, hi)  # bvls can overshoot a bound by rounding (1e-16)
    if solver != "numpy":
        raise ValueError(f"unknown bounded solver {solver!r} (auto, lsq_linear, numpy)")
    if start is None:
        start = np.linalg.solve(grams, b[..., None])[..., 0] if per_frame else np.linalg.solve(grams, b.T).T
    for t in range(b.shape[0]):
        g = grams[t] if per_frame else grams
        w = _box_qp_active_set(g, b[t], lo, hi, start[t])
        out[t] = _box_qp_fista(g, b[t], lo, hi, start[t]) if w is None else np.clip(w, lo, hi)
    return out


@dataclass(repr=False)
class LinearMapper(ExpressionMapper):
    """``w = matrix @ [e, vec(R - I)]`` (clipped to ``bounds`` if any), or per-frame bounded least squares.

    Attributes:
        method: ``"linear"`` or ``"linear_bounded"``.
        matrix: (Kt, Ks + 9) the unbounded closed-form solution.
        gram: (Kt, Kt) regularised ``S^T W S`` and cross: (Kt, Ks + 9) ``S^T W X`` (the bounded solve uses them).
        tikhonov: the relative ridge used.
        solver: the bounded solver (:func:`solve_bounded`).
        selection: with ``tikhonov="auto"``, the held-out face vertex error (mm) of every grid value; else None.
    """

    method: str
    target: str
    num_source: int
    num_target: int
    bounds: Optional[tuple[float, float]]
    target_names: Optional[tuple[str, ...]]
    note: str
    matrix: np.ndarray
    gram: np.ndarray
    cross: np.ndarray
    tikhonov: float
    solver: str = "auto"
    selection: Optional[dict] = None

    def map(self, expression: np.ndarray, jaw_aa: Optional[np.ndarray] = None) -> np.ndarray:
        """(T, Ks) source expression, (T, 3) jaw or None -> (T, Kt) target coefficients."""
        x = mapper_inputs(expression, jaw_aa, self.num_source)
        w = x @ self.matrix.T
        if self.bounds is None:
            return w
        lo, hi = self.bounds
        if self.method == "linear_bounded":
            return solve_bounded(self.gram, x @ self.cross.T, lo, hi, self.solver, start=w)
        return np.clip(w, lo, hi)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"matrix": self.matrix, "gram": self.gram, "cross": self.cross, "tikhonov": np.array(self.tikhonov)}

    @classmethod
    def from_arrays(cls, header: dict, arrays: dict[str, np.ndarray]) -> "LinearMapper":
        bounds = header.get("bounds")
        names = header.get("target_names")
        return cls(method=header["method"], target=header["target"], num_source=int(header["num_source"]),
                   num_target=int(header["num_target"]), bounds=None if bounds is None else tuple(bounds),
                   target_names=None if names is None else tuple(names), note=header.get("note", ""),
                   matrix=arrays["matrix"], gram=arrays["gram"], cross=arrays["cross"],
                   tikhonov=float(arrays["tikhonov"]))


def _build(pair: FacePair, gram: np.ndarray, cross: np.ndarray, tikhonov: float, bounded: bool,
           solver: str) -> LinearMapper:
    g = _regularised(gram, tikhonov)
    matrix = np.linalg.solve(g, cross)
    tgt = pair.target
    method = "linear_bounded" if bounded else "linear"
    what = "per-frame bounded least squares" if bounded else "closed-form least squares"
    if tgt.bounds is not None and not bounded:
        what += f", clipped to [{tgt.bounds[0]:g}, {tgt.bounds[1]:g}]"
    note = (f"{what} on {int((pair.weights > 0).sum())} face vertices, tikhonov {tikhonov:g}, "
            f"inputs {cross.shape[1] - NUM_JAW_FEATURES} expression + 9 jaw features")
    return LinearMapper(method=method, target=tgt.name, num_source=cross.shape[1] - NUM_JAW_FEATURES,
                        num_target=tgt.num_coefficients, bounds=tgt.bounds, target_names=tgt.names, note=note,
                        matrix=matrix, gram=g, cross=cross, tikhonov=float(tikhonov), solver=solver)


def fit_linear(pair: FacePair, tikhonov: "float | str" = 0.0, bounded: bool = False,
               validation: Optional[tuple[np.ndarray, np.ndarray]] = None,
               grid: Sequence[float] = TIKHONOV_GRID, solver: str = "auto") -> LinearMapper:
    """Fit a linear mapper on ``pair``.

    Args:
        tikhonov: relative ridge weight, or ``"auto"``: the grid value with the smallest face vertex error on
            ``validation`` = (expression (T, Ks), jaw (T, 3)) held-out frames (required then).
        bounded: per-frame bounded solve (needs ``pair.target.bounds``).
        solver: bounded solver (see :func:`solve_bounded`).
    Returns:
        :class:`LinearMapper`; with ``"auto"``, ``mapper.note`` names the choice and the held-out error of every
        grid value is kept in ``mapper.selection``.
    """
    if bounded and pair.target.bounds is None:
        raise ValueError(f"{pair.target.name} has no bounds; the bounded variant needs them")
    gram, cross = linear_system(pair)
    if tikhonov != "auto":
        return _build(pair, gram, cross, float(tikhonov), bounded, solver)
    if validation is None:
        raise ValueError("tikhonov='auto' needs validation frames (expression, jaw)")
    expr, jaw = validation
    scores = {}
    best: Optional[LinearMapper] = None
    for lam in grid:
        mapper = _build(pair, gram, cross, lam, bounded, solver)
        scores[lam] = pair.score(mapper.map(expr, jaw), expr, jaw)["vertex_mm"]
        if best is None or scores[lam] < scores[best.tikhonov] - 1e-12:
            best = mapper
    assert best is not None
    best.note += f" (chosen on {expr.shape[0]} held-out frames from {list(grid)})"
    best.selection = {float(k): float(v) for k, v in scores.items()}
    return best


class ProjectionMapper(ExpressionMapper):
    """Per-frame least squares on the exact posed faces: the best any mapper of these inputs can do on the face.

    For each frame, the source face ``y(e, jaw)`` is evaluated exactly (expression, jaw pose correctives, the jaw
    rotating the expression-displaced mesh), and the target coefficients minimise the weighted vertex error of the
    target's posed face ``c(jaw) + A(jaw) w`` (affine in w: the target's jaw bone rotates its own expression, and
    its regressed jaw joint moves with it). Normal equations per frame, assembled from precomputed blocks::

        A = S + w_jaw * (R - I) (S - J_dirs)           (per vertex, component a: S_a + w_jaw sum_b phi_ab Q_b)
        A^T W A = G + sum_ab phi_ab (H_ab + H_ab^T) + sum_a sum_bc phi_ab phi_ac Y_bc
        A^T W (y - c) = S^T W r + sum_ab phi_ab (w_jaw Q_b)^T W r_a

    with ``G = S^T W S``, ``H_ab = (w_jaw S_a)^T W Q_b``, ``Y_bc = Q_b^T W w_jaw^2 Q_c``. Bounded targets solve the
    same per-frame quadratic within the bounds (:func:`solve_bounded`). Since the target is affine in its
    coefficients for a given jaw, this per-frame minimum is a lower bound on the vertex error of *every* mapper
    (linear or learned) fed the same frame; it needs the source model at run time (saved with the mapper).
    """

    def __init__(self, pair: FacePair, tikhonov: float = 0.0, solver: str = "auto", chunk: int = 256) -> None:
        p = pair.compact()
        self.pair, self.tikhonov, self.solver, self.chunk = p, float(tikhonov), solver, int(chunk)
        tgt = p.target
        self.method, self.target = "projection", tgt.name
        self.num_source, self.num_target = p.source.num_coefficients, tgt.num_coefficients
        self.bounds, self.target_names = tgt.bounds, tgt.names
        self.note = (f"per-frame least squares on the exact posed face ({int((p.weights > 0).sum())} vertices"
                     f"{', bounded' if tgt.bounds else ''}), tikhonov {tikhonov:g}")
        w = p.weights
        s = tgt.dirs
        self._ws = s * w[:, None, None]
        self._gram = _regularised(np.einsum("mak,mal->kl", self._ws, s), tikhonov)
        self._jaw = tgt.has_jaw_bone
        if self._jaw:
            jd = tgt.jaw_joint_dirs if tgt.jaw_joint_dirs is not None else np.zeros((3, tgt.num_coefficients))
            q = s - jd[None]
            wt = tgt.jaw_weights
            self._h = np.einsum("mak,mbl->abkl", self._ws * wt[:, None, None], q)
            self._y = np.einsum("mbk,mcl->bckl", q * (w * wt * wt)[:, None, None], q)
            self._wwq = q * (w * wt)[:, None, None]
            self._hh = self._h + np.swapaxes(self._h, -1, -2)

    def normal_equations(self, expression: np.ndarray, jaw_aa: Optional[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(T, Ks), (T, 3) -> per-frame ``A^T W A`` (T, K, K) (or the shared (K, K) without a jaw bone) and
        ``A^T W (y - c)`` (T, K)."""
        e = np.asarray(expression, dtype=np.float64).reshape(-1, expression.shape[-1])[:, :self.num_source]
        if e.shape[1] < self.num_source:
            e = np.pad(e, ((0, 0), (0, self.num_source - e.shape[1])))
        t = e.shape[0]
        jaw = np.zeros((t, 3)) if jaw_aa is None else np.asarray(jaw_aa, dtype=np.float64).reshape(t, 3)
        y = self.pair.source.displacement(e, jaw)
        c = self.pair.target.displacement(np.zeros((t, self.num_target)), jaw)
        r = y - c
        rhs = r.reshape(t, -1) @ self._ws.reshape(-1, self.num_target)
        if not self._jaw:
            return self._gram, rhs
        phi = jaw_features(jaw).reshape(t, 3, 3)
        for b in range(3):
            rhs += np.einsum("ta,tma->tm", phi[:, :, b], r) @ self._wwq[:, b, :]
        k = self.num_target
        quad = np.einsum("tab,tac->tbc", phi, phi).reshape(t, 9)
        gram = self._gram[None] + (phi.reshape(t, 9) @ self._hh.reshape(9, k * k)
                                   + quad @ self._y.reshape(9, k * k)).reshape(t, k, k)
        return gram, rhs

    def map(self, expression: np.ndarray, jaw_aa: Optional[np.ndarray] = None) -> np.ndarray:
        """(T, Ks) source expression, (T, 3) jaw or None -> (T, Kt), in chunks of frames."""
        e = np.asarray(expression, dtype=np.float64)
        e = e.reshape(-1, e.shape[-1])
        out = np.empty((e.shape[0], self.num_target))
        for lo_t in range(0, e.shape[0], self.chunk):
            hi_t = min(e.shape[0], lo_t + self.chunk)
            gram, rhs = self.normal_equations(e[lo_t:hi_t], None if jaw_aa is None else
                                              np.asarray(jaw_aa, dtype=np.float64).reshape(-1, 3)[lo_t:hi_t])
            if gram.ndim == 2:
                w = np.linalg.solve(gram, rhs.T).T
            else:
                w = np.linalg.solve(gram, rhs[..., None])[..., 0]
            if self.bounds is not None:
                w = solve_bounded(gram, rhs, self.bounds[0], self.bounds[1], self.solver, start=w)
            out[lo_t:hi_t] = w
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        return {**model_arrays(self.pair.source, "src_"), **model_arrays(self.pair.target, "tgt_"),
                "weights": self.pair.weights, "tikhonov": np.array(self.tikhonov)}

    @classmethod
    def from_arrays(cls, header: dict, arrays: dict[str, np.ndarray]) -> "ProjectionMapper":
        pair = FacePair(source=model_from_arrays(arrays, "src_"), target=model_from_arrays(arrays, "tgt_"),
                        weights=arrays["weights"], landmark_index=np.zeros((0, 3), dtype=np.int64),
                        landmark_bary=np.zeros((0, 3)))
        mapper = cls(pair, float(arrays["tikhonov"]))
        mapper.note = header.get("note", mapper.note)
        return mapper


def fit_projection(pair: FacePair, tikhonov: float = 0.0, solver: str = "auto") -> ProjectionMapper:
    """:class:`ProjectionMapper` for ``pair`` (nothing to fit beyond the precomputed blocks)."""
    return ProjectionMapper(pair, tikhonov, solver)


__all__ = ["TIKHONOV_GRID", "linear_system", "solve_bounded", "LinearMapper", "fit_linear", "ProjectionMapper",
           "fit_projection"]
