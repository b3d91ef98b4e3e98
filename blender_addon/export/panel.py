"""The Export panel of the SMPL-X sidebar: FBX (Unity / Unreal presets), glTF, AMASS npz, USD and BVH of the
selected avatar (or of every avatar, one file each, when there are several), and a Meshcapade .mcs scene of every
avatar. It only draws; the work is in :mod:`.ops` and the modules it calls."""
from __future__ import annotations

import bpy

from ..common.avatar import find_avatar, scene_avatars
from ..common.ui import MAIN_PANEL_ID, SidebarPanel
from ..core.errors import FusionError
from .ops import (
    SMPLX_FUSION_OT_export_amass,
    SMPLX_FUSION_OT_export_bvh,
    SMPLX_FUSION_OT_export_fbx,
    SMPLX_FUSION_OT_export_gltf,
    SMPLX_FUSION_OT_export_mcs,
    SMPLX_FUSION_OT_export_usd,
)

__all__ = ["SMPLX_FUSION_PT_export", "CLASSES"]


class SMPLX_FUSION_PT_export(SidebarPanel, bpy.types.Panel):
    bl_label = "Export"
    bl_idname = "SMPLX_FUSION_PT_export"
    bl_parent_id = MAIN_PANEL_ID
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        self._draw_every_avatar(context)
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
        row = layout.row(align=True)
        row.operator(SMPLX_FUSION_OT_export_usd.bl_idname, text="USD")
        row.operator(SMPLX_FUSION_OT_export_bvh.bl_idname, text="BVH (skeleton)")
        layout.operator(SMPLX_FUSION_OT_export_mcs.bl_idname, text="Meshcapade scene (.mcs)", icon="EXPORT")

    def _draw_every_avatar(self, context: bpy.types.Context) -> None:
        """With several avatars (the people of a clip): the per-avatar exports for all of them, one file each."""
        count = len(scene_avatars(context.scene))
        if count < 2:
            return
        box = self.layout.box()
        box.label(text=f"Every avatar ({count}), one file each", icon="COMMUNITY")
        row = box.row(align=True)
        for op, text in ((SMPLX_FUSION_OT_export_fbx, "FBX"), (SMPLX_FUSION_OT_export_gltf, "glTF"),
                         (SMPLX_FUSION_OT_export_usd, "USD"), (SMPLX_FUSION_OT_export_bvh, "BVH"),
                         (SMPLX_FUSION_OT_export_amass, "AMASS")):
            row.operator(op.bl_idname, text=text).scope = "ALL"


CLASSES = (SMPLX_FUSION_PT_export,)
