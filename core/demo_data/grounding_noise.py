"""Estimator-like errors for the grounding takes: the per-frame jitter that makes planted feet slide, a slow drift,
and stretches where the whole body sinks into the floor.

* ``transl``: white noise per camera axis (depth worst, as for a monocular estimate) plus a slow drift (two random
  sinusoids per axis, 0.05 to 0.3 Hz);
* rotations: ``R exp([e]x)``, e ~ N(0, sigma^2 I), on the root and on every body joint, each frame independently;
* sinks: a few stretches where the body drops along the floor normal by a few centimetres, easing in and out
  (raised cosine), so its feet go through the floor.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle


@dataclass(frozen=True)
class SlidingNoise:
    """Error levels (metres, degrees, frames)."""

    transl_std_m: tuple[float, float, float] = (0.005, 0.005, 0.012)
    drift_m: tuple[float, float, float] = (0.01, 0.01, 0.04)
    orient_std_deg: float = 0.5
    pose_std_deg: float = 1.0
    sinks: int = 3
    sink_depth_m: tuple[float, float] = (0.03, 0.05)
    sink_ramp_frames: int = 4
    sink_hold_frames: tuple[int, int] = (4, 8)


def _perturb(aa: np.ndarray, sigma_rad: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.normal(0.0, sigma_rad, aa.shape)
    return matrix_to_axis_angle(axis_angle_to_matrix(aa) @ axis_angle_to_matrix(e))


def sink_profile(num_frames: int, noise: SlidingNoise, rng: np.random.Generator) -> np.ndarray:
    """(T,) how far the body sinks at each frame (metres, >= 0): ``noise.sinks`` eased stretches, spread out."""
    depth = np.zeros(num_frames)
    if noise.sinks <= 0:
        return depth
    rows = np.arange(num_frames)
    slots = np.linspace(0, num_frames, noise.sinks + 2)[1:-1]
    for centre in slots:
        hold = rng.integers(noise.sink_hold_frames[0], noise.sink_hold_frames[1] + 1)
        amount = rng.uniform(*noise.sink_depth_m)
        start = int(centre + rng.integers(-5, 6)) - hold // 2
        ramp = noise.sink_ramp_frames
        rise = np.clip((rows - (start - ramp)) / ramp, 0.0, 1.0)
        fall = np.clip(((start + hold + ramp) - rows) / ramp, 0.0, 1.0)
        depth = np.maximum(depth, amount * (0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))))
    return depth


def add_sliding_noise(seq: FusedSequence, floor_normal_cam: np.ndarray, rng: np.random.Generator,
                      noise: SlidingNoise = SlidingNoise()) -> tuple[FusedSequence, np.ndarray]:
    """A noisy copy of ``seq`` and its (T,) sink depth in metres (the body moved by ``-depth * normal``).

    Args:
        seq: the ground truth (camera frame).
        floor_normal_cam: (3,) the floor's up normal in the camera frame.
        rng: the noise stream.
    """
    t = seq.num_frames
    out = copy.deepcopy(seq)
    seconds = np.arange(t) / float(seq.fps)
    drift = np.zeros((t, 3))
    for axis in range(3):
        for _ in range(2):
            freq, phase = rng.uniform(0.05, 0.3), rng.uniform(0, 2 * np.pi)
            drift[:, axis] += 0.5 * noise.drift_m[axis] * np.sin(2 * np.pi * freq * seconds + phase)
    depth = sink_profile(t, noise, rng)
    jitter = rng.normal(0.0, 1.0, (t, 3)) * np.asarray(noise.transl_std_m)
    out.transl = seq.transl + jitter + drift - depth[:, None] * np.asarray(floor_normal_cam)[None]
    out.global_orient = _perturb(seq.global_orient, np.radians(noise.orient_std_deg), rng)
    out.body_pose = _perturb(seq.body_pose, np.radians(noise.pose_std_deg), rng)
    out.extras = {}
    return out, depth


__all__ = ["SlidingNoise", "sink_profile", "add_sliding_noise"]
