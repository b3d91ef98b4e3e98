"""The pose refinement's least-squares solver: Levenberg-Marquardt with an analytic Jacobian, batched over frames.
numpy only (no torch, no per-frame Python loops).

Unknowns: per frame the translation ``transl_t`` (3, metres, camera frame) and a correction ``delta_tk`` (3,
axis-angle, radians) of each free joint's local rotation, ``R_tk = R_fused_tk @ exp([delta_tk]x)``; shared by all
frames the focal (as ``log f``) when it is fitted. Objective (pixels squared; :func:`objective`):
``sum_tp w_tp c^2 log(1 + |pi(x_tp) - uv_tp|^2 / c^2)`` (Cauchy, scale ``c``)
``+ sum_tk prior_k |delta_tk|^2 + smooth_weight sum_tk prior_k |delta_tk - delta_t-1,k|^2``
``+ transl_smooth_weight sum_t s_t^2 |transl_t+1 - 2 transl_t + transl_t-1|^2`` (``s_t`` the start's pixels per
metre at the pelvis, held fixed so the term stays quadratic).

Each step linearises the projections (iteratively reweighted for the Cauchy loss): a point ``x`` carried by free
joint ``k`` (position ``p_k``, global rotation ``G_k``) moves by ``-[x - p_k]x G_k J_r(delta_k) d(delta_k)`` (``J_r``
the right Jacobian of the exponential map), so each frame's normal-equation block comes from sums over the
joints' subtrees. The frames couple only through the two smoothness terms and the focal; the step is solved by
conjugate gradients, preconditioned by the exact solve of everything but the corrections' smoothness (each frame's
corrections eliminated by a blocked Cholesky, the translations' banded system over frames with their smoothness,
the focal as its border), so a step takes a handful of iterations (the corrections' smoothness is weak).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np

from ..body.chains import closure, forward_kinematics
from ..body.skeleton import PARENTS
from ..rotations import axis_angle_to_matrix


@dataclass
class RefineProblem:
    """What the solver fits (arrays over T frames, P used points, K free joints).

    Attributes:
        local_fused: (T, 55, 3, 3) the estimator's local joint rotations (camera frame for the root).
        rest_joints: (T, 55, 3) rest joints (shape and expression offsets), metres.
        point_joint, point_offset: (P,) and (P, 3) each point's joint and rest offset from it.
        uv: (T, P, 2) observed pixels (anything where weight is 0); weight: (T, P) >= 0.
        centre: (2,) the principal point, pixels.
        free: (K,) the joints corrected, ascending (parents first); prior: (K,) the prior's weight per joint.
        smooth_weight, transl_smooth_weight, robust_px: see the module notes.
        transl_scale: (T,) pixels per metre at the pelvis for the translation smoothness.
        fit_focal: whether the focal is an unknown.
    """

    local_fused: np.ndarray
    rest_joints: np.ndarray
    point_joint: np.ndarray
    point_offset: np.ndarray
    uv: np.ndarray
    weight: np.ndarray
    centre: np.ndarray
    free: np.ndarray
    prior: np.ndarray
    smooth_weight: float
    transl_smooth_weight: float
    robust_px: float
    transl_scale: np.ndarray
    fit_focal: bool


@dataclass
class RefineState:
    """delta: (T, K, 3) corrections, radians; transl: (T, 3) metres; log_focal: log of the focal in pixels."""

    delta: np.ndarray
    transl: np.ndarray
    log_focal: float


@dataclass
class SolveResult:
    """The solver's end state, its objective at the start and the end, and its number of linearisations."""

    state: RefineState
    loss_initial: float
    loss_final: float
    iterations: int


def _skew(v: np.ndarray) -> np.ndarray:
    """(..., 3) -> (..., 3, 3) the cross-product matrix ``[v]x``."""
    out = np.zeros(v.shape[:-1] + (3, 3))
    out[..., 0, 1], out[..., 0, 2] = -v[..., 2], v[..., 1]
    out[..., 1, 0], out[..., 1, 2] = v[..., 2], -v[..., 0]
    out[..., 2, 0], out[..., 2, 1] = -v[..., 1], v[..., 0]
    return out


