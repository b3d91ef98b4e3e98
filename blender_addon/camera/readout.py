"""What the Camera panel shows: the camera's focal in pixels and the fit's reprojection error per frame (a value
and a small text plot of the frames around the current one)."""
from __future__ import annotations

from typing import Optional

import bpy
import numpy as np

from ..common import camera_builder

__all__ = ["PLOT_FRAMES", "focal_px", "reprojection_values", "sparkline"]

_SPARK = " ▁▂▃▄▅▆▇█"
#: Frames the panel's plot covers around the current one.
PLOT_FRAMES = 41


def focal_px(cam_obj: bpy.types.Object, scene: bpy.types.Scene) -> float:
    """The camera's focal length in pixels of the scene's render size (along its sensor-fit side)."""
    cam = cam_obj.data
    if cam.sensor_fit == "HORIZONTAL":
        return cam.lens / cam.sensor_width * scene.render.resolution_x
    return cam.lens / cam.sensor_height * scene.render.resolution_y


def reprojection_values(cam_obj: bpy.types.Object) -> Optional[np.ndarray]:
    """(T,) per-frame reprojection error (pixels, NaN where unknown) the camera carries, or None."""
    values = cam_obj.get(camera_builder.REPROJ_PROPERTY + "_frames")
    if values is None:
        return None
    arr = np.array(values, dtype=np.float64)
    return np.where(arr < 0, np.nan, arr)


def sparkline(values: np.ndarray, centre: int, width: int = PLOT_FRAMES) -> tuple[str, int, float]:
    """A text plot of ``values`` around index ``centre``: (bars, first index shown, full-scale value)."""
    n = values.shape[0]
    first = int(np.clip(centre - width // 2, 0, max(n - width, 0)))
    window = values[first:first + width]
    top = float(np.nanmax(window)) if np.isfinite(window).any() else 0.0
    levels = len(_SPARK) - 1
    bars = "".join(" " if not np.isfinite(v) else _SPARK[int(round(v / top * levels)) if top > 0 else 0]
                   for v in window)
    return bars, first, top
