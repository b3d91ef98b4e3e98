"""The Render panel of the SMPL-X sidebar: materials, lighting preset, render preset and shot rendering.

The panel only draws: its settings live on the scene (``scene.smplx_fusion_render``, :mod:`.props`) and its
buttons call the operators of :mod:`.ops` with them.
"""
from __future__ import annotations

import bpy

from ..common.ui import MAIN_PANEL_ID, SidebarPanel
from . import ops

__all__ = ["SMPLX_FUSION_PT_render", "CLASSES"]


class SMPLX_FUSION_PT_render(SidebarPanel, bpy.types.Panel):
    bl_label = "Render"
    bl_idname = "SMPLX_FUSION_PT_render"
    bl_parent_id = MAIN_PANEL_ID
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        props = context.scene.smplx_fusion_render
        has_avatar = ops.selected_avatar_mesh(context) is not None

        box = layout.box()
        box.label(text="Materials", icon="MATERIAL")
        box.prop(props, "skin_texture")
        row = box.row()
        row.enabled = has_avatar
        row.operator(ops.SMPLX_FUSION_OT_apply_materials.bl_idname, icon="SHADING_RENDERED"
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
        op = row.operator(ops.SMPLX_FUSION_OT_apply_lighting.bl_idname, icon="LIGHT_AREA")
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
        op = box.operator(ops.SMPLX_FUSION_OT_apply_render_preset.bl_idname, icon="PRESET")
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
        op = box.operator(ops.SMPLX_FUSION_OT_render.bl_idname, icon="RENDER_ANIMATION")
        op.frames_mode, op.frames, op.output_dir, op.name = props.frames_mode, props.frames, props.output_dir, \
            props.name
        op.preset, op.device, op.samples, op.percentage = props.preset, props.device, props.samples, \
            props.percentage
        op.overlay, op.overwrite = props.overlay, props.overwrite


CLASSES = (SMPLX_FUSION_PT_render,)
