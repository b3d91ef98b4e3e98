"""Linear blend shapes: body shape (betas), facial expressions and pose correctives.

* Shape: the first ten betas are finite differences of the generator itself (the whole body
  rebuilt with one proportion nudged), so joints regressed from the surface follow them.
  The extra betas of the "2020" layout are small smooth deterministic bumps.
* Expression: hand-made displacement fields on the face (mouth open, smile, ... jaw shift),
  in millimetres per unit; the "2020" layout adds small smooth face-local bumps.
  The mouth-open, blink and puff fields move vertices the head, jaw and eye joints are
  regressed from, so these joints move with expression, as in SMPL-X.
* Pose correctives: small bulges around elbows, knees, shoulders and hips that grow with
  ``1 - cos(angle)`` of the joint's rotation (from the diagonal of ``R - I``).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..body.skeleton import JOINT_INDEX, NUM_POSE_BASIS, PARENTS
from .body import build_body
from .layout import Layout, Proportions
from .primitives import smoothstep, vertex_normals
from .surface import Body

#: The ten meaningful betas: name and the proportion changes of one unit.
BETAS: tuple[tuple[str, dict[str, float]], ...] = (
    ("height", {"stature": 0.016}),
    ("weight", {"girth": 0.06, "limb_girth": 0.06, "belly": 0.006}),
    ("shoulder_width", {"shoulder_width": 0.08}),
    ("hip_width", {"hip_width": 0.08}),
    ("leg_length", {"leg_length": 0.04}),
    ("arm_length", {"arm_length": 0.045}),
    ("head_size", {"head_size": 0.06}),
    ("chest_depth", {"chest_depth": 0.10}),
    ("belly", {"belly": 0.015}),
    ("muscularity", {"muscle": 0.12}),
)

#: The ten meaningful expression components.
EXPRESSIONS: tuple[str, ...] = (
    "mouth_open", "smile", "frown", "pucker", "brows_up", "brows_down",
    "blink_left", "blink_right", "cheeks_puff", "jaw_shift",
)

_EXTRA_BETA_SEED = 20200
_EXTRA_EXPR_SEED = 20201


def shape_directions(props: Proportions, template: np.ndarray) -> np.ndarray:
    """(V, 3, 10) float64 displacement per unit of each of the ten meaningful betas.

    ``template`` (V, 3) is the mesh built for ``props``.
    """
    out = np.empty(template.shape + (len(BETAS),))
    for k, (_, changes) in enumerate(BETAS):
        nudged = replace(props, **{name: getattr(props, name) + delta for name, delta in changes.items()})
        out[:, :, k] = build_body(nudged).vertices - template
    return out


def extra_shape_directions(template: np.ndarray, count: int, seed: int = _EXTRA_BETA_SEED) -> np.ndarray:
    """(V, 3, count): small smooth deformations (sums of four Gaussian bumps, a few mm each)."""
    rng = np.random.default_rng(seed)
    V = template.shape[0]
    centers = template[rng.integers(0, V, size=(count, 4))]          # (count, 4, 3)
    sigma = rng.uniform(0.05, 0.15, size=(count, 4))
    amp = rng.normal(0.0, 0.0015, size=(count, 4, 3))
    out = np.empty((V, 3, count))
    sq = (template ** 2).sum(axis=1)
    for lo in range(0, count, 32):
        hi = min(count, lo + 32)
        c = centers[lo:hi].reshape(-1, 3)
        d2 = np.clip(sq[:, None] + (c ** 2).sum(axis=1)[None, :] - 2.0 * template @ c.T, 0.0, None)
        bumps = np.exp(-d2 / sigma[lo:hi].reshape(-1)[None, :] ** 2).reshape(V, hi - lo, 4)
        out[:, :, lo:hi] = np.einsum("vck,ckd->vdc", bumps, amp[lo:hi])
    return out


def _g(x: np.ndarray, y: np.ndarray, x0: float, y0: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-((x - x0) / sx) ** 2 - ((y - y0) / sy) ** 2)


def expression_directions(body: Body, count: int = 10, seed: int = _EXTRA_EXPR_SEED) -> np.ndarray:
    """(V, 3, count) float64 facial displacement fields (metres per unit).

    The first ten are :data:`EXPRESSIONS`; further ones are small smooth face-local bumps.
    """
    L: Layout = body.layout
    V = body.vertices
    sl = body.slices()
    on_head = np.zeros(V.shape[0])
    on_head[sl["head"]] = 1.0
    p = L.to_head_local(V)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    ax, sx = np.abs(x), np.sign(x)
    front = smoothstep(z, 0.03, 0.06) * on_head
    lower = smoothstep(y, 0.024, 0.012) * smoothstep(z, -0.02, 0.03) * np.exp(-(x / 0.05) ** 2) * on_head
    normals = vertex_normals(V, body.faces)
    zero = np.zeros_like(x)

    def vec(dx, dy, dz) -> np.ndarray:
        return np.stack([dx + zero, dy + zero, dz + zero], axis=1)

    fields = []
    upper_lip = _g(x, y, 0.0, 0.029, 0.02, 0.006) * front
    fields.append(lower[:, None] * vec(0.0, -0.012, -0.003) + upper_lip[:, None] * vec(0.0, 0.002, 0.0))
    corners = _g(ax, y, 0.024, 0.022, 0.012, 0.010) * front
    cheeks = _g(ax, y, 0.036, 0.045, 0.015, 0.015) * front
    fields.append(corners[:, None] * vec(0.004 * sx, 0.006, -0.002) + cheeks[:, None] * vec(0.0, 0.003, 0.002))
    chin = _g(x, y, 0.0, -0.002, 0.015, 0.010) * front
    fields.append(corners[:, None] * vec(0.0015 * sx, -0.006, 0.0) + chin[:, None] * vec(0.0, 0.002, 0.001))
    lips = _g(x, y, 0.0, 0.021, 0.022, 0.013) * front
    fields.append(lips[:, None] * vec(-0.25 * x, 0.0, 0.008))
    brows = _g(ax, y, 0.030, 0.124, 0.025, 0.013) * front
    forehead = _g(x, y, 0.0, 0.150, 0.05, 0.03) * front
    fields.append(brows[:, None] * vec(0.0, 0.008, 0.0) + forehead[:, None] * vec(0.0, 0.002, 0.0))
    inner = _g(ax, y, 0.022, 0.122, 0.020, 0.012) * front
    fields.append(inner[:, None] * vec(-0.003 * sx, -0.006, 0.001))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        upper = _g(x, y, sign * 0.031, 0.110, 0.014, 0.007) * front
        low = _g(x, y, sign * 0.031, 0.093, 0.014, 0.005) * front
        field = upper[:, None] * vec(0.0, -0.007, 0.001) + low[:, None] * vec(0.0, 0.002, 0.0)
        field[sl[f"{side}_eye"]] += np.array([0.0, 0.0, -0.0015])   # the eyeball settles back a little
        fields.append(field)
    puff = _g(ax, y, 0.045, 0.030, 0.018, 0.018) * smoothstep(z, -0.01, 0.03) * on_head
    fields.append(puff[:, None] * normals * 0.008)
    fields.append(lower[:, None] * vec(0.006, 0.0, 0.0))

    out = np.zeros((V.shape[0], 3, count))
    for k in range(min(count, len(fields))):
        out[:, :, k] = fields[k] * L.head_scale
    if count > len(fields):
        rng = np.random.default_rng(seed)
        for k in range(len(fields), count):
            cx = rng.uniform(-0.05, 0.05, size=3)
            cy = rng.uniform(0.0, 0.14, size=3)
            sig = rng.uniform(0.012, 0.03, size=3)
            amp = rng.normal(0.0, 0.002, size=(3, 3))
            bumps = np.stack([_g(x, y, cx[i], cy[i], sig[i], sig[i]) for i in range(3)], axis=1) * front[:, None]
            out[:, :, k] = (bumps @ amp) * L.head_scale
    return out


#: Joints with pose correctives: joint -> (parts they act on, bulge radius in metres).
_CORRECTIVES: dict[str, tuple[tuple[str, ...], float]] = {
    "elbow": (("upper_arm", "elbow_ball", "forearm"), 0.055),
    "knee": (("thigh", "knee_ball", "shin"), 0.07),
    "shoulder": (("shoulder_ball", "upper_arm"), 0.07),
    "hip": (("thigh",), 0.08),
}


def pose_directions(body: Body, magnitude: float = 0.004) -> np.ndarray:
    """(V, 3, 486) float64 pose correctives in smplx's layout (column (j-1)*9 + k).

    A bulge (radially outward from the bone, ``magnitude`` metres at the joint) is spread over
    the diagonal entries of joint j's ``R - I``, so a bend by angle a adds ``(1 - cos a)`` bulges.
    """
    V = body.vertices
    sl = body.slices()
    J = body.layout.joints
    out = np.zeros((V.shape[0], 3, NUM_POSE_BASIS))
    for side in ("left", "right"):
        for joint, (parts, radius) in _CORRECTIVES.items():
            j = JOINT_INDEX[f"{side}_{joint}"]
            child = int(np.nonzero(PARENTS == j)[0][0])
            c = J[j]
            axis = (J[child] - c) / np.linalg.norm(J[child] - c)
            idx = np.concatenate([np.arange(sl[f"{side}_{p}"].start, sl[f"{side}_{p}"].stop) for p in parts])
            rel = V[idx] - c
            radial = rel - np.outer(rel @ axis, axis)
            norm = np.linalg.norm(radial, axis=1, keepdims=True)
            radial = radial / np.where(norm > 1e-9, norm, 1.0)
            fall = np.exp(-(np.linalg.norm(rel, axis=1) / (radius * body.layout.scale)) ** 2)
            bulge = magnitude * fall[:, None] * radial
            for k in (0, 4, 8):
                out[idx, :, (j - 1) * 9 + k] += -0.5 * bulge
    return out
