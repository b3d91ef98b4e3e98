"""Seams between the body estimate and the experts: wrist (hand expert) and head (face expert).

Fusion replaces the body estimator's wrists with the hand expert's and (optionally) its head with the face
expert's. Where the two disagree strongly one of them is wrong (a mislabelled hand, a flipped wrist, a face
detector on the wrong person), and the fused take shows it at the seam. Measuring that needs both estimates, and
schema v1 has no field for them. ``core.fusion.pipeline.fuse`` records them as optional ``extras`` keys (allowed by
schema v1); files from elsewhere may lack them, and then the check says so and measures nothing.

Extras read (all rotations in the camera frame, axis-angle; NaN rows where that source has no estimate):

* ``seam_wrist_global_body``   (T, 2, 3): the body estimator's left / right wrist rotations.
* ``seam_wrist_global_expert`` (T, 2, 3): the hand expert's left / right wrist rotations (mirrored back).
* ``seam_head_global_body``    (T, 3):    the body estimator's head rotation.
* ``seam_head_global_face``    (T, 3):    the face expert's head rotation.

The angle between two global rotations equals the angle between the same rotations made local to a shared
parent, so the wrist seam is also the disagreement of the local wrist rotations that fusion blends.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..fusion.temporal import axis_angle_to_quaternion, quaternion_angle
from .result import CheckResult, flagged, not_measured

SEAM_KEYS = {"left_wrist": ("seam_wrist_global_body", "seam_wrist_global_expert", 0),
             "right_wrist": ("seam_wrist_global_body", "seam_wrist_global_expert", 1),
             "head": ("seam_head_global_body", "seam_head_global_face", None)}


def rotation_angle_deg(aa_a: np.ndarray, aa_b: np.ndarray) -> np.ndarray:
    """(..., 3), (..., 3) axis-angle -> (...) degrees between the rotations (NaN where either is NaN)."""
    a, b = np.asarray(aa_a, dtype=np.float64), np.asarray(aa_b, dtype=np.float64)
    ok = np.all(np.isfinite(a), axis=-1) & np.all(np.isfinite(b), axis=-1)
    ang = quaternion_angle(axis_angle_to_quaternion(np.where(ok[..., None], a, 0.0)),
                           axis_angle_to_quaternion(np.where(ok[..., None], b, 0.0)))
    return np.where(ok, np.degrees(ang), np.nan)


def check_seams(extras: Mapping[str, np.ndarray], fused_global: Mapping[str, np.ndarray], num_frames: int,
                threshold_deg: float) -> CheckResult:
    """Seam check.

    Args:
        extras: the fused file's extras.
        fused_global: seam name (``left_wrist``, ``right_wrist``, ``head``) -> (T, 3) the fused take's own global
            rotation there (axis-angle), to report how much of each source it kept.
        num_frames: T.
        threshold_deg: disagreement between body and expert that flags a frame.
    Returns:
        :class:`CheckResult`: score = the largest body-vs-expert angle over the seams (degrees, NaN where no
        expert); breakdown per seam; ``details`` per seam: frames measured, median and max, and the fused take's
        median distance to each source. Status ``unavailable`` when no seam extras are present.
    """
    series, details, missing = {}, {}, []
    for seam, (body_key, expert_key, side) in SEAM_KEYS.items():
        if body_key not in extras or expert_key not in extras:
            missing.append(seam)
            continue
        body = np.asarray(extras[body_key], dtype=np.float64)
        expert = np.asarray(extras[expert_key], dtype=np.float64)
        if side is not None:
            body, expert = body.reshape(num_frames, 2, 3)[:, side], expert.reshape(num_frames, 2, 3)[:, side]
        else:
            body, expert = body.reshape(num_frames, 3), expert.reshape(num_frames, 3)
        angle = rotation_angle_deg(body, expert)
        series[seam] = angle
        measured = np.isfinite(angle)
        info = {"frames_with_expert": int(measured.sum()),
                "median_deg": float(np.nanmedian(angle)) if measured.any() else None,
                "max_deg": float(np.nanmax(angle)) if measured.any() else None}
        if seam in fused_global and measured.any():
            fused = np.asarray(fused_global[seam], dtype=np.float64)
            info["fused_to_body_median_deg"] = float(np.nanmedian(rotation_angle_deg(fused, body)[measured]))
            info["fused_to_expert_median_deg"] = float(np.nanmedian(rotation_angle_deg(fused, expert)[measured]))
        details[seam] = info
    if not series:
        return not_measured("seams", num_frames, "unavailable", "deg", threshold_deg,
                            "the fused file carries no per-source seam rotations (extras "
                            "seam_wrist_global_body/expert, seam_head_global_body/face), e.g. it was not written "
                            "by core.fusion, so body-vs-expert seams cannot be measured")
    stack = np.stack(list(series.values()), axis=1)
    has = np.isfinite(stack).any(axis=1)
    scores = np.where(has, np.nanmax(np.where(np.isfinite(stack), stack, -np.inf), axis=1), np.nan)
    note = "body estimate vs expert at the wrists and head"
    if missing:
        note += f"; not measured (no extras): {', '.join(missing)}"
    return CheckResult(name="seams", status="ok", unit="deg", threshold=float(threshold_deg), scores=scores,
                       flags=flagged(scores, threshold_deg), breakdown=series,
                       details={"seams": details, "missing": missing}, note=note)


__all__ = ["SEAM_KEYS", "rotation_angle_deg", "check_seams"]
