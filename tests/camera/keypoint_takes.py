"""Test data for the keypoint camera fit: a detector's 2D keypoints of a ground truth, in smplx joint order."""
from __future__ import annotations

import numpy as np

from core.camera.conversions import project
from core.camera.keypoints2d import SMPLX_EXTRA_KEYPOINTS
from core.camera.points import POINT_GROUPS, sequence_points


def detector_keypoints(truth, model, rng: np.random.Generator, noise_px: float, missing: float) -> np.ndarray:
    """(T, 76, 2) the truth's joints and fingertips through the true camera, as a detector would report them:
    Gaussian noise of ``noise_px`` per coordinate, a fraction ``missing`` of the keypoints NaN."""
    pts = sequence_points(truth, model)
    kp3d = np.full((truth.num_frames, 76, 3), np.nan)
    kp3d[:, :55] = pts.joints
    for side, group in (("left", "left_hand"), ("right", "right_hand")):
        for row, tip in zip((4, 8, 12, 16, 20), ("thumb", "index", "middle", "ring", "pinky")):
            kp3d[:, 55 + SMPLX_EXTRA_KEYPOINTS.index(f"{side}_{tip}")] = pts.points[:, POINT_GROUPS[group]][:, row]
    uv = project(kp3d + truth.transl[:, None], truth.camera_K) + rng.normal(0.0, noise_px, kp3d.shape[:2] + (2,))
    uv[rng.random(uv.shape[:2]) < missing] = np.nan
    return uv
