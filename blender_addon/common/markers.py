"""Timeline markers a feature owns by a name prefix (``VAL:``, ``GND:``): saved before a run and put back exactly
when it fails, or removed all at once."""
from __future__ import annotations

import bpy

__all__ = ["MarkerBackup", "remove_markers"]


def remove_markers(scene: bpy.types.Scene, prefix: str) -> int:
    """Remove every timeline marker whose name starts with ``prefix``; returns how many."""
    markers = scene.timeline_markers
    old = [m for m in markers if m.name.startswith(prefix)]
    for m in old:
        markers.remove(m)
    return len(old)


class MarkerBackup:
    """The scene's markers named ``prefix...`` (name and frame) when made; :meth:`restore` puts exactly those back."""

    def __init__(self, scene: bpy.types.Scene, prefix: str) -> None:
        self.scene, self.prefix = scene, prefix
        self.saved = [(m.name, m.frame) for m in scene.timeline_markers if m.name.startswith(prefix)]

    def restore(self) -> None:
        remove_markers(self.scene, self.prefix)
        markers = self.scene.timeline_markers
        for name, frame in self.saved:
            markers.new(name, frame=frame)
