"""The Camera panel's per-avatar settings: ``Object.smplx_fusion_camera`` on the armature.

Changing the scale, the depth offset or the lock re-places the avatar at once (:func:`.adjust.apply_adjustments`).
"""
from __future__ import annotations

from typing import Any

import bpy

from .adjust import apply_adjustments

__all__ = ["SMPLXFusionCameraProps", "CLASSES", "register_props", "unregister_props"]


def _on_adjust(self: Any, context: bpy.types.Context) -> None:
    apply_adjustments(self.id_data)


class SMPLXFusionCameraProps(bpy.types.PropertyGroup):
    """Per-avatar camera settings (on the armature object)."""

    focal_override_px: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Focal override (px)", default=0.0, min=0.0, soft_max=50000.0,
        description="Focal length in pixels for Re-fit; 0 fits it (or takes the footage metadata's)")
    footage: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Footage", subtype="FILE_PATH", default="",
        description="The footage: a frames folder (with an optional footage.json), an image or a video")
    scale: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Scale", default=1.0, min=0.01, max=100.0, update=_on_adjust,
        description="Scale of the avatar about the camera centre (keeps it on the footage)")
    depth_offset: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Depth offset", default=0.0, soft_min=-20.0, soft_max=20.0, unit="LENGTH", update=_on_adjust,
        description="Move the avatar away from (+) or towards (-) the camera")
    lock_to_footage: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Lock to footage", default=True, update=_on_adjust,
        description="Adjustments keep the avatar on its pixels, and the camera's transform is locked")


CLASSES = (SMPLXFusionCameraProps,)


def register_props() -> None:
    """Point ``Object.smplx_fusion_camera`` at the property group (after the classes are registered)."""
    bpy.types.Object.smplx_fusion_camera = bpy.props.PointerProperty(type=SMPLXFusionCameraProps)


def unregister_props() -> None:
    del bpy.types.Object.smplx_fusion_camera
