"""Left arm with hand, and left leg with foot (base coordinates); the right side is mirrored.

Limb segments are tapered sweeps that overlap at ball joints (shoulder, elbow, wrist, knee,
ankle).  The hand is a flat palm with five separate digits (three phalanges each, marked by
slight narrowing between the knuckles), the foot a heel-to-ball sweep plus a toe block.
"""
from __future__ import annotations

import numpy as np

from .layout import DIGITS, LEFT_DIGITS, Layout, Proportions
from .primitives import Sweep, ellipsoid
from .surface import Part, chain, make_part, rigid


def _ball(name: str, n: int, center: np.ndarray, radius: float, joint: str, region: str) -> Part:
    return make_part(name, n, lambda s: ellipsoid(center, (radius,) * 3, s), rigid(joint), region)


def _bump(s: np.ndarray, center: float, width: float) -> np.ndarray:
    return np.exp(-((s - center) / width) ** 2)


def arm_parts(props: Proportions, layout: Layout, counts: dict[str, int]) -> list[Part]:
    """Shoulder ball, upper arm, elbow ball, forearm, wrist ball, palm and five digits (left)."""
    J = layout.joint
    collar, shoulder, elbow, wrist = J("left_collar"), J("left_shoulder"), J("left_elbow"), J("left_wrist")
    hs = layout.hand_scale
    knuckles = wrist + hs * np.array([0.09, 0.0, 0.0])
    g, m = props.limb_girth, props.muscle
    front = np.array([0.0, 0.0, 1.0])
    parts: list[Part] = []

    parts.append(_ball("left_shoulder_ball", counts["left_shoulder_ball"], shoulder, 0.053 * g * m,
                       "left_shoulder", "left_arm"))
    L = float(np.linalg.norm(elbow - shoulder))
    s = np.array([0.0, 0.25, 0.5, 0.8, 1.0])
    bulge = 1.0 + (m - 1.0) * _bump(s, 0.45, 0.25)
    upper = Sweep(origin=shoulder, axis=(elbow - shoulder) / L, u=front, knots=s * L,
                  ru=np.array([0.050, 0.049, 0.046, 0.040, 0.036]) * g * bulge,
                  rwp=np.array([0.047, 0.046, 0.043, 0.037, 0.034]) * g * bulge,
                  rwn=np.array([0.047, 0.045, 0.041, 0.036, 0.034]) * g * bulge, cap0=0.035, cap1=0.030)
    parts.append(make_part("left_upper_arm", counts["left_upper_arm"], upper,
                           chain(["left_collar", "left_shoulder", "left_elbow"], [collar, shoulder, elbow, wrist],
                                 [0.05, 0.045]), "left_arm"))
    parts.append(_ball("left_elbow_ball", counts["left_elbow_ball"], elbow, 0.038 * g, "left_elbow", "left_arm"))
    L = float(np.linalg.norm(wrist - elbow))
    s = np.array([0.0, 0.2, 0.5, 0.8, 1.0])
    bulge = 1.0 + (m - 1.0) * _bump(s, 0.25, 0.2)
    fore = Sweep(origin=elbow, axis=(wrist - elbow) / L, u=front, knots=s * L,
                 ru=np.array([0.040, 0.042, 0.037, 0.031, 0.028]) * g * bulge,
                 rwp=np.array([0.036, 0.037, 0.031, 0.024, 0.020]) * g * bulge, cap0=0.030, cap1=0.020)
    parts.append(make_part("left_forearm", counts["left_forearm"], fore,
                           chain(["left_shoulder", "left_elbow", "left_wrist"], [shoulder, elbow, wrist, knuckles],
                                 [0.045, 0.03]), "left_arm"))
    parts.append(_ball("left_wrist_ball", counts["left_wrist_ball"], wrist, 0.0225 * g, "left_wrist", "left_arm"))
    parts += hand_parts(props, layout, counts)
    return parts


