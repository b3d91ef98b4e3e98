"""The SMPL-X sidebar panel in the 3D viewport."""
from __future__ import annotations

import json

import bpy


def _avatar_root(obj: bpy.types.Object | None) -> bpy.types.Object | None:
    while obj is not None and "smplx_fusion_source" not in obj:
        obj = obj.parent
    if obj is not None and obj.type != "ARMATURE" and obj.parent is not None:
        obj = obj.parent
    return obj


class SMPLX_FUSION_PT_main(bpy.types.Panel):
    bl_label = "SMPL-X Fusion"
    bl_idname = "SMPLX_FUSION_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SMPL-X"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.operator("smplx_fusion.import_fused", icon="IMPORT")
        layout.operator("smplx_fusion.fuse", icon="AUTOMERGE_ON")
        arm = _avatar_root(context.active_object)
        if arm is None:
            layout.label(text="Select an imported avatar for details")
            return
        box = layout.box()
        box.label(text=arm.name, icon="ARMATURE_DATA")
        box.label(text=f"{arm.get('smplx_fusion_frames', '?')} frames at {arm.get('smplx_fusion_fps', '?')} fps")
        box.label(text=f"Source: {bpy.path.basename(arm.get('smplx_fusion_source', ''))}")
        box.label(text=f"Model: {bpy.path.basename(arm.get('smplx_fusion_model', ''))}")
        for warning in json.loads(arm.get("smplx_fusion_warnings", "[]")):
            box.label(text=warning, icon="ERROR")


CLASSES = (SMPLX_FUSION_PT_main,)
