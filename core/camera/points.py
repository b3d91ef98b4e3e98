"""The 3D points a camera must reproject: a sequence's body joints, hand keypoints and face centre. numpy only.

Points are in the camera frame (OpenCV) **before** the per-frame root translation ``transl`` is added, in a fixed
layout of :data:`NUM_POINTS` = 76 per frame (:data:`POINT_GROUPS`; the first 65 as before the head and feet were
added):
- ``body`` 0-21: SMPL-X joints 0-21 (pelvis ... wrists);
- ``left_hand`` 22-42, ``right_hand`` 43-63: OpenPose hand order (wrist, thumb 1-3 + tip, index, middle, ring,
  pinky), fingertips at smplx's fingertip vertices rigidly attached to the distal joints;
- ``face`` 64: the centre of the head region's rest bounding box (vertices skinned mostly to head, jaw and eyes),
  carried by the head joint: where a face box is centred;
- ``head`` 65-69: nose, right eye, left eye, right ear, left ear (smplx's extra keypoints, in
  ``smplx/joint_names.py`` order), at smplx's fixed vertex ids (``smplx/vertex_ids.py``; the built-in models put
  those ids on the matching anatomy) rigidly carried by the head joint: where 2D detectors put their face
  keypoints, so they constrain the head and neck;
- ``feet`` 70-75: left big toe, left small toe, left heel, right big toe, right small toe, right heel (smplx's
  extra keypoints), the toes carried by the foot joints and the heels by the ankles (OpenPose BODY_25 and
  COCO-WholeBody detect them).

Joints are smplx's: regressed from the shaped rest mesh **including the expression offsets** (so they move with
expression), then posed along the kinematic chains (:func:`core.body.chains.forward_kinematics`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..body import chains
from ..body.model import BodyModel
from ..body.skeleton import JOINT_INDEX, SMPLX_EXTRA_VERTEX_IDS
from ..contracts.fused_file import FusedSequence
from ..fusion.hands import FINGERTIPS, SIDE_NAMES, openpose_hand_joint_indices
from ..rotations import axis_angle_to_matrix

POINT_GROUPS: dict[str, slice] = {"body": slice(0, 22), "left_hand": slice(22, 43), "right_hand": slice(43, 64),
                                  "face": slice(64, 65), "head": slice(65, 70), "feet": slice(70, 76)}
NUM_POINTS = 76
#: The ``head`` group's points: smplx extra keypoint name, vertex id key, carrying joint.
HEAD_POINTS = (("nose", "nose", "head"), ("right_eye", "reye", "head"), ("left_eye", "leye", "head"),
               ("right_ear", "rear", "head"), ("left_ear", "lear", "head"))
#: The ``feet`` group's points (toes on the foot joints, heels on the ankles).
FEET_POINTS = (("left_big_toe", "LBigToe", "left_foot"), ("left_small_toe", "LSmallToe", "left_foot"),
               ("left_heel", "LHeel", "left_ankle"), ("right_big_toe", "RBigToe", "right_foot"),
               ("right_small_toe", "RSmallToe", "right_foot"), ("right_heel", "RHeel", "right_ankle"))
BODY_JOINTS = np.arange(22)
#: Joints whose skinned vertices make up the head region (a face detector's box covers it).
HEAD_REGION_JOINTS = (JOINT_INDEX["head"], JOINT_INDEX["jaw"], JOINT_INDEX["left_eye_smplhf"],
                      JOINT_INDEX["right_eye_smplhf"])
_HEAD = JOINT_INDEX["head"]


@dataclass
class ModelPoints:
    """A sequence's points before translation.

    Attributes:
        points: (T, 76, 3) camera-frame points, metres (layout :data:`POINT_GROUPS`).
        joints: (T, 55, 3) all SMPL-X joints (what the Blender armature's bone heads show).
        ref_index: index into ``points`` of the reference point (the pelvis) used for crop conversions.
    """

    points: np.ndarray
    joints: np.ndarray
    ref_index: int = 0

    @property
    def num_frames(self) -> int:
        return int(self.points.shape[0])


def rest_joints_per_frame(model: BodyModel, betas: np.ndarray, expression: Optional[np.ndarray],
                          num_frames: int) -> np.ndarray:
    """(T, 55, 3) rest joints with shape (and expression) offsets, regressed without forming (T, V, 3) vertices.

    Args:
        betas: (B,) one shape, or (T, B) per frame.
        expression: (T, E) or None.
    """
    betas = np.asarray(betas, dtype=np.float64)
    nb = min(betas.shape[-1], model.num_betas)
    joint_template = model.joint_regressor @ model.v_template  # (55, 3)
    joint_shape_dirs = np.einsum("jv,vcn->jcn", model.joint_regressor, model.shape_dirs[:, :, :nb])
    rest = joint_template + np.einsum("jcn,...n->...jc", joint_shape_dirs, betas[..., :nb])
    rest = np.broadcast_to(rest, (num_frames, 55, 3)).copy() if rest.ndim == 2 else rest.reshape(num_frames, 55, 3)
    if expression is not None and np.asarray(expression).shape[-1]:
        rest = rest + model.expression_joint_offsets(np.asarray(expression, dtype=np.float64).reshape(num_frames, -1))
    return rest


def face_offset(model: BodyModel, betas: np.ndarray) -> np.ndarray:
    """(3,) model-frame offset from the rest head joint to the centre of the head region's rest bounding box."""
    verts = model.shaped_vertices(np.asarray(betas, dtype=np.float64))
    head = np.isin(np.argmax(model.skinning_weights, axis=1), HEAD_REGION_JOINTS)
    box_centre = 0.5 * (verts[head].min(axis=0) + verts[head].max(axis=0))
    return box_centre - model.joint_regressor[_HEAD] @ verts


@dataclass
class PointRig:
    """Where each of the :data:`NUM_POINTS` points sits on the skeleton: ``point = p_j + G_j @ offset``.

    Attributes:
        rest_joints: (T, 55, 3) rest joints with shape and expression offsets (:func:`rest_joints_per_frame`).
        point_joint: (76,) the joint j carrying each point (the joint itself for body and hand joints, the distal
            finger joint for a fingertip, the head for the face and head points, a foot or ankle for the feet).
        point_offset: (76, 3) the point's rest offset from that joint, model frame, metres (0 for joints).
    """

    rest_joints: np.ndarray
    point_joint: np.ndarray
    point_offset: np.ndarray


def point_rig(betas: np.ndarray, expression: Optional[np.ndarray], model: BodyModel, num_frames: int) -> PointRig:
    """:class:`PointRig` of a shape (``betas`` (B,) or (T, B)) and per-frame ``expression`` (T, E) or None.

    Fingertips are smplx's fingertip vertices rigidly attached to the distal joints and the face point is the head
    region's box centre carried by the head joint, the head and feet points smplx's extra-keypoint vertices carried by
    the head, foot and ankle joints, all from the mean shape's rest mesh.
    """
    rest = rest_joints_per_frame(model, betas, expression, num_frames)
    mean_betas = np.asarray(betas, dtype=np.float64)
    mean_betas = mean_betas.mean(axis=0) if mean_betas.ndim == 2 else mean_betas
    rest_vertices = model.shaped_vertices(mean_betas)
    rest_joints = model.joint_regressor @ rest_vertices
    joint = np.zeros(NUM_POINTS, dtype=np.int64)
    offset = np.zeros((NUM_POINTS, 3))
    joint[POINT_GROUPS["body"]] = BODY_JOINTS
    for side, group in ((0, "left_hand"), (1, "right_hand")):
        idx = openpose_hand_joint_indices(side).copy()
        start = POINT_GROUPS[group].start
        for k, (tip, distal) in FINGERTIPS.items():
            j = JOINT_INDEX[f"{SIDE_NAMES[side]}_{distal}"]
            idx[k] = j
            offset[start + k] = rest_vertices[SMPLX_EXTRA_VERTEX_IDS[("l" if side == 0 else "r") + tip]] \
                - rest_joints[j]
        joint[POINT_GROUPS[group]] = idx
    joint[POINT_GROUPS["face"]] = _HEAD
    offset[POINT_GROUPS["face"]] = face_offset(model, mean_betas)
    for group, table in (("head", HEAD_POINTS), ("feet", FEET_POINTS)):
        for k, (_, vertex_key, carrier) in enumerate(table):
            i = POINT_GROUPS[group].start + k
            joint[i] = JOINT_INDEX[carrier]
            offset[i] = rest_vertices[SMPLX_EXTRA_VERTEX_IDS[vertex_key]] - rest_joints[joint[i]]
    return PointRig(rest_joints=rest, point_joint=joint, point_offset=offset)


def rig_points(rig: PointRig, global_rotmats: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(T, 76, 3) the rig's points for posed joints: global rotations (T, 55, 3, 3), positions (T, 55, 3)."""
    j = rig.point_joint
    return positions[:, j] + np.einsum("tpab,pb->tpa", global_rotmats[:, j], rig.point_offset)


def posed_points(full_pose: np.ndarray, betas: np.ndarray, expression: Optional[np.ndarray],
                 model: BodyModel) -> ModelPoints:
    """Points and joints of any pose.

    Args:
        full_pose: (T, 55, 3) axis-angle, hands relative to the **flat** hand (schema v1), camera frame.
        betas: (B,) or (T, B); expression: (T, E) or None.
        model: the SMPL-X model.
    Returns:
        :class:`ModelPoints`.
    """
    pose = np.asarray(full_pose, dtype=np.float64)
    rig = point_rig(betas, expression, model, pose.shape[0])
    rots, pos = chains.forward_kinematics(axis_angle_to_matrix(pose), rig.rest_joints)
    return ModelPoints(points=rig_points(rig, rots, pos), joints=pos)


def sequence_points(seq: FusedSequence, model: BodyModel) -> ModelPoints:
    """:class:`ModelPoints` of a fused sequence (its pose, betas and expression)."""
    return posed_points(seq.full_pose(), seq.betas, seq.expression, model)


__all__ = ["POINT_GROUPS", "NUM_POINTS", "HEAD_POINTS", "FEET_POINTS", "BODY_JOINTS", "HEAD_REGION_JOINTS",
           "ModelPoints", "PointRig", "rest_joints_per_frame", "face_offset", "point_rig", "rig_points", "posed_points",
           "sequence_points"]
