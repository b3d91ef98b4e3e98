"""Reprojection error of the posed joints against 2D evidence (keypoints with confidences), when there is some.

Evidence is optional: (T, J, 2) pixel keypoints, (T, J) confidences in [0, 1], and which of smplx's output joints
each keypoint is (``joint_index``, (J,) into smplx's 127 joints: 0-54 the SMPL-X joints, 55-75 the vertex joints,
76-126 the face landmarks). Without evidence the check is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .result import CheckResult, flagged, not_measured


@dataclass
class Evidence2D:
    """2D keypoint evidence for a take.

    Attributes:
        keypoints: (T, J, 2) pixels (x right, y down).
        confidence: (T, J) in [0, 1]; 0 where a keypoint is missing.
        joint_index: (J,) index of each keypoint in smplx's 127 output joints.
        source: where it came from, for the report.
    """

    keypoints: np.ndarray
    confidence: np.ndarray
    joint_index: np.ndarray
    source: str = ""

    @classmethod
    def from_arrays(cls, keypoints: np.ndarray, confidence: Optional[np.ndarray] = None,
                    joint_index: Optional[np.ndarray] = None, source: str = "") -> "Evidence2D":
        kp = np.asarray(keypoints, dtype=np.float64)
        if kp.ndim != 3 or kp.shape[2] not in (2, 3):
            raise ValueError(f"keypoints: expected (T, J, 2) or (T, J, 3), found {kp.shape}")
        if kp.shape[2] == 3 and confidence is None:
            confidence = kp[..., 2]
        kp = kp[..., :2]
        conf = np.ones(kp.shape[:2]) if confidence is None else np.asarray(confidence, dtype=np.float64)
        if conf.shape != kp.shape[:2]:
            raise ValueError(f"confidence: expected {kp.shape[:2]}, found {conf.shape}")
        idx = np.arange(kp.shape[1]) if joint_index is None else np.asarray(joint_index, dtype=np.int64)
        if idx.shape != (kp.shape[1],) or idx.min(initial=0) < 0 or idx.max(initial=0) > 126:
            raise ValueError(f"joint_index: expected ({kp.shape[1]},) indices in 0..126")
        conf = np.where(np.all(np.isfinite(kp), axis=-1), conf, 0.0)
        return cls(keypoints=np.nan_to_num(kp), confidence=conf, joint_index=idx, source=source)


def project(points: np.ndarray, camera_k: np.ndarray) -> np.ndarray:
    """(T, J, 3) camera-frame points and (T, 3, 3) intrinsics -> (T, J, 2) pixels (points behind: NaN)."""
    p = np.asarray(points, dtype=np.float64)
    uvw = np.einsum("tab,tjb->tja", camera_k, p)
    z = uvw[..., 2:3]
    return np.where(z > 1e-6, uvw[..., :2] / np.where(z > 1e-6, z, 1.0), np.nan)


def check_reprojection(points: Optional[np.ndarray], camera_k: np.ndarray, evidence: Optional[Evidence2D],
                       num_frames: int, threshold_px: float, min_confidence: float = 0.1,
                       joint_names: Optional[list[str]] = None) -> CheckResult:
    """Score = the confidence-weighted mean pixel error of the visible keypoints per frame.

    Args:
        points: (T, J, 3) camera-frame positions of ``evidence.joint_index`` (None when they cannot be made).
        camera_k: (T, 3, 3).
        evidence: the 2D evidence, or None (skipped).
        threshold_px: mean error that flags a frame.
        min_confidence: keypoints below it are ignored.
        joint_names: names of the J keypoints for the breakdown.
    """
    if evidence is None:
        return not_measured("reprojection", num_frames, "skipped", "px", threshold_px,
                            "no 2D evidence given (pass keypoints with confidences to measure it)")
    if evidence.keypoints.shape[0] != num_frames:
        return not_measured("reprojection", num_frames, "unavailable", "px", threshold_px,
                            f"2D evidence has {evidence.keypoints.shape[0]} frames, the take {num_frames}")
    if points is None:
        return not_measured("reprojection", num_frames, "unavailable", "px", threshold_px,
                            "the evidence names joints this evaluation cannot place (face landmarks need the "
                            "smplx mesh path: install torch and smplx)")
    err = np.linalg.norm(project(points, camera_k) - evidence.keypoints, axis=-1)  # (T, J)
    w = np.where((evidence.confidence >= min_confidence) & np.isfinite(err), evidence.confidence, 0.0)
    err0 = np.where(np.isfinite(err), err, 0.0)
    wsum = w.sum(axis=1)
    scores = np.where(wsum > 0, (w * err0).sum(axis=1) / np.maximum(wsum, 1e-12), np.nan)
    names = joint_names or [f"joint{int(i)}" for i in evidence.joint_index]
    breakdown = {names[j]: np.where(w[:, j] > 0, err0[:, j], np.nan) for j in range(err.shape[1])}
    return CheckResult(name="reprojection", status="ok", unit="px", threshold=float(threshold_px), scores=scores,
                       flags=flagged(scores, threshold_px), breakdown=breakdown,
                       details={"source": evidence.source, "keypoints": int(err.shape[1]),
                                "frames_with_evidence": int((wsum > 0).sum())},
                       note="confidence-weighted mean distance of projected joints to the 2D keypoints")


__all__ = ["Evidence2D", "project", "check_reprojection"]
