"""Which joints the 2D evidence sees, the joint groups of the pose refinement, and its held-out folds. numpy only.

A joint's local rotation turns the bones below it. The evidence *sees* that rotation in a frame when it measures
one of those bones as a direction: a point the joint carries (a child joint, a fingertip, the face point) is
observed, and so is the joint's own point or its parent's (the bone's other end, or the end of the bone above when
the joint itself has no keypoint, as the head under face keypoints). The pelvis's position is the translation's,
fitted with it, so it counts as observed: the global orientation, the hips and spine1 are seen through what they
carry (detectors' hips and neck are not SMPL-X's and are not used). A child without a keypoint passes on what it
carries (the neck sees the face points through the head). Two or more observed points fixed in a joint's own frame
(nose, eyes and ears on the head; the toes on a foot) measure its orientation whatever else is seen. Examples with
OpenPose's body keypoints in smplx order:
- the collars carry the shoulders (observed), but neither a collar nor the spine above it has a keypoint: the
  shoulder's position is explained by the spine and the collar alike, so the collars are not seen (never
  corrected). Held at the estimator's value, they fix the shoulders in spine3's frame: with both shoulders observed
  the upper body's orientation is measured, and spine1-3 are seen (the bend shared by the prior, as SMPLify);
- the neck has a keypoint but carries the head, which has none, and the head carries nothing observed without face
  keypoints: neck and head are not seen (the head then holds the estimator's value); with face keypoints the head
  is seen (its orientation), and the neck too where its keypoint is used;
- a wrist carries the hand's points: seen only with hand keypoints.
The refinement corrects only seen joints (:mod:`core.camera.pose_refine`); the rest hold the estimator's value.

Groups (:data:`JOINT_GROUPS`) are what the refinement keeps or reverts as a whole, each judged on the keypoints its
joints carry (:func:`point_groups`): the torso (pelvis, hips, spine, neck and collar points), the head (head and
face points), each arm (shoulder, elbow, wrist points), each hand (the hand's points) and each leg (knee, ankle,
foot points).
"""
from __future__ import annotations

import numpy as np

from ..body.skeleton import JOINT_INDEX, NUM_JOINTS, PARENTS

_J = JOINT_INDEX
_SHOULDERS = (_J["left_shoulder"], _J["right_shoulder"])
_SPINE = (_J["spine1"], _J["spine2"], _J["spine3"])

#: Joints corrected together, and kept or reverted together (groups in SMPL-X order of their first joint).
JOINT_GROUPS: dict[str, tuple[int, ...]] = {
    "torso": (0, _J["spine1"], _J["spine2"], _J["spine3"]),
    "left_leg": (_J["left_hip"], _J["left_knee"], _J["left_ankle"], _J["left_foot"]),
    "right_leg": (_J["right_hip"], _J["right_knee"], _J["right_ankle"], _J["right_foot"]),
    "head": (_J["neck"], _J["head"], _J["jaw"], _J["left_eye_smplhf"], _J["right_eye_smplhf"]),
    "left_arm": (_J["left_collar"], _J["left_shoulder"], _J["left_elbow"]),
    "right_arm": (_J["right_collar"], _J["right_shoulder"], _J["right_elbow"]),
    "left_hand": (_J["left_wrist"],) + tuple(range(25, 40)),
    "right_hand": (_J["right_wrist"],) + tuple(range(40, 55)),
}
GROUP_NAMES: tuple[str, ...] = tuple(JOINT_GROUPS)
#: The group whose correction moves a group's root (where a group without corrections of its own ends worse).
PARENT_GROUP: dict[str, str] = {"left_leg": "torso", "right_leg": "torso", "head": "torso", "left_arm": "torso",
                                "right_arm": "torso", "left_hand": "left_arm", "right_hand": "right_arm"}


def joint_group_index() -> np.ndarray:
    """(55,) the index into :data:`GROUP_NAMES` of each joint's group."""
    out = np.full(NUM_JOINTS, -1, dtype=np.int64)
    for g, joints in enumerate(JOINT_GROUPS.values()):
        out[list(joints)] = g
    return out


def point_carriers(point_joint: np.ndarray, point_offset: np.ndarray) -> np.ndarray:
    """(P,) the joint whose rotation moves each point last: its own joint for a point offset from it (a fingertip,
    the face point), else the joint's parent (-1 for the pelvis, which only the translation moves)."""
    point_joint = np.asarray(point_joint, dtype=np.int64)
    offset = np.abs(np.asarray(point_offset, dtype=np.float64)).max(axis=-1) > 0
    return np.where(offset, point_joint, PARENTS[point_joint])


