"""The pose refinement's per-group record: held-out keypoint error before and after, the largest rotation change,
and whether the group's correction was kept. numpy only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle


@dataclass
class GroupCheck:
    """One joint group's check (:data:`core.camera.refine_groups.JOINT_GROUPS`).

    Attributes:
        name: the group; corrected_joints: the group's joints the evidence sees (corrected unless reverted).
        heldout_points: held-out keypoint observations judged (frames x points, over all folds).
        heldout_px_before, heldout_px_after: their confidence-weighted mean pixel error at the start (the camera
            fit's camera, the estimator's pose) and after the refinement that did not see them; None without any.
        max_change_deg: the largest rotation change of the group's joints in the written pose (degrees).
        kept: True where the correction was kept, False where reverted, None where nothing in the group was
            corrected (no evidence sees its joints).
        reason: why, in words.
    """

    name: str
    corrected_joints: list
    heldout_points: int
    heldout_px_before: Optional[float]
    heldout_px_after: Optional[float]
    max_change_deg: float
    kept: Optional[bool]
    reason: str

    def summary(self) -> dict[str, Any]:
        """JSON-able."""
        def r(v: Optional[float]) -> Optional[float]:
            return None if v is None else round(float(v), 3)

        return {"group": self.name, "corrected_joints": [int(j) for j in self.corrected_joints],
                "heldout_points": int(self.heldout_points), "heldout_px_before": r(self.heldout_px_before),
                "heldout_px_after": r(self.heldout_px_after), "max_change_deg": round(float(self.max_change_deg), 3),
                "kept": self.kept, "reason": self.reason}


def rotation_change_deg(pose_before: np.ndarray, pose_after: np.ndarray) -> np.ndarray:
    """(T, J, 3) axis-angle twice -> (T, J) the angle of ``R_before^T R_after`` in degrees."""
    rel = np.swapaxes(axis_angle_to_matrix(pose_before), -1, -2) @ axis_angle_to_matrix(pose_after)
    return np.degrees(np.linalg.norm(matrix_to_axis_angle(rel), axis=-1))  # exact near zero, unlike arccos


def weighted_mean_px(distance: np.ndarray, weight: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(sum of weight x distance, sum of weight) over ``mask`` (all (T, P)); NaN distances count as absent."""
    use = mask & np.isfinite(distance) & (weight > 0)
    return float(np.where(use, weight * np.nan_to_num(distance), 0.0).sum()), float(np.where(use, weight, 0.0).sum())


__all__ = ["GroupCheck", "rotation_change_deg", "weighted_mean_px"]