def hand_parts(props: Proportions, layout: Layout, counts: dict[str, int]) -> list[Part]:
    """Palm and the five digits of the left hand (palm facing -Y, fingers along +X)."""
    J = layout.joint
    elbow, wrist = J("left_elbow"), J("left_wrist")
    hs = layout.hand_scale
    parts: list[Part] = []
    knots = np.array([0.004, 0.030, 0.060, 0.083]) * hs
    palm = Sweep(origin=wrist, axis=np.array([1.0, 0.0, 0.0]), u=np.array([0.0, 0.0, 1.0]), knots=knots,
                 ru=np.array([0.026, 0.035, 0.0395, 0.0395]) * hs,
                 ou=np.array([0.0, -0.001, -0.0015, -0.002]) * hs,
                 rwp=np.array([0.0150, 0.0150, 0.0135, 0.0115]) * hs,    # back of the hand (+Y)
                 rwn=np.array([0.0150, 0.0175, 0.0160, 0.0120]) * hs,    # palm side (-Y)
                 ow=np.array([0.0, -0.001, -0.0012, -0.0005]) * hs,
                 cap0=0.012 * hs, cap1=0.011 * hs, n_p=3.0, n_n=2.6)
    parts.append(make_part("left_palm", counts["left_palm"], palm,
                           chain(["left_elbow", "left_wrist"], [elbow, wrist, wrist + hs * np.array([0.1, 0, 0])],
                                 [0.028 * hs]), "left_hand"))
    for digit in DIGITS:
        spec = LEFT_DIGITS[digit]
        d = np.asarray(spec.direction) / np.linalg.norm(spec.direction)
        j1, j2, j3 = (J(f"left_{digit}{k}") for k in (1, 2, 3))
        tip = layout.tips[f"left_{digit}"]
        l1, l2, l3 = float(np.linalg.norm(j2 - j1)), float(np.linalg.norm(j3 - j2)), float(np.linalg.norm(tip - j3))
        r = spec.radius * hs
        knots = np.array([0.0, 0.5 * l1, l1, l1 + 0.5 * l2, l1 + l2, l1 + l2 + 0.45 * l3])
        if digit == "thumb":   # thick at the base (the ball of the thumb), round in section
            radii = r * np.array([1.65, 1.40, 1.08, 0.96, 0.98, 0.90])
            up = np.array([0.0, 1.0, 0.0])
            blend = [0.016 * hs, 0.010 * hs, 0.008 * hs]
        else:                  # slightly narrower between the knuckles
            radii = r * np.array([1.08, 0.97, 1.0, 0.92, 0.94, 0.88])
            up = np.array([0.0, 0.0, 1.0])
            blend = [0.012 * hs, 0.008 * hs, 0.007 * hs]
        cap1 = l1 + l2 + l3 - knots[-1]
        sweep = Sweep(origin=j1, axis=d, u=up, knots=knots, ru=radii, rwp=radii * 0.92, cap0=r, cap1=cap1)
        skin = chain(["left_wrist", f"left_{digit}1", f"left_{digit}2", f"left_{digit}3"],
                     [wrist, j1, j2, j3, tip], blend)
        parts.append(make_part(f"left_{digit}", counts[f"left_{digit}"], sweep, skin, "left_hand"))
    return parts


