"""The Validation panel: validate the imported take, see flagged frames (markers, a list, mesh colours), fix them.

Operators (``bpy.ops.smplx_fusion.*``, each undoable and atomic: on failure the scene is left as it was):

* ``validate()``: run every check on the take as displayed (see ``validation_ops``); markers ``VAL:<check>`` on
  flagged frames, the worst frames in the list, penetration depth as the ``validation_penetration`` colour
  attribute on the mesh.
* ``validation_jump(frame=...)``: go to a listed frame.
* ``validation_fix(fix=..., frame_start=..., frame_end=...)``: apply a fix to a frame range (by default only to
  the frames flagged by the matching check), write it back into the F-curves, validate again.
* ``validation_clear()``: remove the markers, the list and the colour attribute.

Thresholds and fix settings are scene properties (``scene.smplx_fusion_validation``), saved with the file.
"""
from __future__ import annotations

import json

import bpy
import numpy as np

from . import scene_snapshot, validation_ops
from .core.errors import FusionError
from .core.validate.result import Thresholds
from .importer import FIRST_FRAME
from .window_progress import WindowProgress

_DEFAULTS = Thresholds()


class SMPLX_FUSION_PG_validation_row(bpy.types.PropertyGroup):
    """One flagged (frame, check) in the worst-frames list."""

    frame: bpy.props.IntProperty(name="Frame")  # type: ignore[valid-type]
    check: bpy.props.StringProperty(name="Check")  # type: ignore[valid-type]
    score: bpy.props.FloatProperty(name="Score")  # type: ignore[valid-type]
    unit: bpy.props.StringProperty(name="Unit")  # type: ignore[valid-type]
    culprits: bpy.props.StringProperty(name="Where")  # type: ignore[valid-type]


class SMPLX_FUSION_PG_validation(bpy.types.PropertyGroup):
    """Thresholds, fix settings and the last validation's results (``scene.smplx_fusion_validation``)."""

    joint_limits_deg: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Joint limits (deg)", default=_DEFAULTS.joint_limits_deg, min=0.0,
        description="Degrees beyond a joint's range of motion that flag a frame")
    shape_sigma: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Shape (sigma)", default=_DEFAULTS.shape_sigma, min=0.0,
        description="Largest |beta| in standard deviations")
    symmetry_pct: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Symmetry (%)", default=_DEFAULTS.symmetry_pct, min=0.0,
        description="Left/right limb-length difference")
    penetration_m: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Penetration (m)", default=_DEFAULTS.penetration_m, min=0.0, precision=3,
        description="Depth of a body part inside another")
    seams_deg: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Seams (deg)", default=_DEFAULTS.seams_deg, min=0.0,
        description="Disagreement between the body estimate and an expert at the wrists or head")
    temporal_m: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Temporal (m)", default=_DEFAULTS.temporal_m, min=0.0, precision=3,
        description="Distance of a joint from what its neighbouring frames predict")
    reprojection_px: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Reprojection (px)", default=_DEFAULTS.reprojection_px, min=0.0,
        description="Mean distance of projected joints to the 2D evidence")
    evidence_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="2D evidence", subtype="FILE_PATH", default="",
        description="Optional npz with keypoints (T, J, 2|3), confidence (T, J) and joint_index (J,)")
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="From", default=0, description="First frame a fix applies to (0: the scene's start)")
    frame_end: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="To", default=0, description="Last frame a fix applies to (0: the scene's end)")
    only_flagged: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Only flagged frames", default=True,
        description="Apply a fix only to the frames its check flagged inside the range")
    soft_limit_deg: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Soft limit (deg)", default=4.0, min=0.0, description="Width of the soft knee of the joint clamp")
    max_markers: bpy.props.IntProperty(name="Max markers", default=2000, min=0)  # type: ignore[valid-type]
    max_rows: bpy.props.IntProperty(name="Max listed frames", default=50, min=1)  # type: ignore[valid-type]
    show_thresholds: bpy.props.BoolProperty(name="Thresholds", default=False)  # type: ignore[valid-type]
    rows: bpy.props.CollectionProperty(type=SMPLX_FUSION_PG_validation_row)  # type: ignore[valid-type]
    row_index: bpy.props.IntProperty(default=0)  # type: ignore[valid-type]
    summary: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    check_counts: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    armature: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    last_fix: bpy.props.StringProperty(default="")  # type: ignore[valid-type]


def _mesh_or_none(context: bpy.types.Context):
    try:
        return validation_ops.find_avatar(context)[1]
    except FusionError:
        return None


