"""The Render panel of the SMPL-X sidebar: materials, lighting preset, render preset and shot rendering.

The panel only draws: its settings live on the scene (``scene.smplx_fusion_render``) and its buttons call the
operators of ``render_ops`` with them.
"""
from __future__ import annotations

import bpy

from . import lighting, render_ops, render_presets, shot_plan


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
    overlay: bpy.props.EnumProperty(name="Background", items=render_ops.OVERLAYS,  # type: ignore[valid-type]
                                    default="SCENE")
    overwrite: bpy.props.BoolProperty(name="Overwrite", default=False)  # type: ignore[valid-type]


class SMPLX_FUSION_PT_render(bpy.types.Panel):
    bl_label = "Render"
    bl_idname = "SMPLX_FUSION_PT_render"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SMPL-X"
    bl_parent_id = "SMPLX_FUSION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        props = context.scene.smplx_fusion_render
        has_avatar = render_ops.avatar_mesh(context.active_object) is not None

        box = layout.box()
        box.label(text="Materials", icon="MATERIAL")
        box.prop(props, "skin_texture")
        row = box.row()
        row.enabled = has_avatar
        row.operator(render_ops.SMPLX_FUSION_OT_apply_materials.bl_idname, icon="SHADING_RENDERED"
                     ).skin_texture = props.skin_texture

        box = layout.box()
        box.label(text="Lighting", icon="LIGHT")
        box.prop(props, "lighting", text="")
        if props.lighting == "HDRI":
            box.prop(props, "hdri")
            box.prop(props, "hdri_rotation")
        box.prop(props, "light_strength")
        row = box.row()
        row.enabled = has_avatar
        op = row.operator(render_ops.SMPLX_FUSION_OT_apply_lighting.bl_idname, icon="LIGHT_AREA")
        op.preset, op.hdri, op.hdri_rotation, op.strength = (props.lighting, props.hdri or "studio",
                                                             props.hdri_rotation, props.light_strength)
        if not has_avatar:
            box.label(text="Select an imported avatar", icon="INFO")

        box = layout.box()
        box.label(text="Render", icon="RENDER_STILL")
        col = box.column(align=True)
        col.prop(props, "preset", text="")
        if props.preset == "CYCLES_FINAL":
            col.prop(props, "device")
        col.prop(props, "samples")
        col.prop(props, "percentage")
        op = box.operator(render_ops.SMPLX_FUSION_OT_apply_render_preset.bl_idname, icon="PRESET")
        op.preset, op.device, op.samples, op.percentage = props.preset, props.device, props.samples, \
            props.percentage
        col = box.column(align=True)
        col.prop(props, "frames_mode", text="")
        if props.frames_mode == "LIST":
            col.prop(props, "frames")
        elif props.frames_mode == "RANGE":
            col.label(text=f"Frames {context.scene.frame_start}-{context.scene.frame_end}")
        col.prop(props, "output_dir")
        col.prop(props, "name")
        col.prop(props, "overlay")
        col.prop(props, "overwrite")
        op = box.operator(render_ops.SMPLX_FUSION_OT_render.bl_idname, icon="RENDER_ANIMATION")
        op.frames_mode, op.frames, op.output_dir, op.name = props.frames_mode, props.frames, props.output_dir, \
            props.name
        op.preset, op.device, op.samples, op.percentage = props.preset, props.device, props.samples, \
            props.percentage
        op.overlay, op.overwrite = props.overlay, props.overwrite


CLASSES = (*render_ops.CLASSES, SMPLXFusionRenderProps, SMPLX_FUSION_PT_render)


def register_extra() -> None:
    bpy.types.Scene.smplx_fusion_render = bpy.props.PointerProperty(type=SMPLXFusionRenderProps)


def unregister_extra() -> None:
    del bpy.types.Scene.smplx_fusion_render
