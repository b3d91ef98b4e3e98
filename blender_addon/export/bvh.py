"""BVH export of the avatar's skeleton motion through Blender's own exporter, ``bpy.ops.export_anim.bvh`` (the
bundled ``io_anim_bvh`` add-on, enabled for the call when it is off; Blender 4.5, 5.0 and 5.2).

BVH holds a joint hierarchy with offsets and per-frame channels only: no mesh, no shape keys (so no expression or
shape), which the operator says in a warning. Options (:data:`BVH_OPTIONS`): the take's frames
(``frame_start`` / ``frame_end`` from :func:`.scope.take_frames`), ``global_scale=1.0`` (metres, as the rig),
``rotate_mode='NATIVE'`` (each bone's own rotation order; the rig's quaternions are written as XYZ Euler by the
exporter) and ``root_transform_only=False`` (every bone's location channels, which carry the per-frame joint
shift of expressions).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import addon_utils
import bpy

from ..common.progress import Progress, no_progress
from . import files as export_files
from . import scope as export_scope

__all__ = ["BVH_ADDON", "BVH_OPTIONS", "BVH_WARNING", "export_bvh"]

BVH_ADDON = "io_anim_bvh"
BVH_OPTIONS: dict[str, Any] = {"global_scale": 1.0, "rotate_mode": "NATIVE", "root_transform_only": False}
BVH_WARNING = "BVH holds the skeleton's motion only: the mesh, shape and expression are not in it"


def _ensure_bvh_addon() -> None:
    loaded_default, loaded_state = addon_utils.check(BVH_ADDON)
    if not loaded_state:
        addon_utils.enable(BVH_ADDON, default_set=False)


def export_bvh(context: bpy.types.Context, arm: bpy.types.Object, mesh: bpy.types.Object, filepath: str,
               overwrite: bool = False, progress: Progress = no_progress) -> Path:
    """Write the avatar's skeleton and its take as ``.bvh``. Raises ``FusionError`` when the file exists and
    ``overwrite`` is off; the scene is left as it was, and a failed export leaves no file behind."""
    path = Path(filepath)
    if path.suffix.lower() != ".bvh":
        path = path.with_name(path.name + ".bvh")
    export_files.check_outputs([path], overwrite)
    first, last = export_scope.take_frames(arm)
    progress(0, 2, "exporting BVH")
    _ensure_bvh_addon()

    def write(folder: Path) -> None:
        with export_scope.only_avatar_selected(context, arm, mesh):
            result = bpy.ops.export_anim.bvh(filepath=str(folder / path.name), check_existing=False,
                                             frame_start=first, frame_end=last, **BVH_OPTIONS)
        if result != {"FINISHED"}:
            raise RuntimeError(f"Blender's BVH exporter returned {sorted(result)}")

    export_files.write_atomically([path], write, overwrite)
    progress(2, 2, f"wrote {path}")
    return path
