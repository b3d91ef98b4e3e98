"""Takes of a known body shape on a given model, seen through a 2D detector: the shape fit's ground truth.

The truth is :func:`core.demo_data.ground_truth.make_ground_truth`'s motion and camera with a body drawn in the
model's own shape space (unit-variance betas). What a pipeline has of it: the pose as a regressor estimates it
(Gaussian noise on every joint rotation) and a detector's 2D keypoints of the true joints (Gaussian pixel noise,
some missed), in smplx joint order (the :mod:`core.camera.keypoints2d` layout, joints 0-54).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

import numpy as np

from ..body import chains
from ..body.model import BodyModel
from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix
from .camera import project_K
from .ground_truth import make_ground_truth


@dataclass
class ShapeTake:
    """A take of known shape.

    Attributes:
        truth: the true sequence (``betas`` in the model's own space, camera frame, ``camera_K`` (3, 3)).
        estimate: the same with the pose as a regressor estimates it and ``betas`` zero (the model's mean body).
        keypoints_uv: (T, 55, 2) a detector's keypoints of the true joints, smplx joint order, NaN where missed.
        joints_cam: (T, 55, 3) the true joints in the camera frame, metres.
    """

    truth: FusedSequence
    estimate: FusedSequence
    keypoints_uv: np.ndarray
    joints_cam: np.ndarray


def true_joints(seq: FusedSequence, model: BodyModel) -> np.ndarray:
    """(T, 55, 3) camera-frame joints of a sequence (its betas and expression, forward kinematics, ``transl``)."""
    rest = model.rest_joints(seq.betas)[None] + model.expression_joint_offsets(seq.expression)
    _, pos = chains.forward_kinematics(axis_angle_to_matrix(seq.full_pose()), rest)
    return pos + np.asarray(seq.transl, dtype=np.float64)[:, None]


def make_shape_take(model: BodyModel, num_frames: int = 120, seed: Union[int, np.random.SeedSequence] = 0, *,
                    betas_sd: float = 1.0, noise_px: float = 2.0, missed: float = 0.05,
                    pose_noise_rad: float = 0.03) -> ShapeTake:
    """A :class:`ShapeTake` on ``model``.

    Args:
        num_frames: T; seed: the body, the motion's details and the noise.
        betas_sd: standard deviation of the true betas (clipped to +-2 sd).
        noise_px: the detector's Gaussian noise per coordinate, pixels; missed: fraction of keypoints not detected.
        pose_noise_rad: the regressor's Gaussian noise per axis-angle component of every joint, radians.
    """
    rng = np.random.default_rng(seed)
    gt = make_ground_truth(num_frames, seed=rng.integers(1 << 31))
    n_fit = min(model.num_betas, 10)
    betas = np.zeros(model.num_betas)
    betas[:n_fit] = np.clip(rng.normal(0.0, betas_sd, n_fit), -2.0 * betas_sd, 2.0 * betas_sd)
    expression = np.zeros((num_frames, model.num_expression))
    ne = min(model.num_expression, gt.expression.shape[1])
    expression[:, :ne] = gt.expression[:, :ne]
    truth = replace(gt, betas=betas, expression=expression, provenance='{"source": "core.demo_data.shape_takes"}')
    joints = true_joints(truth, model)
    uv = project_K(joints, truth.camera_K) + rng.normal(0.0, noise_px, joints.shape[:2] + (2,))
    uv[rng.random(uv.shape[:2]) < missed] = np.nan
    pose = truth.full_pose() + rng.normal(0.0, pose_noise_rad, (num_frames, 55, 3))
    estimate = replace(truth, betas=np.zeros(model.num_betas), global_orient=pose[:, 0].copy(),
                       body_pose=pose[:, 1:22].copy(), jaw_pose=pose[:, 22].copy(), leye_pose=pose[:, 23].copy(),
                       reye_pose=pose[:, 24].copy(), left_hand_pose=pose[:, 25:40].copy(),
                       right_hand_pose=pose[:, 40:55].copy())
    return ShapeTake(truth=truth, estimate=estimate, keypoints_uv=uv, joints_cam=joints)


__all__ = ["ShapeTake", "true_joints", "make_shape_take"]
