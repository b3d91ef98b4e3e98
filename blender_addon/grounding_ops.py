"""Grounding in Blender: find the take's ground and foot contacts, show them, lock the feet on a frame range.

The take is read back from the rig as displayed (``validation_ops.read_take``) and written back in bulk into the
existing F-curves (``validation_ops.write_take``, rows that changed only; never one key at a time). The grounding
math is the core's (``core.grounding``: ``estimate_ground``, ``lock_feet``), numpy only, in-process.

What the animator gets:

* timeline markers ``GND:L`` / ``GND:R`` at the first frame of each contact of the left / right foot inside the
  selected range (a contact already under way at the range's start is marked there). A run replaces the ``GND:``
  markers inside its range only; the user's markers and the validation's ``VAL:`` markers are never touched;
* a per-frame contact channel for each foot: the armature's custom properties ``smplx_fusion_contact_left`` /
  ``_right`` (0 or 1), keyed with constant interpolation in the armature's action (group "Ground contact"). They
  show the contacts as blocks in the Graph Editor and can drive other things; edited by hand, *Lock Feet* with
  contacts "Marked" uses them as they are;
* the ground plane object (``ground_object``), a shadow catcher lying on the ground; moved by hand, it is the
  ground the next run uses (unless "Use ground object" is off: then the file's ``ground_plane`` or a new fit).

Frames: the rig's frame ``FIRST_FRAME + i`` is row i of the take. The grounding works in the rig's own frame
(the take's camera frame, as the F-curves hold it): where the armature object was moved, ``read_take`` reports the
take as the camera sees it, and :func:`take_in_rig_frame` takes that move back out so the round trip through
``write_take`` is exact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import bpy
import numpy as np
from bpy_extras import anim_utils

from . import ground_object, validation_ops
from .core.errors import FusionError
from .core.fused_file import FusedSequence
from .core.grounding import GroundPlane, LockParams, estimate_ground, lock_feet
from .core.grounding.contacts import mask_intervals
from .core.grounding.pipeline import GroundEstimate, GroundingResult, summary_lines
from .importer import FIRST_FRAME

MARKER_PREFIX = "GND:"
MARKER_NAMES = ("GND:L", "GND:R")
CONTACT_PROPERTIES = ("smplx_fusion_contact_left", "smplx_fusion_contact_right")
CONTACT_GROUP = "Ground contact"
_CONSTANT = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["CONSTANT"].value

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, message: str) -> None:
    return None


@dataclass
class GroundingOptions:
    """What a run does (the panel's settings).

    Attributes:
        mode: ``auto`` (detected contacts) or ``always`` (every low, slow foot frame).
        frame_start, frame_end: Blender frames of the range (0: the scene's start / end).
        use_ground_object: take the ground from the avatar's ground object when it has one.
        marked_contacts: *Lock Feet* only: lock the contacts of the per-frame contact channels, not new ones.
        blend_frames: frames over which a lock eases in and out.
    """

    mode: str = "auto"
    frame_start: int = 0
    frame_end: int = 0
    use_ground_object: bool = True
    marked_contacts: bool = False
    blend_frames: int = LockParams().blend_frames


@dataclass
class GroundingReport:
    """What a run found and changed.

    Attributes:
        lines: the summary for people.
        frames: (first, last) Blender frames of the range.
        contact: (T, 2) bool contacts inside the range.
        plane: (4,) the camera-frame ground used, or None when none was found.
        plane_source: ``file``, ``fitted``, ``lowest``, ``ground object``, ``none``.
        markers: markers placed.
        changed_rows: rows written back (Lock Feet).
        foot_shift_mm, root_shift_mm: {"mean", "max"} over the changed frames (Lock Feet).
    """

    lines: list[str]
    frames: tuple[int, int]
    contact: np.ndarray
    plane: Optional[np.ndarray]
    plane_source: str
    markers: int = 0
    changed_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    foot_shift_mm: dict = field(default_factory=dict)
    root_shift_mm: dict = field(default_factory=dict)

    def summary(self) -> str:
        return " | ".join(line.strip() for line in self.lines)


# ------------------------------------------------------------------------------------------------ frames


def selected_rows(scene: bpy.types.Scene, options: GroundingOptions, num_frames: int
                  ) -> tuple[np.ndarray, int, int]:
    """(rows, first, last): the take's rows inside the range (Blender frames ``first``..``last``)."""
    start = options.frame_start or scene.frame_start
    end = options.frame_end or scene.frame_end
    start, end = min(start, end), max(start, end)
    rows = np.arange(start, end + 1, dtype=np.int64) - FIRST_FRAME
    rows = rows[(rows >= 0) & (rows < num_frames)]
    if rows.size == 0:
        raise FusionError(f"frames {start}-{end} hold none of the take's frames ({FIRST_FRAME}-"
                          f"{FIRST_FRAME + num_frames - 1})", field="frame range")
    return rows, start, end


def _row_mask(rows: np.ndarray, num_frames: int) -> np.ndarray:
    mask = np.zeros(num_frames, dtype=bool)
    mask[rows] = True
    return mask


# ------------------------------------------------------------------------------------------------ the take


def take_in_rig_frame(rb: validation_ops.TakeReadback) -> FusedSequence:
    """The read-back take in the rig's own frame (``validation_ops.seq_in_rig_frame``): ``write_take`` of the
    result rewrites the keys it read."""
    return validation_ops.seq_in_rig_frame(rb, rb.seq)


def _anchor_cam(seq: FusedSequence, rb: validation_ops.TakeReadback, rows: np.ndarray) -> np.ndarray:
    """(3,) mean pelvis position over ``rows``, camera frame: where the ground object is centred."""
    return (seq.transl[rows] + rb.rest_joints_model[0]).mean(axis=0)


# ------------------------------------------------------------------------------------------------ scene edits


_TRANSFORM = ("location", "rotation_mode", "rotation_euler", "rotation_quaternion", "rotation_axis_angle", "scale")


def _transform_of(ob: bpy.types.Object) -> dict[str, Any]:
    """The object's own transform channels, copied (restoring them is exact, unlike a matrix)."""
    return {name: (value if isinstance(value, str) else tuple(value))
            for name, value in ((name, getattr(ob, name)) for name in _TRANSFORM)}


class GroundEdits:
    """Everything a run may change besides new data-blocks (those go with ``scene_snapshot.roll_back``): the
    ``GND:`` markers, the contact properties, the F-curves (keys saved before each write), the ground object's
    placement. :meth:`restore` puts them back exactly."""

    def __init__(self, scene: bpy.types.Scene, arm: Optional[bpy.types.Object]) -> None:
        self.scene, self.arm = scene, arm
        self.markers = [(m.name, m.frame) for m in scene.timeline_markers if m.name.startswith(MARKER_PREFIX)]
        self.curves = validation_ops.CurveBackup()
        self.properties = {} if arm is None else {p: arm[p] for p in CONTACT_PROPERTIES if p in arm}
        ground = ground_object.ground_object_of(arm)
        plane = None if ground is None else ground.get(ground_object.PLANE_PROPERTY)
        self.ground = None if ground is None else (ground, _transform_of(ground),
                                                   None if plane is None else [float(v) for v in plane])

    def restore(self) -> None:
        self.curves.restore()
        markers = self.scene.timeline_markers
        for m in [m for m in markers if m.name.startswith(MARKER_PREFIX)]:
            markers.remove(m)
        for name, frame in self.markers:
            markers.new(name, frame=frame)
        if self.arm is not None:
            for prop in CONTACT_PROPERTIES:
                if prop in self.properties:
                    self.arm[prop] = self.properties[prop]
                elif prop in self.arm:
                    del self.arm[prop]
            self.arm.update_tag()
        if self.ground is not None:
            ob, transform, plane = self.ground
            for name, value in transform.items():
                setattr(ob, name, value)
            if plane is None:
                ob.pop(ground_object.PLANE_PROPERTY, None)
            else:
                ob[ground_object.PLANE_PROPERTY] = plane


# ------------------------------------------------------------------------------------------------ showing


def place_markers(scene: bpy.types.Scene, contact: np.ndarray, first: int, last: int) -> int:
    """Replace the ``GND:`` markers in frames ``first``..``last`` with one per contact start there; returns how many.

    ``contact``: (T, 2) bool, rows outside the range False.
    """
    markers = scene.timeline_markers
    for m in [m for m in markers if m.name in MARKER_NAMES and first <= m.frame <= last]:
        markers.remove(m)
    placed = 0
    for foot, name in enumerate(MARKER_NAMES):
        for start, _ in mask_intervals(contact[:, foot]):
            markers.new(name, frame=int(FIRST_FRAME + start))
            placed += 1
    return placed


def _arm_channelbag(arm: bpy.types.Object) -> Any:
    adt = arm.animation_data
    if adt is None or adt.action is None or adt.action_slot is None:
        raise FusionError("the avatar has no animation to hold the contact channels", path=arm.name,
                          field="animation")
    return anim_utils.action_ensure_channelbag_for_slot(adt.action, adt.action_slot)


def write_contact_curves(arm: bpy.types.Object, contact: np.ndarray, rows: np.ndarray,
                         backup: validation_ops.CurveBackup) -> None:
    """Set rows ``rows`` of the two contact channels to ``contact`` (T, 2) bool (0 / 1, constant keys), in bulk;
    the channels (custom property and F-curve, one key per frame) are created when missing."""
    t = contact.shape[0]
    frames = FIRST_FRAME + np.arange(t, dtype=np.float32)
    cb = _arm_channelbag(arm)
    for foot, prop in enumerate(CONTACT_PROPERTIES):
        if prop not in arm:
            arm[prop] = 0.0
        path = f'["{prop}"]'
        fc = cb.fcurves.find(path, index=0)
        values = np.zeros(t, dtype=np.float32)
        if fc is None:
            fc = cb.fcurves.new(path, index=0, group_name=CONTACT_GROUP)
            backup.created(cb, fc)
        else:
            backup.save(fc)
            values = validation_ops.curve_values(fc, frames.astype(np.float64), 0.0).astype(np.float32)
        values[rows] = contact[rows, foot]
        if len(fc.keyframe_points) != t:
            fc.keyframe_points.clear()
            fc.keyframe_points.add(t)
        co = np.empty((t, 2), dtype=np.float32)
        co[:, 0], co[:, 1] = frames, values
        fc.keyframe_points.foreach_set("co", co.ravel())
        fc.keyframe_points.foreach_set("interpolation", np.full(t, _CONSTANT, dtype=np.int32))
        fc.update()
    arm.update_tag()  # new ID properties and curves reach the evaluated copy (frame changes play them) only then


def read_contact_curves(arm: bpy.types.Object, num_frames: int) -> Optional[np.ndarray]:
    """(T, 2) bool contacts of the per-frame contact channels as displayed (edits included), or None."""
    adt = arm.animation_data
    if adt is None or adt.action is None or adt.action_slot is None:
        return None
    cb = anim_utils.action_get_channelbag_for_slot(adt.action, adt.action_slot)
    curves = [None if cb is None else cb.fcurves.find(f'["{prop}"]', index=0) for prop in CONTACT_PROPERTIES]
    if any(fc is None for fc in curves):
        return None
    frames = FIRST_FRAME + np.arange(num_frames, dtype=np.float64)
    return np.stack([validation_ops.curve_values(fc, frames, 0.0) >= 0.5 for fc in curves], axis=1)


# ------------------------------------------------------------------------------------------------ running


@dataclass
class _Ground:
    rb: validation_ops.TakeReadback
    seq: FusedSequence
    rows: np.ndarray
    first: int
    last: int
    plane: Optional[GroundPlane]
    plane_source: str
    contact: np.ndarray  # (T, 2), False outside rows


def _find_ground(context: bpy.types.Context, options: GroundingOptions, use_marked: bool,
                 progress: Progress, total: int) -> _Ground:
    arm, mesh = validation_ops.find_avatar(context)
    progress(0, total, "reading the take from the rig")
    rb = validation_ops.read_take(arm, mesh)
    seq = take_in_rig_frame(rb)
    t = seq.num_frames
    rows, first, last = selected_rows(context.scene, options, t)
    progress(1, total, "finding the ground and the contacts")
    plane, source = None, "none"
    ground = ground_object.ground_object_of(arm) if options.use_ground_object else None
    if ground is not None:
        context.view_layer.update()
        try:
            plane = GroundPlane.from_array(ground_object.plane_of_ground_object(ground, arm))
        except ValueError as exc:  # e.g. the object scaled to zero: no plane to read
            raise FusionError(f"the ground object gives no plane ({exc}); reset its scale or turn off "
                              f"'Use ground object'", path=ground.name, field="matrix_world") from None
        source = "ground object"
    if use_marked:
        marked = read_contact_curves(arm, t)
        if marked is None:
            raise FusionError("no marked contacts on the avatar: run Detect Contacts first", path=arm.name,
                              field=CONTACT_PROPERTIES[0])
        if plane is None:
            estimate = estimate_ground(seq, rb.model, options.mode)
            plane, source = estimate.plane, estimate.plane_source
        contact = marked
    else:
        estimate = estimate_ground(seq, rb.model, options.mode, plane=plane)
        if estimate.plane is not None and source != "ground object":
            source = estimate.plane_source
        plane = estimate.plane
        contact = estimate.contact if estimate.detection is not None else np.zeros((t, 2), dtype=bool)
    contact = contact & _row_mask(rows, t)[:, None]
    return _Ground(rb=rb, seq=seq, rows=rows, first=first, last=last, plane=plane, plane_source=source,
                   contact=contact)


def _show(context: bpy.types.Context, found: _Ground, edits: GroundEdits) -> int:
    """Markers, contact channels and the ground object for ``found``; returns the markers placed."""
    placed = place_markers(context.scene, found.contact, found.first, found.last)
    write_contact_curves(found.rb.arm, found.contact, found.rows, edits.curves)
    if found.plane is not None:
        ground_object.place_ground_object(found.rb.arm, found.plane.as_array(),
                                          _anchor_cam(found.seq, found.rb, found.rows))
    return placed


def _contact_lines(found: _Ground) -> list[str]:
    if found.plane is None:
        return [f"no ground found in frames {found.first}-{found.last}: the take is left as it is "
                f"(mode Always marks the feet's usual lowest level)"]
    counts = [f"{side} {len(mask_intervals(found.contact[:, f]))} ({int(found.contact[:, f].sum())} frames)"
              for f, side in enumerate(("left", "right"))]
    plane = ", ".join(f"{v:.3f}" for v in found.plane.as_array())
    return [f"contacts in frames {found.first}-{found.last}: {', '.join(counts)}",
            f"ground ({found.plane_source}): (n, d) = ({plane})"]


def detect(context: bpy.types.Context, options: GroundingOptions, edits: GroundEdits,
           progress: Progress = _no_progress) -> GroundingReport:
    """Find the ground and the contacts in the range; show them (markers, contact channels, ground object)."""
    found = _find_ground(context, options, False, progress, 3)
    progress(2, 3, "marking the contacts")
    placed = _show(context, found, edits)
    progress(3, 3, "done")
    return GroundingReport(lines=_contact_lines(found), frames=(found.first, found.last), contact=found.contact,
                           plane=None if found.plane is None else found.plane.as_array(),
                           plane_source=found.plane_source, markers=placed)


def lock(context: bpy.types.Context, options: GroundingOptions, edits: GroundEdits,
         progress: Progress = _no_progress) -> GroundingReport:
    """Lock the feet in their contacts inside the range (legs by IK, root along the normal) and write the changed
    frames back; rows outside the range are never written."""
    found = _find_ground(context, options, options.marked_contacts, progress, 4)
    if found.plane is None:
        return GroundingReport(lines=_contact_lines(found), frames=(found.first, found.last),
                               contact=found.contact, plane=None, plane_source=found.plane_source)
    progress(2, 4, f"locking the feet in {int(found.contact.any(axis=1).sum())} contact frames")
    params = LockParams(blend_frames=options.blend_frames)
    result = lock_feet(found.seq, found.rb.model, found.contact, found.plane, frames=found.rows, params=params)
    changed = np.flatnonzero(result.changed)
    progress(3, 4, f"writing {changed.size} frames")
    validation_ops.write_take(found.rb, result.sequence, changed, edits.curves)
    placed = _show(context, found, edits)
    progress(4, 4, "done")
    estimate = GroundEstimate(found.plane, None, found.plane_source)
    grounding = GroundingResult(result.sequence, options.mode, estimate, result, found.contact)
    summary = grounding.summary()
    lines = _contact_lines(found) + ([summary_lines(grounding)[-1].strip()] if changed.size
                                     else ["no contact to lock in the range: nothing changed"])
    return GroundingReport(lines=lines, frames=(found.first, found.last), contact=found.contact,
                           plane=found.plane.as_array(), plane_source=found.plane_source, markers=placed,
                           changed_rows=changed, foot_shift_mm=summary.get("foot_shift_mm", {}),
                           root_shift_mm=summary.get("root_shift_mm", {}))


def clear(context: bpy.types.Context) -> int:
    """Remove every ``GND:`` marker; returns how many."""
    markers = context.scene.timeline_markers
    old = [m for m in markers if m.name in MARKER_NAMES]
    for m in old:
        markers.remove(m)
    return len(old)


__all__ = ["MARKER_PREFIX", "MARKER_NAMES", "CONTACT_PROPERTIES", "GroundingOptions", "GroundingReport",
           "GroundEdits", "selected_rows", "take_in_rig_frame", "place_markers", "write_contact_curves",
           "read_contact_curves", "detect", "lock", "clear"]
