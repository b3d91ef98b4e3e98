"""The Grounding operators (``bpy.ops.smplx_fusion.*``), each undoable and atomic (``common.ui.AtomicOperator``:
on failure the scene is left exactly as it was):

* ``ground_detect()``: find the ground and the contacts in the range; markers ``GND:L`` / ``GND:R`` at each
  contact's start, per-frame contact channels on the armature, the ground plane object (:mod:`.take_grounding`);
* ``ground_lock()``: lock the feet in their contacts inside the range and write the changed frames back; the
  report gives the contacts found and the mean / max foot and root correction;
* ``ground_clear()``: remove the ``GND:`` markers.

Settings are scene properties (``scene.smplx_fusion_grounding``, :mod:`.props`).
"""
from __future__ import annotations

import bpy

from ..common.avatar import avatar_or_none
from ..common.progress import WindowProgress
from ..common.ui import AtomicOperator
from .contacts_in_scene import clear_markers
from .edits import GroundEdits
from .take_grounding import GroundingOptions, GroundingReport, detect, lock

__all__ = ["SMPLX_FUSION_OT_ground_detect", "SMPLX_FUSION_OT_ground_lock", "SMPLX_FUSION_OT_ground_clear",
           "CLASSES"]


def _options(context: bpy.types.Context) -> GroundingOptions:
    s = context.scene.smplx_fusion_grounding
    return GroundingOptions(mode=s.mode.lower(), frame_start=s.frame_start, frame_end=s.frame_end,
                            use_ground_object=s.use_ground_object, marked_contacts=s.contacts == "MARKED",
                            blend_frames=s.blend_frames)


class _GroundingOperator(AtomicOperator):
    """Runs :meth:`_ground` atomically: a snapshot of the data-blocks plus :class:`.edits.GroundEdits`, which the
    run also writes its curve backups into."""

    def _ground(self, context: bpy.types.Context, options: GroundingOptions, edits: GroundEdits,
                progress: WindowProgress) -> GroundingReport:  # pragma: no cover
        raise NotImplementedError

    def begin_edits(self, context: bpy.types.Context) -> GroundEdits:
        found = avatar_or_none(context)
        self._edits = GroundEdits(context.scene, None if found is None else found[0])
        return self._edits

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        report = self._ground(context, _options(context), self._edits, progress)
        context.scene.smplx_fusion_grounding.summary = report.summary()
        for line in report.lines:
            self.report({"INFO"} if report.plane is not None else {"WARNING"}, line)  # type: ignore[attr-defined]
        return {"FINISHED"}


class SMPLX_FUSION_OT_ground_detect(_GroundingOperator, bpy.types.Operator):
    """Find the ground and the feet's contacts in the frame range: timeline markers at each contact, per-frame
    contact channels on the armature, a ground plane object (shadow catcher)"""

    bl_idname = "smplx_fusion.ground_detect"
    bl_label = "Detect Contacts"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "detect contacts"

    def _ground(self, context, options, edits, progress) -> GroundingReport:
        return detect(context, options, edits, progress)


class SMPLX_FUSION_OT_ground_lock(_GroundingOperator, bpy.types.Operator):
    """Lock the feet in their ground contacts in the frame range (legs by IK, the root along the floor's normal)
    and lift feet out of the floor; only frames in the range change"""

    bl_idname = "smplx_fusion.ground_lock"
    bl_label = "Lock Feet"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "lock feet"

    def _ground(self, context, options, edits, progress) -> GroundingReport:
        return lock(context, options, edits, progress)


class SMPLX_FUSION_OT_ground_clear(AtomicOperator, bpy.types.Operator):
    """Remove the ground-contact markers (GND:L, GND:R)"""

    bl_idname = "smplx_fusion.ground_clear"
    bl_label = "Clear Contact Markers"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "clearing the contact markers"

    def begin_edits(self, context: bpy.types.Context) -> GroundEdits:
        return GroundEdits(context.scene, None)

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        removed = clear_markers(context.scene)
        context.scene.smplx_fusion_grounding.summary = ""
        self.report({"INFO"}, f"removed {removed} markers")
        return {"FINISHED"}


CLASSES = (SMPLX_FUSION_OT_ground_detect, SMPLX_FUSION_OT_ground_lock, SMPLX_FUSION_OT_ground_clear)