class SMPLX_FUSION_OT_validate(bpy.types.Operator):
    """Check the imported take as displayed: joint limits, shape, symmetry, penetration, seams, temporal
    outliers and reprojection; mark flagged frames"""

    bl_idname = "smplx_fusion.validate"
    bl_label = "Validate"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        snapshot = scene_snapshot.take_snapshot(context.scene)
        edits = validation_ops.SceneEdits(context.scene, _mesh_or_none(context))
        progress = WindowProgress(context, "validate")
        try:
            rb, result = validation_ops.validate_take(context, progress)
            shown = validation_ops.show_results(context, rb, result)
        except FusionError as exc:
            edits.restore()
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # a bug of ours: leave the scene as it was and say what happened
            edits.restore()
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, f"validation failed unexpectedly ({type(exc).__name__}: {exc})")
            return {"CANCELLED"}
        finally:
            progress.end()
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


class SMPLX_FUSION_OT_validation_fix(bpy.types.Operator):
    """Apply a fix to the selected frame range of the displayed take (undoable), then validate again"""

    bl_idname = "smplx_fusion.validation_fix"
    bl_label = "Apply Fix"
    bl_options = {"REGISTER", "UNDO"}

    fix: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Fix", items=[item[:3] for item in validation_ops.FIX_ITEMS], default="INTERPOLATE")
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="From", default=0, description="First Blender frame (0: the panel's range, else the scene's)")
    frame_end: bpy.props.IntProperty(name="To", default=0)  # type: ignore[valid-type]

    def _range(self, context: bpy.types.Context) -> tuple[int, int]:
        settings, scene = context.scene.smplx_fusion_validation, context.scene
        start = self.frame_start or settings.frame_start or scene.frame_start
        end = self.frame_end or settings.frame_end or scene.frame_end
        return min(start, end), max(start, end)

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = context.scene.smplx_fusion_validation
        start, end = self._range(context)
        rows = np.arange(start, end + 1) - FIRST_FRAME
        snapshot = scene_snapshot.take_snapshot(context.scene)
        edits = validation_ops.SceneEdits(context.scene, _mesh_or_none(context))
        progress = WindowProgress(context, "fix")
        try:
            report = validation_ops.run_fix(context, self.fix, rows, settings.only_flagged, settings.soft_limit_deg,
                                            progress)
            rb, result = validation_ops.validate_take(context)
            validation_ops.show_results(context, rb, result)
        except FusionError as exc:
            edits.restore()
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:
            edits.restore()
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, f"the fix failed unexpectedly and was undone ({type(exc).__name__}: {exc})")
            return {"CANCELLED"}
        finally:
            progress.end()
        settings.last_fix = report.summary()
        self.report({"INFO"}, report.summary())
        return {"FINISHED"}


class SMPLX_FUSION_OT_validation_clear(bpy.types.Operator):
    """Remove the validation markers, the list and the penetration colours"""

    bl_idname = "smplx_fusion.validation_clear"
    bl_label = "Clear Validation"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        removed = validation_ops.clear_markers(context.scene)
        settings = context.scene.smplx_fusion_validation
        settings.rows.clear()
        settings.summary = settings.check_counts = settings.last_fix = ""
        mesh = _mesh_or_none(context)
        if mesh is not None:
            attr = mesh.data.color_attributes.get(validation_ops.COLOR_ATTRIBUTE)
            if attr is not None:
                mesh.data.color_attributes.remove(attr)
        self.report({"INFO"}, f"removed {removed} markers")
        return {"FINISHED"}


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


class SMPLX_FUSION_PT_validation(bpy.types.Panel):
    bl_label = "Validation"
    bl_idname = "SMPLX_FUSION_PT_validation"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SMPL-X"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.smplx_fusion_validation
        layout.operator(SMPLX_FUSION_OT_validate.bl_idname, icon="CHECKMARK")
        layout.prop(settings, "evidence_path")
        box = layout.box()
        box.prop(settings, "show_thresholds", icon="TRIA_DOWN" if settings.show_thresholds else "TRIA_RIGHT",
                 emboss=False)
        if settings.show_thresholds:
            for name in _DEFAULTS.as_dict():
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
        for ident, label, _, _ in validation_ops.FIX_ITEMS:
            grid.operator(SMPLX_FUSION_OT_validation_fix.bl_idname, text=label).fix = ident
        if settings.last_fix:
            fix_box.label(text=settings.last_fix)
        layout.operator(SMPLX_FUSION_OT_validation_clear.bl_idname, icon="X")


CLASSES = (SMPLX_FUSION_PG_validation_row, SMPLX_FUSION_PG_validation, SMPLX_FUSION_OT_validate,
           SMPLX_FUSION_OT_validation_jump, SMPLX_FUSION_OT_validation_fix, SMPLX_FUSION_OT_validation_clear,
           SMPLX_FUSION_UL_validation_rows, SMPLX_FUSION_PT_validation)


def register_extra() -> None:
    bpy.types.Scene.smplx_fusion_validation = bpy.props.PointerProperty(type=SMPLX_FUSION_PG_validation)


def unregister_extra() -> None:
    if hasattr(bpy.types.Scene, "smplx_fusion_validation"):
        del bpy.types.Scene.smplx_fusion_validation
