"""Which pixels a camera fit works in and which it writes: the estimators' image size, the footage's, and the one
uniform scale between them; the plausible focal range and the default field of view. numpy only.

Rules (issue 20: the footage's size is never guessed silently):
- a size counts only when something says it: an estimator's file (SMPLer-X ``img_size`` / ``img_path``, WiLoR
  ``img_size``), the fused file when it is flagged known (:func:`core.contracts.fused_file.image_size_known`), the
  footage (``--footage-size``, the footage's own frames or sidecar), or the 2D keypoint file's ``image_size``;
- with the estimators' size unknown, their pixels are taken to be the footage's (they ran on it); with no size known
  at all, the fused file's placeholder is used, the result stays flagged unknown and a note says so;
- the estimators' images and the footage may differ by one uniform scale (resized footage); a different aspect ratio
  is an error naming both sizes, never a per-axis rescale (which would write non-square pixels);
- a focal or principal point the user gives is in footage pixels and used as given;
- without a focal from the user or the footage, a fitted focal must lie within :data:`PLAUSIBLE_DIAGONALS` image
  diagonals, else the default field of view is used: focal = the image diagonal (:func:`default_focal_px`), a
  diagonal field of view of 2 atan(1/2) = 53.13 degrees (CLIFF's full-frame camera, Li et al. 2022, takes the same
  focal for photos without metadata), close to a 35 mm-equivalent 43 mm lens.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .conversions import check_image_size
from .errors import CameraError

#: A fitted focal must lie within these many image diagonals, else the default field of view is used.
PLAUSIBLE_DIAGONALS = (0.5, 3.0)
#: The default focal in image diagonals (1: a 53.13 degree diagonal field of view).
DEFAULT_FOCAL_DIAGONALS = 1.0
#: Relative aspect-ratio difference above which two image sizes are different footage, not a resize.
ASPECT_TOLERANCE = 0.005

FOCAL_SOURCE_DEFAULT = "default field of view"


def default_focal_px(image_size: Sequence[float]) -> float:
    """The default focal in pixels of ``image_size`` (W, H): :data:`DEFAULT_FOCAL_DIAGONALS` x the diagonal."""
    size = check_image_size(image_size)
    return float(DEFAULT_FOCAL_DIAGONALS * np.hypot(size[0], size[1]))


def default_field_of_view_deg(image_size: Sequence[float]) -> float:
    """The default focal's diagonal field of view in degrees (53.13 for a focal of one diagonal)."""
    size = check_image_size(image_size)
    return float(np.degrees(2.0 * np.arctan(0.5 * np.hypot(size[0], size[1]) / default_focal_px(size))))


def plausible_focal_range(image_size: Sequence[float]) -> tuple[float, float]:
    """(lo, hi) focal in pixels of ``image_size``: :data:`PLAUSIBLE_DIAGONALS` times its diagonal."""
    size = check_image_size(image_size)
    diag = float(np.hypot(size[0], size[1]))
    return PLAUSIBLE_DIAGONALS[0] * diag, PLAUSIBLE_DIAGONALS[1] * diag


@dataclass
class PixelFrame:
    """The pixels of a camera fit.

    Attributes:
        evidence_size: (2,) W, H of the pixels the evidence and the fit use (the estimators' images).
        footage_size: (2,) W, H of the pixels written (the footage).
        scale: footage pixels per evidence pixel (one factor for both axes).
        known: whether ``footage_size`` is the footage's real size (False: a placeholder, flagged in the file).
        source: where ``footage_size`` came from.
        notes: decisions for the report.
    """

    evidence_size: np.ndarray
    footage_size: np.ndarray
    scale: float
    known: bool
    source: str
    notes: list = field(default_factory=list)

    def to_evidence(self, footage_px: Sequence[float]) -> np.ndarray:
        """Footage pixels (a focal, a point) -> evidence pixels."""
        return np.asarray(footage_px, dtype=np.float64) / self.scale


def _aspect_differs(a: np.ndarray, b: np.ndarray) -> bool:
    return abs((a[0] / a[1]) / (b[0] / b[1]) - 1.0) > ASPECT_TOLERANCE


def resolve_pixel_frame(placeholder_size: Sequence[float], estimator_sizes: Sequence[tuple[Optional[np.ndarray], str]],
                        footage_sizes: Sequence[tuple[Optional[np.ndarray], str]]) -> PixelFrame:
    """The fit's :class:`PixelFrame` (see the module rules).

    Args:
        placeholder_size: (W, H) the fused file holds when nothing else is known.
        estimator_sizes: ``(size or None, what)`` in order of preference: the estimators' images.
        footage_sizes: ``(size or None, what)`` in order of preference: the footage's.
    Raises:
        :class:`CameraError` naming both sizes when the footage and the estimators' images differ in aspect ratio.
    """
    est = next(((check_image_size(s), w) for s, w in estimator_sizes if s is not None), None)
    foot = next(((check_image_size(s), w) for s, w in footage_sizes if s is not None), None)
    if est is None and foot is None:
        size = check_image_size(placeholder_size)
        return PixelFrame(size, size, 1.0, False, "unknown", [
            f"the image size is unknown (no estimator file, footage or keypoint file gives it): the fused file's "
            f"placeholder {size[0]:g} x {size[1]:g} is used and the result stays flagged unknown; give --footage or "
            f"--footage-size"])
    if est is None:
        size, what = foot
        return PixelFrame(size, size, 1.0, True, what, [
            f"the estimators' files give no image size: their pixels are taken as the footage's ({size[0]:g} x "
            f"{size[1]:g}, {what})"])
    if foot is None:
        size, what = est
        return PixelFrame(size, size, 1.0, True, what, [])
    (e, e_what), (f, f_what) = est, foot
    if _aspect_differs(e, f):
        raise CameraError(f"the footage is {f[0]:g} x {f[1]:g} ({f_what}) but the estimators' images are {e[0]:g} x "
                          f"{e[1]:g} ({e_what}): different aspect ratios, so no resize maps one onto the other; "
                          f"give the footage the estimators ran on", field="image_size")
    scale = float(f[0] / e[0])
    notes = [] if np.allclose(e, f) else [
        f"the footage ({f[0]:g} x {f[1]:g}, {f_what}) is the estimators' images ({e[0]:g} x {e[1]:g}, {e_what}) "
        f"resized by {scale:.4g}: the written camera is scaled by that one factor (square pixels kept)"]
    return PixelFrame(e, f, 1.0 if np.allclose(e, f) else scale, True, f_what, notes)


__all__ = ["PLAUSIBLE_DIAGONALS", "DEFAULT_FOCAL_DIAGONALS", "ASPECT_TOLERANCE", "FOCAL_SOURCE_DEFAULT",
           "default_focal_px", "default_field_of_view_deg", "plausible_focal_range", "PixelFrame",
           "resolve_pixel_frame"]
