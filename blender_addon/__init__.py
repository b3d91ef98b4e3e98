"""SMPL-X Fusion: import fused SMPL-X sequences (body, face and hand experts) as animated avatars.

The extension's metadata is in ``blender_manifest.toml``. ``core`` is vendored as a sub-package and every
import is relative, so the package works under any name (``bl_ext.user_default.smplx_fusion`` once installed).

One package per feature (``docs/ARCHITECTURE.md``); each lists its classes in ``CLASSES`` and registers its own
scene properties in ``register_extra`` / ``unregister_extra``. This file names packages, not files.
"""
from __future__ import annotations

import bpy

from . import camera, export, face, grounding, importing, preferences, shots, validation

__all__ = ["FEATURES", "register", "unregister"]

#: Feature packages, registered in this order (the sidebar panels appear in it).
FEATURES = (importing, camera, validation, grounding, face, shots, export)


def _classes() -> tuple:
    return (preferences.SMPLXFusionPreferences, *(cls for feature in FEATURES for cls in feature.CLASSES))


def register() -> None:
    for cls in _classes():
        bpy.utils.register_class(cls)
    for feature in FEATURES:
        feature.register_extra()


def unregister() -> None:
    for feature in reversed(FEATURES):
        feature.unregister_extra()
    for cls in reversed(_classes()):
        bpy.utils.unregister_class(cls)
