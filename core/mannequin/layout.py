"""Body proportions per gender and the rest-pose (T-pose) joint layout they produce.

Coordinates: metres, Y up, the body faces +Z, its left side is +X.  The layout is first built
for a 1.70 m body ("base" coordinates: pelvis joint near (0, -0.35, 0), soles at y = -1.25) and
then scaled about the origin by ``Proportions.stature``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..body.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS

#: The five digits of a hand, in the order their joints appear in JOINT_NAMES.
DIGITS: tuple[str, ...] = ("index", "middle", "pinky", "ring", "thumb")


@dataclass(frozen=True)
class Proportions:
    """Scalar body-shape controls.  Factors are relative (1 = neutral), offsets are in metres."""

    stature: float = 1.0         #: uniform scale of the whole body about the origin
    shoulder_width: float = 1.0  #: collar / shoulder joint spread and upper-torso width
    hip_width: float = 1.0       #: hip joint spread and pelvis width
    waist_width: float = 1.0     #: waist width
    leg_length: float = 1.0      #: thigh and shin lengths
    arm_length: float = 1.0      #: upper-arm and forearm lengths
    head_size: float = 1.0       #: head scale about the base of the skull
    hand_size: float = 1.0       #: hand scale about the wrist
    foot_size: float = 1.0       #: foot scale about the ankle
    girth: float = 1.0           #: torso and neck radii
    limb_girth: float = 1.0      #: arm and leg radii
    muscle: float = 1.0          #: extra bulge of upper arms, thighs, calves and shoulders
    chest_depth: float = 1.0     #: front-back depth of the rib cage
    belly: float = 0.0           #: forward bulge of the belly (m)
    bust: float = 0.0            #: forward bulge of the chest on both sides of the sternum (m)


def proportions_for(gender: str) -> Proportions:
    """The proportions of the ``"neutral"``, ``"male"`` or ``"female"`` mannequin."""
    g = gender.lower()
    if g == "neutral":
        return Proportions(bust=0.006)
    if g == "male":
        return Proportions(stature=1.03, shoulder_width=1.08, hip_width=0.97, waist_width=1.0,
                           girth=1.03, limb_girth=1.04, muscle=1.06, chest_depth=1.04,
                           hand_size=1.04, foot_size=1.04, head_size=1.01, bust=0.002)
    if g == "female":
        return Proportions(stature=0.96, shoulder_width=0.92, hip_width=1.08, waist_width=0.90,
                           girth=0.97, limb_girth=0.95, muscle=0.94, chest_depth=0.97,
                           hand_size=0.93, foot_size=0.93, head_size=0.98, bust=0.024)
    raise ValueError(f"unknown gender {gender!r}; expected 'neutral', 'male' or 'female'")


@dataclass(frozen=True)
class DigitSpec:
    """One digit of the left hand in hand-local coordinates (metres, relative to the wrist)."""

    base: tuple[float, float, float]        #: joint 1 (knuckle, or the thumb's CMC joint)
    direction: tuple[float, float, float]   #: pointing direction (normalised on use)
    lengths: tuple[float, float, float]     #: joint1->joint2, joint2->joint3, joint3->tip
    radius: float                           #: mid radius of the digit


def _splay(deg: float) -> tuple[float, float, float]:
    r = np.deg2rad(deg)
    return (float(np.cos(r)), 0.0, float(np.sin(r)))


#: Left-hand digits, palm facing -Y, fingers along +X, thumb towards +Z.
LEFT_DIGITS: dict[str, DigitSpec] = {
    "index": DigitSpec((0.088, 0.000, 0.0265), _splay(6.0), (0.038, 0.023, 0.020), 0.0079),
    "middle": DigitSpec((0.092, 0.001, 0.0070), _splay(1.0), (0.042, 0.027, 0.021), 0.0082),
    "ring": DigitSpec((0.087, 0.000, -0.0120), _splay(-5.0), (0.039, 0.026, 0.021), 0.0077),
    "pinky": DigitSpec((0.078, -0.002, -0.0295), _splay(-12.0), (0.030, 0.019, 0.018), 0.0067),
    "thumb": DigitSpec((0.028, -0.011, 0.018), (0.56, -0.20, 0.80), (0.038, 0.031, 0.027), 0.0102),
}


@dataclass
class Layout:
    """Rest-pose joint positions and a few extra anchor points.

    ``joints`` (55, 3) float64 in JOINT_NAMES order; ``tips`` maps ``"left_index"`` ... to the
    (3,) fingertip points; ``head_anchor`` (3,) is the origin of head-local coordinates
    (base of the skull on the midline) and ``head_scale`` the factor from head-local units to
    metres; ``sole_y`` is the height of the soles.
    """

    props: Proportions
    joints: np.ndarray
    tips: dict[str, np.ndarray] = field(default_factory=dict)
    head_anchor: np.ndarray = field(default_factory=lambda: np.zeros(3))
    head_scale: float = 1.0
    hand_scale: float = 1.0
    foot_scale: float = 1.0
    sole_y: float = -1.25
    scale: float = 1.0

    def joint(self, name: str) -> np.ndarray:
        """(3,) position of the named joint."""
        return self.joints[JOINT_INDEX[name]]

    def scaled(self, s: float) -> "Layout":
        """The same layout scaled by ``s`` about the origin."""
        return replace(self, joints=self.joints * s, tips={k: v * s for k, v in self.tips.items()},
                       head_anchor=self.head_anchor * s, head_scale=self.head_scale * s,
                       hand_scale=self.hand_scale * s, foot_scale=self.foot_scale * s,
                       sole_y=self.sole_y * s, scale=self.scale * s)

    def to_head_local(self, points: np.ndarray) -> np.ndarray:
        """World points (n, 3) to head-local units (n, 3)."""
        return (points - self.head_anchor) / self.head_scale

    def from_head_local(self, points: np.ndarray) -> np.ndarray:
        """Head-local points (n, 3) to world (n, 3)."""
        return self.head_anchor + np.asarray(points, dtype=np.float64) * self.head_scale


#: Head-local positions (relative to the head anchor, before head scaling) of head joints.
HEAD_LOCAL_JOINTS: dict[str, tuple[float, float, float]] = {
    "head": (0.0, 0.015, -0.012),
    "jaw": (0.0, 0.035, 0.006),
    "left_eye_smplhf": (0.031, 0.102, 0.0710),
}
#: Eyeball radius in head-local units.
EYE_RADIUS = 0.0118


def mirror_x(p: np.ndarray) -> np.ndarray:
    """Reflect points (..., 3) through the x = 0 plane."""
    q = np.array(p, dtype=np.float64, copy=True)
    q[..., 0] *= -1.0
    return q


def mirror_joint_name(name: str) -> str:
    """``left_*`` <-> ``right_*``; other names unchanged."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


