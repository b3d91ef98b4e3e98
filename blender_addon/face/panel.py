"""The Face panel of the SMPL-X sidebar: where the avatar's expression came from, its intensity per take, and the
ARKit export.

* **Expression source**: the face expert's file and the expression route the fusion took (:mod:`.expression_source`).
* **Intensity** (:mod:`.props`, ``Object.smplx_fusion_expression_scale`` on the armature): rescales the baked
  expression curves in place (:mod:`.expression_scale`).
* **ARKit** (``smplx_fusion.export_arkit``, :mod:`.ops`): the 52 ARKit curves as CSV and JSON, and optionally as
  shape keys on the avatar (:mod:`.arkit_keys`).

It only draws.
"""
from __future__ import annotations

import bpy

from ..common.avatar import avatar_meshes, avatar_of
from ..common.ui import MAIN_PANEL_ID, SidebarPanel
from .arkit_keys import ARKIT_SCALE_PROPERTY
from .expression_source import expression_source_lines
from .ops import SMPLX_FUSION_OT_export_arkit
from .props import SCALE_PROP

__all__ = ["SMPLX_FUSION_PT_face", "CLASSES"]


class SMPLX_FUSION_PT_face(SidebarPanel, bpy.types.Panel):
    bl_label = "Face"
    bl_idname = "SMPLX_FUSION_PT_face"
    bl_parent_id = MAIN_PANEL_ID

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return avatar_of(context.active_object) is not None

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        arm = avatar_of(context.active_object)
        box = layout.box()
        for line in expression_source_lines(arm):
            box.label(text=line)
        n_exp = sum(1 for mesh in avatar_meshes(arm) for kb in mesh.data.shape_keys.key_blocks
                    if kb.name.startswith("Exp"))
        box.label(text=f"{n_exp} expression keys")
        layout.prop(arm, SCALE_PROP, slider=True)
        if ARKIT_SCALE_PROPERTY in arm and arm[ARKIT_SCALE_PROPERTY] != getattr(arm, SCALE_PROP):
            layout.label(text="ARKit curves were made at another intensity", icon="ERROR")
        layout.operator(SMPLX_FUSION_OT_export_arkit.bl_idname, icon="EXPORT")


CLASSES = (SMPLX_FUSION_PT_face,)
