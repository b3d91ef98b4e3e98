"""The known ground-truth take: a natural SMPL-X motion in the camera frame, and what the model makes of it.

:func:`make_ground_truth` extends :func:`core.demo_data.motion.make_demo_sequence` (wave, step, weight shift) with
articulated fingers, talking, a varying expression, head turns and a seeded identity, seen by a 1280x720 camera
with a 1100 px focal. :func:`evaluate_ground_truth` runs the smplx forward pass once, batched over frames, and
returns every quantity the estimator writers need (joints, fingertips, global rotations, projected part boxes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Union

import numpy as np

from ..body.skeleton import (
    HEAD_CHAIN,
    JOINT_INDEX,
    LEFT_HAND,
    LEFT_WRIST_CHAIN,
    NUM_JOINTS,
    PARENTS,
    RIGHT_HAND,
    RIGHT_WRIST_CHAIN,
    SMPLX_EXTRA_VERTEX_IDS,
)
from ..body.smplx_forward import smplx_forward
from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .camera import intrinsics, project_K, tight_box
from .motion import make_demo_sequence

IMAGE_SIZE = (1280, 720)
FOCAL_PX = 1100.0
FPS = 30.0
DEPTH_M = 3.4
NUM_BETAS = 10
NUM_EXPRESSION = 10

#: Joint sets whose skinned vertices make up each part's image region.
HEAD_JOINTS = (JOINT_INDEX["head"], JOINT_INDEX["jaw"], JOINT_INDEX["left_eye_smplhf"],
               JOINT_INDEX["right_eye_smplhf"])
LEFT_HAND_JOINTS = (JOINT_INDEX["left_wrist"],) + tuple(range(LEFT_HAND.start, LEFT_HAND.stop))
RIGHT_HAND_JOINTS = (JOINT_INDEX["right_wrist"],) + tuple(range(RIGHT_HAND.start, RIGHT_HAND.stop))


def _openpose_hand_joints(side: str) -> list[Union[int, str]]:
    """OpenPose hand order (wrist, thumb 1-3 + tip, index, middle, ring, pinky): SMPL-X joint ids, and for the
    fingertips the names of smplx's fingertip vertices (``smplx/vertex_ids.py``)."""
    p = "left_" if side == "left" else "right_"
    t = "l" if side == "left" else "r"
    out: list[Union[int, str]] = [JOINT_INDEX[p + "wrist"]]
    for digit in ("thumb", "index", "middle", "ring", "pinky"):
        out += [JOINT_INDEX[f"{p}{digit}{k}"] for k in (1, 2, 3)] + [t + digit]
    return out


OPENPOSE_HAND = {"left": _openpose_hand_joints("left"), "right": _openpose_hand_joints("right")}


def _aa(axis: str, angle: np.ndarray) -> np.ndarray:
    """(T,) angles about one axis -> (T, 3) axis-angle."""
    out = np.zeros((angle.shape[0], 3))
    out[:, "xyz".index(axis)] = angle
    return out


