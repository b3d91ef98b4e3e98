"""A short, deterministic SMPL-X motion used by the demo and the tests: a wave, a step, a head turn, talking."""
from __future__ import annotations

import json

import numpy as np

from ..body.skeleton import JOINT_INDEX
from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle


def _aa(axis: str, angle: np.ndarray) -> np.ndarray:
    """(T,) angles about one axis -> (T, 3) axis-angle."""
    out = np.zeros((angle.shape[0], 3))
    out[:, "xyz".index(axis)] = angle
    return out


def make_demo_sequence(num_frames: int = 48, fps: float = 24.0, num_betas: int = 10,
                       num_expression: int = 10, image_size: tuple[int, int] = (640, 480),
                       focal_px: float = 900.0, depth_m: float = 4.2) -> FusedSequence:
    """A person facing the camera, waving the left hand, shifting weight, turning the head and talking.

    Everything is in the camera frame (OpenCV: x right, y down, z forward). Returns a schema-v1 sequence.
    """
    t = np.arange(num_frames, dtype=np.float64)
    phase = 2.0 * np.pi * t / max(num_frames, 1)
    body = np.zeros((num_frames, 21, 3))

    def set_joint(name: str, aa: np.ndarray) -> None:
        body[:, JOINT_INDEX[name] - 1] = aa

    # arms down from the T-pose, the left one waving from the elbow
    set_joint("left_shoulder", _aa("z", -0.9 + 0.15 * np.sin(phase)) + _aa("y", 0.3 + 0 * t))
    set_joint("left_elbow", _aa("y", -1.3 - 0.45 * np.sin(2 * phase)))  # flexion is -y on the left
    set_joint("right_shoulder", _aa("z", np.full(num_frames, 1.15)))
    set_joint("right_elbow", _aa("y", 0.35 + 0.1 * np.sin(phase)))  # and +y on the right
    set_joint("left_collar", _aa("z", 0.1 * np.sin(phase)))
    # a step: hips and knees in counter-phase
    set_joint("left_hip", _aa("x", -0.35 * np.clip(np.sin(phase), 0, None)))
    set_joint("left_knee", _aa("x", 0.6 * np.clip(np.sin(phase), 0, None)))
    set_joint("right_hip", _aa("x", -0.3 * np.clip(-np.sin(phase), 0, None)))
    set_joint("right_knee", _aa("x", 0.5 * np.clip(-np.sin(phase), 0, None)))
    set_joint("spine1", _aa("x", 0.05 + 0.04 * np.sin(phase)))
    set_joint("spine2", _aa("y", 0.12 * np.sin(phase)))
    set_joint("neck", _aa("x", 0.1 * np.sin(2 * phase)))
    set_joint("head", _aa("y", 0.35 * np.sin(phase)))

    # camera frame: rotate the Y-up body by pi about x so that it stands upright in an image (y down)
    yaw = 0.25 * np.sin(phase)
    flip_x = axis_angle_to_matrix(np.array([np.pi, 0.0, 0.0]))
    global_orient = matrix_to_axis_angle(flip_x @ axis_angle_to_matrix(_aa("y", yaw)))
    transl = np.stack([0.1 * np.sin(phase), 0.33 + 0.02 * np.sin(2 * phase), np.full(num_frames, depth_m)], 1)

    curl = 0.5 + 0.4 * np.sin(phase)[:, None]
    left_hand = np.zeros((num_frames, 15, 3))
    left_hand[:, :12, 2] = -curl * np.tile([0.6, 0.8, 0.5], 4)  # four fingers flex about -z on the left
    right_hand = np.zeros((num_frames, 15, 3))
    right_hand[:, :12, 2] = 0.9 * np.tile([0.6, 0.8, 0.5], 4)   # a relaxed fist on the right
    right_hand[:, 12:, 1] = -0.3

    jaw = _aa("x", 0.15 + 0.15 * np.sin(3 * phase))
    expression = np.zeros((num_frames, num_expression))
    for k in range(min(num_expression, 4)):
        expression[:, k] = 1.2 * np.sin(phase * (k + 1) + k)
    eyes = _aa("y", 0.15 * np.sin(phase))

    w, h = image_size
    betas = np.zeros(num_betas)
    betas[:min(num_betas, 3)] = [0.5, -0.4, 0.3][:min(num_betas, 3)]
    return FusedSequence(
        fps=float(fps), gender="neutral", model_variant="procedural", betas=betas,
        expression=expression, global_orient=global_orient, body_pose=body,
        jaw_pose=jaw, leye_pose=eyes, reye_pose=eyes.copy(),
        left_hand_pose=left_hand, right_hand_pose=right_hand, transl=transl,
        camera_K=np.array([[focal_px, 0.0, w / 2.0], [0.0, focal_px, h / 2.0], [0.0, 0.0, 1.0]]),
        image_size=np.array([w, h], dtype=np.float64),
        part_confidence=np.ones((num_frames, 3)), valid=np.ones(num_frames, dtype=bool),
        provenance=json.dumps({"source": "core.demo_data.motion", "note": "synthetic demo motion, no estimator"}),
    )
