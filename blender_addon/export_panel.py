"""The Export panel of the SMPL-X sidebar: FBX (Unity / Unreal presets), glTF and AMASS npz of the selected
avatar. It only draws; the work is in ``export_ops`` and the modules it calls."""
from __future__ import annotations

import bpy

from . import export_ops, export_scope
from .core.errors import FusionError


class SMPLX_FUSION_PT_export(bpy.types.Panel):
    bl_label = "Export"
    bl_idname = "SMPLX_FUSION_PT_export"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SMPL-X"
    bl_parent_id = "SMPLX_FUSION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        try:
            arm, _ = export_scope.find_avatar(context)
        except FusionError as exc:
            layout.label(text=exc.problem, icon="INFO")
            return
        layout.label(text=f"{arm.name}: {arm.get('smplx_fusion_frames', '?')} frames", icon="ARMATURE_DATA")
        row = layout.row(align=True)
        row.operator(export_ops.SMPLX_FUSION_OT_export_fbx.bl_idname, text="FBX (Unity)").preset = "UNITY"
        row.operator(export_ops.SMPLX_FUSION_OT_export_fbx.bl_idname, text="FBX (Unreal)").preset = "UNREAL"
        layout.operator(export_ops.SMPLX_FUSION_OT_export_gltf.bl_idname, text="glTF / GLB", icon="EXPORT")
        layout.operator(export_ops.SMPLX_FUSION_OT_export_amass.bl_idname, text="AMASS npz (with edits)",
                        icon="EXPORT")


CLASSES = (*export_ops.CLASSES, SMPLX_FUSION_PT_export)
