"""Add-on preferences: which body model to use, and the Python interpreter for torch work."""
from __future__ import annotations

from typing import Optional

import bpy

from .core.body.builtin import default_cache_dir

__all__ = ["ADDON_ID", "SMPLXFusionPreferences", "get_preferences", "builtin_model_cache_dir"]

ADDON_ID = __package__


class SMPLXFusionPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    model_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="SMPL-X model",
        description=("An official SMPL-X model file (.npz/.pkl) or a folder of SMPLX_<GENDER> files; "
                     "leave empty for the built-in licence-free model"),
        subtype="FILE_PATH", default="")
    python_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Python with torch",
        description="Interpreter used for torch work (fusion, validation) in a subprocess",
        subtype="FILE_PATH", default="")

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "model_path")
        if not self.model_path:
            layout.label(text="Using the built-in licence-free mannequin model", icon="INFO")
        layout.prop(self, "python_path")


def get_preferences(context: bpy.types.Context) -> Optional[SMPLXFusionPreferences]:
    """The add-on's preferences, or None when it was registered outside the add-on system (tests)."""
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon is not None else None


def builtin_model_cache_dir() -> str:
    """Where the built-in model is generated: the extension's user folder, which survives upgrades."""
    try:
        return bpy.utils.extension_path_user(ADDON_ID, path="models", create=True)
    except (ValueError, TypeError, KeyError):  # registered as a plain module, not as an extension
        return str(default_cache_dir())
