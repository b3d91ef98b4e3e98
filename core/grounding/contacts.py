"""Per-foot ground contact, vectorised over frames: a probability from height and speed, then hysteresis.

For each foot and frame, two contact points are scored, the heel and the toe (the mean of the big- and
small-toe points), each by

    p_point = sigmoid((height_m - h) / height_scale_m) * sigmoid((speed_mps - v) / speed_scale_mps)

with ``h`` its height above the ground plane and ``v`` its speed (a Savitzky-Golay first derivative over a few
frames, so per-frame jitter does not read as motion). The foot's kinematic probability is the larger of the two
(a heel strike or a toe push-off each counts as contact). An estimator's own per-frame contact scores (WHAM's
contact, GVHMR's stationary flags; the fused file's optional ``contact_scores`` extra, (T, 2) in [0, 1], left and
right) enter as one more input: ``p = (1 - w) p_kin + w s`` with ``w = estimator_weight``.

Mode ``auto`` turns probabilities into contacts with hysteresis (on above ``on``, off below ``off``), closes gaps
of at most ``max_gap_frames`` and drops contacts shorter than ``min_frames``, so contacts do not flicker. Mode
``always`` takes every low, slow foot frame by frame (``p > 0.5``), with no duration rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .plane import GroundPlane


@dataclass(frozen=True)
class ContactParams:
    """Contact detection settings (metres, metres per second, frames).

    Attributes:
        height_m, height_scale_m: height above the plane where a point's height term is 0.5, and its softness.
        speed_mps, speed_scale_mps: the same for the speed term.
        window: frames of the Savitzky-Golay derivative (odd).
        on, off: hysteresis thresholds on the probability (mode ``auto``).
        min_frames: shortest contact kept (mode ``auto``).
        max_gap_frames: longest gap closed inside a contact (mode ``auto``).
        estimator_weight: weight of an estimator's own contact scores when given.
    """

    height_m: float = 0.03
    height_scale_m: float = 0.008
    speed_mps: float = 0.3
    speed_scale_mps: float = 0.08
    window: int = 7
    on: float = 0.6
    off: float = 0.35
    min_frames: int = 3
    max_gap_frames: int = 2
    estimator_weight: float = 0.5


@dataclass
class ContactDetection:
    """What the detector saw, T frames, feet in the order left, right.

    Attributes:
        probability: (T, 2) contact probability in [0, 1].
        contact: (T, 2) bool decisions.
        height_m: (T, 2) the lowest contact point's height above the plane.
        speed_mps: (T, 2) the slower contact point's speed.
    """

    probability: np.ndarray
    contact: np.ndarray
    height_m: np.ndarray
    speed_mps: np.ndarray

    def intervals(self, foot: int) -> np.ndarray:
        """(K, 2) [start, stop) frame rows of ``foot``'s contacts (0 left, 1 right)."""
        return mask_intervals(self.contact[:, foot])


