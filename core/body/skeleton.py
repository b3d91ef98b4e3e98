"""The SMPL-X skeleton: joint names, kinematic tree and named chains.

Source: vchoutas/smplx ``smplx/joint_names.py`` (first 55 names) and the
``kintree_table`` of the official SMPL-X model files.
"""
from __future__ import annotations

import numpy as np

#: The 55 SMPL-X joints in model order: pelvis, 21 body joints, jaw, 2 eyes, 2 x 15 hand joints.
JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "jaw",
    "left_eye_smplhf", "right_eye_smplhf",
    "left_index1", "left_index2", "left_index3", "left_middle1", "left_middle2", "left_middle3",
    "left_pinky1", "left_pinky2", "left_pinky3", "left_ring1", "left_ring2", "left_ring3",
    "left_thumb1", "left_thumb2", "left_thumb3",
    "right_index1", "right_index2", "right_index3", "right_middle1", "right_middle2", "right_middle3",
    "right_pinky1", "right_pinky2", "right_pinky3", "right_ring1", "right_ring2", "right_ring3",
    "right_thumb1", "right_thumb2", "right_thumb3",
)

NUM_JOINTS = 55
NUM_BODY_JOINTS = 21  # joints 1..21, the ``body_pose`` block
NUM_HAND_JOINTS = 15
NUM_POSE_BASIS = (NUM_JOINTS - 1) * 9  # 486 pose-corrective directions

#: Parent index of each joint (-1 for the root), the first row of SMPL-X's ``kintree_table``.
PARENTS: np.ndarray = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15,
     20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
     21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53],
    dtype=np.int64,
)

JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

#: Slices of the 55-joint full pose.
GLOBAL_ORIENT = slice(0, 1)
BODY_POSE = slice(1, 22)
JAW = 22
LEFT_EYE = 23
RIGHT_EYE = 24
LEFT_HAND = slice(25, 40)
RIGHT_HAND = slice(40, 55)

#: Chains from the root to each wrist and to the head (docs/ARCHITECTURE.md, estimator conventions).
LEFT_WRIST_CHAIN: tuple[int, ...] = (0, 3, 6, 9, 13, 16, 18, 20)
RIGHT_WRIST_CHAIN: tuple[int, ...] = (0, 3, 6, 9, 14, 17, 19, 21)
HEAD_CHAIN: tuple[int, ...] = (0, 3, 6, 9, 12, 15)

#: smplx's fixed SMPL-X vertex ids for its extra joints (``smplx/vertex_ids.py``).
SMPLX_EXTRA_VERTEX_IDS: dict[str, int] = {
    "nose": 9120, "reye": 9929, "leye": 9448, "rear": 616, "lear": 6,
    "rthumb": 8079, "rindex": 7669, "rmiddle": 7794, "rring": 7905, "rpinky": 8022,
    "lthumb": 5361, "lindex": 4933, "lmiddle": 5058, "lring": 5169, "lpinky": 5286,
    "LBigToe": 5770, "LSmallToe": 5780, "LHeel": 8846,
    "RBigToe": 8463, "RSmallToe": 8474, "RHeel": 8635,
}

NUM_VERTICES = 10475


def kintree_table() -> np.ndarray:
    """(2, 55) int64 kintree table as in the official files (root parent stored as -1)."""
    return np.stack([PARENTS, np.arange(NUM_JOINTS, dtype=np.int64)])


def children_of(joint: int) -> list[int]:
    """Indices of the direct children of ``joint``."""
    return [int(j) for j in np.nonzero(PARENTS == joint)[0]]
