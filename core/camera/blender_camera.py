"""Pinhole intrinsics -> Blender camera settings, and the OpenCV / Blender camera frames. numpy only, no bpy.

Blender camera (checked against ``bpy_extras.object_utils.world_to_camera_view`` in
``tests/camera/test_blender_camera.py``, all cases below 1e-3 px):
- sensor fit HORIZONTAL when W >= H (``lens = fx S / W``, ``sensor_width = S``), VERTICAL otherwise
  (``lens = fy S / H``, ``sensor_height = S``), S = 36 mm;
- shifts are fractions of the fitted side: HORIZONTAL ``shift_x = (W/2 - cx) / W``,
  ``shift_y = (cy - H/2) / W * fx / fy``; VERTICAL ``shift_x = (W/2 - cx) / H * fy / fx``,
  ``shift_y = (cy - H/2) / H``;
- non-square pixels (fx != fy) go to the render's pixel aspect, which Blender keeps >= 1: ``pixel_aspect_y = fx / fy``
  when fx >= fy, else ``pixel_aspect_x = fy / fx`` (setting ``pixel_aspect_y = fx / fy < 1`` is clamped to 1 and
  misplaces points by ~20 px at 640 x 480 with fy = 1.1 fx);
- a camera-space point seen at pixel ``(u, v)`` has ``world_to_camera_view`` ``(u / W, 1 - v / H)``.

Frames: OpenCV camera coordinates are (x right, y down, z forward); Blender's camera looks down its local -Z
with +Y up, so a point ``p_cv`` is ``diag(1, -1, -1) p_cv`` in the Blender camera object's local frame
(:data:`OPENCV_TO_BLENDER_CAMERA`). The footage camera object sits at the world origin rotated +90 degrees about X
(``blender_addon.common.axes.CAMERA_OBJECT_EULER``), and ``Rx(90) diag(1, -1, -1)`` is exactly the fused file's
camera to
Blender world map (``blender_addon.common.axes.CAMERA_TO_BLENDER``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conversions import check_image_size
from .errors import CameraError

SENSOR_MM = 36.0
#: OpenCV camera frame -> Blender camera object's local frame (and back: it is its own inverse).
OPENCV_TO_BLENDER_CAMERA = np.diag([1.0, -1.0, -1.0])
#: Relative change below which per-frame intrinsics count as constant (no keys are written).
INTRINSICS_RTOL = 1e-6


@dataclass(frozen=True)
class BlenderCameraSettings:
    """Blender camera and render settings for pinhole intrinsics (T frames, or T = 1 for a fixed camera).

    Attributes:
        sensor_fit: ``"HORIZONTAL"`` or ``"VERTICAL"``.
        sensor_mm: sensor width (HORIZONTAL) or height (VERTICAL) in millimetres.
        lens_mm, shift_x, shift_y: (T,) per frame.
        pixel_aspect_x, pixel_aspect_y: render pixel aspect (>= 1 each), from frame 0.
        resolution: (W, H) integer pixels.
        animated: True when the intrinsics change between frames (lens / shifts need keys).
        aspect_varies: True when fx / fy changes between frames (the render aspect cannot follow; frame 0's used).
    """

    sensor_fit: str
    sensor_mm: float
    lens_mm: np.ndarray
    shift_x: np.ndarray
    shift_y: np.ndarray
    pixel_aspect_x: float
    pixel_aspect_y: float
    resolution: tuple[int, int]
    animated: bool
    aspect_varies: bool


def intrinsics_vary(camera_K: np.ndarray, rtol: float = INTRINSICS_RTOL) -> bool:
    """True when a (T, 3, 3) K really changes over frames (relative change above ``rtol``); False for (3, 3)."""
    k = np.asarray(camera_K, dtype=np.float64)
    if k.ndim == 2 or k.shape[0] <= 1:
        return False
    scale = max(float(np.abs(k[0]).max()), 1.0)
    return bool(np.abs(k - k[0]).max() > rtol * scale)


def blender_camera_settings(camera_K: np.ndarray, image_size: np.ndarray,
                            sensor_mm: float = SENSOR_MM) -> BlenderCameraSettings:
    """Blender settings reproducing pinhole K (OpenCV, pixels, v counted from the top).

    Args:
        camera_K: (3, 3) or (T, 3, 3).
        image_size: (2,) W, H in pixels.
    Returns:
        :class:`BlenderCameraSettings` with (T,) lens and shifts (T = 1 for a (3, 3) K).
    """
    size = check_image_size(image_size)
    k = np.asarray(camera_K, dtype=np.float64).reshape(-1, 3, 3)
    if not np.all(np.isfinite(k)):
        raise CameraError("contains NaN or Inf", field="camera_K")
    fx, fy, cx, cy = k[:, 0, 0], k[:, 1, 1], k[:, 0, 2], k[:, 1, 2]
    if np.any(fx <= 0) or np.any(fy <= 0):
        raise CameraError("focal lengths must be positive", field="camera_K")
    w, h = float(size[0]), float(size[1])
    if w >= h:
        fit = "HORIZONTAL"
        lens = fx * sensor_mm / w
        shift_x = (w / 2.0 - cx) / w
        shift_y = (cy - h / 2.0) / w * (fx / fy)
    else:
        fit = "VERTICAL"
        lens = fy * sensor_mm / h
        shift_x = (w / 2.0 - cx) / h * (fy / fx)
        shift_y = (cy - h / 2.0) / h
    ratio = fx / fy
    aspect_x, aspect_y = (1.0, float(ratio[0])) if ratio[0] >= 1.0 else (float(1.0 / ratio[0]), 1.0)
    return BlenderCameraSettings(
        sensor_fit=fit, sensor_mm=float(sensor_mm), lens_mm=lens, shift_x=shift_x, shift_y=shift_y,
        pixel_aspect_x=aspect_x, pixel_aspect_y=aspect_y,
        resolution=(int(round(w)), int(round(h))), animated=intrinsics_vary(k),
        aspect_varies=bool(np.abs(ratio - ratio[0]).max() > INTRINSICS_RTOL))


def opencv_to_blender_camera(points_cv: np.ndarray) -> np.ndarray:
    """(..., 3) OpenCV camera-frame points -> the Blender camera object's local frame (-Z forward, +Y up)."""
    return np.asarray(points_cv, dtype=np.float64) @ OPENCV_TO_BLENDER_CAMERA.T


def blender_camera_to_opencv(points_local: np.ndarray) -> np.ndarray:
    """(..., 3) Blender camera-local points -> OpenCV camera frame (the inverse, the same matrix)."""
    return np.asarray(points_local, dtype=np.float64) @ OPENCV_TO_BLENDER_CAMERA.T


def ndc_to_pixels(ndc_xy: np.ndarray, image_size: np.ndarray) -> np.ndarray:
    """(..., 2) ``world_to_camera_view`` x, y (0..1, y up) -> (..., 2) OpenCV pixels (v from the top)."""
    size = check_image_size(image_size)
    ndc = np.asarray(ndc_xy, dtype=np.float64)
    return np.stack([ndc[..., 0] * size[0], (1.0 - ndc[..., 1]) * size[1]], axis=-1)


__all__ = ["SENSOR_MM", "OPENCV_TO_BLENDER_CAMERA", "INTRINSICS_RTOL", "BlenderCameraSettings", "intrinsics_vary",
           "blender_camera_settings", "opencv_to_blender_camera", "blender_camera_to_opencv", "ndc_to_pixels"]
