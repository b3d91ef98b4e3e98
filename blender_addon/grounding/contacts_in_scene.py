"""Foot contacts as the scene shows them: ``GND:`` timeline markers and per-frame contact channels.

* timeline markers ``GND:L`` / ``GND:R`` at the first frame of each contact of the left / right foot inside the
  selected range (a contact already under way at the range's start is marked there). A run replaces the ``GND:``
  markers inside its range only; the user's markers and the validation's ``VAL:`` markers are never touched;
* a per-frame contact channel for each foot: the armature's custom properties ``smplx_fusion_contact_left`` /
  ``_right`` (0 or 1), keyed with constant interpolation in the armature's action (group "Ground contact"). They
  show the contacts as blocks in the Graph Editor and can drive other things; edited by hand, *Lock Feet* with
  contacts "Marked" uses them as they are.

Frames: the rig's frame ``FIRST_FRAME + i`` is row i of the take.
"""
from __future__ import annotations

from typing import Optional

import bpy
import numpy as np

from ..common.animation import FIRST_FRAME, channelbag_of
from ..common.compat import new_fcurve
from ..common.readback import CurveBackup, curve_values
from ..core.errors import FusionError
from ..core.grounding.contacts import mask_intervals

__all__ = ["MARKER_PREFIX", "MARKER_NAMES", "CONTACT_PROPERTIES", "CONTACT_GROUP", "place_markers",
           "clear_markers", "write_contact_curves", "read_contact_curves"]

MARKER_PREFIX = "GND:"
MARKER_NAMES = ("GND:L", "GND:R")
CONTACT_PROPERTIES = ("smplx_fusion_contact_left", "smplx_fusion_contact_right")
CONTACT_GROUP = "Ground contact"
_CONSTANT = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["CONSTANT"].value


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


def clear_markers(scene: bpy.types.Scene) -> int:
    """Remove every ``GND:`` marker; returns how many."""
    markers = scene.timeline_markers
    old = [m for m in markers if m.name in MARKER_NAMES]
    for m in old:
        markers.remove(m)
    return len(old)


def write_contact_curves(arm: bpy.types.Object, contact: np.ndarray, rows: np.ndarray,
                         backup: CurveBackup) -> None:
    """Set rows ``rows`` of the two contact channels to ``contact`` (T, 2) bool (0 / 1, constant keys), in bulk;
    the channels (custom property and F-curve, one key per frame) are created when missing."""
    t = contact.shape[0]
    frames = FIRST_FRAME + np.arange(t, dtype=np.float32)
    cb = channelbag_of(arm, ensure=True)
    if cb is None:
        raise FusionError("the avatar has no animation to hold the contact channels", path=arm.name,
                          field="animation")
    for foot, prop in enumerate(CONTACT_PROPERTIES):
        if prop not in arm:
            arm[prop] = 0.0
        path = f'["{prop}"]'
        fc = cb.fcurves.find(path, index=0)
        values = np.zeros(t, dtype=np.float32)
        if fc is None:
            fc = new_fcurve(cb, path, 0, CONTACT_GROUP)
            backup.created(cb, fc)
        else:
            backup.save(fc)
            values = curve_values(fc, frames.astype(np.float64), 0.0).astype(np.float32)
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
    cb = channelbag_of(arm)
    curves = [None if cb is None else cb.fcurves.find(f'["{prop}"]', index=0) for prop in CONTACT_PROPERTIES]
    if any(fc is None for fc in curves):
        return None
    frames = FIRST_FRAME + np.arange(num_frames, dtype=np.float64)
    return np.stack([curve_values(fc, frames, 0.0) >= 0.5 for fc in curves], axis=1)
