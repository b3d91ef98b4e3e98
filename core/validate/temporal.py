"""Temporal checks: outlier frames, velocity, acceleration, jitter, and the frames where a part switches source.

**Outliers** are frames that neither their past nor their future predicts. From each side, the three nearest
frames are extrapolated to the frame by the quadratic through them (``3 p[t-1] - 3 p[t-2] + p[t-3]`` from the
past, the mirror image from the future; the line or the value itself within two frames of an end); a frame's
score is the smaller of the two sides' errors, each the largest over the joints. A glitch of up to three frames
is predicted by neither side, while a step (a pose that changes and then stays) is predicted by the side it
belongs to, so the score rises on glitch frames only: not on the clean frames around them, where velocity and
acceleration spikes also fire, nor on the edges of longer faults (those are the other checks' business). On
smooth motion the extrapolation error is about jerk x (1/fps)^3. Limitation: a frame with a discontinuity within
three frames on *both* sides (a step right next to a glitch) is flagged too.

Velocity, acceleration (central differences) and jitter (mean jerk) are reported per frame with their robust
outlier frames, but do not flag on their own: a 3-frame glitch makes 4 velocity and 5 acceleration spikes, on
clean frames too.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..body.skeleton import JOINT_INDEX, JOINT_NAMES
from .result import CheckResult, flagged

#: Joint groups for the breakdown.
GROUPS: dict[str, tuple[int, ...]] = {
    "torso": tuple(JOINT_INDEX[n] for n in ("pelvis", "spine1", "spine2", "spine3", "neck", "left_collar",
                                              "right_collar")),
    "head": tuple(JOINT_INDEX[n] for n in ("head", "jaw", "left_eye_smplhf", "right_eye_smplhf")),
    "left_arm": tuple(JOINT_INDEX[n] for n in ("left_shoulder", "left_elbow", "left_wrist")),
    "right_arm": tuple(JOINT_INDEX[n] for n in ("right_shoulder", "right_elbow", "right_wrist")),
    "left_leg": tuple(JOINT_INDEX[n] for n in ("left_hip", "left_knee", "left_ankle", "left_foot")),
    "right_leg": tuple(JOINT_INDEX[n] for n in ("right_hip", "right_knee", "right_ankle", "right_foot")),
    "left_hand": tuple(i for i, n in enumerate(JOINT_NAMES) if n.startswith("left_") and n[5:-1] in
                       ("index", "middle", "pinky", "ring", "thumb")),
    "right_hand": tuple(i for i, n in enumerate(JOINT_NAMES) if n.startswith("right_") and n[6:-1] in
                        ("index", "middle", "pinky", "ring", "thumb")),
}


def side_predictions(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each frame extrapolated from its past and from its future.

    Three frames on a side give the quadratic through them (``3 p[t-1] - 3 p[t-2] + p[t-3]``), two the line,
    one the value itself; a side without frames gives NaN (the first frame's past, the last frame's future).

    Args:
        joints: (T, J, 3) positions.
    Returns:
        ``(from_past, from_future)``, each (T, J, 3).
    """
    p = np.asarray(joints, dtype=np.float64)
    t = p.shape[0]
    past = np.full_like(p, np.nan)
    future = np.full_like(p, np.nan)
    if t >= 2:
        past[1] = p[0]
        future[-2] = p[-1]
    if t >= 3:
        past[2] = 2.0 * p[1] - p[0]
        future[-3] = 2.0 * p[-2] - p[-1]
    if t >= 4:
        past[3:] = 3.0 * p[2:-1] - 3.0 * p[1:-2] + p[:-3]
        future[:-3] = 3.0 * p[1:-2] - 3.0 * p[2:-1] + p[3:]
    return past, future


