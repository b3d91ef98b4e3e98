"""Seeded estimator noise: how far each synthetic estimator strays from the ground truth, per part.

The levels encode what the fusion is meant to exploit: the whole-body regressor (SMPLer-X) is decent on the
body but poor on hands, jaw and expression; the part experts (EMOCA, WiLoR) are good on their part.
Rotation noise is applied on the right, ``R exp([e]x)`` with e ~ N(0, sigma^2 I) (radians), so the perturbation is
in the joint's own frame, as a regressor's error would be.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle


@dataclass(frozen=True)
class NoiseLevels:
    """Standard deviations of the synthetic estimators' errors (radians, coefficients, metres or pixels)."""

    # SMPLer-X (whole body)
    body_global_orient: float = 0.03
    body_pose: float = 0.06
    body_hand_pose: float = 0.30       # poor: hands are a few pixels in a body crop
    body_jaw: float = 0.15
    body_expression: float = 0.60
    body_betas: float = 0.15           # per frame: a regressor's shape flickers
    body_root_px: float = 2.0          # pelvis image position jitter
    body_depth_rel: float = 0.015      # relative depth jitter
    body_box_rel: float = 0.01         # detector box jitter, relative to its size
    # EMOCA (face)
    face_global: float = 0.03
    face_jaw: float = 0.02
    face_expression: float = 0.05
    face_shape: float = 0.02
    # WiLoR (hands)
    hand_global: float = 0.04
    hand_pose: float = 0.06
    hand_betas: float = 0.05
    hand_cam_scale_rel: float = 0.02
    hand_cam_shift: float = 0.003      # tx, ty in metres (crop camera)
    hand_keypoints: float = 0.003      # metres
    hand_box_rel: float = 0.03

    def scaled(self, factor: float) -> "NoiseLevels":
        """Every level multiplied by ``factor`` (0 gives noise-free estimators)."""
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self)})


def gaussian(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """(shape) float64 N(0, sigma^2) samples; always draws, so the stream does not depend on sigma."""
    return rng.standard_normal(shape) * sigma


def perturb_matrix(rng: np.random.Generator, rot: np.ndarray, sigma: float) -> np.ndarray:
    """(..., 3, 3) rotations -> (..., 3, 3) ``R exp(e)`` with e ~ N(0, sigma^2 I)."""
    eps = gaussian(rng, rot.shape[:-2] + (3,), sigma)
    return rot @ axis_angle_to_matrix(eps)


def perturb_axis_angle(rng: np.random.Generator, aa: np.ndarray, sigma: float) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3) axis-angle of ``R(aa) exp(e)``."""
    return matrix_to_axis_angle(perturb_matrix(rng, axis_angle_to_matrix(aa), sigma))
