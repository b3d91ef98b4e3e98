"""Per-part, per-frame confidence weights and smooth fallback blending.

An expert's weight on a frame is the product of
    detection quality   (its score, and a ramp on its box size in pixels: tiny crops are unreliable),
    agreement           (how close the expert sits to where the body says the part is, in box sizes, where given),
    temporal consistency (a rotation far from the midpoint of its two neighbours, a spike, is down-weighted),
then turned into a weight by a **ramp**: a min-filter (erosion) followed by a moving average, applied to the quality
itself (0 where the expert is missing). The weight is exactly 0 on every frame
where the expert is missing, never exceeds a frame's own quality, changes by at most ``1 / (ramp_frames + 1)`` per
frame (even ``ramp_frames``), and ignores expert runs shorter than the ramp, so a fallback to the body's own estimate
never pops.

Rotations are blended with slerp per joint (``temporal.slerp``), not by lerping axis-angle vectors.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .temporal import axis_angle_to_quaternion, quaternion_angle, quaternion_to_axis_angle, slerp


def smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """C1 ramp from 0 (x <= lo) to 1 (x >= hi)."""
    u = np.clip((np.asarray(x, dtype=np.float64) - lo) / max(hi - lo, 1e-12), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def detection_weight(score: Optional[np.ndarray], box_size_px: Optional[np.ndarray], n: int,
                     min_box_px: float = 16.0, full_box_px: float = 64.0,
                     score_zero: float = 0.1, score_full: float = 0.5) -> np.ndarray:
    """(n,) detection quality in [0, 1]: ``smoothstep(score) * smoothstep(box size)``; missing inputs count as 1.

    Above ``score_full`` and ``full_box_px`` an expert is trusted fully (as PIXIE trusts a part expert above a
    confidence threshold); below ``score_zero`` / ``min_box_px`` not at all.
    """
    w = np.ones(n, dtype=np.float64)
    if score is not None:
        s = np.asarray(score, dtype=np.float64).reshape(n)
        w = w * smoothstep(np.where(np.isfinite(s), s, 0.0), score_zero, score_full)
    if box_size_px is not None:
        b = np.asarray(box_size_px, dtype=np.float64).reshape(n)
        w = w * smoothstep(np.where(np.isfinite(b), b, 0.0), min_box_px, full_box_px)
    return w


def agreement_weight(normalised_distance: np.ndarray, free: float = 0.75, tolerance: float = 0.5) -> np.ndarray:
    """Reprojection agreement: (...) distance in box sizes -> (...) weight in (0, 1]; NaN (not measured) -> 1.

    1 up to ``free`` box sizes (a hand box is centred on the hand, not the wrist), then
    ``exp(-0.5 ((d - free) / tolerance)^2)``.
    """
    d = np.asarray(normalised_distance, dtype=np.float64)
    excess = np.maximum(d - free, 0.0)
    w = np.exp(-0.5 * (excess / tolerance) ** 2)
    return np.where(np.isfinite(d), w, 1.0)


def temporal_consistency_weight(quat: np.ndarray, available: np.ndarray, threshold_rad: float = 0.3) -> np.ndarray:
    """Down-weight rotation spikes: frames far from the midpoint (slerp) of their two neighbours.

    The deviation from the neighbours' midpoint measures acceleration, not speed: steady fast motion is not
    penalised, a one-frame flip is. Weight 1 up to ``threshold / 2``, 0 from ``1.5 x threshold``, smooth between.

    Args:
        quat: (T, J, 4) or (T, 4) unit quaternions of the expert's rotations.
        available: (T,) bool; frames without both neighbours available are not judged (weight 1).
        threshold_rad: deviation (largest over joints) at which the weight is 1/2.
    Returns:
        (T,) in [0, 1].
    """
    q = np.asarray(quat, dtype=np.float64)
    if q.ndim == 2:
        q = q[:, None]
    t = q.shape[0]
    avail = np.asarray(available, dtype=bool)
    w = np.ones(t)
    if t < 3:
        return w
    mid = slerp(q[:-2], q[2:], np.full(q.shape[1:-1], 0.5)[None].repeat(t - 2, axis=0))
    dev = quaternion_angle(q[1:-1], mid).max(axis=1)
    judged = avail[:-2] & avail[1:-1] & avail[2:]
    w[1:-1] = np.where(judged, 1.0 - smoothstep(dev, 0.5 * threshold_rad, 1.5 * threshold_rad), 1.0)
    return w


def soft_ramp(values: np.ndarray, ramp_frames: int = 6) -> np.ndarray:
    """(T,) values in [0, 1] -> (T,) a smooth lower envelope: min-filter over ``2h + 1`` frames, then a moving average
    over ``2h + 1`` frames, ``h = ramp_frames // 2``.

    Every averaging window contains the frame itself, so the result never exceeds the frame's own value (0 stays 0),
    and it changes by at most ``1 / (2h + 1)`` per frame. Dips (a missing or doubtful frame) are widened into ramps,
    never averaged away.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    h = max(int(ramp_frames) // 2, 0)
    if h == 0 or v.size == 0:
        return v.copy()
    size = 2 * h + 1
    eroded = minimum_filter1d(v, size=size, mode="nearest")
    # mathematically <= v; the running-sum average leaves ~1e-16 where it should be exactly 0
    return np.clip(np.minimum(uniform_filter1d(eroded, size=size, mode="nearest"), v), 0.0, 1.0)


def availability_ramp(available: np.ndarray, ramp_frames: int = 6) -> np.ndarray:
    """(T,) bool -> (T,) float weight in [0, 1]: 0 where missing, linear ramps of ``2 * (ramp_frames // 2)`` frames.

    The result is 0 on every missing frame, 1 from ``2h`` frames away, changes by at most ``1 / (2h + 1)`` per frame,
    and ignores available runs shorter than ``2h + 1`` frames (see :func:`soft_ramp`).
    """
    return soft_ramp(np.asarray(available, dtype=np.float64), ramp_frames)


def expert_weight(available: np.ndarray, quality: Optional[np.ndarray] = None, ramp_frames: int = 6,
                  ramp: bool = True) -> np.ndarray:
    """The blend weight of an expert per frame, (T,) in [0, 1].

    Args:
        available: (T,) bool, the expert has a usable estimate on this frame.
        quality: (T,) in [0, 1] (detection, agreement and consistency weights multiplied), or None for 1.
        ramp_frames: length of the fade in / out, frames.
        ramp: False for a hard switch (weight = quality where available, else 0) - the naive copy, which pops.
    Returns:
        With ``ramp``: :func:`soft_ramp` of ``quality`` (0 where missing): never above a frame's own quality, 0 on
        missing frames, per-frame change at most ``1 / (2 (ramp_frames // 2) + 1)``.
    """
    a = np.asarray(available, dtype=bool)
    q = np.ones(a.shape[0]) if quality is None else np.clip(np.asarray(quality, dtype=np.float64), 0.0, 1.0)
    q = np.where(a, q, 0.0)
    return soft_ramp(q, ramp_frames) if ramp else q


def blend_quaternions(base: np.ndarray, expert: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per-joint slerp from the body's rotation to the expert's: (T, ..., 4), (T, ..., 4), (T,) -> (T, ..., 4)."""
    w = np.asarray(weight, dtype=np.float64)
    w = np.broadcast_to(w.reshape(w.shape + (1,) * (base.ndim - 1 - w.ndim)), base.shape[:-1])
    return slerp(base, expert, w)


def blend_axis_angle(base_aa: np.ndarray, expert_aa: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per-joint slerp of axis-angle rotations: (T, ..., 3), (T, ..., 3), (T,) -> (T, ..., 3) axis-angle."""
    return quaternion_to_axis_angle(blend_quaternions(axis_angle_to_quaternion(base_aa),
                                                      axis_angle_to_quaternion(expert_aa), weight))


def blend_linear(base: np.ndarray, expert: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Linear blend for vector spaces (expression coefficients): (T, ...), (T, ...), (T,) -> (T, ...)."""
    w = np.asarray(weight, dtype=np.float64)
    w = w.reshape(w.shape + (1,) * (np.ndim(base) - w.ndim))
    return (1.0 - w) * base + w * expert


def part_confidence(body: np.ndarray, face: np.ndarray, hands: np.ndarray) -> np.ndarray:
    """Per-part (T,) weights -> the fused file's (T, 3) ``part_confidence`` (body, face, hands) in [0, 1]."""
    return np.clip(np.stack([body, face, hands], axis=1), 0.0, 1.0)


def missing_segments(available: np.ndarray) -> list[list[int]]:
    """Runs of missing frames as ``[[start, end_inclusive], ...]`` (row indices), vectorised."""
    miss = ~np.asarray(available, dtype=bool)
    if not miss.any():
        return []
    d = np.diff(np.concatenate([[0], miss.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return [[int(s), int(e)] for s, e in zip(starts, ends)]


__all__ = ["smoothstep", "detection_weight", "agreement_weight", "temporal_consistency_weight", "soft_ramp",
           "availability_ramp", "expert_weight", "blend_quaternions", "blend_axis_angle", "blend_linear",
           "part_confidence", "missing_segments"]