def _euler_yxz(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(T,) yaw (y), pitch (x), roll (z) -> (T, 3) axis-angle of Ry Rx Rz."""
    r = axis_angle_to_matrix(_aa("y", yaw)) @ axis_angle_to_matrix(_aa("x", pitch)) @ \
        axis_angle_to_matrix(_aa("z", roll))
    return matrix_to_axis_angle(r)


def _finger_pose(t: np.ndarray, rng: np.random.Generator, sign: float) -> np.ndarray:
    """(T,) seconds -> (T, 15, 3) flat-relative finger pose: each digit curls on its own rhythm.

    ``sign`` is -1 for the left hand and +1 for the right (flexion is about -z on the left, +z on the right in
    the SMPL-X rest frame, mirror images of each other).
    """
    n = t.shape[0]
    pose = np.zeros((n, 15, 3))
    ratios = np.array([0.55, 0.8, 0.45])
    for d in range(4):  # index, middle, pinky, ring (SMPL-X order)
        freq = rng.uniform(0.25, 0.6)
        phase = rng.uniform(0, 2 * np.pi)
        curl = 0.65 + 0.55 * np.sin(2 * np.pi * freq * t + phase)
        pose[:, 3 * d:3 * d + 3, 2] = sign * curl[:, None] * ratios
        # a little spread at the knuckle
        pose[:, 3 * d, 1] = sign * 0.08 * (d - 1.5) * (1.0 - 0.5 * curl)
    thumb_phase = rng.uniform(0, 2 * np.pi)
    opp = 0.5 + 0.35 * np.sin(2 * np.pi * 0.35 * t + thumb_phase)
    pose[:, 12, :] = np.stack([0.3 * opp, sign * -0.2 * opp, sign * 0.25 * opp], axis=1)
    pose[:, 13, 2] = sign * 0.35 * opp
    pose[:, 14, 2] = sign * 0.3 * opp
    return pose


def make_ground_truth(num_frames: int, seed: Union[int, np.random.SeedSequence] = 0, fps: float = FPS,
                      image_size: tuple[int, int] = IMAGE_SIZE, focal_px: float = FOCAL_PX,
                      model_variant: str = "smplx-v1.1") -> FusedSequence:
    """The ground-truth take: schema-v1 sequence, camera frame (OpenCV), hands flat-relative.

    Args:
        num_frames: T.
        seed: identity, finger rhythms, expression and talking pattern.
        fps, image_size (W, H), focal_px: the take's camera; principal point at the image centre.
        model_variant: recorded in the file (the layout of the model it is meant for).
    Returns:
        A :class:`FusedSequence` with betas (10,), expression (T, 10), camera_K (3, 3).
    """
    rng = np.random.default_rng(seed)
    base = make_demo_sequence(num_frames=num_frames, fps=fps, num_betas=NUM_BETAS,
                              num_expression=NUM_EXPRESSION, image_size=image_size, focal_px=focal_px,
                              depth_m=DEPTH_M)
    t = np.arange(num_frames, dtype=np.float64) / fps
    body = base.body_pose.copy()

    # head and neck: a look around (yaw), nods (pitch), a little roll
    yaw = 0.55 * np.sin(2 * np.pi * 0.22 * t + rng.uniform(0, 2 * np.pi))
    pitch = 0.12 * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 2 * np.pi)) + 0.05
    roll = 0.08 * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 2 * np.pi))
    body[:, JOINT_INDEX["neck"] - 1] = _euler_yxz(0.35 * yaw, 0.4 * pitch, 0.5 * roll)
    body[:, JOINT_INDEX["head"] - 1] = _euler_yxz(0.65 * yaw, 0.6 * pitch, 0.5 * roll)

    # talking: syllables at ~4 Hz under a slower phrase envelope, mouth never quite shut
    syllable = np.clip(np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 2 * np.pi)), 0.0, None)
    phrase = 0.5 + 0.5 * np.sin(2 * np.pi * 0.4 * t + rng.uniform(0, 2 * np.pi))
    jaw = _aa("x", 0.03 + 0.22 * syllable * phrase)
    jaw[:, 1] = 0.03 * np.sin(2 * np.pi * 0.7 * t)

    # expression: every component moves, lower ones more; the first follows the mouth
    freqs = rng.uniform(0.15, 0.9, NUM_EXPRESSION)
    phases = rng.uniform(0, 2 * np.pi, NUM_EXPRESSION)
    amps = 1.4 / (1.0 + np.arange(NUM_EXPRESSION) / 3.0)
    expression = amps * np.sin(2 * np.pi * freqs * t[:, None] + phases)
    expression[:, 0] += 1.5 * syllable * phrase

    # eyes: fixations with quick saccades between them
    fix = np.floor(t * 2.0)
    gaze = 0.2 * np.sin(fix * 2.3 + rng.uniform(0, 2 * np.pi))
    eyes = np.stack([0.05 * np.sin(fix * 1.7), gaze, np.zeros(num_frames)], axis=1)

    left_hand = _finger_pose(t, rng, -1.0)
    right_hand = _finger_pose(t, rng, +1.0)
    betas = np.clip(rng.normal(0.0, 0.7, NUM_BETAS), -2.0, 2.0)

    provenance = json.dumps({
        "source": "core.demo_data.ground_truth",
        "note": "synthetic ground truth, no estimator; hands relative to the flat hand; camera frame OpenCV",
    })
    return replace(
        base, model_variant=model_variant, betas=betas, expression=expression, body_pose=body, jaw_pose=jaw,
        leye_pose=eyes, reye_pose=eyes.copy(), left_hand_pose=left_hand, right_hand_pose=right_hand,
        camera_K=intrinsics(focal_px, image_size), image_size=np.array(image_size, dtype=np.float64),
        provenance=provenance)


@dataclass
class GroundTruthGeometry:
    """What the smplx forward pass makes of the ground truth (T frames, camera frame, metres / pixels).

    Attributes:
        joints: (T, 55, 3) SMPL-X joints, translation included.
        rel_joints: (T, 55, 3) the same without ``transl`` (what a camera translation is added to).
        global_rot: (T, 55, 3, 3) each joint's rotation in the camera frame (product down its chain).
        hand_keypoints: (T, 2, 21, 3) left, right hand keypoints in OpenPose order (fingertips from smplx's
            fingertip vertex ids), camera frame.
        body_box, head_box: (T, 4) x0, y0, x1, y1 tight boxes of the projected body / head vertices.
        hand_boxes: (T, 2, 4) the same for the left and right hand.
        joints_2d: (T, 55, 2) projected joints.
    """

    joints: np.ndarray
    rel_joints: np.ndarray
    global_rot: np.ndarray
    hand_keypoints: np.ndarray
    body_box: np.ndarray
    head_box: np.ndarray
    hand_boxes: np.ndarray
    joints_2d: np.ndarray

    def head_rotation(self) -> np.ndarray:
        """(T, 3, 3) the head's rotation in the camera frame (chain 0, 3, 6, 9, 12, 15)."""
        return self.global_rot[:, HEAD_CHAIN[-1]]

    def wrist_rotations(self) -> np.ndarray:
        """(T, 2, 3, 3) left and right wrist rotations in the camera frame (chains down to joints 20 / 21)."""
        return np.stack([self.global_rot[:, LEFT_WRIST_CHAIN[-1]], self.global_rot[:, RIGHT_WRIST_CHAIN[-1]]], 1)


def global_rotations(full_pose: np.ndarray) -> np.ndarray:
    """(T, 55, 3) axis-angle full pose -> (T, 55, 3, 3) global joint rotations (parent before child)."""
    local = axis_angle_to_matrix(full_pose)
    out = np.empty_like(local)
    out[:, 0] = local[:, 0]
    for j in range(1, NUM_JOINTS):  # joints, not frames: each step is batched over T
        out[:, j] = out[:, PARENTS[j]] @ local[:, j]
    return out


def _part_vertex_mask(weights: np.ndarray, joints: tuple[int, ...]) -> np.ndarray:
    """(V,) bool: vertices whose strongest skinning weight belongs to one of ``joints``."""
    return np.isin(np.argmax(weights, axis=1), joints)


def evaluate_ground_truth(seq: FusedSequence, model_file: Union[str, Path],
                          skinning_weights: np.ndarray) -> GroundTruthGeometry:
    """Run ``smplx.SMPLX(use_pca=False, flat_hand_mean=True)`` on every frame at once (float64).

    Args:
        seq: the ground truth (camera frame).
        model_file: an SMPL-X-layout model file.
        skinning_weights: (V, 55) the model's weights, to find the head and hand vertices.
    Returns:
        :class:`GroundTruthGeometry`.
    """
    joints, verts = smplx_forward(model_file, seq)
    joints = joints[:, :NUM_JOINTS]
    K = seq.camera_K_per_frame()

    def tip_or_joint(ids: list[Union[int, str]]) -> np.ndarray:
        cols = [verts[:, SMPLX_EXTRA_VERTEX_IDS[i]] if isinstance(i, str) else joints[:, i] for i in ids]
        return np.stack(cols, axis=1)

    hand_kp = np.stack([tip_or_joint(OPENPOSE_HAND["left"]), tip_or_joint(OPENPOSE_HAND["right"])], axis=1)

    def box(mask: np.ndarray) -> np.ndarray:
        return tight_box(project_K(verts[:, mask], K))

    hand_boxes = np.stack([box(_part_vertex_mask(skinning_weights, LEFT_HAND_JOINTS)),
                           box(_part_vertex_mask(skinning_weights, RIGHT_HAND_JOINTS))], axis=1)
    return GroundTruthGeometry(
        joints=joints, rel_joints=joints - seq.transl[:, None, :],
        global_rot=global_rotations(seq.full_pose()), hand_keypoints=hand_kp,
        body_box=tight_box(project_K(verts, K)), head_box=box(_part_vertex_mask(skinning_weights, HEAD_JOINTS)),
        hand_boxes=hand_boxes, joints_2d=project_K(joints, K))
