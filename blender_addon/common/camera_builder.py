"""A Blender camera whose view matches the fused file's pinhole intrinsics, created or updated in place.

The numbers come from :func:`core.camera.blender_camera.blender_camera_settings` (bpy-free, formulas and checks in
its docstring): sensor fit on the longer side, lens in millimetres from the focal in pixels, shifts from the
principal point, the render's pixel aspect from fx / fy and the scene resolution from ``image_size``. A (T, 3, 3)
K that really changes over frames is keyed (lens, shift_x, shift_y) through a channelbag in one bulk write per
curve, never key by key; a constant one is set once and leaves no animation.

The camera object sits at the world origin rotated +90 degrees about X (``axes.CAMERA_OBJECT_EULER``): Blender
cameras look down their local -Z with +Y up, OpenCV's z forward / y down is ``diag(1, -1, -1)`` of that
(``core.camera.blender_camera.OPENCV_TO_BLENDER_CAMERA``), and the product is ``axes.CAMERA_TO_BLENDER``.
"""
from __future__ import annotations

from typing import Optional

import bpy
import numpy as np

from ..core.camera.blender_camera import SENSOR_MM, BlenderCameraSettings, blender_camera_settings
from . import animation
from .axes import CAMERA_OBJECT_EULER

__all__ = ["SENSOR_WIDTH_MM", "REPROJ_PROPERTY", "camera_settings", "apply_settings", "set_reprojection_curve",
           "build_camera", "update_camera", "lock_transform", "camera_warnings"]

SENSOR_WIDTH_MM = SENSOR_MM
#: Custom property on the camera object holding the reprojection error (pixels) at each frame, keyed per frame.
REPROJ_PROPERTY = "smplx_fusion_reproj_px"
_CAMERA_CURVES = ("lens", "shift_x", "shift_y")


def camera_settings(camera_k: np.ndarray, image_size: np.ndarray) -> dict[str, float]:
    """(3, 3) K and (W, H) -> frame 0's lens, sensor, shifts and pixel aspect (a summary of the full settings)."""
    s = blender_camera_settings(camera_k, image_size)
    return {"lens": float(s.lens_mm[0]), "sensor_width": s.sensor_mm, "sensor_fit": s.sensor_fit,
            "shift_x": float(s.shift_x[0]), "shift_y": float(s.shift_y[0]),
            "pixel_aspect_x": s.pixel_aspect_x, "pixel_aspect_y": s.pixel_aspect_y}


def _drop_action(owner: bpy.types.ID) -> None:
    """Unassign ``owner``'s action (the camera data's intrinsics keys, the object's reprojection curve) and
    remove it when nothing else uses it."""
    adt = owner.animation_data
    if adt is None or adt.action is None:
        return
    action = adt.action
    adt.action = None
    if action.users == 0:
        bpy.data.actions.remove(action)


def apply_settings(cam_obj: bpy.types.Object, settings: BlenderCameraSettings, scene: bpy.types.Scene,
                   first_frame: int) -> None:
    """Write ``settings`` to the camera data and the scene's render size / pixel aspect; key them when animated."""
    cam = cam_obj.data
    cam.sensor_fit = settings.sensor_fit
    if settings.sensor_fit == "HORIZONTAL":
        cam.sensor_width = settings.sensor_mm
    else:
        cam.sensor_height = settings.sensor_mm
    cam.lens = float(settings.lens_mm[0])
    cam.shift_x = float(settings.shift_x[0])
    cam.shift_y = float(settings.shift_y[0])
    _drop_action(cam)
    if settings.animated:
        action = bpy.data.actions.new(f"{cam.name}-intrinsics")
        slot = animation.new_slot(action, "CAMERA", cam.name)
        frames = first_frame + np.arange(settings.lens_mm.shape[0], dtype=np.float32)
        values = np.stack([settings.lens_mm, settings.shift_x, settings.shift_y], axis=1)
        animation.write_fcurves(action, slot, [(path, 0, "Intrinsics") for path in _CAMERA_CURVES], frames,
                                values)
        animation.assign_action(cam, action, slot)
    scene.render.resolution_x, scene.render.resolution_y = settings.resolution
    scene.render.pixel_aspect_x = settings.pixel_aspect_x
    scene.render.pixel_aspect_y = settings.pixel_aspect_y