def leg_parts(props: Proportions, layout: Layout, counts: dict[str, int]) -> list[Part]:
    """Thigh, knee ball, shin, ankle ball, foot and toes of the left leg."""
    J = layout.joint
    pelvis, hip, knee, ankle, ball = J("pelvis"), J("left_hip"), J("left_knee"), J("left_ankle"), J("left_foot")
    g, m, fs = props.limb_girth, props.muscle, layout.foot_scale
    lateral = np.array([1.0, 0.0, 0.0])
    parts: list[Part] = []

    L = float(np.linalg.norm(knee - hip))
    s = np.array([0.0, 0.15, 0.45, 0.8, 1.0])
    bulge = 1.0 + (m - 1.0) * _bump(s, 0.35, 0.3)
    thigh = Sweep(origin=hip, axis=(knee - hip) / L, u=lateral, knots=s * L,
                  ru=np.array([0.084, 0.081, 0.070, 0.057, 0.051]) * g * bulge,
                  rwp=np.array([0.086, 0.082, 0.069, 0.055, 0.050]) * g * bulge,    # back
                  rwn=np.array([0.080, 0.079, 0.071, 0.058, 0.052]) * g * bulge,    # front
                  ou=np.array([0.012, 0.008, 0.003, 0.0, 0.0]), cap0=0.05, cap1=0.035)
    parts.append(make_part("left_thigh", counts["left_thigh"], thigh,
                           chain(["pelvis", "left_hip", "left_knee"], [pelvis, hip, knee, ankle], [0.06, 0.05]),
                           "left_leg"))
    parts.append(_ball("left_knee_ball", counts["left_knee_ball"], knee, 0.052 * g, "left_knee", "left_leg"))
    L = float(np.linalg.norm(ankle - knee))
    s = np.array([0.0, 0.25, 0.55, 0.85, 1.0])
    bulge = 1.0 + (m - 1.0) * _bump(s, 0.3, 0.2)
    shin = Sweep(origin=knee, axis=(ankle - knee) / L, u=lateral, knots=s * L,
                 ru=np.array([0.049, 0.049, 0.041, 0.031, 0.029]) * g * bulge,
                 rwp=np.array([0.047, 0.057, 0.045, 0.030, 0.027]) * g * bulge,     # calf
                 rwn=np.array([0.046, 0.042, 0.035, 0.029, 0.027]) * g * bulge,     # shin
                 cap0=0.035, cap1=0.026)
    parts.append(make_part("left_shin", counts["left_shin"], shin,
                           chain(["left_hip", "left_knee", "left_ankle"], [hip, knee, ankle, ball], [0.05, 0.035]),
                           "left_leg"))
    parts.append(_ball("left_ankle_ball", counts["left_ankle_ball"], ankle, 0.034 * g, "left_ankle", "left_leg"))

    # foot: axis +Z from the heel; w = u x axis = -Y, so +w is the sole side
    a = np.array([-0.035, 0.0, 0.05, 0.10, 0.125]) * fs
    top = np.array([0.000, 0.005, -0.022, -0.043, -0.048]) * fs
    sole = -0.075 * fs
    centre = 0.5 * (top + sole)
    half = 0.5 * (top - sole)
    origin = np.array([ankle[0], ankle[1], ankle[2]])
    foot = Sweep(origin=origin, axis=np.array([0.0, 0.0, 1.0]), u=lateral, knots=a,
                 ru=np.array([0.029, 0.032, 0.037, 0.043, 0.044]) * fs,
                 ou=np.array([0.0, 0.002, 0.008, 0.014, 0.016]) * fs,
                 rwp=half, rwn=half, ow=-centre, cap0=0.028 * fs, cap1=0.02 * fs, n_p=3.5, n_n=2.2)
    heel_back = origin + np.array([0.0, sole * 0.5, a[0] - 0.028 * fs])
    toe_tip = ankle + fs * np.array([0.008, -0.062, 0.195])
    foot_skin = chain(["left_ankle", "left_foot"], [heel_back, ball, toe_tip], [0.022 * fs])
    parts.append(make_part("left_foot", counts["left_foot"], foot, foot_skin, "left_foot"))
    toe_axis = np.array([-0.14, 0.0, 1.0])
    toe_origin = ankle + fs * np.array([0.016, 0.0, 0.112])
    tk = np.array([0.0, 0.028, 0.055]) * fs
    toes = Sweep(origin=toe_origin, axis=toe_axis, u=lateral, knots=tk,
                 ru=np.array([0.043, 0.041, 0.036]) * fs,
                 rwp=np.array([0.0135, 0.0125, 0.0115]) * fs, rwn=np.array([0.0135, 0.0125, 0.0115]) * fs,
                 ow=np.array([0.0615, 0.0625, 0.0635]) * fs, cap0=0.012 * fs, cap1=0.026 * fs, n_p=3.0, n_n=2.2)
    parts.append(make_part("left_toes", counts["left_toes"], toes, foot_skin, "left_foot"))
    return parts
