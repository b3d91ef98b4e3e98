"""The Camera panel's operators: ``smplx_fusion.camera_refit`` and ``smplx_fusion.camera_set_plate``.

Both are ``{'REGISTER', 'UNDO'}`` and atomic (:class:`..common.ui.AtomicOperator`): on failure the scene is exactly
as before.
"""
from __future__ import annotations

from typing import Optional

import bpy

from ..common.avatar import active_avatar, avatar_of, camera_of
from ..common.progress import WindowProgress
from ..common.ui import AtomicOperator
from ..core.errors import FusionError
from ..preferences import get_preferences
from . import background, refit

__all__ = ["SMPLX_FUSION_OT_camera_refit", "SMPLX_FUSION_OT_camera_set_plate", "CLASSES"]


class SMPLX_FUSION_OT_camera_refit(AtomicOperator, bpy.types.Operator):
    """Fit one camera (focal, per-frame translations) to the avatar's estimator evidence and update the scene"""

    bl_idname = "smplx_fusion.camera_refit"
    bl_label = "Re-fit Camera"
    bl_options = {"REGISTER", "UNDO"}

    mode: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Run", default="AUTO", options={"HIDDEN"},
        items=(("AUTO", "Auto", "In Blender with torch when it imports here; else with 'Python with torch' in a "
                                "subprocess when set; else in Blender on scipy (focal and translations)"),
               ("IN_PROCESS", "In Blender", "Run the fit in this process: torch when it imports, else scipy (focal "
                                            "and translations; no pose refinement)"),
               ("SUBPROCESS", "Subprocess", "Run python -m core fit-camera with the configured interpreter")))

    atomic_label = "camera re-fit"

    @classmethod
    def description(cls, context: bpy.types.Context, properties: bpy.types.OperatorProperties) -> str:
        """The tooltip: what the button does, and where the fit runs with the current settings (what pose
        refinement would need), before it is pressed."""
        return f"{cls.__doc__}. {refit.route_description(properties.mode, get_preferences(context))}"

    def unexpected_message(self, exc: Exception) -> str:
        return f"camera re-fit failed unexpectedly ({type(exc).__name__}: {exc})"

    def begin_edits(self, context: bpy.types.Context) -> refit.RefitEdits:
        self._edits = refit.RefitEdits()
        return self._edits

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        arm = active_avatar(context)
        cam = camera_of(arm)
        if cam is None:
            raise FusionError(f"the avatar '{arm.name}' has no camera (import it again)")
        seq, out = refit.refit_camera(context, arm, cam, self.mode, get_preferences(context), self._edits)
        self.report({"INFO"}, f"One camera: focal {seq.camera_K_per_frame()[0, 0, 0]:.1f} px; fitted file {out}")
        return {"FINISHED"}


class SMPLX_FUSION_OT_camera_set_plate(AtomicOperator, bpy.types.Operator):
    """Use the footage as the camera's background and as the render's composited plate"""

    bl_idname = "smplx_fusion.camera_set_plate"
    bl_label = "Set Background Plate"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Footage", subtype="FILE_PATH", default="",
        description="Frames folder, image or video; empty uses the panel's footage")
    composite: bpy.props.BoolProperty(name="Composite renders over it", default=True)  # type: ignore[valid-type]

    atomic_label = "background plate"

    def unexpected_message(self, exc: Exception) -> str:
        return f"setting the plate failed unexpectedly ({type(exc).__name__}: {exc})"

    def begin_edits(self, context: bpy.types.Context) -> Optional[background.PlateEdits]:
        arm = avatar_of(context.active_object)
        cam = camera_of(arm) if arm is not None else None
        return background.PlateEdits(context.scene, cam) if cam is not None else None

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        arm = active_avatar(context)
        cam = camera_of(arm)
        path = self.filepath or arm.smplx_fusion_camera.footage
        if cam is None or not path:
            raise FusionError("the avatar needs a camera, and a footage path (panel or operator)")
        footage = background.set_background_plate(context.scene, arm, cam, path, self.composite)
        self.report({"INFO"}, f"Plate: {footage.kind}, {footage.frame_count} frame(s)")
        return {"FINISHED"}


CLASSES = (SMPLX_FUSION_OT_camera_refit, SMPLX_FUSION_OT_camera_set_plate)
