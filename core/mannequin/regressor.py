"""The joint regressor: every joint is a convex combination of the surface vertices around it.

For each joint a set of nearby vertices is chosen (a ball joint's sphere, a ring of the torso
at the joint's height, the rim of a finger around a knuckle ...) and non-negative weights
summing to one are found whose weighted mean is exactly the joint's rest position while
staying as close as possible to uniform.  Because joints are averages of vertices they follow
shape (and expression) changes.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

from ..body.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS
from .layout import DIGITS, LEFT_DIGITS
from .surface import Body


def convex_fit(points: np.ndarray, target: np.ndarray, tol: float = 1e-4) -> np.ndarray:
    """Weights (n,) >= 0 summing to 1 with ``weights @ points == target``, close to uniform.

    ``points`` (n, 3), ``target`` (3,).  Minimises ||w - 1/n||^2 under the equality constraints;
    when that leaves negative weights, a stiffly weighted non-negative least-squares fit is used.
    Raises ``ValueError`` when the target lies farther than ``tol`` from the points' hull.
    """
    n = points.shape[0]
    A = np.vstack([(points - target).T, np.ones((1, n))])      # (4, n)
    b = np.array([0.0, 0.0, 0.0, 1.0])
    free = np.ones(n, dtype=bool)
    w = np.zeros(n)
    for _ in range(20):  # drop the vertices that come out negative and solve again
        Af = A[:, free]
        prior = np.full(Af.shape[1], 1.0 / n)
        try:
            wf = prior + Af.T @ np.linalg.solve(Af @ Af.T, b - Af @ prior)
        except np.linalg.LinAlgError:
            break
        w = np.zeros(n)
        w[free] = wf
        if wf.min() >= 0.0:
            break
        free[np.nonzero(free)[0][wf < 0.0]] = False
    if w.min() < 0.0 or abs(w.sum() - 1.0) > 1e-9:
        prior = np.full(n, 1.0 / n)
        scale = 1.0 / max(float(np.abs(points - target).max()), 1e-9)
        stiff = 1e3
        M = np.vstack([stiff * scale * (points - target).T, stiff * np.ones((1, n)), np.eye(n)])
        rhs = np.concatenate([[0.0, 0.0, 0.0, stiff], prior])
        w, _ = nnls(M, rhs, maxiter=50 * n)
    w = np.clip(w, 0.0, None)
    w /= w.sum()
    err = float(np.linalg.norm(w @ points - target))
    if err > tol:
        raise ValueError(f"target is {err:.2e} m away from the convex hull of its vertices")
    return w


def _near(vertices: np.ndarray, center: np.ndarray, radius: float) -> np.ndarray:
    return np.nonzero(np.linalg.norm(vertices - center, axis=1) < radius)[0]


def _band(vertices: np.ndarray, axis: int, value: float, half: float) -> np.ndarray:
    return np.nonzero(np.abs(vertices[:, axis] - value) < half)[0]


def joint_candidates(body: Body) -> dict[int, np.ndarray]:
    """For each joint index, the global indices (m,) of the vertices it is regressed from."""
    V = body.vertices
    sl = body.slices()
    L = body.layout
    s = L.scale

    def part(name: str) -> np.ndarray:
        return np.arange(sl[name].start, sl[name].stop)

    def sub(names: list[str], keep) -> np.ndarray:
        idx = np.concatenate([part(n) for n in names])
        return idx[keep(V[idx])]

    out: dict[int, np.ndarray] = {}
    J = L.joints
    torso = part("torso")
    for name in ("pelvis", "spine1", "spine2", "spine3"):
        y = J[JOINT_INDEX[name]][1]
        out[JOINT_INDEX[name]] = torso[_band(V[torso], 1, y, 0.022 * s)]
    neck = part("neck")
    out[JOINT_INDEX["neck"]] = neck[_band(V[neck], 1, J[JOINT_INDEX["neck"]][1], 0.022 * s)]
    head = part("head")
    local = L.to_head_local(V[head])
    # the base of the skull: a ring around the head at its height (chin and lips included)
    y = L.to_head_local(J[JOINT_INDEX["head"]][None])[0, 1]
    out[JOINT_INDEX["head"]] = head[np.abs(local[:, 1] - y) < 0.03]
    # the jaw: the chin and both angles of the jaw below the ears
    x, y, z = local[:, 0], local[:, 1], local[:, 2]
    chin = (y < 0.02) & (z > 0.045) & (np.abs(x) < 0.03)
    angles = (np.abs(x) > 0.045) & (y > 0.02) & (y < 0.07) & (z > -0.045) & (z < 0.01)
    out[JOINT_INDEX["jaw"]] = head[chin | angles]
    for side in ("left", "right"):
        out[JOINT_INDEX[f"{side}_eye_smplhf"]] = part(f"{side}_eye")
        for joint, ball in (("shoulder", "shoulder_ball"), ("elbow", "elbow_ball"), ("wrist", "wrist_ball"),
                            ("knee", "knee_ball"), ("ankle", "ankle_ball")):
            out[JOINT_INDEX[f"{side}_{joint}"]] = part(f"{side}_{ball}")
        hip = J[JOINT_INDEX[f"{side}_hip"]]
        out[JOINT_INDEX[f"{side}_hip"]] = sub([f"{side}_thigh"],
                                              lambda v, hip=hip: np.linalg.norm(v - hip, axis=1) < 0.10 * s)
        foot = J[JOINT_INDEX[f"{side}_foot"]]
        out[JOINT_INDEX[f"{side}_foot"]] = sub([f"{side}_foot", f"{side}_toes"],
                                                lambda v, foot=foot:
                                                np.linalg.norm(v - foot, axis=1) < 0.04 * L.foot_scale)
        collar = J[JOINT_INDEX[f"{side}_collar"]]
        sign = 1.0 if side == "left" else -1.0
        out[JOINT_INDEX[f"{side}_collar"]] = torso[(np.linalg.norm(V[torso] - collar, axis=1) < 0.12 * s)
                                                   & (sign * V[torso][:, 0] > 0.0)]
        for digit in DIGITS:
            r = LEFT_DIGITS[digit].radius * L.hand_scale
            for k in (1, 2, 3):
                c = J[JOINT_INDEX[f"{side}_{digit}{k}"]]
                names = [f"{side}_{digit}"] + ([f"{side}_palm"] if k == 1 else [])
                radius = (2.4 if digit == "thumb" and k == 1 else 1.7) * r
                out[JOINT_INDEX[f"{side}_{digit}{k}"]] = sub(names, lambda v, c=c, rr=radius:
                                                             np.linalg.norm(v - c, axis=1) < rr)
    return out


def joint_regressor(body: Body, max_vertices: int = 160) -> np.ndarray:
    """(55, V) float64: rows are convex combinations of vertices reproducing the layout's joints.

    Each joint uses at most ``max_vertices`` of its candidates (an even subsample).
    """
    V = body.vertices
    reg = np.zeros((NUM_JOINTS, V.shape[0]))
    for j, idx in sorted(joint_candidates(body).items()):
        if idx.size > max_vertices:
            idx = idx[np.linspace(0, idx.size - 1, max_vertices).round().astype(np.int64)]
        if idx.size < 4:
            raise RuntimeError(f"too few vertices around joint {JOINT_NAMES[j]}")
        try:
            reg[j, idx] = convex_fit(V[idx], body.layout.joints[j])
        except ValueError as exc:
            raise RuntimeError(f"cannot regress joint {JOINT_NAMES[j]}: {exc}") from None
    return reg