def savgol_derivative(values: np.ndarray, window: int, fps: float) -> np.ndarray:
    """First derivative along axis 0 by a local straight-line fit over ``window`` frames (edges repeated).

    Args:
        values: (T, ...) samples at ``fps``.
        window: odd number of frames.
    Returns:
        (T, ...) per second.
    """
    x = np.asarray(values, dtype=np.float64)
    half = max(int(window) // 2, 1)
    if x.shape[0] < 2:
        return np.zeros_like(x)
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    kernel = offsets / float(np.sum(offsets ** 2))
    padded = np.concatenate([np.repeat(x[:1], half, axis=0), x, np.repeat(x[-1:], half, axis=0)], axis=0)
    t = x.shape[0]
    out = np.zeros_like(x)
    for k, c in enumerate(kernel):  # a loop over the window's taps, never over frames
        out += c * padded[k:k + t]
    return out * fps


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def contact_points(foot_points_cam: np.ndarray) -> np.ndarray:
    """(T, 2, 3, 3) heel, big toe, small toe -> (T, 2, 2, 3) heel and toe (mean of the two toe points)."""
    pts = np.asarray(foot_points_cam, dtype=np.float64)
    return np.stack([pts[:, :, 0], pts[:, :, 1:].mean(axis=2)], axis=2)


def contact_probability(foot_points_cam: np.ndarray, plane: GroundPlane, fps: float,
                        params: ContactParams = ContactParams(),
                        contact_scores: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-foot contact probability.

    Args:
        foot_points_cam: (T, 2, 3, 3) from :func:`core.grounding.foot_points.foot_points`.
        plane: the ground.
        fps: frame rate (speeds are per second, so thresholds hold at any rate).
        contact_scores: optional (T, 2) estimator contact scores in [0, 1] (left, right).
    Returns:
        ``(probability, height, speed)``, each (T, 2): the probability, the lowest point's height (m) and the
        slower point's speed (m/s).
    """
    pts = contact_points(foot_points_cam)  # (T, 2, 2, 3)
    height = plane.signed_distance(pts)  # (T, 2, 2)
    speed = np.linalg.norm(savgol_derivative(pts, params.window, fps), axis=-1)
    p_point = _sigmoid((params.height_m - height) / params.height_scale_m) * \
        _sigmoid((params.speed_mps - speed) / params.speed_scale_mps)
    prob = p_point.max(axis=2)
    if contact_scores is not None:
        scores = np.clip(np.asarray(contact_scores, dtype=np.float64).reshape(prob.shape), 0.0, 1.0)
        w = float(params.estimator_weight)
        prob = (1.0 - w) * prob + w * scores
    return prob, height.min(axis=2), speed.min(axis=2)


def mask_intervals(mask: np.ndarray) -> np.ndarray:
    """(T,) bool -> (K, 2) int [start, stop) of its runs of True."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return edges.reshape(-1, 2)


def hysteresis(probability: np.ndarray, on: float, off: float, min_frames: int = 1,
               max_gap_frames: int = 0) -> np.ndarray:
    """(T, F) probabilities -> (T, F) bool: a contact starts above ``on`` and lasts until it drops below ``off``.

    Gaps of at most ``max_gap_frames`` inside a contact are closed, then contacts shorter than ``min_frames``
    dropped. Vectorised: the state at a frame is that of the last decisive frame (above ``on`` or below ``off``).
    """
    p = np.asarray(probability, dtype=np.float64)
    p2 = p.reshape(p.shape[0], -1)
    # the state at frame t is decided by the last frame at or before t that was above ``on`` or below ``off``
    decisive = (p2 > on) | (p2 < off)
    rows = np.where(decisive, np.arange(p2.shape[0])[:, None], -1)
    last = np.maximum.accumulate(rows, axis=0)
    out = (last >= 0) & (np.take_along_axis(p2, np.maximum(last, 0), axis=0) > on)
    for f in range(out.shape[1]):
        runs = mask_intervals(~out[:, f])
        for start, stop in runs:
            if 0 < start and stop < out.shape[0] and stop - start <= max_gap_frames:
                out[start:stop, f] = True
        for start, stop in mask_intervals(out[:, f]):
            if stop - start < min_frames:
                out[start:stop, f] = False
    return out.reshape(p.shape)


def detect_contacts(foot_points_cam: np.ndarray, plane: GroundPlane, fps: float, mode: str = "auto",
                    params: ContactParams = ContactParams(),
                    contact_scores: Optional[np.ndarray] = None) -> ContactDetection:
    """Contacts of both feet on ``plane``.

    Args:
        foot_points_cam: (T, 2, 3, 3) heel, big toe, small toe per foot, camera frame.
        plane: the ground.
        fps: frame rate.
        mode: ``auto`` (hysteresis, duration rules) or ``always`` (every low, slow frame).
        contact_scores: optional (T, 2) estimator scores in [0, 1].
    Returns:
        :class:`ContactDetection`.
    """
    if mode not in ("auto", "always"):
        raise ValueError(f"contact detection mode must be auto or always, not {mode!r}")
    prob, height, speed = contact_probability(foot_points_cam, plane, fps, params, contact_scores)
    if mode == "always":
        contact = prob > 0.5
    else:
        contact = hysteresis(prob, params.on, params.off, params.min_frames, params.max_gap_frames)
    return ContactDetection(probability=prob, contact=contact, height_m=height, speed_mps=speed)


__all__ = ["ContactParams", "ContactDetection", "savgol_derivative", "contact_points", "contact_probability",
           "mask_intervals", "hysteresis", "detect_contacts"]