def point_groups(point_joint: np.ndarray, point_offset: np.ndarray) -> np.ndarray:
    """(P,) the group index (:data:`GROUP_NAMES`) each point is judged in: the group of its carrier (the torso for
    the pelvis)."""
    carriers = point_carriers(point_joint, point_offset)
    return np.where(carriers >= 0, joint_group_index()[np.maximum(carriers, 0)], 0)


def seen_joints(weight: np.ndarray, point_joint: np.ndarray, point_offset: np.ndarray) -> np.ndarray:
    """(T, 55) bool: whether the evidence sees each joint's rotation in each frame (see the module notes).

    Args:
        weight: (T, P) evidence weights (> 0 where a point is observed).
        point_joint, point_offset: (P,) and (P, 3), the points' joints and rest offsets (:class:`PointRig`).
    """
    observed_point = np.asarray(weight, dtype=np.float64) > 0
    t = observed_point.shape[0]
    point_joint = np.asarray(point_joint, dtype=np.int64)
    carriers = point_carriers(point_joint, point_offset)
    is_joint = carriers != point_joint
    own = np.zeros((t, NUM_JOINTS), dtype=bool)
    carried = np.zeros((t, NUM_JOINTS), dtype=bool)
    rigid = np.zeros((t, NUM_JOINTS), dtype=np.int64)  # observed points offset from the joint, in its frame
    for p in range(point_joint.shape[0]):  # over points (76), never frames
        if is_joint[p]:
            own[:, point_joint[p]] |= observed_point[:, p]
        else:
            rigid[:, point_joint[p]] += observed_point[:, p]
        if carriers[p] >= 0:
            carried[:, carriers[p]] |= observed_point[:, p]
    for j in range(NUM_JOINTS - 1, 0, -1):  # children before parents: an unobserved child passes on what it carries
        carried[:, PARENTS[j]] |= carried[:, j] & ~own[:, j]
    own[:, 0] = True  # the pelvis's position is the translation's, fitted with it: it counts as observed
    anchor = own.copy()
    anchor[:, 1:] |= own[:, PARENTS[1:]]
    seen = (carried & anchor) | (rigid >= 2)
    # the collars are never corrected (no detector has a collar keypoint), so the shoulders are fixed in spine3's
    # frame: both shoulders observed measure the upper spine's orientation, and the bend is shared by the spine
    # joints through the prior (as SMPLify does)
    shoulders = observed_joint_points(observed_point, point_joint, is_joint, _SHOULDERS)
    seen[:, list(_SPINE)] |= (shoulders >= 2)[:, None]
    return seen


def observed_joint_points(observed_point: np.ndarray, point_joint: np.ndarray, is_joint: np.ndarray,
                          joints: tuple[int, ...]) -> np.ndarray:
    """(T,) how many of ``joints`` have an observed point of their own (a joint point, no offset) in each frame."""
    hit = np.zeros((observed_point.shape[0], len(joints)), dtype=bool)
    for p in np.flatnonzero(is_joint):
        if int(point_joint[p]) in joints:
            hit[:, joints.index(int(point_joint[p]))] |= observed_point[:, p]
    return hit.sum(axis=1)


def holdout_masks(weight: np.ndarray, groups: np.ndarray, folds: int = 2) -> np.ndarray:
    """(folds, T, P) bool: the observed points each fold holds out. Within a group, the points observed in some frame
    are ranked in point order (down the chain: shoulder, elbow, wrist) and frame t holds out ranks with
    ``(t + rank) % folds == fold``, so every fold keeps part of each group and each point is held out in
    ``1 / folds`` of the frames."""
    observed = np.asarray(weight, dtype=np.float64) > 0
    t, p = observed.shape
    rank = np.zeros(p, dtype=np.int64)
    used = observed.any(axis=0)
    for g in np.unique(groups):
        members = np.flatnonzero((groups == g) & used)
        rank[members] = np.arange(members.shape[0])
    phase = (np.arange(t)[:, None] + rank[None, :]) % int(folds)
    return np.stack([observed & (phase == f) for f in range(int(folds))])


__all__ = ["JOINT_GROUPS", "GROUP_NAMES", "PARENT_GROUP", "joint_group_index", "point_carriers", "point_groups",
           "seen_joints", "observed_joint_points", "holdout_masks"]
