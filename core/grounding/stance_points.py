"""Footprints: one floor point per foot contact, with the estimator's glitches taken out first.

A floor fit should see each footprint once. A long stance is one footprint, not forty samples, so it gets no more
say than a short one, and the frame-to-frame jitter of the feet averages out inside it.

Glitches: monocular estimates drift slowly in depth and height, and now and then the whole body drops into the
floor (or jumps off it) for a fraction of a second. Per frame, the lowest point (heel, big or small toe) of each foot
in contact has a height above the current plane; over the take those heights follow the slow drift, and a glitch
is a short departure from it. The drift is tracked by a running median over ``window_s`` (a glitch shorter than
half the window does not move it), the departures are scaled by the frame-to-frame jitter (the median absolute
deviation of consecutive differences over sqrt 2: a glitch, smooth inside, hardly enters it, where a third of the
frames sunk would inflate the departures' own spread until the glitch hid inside it), and stretches of
at least ``min_glitch_s`` beyond ``reject_k`` scales (a single frame's jitter is no glitch, and the footprint's
median shrugs it off) are dropped together with ``dilate_s`` either side (a glitch eases in and out, and its edges
are as wrong as its middle, only less). A contact keeps its footprint only when at least
``min_kept_fraction`` of its frames survive.

The footprint is the lowest of the medians of the foot's three points over the kept frames: the median first, the
lowest second, because the lowest of three noisy points per frame is biased low by their noise (about 2 mm at
1 degree of pose noise), which would sink the whole floor. Plain numpy: runs inside Blender.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .contacts import mask_intervals
from .plane import GroundPlane
from .plane_prior import MAD_TO_SIGMA


@dataclass(frozen=True)
class StanceParams:
    """Footprint settings (seconds, robust scales, fractions).

    Attributes:
        window_s: span of the running median that follows the slow drift of the contact heights.
        reject_k: contact frames whose height departs from that median by more than this many robust scales, for
            at least ``min_glitch_s`` (a running median of the departures over that span), are a glitch.
        min_glitch_s: the shortest departure that counts.
        dilate_s: frames this close to a glitch are dropped too.
        min_kept_fraction: a contact whose surviving frames are fewer than this share gives no footprint.
        min_frames: nor does one with fewer surviving frames than this.
        scale_floor_m: the jitter scale never drops below this.
    """

    window_s: float = 1.5
    reject_k: float = 3.0
    min_glitch_s: float = 0.1
    dilate_s: float = 0.1
    min_kept_fraction: float = 0.5
    min_frames: int = 3
    scale_floor_m: float = 0.001


@dataclass
class StancePoints:
    """The footprints of a take.

    Attributes:
        points: (K, 3) one floor point per kept contact, camera frame, metres.
        foot: (K,) 0 left, 1 right.
        intervals: (K, 2) the contacts' [start, stop) frame rows.
        glitch: (T,) bool, frames dropped as (or next to) a glitch.
        kept: (T, 2) bool, contact frames that fed a footprint.
    """

    points: np.ndarray
    foot: np.ndarray
    intervals: np.ndarray
    glitch: np.ndarray
    kept: np.ndarray


def running_nanmedian(values: np.ndarray, window: int) -> np.ndarray:
    """(T,) samples with NaN gaps -> (T,) the median of the finite samples within ``window`` // 2 rows either side
    (NaN where there are none). Vectorised over a (T, window) view."""
    half = max(int(window) // 2, 0)
    pad = np.full(half, np.nan)
    view = np.lib.stride_tricks.sliding_window_view(np.concatenate([pad, values, pad]), 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, as documented
        return np.nanmedian(view, axis=1)


def dilate(mask: np.ndarray, frames: int) -> np.ndarray:
    """(T,) bool -> (T,) bool, True within ``frames`` rows of a True row."""
    if frames <= 0 or not mask.any():
        return mask.copy()
    return np.convolve(mask.astype(np.float64), np.ones(2 * frames + 1), mode="same") > 0.5


def glitch_frames(heights_m: np.ndarray, contact: np.ndarray, fps: float,
                  params: StanceParams = StanceParams()) -> np.ndarray:
    """(T,) bool frames where the feet in contact depart from the take's slowly drifting floor height.

    Args:
        heights_m: (T, 2) each foot's lowest point above the current plane.
        contact: (T, 2) bool contacts.
        fps: frame rate (the window and the dilation are in seconds).
    """
    t = heights_m.shape[0]
    if not contact.any():
        return np.zeros(t, dtype=bool)
    per_frame = np.where(contact, heights_m, 0.0).sum(axis=1) / np.maximum(contact.sum(axis=1), 1)
    per_frame = np.where(contact.any(axis=1), per_frame, np.nan)
    window = max(int(round(params.window_s * fps)), 1)
    baseline = running_nanmedian(per_frame, window)  # (T,)
    departure = heights_m - baseline[:, None]
    usable = contact & np.isfinite(baseline)[:, None]
    if not usable.any():
        return np.zeros(t, dtype=bool)
    steps = np.diff(per_frame)
    steps = steps[np.isfinite(steps)]
    if steps.size == 0:
        return np.zeros(t, dtype=bool)
    jitter = MAD_TO_SIGMA * float(np.median(np.abs(steps - np.median(steps)))) / np.sqrt(2.0)
    scale = max(jitter, params.scale_floor_m)
    worst = np.where(usable, np.abs(departure), -np.inf).max(axis=1)  # (T,) the farther foot's departure
    worst = np.where(np.isfinite(worst), worst, np.nan)
    span = max(int(round(params.min_glitch_s * fps)), 1)
    lasting = running_nanmedian(worst, span + 1 - span % 2)  # odd window; a lone spike does not survive it
    bad = np.nan_to_num(lasting, nan=0.0) > params.reject_k * scale
    return dilate(bad, int(round(params.dilate_s * fps)))


def stance_points(foot_points_cam: np.ndarray, contact: np.ndarray, plane: GroundPlane, fps: float,
                  params: StanceParams = StanceParams()) -> StancePoints:
    """One footprint per contact (see the module docstring).

    Args:
        foot_points_cam: (T, 2, 3, 3) heel, big toe, small toe of each foot, camera frame.
        contact: (T, 2) bool contacts (e.g. detected on ``plane``).
        plane: the current ground estimate (it decides which point is lowest and what a glitch departs from).
        fps: frame rate.
    Returns:
        :class:`StancePoints` (K may be 0).
    """
    pts = np.asarray(foot_points_cam, dtype=np.float64)
    contact = np.asarray(contact, dtype=bool)
    heights = plane.signed_distance(pts).min(axis=2)  # (T, 2)
    glitch = glitch_frames(heights, contact, fps, params)
    kept = contact & ~glitch[:, None]
    points, feet, spans = [], [], []
    for f in range(2):
        for start, stop in mask_intervals(contact[:, f]):
            rows = np.flatnonzero(kept[start:stop, f]) + start
            if rows.size < max(params.min_frames, params.min_kept_fraction * (stop - start)):
                kept[start:stop, f] = False
                continue
            medians = np.median(pts[rows, f], axis=0)  # (3, 3): heel, big toe, small toe
            points.append(medians[int(np.argmin(plane.signed_distance(medians)))])
            feet.append(f)
            spans.append((int(start), int(stop)))
    return StancePoints(points=np.asarray(points, dtype=np.float64).reshape(-1, 3),
                        foot=np.asarray(feet, dtype=np.int64),
                        intervals=np.asarray(spans, dtype=np.int64).reshape(-1, 2), glitch=glitch, kept=kept)


__all__ = ["StanceParams", "StancePoints", "running_nanmedian", "dilate", "glitch_frames", "stance_points"]
