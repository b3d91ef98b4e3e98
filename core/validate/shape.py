"""Shape check: betas outside +-k standard deviations.

SMPL-X betas are coefficients of a PCA shape space scaled to unit variance over the training bodies (smplx
multiplies ``shapedirs`` by the components' standard deviations), so |beta| is already in sigmas. A fused file has
one shape per take, so the score is the same on every frame.
"""
from __future__ import annotations

import numpy as np

from .result import CheckResult, flagged


def check_shape(betas: np.ndarray, num_frames: int, threshold_sigma: float) -> CheckResult:
    """Score = the largest |beta| (sigmas), on all T frames; breakdown per component beyond the threshold.

    Args:
        betas: (B,) shape coefficients.
        num_frames: T.
        threshold_sigma: e.g. 3.
    """
    b = np.abs(np.asarray(betas, dtype=np.float64).reshape(-1))
    worst = float(b.max()) if b.size else 0.0
    scores = np.full(num_frames, worst)
    out = np.flatnonzero(b > threshold_sigma)
    breakdown = {f"beta{k:03d}": np.full(num_frames, float(b[k])) for k in out}
    return CheckResult(name="shape", status="ok", unit="sigma", threshold=float(threshold_sigma), scores=scores,
                       flags=flagged(scores, threshold_sigma), breakdown=breakdown,
                       details={"components_out": [int(k) for k in out],
                                "values": {f"beta{k:03d}": round(float(np.asarray(betas).reshape(-1)[k]), 3)
                                           for k in out}},
                       note="one shape per take: the score holds for every frame")


__all__ = ["check_shape"]
