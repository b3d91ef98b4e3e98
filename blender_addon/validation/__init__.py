"""Validation: check the take in the scene, mark and paint what is wrong, fix a frame range with undo.

Role files: :mod:`.props` (scene settings and results), :mod:`.ops` (operators), :mod:`.panel` (sidebar panel and
list); logic: :mod:`.scene_results` (validate the take, show the results), :mod:`.fixes` (fix a frame range). The
take is read from and written back into the rig by ``common.readback``.
"""
from __future__ import annotations

from . import ops, panel, props
from .props import register_extra, unregister_extra

__all__ = ["CLASSES", "register_extra", "unregister_extra"]

#: Registered in this order: the property groups before the operators and panels that use them.
CLASSES = (*props.CLASSES, *ops.CLASSES, *panel.CLASSES)
