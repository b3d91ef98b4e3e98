"""The head: a sculpted sweep with a nose, eye sockets, brows, cheekbones, lips and chin,
plus separate eyeballs and ears.

Head-local coordinates: relative to ``Layout.head_anchor`` (the base of the skull on the
midline) in units of ``Layout.head_scale`` (1 = metres on the neutral head).  The facial
features (nose, lips, brows ...) are placed in these coordinates here, and the landmarks
(:mod:`.landmarks`) and expressions (:mod:`.blendshapes`) use the same coordinates.
"""
from __future__ import annotations

import numpy as np

from ..body.skeleton import JOINT_INDEX
from .layout import EYE_RADIUS, HEAD_LOCAL_JOINTS, Layout, Proportions
from .primitives import Sweep, ellipsoid, gaussian, smoothstep
from .surface import Part, SkinSpec, make_part, rigid

# head profile (head-local): height, half-width, front z, back z, centre z
# (the crown above the widest level is the ellipsoidal end cap)
_Y = np.array([-0.005, 0.010, 0.025, 0.045, 0.070, 0.100, 0.128])
_RX = np.array([0.036, 0.050, 0.060, 0.068, 0.074, 0.077, 0.078])
_ZF = np.array([0.083, 0.088, 0.090, 0.092, 0.094, 0.092, 0.090])
_ZB = np.array([-0.010, -0.035, -0.055, -0.070, -0.085, -0.095, -0.098])
_OZ = np.array([0.035, 0.025, 0.015, 0.010, 0.005, 0.0, -0.004])

#: Head-local centres of the left eyeball and the left ear (mirror x for the right side).
FACE: dict[str, tuple[float, float, float]] = {
    "eye": HEAD_LOCAL_JOINTS["left_eye_smplhf"],
    "ear": (0.076, 0.085, -0.008),
}

# nose: height above the face and half-width along the midline, by head-local y
_NOSE_Y = np.array([0.040, 0.046, 0.052, 0.058, 0.064, 0.072, 0.085, 0.098, 0.108, 0.118])
_NOSE_H = np.array([0.000, 0.009, 0.018, 0.0235, 0.022, 0.018, 0.0125, 0.0065, 0.003, 0.000])
_NOSE_W = np.array([0.010, 0.014, 0.0145, 0.0125, 0.0105, 0.0095, 0.0085, 0.008, 0.008, 0.008])


def face_relief(p: np.ndarray) -> np.ndarray:
    """Forward (+z) relief (n,) of the face features at head-local points ``p`` (n, 3)."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    ax = np.abs(x)
    front = smoothstep(z, 0.035, 0.065)
    dz = np.interp(y, _NOSE_Y, _NOSE_H) * np.exp(-(x / np.interp(y, _NOSE_Y, _NOSE_W)) ** 2)
    dz += 0.0065 * gaussian((ax - 0.0125) ** 2 + (y - 0.050) ** 2, 0.0075)             # nostril wings
    ex, ey = FACE["eye"][0], FACE["eye"][1]
    dz -= 0.0080 * gaussian((ax - ex) ** 2 / 0.017 ** 2 + (y - ey) ** 2 / 0.013 ** 2, 1.0)  # eye sockets
    dz += 0.0045 * gaussian((ax - 0.028) ** 2 / 0.028 ** 2 + (y - 0.124) ** 2 / 0.008 ** 2, 1.0)  # brow ridge
    dz += 0.0040 * gaussian((ax - 0.046) ** 2 / 0.014 ** 2 + (y - 0.078) ** 2 / 0.014 ** 2, 1.0)  # cheekbones
    dz += 0.0045 * gaussian(x * x / 0.020 ** 2 + (y - 0.029) ** 2 / 0.006 ** 2, 1.0)   # upper lip
    dz += 0.0042 * gaussian(x * x / 0.018 ** 2 + (y - 0.013) ** 2 / 0.006 ** 2, 1.0)   # lower lip
    dz -= 0.0020 * gaussian(x * x / 0.023 ** 2 + (y - 0.021) ** 2 / 0.0028 ** 2, 1.0)  # mouth line
    dz += 0.0050 * gaussian(x * x / 0.016 ** 2 + (y + 0.004) ** 2 / 0.011 ** 2, 1.0)   # chin
    return dz * front


def head_sweep() -> Sweep:
    """The unsculpted head volume in head-local coordinates."""
    return Sweep(origin=np.zeros(3), axis=np.array([0.0, 1.0, 0.0]), u=np.array([1.0, 0.0, 0.0]),
                 knots=_Y, ru=_RX, rwp=_ZF - _OZ, rwn=_OZ - _ZB, ow=_OZ, cap0=0.017, cap1=0.084,
                 n_p=2.5, n_n=2.1)


def head_parts(props: Proportions, layout: Layout, counts: dict[str, int]) -> list[Part]:
    """Head, eyeballs (left, right) and ears (left, right), in base coordinates."""
    sweep = head_sweep()

    def to_world(p: np.ndarray) -> np.ndarray:
        return layout.from_head_local(p)

    def head_shape(sphere: np.ndarray) -> np.ndarray:
        p = sweep.map(sphere)
        p[:, 2] += face_relief(p)
        return to_world(p)

    head = make_part("head", counts["head"], head_shape, SkinSpec("head", (JOINT_INDEX["head"], JOINT_INDEX["jaw"])),
                     "head", front_warp=0.55, toward=(0.0, -0.38, 0.92))
    eye_c = np.array(FACE["eye"])
    left_eye = make_part("left_eye", counts["left_eye"],
                         lambda s: to_world(ellipsoid(eye_c, (EYE_RADIUS,) * 3, s)),
                         rigid("left_eye_smplhf"), "left_eye", front_warp=0.3)
    tilt = np.deg2rad(-12.0)
    rot = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(tilt), -np.sin(tilt)], [0.0, np.sin(tilt), np.cos(tilt)]])
    left_ear = make_part("left_ear", counts["left_ear"],
                         lambda s: to_world(ellipsoid(FACE["ear"], (0.0115, 0.029, 0.017), s, rot)),
                         rigid("head"), "head")
    return [head, left_eye, left_eye.mirrored(), left_ear, left_ear.mirrored()]

