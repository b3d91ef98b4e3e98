"""USD export of the avatar (skeleton, skinned mesh, shape keys as blend shapes, the whole take) through Blender's
own exporter, ``bpy.ops.wm.usd_export`` (Blender 4.5, 5.0 and 5.2 have every option below).

Options (:data:`USD_OPTIONS`), and why:

* ``selected_objects_only=True``, ``export_cameras=False``, ``export_lights=False``: only the avatar's armature and
  body mesh (:mod:`.scope` selects them for the call);
* ``export_armatures=True``, ``only_deform_bones=False``: a ``UsdSkel`` skeleton of all 55 joints;
* ``export_shapekeys=True``: ``Shape###`` / ``Exp###`` / ``Pose###`` keys become blend shapes and their F-curves
  blend-shape weight animation;
* ``export_animation=True``: every frame of the scene range, which :mod:`.scope` sets to the take's;
* ``export_materials=False``, ``export_custom_properties=False``: the body's geometry and motion only (no
  preview-surface conversion of the shot materials, no import bookkeeping in the stage).

The file extension picks the encoding: ``.usdc`` (binary, default), ``.usda`` (text) or ``.usd``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from ..common.progress import Progress, no_progress
from . import files as export_files
from . import scope as export_scope

__all__ = ["USD_SUFFIXES", "USD_OPTIONS", "usd_path", "export_usd"]

USD_SUFFIXES = (".usdc", ".usda", ".usd")

USD_OPTIONS: dict[str, Any] = {
    "selected_objects_only": True,
    "export_cameras": False,
    "export_lights": False,
    "export_armatures": True,
    "only_deform_bones": False,
    "export_shapekeys": True,
    "export_animation": True,
    "export_materials": False,
    "export_custom_properties": False,
}


def usd_path(filepath: str) -> Path:
    """``filepath`` with a USD suffix (``.usdc`` appended when it has none of :data:`USD_SUFFIXES`)."""
    path = Path(filepath)
    return path if path.suffix.lower() in USD_SUFFIXES else path.with_name(path.name + ".usdc")


def export_usd(context: bpy.types.Context, arm: bpy.types.Object, mesh: bpy.types.Object, filepath: str,
               overwrite: bool = False, progress: Progress = no_progress) -> Path:
    """Write the avatar and its take as USD. Raises ``FusionError`` when the file exists and ``overwrite`` is off;
    the scene is left as it was, and a failed export leaves no file behind."""
    path = usd_path(filepath)
    export_files.check_outputs([path], overwrite)
    progress(0, 2, "exporting USD")

    def write(folder: Path) -> None:
        with export_scope.only_avatar_selected(context, arm, mesh):
            result = bpy.ops.wm.usd_export(filepath=str(folder / path.name), check_existing=False, **USD_OPTIONS)
        if result != {"FINISHED"}:
            raise RuntimeError(f"Blender's USD exporter returned {sorted(result)}")

    export_files.write_atomically([path], write, overwrite)
    progress(2, 2, f"wrote {path}")
    return path
