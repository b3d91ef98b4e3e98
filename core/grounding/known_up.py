"""Grounding when the up axis is known (a world-grounded estimator's gravity): a level floor and the height drift.

Without outside information a slow drift of a monocular estimate cannot be told from a sloping floor (see
:mod:`core.grounding.pipeline`), so the floor follows the drifting footprints and ends tilted and offset. A
world-grounded estimator (GVHMR, WHAM, TRAM, PromptHMR) knows gravity: its floor is level, normal to the given up
axis. Two things follow:

* the plane's normal is the up axis, and only its height is fitted (:func:`level_plane`, the robust median of the
  footprints' heights);
* on a level floor every footprint is at the same height, so a slow change of the footprints' heights over the take
  is the estimate's drift along the up axis, not the floor (:func:`height_drift`). It is measured at the footprints
  (one per contact, glitches already taken out by :mod:`core.grounding.stance_points`), interpolated between them
  over time (held at the take's ends), smoothed by a zero-phase low-pass (``scipy.signal``) and taken out of the root
  translation along the up axis before the feet are locked. What this assumes: one level floor (no stairs, no
  ramp). The take's horizontal motion is never touched.

Plain numpy and scipy: runs inside Blender with the extension's bundled wheels.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .plane import GroundPlane
from .stance_points import StancePoints

__all__ = ["DRIFT_CUTOFF_HZ", "unit_up", "level_plane", "height_drift"]

#: Low-pass cut-off of the footprint-height curve: estimator drift is slower than this (0.05-0.3 Hz in the
#: grounding bench's takes), a footstep's own height error averages out above it.
DRIFT_CUTOFF_HZ = 0.6


def unit_up(up: np.ndarray) -> np.ndarray:
    """(3,) any non-zero finite vector -> the unit up axis. Raises ValueError otherwise."""
    u = np.asarray(up, dtype=np.float64).reshape(3)
    norm = float(np.linalg.norm(u))
    if not np.isfinite(u).all() or norm < 1e-9:
        raise ValueError("the known up axis must be a finite, non-zero (3,) vector")
    return u / norm


def level_plane(points_cam: np.ndarray, up: np.ndarray) -> Optional[GroundPlane]:
    """A plane normal to ``up`` through the median height of ``points_cam`` (N, 3); None without a finite point."""
    u = unit_up(up)
    pts = np.asarray(points_cam, dtype=np.float64).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if pts.shape[0] == 0:
        return None
    heights = pts @ u
    offset = -float(np.median(heights))
    rms = float(np.sqrt(np.mean((heights + offset) ** 2)))
    return GroundPlane(normal=u, offset=offset, inlier_rms_m=rms, num_points=int(pts.shape[0]),
                       num_inliers=int(pts.shape[0]))


def height_drift(stance: StancePoints, plane: GroundPlane, num_frames: int, fps: float,
                 cutoff_hz: float = DRIFT_CUTOFF_HZ) -> np.ndarray:
    """(T,) metres: how far the estimate has drifted above ``plane`` along its normal at each frame.

    Args:
        stance: the take's footprints (one per contact, with its [start, stop) frame rows).
        plane: the level floor (normal = the known up axis).
        num_frames: T.
        fps: frame rate (the cut-off is in Hz).
        cutoff_hz: the low-pass cut-off.
    Returns:
        (T,) the footprints' heights above the plane, interpolated at every frame and smoothed; zeros with fewer than
        two footprints (one footprint says nothing about a change).
    """
    heights = plane.signed_distance(stance.points)  # (K,)
    if heights.shape[0] < 2:
        return np.zeros(num_frames)
    centres = stance.intervals.mean(axis=1)  # (K,) frame rows
    order = np.argsort(centres, kind="stable")
    curve = np.interp(np.arange(num_frames, dtype=np.float64), centres[order], heights[order])
    nyquist = 0.5 * float(fps)
    if cutoff_hz >= nyquist or num_frames < 16:
        return curve
    from scipy.signal import butter, filtfilt  # lazily: scipy.signal takes ~0.5 s to import, used only here

    b, a = butter(2, cutoff_hz / nyquist)
    return filtfilt(b, a, curve, padlen=min(3 * max(len(a), len(b)), num_frames - 1), padtype="even")
