"""The feet's ground-contact points: heel, big toe and small toe of each foot, camera frame.

They are smplx's vertex-based extra joints (``LHeel``, ``LBigToe``, ``LSmallToe`` and the right ones; fixed SMPL-X
vertex ids, ``core.body.skeleton.SMPLX_EXTRA_VERTEX_IDS``), skinned in plain numpy by
:func:`core.body.posing.skin_vertices` with the pose correctives on, as the smplx forward pass places them.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..body.model import BodyModel
from ..body.posing import PosedSkeleton, pose_skeleton, skin_vertices
from ..body.skeleton import JOINT_INDEX, SMPLX_EXTRA_VERTEX_IDS
from ..contracts.fused_file import FusedSequence

FEET = ("left", "right")
FOOT_POINT_NAMES = ("heel", "big_toe", "small_toe")
#: (2, 3) vertex ids: rows left, right; columns heel, big toe, small toe.
FOOT_VERTEX_IDS = np.array([[SMPLX_EXTRA_VERTEX_IDS[f"{s}{p}"] for p in ("Heel", "BigToe", "SmallToe")]
                            for s in ("L", "R")], dtype=np.int64)
#: Leg joints per foot (rows left, right): hip, knee, ankle, foot (toes).
HIP = np.array([JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]])
KNEE = np.array([JOINT_INDEX["left_knee"], JOINT_INDEX["right_knee"]])
ANKLE = np.array([JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]])
TOES = np.array([JOINT_INDEX["left_foot"], JOINT_INDEX["right_foot"]])


def foot_points(seq: FusedSequence, model: BodyModel, skeleton: Optional[PosedSkeleton] = None) -> np.ndarray:
    """(T, 2, 3, 3) heel, big-toe and small-toe points of the left and right foot, camera frame, metres.

    Args:
        seq: the take.
        model: its body model (SMPL-X vertex layout: the ids above must index the matching anatomy).
        skeleton: :func:`core.body.posing.pose_skeleton` of ``seq`` when already computed.
    """
    skel = skeleton if skeleton is not None else pose_skeleton(seq, model)
    pts = skin_vertices(model, seq, skel, FOOT_VERTEX_IDS.reshape(-1), pose_correctives=True)
    return pts.reshape(seq.num_frames, 2, 3, 3)


def body_up_direction(skeleton: PosedSkeleton) -> np.ndarray:
    """(3,) the take's mean pelvis-to-neck direction, camera frame: the prior for the ground's up direction.

    Falls back to the camera's up, (0, -1, 0), when the take gives no usable direction.
    """
    spine = skeleton.joints[:, JOINT_INDEX["neck"]] - skeleton.joints[:, JOINT_INDEX["pelvis"]]
    norms = np.linalg.norm(spine, axis=1, keepdims=True)
    ok = norms[:, 0] > 1e-6
    if not ok.any():
        return np.array([0.0, -1.0, 0.0])
    mean = (spine[ok] / norms[ok]).mean(axis=0)
    length = np.linalg.norm(mean)
    return mean / length if length > 1e-6 else np.array([0.0, -1.0, 0.0])


def body_forward_direction(skeleton: PosedSkeleton) -> Optional[np.ndarray]:
    """(3,) the take's mean facing direction (the pelvis' +z axis, SMPL-X's forward), camera frame, or None when
    the take gives no usable direction. The ground prior is weaker along it than across it (people lean forward,
    rarely sideways)."""
    facing = skeleton.global_rot[:, 0, :, 2]  # (T, 3) third column: the pelvis frame's z axis
    mean = facing.mean(axis=0)
    length = float(np.linalg.norm(mean))
    return mean / length if np.isfinite(length) and length > 1e-6 else None


__all__ = ["FEET", "FOOT_POINT_NAMES", "FOOT_VERTEX_IDS", "HIP", "KNEE", "ANKLE", "TOES", "foot_points",
           "body_up_direction", "body_forward_direction"]
