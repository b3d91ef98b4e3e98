"""The Validation operators (``bpy.ops.smplx_fusion.*``), each undoable; those that change the scene are atomic
(``common.ui.AtomicOperator``: on failure the scene is left as it was):

* ``validate()``: run every check on the take as displayed (:mod:`.scene_results`); markers ``VAL:<check>`` on
  flagged frames, the worst frames in the list, penetration depth as the ``validation_penetration`` colour
  attribute on the mesh.
* ``validation_jump(frame=...)``: go to a listed frame.
* ``validation_fix(fix=..., frame_start=..., frame_end=...)``: apply a fix to a frame range (by default only to
  the frames flagged by the matching check), write it back into the F-curves, validate again (:mod:`.fixes`).
* ``validation_clear()``: remove the markers, the list and the colour attribute.

Thresholds and fix settings are scene properties (``scene.smplx_fusion_validation``, :mod:`.props`).
"""
from __future__ import annotations

from typing import Optional

import bpy
import numpy as np

from ..common.animation import FIRST_FRAME
from ..common.avatar import avatar_or_none
from ..common.progress import WindowProgress
from ..common.ui import AtomicOperator
from .fixes import FIX_ITEMS, run_fix
from .scene_results import SceneEdits, clear_results, show_results, validate_take

__all__ = ["SMPLX_FUSION_OT_validate", "SMPLX_FUSION_OT_validation_jump", "SMPLX_FUSION_OT_validation_fix",
           "SMPLX_FUSION_OT_validation_clear", "CLASSES"]


def _shown_mesh(context: bpy.types.Context) -> Optional[bpy.types.Object]:
    """The body mesh the results are painted on, or None when there is no avatar to validate."""
    found = avatar_or_none(context)
    return None if found is None else found[1]


class _ResultsOperator(AtomicOperator):
    """An atomic operator that may change the validation's markers and the mesh's colour attribute."""

    def begin_edits(self, context: bpy.types.Context) -> SceneEdits:
        return SceneEdits(context.scene, _shown_mesh(context))


class SMPLX_FUSION_OT_validate(_ResultsOperator, bpy.types.Operator):
    """Check the imported take as displayed: joint limits, shape, symmetry, penetration, seams, temporal
    outliers and reprojection; mark flagged frames"""

    bl_idname = "smplx_fusion.validate"
    bl_label = "Validate"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "validation"

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        rb, result = validate_take(context, progress)
        shown = show_results(context, rb, result)
        self.report({"INFO"}, f"{shown['flagged_frames']} of {result.num_frames} frames flagged, "
                              f"{shown['markers']} markers")
        return {"FINISHED"}


class SMPLX_FUSION_OT_validation_jump(bpy.types.Operator):
    """Go to this frame"""

    bl_idname = "smplx_fusion.validation_jump"
    bl_label = "Jump to Frame"
    bl_options = {"REGISTER", "UNDO"}

    frame: bpy.props.IntProperty(name="Frame")  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        context.scene.frame_set(self.frame)
        settings = context.scene.smplx_fusion_validation
        for i, row in enumerate(settings.rows):
            if row.frame == self.frame:
                settings.row_index = i
                break
        return {"FINISHED"}


class SMPLX_FUSION_OT_validation_fix(_ResultsOperator, bpy.types.Operator):
    """Apply a fix to the selected frame range of the displayed take (undoable), then validate again"""

    bl_idname = "smplx_fusion.validation_fix"
    bl_label = "Apply Fix"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "the fix"

    fix: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Fix", items=[item[:3] for item in FIX_ITEMS], default="INTERPOLATE")
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="From", default=0, description="First Blender frame (0: the panel's range, else the scene's)")
    frame_end: bpy.props.IntProperty(name="To", default=0)  # type: ignore[valid-type]

    def _range(self, context: bpy.types.Context) -> tuple[int, int]:
        settings, scene = context.scene.smplx_fusion_validation, context.scene
        start = self.frame_start or settings.frame_start or scene.frame_start
        end = self.frame_end or settings.frame_end or scene.frame_end
        return min(start, end), max(start, end)

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        settings = context.scene.smplx_fusion_validation
        start, end = self._range(context)
        rows = np.arange(start, end + 1) - FIRST_FRAME
        report = run_fix(context, self.fix, rows, settings.only_flagged, settings.soft_limit_deg, progress)
        rb, result = validate_take(context)
        show_results(context, rb, result)
        settings.last_fix = report.summary()
        self.report({"INFO"}, report.summary())
        return {"FINISHED"}


class SMPLX_FUSION_OT_validation_clear(_ResultsOperator, bpy.types.Operator):
    """Remove the validation markers, the list and the penetration colours"""

    bl_idname = "smplx_fusion.validation_clear"
    bl_label = "Clear Validation"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "clearing the validation"

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        removed = clear_results(context.scene, _shown_mesh(context))
        self.report({"INFO"}, f"removed {removed} markers")
        return {"FINISHED"}


CLASSES = (SMPLX_FUSION_OT_validate, SMPLX_FUSION_OT_validation_jump, SMPLX_FUSION_OT_validation_fix,
           SMPLX_FUSION_OT_validation_clear)
