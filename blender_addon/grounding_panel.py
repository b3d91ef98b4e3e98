"""The Grounding section of the Validation panel: detect foot contacts, show them, lock the feet on a frame range.

Operators (``bpy.ops.smplx_fusion.*``, each undoable and atomic: on failure the scene is left exactly as it was):

* ``ground_detect()``: find the ground and the contacts in the range; markers ``GND:L`` / ``GND:R`` at each
  contact's start, per-frame contact channels on the armature, the ground plane object (``grounding_ops``);
* ``ground_lock()``: lock the feet in their contacts inside the range and write the changed frames back; the
  report gives the contacts found and the mean / max foot and root correction;
* ``ground_clear()``: remove the ``GND:`` markers.

Settings are scene properties (``scene.smplx_fusion_grounding``), saved with the file.
"""
from __future__ import annotations


import bpy

from . import grounding_ops, scene_snapshot, validation_ops
from .window_progress import WindowProgress
from .core.errors import FusionError
from .core.grounding import LockParams

_MODES = (("AUTO", "Auto", "Detected contacts (hysteresis, duration rules); a take with no ground is left alone"),
          ("ALWAYS", "Always", "Every low, slow foot frame is a contact; without one, the feet's usual lowest "
                               "level is the ground"))
_CONTACTS = (("DETECT", "Detect", "Detect the contacts afresh"),
             ("MARKED", "Marked", "Lock the contacts of the per-frame contact channels as they are (edited by "
                                  "hand, say)"))


class SMPLX_FUSION_PG_grounding(bpy.types.PropertyGroup):
    """Grounding settings and the last run's summary (``scene.smplx_fusion_grounding``)."""

    mode: bpy.props.EnumProperty(name="Mode", items=_MODES, default="AUTO")  # type: ignore[valid-type]
    contacts: bpy.props.EnumProperty(name="Contacts", items=_CONTACTS, default="DETECT")  # type: ignore[valid-type]
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="From", default=0, description="First frame (0: the scene's start)")
    frame_end: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="To", default=0, description="Last frame (0: the scene's end)")
    use_ground_object: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Use ground object", default=True,
        description="Take the ground from the avatar's ground plane object (moved by hand, say) when it has one; "
                    "off: the file's ground plane, else a new fit")
    blend_frames: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Blend frames", default=LockParams().blend_frames, min=0, max=30,
        description="Frames over which a lock eases in before a contact and out after it")
    summary: bpy.props.StringProperty(default="")  # type: ignore[valid-type]


def _options(context: bpy.types.Context) -> grounding_ops.GroundingOptions:
    s = context.scene.smplx_fusion_grounding
    return grounding_ops.GroundingOptions(mode=s.mode.lower(), frame_start=s.frame_start, frame_end=s.frame_end,
                                          use_ground_object=s.use_ground_object,
                                          marked_contacts=s.contacts == "MARKED", blend_frames=s.blend_frames)


def _avatar_or_none(context: bpy.types.Context):
    try:
        return validation_ops.find_avatar(context)[0]
    except FusionError:
        return None


class _GroundingOperator:
    """Shared execute: run ``_run`` atomically (snapshot of data-blocks + :class:`grounding_ops.GroundEdits`)."""

    _label = ""

    def _run(self, context, options, edits, progress) -> grounding_ops.GroundingReport:  # pragma: no cover
        raise NotImplementedError

    def execute(self, context: bpy.types.Context) -> set[str]:
        snapshot = scene_snapshot.take_snapshot(context.scene)
        edits = grounding_ops.GroundEdits(context.scene, _avatar_or_none(context))
        progress = WindowProgress(context, self._label)
        try:
            report = self._run(context, _options(context), edits, progress)
        except FusionError as exc:
            edits.restore()
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # a bug of ours: leave the scene as it was and say what happened
            edits.restore()
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, f"{self._label} failed and was undone ({type(exc).__name__}: {exc})")
            return {"CANCELLED"}
        finally:
            progress.end()
        context.scene.smplx_fusion_grounding.summary = report.summary()
        for line in report.lines:
            self.report({"INFO"} if report.plane is not None else {"WARNING"}, line)
        return {"FINISHED"}


class SMPLX_FUSION_OT_ground_detect(_GroundingOperator, bpy.types.Operator):
    """Find the ground and the feet's contacts in the frame range: timeline markers at each contact, per-frame
    contact channels on the armature, a ground plane object (shadow catcher)"""

    bl_idname = "smplx_fusion.ground_detect"
    bl_label = "Detect Contacts"
    bl_options = {"REGISTER", "UNDO"}
    _label = "detect contacts"

    def _run(self, context, options, edits, progress) -> grounding_ops.GroundingReport:
        return grounding_ops.detect(context, options, edits, progress)


class SMPLX_FUSION_OT_ground_lock(_GroundingOperator, bpy.types.Operator):
    """Lock the feet in their ground contacts in the frame range (legs by IK, the root along the floor's normal)
    and lift feet out of the floor; only frames in the range change"""

    bl_idname = "smplx_fusion.ground_lock"
    bl_label = "Lock Feet"
    bl_options = {"REGISTER", "UNDO"}
    _label = "lock feet"

    def _run(self, context, options, edits, progress) -> grounding_ops.GroundingReport:
        return grounding_ops.lock(context, options, edits, progress)


class SMPLX_FUSION_OT_ground_clear(bpy.types.Operator):
    """Remove the ground-contact markers (GND:L, GND:R)"""

    bl_idname = "smplx_fusion.ground_clear"
    bl_label = "Clear Contact Markers"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        removed = grounding_ops.clear(context)
        context.scene.smplx_fusion_grounding.summary = ""
        self.report({"INFO"}, f"removed {removed} markers")
        return {"FINISHED"}


class SMPLX_FUSION_PT_grounding(bpy.types.Panel):
    bl_label = "Grounding"
    bl_idname = "SMPLX_FUSION_PT_grounding"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SMPL-X"
    bl_parent_id = "SMPLX_FUSION_PT_validation"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.smplx_fusion_grounding
        layout.prop(settings, "mode")
        row = layout.row(align=True)
        row.prop(settings, "frame_start")
        row.prop(settings, "frame_end")
        layout.prop(settings, "use_ground_object")
        layout.operator(SMPLX_FUSION_OT_ground_detect.bl_idname, icon="MARKER_HLT")
        box = layout.box()
        box.prop(settings, "contacts")
        box.prop(settings, "blend_frames")
        box.operator(SMPLX_FUSION_OT_ground_lock.bl_idname, icon="PINNED")
        if settings.summary:
            col = layout.column(align=True)
            for line in settings.summary.split(" | "):
                col.label(text=line)
        layout.operator(SMPLX_FUSION_OT_ground_clear.bl_idname, icon="X")


CLASSES = (SMPLX_FUSION_PG_grounding, SMPLX_FUSION_OT_ground_detect, SMPLX_FUSION_OT_ground_lock,
           SMPLX_FUSION_OT_ground_clear, SMPLX_FUSION_PT_grounding)


def register_extra() -> None:
    bpy.types.Scene.smplx_fusion_grounding = bpy.props.PointerProperty(type=SMPLX_FUSION_PG_grounding)


def unregister_extra() -> None:
    if hasattr(bpy.types.Scene, "smplx_fusion_grounding"):
        del bpy.types.Scene.smplx_fusion_grounding
