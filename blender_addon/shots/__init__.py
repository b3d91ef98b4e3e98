"""Shots: materials, lighting, render presets and rendering stills or ranges over the plate.

Role files: :mod:`.props` (scene settings), :mod:`.ops` (operators), :mod:`.panel` (the Render panel); logic:
:mod:`.render` (render shots), :mod:`.shot_plan` (frames and paths), :mod:`.render_presets`, :mod:`.lighting`,
:mod:`.materials` (with :mod:`.body_regions` and :mod:`.uv_layout`), :mod:`.preview_stage` (floor and mannequin).
"""
from __future__ import annotations

from . import ops, panel, props
from .props import register_extra, unregister_extra

__all__ = ["CLASSES", "register_extra", "unregister_extra"]

#: Registered in this order: the property group before the operators and the panel that use it.
CLASSES = (*props.CLASSES, *ops.CLASSES, *panel.CLASSES)