def set_reprojection_curve(cam_obj: bpy.types.Object, errors_px: Optional[np.ndarray], first_frame: int) -> None:
    """Key the per-frame reprojection error (pixels; NaN where unknown, written as -1) on the camera object's
    custom property :data:`REPROJ_PROPERTY`: the value shows per frame and its curve plots in the Graph Editor.
    The whole array is also kept as ``REPROJ_PROPERTY + "_frames"`` for the panel's plot."""
    _drop_action(cam_obj)
    if errors_px is None:
        for key in (REPROJ_PROPERTY, REPROJ_PROPERTY + "_frames"):
            if key in cam_obj:
                del cam_obj[key]
        return
    values = np.where(np.isfinite(errors_px), errors_px, -1.0).astype(np.float64)
    cam_obj[REPROJ_PROPERTY] = float(values[0])
    cam_obj[REPROJ_PROPERTY + "_frames"] = values.tolist()
    action = bpy.data.actions.new(f"{cam_obj.name}-reprojection")
    slot = animation.new_slot(action, "OBJECT", cam_obj.name)
    frames = first_frame + np.arange(values.shape[0], dtype=np.float32)
    animation.write_fcurves(action, slot, [(f'["{REPROJ_PROPERTY}"]', 0, "Reprojection")], frames, values[:, None])
    animation.assign_action(cam_obj, action, slot)


def build_camera(name: str, camera_k: np.ndarray, image_size: np.ndarray, scene: bpy.types.Scene,
                 collection: bpy.types.Collection, first_frame: int = 1) -> bpy.types.Object:
    """A new camera at the origin looking along the footage camera's +z (Blender +Y), matching K (3, 3) or
    (T, 3, 3) frame by frame from ``first_frame``; render size set to W x H. Its transform is locked (it is the
    footage's camera; the camera panel's *Lock to footage* releases it)."""
    settings = blender_camera_settings(camera_k, image_size)
    cam = bpy.data.cameras.new(name)
    cam.clip_start = 0.05
    cam.clip_end = 1000.0
    obj = bpy.data.objects.new(name, cam)
    obj.rotation_mode = "XYZ"
    obj.rotation_euler = CAMERA_OBJECT_EULER
    collection.objects.link(obj)
    apply_settings(obj, settings, scene, first_frame)
    lock_transform(obj, True)
    return obj


def update_camera(cam_obj: bpy.types.Object, camera_k: np.ndarray, image_size: np.ndarray,
                  scene: bpy.types.Scene, first_frame: int = 1) -> BlenderCameraSettings:
    """Re-match an existing camera to new intrinsics (keys removed when they no longer vary)."""
    settings = blender_camera_settings(camera_k, image_size)
    apply_settings(cam_obj, settings, scene, first_frame)
    return settings


def lock_transform(cam_obj: bpy.types.Object, locked: bool) -> None:
    """Lock (or free) the camera object's location, rotation and scale."""
    cam_obj.lock_location = (locked, locked, locked)
    cam_obj.lock_rotation = (locked, locked, locked)
    cam_obj.lock_scale = (locked, locked, locked)


def camera_warnings(camera_k: np.ndarray, image_size: np.ndarray) -> list[str]:
    """Facts a user should know about how the file's intrinsics became a Blender camera."""
    settings = blender_camera_settings(camera_k, image_size)
    out = []
    if settings.animated:
        out.append(f"the file's intrinsics change per frame: lens and shift are keyed on "
                   f"{settings.lens_mm.shape[0]} frames (fit one camera with 'python -m core fit-camera' or the "
                   f"camera panel's Re-fit)")
    if settings.aspect_varies:
        out.append("fx / fy changes between frames; the render's pixel aspect follows frame 0")
    return out
