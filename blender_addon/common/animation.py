"""Bulk F-curve writing through slotted actions and channelbags (never one key at a time).

The only place that asks Blender for a channelbag; where Blender 4.5 and 5.x differ, :mod:`.compat` answers."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import bpy
import numpy as np
from bpy_extras import anim_utils

from . import compat

__all__ = ["FIRST_FRAME", "LINEAR", "new_slot", "assign_action", "channelbag_of", "slot_channelbag", "write_fcurves"]

#: Frame i of a fused file is Blender frame ``FIRST_FRAME + i``.
FIRST_FRAME = 1

#: The ``LINEAR`` value of a keyframe's ``interpolation`` enum, as ``foreach_set`` takes it.
LINEAR = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["LINEAR"].value


def new_slot(action: bpy.types.Action, id_type: str, name: str) -> bpy.types.ActionSlot:
    """A slot for an ID of ``id_type`` ('OBJECT', 'KEY', ...) on ``action``."""
    return action.slots.new(id_type=id_type, name=name)


def assign_action(owner: bpy.types.ID, action: bpy.types.Action, slot: bpy.types.ActionSlot) -> None:
    """Assign ``action`` to ``owner`` and pick ``slot`` explicitly (Blender does not always pick it)."""
    adt = owner.animation_data or owner.animation_data_create()
    adt.action = action
    adt.action_slot = slot


def slot_channelbag(action: bpy.types.Action, slot: bpy.types.ActionSlot, ensure: bool = False) -> Any:
    """The channelbag holding ``slot``'s F-curves on ``action`` (created when ``ensure``, else ``None`` if absent).

    The one place the add-on asks Blender for a channelbag (the 4.5 / 5.x difference is :mod:`.compat`'s)."""
    if ensure:
        return compat.ensure_channelbag(action, slot)
    return anim_utils.action_get_channelbag_for_slot(action, slot)


def channelbag_of(owner: Optional[bpy.types.ID], ensure: bool = False) -> Any:
    """The channelbag of the action and slot assigned to ``owner`` (an object, a shape-key block, a camera);
    ``None`` when ``owner`` has no action or slot (or, unless ``ensure``, no channelbag for it yet)."""
    adt = owner.animation_data if owner is not None else None
    if adt is None or adt.action is None or adt.action_slot is None:
        return None
    return slot_channelbag(adt.action, adt.action_slot, ensure)


def write_fcurves(action: bpy.types.Action, slot: bpy.types.ActionSlot,
                  channels: Sequence[tuple[str, int, str]], frames: np.ndarray, values: np.ndarray) -> None:
    """Create one LINEAR F-curve per channel and fill all its keys in bulk.

    Args:
        channels: (data_path, array_index, group_name) per curve, C curves.
        frames: (T,) frame numbers.
        values: (T, C) key values.
    """
    cb = slot_channelbag(action, slot, ensure=True)
    frames = np.asarray(frames, dtype=np.float32)
    values = np.asarray(values, dtype=np.float32)
    n = frames.shape[0]
    co = np.empty((n, 2), dtype=np.float32)
    co[:, 0] = frames
    interp = np.full(n, LINEAR, dtype=np.int32)
    for column, (path, index, group) in enumerate(channels):
        fc = compat.new_fcurve(cb, path, index, group)
        fc.keyframe_points.add(n)
        co[:, 1] = values[:, column]
        fc.keyframe_points.foreach_set("co", co.ravel())
        fc.keyframe_points.foreach_set("interpolation", interp)
        fc.update()
