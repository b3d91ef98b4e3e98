"""The body's segments as pairs of SMPL-X joints, and their lengths: what a shape is measured by (bone lengths).

Each segment joins two of the 22 body joints that a 2D body detector also reports (hips, knees, ankles, shoulders,
elbows, wrists, neck, pelvis), so it can be measured in a detector's keypoints as on the model. The eight limb bones
(:data:`LIMB_BONE_NAMES`: upper arms, forearms, thighs, shins) are rigid; the torso and the shoulder and hip
breadths span several joints, so their posed length also depends on the spine's and the collars' pose.
"""
from __future__ import annotations

import numpy as np

from .skeleton import JOINT_INDEX

#: name -> (joint a, joint b), SMPL-X joint names: the limb bones, then the torso and the breadths.
LIMBS: dict[str, tuple[str, str]] = {
    "left_upper_arm": ("left_shoulder", "left_elbow"),
    "right_upper_arm": ("right_shoulder", "right_elbow"),
    "left_forearm": ("left_elbow", "left_wrist"),
    "right_forearm": ("right_elbow", "right_wrist"),
    "left_thigh": ("left_hip", "left_knee"),
    "right_thigh": ("right_hip", "right_knee"),
    "left_shin": ("left_knee", "left_ankle"),
    "right_shin": ("right_knee", "right_ankle"),
    "shoulder_width": ("left_shoulder", "right_shoulder"),
    "hip_width": ("left_hip", "right_hip"),
    "torso": ("pelvis", "neck"),
}
LIMB_NAMES: tuple[str, ...] = tuple(LIMBS)
#: The rigid limb bones (a single parent-child bone each).
LIMB_BONE_NAMES: tuple[str, ...] = LIMB_NAMES[:8]
#: (L, 2) joint indices of each limb, in :data:`LIMB_NAMES` order.
LIMB_JOINTS: np.ndarray = np.array([[JOINT_INDEX[a], JOINT_INDEX[b]] for a, b in LIMBS.values()], dtype=np.int64)


def limb_lengths(joints: np.ndarray) -> np.ndarray:
    """Lengths of :data:`LIMB_NAMES`: joints (..., 55 or more, D) with D = 3 (metres) or 2 (pixels) -> (..., L)."""
    j = np.asarray(joints, dtype=np.float64)
    return np.linalg.norm(j[..., LIMB_JOINTS[:, 1], :] - j[..., LIMB_JOINTS[:, 0], :], axis=-1)


__all__ = ["LIMBS", "LIMB_NAMES", "LIMB_BONE_NAMES", "LIMB_JOINTS", "limb_lengths"]