def right_jacobian(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) -> (..., 3, 3) ``J_r`` with ``exp(v + e) ~ exp(v) exp(J_r(v) e)``:
    ``I - (1 - cos t) / t^2 [v]x + (t - sin t) / t^3 [v]x^2`` (series near zero)."""
    theta2 = np.einsum("...i,...i->...", rotvec, rotvec)
    theta = np.sqrt(theta2)
    small = theta < 1e-4
    safe = np.where(small, 1.0, theta)
    a = np.where(small, 0.5 - theta2 / 24.0, (1.0 - np.cos(safe)) / safe ** 2)
    b = np.where(small, 1.0 / 6.0 - theta2 / 120.0, (safe - np.sin(safe)) / safe ** 3)
    k = _skew(rotvec)
    return np.eye(3) - a[..., None, None] * k + b[..., None, None] * (k @ k)


class _Kinematics:
    """Forward kinematics of the used points and the chain structure the Jacobian needs."""

    def __init__(self, problem: RefineProblem) -> None:
        self.p = problem
        self.needed = closure(np.concatenate([[0], problem.free]).astype(np.int64))
        k = problem.free.shape[0]
        is_free = np.zeros(PARENTS.shape[0], dtype=bool)
        is_free[problem.free] = True
        slot = np.full(PARENTS.shape[0], -1, dtype=np.int64)
        slot[problem.free] = np.arange(k)
        offset = np.abs(problem.point_offset).max(axis=-1) > 0
        pairs_p, pairs_s = [], []
        anchor = np.zeros(problem.point_joint.shape[0], dtype=np.int64)
        for i, (j, has_offset) in enumerate(zip(problem.point_joint, offset)):  # over points, never frames
            cur = int(j) if has_offset else int(PARENTS[j])
            while cur >= 0:
                if is_free[cur]:
                    if not pairs_p or pairs_p[-1] != i:
                        anchor[i] = cur
                    pairs_p.append(i)
                    pairs_s.append(int(slot[cur]))
                cur = int(PARENTS[cur])
        # each point rides rigidly on its nearest free ancestor (the root where none): its offset in that joint's
        # frame, from the fused pose, so the kinematics only runs over the free joints and their ancestors
        rots0, pos0 = forward_kinematics(problem.local_fused, problem.rest_joints,
                                         closure(np.concatenate([problem.point_joint, [0]]).astype(np.int64)))
        j = problem.point_joint
        points0 = pos0[:, j] + np.einsum("tpab,pb->tpa", rots0[:, j], problem.point_offset)
        self.anchor = anchor
        self.anchor_offset = np.einsum("tpba,tpb->tpa", rots0[:, anchor], points0 - pos0[:, anchor])   # (T, P, 3)
        self._cache: Optional[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]] = None
        #: (K, P) 1 where free joint k's rotation moves point p
        self.moved = np.zeros((k, problem.point_joint.shape[0]))
        self.moved[np.asarray(pairs_s, dtype=np.int64), np.asarray(pairs_p, dtype=np.int64)] = 1.0
        # pairs of free joints on one chain, the upper one first (the lower one's subtree is what both move)
        below = np.zeros((k, k), dtype=bool)  # below[a, b]: b is a or a descendant of a
        for b in range(k):
            cur = int(problem.free[b])
            while cur >= 0:
                if is_free[cur]:
                    below[slot[cur], b] = True
                cur = int(PARENTS[cur])
        self.upper_a, self.upper_b = np.nonzero(below)

    def pose(self, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(T, K, 3) corrections -> points (T, P, 3) before translation, global rotations (T, 55, 3, 3) and joint
        positions (T, 55, 3) (NaN outside the joints needed)."""
        if self._cache is not None and self._cache[0] is delta:
            return self._cache[1]
        p = self.p
        local = p.local_fused.copy()
        if p.free.shape[0]:
            local[:, p.free] = p.local_fused[:, p.free] @ axis_angle_to_matrix(delta)
        rots, pos = forward_kinematics(local, p.rest_joints, self.needed)
        a = self.anchor
        points = pos[:, a] + np.einsum("tpab,tpb->tpa", rots[:, a], self.anchor_offset)
        self._cache = (delta, (points, rots, pos))
        return points, rots, pos


