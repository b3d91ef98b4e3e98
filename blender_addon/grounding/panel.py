"""The Grounding section of the Validation panel: detect foot contacts, show them, lock the feet on a frame range.

The panel only draws: its settings live on the scene (:mod:`.props`) and its buttons call the operators of
:mod:`.ops`.
"""
from __future__ import annotations

import bpy

from ..common.ui import SidebarPanel
from .ops import SMPLX_FUSION_OT_ground_clear, SMPLX_FUSION_OT_ground_detect, SMPLX_FUSION_OT_ground_lock

__all__ = ["SMPLX_FUSION_PT_grounding", "CLASSES"]


class SMPLX_FUSION_PT_grounding(SidebarPanel, bpy.types.Panel):
    bl_label = "Grounding"
    bl_idname = "SMPLX_FUSION_PT_grounding"
    bl_parent_id = "SMPLX_FUSION_PT_validation"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.smplx_fusion_grounding
        layout.prop(settings, "mode")
        row = layout.row(align=True)
        row.prop(settings, "frame_start")
        row.prop(settings, "frame_end")
        layout.prop(settings, "use_ground_object")
        layout.operator(SMPLX_FUSION_OT_ground_detect.bl_idname, icon="MARKER_HLT")
        box = layout.box()
        box.prop(settings, "contacts")
        box.prop(settings, "blend_frames")
        box.operator(SMPLX_FUSION_OT_ground_lock.bl_idname, icon="PINNED")
        if settings.summary:
            col = layout.column(align=True)
            for line in settings.summary.split(" | "):
                col.label(text=line)
        layout.operator(SMPLX_FUSION_OT_ground_clear.bl_idname, icon="X")


CLASSES = (SMPLX_FUSION_PT_grounding,)
