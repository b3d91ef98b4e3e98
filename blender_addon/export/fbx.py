"""FBX export of the avatar (armature, skinned mesh, shape keys and the whole take) through Blender's own exporter,
``bpy.ops.export_scene.fbx``, with settings for game engines.

Options shared by every preset (:data:`FBX_COMMON`), and why:

* ``use_selection=True``, ``object_types={'ARMATURE', 'MESH'}``: only the avatar's armature and body mesh
  (:mod:`.scope` selects them for the call). The footage camera stays out: an engine brings its own cameras,
  and other objects of the user's scene do not belong in a character file.
* ``add_leaf_bones=False``: leaf bones are extra ``*_end`` bones that engines import as real joints. SMPL-X has
  exactly its 55 named joints, and retargeting set-ups expect exactly those.
* ``use_armature_deform_only=False``: all 55 bones deform; nothing to drop.
* ``bake_anim=True`` with ``bake_anim_use_all_bones=True`` and ``bake_anim_force_startend_keying=True``: every
  bone keyed on every frame from the first to the last, so engines never infer rest-pose values for unkeyed
  channels. ``bake_anim_step=1``: one sample per frame, as imported.
* ``bake_anim_use_nla_strips=False``, ``bake_anim_use_all_actions=False``: one take, the avatar's current
  action. With "all actions" on, every other action in the .blend would be baked onto this rig as another take.
* ``bake_anim_simplify_factor=0``: no key reduction. The default (1.0) drops keys whose value a straight line
  predicts within a tolerance, which changes the motion; exactness wins over file size here.
* ``use_mesh_modifiers=False``: the Armature modifier becomes the FBX skin (clusters), and the mesh is written
  with its shape keys, which FBX carries as blend shapes (their per-frame weights are baked with the take).
  Applying other modifiers would make the exporter drop the shape keys.
* ``mesh_smooth_type='FACE'``: write smoothing groups. Unity needs them to import blend shapes with normals and
  Unreal warns about their absence; the mesh is smooth-shaded, so the normals are unchanged.
* ``axis_forward='-Z'``, ``axis_up='Y'``: the FBX file's declared axis system is Y up; Unity and Unreal both read
  that declaration and convert to their own axes on import. ``bake_space_transform=False`` (its "Apply
  Transform" is marked experimental and is known to break armature animation).
* ``apply_unit_scale=True``, ``global_scale=1``, ``apply_scale_options='FBX_SCALE_ALL'``: the unit scaling goes
  into the file's ``UnitScaleFactor`` (100: metres in FBX's centimetre units) and every object keeps scale 1, so
  an engine that honours the file unit (Unity shows "1m (File)"; Unreal converts to its centimetres) gets a
  human-sized character without a 100 / 0.01 pair of scales on the root and its children.
* ``use_custom_props=False``: the import's bookkeeping properties (source path, provenance JSON) are not
  engine metadata.

Presets (:data:`FBX_PRESETS`) differ only in the bone axes:

* ``UNITY``: ``primary_bone_axis='Y'``, ``secondary_bone_axis='X'`` (Blender's own). Unity's Humanoid mapping is
  independent of bone axes.
* ``UNREAL``: ``primary_bone_axis='X'``, ``secondary_bone_axis='-Y'``: Unreal skeletons run along each bone's
  local +X (its mannequin does), so retargeting sees matching bone orientations. Joint positions and the motion
  are the same; only the bones' local frames differ.

Both were checked by re-importing the file into Blender (``tests/shots/test_export_formats.py``: bone heads equal
the original scene's within the tolerance given there). They were not tried in Unity or Unreal here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from ..common.progress import Progress, no_progress
from . import files as export_files
from . import scope as export_scope

__all__ = ["FBX_COMMON", "FBX_PRESETS", "fbx_options", "export_fbx"]

FBX_COMMON: dict[str, Any] = {
    "use_selection": True,
    "object_types": {"ARMATURE", "MESH"},
    "add_leaf_bones": False,
    "use_armature_deform_only": False,
    "bake_anim": True,
    "bake_anim_use_all_bones": True,
    "bake_anim_force_startend_keying": True,
    "bake_anim_step": 1.0,
    "bake_anim_use_nla_strips": False,
    "bake_anim_use_all_actions": False,
    "bake_anim_simplify_factor": 0.0,
    "use_mesh_modifiers": False,
    "mesh_smooth_type": "FACE",
    "axis_forward": "-Z",
    "axis_up": "Y",
    "bake_space_transform": False,
    "apply_unit_scale": True,
    "global_scale": 1.0,
    "apply_scale_options": "FBX_SCALE_ALL",
    "use_custom_props": False,
}

FBX_PRESETS: dict[str, dict[str, Any]] = {
    "UNITY": {"primary_bone_axis": "Y", "secondary_bone_axis": "X"},
    "UNREAL": {"primary_bone_axis": "X", "secondary_bone_axis": "-Y"},
}


def fbx_options(preset: str) -> dict[str, Any]:
    """The exporter keyword arguments for ``preset`` (``UNITY`` or ``UNREAL``)."""
    if preset not in FBX_PRESETS:
        raise ValueError(f"unknown FBX preset {preset!r} ({', '.join(FBX_PRESETS)})")
    return {**FBX_COMMON, **FBX_PRESETS[preset]}


def export_fbx(context: bpy.types.Context, arm: bpy.types.Object, mesh: bpy.types.Object, filepath: str,
               preset: str = "UNITY", overwrite: bool = False, progress: Progress = no_progress) -> Path:
    """Write the avatar and its take to ``filepath`` (.fbx). Raises ``FusionError`` when the file exists and
    ``overwrite`` is off; the scene is left as it was, and a failed export leaves no file behind."""
    path = Path(filepath)
    if path.suffix.lower() != ".fbx":
        path = path.with_name(path.name + ".fbx")
    options = fbx_options(preset)
    export_files.check_outputs([path], overwrite)
    progress(0, 2, f"exporting FBX ({preset.lower()} preset)")

    def write(folder: Path) -> None:
        with export_scope.only_avatar_selected(context, arm, mesh):
            result = bpy.ops.export_scene.fbx(filepath=str(folder / path.name), check_existing=False, **options)
        if result != {"FINISHED"}:
            raise RuntimeError(f"Blender's FBX exporter returned {sorted(result)}")

    export_files.write_atomically([path], write, overwrite)
    progress(2, 2, f"wrote {path}")
    return path
