"""Temporal processing: quaternion helpers, zero-phase smoothing on SO(3), translation smoothing, one robust shape per
sequence, gap filling, and a measurement of the lag a filter introduces.

Rotations are filtered as **sign-continuous unit quaternions** (w, x, y, z): each frame's sign is chosen to agree with
the previous frame, the four components are low-pass filtered along time, and the result is renormalised. For the
small per-window spread of real motion this is a close, cheap approximation of filtering on the manifold; it never
wraps around at pi the way filtering axis-angle does.

Filters (``scipy.signal``): zero-phase Butterworth (``filtfilt``, forward and backward, so no lag) or Savitzky-Golay
(symmetric window, no lag). Both have bounded support in practice: ``savgol`` a fixed window, ``filtfilt`` an
impulse response that decays within a few cut-off periods. :func:`measure_lag` measures the delay of any filter from
the cross-correlation peak of a sine response; zero-phase filters give ~0 frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..rotations import axis_angle_to_quaternion_wxyz as axis_angle_to_quaternion  # noqa: F401
from ..rotations import matrix_to_quaternion_wxyz as matrix_to_quaternion  # noqa: F401
from ..rotations import (
    quaternion_multiply,  # noqa: F401  (Hamilton product, shared with the rig)
    quaternion_to_axis_angle,  # noqa: F401
)
from ..rotations import quaternion_wxyz_to_matrix as quaternion_to_matrix  # noqa: F401

# ----------------------------------------------------------------------------------------------------------------
# quaternion helpers (w, x, y, z), plain numpy, shape-preserving over leading axes


def quaternion_conjugate(q: np.ndarray) -> np.ndarray:
    """(..., 4) -> (..., 4) inverse of unit quaternions."""
    out = np.array(q, dtype=np.float64, copy=True)
    out[..., 1:] *= -1.0
    return out


def quaternion_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 4), (..., 4) unit quaternions -> (...) geodesic angle in radians between the rotations, in [0, pi]."""
    d = np.abs(np.einsum("...i,...i->...", a, b))
    return 2.0 * np.arccos(np.clip(d, 0.0, 1.0))


