"""Face: expression intensity, the expression's source and ARKit curves.

Role files: :mod:`.props` (the intensity property), :mod:`.ops` (the operators), :mod:`.panel` (the sidebar
panel); the work is in :mod:`.expression_scale`, :mod:`.expression_source` and :mod:`.arkit_keys`.
"""
from __future__ import annotations

from . import ops, panel, props

__all__ = ["CLASSES", "register_extra", "unregister_extra"]

CLASSES = (*props.CLASSES, *ops.CLASSES, *panel.CLASSES)


def register_extra() -> None:
    props.register_props()


def unregister_extra() -> None:
    props.unregister_props()
