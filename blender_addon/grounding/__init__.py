"""Grounding: foot contacts, the ground plane and foot locking on the take in the scene.

Role files: :mod:`.props` (scene settings), :mod:`.ops` (operators), :mod:`.panel` (the sidebar section under
Validation); logic: :mod:`.take_grounding` (detect, lock), :mod:`.contacts_in_scene` (markers and contact
channels), :mod:`.edits` (what a run changes, put back on failure).
"""
from __future__ import annotations

from . import ops, panel, props
from .props import register_extra, unregister_extra

__all__ = ["CLASSES", "register_extra", "unregister_extra"]

#: Registered in this order: the property group before the operators and the panel that use it.
CLASSES = (*props.CLASSES, *ops.CLASSES, *panel.CLASSES)
