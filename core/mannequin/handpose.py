"""Hand pose space: the mean (relaxed) hand pose and an orthonormal component basis.

Poses are 15 joints x axis-angle (x, y, z) in JOINT_NAMES order (index, middle, pinky, ring,
thumb; joints 1-3 each).  The left hand's fingers point along +X with the palm facing -Y, so
flexion is a rotation about -Z; the right hand is the mirror image, (x, y, z) -> (x, -y, -z).
"""
from __future__ import annotations

import numpy as np

from .layout import DIGITS, LEFT_DIGITS

#: Mirror of an axis-angle vector through the x = 0 plane, tiled over the 15 hand joints (45,).
MIRROR_AXIS_ANGLE: np.ndarray = np.tile(np.array([1.0, -1.0, -1.0]), 15)

# flexion (rad) of joints 1, 2, 3 and a small sideways component, per finger
_FINGER_CURL: dict[str, tuple[tuple[float, float, float], float]] = {
    "index": ((0.18, 0.28, 0.20), -0.05),
    "middle": ((0.26, 0.34, 0.24), -0.02),
    "pinky": ((0.38, 0.42, 0.28), 0.08),
    "ring": ((0.33, 0.40, 0.27), 0.04),
}
_THUMB_CURL = (0.14, 0.24, 0.30)


def left_hand_mean() -> np.ndarray:
    """(45,) float64 relaxed left-hand pose (axis-angle per joint)."""
    out = np.zeros((15, 3))
    for d, digit in enumerate(DIGITS):
        if digit == "thumb":
            direction = np.asarray(LEFT_DIGITS["thumb"].direction, dtype=np.float64)
            direction /= np.linalg.norm(direction)
            axis = np.cross(direction, np.array([0.0, -1.0, 0.0]))   # turns the thumb towards the palm
            axis /= np.linalg.norm(axis)
            for k in range(3):
                out[3 * d + k] = _THUMB_CURL[k] * axis + np.array([0.0, 0.06, 0.0]) * (k == 0)
        else:
            curl, spread = _FINGER_CURL[digit]
            for k in range(3):
                out[3 * d + k] = (0.0, spread if k == 0 else 0.0, -curl[k])
    return out.reshape(-1)


def right_hand_mean() -> np.ndarray:
    """(45,) float64: the left mean mirrored."""
    return left_hand_mean() * MIRROR_AXIS_ANGLE


def left_hand_components(seed: int = 45) -> np.ndarray:
    """(45, 45) float64 with orthonormal rows (a fixed seeded orthogonal matrix)."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.normal(size=(45, 45)))
    q = q * np.sign(np.diag(r))[None, :]
    return np.ascontiguousarray(q.T)


def right_hand_components(seed: int = 45) -> np.ndarray:
    """(45, 45) float64: each left component mirrored (still orthonormal)."""
    return left_hand_components(seed) * MIRROR_AXIS_ANGLE[None, :]
