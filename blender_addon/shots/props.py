"""The Shots settings, saved with the file as ``scene.smplx_fusion_render``: what the panel passes to the
operators (materials, lighting, render preset, shot rendering)."""
from __future__ import annotations

import bpy

from . import lighting, render_presets, shot_plan
from .render import OVERLAYS

__all__ = ["SMPLXFusionRenderProps", "CLASSES", "register_extra", "unregister_extra"]


#: Blender keeps only pointers to a dynamic enum's strings: the items must outlive the callback.
_HDRI_ITEMS: list[tuple[str, str, str]] = []


def _hdri_items(self: object, context: object) -> list[tuple[str, str, str]]:
    if not _HDRI_ITEMS:
        _HDRI_ITEMS.extend((name, name.capitalize(), f"Blender's '{name}' studio HDRI")
                           for name in lighting.hdri_names() or ["studio"])
    return _HDRI_ITEMS


class SMPLXFusionRenderProps(bpy.types.PropertyGroup):
    """Per-scene settings of the Render panel."""

    skin_texture: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Skin texture", subtype="FILE_PATH", default="",
        description="Albedo image on the SMPL-X UV layout (e.g. the official SMPL-X texture); empty: procedural")
    lighting: bpy.props.EnumProperty(name="Lighting", items=lighting.PRESETS,  # type: ignore[valid-type]
                                     default="STUDIO")
    hdri: bpy.props.EnumProperty(name="HDRI", items=_hdri_items)  # type: ignore[valid-type]
    hdri_rotation: bpy.props.FloatProperty(name="Rotation", default=0.0, subtype="ANGLE")  # type: ignore
    light_strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0,  # type: ignore[valid-type]
                                            soft_max=10.0)
    preset: bpy.props.EnumProperty(name="Preset", items=render_presets.PRESETS,  # type: ignore[valid-type]
                                   default="CYCLES_FINAL")
    device: bpy.props.EnumProperty(name="Device", items=render_presets.DEVICES,  # type: ignore[valid-type]
                                   default="CPU")
    samples: bpy.props.IntProperty(name="Samples", default=0, min=0,  # type: ignore[valid-type]
                                   description="0: the preset's")
    percentage: bpy.props.IntProperty(name="Resolution %", default=0, min=0, max=100,  # type: ignore
                                      description="0: the preset's")
    frames_mode: bpy.props.EnumProperty(name="Frames", items=shot_plan.FRAME_MODES,  # type: ignore[valid-type]
                                        default="CURRENT")
    frames: bpy.props.StringProperty(name="Frame list", default="1")  # type: ignore[valid-type]
    output_dir: bpy.props.StringProperty(name="Output folder", subtype="DIR_PATH",  # type: ignore[valid-type]
                                         default="//renders")
    name: bpy.props.StringProperty(name="Name", default="shot")  # type: ignore[valid-type]
    overlay: bpy.props.EnumProperty(name="Background", items=OVERLAYS,  # type: ignore[valid-type]
                                    default="SCENE")
    overwrite: bpy.props.BoolProperty(name="Overwrite", default=False)  # type: ignore[valid-type]


CLASSES = (SMPLXFusionRenderProps,)


def register_extra() -> None:
    bpy.types.Scene.smplx_fusion_render = bpy.props.PointerProperty(type=SMPLXFusionRenderProps)


def unregister_extra() -> None:
    if hasattr(bpy.types.Scene, "smplx_fusion_render"):
        del bpy.types.Scene.smplx_fusion_render
