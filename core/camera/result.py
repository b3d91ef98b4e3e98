"""What a camera fit produces, how it is measured (reprojection error per frame) and how it enters a fused file.

numpy only: Blender's Python reads fitted files and their per-frame errors without torch.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..contracts.fused_file import IMAGE_SIZE_KNOWN_KEY, FusedSequence
from .conversions import check_image_size, intrinsics_matrix, project
from .errors import CameraError

if TYPE_CHECKING:
    from .evidence import Evidence

#: Extra keys a fitted fused file carries (beside schema v1's ``camera_K``, ``transl``, ``image_size``).
REPROJ_BEFORE_KEY = "camera_reproj_px_before"
REPROJ_AFTER_KEY = "camera_reproj_px_after"


@dataclass
class CameraFit:
    """One camera for a whole sequence.

    Attributes:
        focal_px: the single focal length (square pixels), for ``image_size``.
        focal_source: ``"user"``, ``"footage metadata"``, ``"fit"`` or ``"default field of view"`` (a fitted focal
            outside the plausible range, :mod:`core.camera.footage_frame`).
        principal_point: (2,) pixels.
        image_size: (2,) W, H the intrinsics refer to.
        transl_cam: (T, 3) per-frame root translation, metres, OpenCV camera frame.
        reproj_before_px: (T,) mean reprojection error of the file's original camera against the evidence, NaN where
            a frame has no evidence.
        reproj_after_px: (T,) the same with the fitted camera.
        grid_focal_px: (G,) focal lengths of the grid search; grid_loss: (G,) best loss over scales at each.
        grid_best: ``(focal_px, scale)`` of the best grid cell.
        loss_initial, loss_final: the objective at the grid's best cell and after L-BFGS.
        iterations: the optimiser's function evaluations (L-BFGS or ``least_squares``); device: ``"cpu"`` or
            ``"cuda"``; seconds: wall time of the fit.
        notes: decisions and warnings for the report.
        backend: the fit that ran, ``"torch"`` (:mod:`core.camera.fit`) or ``"scipy"`` (:mod:`core.camera.fit_scipy`).
    """

    focal_px: float
    focal_source: str
    principal_point: np.ndarray
    image_size: np.ndarray
    transl_cam: np.ndarray
    reproj_before_px: np.ndarray
    reproj_after_px: np.ndarray
    grid_focal_px: np.ndarray
    grid_loss: np.ndarray
    grid_best: tuple[float, float]
    loss_initial: float
    loss_final: float
    iterations: int
    device: str
    seconds: float
    notes: list = field(default_factory=list)
    backend: str = "torch"

    @property
    def camera_K(self) -> np.ndarray:
        """(3, 3) pinhole intrinsics."""
        return intrinsics_matrix(self.focal_px, self.principal_point)

    def summary(self) -> dict[str, Any]:
        """JSON-able summary: focal, source, reprojection error statistics, timing."""
        def stats(a: np.ndarray) -> dict:
            a = a[np.isfinite(a)]
            if a.size == 0:
                return {"mean": None, "median": None, "p95": None, "max": None}
            return {"mean": round(float(a.mean()), 3), "median": round(float(np.median(a)), 3),
                    "p95": round(float(np.percentile(a, 95)), 3), "max": round(float(a.max()), 3)}

        return {"focal_px": round(self.focal_px, 3), "focal_source": self.focal_source,
                "principal_point": [round(float(v), 3) for v in self.principal_point],
                "image_size": [float(v) for v in self.image_size], "frames": int(self.transl_cam.shape[0]),
                "reproj_px_before": stats(self.reproj_before_px), "reproj_px_after": stats(self.reproj_after_px),
                "grid_best": {"focal_px": round(self.grid_best[0], 3), "scale": round(self.grid_best[1], 4)},
                "loss_initial": self.loss_initial, "loss_final": self.loss_final, "iterations": self.iterations,
                "device": self.device, "backend": self.backend, "seconds": round(self.seconds, 4),
                "notes": list(self.notes)}


def reprojection_errors(points: np.ndarray, transl_cam: np.ndarray, camera_K: np.ndarray,
                        evidence: "Evidence") -> np.ndarray:
    """Per-frame mean pixel distance between projected points and the evidence (points with weight > 0).

    Args:
        points: (T, P, 3) before translation; transl_cam: (T, 3); camera_K: (3, 3) or (T, 3, 3).
    Returns:
        (T,) pixels, NaN on frames without evidence (or with every point behind the camera).
    """
    uv = project(np.asarray(points, dtype=np.float64) + np.asarray(transl_cam, dtype=np.float64)[:, None], camera_K)
    dist = np.linalg.norm(uv - evidence.uv, axis=-1)
    use = (evidence.weight > 0) & np.isfinite(dist)
    count = use.sum(axis=1)
    total = np.where(use, dist, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def weighted_reprojection_errors(points: np.ndarray, transl_cam: np.ndarray, camera_K: np.ndarray,
                                 evidence: "Evidence") -> np.ndarray:
    """Per-frame mean pixel distance with each point weighted as the fits weigh it (``evidence.weight``: its group's
    weight and its confidence), so a hand's 21 barely confident points do not outvote the body's few confident
    ones. Same shapes and NaN rule as :func:`reprojection_errors`."""
    uv = project(np.asarray(points, dtype=np.float64) + np.asarray(transl_cam, dtype=np.float64)[:, None], camera_K)
    dist = np.linalg.norm(uv - evidence.uv, axis=-1)
    weight = np.where(np.isfinite(dist), np.asarray(evidence.weight, dtype=np.float64), 0.0)
    weight = np.where(weight > 0, weight, 0.0)
    wsum = weight.sum(axis=1)
    total = (weight * np.nan_to_num(dist)).sum(axis=1)
    return np.where(wsum > 0, total / np.where(wsum > 0, wsum, 1.0), np.nan)


def apply_to_sequence(seq: FusedSequence, fit: CameraFit, footage_size: Optional[np.ndarray] = None,
                      record: Optional[dict] = None, image_size_known: Optional[bool] = None,
                      given_focal_px: Optional[float] = None,
                      given_principal_point: Optional[np.ndarray] = None) -> FusedSequence:
    """A copy of ``seq`` carrying the fitted camera: ``camera_K`` (3, 3) with square pixels, ``transl``,
    ``image_size``.

    Args:
        footage_size: (W, H) of the footage the result is for, when it is the estimators' images resized: the
            intrinsics are scaled by ``W' / W`` on both axes (the footage must keep the aspect ratio; a different
            one raises :class:`CameraError`); translations do not change.
        record: extra JSON-able facts for the provenance (inputs used, options).
        image_size_known: written as the :data:`core.contracts.fused_file.IMAGE_SIZE_KNOWN_KEY` extra when given.
        given_focal_px, given_principal_point: the user's own values in footage pixels, written exactly as given
            (free of the round trip through the fit's pixels and its log-parametrised focal).
    Returns:
        The new sequence; the per-frame reprojection errors ride along as extras
        (:data:`REPROJ_BEFORE_KEY`, :data:`REPROJ_AFTER_KEY`) and the provenance gains a ``camera_fit`` entry.
    """
    K = fit.camera_K.copy()
    size = np.asarray(fit.image_size, dtype=np.float64)
    if footage_size is not None:
        footage = check_image_size(footage_size, "footage_size")
        if not np.allclose(footage, size):
            scale = float(footage[0] / size[0])
            if abs(footage[1] / size[1] / scale - 1.0) > 0.005:
                raise CameraError(f"the footage {footage[0]:g} x {footage[1]:g} is no uniform resize of the fitted "
                                  f"image {size[0]:g} x {size[1]:g}", field="footage_size")
            K = np.diag([scale, scale, 1.0]) @ K
            size = footage
    if given_focal_px is not None:
        K[0, 0] = K[1, 1] = float(given_focal_px)
    if given_principal_point is not None:
        K[:2, 2] = np.asarray(given_principal_point, dtype=np.float64).reshape(2)
    provenance = json.loads(seq.provenance or "{}")
    entry = fit.summary()
    entry["intrinsics_written"] = {"camera_K": K.round(6).tolist(), "image_size": size.tolist()}
    entry.update(record or {})
    provenance["camera_fit"] = entry
    extras = dict(seq.extras)
    extras[REPROJ_BEFORE_KEY] = np.asarray(fit.reproj_before_px, dtype=np.float64)
    extras[REPROJ_AFTER_KEY] = np.asarray(fit.reproj_after_px, dtype=np.float64)
    if image_size_known is not None:
        extras[IMAGE_SIZE_KNOWN_KEY] = np.array(bool(image_size_known))
    return replace(seq, camera_K=K, transl=np.asarray(fit.transl_cam, dtype=np.float64).copy(), image_size=size,
                   provenance=json.dumps(provenance, default=str), extras=extras)


__all__ = ["REPROJ_BEFORE_KEY", "REPROJ_AFTER_KEY", "CameraFit", "reprojection_errors", "weighted_reprojection_errors",
           "apply_to_sequence"]
