"""Hand pose space: ``hands_mean*`` from MakeHuman's relaxed hand, ``hands_components*`` hand-made.

* Mean: the rest pose is the flat hand (SMPL-X's), reached from MakeHuman's relaxed, slightly curled hand by the
  repose rotations. The mean pose is the way back: for every finger joint j with parent p, the local rotation
  A_p A_j^-1 (A: the repose's global rotations), as axis-angle. So ``flat_hand_mean=False`` shows MakeHuman's own
  relaxed hand, as it shows SMPL-X's relaxed hand on SMPL-X.
* Components: SMPL-X's are learnt from MANO scans; none are available here, so the basis is an orthonormal set
  whose first rows are plain synergies (curl towards the relaxed pose, fist, spread, thumb across the palm, each
  finger alone), completed with the remaining unit axes by Gram-Schmidt. PCA hand poses from SMPL-X estimators
  therefore do not transfer: use ``use_pca=False`` axis-angle hand poses with this model.
"""
from __future__ import annotations

import numpy as np

from ..body.skeleton import JOINT_INDEX, JOINT_NAMES, PARENTS
from ..rotations import rodrigues_axis_angle

HAND_DIGITS = ("index", "middle", "pinky", "ring", "thumb")    # SMPL-X's order of the hand joints
#: Mirror of an axis-angle vector through the x = 0 plane, tiled over the 15 hand joints.
MIRROR = np.tile(np.array([1.0, -1.0, -1.0]), 15)


def hand_joint_names(side: str) -> list[str]:
    """The 15 joints of one hand in model order (``left_index1`` ... ``left_thumb3``)."""
    start = JOINT_INDEX[f"{side}_index1"]
    return list(JOINT_NAMES[start:start + 15])


def hand_mean(rotations: np.ndarray, side: str) -> np.ndarray:
    """(45,) relaxed pose of one hand: local rotations from the flat rest back to MakeHuman's hand."""
    out = []
    for name in hand_joint_names(side):
        j = JOINT_INDEX[name]
        p = PARENTS[j]
        out.append(rodrigues_axis_angle(rotations[p] @ rotations[j].T))
    return np.concatenate(out)


def _flexion_axes(joints: np.ndarray, tips: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Left hand: the axis (3,) about which each joint curls its digit towards the palm (-Y)."""
    out = {}
    for digit in HAND_DIGITS:
        for k in (1, 2, 3):
            a = joints[JOINT_INDEX[f"left_{digit}{k}"]]
            b = joints[JOINT_INDEX[f"left_{digit}{k + 1}"]] if k < 3 else tips[f"left_{digit}"]
            d = (b - a) / np.linalg.norm(b - a)
            axis = np.cross(d, [0.0, -1.0, 0.0])
            out[f"{digit}{k}"] = axis / np.linalg.norm(axis)
    return out


def left_hand_components(joints: np.ndarray, tips: dict[str, np.ndarray], mean: np.ndarray) -> np.ndarray:
    """(45, 45) orthonormal rows for the left hand (see the module docstring)."""
    flex = _flexion_axes(joints, tips)
    slots = {f"{d}{k}": 3 * (i * 3 + k - 1) for i, d in enumerate(HAND_DIGITS) for k in (1, 2, 3)}

    def vec(parts: dict[str, np.ndarray]) -> np.ndarray:
        v = np.zeros(45)
        for key, value in parts.items():
            v[slots[key]:slots[key] + 3] += value
        return v

    synergies = [mean.copy()]
    synergies.append(vec({f"{d}{k}": flex[f"{d}{k}"] for d in HAND_DIGITS for k in (1, 2, 3)}))
    spread = {"index": -1.0, "middle": 0.0, "ring": 0.6, "pinky": 1.2}
    synergies.append(vec({f"{d}1": np.array([0.0, s, 0.0]) for d, s in spread.items()}))
    synergies.append(vec({"thumb1": np.array([1.0, 0.0, 0.0]) + flex["thumb1"], "thumb2": flex["thumb2"],
                          "thumb3": flex["thumb3"]}))
    for d in HAND_DIGITS:
        synergies.append(vec({f"{d}{k}": flex[f"{d}{k}"] for k in (1, 2, 3)}))
    basis: list[np.ndarray] = []
    for v in synergies + list(np.eye(45)):
        for b in basis:
            v = v - (v @ b) * b
        n = np.linalg.norm(v)
        if n > 1e-6:
            basis.append(v / n)
        if len(basis) == 45:
            break
    out = np.array(basis)
    # one more pass for numerical orthonormality
    q, r = np.linalg.qr(out.T)
    return np.ascontiguousarray((q * np.sign(np.diag(r))[None, :]).T)
