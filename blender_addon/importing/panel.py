"""The SMPL-X sidebar's main panel: the import (one take or a clip of several people) and fuse buttons and the
active avatar's summary; every other feature's panel is a child of it."""
from __future__ import annotations

import json

import bpy

from ..common.avatar import TRACK_PROPERTY, avatar_of
from ..common.ui import MAIN_PANEL_ID, SidebarPanel
from .ops import SMPLX_FUSION_OT_fuse, SMPLX_FUSION_OT_import_clip, SMPLX_FUSION_OT_import_fused

__all__ = ["SMPLX_FUSION_PT_main", "CLASSES"]


class SMPLX_FUSION_PT_main(SidebarPanel, bpy.types.Panel):
    bl_label = "SMPL-X Fusion"
    bl_idname = MAIN_PANEL_ID

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.operator(SMPLX_FUSION_OT_import_fused.bl_idname, icon="IMPORT")
        layout.operator(SMPLX_FUSION_OT_import_clip.bl_idname, text="Import Clip (several people)",
                        icon="COMMUNITY")
        layout.operator(SMPLX_FUSION_OT_fuse.bl_idname, icon="AUTOMERGE_ON")
        arm = avatar_of(context.active_object)
        if arm is None:
            layout.label(text="Select an imported avatar for details")
            return
        box = layout.box()
        box.label(text=arm.name + (f" (person {arm[TRACK_PROPERTY]})" if TRACK_PROPERTY in arm else ""),
                  icon="ARMATURE_DATA")
        box.label(text=f"{arm.get('smplx_fusion_frames', '?')} frames at {arm.get('smplx_fusion_fps', '?')} fps")
        box.label(text=f"Source: {bpy.path.basename(arm.get('smplx_fusion_source', ''))}")
        box.label(text=f"Model: {bpy.path.basename(arm.get('smplx_fusion_model', ''))}")
        for warning in json.loads(arm.get("smplx_fusion_warnings", "[]")):
            box.label(text=warning, icon="ERROR")


CLASSES = (SMPLX_FUSION_PT_main,)