#: For each joint index, the index of its mirror joint.
MIRROR_JOINT: np.ndarray = np.array([JOINT_INDEX[mirror_joint_name(n)] for n in JOINT_NAMES], dtype=np.int64)


def build_layout(props: Proportions) -> Layout:
    """The rest-pose layout for ``props``, scaled by ``props.stature``."""
    return base_layout(props).scaled(props.stature)


def base_layout(props: Proportions) -> Layout:
    """The rest-pose layout for ``props`` before the stature scaling (a 1.70 m frame)."""
    J = np.zeros((NUM_JOINTS, 3))

    def put(name: str, p) -> np.ndarray:
        J[JOINT_INDEX[name]] = p
        return J[JOINT_INDEX[name]]

    # trunk
    put("pelvis", (0.0, -0.350, 0.004))
    put("spine1", (0.0, -0.235, -0.012))
    put("spine2", (0.0, -0.105, -0.006))
    put("spine3", (0.0, -0.045, -0.002))
    put("neck", (0.0, 0.170, -0.026))
    head_anchor = np.array([0.0, 0.240, 0.0])
    hs = props.head_size
    for name in ("head", "jaw"):
        put(name, head_anchor + hs * np.array(HEAD_LOCAL_JOINTS[name]))
    leye = head_anchor + hs * np.array(HEAD_LOCAL_JOINTS["left_eye_smplhf"])
    put("left_eye_smplhf", leye)

    # left leg
    hip_x = 0.090 * props.hip_width
    hip = put("left_hip", (hip_x, -0.430, 0.000))
    knee = put("left_knee", (hip_x + 0.005, hip[1] - 0.370 * props.leg_length, 0.006))
    ankle = put("left_ankle", (hip_x + 0.002, knee[1] - 0.375 * props.leg_length, -0.036))
    fs = props.foot_size
    sole_y = ankle[1] - 0.075 * fs
    put("left_foot", ankle + fs * np.array([0.016, -0.050, 0.128]))

    # left arm
    sw = props.shoulder_width
    put("left_collar", (0.075 * sw, 0.125, -0.016))
    shoulder = put("left_shoulder", (0.175 * sw, 0.100, -0.020))
    elbow = put("left_elbow", shoulder + np.array([0.270 * props.arm_length, -0.005, -0.010]))
    wrist = put("left_wrist", elbow + np.array([0.250 * props.arm_length, -0.005, 0.002]))

    # left hand
    tips: dict[str, np.ndarray] = {}
    for digit, spec in LEFT_DIGITS.items():
        d = np.asarray(spec.direction) / np.linalg.norm(spec.direction)
        p = wrist + props.hand_size * np.asarray(spec.base)
        for k in range(3):
            put(f"left_{digit}{k + 1}", p)
            p = p + props.hand_size * spec.lengths[k] * d
        tips[f"left_{digit}"] = p

    # right side = mirror of the left side
    for i, name in enumerate(JOINT_NAMES):
        if name.startswith("right_"):
            J[i] = mirror_x(J[JOINT_INDEX[mirror_joint_name(name)]])
    for key in list(tips):
        tips["right_" + key[5:]] = mirror_x(tips[key])

    return Layout(props=props, joints=J, tips=tips, head_anchor=head_anchor, head_scale=hs,
                  hand_scale=props.hand_size, foot_scale=fs, sole_y=float(sole_y), scale=1.0)
