"""Camera: re-fit the take's camera, set the footage plate, adjust scale and depth, read the reprojection error.

Role files: :mod:`.props` (the per-avatar settings), :mod:`.ops` (the operators), :mod:`.panel` (the sidebar
panel); the work is in :mod:`.refit`, :mod:`.adjust`, :mod:`.background` and :mod:`.readout`.
"""
from __future__ import annotations

from . import ops, panel, props

__all__ = ["CLASSES", "register_extra", "unregister_extra"]

#: Registration order: the property group before the operators and the panel that use it.
CLASSES = (*props.CLASSES, *ops.CLASSES, *panel.CLASSES)


def register_extra() -> None:
    props.register_props()


def unregister_extra() -> None:
    props.unregister_props()
