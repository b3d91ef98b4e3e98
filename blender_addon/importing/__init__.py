"""Importing: a fused file (or estimator outputs, fused first) into a rig, a mesh, shape keys and a camera.

Role files: :mod:`.ops` (the operators and the File > Import entry), :mod:`.panel` (the sidebar's main panel); no
settings of its own, so no ``props``. The work is in :mod:`.importer`, which builds with :mod:`.rig_builder`,
:mod:`.mesh_builder` and ``common.camera_builder``; a clip of several people goes through :mod:`.clip_importer`
(one avatar per person, one camera, one take root), :mod:`.clip_files` says which files make up the clip.
"""
from __future__ import annotations

import bpy

from . import ops, panel

__all__ = ["CLASSES", "register_extra", "unregister_extra"]

CLASSES = (*ops.CLASSES, *panel.CLASSES)


def register_extra() -> None:
    bpy.types.TOPBAR_MT_file_import.append(ops.menu_import)


def unregister_extra() -> None:
    bpy.types.TOPBAR_MT_file_import.remove(ops.menu_import)
