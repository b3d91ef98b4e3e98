"""The Camera panel of the SMPL-X sidebar: focal override, scale, depth offset, re-fit, lock to footage, the
background plate, and the reprojection error per frame (a value and a small plot).

It only draws; the settings are in :mod:`.props`, the operators in :mod:`.ops`, the work in :mod:`.refit`,
:mod:`.adjust`, :mod:`.background` and :mod:`.readout`.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..common.animation import FIRST_FRAME
from ..common.avatar import avatar_of, camera_of
from ..common.ui import MAIN_PANEL_ID, SidebarPanel
from .ops import SMPLX_FUSION_OT_camera_refit, SMPLX_FUSION_OT_camera_set_plate
from .readout import focal_px, reprojection_values, sparkline

__all__ = ["SMPLX_FUSION_PT_camera", "CLASSES"]


class SMPLX_FUSION_PT_camera(SidebarPanel, bpy.types.Panel):
    bl_label = "Camera"
    bl_idname = "SMPLX_FUSION_PT_camera"
    bl_parent_id = MAIN_PANEL_ID

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        arm = avatar_of(context.active_object)
        if arm is None:
            layout.label(text="Select an imported avatar")
            return
        cam = camera_of(arm)
        props = arm.smplx_fusion_camera
        if cam is not None:
            keyed = cam.data.animation_data is not None and cam.data.animation_data.action is not None
            layout.label(text=f"{cam.name}: {cam.data.lens:.1f} mm ({focal_px(cam, context.scene):.0f} px)"
                              + (", keyed per frame" if keyed else ""), icon="CAMERA_DATA")
        col = layout.column(align=True)
        col.prop(props, "focal_override_px")
        col.prop(props, "footage")
        row = layout.row(align=True)
        row.operator(SMPLX_FUSION_OT_camera_refit.bl_idname, icon="FILE_REFRESH")
        row.operator(SMPLX_FUSION_OT_camera_set_plate.bl_idname, icon="IMAGE_BACKGROUND")
        col = layout.column(align=True)
        col.prop(props, "scale")
        col.prop(props, "depth_offset")
        col.prop(props, "lock_to_footage")
        values = reprojection_values(cam) if cam is not None else None
        box = layout.box()
        if values is None:
            box.label(text="No reprojection error yet (Re-fit)", icon="INFO")
            return
        index = int(np.clip(context.scene.frame_current - FIRST_FRAME, 0, values.shape[0] - 1))
        current = values[index]
        box.label(text=f"Reprojection, frame {context.scene.frame_current}: "
                       + ("n/a" if not np.isfinite(current) else f"{current:.2f} px"))
        finite = values[np.isfinite(values)]
        if finite.size:
            box.label(text=f"mean {finite.mean():.2f} px, 95% {np.percentile(finite, 95):.2f} px, "
                           f"max {finite.max():.2f} px")
        bars, first, top = sparkline(values, index)
        box.label(text=bars)
        box.label(text=f"frames {first + FIRST_FRAME}-{first + FIRST_FRAME + len(bars) - 1}, top {top:.1f} px")


CLASSES = (SMPLX_FUSION_PT_camera,)
