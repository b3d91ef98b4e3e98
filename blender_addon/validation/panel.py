"""The Validation panel: validate the imported take, see flagged frames (markers, a list, mesh colours), fix them.

The panel only draws: its settings live on the scene (:mod:`.props`) and its buttons call the operators of
:mod:`.ops`.
"""
from __future__ import annotations

import json

import bpy

from ..common.ui import SidebarPanel
from .fixes import FIX_ITEMS
from .ops import (
    SMPLX_FUSION_OT_validate,
    SMPLX_FUSION_OT_validation_clear,
    SMPLX_FUSION_OT_validation_fix,
    SMPLX_FUSION_OT_validation_jump,
)
from .props import THRESHOLD_DEFAULTS

__all__ = ["SMPLX_FUSION_UL_validation_rows", "SMPLX_FUSION_PT_validation", "CLASSES"]


class SMPLX_FUSION_UL_validation_rows(bpy.types.UIList):
    """Flagged frames, worst first, each with a jump button."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):  # noqa: D102
        row = layout.row(align=True)
        op = row.operator(SMPLX_FUSION_OT_validation_jump.bl_idname, text=str(item.frame), icon="TIME", emboss=False)
        op.frame = item.frame
        row.label(text=item.check)
        row.label(text=f"{item.score:.3g} {item.unit}")
        if item.culprits:
            row.label(text=item.culprits)


class SMPLX_FUSION_PT_validation(SidebarPanel, bpy.types.Panel):
    bl_label = "Validation"
    bl_idname = "SMPLX_FUSION_PT_validation"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.smplx_fusion_validation
        layout.operator(SMPLX_FUSION_OT_validate.bl_idname, icon="CHECKMARK")
        layout.prop(settings, "evidence_path")
        box = layout.box()
        box.prop(settings, "show_thresholds", icon="TRIA_DOWN" if settings.show_thresholds else "TRIA_RIGHT",
                 emboss=False)
        if settings.show_thresholds:
            for name in THRESHOLD_DEFAULTS.as_dict():
                box.prop(settings, name)
        if settings.summary:
            layout.label(text=f"{settings.armature}: {settings.summary}", icon="INFO")
            counts = json.loads(settings.check_counts or "{}")
            col = layout.column(align=True)
            for name, (status, flagged) in counts.items():
                col.label(text=f"{name}: {flagged if status == 'ok' else status}",
                          icon="ERROR" if flagged else "CHECKMARK")
            layout.template_list("SMPLX_FUSION_UL_validation_rows", "", settings, "rows", settings, "row_index",
                                 rows=6)
        fix_box = layout.box()
        fix_box.label(text="Fix frames")
        row = fix_box.row(align=True)
        row.prop(settings, "frame_start")
        row.prop(settings, "frame_end")
        fix_box.prop(settings, "only_flagged")
        fix_box.prop(settings, "soft_limit_deg")
        grid = fix_box.grid_flow(columns=2, align=True)
        for ident, label, _, _ in FIX_ITEMS:
            grid.operator(SMPLX_FUSION_OT_validation_fix.bl_idname, text=label).fix = ident
        if settings.last_fix:
            fix_box.label(text=settings.last_fix)
        layout.operator(SMPLX_FUSION_OT_validation_clear.bl_idname, icon="X")


CLASSES = (SMPLX_FUSION_UL_validation_rows, SMPLX_FUSION_PT_validation)
