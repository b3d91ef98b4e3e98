"""glTF 2.0 export of the avatar (armature as a skin, mesh, shape keys as morph targets, the take as one
animation with bone and morph-weight channels) through Blender's own exporter, ``bpy.ops.export_scene.gltf``.

Options (:data:`GLTF_OPTIONS`), and why:

* ``use_selection=True``, ``export_cameras=False``, ``export_lights=False``: only the avatar's armature and body
  mesh (:mod:`.scope` selects them for the call).
* ``export_skins=True``, ``export_all_influences=True``: glTF stores 4 weights per ``JOINTS_n``/``WEIGHTS_n``
  set, and without this option the exporter keeps the 4 largest and renormalises, which changes the skinning.
  With it the exporter writes only as many sets as the mesh needs (one for a model with at most 4 weights per
  vertex, which every engine reads).
* ``export_morph=True``, ``export_morph_normal=True``, ``export_morph_animation=True``: ``Shape###`` (static
  weights: the betas), ``Exp###`` and ``Pose###`` keys become morph targets, and their F-curves become the
  animation's ``weights`` channel.
* ``export_animations=True``, ``export_animation_mode='ACTIVE_ACTIONS'``: one glTF animation from the avatar's
  current action (bones and shape-key weights together), not one per action in the file.
* ``export_force_sampling=True``, ``export_frame_step=1``, ``export_optimize_animation_size=False``: one sample
  per frame, none dropped, so every frame is the scene's exactly (the glTF interpolation is LINEAR between
  samples, as the imported keys are).
* ``export_leaf_bone=False``: no extra end joints (SMPL-X has exactly its 55).
* ``export_def_bones=False``: all 55 bones deform; nothing to drop.
* ``export_apply=False``: applying modifiers would bake the armature pose into the mesh and drop the shape keys.
* ``export_yup=True``: glTF is Y up by specification; the exporter converts Blender's Z up.
* ``export_extras=False``: the import's bookkeeping properties (paths, provenance JSON) stay out of the file.

The file passes the Khronos glTF validator with 0 errors (``tests/shots/test_export_formats.py``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from ..common.progress import Progress, no_progress
from . import files as export_files
from . import scope as export_scope

__all__ = ["GLTF_FORMATS", "GLTF_OPTIONS", "output_paths", "export_gltf"]

GLTF_FORMATS = {"GLB": ".glb", "GLTF_SEPARATE": ".gltf"}

GLTF_OPTIONS: dict[str, Any] = {
    "use_selection": True,
    "export_cameras": False,
    "export_lights": False,
    "export_skins": True,
    "export_all_influences": True,
    "export_morph": True,
    "export_morph_normal": True,
    "export_morph_animation": True,
    "export_animations": True,
    "export_animation_mode": "ACTIVE_ACTIONS",
    "export_force_sampling": True,
    "export_frame_step": 1,
    "export_optimize_animation_size": False,
    "export_leaf_bone": False,
    "export_def_bones": False,
    "export_apply": False,
    "export_yup": True,
    "export_extras": False,
}


def output_paths(filepath: str, export_format: str) -> list[Path]:
    """The files a ``GLB`` (one file) or ``GLTF_SEPARATE`` (``.gltf`` + ``.bin``) export writes."""
    if export_format not in GLTF_FORMATS:
        raise ValueError(f"unknown glTF format {export_format!r} ({', '.join(GLTF_FORMATS)})")
    path = Path(filepath)
    if path.suffix.lower() in (".glb", ".gltf"):
        path = path.with_suffix("")
    path = path.with_name(path.name + GLTF_FORMATS[export_format])
    return [path] if export_format == "GLB" else [path, path.with_suffix(".bin")]


def export_gltf(context: bpy.types.Context, arm: bpy.types.Object, mesh: bpy.types.Object, filepath: str,
                export_format: str = "GLB", overwrite: bool = False,
                progress: Progress = no_progress) -> list[Path]:
    """Write the avatar and its take as glTF. Returns the files written (the .glb, or the .gltf and its .bin).
    Raises ``FusionError`` when a file exists and ``overwrite`` is off; the scene is left as it was, and a failed
    export leaves no file behind."""
    paths = output_paths(filepath, export_format)
    export_files.check_outputs(paths, overwrite)
    progress(0, 2, f"exporting glTF ({export_format})")
    options = dict(GLTF_OPTIONS, export_format=export_format)

    def write(folder: Path) -> None:
        with export_scope.only_avatar_selected(context, arm, mesh):
            result = bpy.ops.export_scene.gltf(filepath=str(folder / paths[0].name), check_existing=False,
                                               **options)
        if result != {"FINISHED"}:
            raise RuntimeError(f"Blender's glTF exporter returned {sorted(result)}")

    written = export_files.write_atomically(paths, write, overwrite)
    progress(2, 2, f"wrote {paths[0]}")
    return written