def outlier_scores(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, J, 3) -> ((T,) score, (T, J) per-joint error on the better side).

    The score of a frame is the smaller, over its two sides, of the largest joint error of that side's
    prediction; 0 for takes under two frames.
    """
    p = np.asarray(joints, dtype=np.float64)
    if p.shape[0] < 2:
        return np.zeros(p.shape[0]), np.zeros(p.shape[:2])
    past, future = side_predictions(p)
    err_past = np.linalg.norm(p - past, axis=-1)  # (T, J), NaN where the side is empty
    err_future = np.linalg.norm(p - future, axis=-1)
    worst_past = np.where(np.isnan(err_past[:, 0]), np.inf, np.nanmax(np.nan_to_num(err_past, nan=-1.0), axis=1))
    worst_future = np.where(np.isnan(err_future[:, 0]), np.inf,
                            np.nanmax(np.nan_to_num(err_future, nan=-1.0), axis=1))
    use_past = worst_past <= worst_future
    per_joint = np.where(use_past[:, None], err_past, err_future)
    return np.minimum(worst_past, worst_future), per_joint


def finite_differences(joints: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, J, 3) metres -> velocity (m/s), acceleration (m/s^2) and jerk (m/s^3), each (T, J) magnitudes.

    Central differences inside, one-sided at the ends (zero where a take is too short).
    """
    p = np.asarray(joints, dtype=np.float64)
    t = p.shape[0]
    vel = np.zeros(p.shape[:2])
    acc = np.zeros(p.shape[:2])
    jerk = np.zeros(p.shape[:2])
    if t >= 2:
        g = np.gradient(p, axis=0) * fps
        vel = np.linalg.norm(g, axis=-1)
    if t >= 3:
        a = np.zeros_like(p)
        a[1:-1] = (p[2:] - 2.0 * p[1:-1] + p[:-2]) * fps * fps
        a[0], a[-1] = a[1], a[-2]
        acc = np.linalg.norm(a, axis=-1)
    if t >= 4:
        j = np.zeros_like(p)
        j[1:-2] = (p[3:] - 3.0 * p[2:-1] + 3.0 * p[1:-2] - p[:-3]) * fps ** 3
        j[0], j[-2], j[-1] = j[1], j[-3], j[-3]
        jerk = np.linalg.norm(j, axis=-1)
    return vel, acc, jerk


def robust_outliers(series: np.ndarray, k: float = 8.0) -> np.ndarray:
    """(T,) -> indices above median + k * 1.4826 * MAD (at least 1e-9 above the median)."""
    s = np.asarray(series, dtype=np.float64)
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    med = np.median(s)
    mad = 1.4826 * np.median(np.abs(s - med))
    return np.flatnonzero(s > med + max(k * mad, 1e-9))


def source_switches(weights: dict[str, np.ndarray], level: float = 0.5) -> list[dict]:
    """Frames where a part's source changes: its expert weight crosses ``level`` (expert <-> body estimate).

    Args:
        weights: part -> (T,) expert weight in [0, 1] (0: the body estimator's own values).
    Returns:
        [{frame, part, to}] with ``to`` "expert" or "body estimate", in frame order.
    """
    events = []
    for part, w in weights.items():
        on = np.asarray(w, dtype=np.float64) > level
        for f in np.flatnonzero(on[1:] != on[:-1]) + 1:
            events.append({"frame": int(f), "part": part, "to": "expert" if on[f] else "body estimate"})
    events.sort(key=lambda e: (e["frame"], e["part"]))
    return events


def check_temporal(joints: np.ndarray, fps: float, threshold_m: float,
                   part_weights: Optional[dict[str, np.ndarray]] = None) -> CheckResult:
    """Temporal check on (T, 55, 3) posed joints in the camera frame (metres).

    Score = :func:`outlier_scores` (metres); breakdown per joint group. ``details`` holds the velocity /
    acceleration / jitter summaries, their outlier frames, and the source switches (``part_weights``:
    part -> (T,) expert weights) with the score around each.
    """
    p = np.asarray(joints, dtype=np.float64)
    t = p.shape[0]
    scores, dev = outlier_scores(p)
    flags = flagged(scores, threshold_m)
    breakdown = {g: dev[:, list(idx)].max(axis=1) for g, idx in GROUPS.items()}
    vel, acc, jerk = finite_differences(p, fps)
    speed, accel, jitter = vel.max(axis=1), acc.max(axis=1), jerk.mean(axis=1)
    switches = source_switches(part_weights or {})
    for ev in switches:
        f = ev["frame"]
        ev["score_m"] = round(float(scores[max(0, f - 1):f + 1].max()), 4)
    details = {
        "velocity_mps": {"max": float(speed.max(initial=0.0)), "p95": float(np.percentile(speed, 95)) if t else 0.0,
                         "outlier_frames": robust_outliers(speed).tolist()},
        "acceleration_mps2": {"max": float(accel.max(initial=0.0)),
                              "p95": float(np.percentile(accel, 95)) if t else 0.0,
                              "outlier_frames": robust_outliers(accel).tolist()},
        "jitter_mps3": {"mean": float(jitter.mean()) if t else 0.0, "max": float(jitter.max(initial=0.0))},
        "source_switches": switches,
        "_series": {"velocity_mps": speed, "acceleration_mps2": accel, "jitter_mps3": jitter},
    }
    return CheckResult(name="temporal", status="ok", unit="m", threshold=float(threshold_m), scores=scores,
                       flags=flags, breakdown=breakdown, details=details,
                       note="frames neither their past nor their future predicts (quadratic extrapolation)")


__all__ = ["GROUPS", "side_predictions", "outlier_scores", "finite_differences", "robust_outliers",
           "source_switches", "check_temporal"]
