"""SMPL-X Fusion: import fused SMPL-X sequences (body, face and hand experts) as animated avatars.

The extension's metadata is in ``blender_manifest.toml``. ``core`` is vendored as a sub-package and every
import is relative, so the package works under any name (``bl_ext.user_default.smplx_fusion`` once installed).
"""
from __future__ import annotations

import bpy

from . import operators, panels, preferences

_CLASSES = (preferences.SMPLXFusionPreferences, *operators.CLASSES, *panels.CLASSES)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.TOPBAR_MT_file_import.append(operators.menu_import)


def unregister() -> None:
    bpy.types.TOPBAR_MT_file_import.remove(operators.menu_import)
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
