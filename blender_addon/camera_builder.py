"""A Blender camera matching the fused file's pinhole intrinsics (formulas in shared/BLENDER5_NOTES.md section 7)."""
from __future__ import annotations

import bpy
import numpy as np

from .axes import CAMERA_OBJECT_EULER

SENSOR_WIDTH_MM = 36.0


def camera_settings(camera_k: np.ndarray, image_size: np.ndarray) -> dict[str, float]:
    """(3, 3) K and (W, H) -> lens, sensor width, shifts and pixel aspect for a HORIZONTAL-fit camera."""
    w, h = float(image_size[0]), float(image_size[1])
    fx, fy, cx, cy = camera_k[0, 0], camera_k[1, 1], camera_k[0, 2], camera_k[1, 2]
    return {"lens": fx * SENSOR_WIDTH_MM / w, "sensor_width": SENSOR_WIDTH_MM,
            "shift_x": (w / 2.0 - cx) / w, "shift_y": (cy - h / 2.0) / w * (fx / fy),
            "pixel_aspect_y": fx / fy}


def build_camera(name: str, camera_k: np.ndarray, image_size: np.ndarray, scene: bpy.types.Scene,
                 collection: bpy.types.Collection) -> bpy.types.Object:
    """Camera at the origin looking along the footage camera's +z (Blender +Y), render size set to W x H."""
    settings = camera_settings(camera_k, image_size)
    cam = bpy.data.cameras.new(name)
    cam.sensor_fit = "HORIZONTAL"
    cam.sensor_width = settings["sensor_width"]
    cam.lens = settings["lens"]
    cam.shift_x = settings["shift_x"]
    cam.shift_y = settings["shift_y"]
    cam.clip_start = 0.05
    cam.clip_end = 1000.0
    obj = bpy.data.objects.new(name, cam)
    obj.rotation_mode = "XYZ"
    obj.rotation_euler = CAMERA_OBJECT_EULER
    collection.objects.link(obj)
    scene.render.resolution_x = int(round(float(image_size[0])))
    scene.render.resolution_y = int(round(float(image_size[1])))
    scene.render.pixel_aspect_x = 1.0
    scene.render.pixel_aspect_y = settings["pixel_aspect_y"]
    return obj
