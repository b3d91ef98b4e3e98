"""The error the camera code raises on values it cannot use (a focal, a scale, a box, an image size)."""
from __future__ import annotations

from ..errors import FusionError


class CameraError(FusionError):
    """A camera value is missing, out of its plausible range, or inconsistent.

    The message names the field (``focal_px``, ``scale``, ``image_size`` ...) and, for per-frame values, the
    first offending frame, like every :class:`core.errors.FusionError`.
    """