def _project(points_cam: np.ndarray, focal: float, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, P, 3) camera-frame points -> pixels (T, P, 2) and the clamped depths (T, P)."""
    z = np.maximum(points_cam[..., 2], 1e-3)
    return focal * points_cam[..., :2] / z[..., None] + centre, z


def _smooth_parts(problem: RefineProblem, state: RefineState) -> tuple[float, float, float]:
    """(prior, corrections' smoothness, translation smoothness) terms of the objective."""
    prior = float(np.einsum("tkc,k->", state.delta ** 2, problem.prior))
    smooth = 0.0
    if state.delta.shape[0] >= 2 and problem.smooth_weight > 0:
        smooth = problem.smooth_weight * float(np.einsum("tkc,k->", np.diff(state.delta, axis=0) ** 2, problem.prior))
    tsmooth = 0.0
    if state.transl.shape[0] >= 3 and problem.transl_smooth_weight > 0:
        acc = state.transl[2:] - 2.0 * state.transl[1:-1] + state.transl[:-2]
        tsmooth = problem.transl_smooth_weight * float(((acc ** 2).sum(-1) * problem.transl_scale[1:-1] ** 2).sum())
    return prior, smooth, tsmooth


def pixels(problem: RefineProblem, state: RefineState) -> np.ndarray:
    """(T, P, 2) where the points land in the image at ``state``."""
    points, _, _ = _Kinematics(problem).pose(state.delta)
    return _project(points + state.transl[:, None], float(np.exp(state.log_focal)), problem.centre)[0]


def objective(problem: RefineProblem, state: RefineState, kin: Optional[_Kinematics] = None) -> float:
    """The objective of the module notes at ``state``."""
    kin = kin or _Kinematics(problem)
    points, _, _ = kin.pose(state.delta)
    uv, _ = _project(points + state.transl[:, None], float(np.exp(state.log_focal)), problem.centre)
    r2 = np.where(problem.weight > 0, ((uv - problem.uv) ** 2).sum(-1), 0.0)
    c2 = float(problem.robust_px) ** 2
    return float((problem.weight * np.log1p(r2 / c2)).sum() * c2) + sum(_smooth_parts(problem, state))


class _System:
    """One linearisation: the frame blocks, the focal's coupling, the gradient, and the smoothness operators.

    The blocks come from sums over each free joint's subtree of per-point terms (no (T, 2P, n) Jacobian): with
    ``Q_p = Pi_p^T W_p Pi_p`` (``Pi_p`` the projection's (2, 3) Jacobian, ``W_p`` the reweighted weight), the block
    of joints ``a`` (above) and ``b`` is ``M_a^T sum_p ([x_p]x - [q_a]x) Q_p (-[x_p]x + [q_b]x) M_b`` over b's
    subtree, ``q`` the joints' positions and ``M = G J_r``; written ``[M_a; -[q_a]x M_a]^T [U_b; V_b]`` with
    ``U_b``, ``V_b`` per joint, so a pair costs one (3, 6) x (6, 3) product.
    """

    def __init__(self, problem: RefineProblem, state: RefineState, kin: _Kinematics) -> None:
        p = problem
        t, k = state.delta.shape[:2]
        n = 3 + 3 * k
        self.n, self.t = n, t
        focal = float(np.exp(state.log_focal))
        points, rots, pos = kin.pose(state.delta)
        x = points + state.transl[:, None]
        uv, z = _project(x, focal, p.centre)
        use = p.weight > 0
        res = np.where(use[..., None], uv - p.uv, 0.0)                                       # (T, P, 2)
        c2 = float(p.robust_px) ** 2
        w_eff = np.where(use, p.weight / (1.0 + (res ** 2).sum(-1) / c2), 0.0)
        proj = np.zeros(x.shape[:2] + (2, 3))                                                  # d pixels / d x
        proj[..., 0, 0] = proj[..., 1, 1] = focal / z
        proj[..., :, 2] = -focal * x[..., :2] / (z ** 2)[..., None]
        proj_w = proj * w_eff[..., None, None]
        q_pt = np.matmul(proj.transpose(0, 1, 3, 2), proj_w)                                  # (T, P, 3, 3)
        e_pt = np.einsum("tpia,tpi->tpa", proj_w, res)                                        # (T, P, 3)
        b_pt = uv - p.centre                                                                   # d pixels / d log f
        f_pt = np.einsum("tpia,tpi->tpa", proj_w, b_pt)
        h = np.zeros((t, n, n))
        h5 = h.reshape(t, k + 1, 3, k + 1, 3)  # a view: block (a, b) of frame t is h5[t, a, :, b, :]
        h5[:, 0, :, 0, :] = q_pt.sum(axis=1)
        g = np.zeros((t, k + 1, 3))
        g[:, 0] = e_pt.sum(axis=1)
        b = np.zeros((t, k + 1, 3))
        b[:, 0] = f_pt.sum(axis=1)
        if k:
            skew_x = _skew(x)
            q_skew = q_pt @ skew_x

            def subtree_sum(values: np.ndarray) -> np.ndarray:
                """(T, P, ...) per point -> (T, K, ...) summed over the points each free joint moves."""
                return np.matmul(kin.moved, values.reshape(t, values.shape[1], -1)).reshape((t, k) + values.shape[2:])

            s0, s1 = subtree_sum(q_pt), subtree_sum(q_skew)
            s2 = subtree_sum(skew_x.transpose(0, 1, 3, 2) @ q_skew)
            se, sxe = subtree_sum(e_pt), subtree_sum(np.cross(x, e_pt))
            sf, sxf = subtree_sum(f_pt), subtree_sum(np.cross(x, f_pt))
            m = rots[:, p.free] @ right_jacobian(state.delta)                                   # (T, K, 3, 3)
            q = pos[:, p.free] + state.transl[:, None]                                          # (T, K, 3)
            skew_q = _skew(q)
            cross_block = (s0 @ skew_q - s1) @ m                                                # d transl, d delta
            h5[:, 0, :, 1:, :] = cross_block.transpose(0, 2, 1, 3)
            h5[:, 1:, :, 0, :] = cross_block.transpose(0, 1, 3, 2)
            # joint pairs (a above or at b): M_a^T [U_b + [q_a]x V_b] = [M_a; -[q_a]x M_a]^T [U_b; V_b], with
            # U_b = (S2 - S1^T [q_b]x) M_b and V_b = (S1 - S0 [q_b]x) M_b from b's subtree: one product a pair
            upper = np.concatenate([m, -(skew_q @ m)], axis=2)                                  # (T, K, 6, 3)
            lower = np.concatenate([(s2 - s1.transpose(0, 1, 3, 2) @ skew_q) @ m, -cross_block], axis=2)
            a, bb = kin.upper_a, kin.upper_b
            block = upper[:, a].transpose(0, 1, 3, 2) @ lower[:, bb]                            # (T, pairs, 3, 3)
            h5[:, 1 + a, :, 1 + bb, :] = block.transpose(1, 0, 2, 3)
            h5[:, 1 + bb, :, 1 + a, :] = block.transpose(1, 0, 3, 2)
            g[:, 1:] = np.einsum("tsba,tsb->tsa", m, sxe - np.cross(q, se))
            b[:, 1:] = np.einsum("tsba,tsb->tsa", m, sxf - np.cross(q, sf))
        self.h = h
        self.g = g.reshape(t, n)
        prior = np.repeat(p.prior, 3)
        idx = np.arange(3, n)
        self.h[:, idx, idx] += prior
        self.g[:, 3:] += state.delta.reshape(t, -1) * prior
        if p.fit_focal:
            self.b = b.reshape(t, n)
            self.cf = float((w_eff * (b_pt ** 2).sum(-1)).sum())
            self.gf = float((w_eff * (b_pt * res).sum(-1)).sum())
        else:
            self.b, self.cf, self.gf = np.zeros((t, n)), 1.0, 0.0
        # smoothness: corrections (first differences) and translations (second differences)
        self.d1 = np.zeros(n)
        self.d1[3:] = p.smooth_weight * prior if t >= 2 else 0.0
        self.w2 = p.transl_smooth_weight * p.transl_scale[1:-1] ** 2 if t >= 3 else np.zeros(0)
        self.g = self.g + self._smooth_apply(np.concatenate([state.transl, state.delta.reshape(t, -1)], axis=1))

    def _smooth_apply(self, v: np.ndarray) -> np.ndarray:
        """(T, n) -> (T, n): the smoothness terms' (half) Hessian times ``v``."""
        out = np.zeros_like(v)
        if self.t >= 2 and np.any(self.d1):
            step = (v[1:] - v[:-1]) * self.d1
            out[1:] += step
            out[:-1] -= step
        if self.t >= 3 and self.w2.size:
            acc = (v[2:, :3] - 2.0 * v[1:-1, :3] + v[:-2, :3]) * self.w2[:, None]
            out[2:, :3] += acc
            out[1:-1, :3] -= 2.0 * acc
            out[:-2, :3] += acc
        return out

    def _preconditioner(self, h: np.ndarray, cf: float) -> Callable[[np.ndarray, float], tuple[np.ndarray, float]]:
        """The exact solve of everything but the corrections' smoothness: each frame's corrections eliminated
        (batched Cholesky), the translations' banded system over frames with their smoothness (``solveh_banded``),
        the focal as its border (a Schur complement)."""
        from scipy.linalg import cho_solve_banded, cholesky_banded

        t = self.t
        d_factor = _BlockCholesky(h[:, 3:, 3:])
        c = h[:, :3, 3:]                                                                       # (T, 3, 3K)
        d_inv_ct = d_factor.solve(c.transpose(0, 2, 1))                              # (T, 3K, 3)
        d_inv_bd = d_factor.solve(self.b[:, 3:, None])[..., 0]                       # (T, 3K)
        reduced = h[:, :3, :3] - c @ d_inv_ct                                                   # (T, 3, 3)
        b_red = self.b[:, :3] - np.einsum("tij,tj->ti", c, d_inv_bd)
        c_red = cf - float((self.b[:, 3:] * d_inv_bd).sum())
        # banded (upper) form of the translations' system, unknowns ordered frame by frame (x, y, z)
        band = np.zeros((7, 3 * t))
        for off in range(3):
            band[6 - off, off:] = np.stack([reduced[:, i, i + off] if i + off < 3 else np.zeros(t)
                                            for i in range(3)], axis=1).reshape(-1)[:3 * t - off]
        if t >= 3 and self.w2.size:
            diag = np.zeros(t)
            diag[:-2] += self.w2
            diag[1:-1] += 4.0 * self.w2
            diag[2:] += self.w2
            band[6] += np.repeat(diag, 3)
            first = np.zeros(t - 1)   # frames t, t+1: -2 w(t-1) - 2 w(t)
            first[:-1] -= 2.0 * self.w2
            first[1:] -= 2.0 * self.w2
            band[3, 3:] += np.repeat(first, 3)
            band[0, 6:] += np.repeat(self.w2, 3)  # frames t, t+2
        factor = cholesky_banded(band)
        red_inv_b = cho_solve_banded((factor, False), b_red.reshape(-1)).reshape(t, 3)
        schur = c_red - float((b_red * red_inv_b).sum())

        def apply_p(r: np.ndarray, rf: float) -> tuple[np.ndarray, float]:
            y0 = d_factor.solve(r[:, 3:])
            r_tr = r[:, :3] - np.einsum("tij,tj->ti", c, y0)
            r_f = rf - float((self.b[:, 3:] * y0).sum())
            u0 = cho_solve_banded((factor, False), r_tr.reshape(-1)).reshape(t, 3)
            uf = (r_f - float((b_red * u0).sum())) / schur
            u = u0 - red_inv_b * uf
            out = np.empty_like(r)
            out[:, :3] = u
            out[:, 3:] = y0 - np.einsum("tij,tj->ti", d_inv_ct, u) - d_inv_bd * uf
            return out, uf

        return apply_p

    def solve(self, damping: float, max_cg: int = 30, tol: float = 3e-2) -> tuple[np.ndarray, float]:
        """The Levenberg-Marquardt step for ``damping`` (relative to the diagonal): ((T, n), focal step)."""
        diag = np.diagonal(self.h, axis1=1, axis2=2)
        h = self.h.copy()
        idx = np.arange(self.n)
        h[:, idx, idx] += damping * diag
        cf = self.cf * (1.0 + damping)
        apply_p = self._preconditioner(h, cf)

        def apply_a(v: np.ndarray, vf: float) -> tuple[np.ndarray, float]:
            out = np.einsum("tij,tj->ti", h, v) + self._smooth_apply(v) + self.b * vf
            return out, float((self.b * v).sum()) + cf * vf

        x, xf = np.zeros_like(self.g), 0.0
        r, rf = -self.g, -self.gf
        zv, zf = apply_p(r, rf)
        pv, pf = zv.copy(), zf
        rz = float((r * zv).sum()) + rf * zf
        rz0 = rz
        self.cg_iterations = 0
        for _ in range(max_cg):  # conjugate gradients over the smoothness couplings
            if rz <= tol ** 2 * rz0 or rz <= 0:
                break
            self.cg_iterations += 1
            av, af = apply_a(pv, pf)
            alpha = rz / (float((pv * av).sum()) + pf * af)
            x, xf = x + alpha * pv, xf + alpha * pf
            r, rf = r - alpha * av, rf - alpha * af
            zv, zf = apply_p(r, rf)
            rz_new = float((r * zv).sum()) + rf * zf
            pv, pf = zv + (rz_new / rz) * pv, zf + (rz_new / rz) * pf
            rz = rz_new
        return x, xf


def _lower_inverse(lower: np.ndarray) -> np.ndarray:
    """(T, b, b) lower-triangular -> (T, b, b) its inverse, row by row (b small), batched over frames."""
    b = lower.shape[1]
    out = np.zeros_like(lower)
    for i in range(b):
        row = -np.einsum("tj,tjk->tk", lower[:, i, :i], out[:, :i]) if i else np.zeros(lower.shape[::2])
        row[:, i] += 1.0
        out[:, i] = row / lower[:, i, i, None]
    return out


class _BlockCholesky:
    """Batched Cholesky solves of (T, n, n) symmetric positive definite blocks by blocked substitution: the unknowns
    in runs of ``block`` (each run one product with the solved part and one with its diagonal block's inverse), so
    a solve costs 2 n / block batched products, never a loop over frames."""

    def __init__(self, matrix: np.ndarray, block: int = 8) -> None:
        lower = np.linalg.cholesky(matrix)
        n = lower.shape[1]
        self.runs = [(s, min(s + block, n)) for s in range(0, n, block)]
        self.rows = [np.ascontiguousarray(lower[:, s:e, :s]) for s, e in self.runs]            # left of the run
        self.cols = [np.ascontiguousarray(lower[:, e:, s:e].transpose(0, 2, 1)) for s, e in self.runs]  # below
        self.inv = [_lower_inverse(lower[:, s:e, s:e]) for s, e in self.runs]                 # (T, b, b) each

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """(T, n) or (T, n, r) right-hand sides -> the solutions, same shape."""
        vec = rhs.ndim == 2
        b = rhs[..., None] if vec else rhs
        y = np.empty_like(b)
        for (s, e), row, inv in zip(self.runs, self.rows, self.inv):
            y[:, s:e] = inv @ (b[:, s:e] - row @ y[:, :s]) if s else inv @ b[:, s:e]
        x = np.empty_like(b)
        for (s, e), col, inv in zip(self.runs[::-1], self.cols[::-1], self.inv[::-1]):
            rest = y[:, s:e] - col @ x[:, e:] if e < b.shape[1] else y[:, s:e]
            x[:, s:e] = inv.transpose(0, 2, 1) @ rest
        return x[..., 0] if vec else x


def solve(problem: RefineProblem, start: RefineState, max_iterations: int = 12, rel_tol: float = 1e-6,
          reference: Optional[RefineState] = None) -> SolveResult:
    """Minimise :func:`objective` from ``start`` by Levenberg-Marquardt (see the module notes). ``loss_initial`` is
    the objective at ``reference`` where given (e.g. the estimator's pose when ``start`` is a warm start)."""
    kin = _Kinematics(problem)
    state = replace(start, delta=start.delta.copy(), transl=start.transl.copy())
    loss = objective(problem, state, kin)
    loss_initial = loss if reference is None else objective(problem, reference, kin)
    damping = 1e-4
    iterations = 0
    t, k = state.delta.shape[:2]
    for _ in range(int(max_iterations)):
        iterations += 1
        system = _System(problem, state, kin)
        improved = False
        for _ in range(8):  # raise the damping until a step lowers the objective
            step, step_f = system.solve(damping)
            trial = RefineState(delta=state.delta + step[:, 3:].reshape(t, k, 3), transl=state.transl + step[:, :3],
                                log_focal=state.log_focal + (step_f if problem.fit_focal else 0.0))
            trial_loss = objective(problem, trial, kin)
            if np.isfinite(trial_loss) and trial_loss < loss:
                improved = True
                break
            damping *= 10.0
        if not improved:
            break
        decrease = loss - trial_loss
        state, loss = trial, trial_loss
        damping = max(damping / 10.0, 1e-7)
        if decrease <= rel_tol * max(loss_initial, 1e-12):
            break
    return SolveResult(state=state, loss_initial=loss_initial, loss_final=loss, iterations=iterations)


__all__ = ["RefineProblem", "RefineState", "SolveResult", "right_jacobian", "pixels", "objective", "solve"]
