"""SMPL-X Fusion: import fused SMPL-X sequences (body, face and hand experts) as animated avatars.

The extension's metadata is in ``blender_manifest.toml``. ``core`` is vendored as a sub-package and every
import is relative, so the package works under any name (``bl_ext.user_default.smplx_fusion`` once installed).
"""
from __future__ import annotations

import importlib
from pathlib import Path

import bpy

from . import operators, panels, preferences

#: Feature modules (each with ``CLASSES`` and optionally ``register_extra`` / ``unregister_extra``), registered in
#: this order when present in the package.
_FEATURE_MODULES = ("camera_panel", "validation_panel", "grounding_panel", "face_panel", "render_panel",
                    "export_panel")


def _feature_modules() -> list:
    here = Path(__file__).resolve().parent
    return [importlib.import_module(f".{name}", __package__) for name in _FEATURE_MODULES
            if (here / f"{name}.py").is_file()]


def _classes() -> tuple:
    extra = tuple(cls for module in _feature_modules() for cls in getattr(module, "CLASSES", ()))
    return (preferences.SMPLXFusionPreferences, *operators.CLASSES, *panels.CLASSES, *extra)


def register() -> None:
    for cls in _classes():
        bpy.utils.register_class(cls)
    for module in _feature_modules():
        if hasattr(module, "register_extra"):
            module.register_extra()
    bpy.types.TOPBAR_MT_file_import.append(operators.menu_import)


def unregister() -> None:
    bpy.types.TOPBAR_MT_file_import.remove(operators.menu_import)
    for module in reversed(_feature_modules()):
        if hasattr(module, "unregister_extra"):
            module.unregister_extra()
    for cls in reversed(_classes()):
        bpy.utils.unregister_class(cls)
