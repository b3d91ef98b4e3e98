"""Grounding the take in the scene: find its ground and foot contacts, show them, lock the feet on a frame range.

The take is read back from the rig as displayed (``common.readback.read_take``) and written back in bulk into the
existing F-curves (``common.readback.write_take``, rows that changed only; never one key at a time). The grounding
math is the core's (``core.grounding``: ``estimate_ground``, ``lock_feet``), numpy only, in-process.

What the animator gets: the ``GND:`` markers and per-frame contact channels (:mod:`.contacts_in_scene`) and the
ground plane object (``common.ground_object``), a shadow catcher lying on the ground; moved by hand, it is the
ground the next run uses (unless "Use ground object" is off: then the file's ``ground_plane`` or a new fit).

Frames: the rig's frame ``FIRST_FRAME + i`` is row i of the take. The grounding works in the rig's own frame
(the take's camera frame, as the F-curves hold it): where the armature object was moved, ``read_take`` reports the
take as the camera sees it, and :func:`take_in_rig_frame` takes that move back out so the round trip through
``write_take`` is exact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import bpy
import numpy as np

from ..common import ground_object
from ..common.animation import FIRST_FRAME
from ..common.avatar import find_avatar
from ..common.progress import Progress, no_progress
from ..common.readback import TakeReadback, read_take, seq_in_rig_frame, write_take
from ..core.contracts.fused_file import FusedSequence
from ..core.errors import FusionError
from ..core.grounding import GroundPlane, LockParams, estimate_ground, lock_feet
from ..core.grounding.contacts import mask_intervals
from ..core.grounding.pipeline import GroundEstimate, GroundingResult, summary_lines
from .contacts_in_scene import CONTACT_PROPERTIES, place_markers, read_contact_curves, write_contact_curves
from .edits import GroundEdits

__all__ = ["AVATAR_PURPOSE", "GroundingOptions", "GroundingReport", "selected_rows", "take_in_rig_frame",
           "detect", "lock"]

#: What the user is asked to select an avatar for (``common.avatar.find_avatar``).
AVATAR_PURPOSE = "to ground"


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


def take_in_rig_frame(rb: TakeReadback) -> FusedSequence:
    """The read-back take in the rig's own frame (``common.readback.seq_in_rig_frame``): ``write_take`` of the
    result rewrites the keys it read."""
    return seq_in_rig_frame(rb, rb.seq)


def _anchor_cam(seq: FusedSequence, rb: TakeReadback, rows: np.ndarray) -> np.ndarray:
    """(3,) mean pelvis position over ``rows``, camera frame: where the ground object is centred."""
    return (seq.transl[rows] + rb.rest_joints_model[0]).mean(axis=0)


# ------------------------------------------------------------------------------------------------ running


@dataclass
class _Ground:
    rb: TakeReadback
    seq: FusedSequence
    rows: np.ndarray
    first: int
    last: int
    plane: Optional[GroundPlane]
    plane_source: str
    contact: np.ndarray  # (T, 2), False outside rows


def _find_ground(context: bpy.types.Context, options: GroundingOptions, use_marked: bool,
                 progress: Progress, total: int) -> _Ground:
    arm, mesh = find_avatar(context, AVATAR_PURPOSE)
    progress(0, total, "reading the take from the rig")
    rb = read_take(arm, mesh)
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
           progress: Progress = no_progress) -> GroundingReport:
    """Find the ground and the contacts in the range; show them (markers, contact channels, ground object)."""
    found = _find_ground(context, options, False, progress, 3)
    progress(2, 3, "marking the contacts")
    placed = _show(context, found, edits)
    progress(3, 3, "done")
    return GroundingReport(lines=_contact_lines(found), frames=(found.first, found.last), contact=found.contact,
                           plane=None if found.plane is None else found.plane.as_array(),
                           plane_source=found.plane_source, markers=placed)


def lock(context: bpy.types.Context, options: GroundingOptions, edits: GroundEdits,
         progress: Progress = no_progress) -> GroundingReport:
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
    write_take(found.rb, result.sequence, changed, edits.curves)
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
