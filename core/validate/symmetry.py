"""Limb-length symmetry: left against right bone lengths.

SMPL-X's shape space (and the licence-free mannequin's) is left-right symmetric: every beta changes a left bone
and its right twin alike, so a fused take's rest skeleton is symmetric unless the *model* is not (a personalised
or edited model file). Posed joints of a take from the model are rigid, with the rest lengths. Per-frame asymmetry
appears where the joints come from elsewhere: a rig whose bones were moved or scaled in Blender (the Validation
panel reads the displayed skeleton back), or an estimator's own 3D joints. The check takes whichever joints it is
given: (T, 55, 3), per frame.
"""
from __future__ import annotations

import numpy as np

from ..body.skeleton import JOINT_INDEX
from .result import CheckResult, flagged

#: (limb name, (left parent, left child), (right parent, right child)).
LIMB_PAIRS: tuple[tuple[str, tuple[str, str], tuple[str, str]], ...] = (
    ("collar", ("left_collar", "left_shoulder"), ("right_collar", "right_shoulder")),
    ("upper_arm", ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow")),
    ("forearm", ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist")),
    ("hand", ("left_wrist", "left_middle1"), ("right_wrist", "right_middle1")),
    ("hip", ("pelvis", "left_hip"), ("pelvis", "right_hip")),
    ("thigh", ("left_hip", "left_knee"), ("right_hip", "right_knee")),
    ("shank", ("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
    ("foot", ("left_ankle", "left_foot"), ("right_ankle", "right_foot")),
)


def limb_lengths(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 55, 3) joints -> left and right lengths, each (T, L) metres, in :data:`LIMB_PAIRS` order."""
    j = np.asarray(joints, dtype=np.float64)

    def length(pair: tuple[str, str]) -> np.ndarray:
        return np.linalg.norm(j[:, JOINT_INDEX[pair[1]]] - j[:, JOINT_INDEX[pair[0]]], axis=-1)

    left = np.stack([length(lp) for _, lp, _ in LIMB_PAIRS], axis=1)
    right = np.stack([length(rp) for _, _, rp in LIMB_PAIRS], axis=1)
    return left, right


def check_symmetry(joints: np.ndarray, threshold_pct: float, source: str) -> CheckResult:
    """Score = the largest |L - R| / mean(L, R) over limbs, percent, per frame; breakdown per limb.

    Args:
        joints: (T, 55, 3) joints (rest joints per frame, or posed / displayed joints).
        threshold_pct: e.g. 4.
        source: what the joints are, for the report (``"rest skeleton"``, ``"displayed rig"``, ...).
    """
    left, right = limb_lengths(joints)
    asym = 100.0 * np.abs(left - right) / np.maximum(0.5 * (left + right), 1e-9)  # (T, L)
    scores = asym.max(axis=1)
    flags = flagged(scores, threshold_pct)
    breakdown = {name: asym[:, k] for k, (name, _, _) in enumerate(LIMB_PAIRS)}
    longer = {}
    for f in np.flatnonzero(flags):
        k = int(np.argmax(asym[f]))
        longer[int(f)] = {"limb": LIMB_PAIRS[k][0], "left_m": round(float(left[f, k]), 4),
                          "right_m": round(float(right[f, k]), 4)}
    return CheckResult(name="symmetry", status="ok", unit="%", threshold=float(threshold_pct), scores=scores,
                       flags=flags, breakdown=breakdown, details={"source": source, "worst": longer},
                       note=f"left vs right bone lengths of the {source}")


__all__ = ["LIMB_PAIRS", "limb_lengths", "check_symmetry"]
