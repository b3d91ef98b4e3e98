"""What the readers hand to fusion: each estimator's output as arrays, in the estimator's own conventions.

Readers (``core/io``) fill these from files and know nothing of fusion; fusion (``core/fusion``) takes them and
never opens files. Every per-frame array is indexed by row, with ``frame_ids`` giving the footage frame number
of each row (sorted, unique). Conventions that fusion must undo are recorded, not silently applied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class BodyEstimate:
    """A whole-body SMPL-X regressor's per-frame output for one person (T rows).

    Attributes:
        frame_ids: (T,) int64 footage frame numbers.
        global_orient: (T, 3) axis-angle, camera frame (OpenCV).
        body_pose: (T, 21, 3) axis-angle.
        left_hand_pose, right_hand_pose: (T, 15, 3) axis-angle, relative to the hand named by
            ``hand_pose_relative_to``.
        hand_pose_relative_to: ``"flat"`` or ``"mean"`` (SMPLer-X / SMPLest-X: mean, the smplx default).
        jaw_pose, leye_pose, reye_pose: (T, 3) axis-angle.
        betas: (T, B) per-frame shape.
        expression: (T, E) SMPL-X expression.
        transl: (T, 3) metres, full-frame camera frame.
        camera_K: (T, 3, 3) full-frame intrinsics (pixels).
        image_size: (2,) W, H in pixels, or None when the files do not say.
        bbox: (T, 4) x0, y0, x1, y1 body box in pixels, or None.
        score: (T,) detection confidence in [0, 1], or None.
        valid: (T,) bool, False where the row is missing or unusable.
        person_id: the estimator's person / track index, or None.
        model_variant: the SMPL-X variant the estimator drives, e.g. ``smplx-v1.1``.
        source: provenance: files read and conventions recorded, JSON-serialisable.
        joints_3d: (T, J, 3) the estimator's own 3D joints, metres, full-frame camera frame (``transl`` applied),
            in the order named by ``joint_layout``, or None when the file carries none (ExPose: smplx's 144).
        joints_2d: (T, J, 2) the estimator's own projected joints in pixels of ``image_size``, or None.
        joint_layout: the joint order of ``joints_3d`` / ``joints_2d`` (e.g. ``smplx-144``), "" when absent.
        world_from_camera: (T, 4, 4) the camera's pose in a gravity-aligned world per row (a camera-frame point x
            is ``R x + p`` in the world), or None for camera-only estimators (``core/io/world`` readers set it).
        world_up: (3,) that world's up axis (``[0, 1, 0]`` for GVHMR, WHAM, TRAM and PromptHMR), or None.
        hands_predicted: False where the estimator does not predict the hands (GVHMR writes none: the mean hand;
            SMPL estimators have none), so a hand expert replaces them where it sees them instead of blending.
    """

    frame_ids: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    left_hand_pose: np.ndarray
    right_hand_pose: np.ndarray
    hand_pose_relative_to: str
    jaw_pose: np.ndarray
    leye_pose: np.ndarray
    reye_pose: np.ndarray
    betas: np.ndarray
    expression: np.ndarray
    transl: np.ndarray
    camera_K: np.ndarray
    image_size: Optional[np.ndarray]
    bbox: Optional[np.ndarray]
    score: Optional[np.ndarray]
    valid: np.ndarray
    person_id: Optional[int] = None
    model_variant: str = "smplx-v1.1"
    source: dict = field(default_factory=dict)
    joints_3d: Optional[np.ndarray] = None
    joints_2d: Optional[np.ndarray] = None
    joint_layout: str = ""
    world_from_camera: Optional[np.ndarray] = None
    world_up: Optional[np.ndarray] = None
    hands_predicted: bool = True


@dataclass
class FaceEstimate:
    """A FLAME face expert's (EMOCA) per-frame codes (T rows).

    Attributes:
        frame_ids: (T,) int64.
        expression: (T, 50) FLAME expression coefficients (``expcode``).
        jaw_pose: (T, 3) axis-angle (``posecode[3:6]``).
        global_pose: (T, 3) FLAME global head rotation in the face crop's camera (``posecode[0:3]``).
        shape: (T, 100) FLAME identity (``shapecode``); never transferred to SMPL-X.
        cam: (T, 3) orthographic [s, tx, ty] in the 224 crop, or None (``save_codes`` does not write it).
        bbox: (T, 4) x0, y0, x1, y1 face box in pixels, or None.
        valid: (T,) bool.
        source: provenance.
    """

    frame_ids: np.ndarray
    expression: np.ndarray
    jaw_pose: np.ndarray
    global_pose: np.ndarray
    shape: np.ndarray
    cam: Optional[np.ndarray]
    bbox: Optional[np.ndarray]
    valid: np.ndarray
    source: dict = field(default_factory=dict)


@dataclass
class HandDetections:
    """A MANO hand expert's (WiLoR / HaMeR) detections, N rows, several per frame possible.

    Rotations are exactly as predicted: the expert runs the right-hand model only, and left hands are predicted
    on a horizontally flipped crop, so rows with ``is_right == False`` are still mirrored (M R M with
    M = diag(-1, 1, 1) undoes it). Poses are relative to the flat hand.

    Attributes:
        frame_ids: (N,) int64 footage frame of each detection.
        is_right: (N,) bool as predicted (may be wrong).
        global_orient: (N, 3, 3) wrist rotation, crop camera frame (same axes as the full camera).
        hand_pose: (N, 15, 3, 3) finger joint rotations.
        betas: (N, 10) MANO shape.
        pred_cam: (N, 3) weak-perspective [s, tx, ty] in the crop.
        keypoints_3d: (N, 21, 3) OpenPose-order hand joints, metres, relative to the crop camera, or None.
        box_center: (N, 2) crop centre in pixels.
        box_size: (N,) crop side in pixels.
        score: (N,) detection confidence, or None.
        image_size: (2,) W, H, or None.
        source: provenance.
    """

    frame_ids: np.ndarray
    is_right: np.ndarray
    global_orient: np.ndarray
    hand_pose: np.ndarray
    betas: np.ndarray
    pred_cam: np.ndarray
    keypoints_3d: Optional[np.ndarray]
    box_center: np.ndarray
    box_size: np.ndarray
    score: Optional[np.ndarray]
    image_size: Optional[np.ndarray]
    source: dict = field(default_factory=dict)
