"""The Export panel of the SMPL-X sidebar: FBX (Unity / Unreal presets), glTF and AMASS npz of the selected
avatar. It only draws; the work is in :mod:`.ops` and the modules it calls."""
from __future__ import annotations

import bpy

from ..common.avatar import find_avatar
from ..common.ui import MAIN_PANEL_ID, SidebarPanel
from ..core.errors import FusionError
from .ops import SMPLX_FUSION_OT_export_amass, SMPLX_FUSION_OT_export_fbx, SMPLX_FUSION_OT_export_gltf

__all__ = ["SMPLX_FUSION_PT_export", "CLASSES"]


class SMPLX_FUSION_PT_export(SidebarPanel, bpy.types.Panel):
    bl_label = "Export"
    bl_idname = "SMPLX_FUSION_PT_export"
    bl_parent_id = MAIN_PANEL_ID
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        try:
            arm, _ = find_avatar(context, "to export")
        except FusionError as exc:
            layout.label(text=exc.problem, icon="INFO")
            return
        layout.label(text=f"{arm.name}: {arm.get('smplx_fusion_frames', '?')} frames", icon="ARMATURE_DATA")
        row = layout.row(align=True)
        row.operator(SMPLX_FUSION_OT_export_fbx.bl_idname, text="FBX (Unity)").preset = "UNITY"
        row.operator(SMPLX_FUSION_OT_export_fbx.bl_idname, text="FBX (Unreal)").preset = "UNREAL"
        layout.operator(SMPLX_FUSION_OT_export_gltf.bl_idname, text="glTF / GLB", icon="EXPORT")
        layout.operator(SMPLX_FUSION_OT_export_amass.bl_idname, text="AMASS npz (with edits)", icon="EXPORT")


CLASSES = (SMPLX_FUSION_PT_export,)