def slerp(q0: np.ndarray, q1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical linear interpolation, vectorised: (..., 4), (..., 4), weight (...) in [0, 1] -> (..., 4).

    ``t = 0`` gives ``q0``, ``t = 1`` gives ``q1``; the shorter arc is taken (``q1``'s sign is matched to ``q0``).
    """
    q0 = np.asarray(q0, dtype=np.float64)
    q1 = np.asarray(q1, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)[..., None]
    dot = np.einsum("...i,...i->...", q0, q1)[..., None]
    q1 = np.where(dot < 0.0, -q1, q1)
    dot = np.abs(dot)
    near = dot > 0.9995
    omega = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_omega = np.where(near, 1.0, np.sin(omega))
    w0 = np.where(near, 1.0 - t, np.sin((1.0 - t) * omega) / sin_omega)
    w1 = np.where(near, t, np.sin(t * omega) / sin_omega)
    out = w0 * q0 + w1 * q1
    return out / np.sqrt(np.einsum("...i,...i->...", out, out))[..., None]


def make_continuous(quat: np.ndarray) -> np.ndarray:
    """(T, ..., 4) -> same, each frame's sign chosen to agree with the previous frame (vectorised cumulative flip)."""
    q = np.array(quat, dtype=np.float64, copy=True)
    if q.shape[0] < 2:
        return q
    dots = np.einsum("t...k,t...k->t...", q[1:], q[:-1])
    flips = np.cumprod(np.where(dots < 0.0, -1.0, 1.0), axis=0)
    q[1:] *= flips[..., None]
    return q


# ----------------------------------------------------------------------------------------------------------------
# gap filling


def neighbour_indices(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each frame, the previous and next valid frame and the interpolation fraction between them.

    Args:
        valid: (T,) bool with at least one True.
    Returns:
        ``(prev, next, frac)``: (T,) int64, (T,) int64, (T,) float64; valid frames map to themselves with frac 0;
        frames before the first / after the last valid frame hold on to it.
    """
    valid = np.asarray(valid, dtype=bool)
    t = valid.shape[0]
    idx = np.arange(t)
    prev = np.where(valid, idx, -1)
    prev = np.maximum.accumulate(prev)
    nxt = np.where(valid, idx, t)
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]
    first, last = int(np.argmax(valid)), int(t - 1 - np.argmax(valid[::-1]))
    prev = np.where(prev < 0, first, prev)
    nxt = np.where(nxt >= t, last, nxt)
    span = (nxt - prev).astype(np.float64)
    frac = np.where(span > 0, (idx - prev) / np.where(span > 0, span, 1.0), 0.0)
    return prev, nxt, frac


def fill_gaps_linear(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(T, ...) values with invalid frames replaced by linear interpolation between valid neighbours."""
    prev, nxt, frac = neighbour_indices(valid)
    v = np.asarray(values, dtype=np.float64)
    f = frac.reshape((-1,) + (1,) * (v.ndim - 1))
    return (1.0 - f) * v[prev] + f * v[nxt]


def fill_gaps_quaternion(quat: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(T, ..., 4) quaternions with invalid frames replaced by slerp between valid neighbours."""
    prev, nxt, frac = neighbour_indices(valid)
    q = np.asarray(quat, dtype=np.float64)
    f = np.broadcast_to(frac.reshape((-1,) + (1,) * (q.ndim - 2)), q.shape[:-1])
    return slerp(q[prev], q[nxt], f)


# ----------------------------------------------------------------------------------------------------------------
# smoothing


@dataclass(frozen=True)
class SmoothingSpec:
    """Which zero-phase filter to run.

    Attributes:
        method: ``"butterworth"`` (``filtfilt``, zero phase), ``"savgol"`` (symmetric Savitzky-Golay) or ``"none"``.
        cutoff_hz: Butterworth cut-off frequency in Hz (relative to the sequence fps).
        order: Butterworth order per pass (the forward-backward pass doubles it).
        window: Savitzky-Golay window in frames (odd; shortened for short sequences).
        polyorder: Savitzky-Golay polynomial order.
    """

    method: str = "butterworth"
    cutoff_hz: float = 5.0
    order: int = 2
    window: int = 9
    polyorder: int = 2


def smooth_array(values: np.ndarray, fps: float, spec: SmoothingSpec = SmoothingSpec(),
                 block_channels: int = 64) -> np.ndarray:
    """Zero-phase low-pass filter of (T, ...) values along time (axis 0); short sequences are returned unfiltered.

    The channels are filtered in blocks of ``block_channels``, each made time-contiguous first: the temporaries stay
    bounded (a few x T x block) and the recursive filter runs along contiguous memory, which matters for long takes.

    Returns:
        (T, ...) float64, same shape.
    """
    from scipy import signal  # imported lazily: core must import without scipy

    x = np.asarray(values, dtype=np.float64)
    t = x.shape[0]
    if spec.method == "none" or t < 3:
        return x.copy()
    if spec.method == "savgol":
        window = min(int(spec.window) | 1, t if t % 2 == 1 else t - 1)
        if window <= spec.polyorder:
            return x.copy()

        def run(block: np.ndarray) -> np.ndarray:
            return signal.savgol_filter(block, window, spec.polyorder, axis=-1, mode="interp")
    elif spec.method == "butterworth":
        wn = float(spec.cutoff_hz) / (0.5 * float(fps))
        if wn >= 1.0:
            return x.copy()
        b, a = signal.butter(int(spec.order), wn)
        padlen = 3 * max(len(a), len(b))
        if t <= padlen:
            return x.copy()
        # pad by (odd extension of) about three cut-off periods so the edges settle, bounded by the sequence
        padlen = min(t - 1, max(padlen, int(np.ceil(3.0 * fps / spec.cutoff_hz))))

        def run(block: np.ndarray) -> np.ndarray:
            return signal.filtfilt(b, a, block, axis=-1, padtype="odd", padlen=padlen)
    else:
        raise ValueError(f"unknown smoothing method '{spec.method}' (expected butterworth, savgol or none)")
    flat = x.reshape(t, -1)
    out = np.empty_like(flat)
    step = max(int(block_channels), 1)
    for start in range(0, flat.shape[1], step):  # loops over channel blocks, never over frames
        block = np.ascontiguousarray(flat[:, start:start + step].T)
        out[:, start:start + step] = run(block).T
    return out.reshape(x.shape)


def smooth_quaternions(quat: np.ndarray, fps: float, spec: SmoothingSpec = SmoothingSpec()) -> np.ndarray:
    """Smooth rotations on SO(3): (T, ..., 4) quaternions -> (T, ..., 4) unit quaternions, sign-continuous.

    The signs are made continuous along time first, each component is filtered with :func:`smooth_array`, and the
    result is renormalised.
    """
    q = make_continuous(quat)
    out = smooth_array(q, fps, spec)
    return out / np.sqrt(np.einsum("...i,...i->...", out, out))[..., None]


def smooth_axis_angle(axis_angle: np.ndarray, fps: float, spec: SmoothingSpec = SmoothingSpec()) -> np.ndarray:
    """(T, ..., 3) axis-angle -> (T, ..., 3) axis-angle, smoothed through sign-continuous quaternions."""
    return quaternion_to_axis_angle(smooth_quaternions(axis_angle_to_quaternion(axis_angle), fps, spec))


def smooth_translation(transl: np.ndarray, fps: float, spec: SmoothingSpec = SmoothingSpec()) -> np.ndarray:
    """(T, 3) metres -> (T, 3) metres, the same zero-phase filter as the rotations."""
    return smooth_array(transl, fps, spec)


# ----------------------------------------------------------------------------------------------------------------
# one shape per sequence


def robust_betas(betas: np.ndarray, valid: Optional[np.ndarray] = None, method: str = "huber",
                 iterations: int = 10, k: float = 1.345) -> np.ndarray:
    """One shape for the whole sequence from per-frame estimates, robust to outlier frames.

    Args:
        betas: (T, B) per-frame shape coefficients.
        valid: (T,) bool; frames used (all when None; all when none is valid).
        method: ``"median"`` (per coefficient) or ``"huber"`` (IRLS M-estimate per coefficient, scale from the MAD,
            started at the median) or ``"mean"``.
    Returns:
        (B,) float64.
    """
    b = np.asarray(betas, dtype=np.float64)
    if valid is not None and np.any(valid):
        b = b[np.asarray(valid, dtype=bool)]
    finite = np.all(np.isfinite(b), axis=1)
    if not np.any(finite):
        return np.zeros(b.shape[1])  # nothing usable: the mean shape
    b = b[finite]
    if method == "mean":
        return b.mean(axis=0)
    med = np.median(b, axis=0)
    if method == "median":
        return med
    if method != "huber":
        raise ValueError(f"unknown betas method '{method}' (expected huber, median or mean)")
    scale = 1.4826 * np.median(np.abs(b - med), axis=0)
    scale = np.maximum(scale, 1e-9)
    mu = med
    for _ in range(iterations):
        r = np.abs(b - mu) / scale
        w = np.where(r <= k, 1.0, k / np.maximum(r, 1e-12))
        mu = (w * b).sum(axis=0) / w.sum(axis=0)
    return mu


# ----------------------------------------------------------------------------------------------------------------
# lag


def measure_lag(filter_fn: Callable[[np.ndarray], np.ndarray], length: int = 512, period: float = 60.0,
                max_lag: int = 30) -> float:
    """Delay, in frames, that ``filter_fn`` introduces: the cross-correlation peak of its sine response.

    Args:
        filter_fn: maps (T, 1) -> (T, 1) (e.g. ``lambda x: smooth_array(x, fps, spec)``).
        length: test signal length in frames.
        period: sine period in frames (pick one in the pass band).
        max_lag: lags searched, +- (at most half a period).
    Returns:
        Lag in frames (positive: the output trails the input), refined to sub-frame by fitting the cosine the
        correlation of two sines follows.
        Zero-phase filters give ~0.
    """
    max_lag = max(1, min(int(max_lag), int(period // 2) - 1))  # a sine correlates again one period away
    omega = 2.0 * np.pi / period
    n = np.arange(length, dtype=np.float64)
    x = np.sin(omega * n)[:, None]
    y = np.asarray(filter_fn(x), dtype=np.float64).reshape(length)
    x = x[:, 0]
    margin = max_lag + int(period)  # ignore the edges, where padding dominates
    span = int((length - 2 * margin) // period * period)  # whole periods, so the correlation is a clean cosine
    if span <= 0:
        raise ValueError("measure_lag: the test signal is too short for this period")
    core_x = x[margin:margin + span]
    lags = np.arange(-max_lag, max_lag + 1)
    # correlation of x(t) with y(t + lag) ~ cos(omega (lag - delay)): it peaks where y trails x by `delay`
    corr = np.array([np.dot(core_x, y[margin + lag:margin + lag + span]) for lag in lags])
    i = int(np.argmax(corr))
    offset = 0.0
    if 0 < i < len(lags) - 1:
        # three samples of A cos(omega (k - d)) give d exactly: tan(omega d) = (c+ - c-) / (2 sin(omega) c0)
        c_minus, c0, c_plus = corr[i - 1], corr[i], corr[i + 1]
        offset = float(np.arctan2((c_plus - c_minus) / (2.0 * np.sin(omega)), c0) / omega)
    return float(lags[i] + offset)


def causal_butterworth(values: np.ndarray, fps: float, cutoff_hz: float = 5.0, order: int = 2) -> np.ndarray:
    """A *causal* (one-pass ``lfilter``) Butterworth, for comparison in lag measurements: it trails its input."""
    from scipy import signal

    b, a = signal.butter(order, cutoff_hz / (0.5 * fps))
    x = np.asarray(values, dtype=np.float64)
    zi = signal.lfilter_zi(b, a)
    zi = zi.reshape((-1,) + (1,) * (x.ndim - 1)) * x[:1]
    return signal.lfilter(b, a, x, axis=0, zi=zi)[0]


__all__ = ["axis_angle_to_quaternion", "quaternion_to_axis_angle", "matrix_to_quaternion", "quaternion_to_matrix",
           "quaternion_multiply", "quaternion_conjugate",
           "quaternion_angle", "slerp", "make_continuous", "neighbour_indices", "fill_gaps_linear",
           "fill_gaps_quaternion", "SmoothingSpec", "smooth_array", "smooth_quaternions", "smooth_axis_angle",
           "smooth_translation", "robust_betas", "measure_lag", "causal_butterworth"]
