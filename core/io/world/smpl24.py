"""SMPL (24 joints) bodies onto SMPL-X's 21 body joints: WHAM and TRAM predict SMPL.

SMPL's joints (vchoutas/smplx ``smplx/joint_names.py``, ``SMPL_JOINT_NAMES``) are pelvis, left/right hip, spine1,
left/right knee, spine2, left/right ankle, spine3, left/right foot, neck, left/right collar, head, left/right
shoulder, left/right elbow, left/right wrist, left/right hand. SMPL-X's first 22 joints (``JOINT_NAMES``) are the
same 22 in the same order and with the same kinematic tree, so SMPL joint j is SMPL-X joint j for j = 0..21:
``global_orient`` is joint 0 and ``body_pose`` joints 1..21.

SMPL's joints 22 and 23 (``left_hand``, ``right_hand``) are one rigid hand bone each, below the wrist; SMPL-X has
15 finger joints per hand there instead. They are **dropped** (a rotation of a rigid hand bone moves no SMPL-X
finger), and SMPL-X's hands, jaw and eyes start at zero: flat hands and a closed jaw, which the hand and face
experts then replace. The readers record this in ``source["conventions"]``.

SMPL's shape space is not SMPL-X's: betas are carried as they are (the first 10), and the readers say so.
"""
from __future__ import annotations

import numpy as np

__all__ = ["SMPL_NUM_JOINTS", "DROPPED_SMPL_JOINTS", "MAPPING_NOTE", "smpl_pose_to_smplx"]

SMPL_NUM_JOINTS = 24
#: SMPL joints with no SMPL-X counterpart (its rigid hand bones).
DROPPED_SMPL_JOINTS = (22, 23)
MAPPING_NOTE = ("SMPL 24 joints -> SMPL-X: joint 0 = global_orient, joints 1-21 = body_pose (same names, order and "
                "tree, smplx joint_names.py); SMPL joints 22-23 (left_hand, right_hand) dropped; SMPL-X hands, jaw "
                "and eyes zero (flat hands, closed jaw); SMPL betas carried unchanged (a different shape space)")


def smpl_pose_to_smplx(pose_aa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 24, 3) or (T, 72) SMPL axis-angle -> ``(global_orient (T, 3), body_pose (T, 21, 3))``; joints 22-23
    dropped."""
    pose = np.asarray(pose_aa, dtype=np.float64).reshape(-1, SMPL_NUM_JOINTS, 3)
    return pose[:, 0].copy(), pose[:, 1:22].copy()
