"""What every check returns, the thresholds that turn scores into flags, and the whole validation's result."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Optional

import numpy as np

#: Check names in report order; markers in Blender are named ``VAL <name>``.
CHECK_NAMES = ("joint_limits", "shape", "symmetry", "penetration", "seams", "temporal", "reprojection")


@dataclass
class Thresholds:
    """Flag a frame where a check's score exceeds its threshold (units in the field names).

    Attributes:
        joint_limits_deg: degrees beyond a joint's range (the table's margins already included).
        shape_sigma: largest |beta| in standard deviations (SMPL-X betas are unit-variance PCA coefficients).
        symmetry_pct: left/right limb-length difference, percent of their mean.
        penetration_m: depth of one body part inside another, metres.
        seams_deg: disagreement between the body estimate and an expert at a seam (wrist, head), degrees.
        temporal_m: distance of a joint from the robust temporal fit of its neighbouring frames, metres.
        reprojection_px: confidence-weighted mean reprojection error, pixels.
    """

    joint_limits_deg: float = 5.0
    shape_sigma: float = 3.0
    symmetry_pct: float = 4.0
    penetration_m: float = 0.02
    seams_deg: float = 45.0
    temporal_m: float = 0.05
    reprojection_px: float = 30.0

    def for_check(self, name: str) -> float:
        for f in fields(self):
            if f.name.startswith(name + "_"):
                return float(getattr(self, f.name))
        raise KeyError(name)

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


@dataclass
class CheckResult:
    """One check over T frames.

    Attributes:
        name: one of :data:`CHECK_NAMES`.
        status: ``"ok"`` (measured), ``"skipped"`` (input absent, e.g. no 2D evidence) or ``"unavailable"``
            (the file does not carry what the check needs; ``note`` says what is missing).
        unit: unit of ``scores`` and ``threshold``.
        threshold: the flag threshold.
        scores: (T,) per-frame score (NaN where not measured).
        flags: (T,) bool, ``scores > threshold``.
        breakdown: name -> (T,) per-joint / per-part / per-pair series (same unit unless the name says).
        details: JSON-able extras (per-frame culprits, events, constants).
        note: one line for people.
    """

    name: str
    status: str
    unit: str
    threshold: float
    scores: np.ndarray
    flags: np.ndarray
    breakdown: dict[str, np.ndarray] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def flagged_frames(self) -> np.ndarray:
        return np.flatnonzero(self.flags)

    def culprits(self, frame: int, limit: int = 3) -> list[str]:
        """Names of the breakdown series that exceed the threshold at ``frame``, worst first."""
        items = [(float(v[frame]), k) for k, v in self.breakdown.items()
                 if np.ndim(v) == 1 and np.isfinite(v[frame]) and v[frame] > self.threshold]
        return [k for _, k in sorted(items, reverse=True)[:limit]]


def not_measured(name: str, num_frames: int, status: str, unit: str, threshold: float, note: str) -> CheckResult:
    """A check that could not run: NaN scores, no flags, and the reason."""
    return CheckResult(name=name, status=status, unit=unit, threshold=threshold,
                       scores=np.full(num_frames, np.nan), flags=np.zeros(num_frames, dtype=bool), note=note)


def flagged(scores: np.ndarray, threshold: float) -> np.ndarray:
    """(T,) scores -> (T,) bool, NaN never flags."""
    s = np.asarray(scores, dtype=np.float64)
    return np.where(np.isfinite(s), s > threshold, False)


@dataclass
class ValidationResult:
    """All checks of one take.

    Attributes:
        num_frames: T.
        fps: frames per second.
        frame_ids: (T,) footage frame numbers (the fused file's ``frame_ids`` extra) or 0..T-1.
        checks: name -> :class:`CheckResult`, in :data:`CHECK_NAMES` order.
        metrics: accuracy against a ground truth when one was given (MPJPE and friends), else empty.
        info: what was evaluated and how (mesh backend, device, model).
    """

    num_frames: int
    fps: float
    frame_ids: np.ndarray
    checks: dict[str, CheckResult]
    metrics: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def any_flags(self) -> np.ndarray:
        """(T,) bool: flagged by at least one check."""
        out = np.zeros(self.num_frames, dtype=bool)
        for check in self.checks.values():
            out |= check.flags
        return out

    def flagged_by(self, frame: int) -> list[str]:
        return [name for name, c in self.checks.items() if c.flags[frame]]

    def worst_frames(self, limit: int = 20) -> list[dict[str, Any]]:
        """Flagged (frame, check) pairs, worst first by score / threshold."""
        rows = []
        for name, c in self.checks.items():
            for f in c.flagged_frames:
                ratio = float(c.scores[f] / c.threshold) if c.threshold > 0 else float("inf")
                rows.append({"frame": int(f), "check": name, "score": float(c.scores[f]), "ratio": ratio,
                             "culprits": c.culprits(int(f))})
        rows.sort(key=lambda r: (-r["ratio"], r["frame"]))
        return rows[:limit]

    def check(self, name: str) -> Optional[CheckResult]:
        return self.checks.get(name)


__all__ = ["CHECK_NAMES", "Thresholds", "CheckResult", "ValidationResult", "not_measured", "flagged"]
