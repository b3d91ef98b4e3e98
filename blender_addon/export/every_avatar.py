"""Exporting every avatar of the scene at once (the people of a clip), one file (or file set) each.

The exports take the active avatar (``scope`` ``ACTIVE``, :func:`..common.avatar.find_avatar`) or every avatar
(``ALL``). With ``ALL`` the chosen file gives the folder, the stem and the extension, and each avatar is written to
``<folder>/<stem>.<label><ext>``: ``label`` is ``person<ID>`` for a person of a clip (the armature's track id),
else the armature's name made file-safe (also for every avatar when two would share a label).

All or nothing: every avatar is exported into a private folder next to the destination first; only when all of
them succeeded are the files checked against ``overwrite`` and moved into place. A failure on any avatar leaves
the destination folder as it was, and each exporter leaves the scene as it was.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import bpy

from ..common.avatar import TRACK_PROPERTY, body_mesh_of, scene_avatars
from ..common.progress import Progress, no_progress
from ..core.errors import FusionError
from . import files as export_files

__all__ = ["EXPORT_SCOPES", "clip_stem", "avatar_labels", "per_avatar_filepath", "every_avatar",
           "export_every_avatar"]

#: ``scope`` of the export operators: (identifier, name, description).
EXPORT_SCOPES = (
    ("ACTIVE", "Active avatar", "Export the avatar of the active object (or the scene's only avatar)"),
    ("ALL", "Every avatar", "Export every avatar of the scene, one file each: <name>.person<ID> for the people of "
                            "a clip, else <name>.<avatar>"),
)

#: ``export_one(arm, mesh, filepath) -> (files written, warnings)``: one avatar through one exporter.
ExportOne = Callable[[bpy.types.Object, bpy.types.Object, str], tuple[list[Path], list[str]]]

_PERSON_SUFFIX = re.compile(r"\.person\d+$")


def clip_stem(stem: str) -> str:
    """``duo.person3`` -> ``duo``: the clip's name in a person file's stem (other stems unchanged)."""
    return _PERSON_SUFFIX.sub("", stem) or stem


def avatar_labels(avatars: list[bpy.types.Object]) -> list[str]:
    """One file-name label per avatar: ``person<ID>`` from the track id, or the file-safe armature name (for every
    avatar when any two labels would collide, e.g. two clips with a person 0 each)."""
    names = [bpy.path.clean_name(arm.name) for arm in avatars]
    tracks = [f"person{int(arm[TRACK_PROPERTY])}" if TRACK_PROPERTY in arm else name
              for arm, name in zip(avatars, names)]
    return tracks if len(set(tracks)) == len(tracks) else names


def per_avatar_filepath(filepath: str, label: str, default_ext: str) -> str:
    """``/out/duo.fbx`` and ``person0`` -> ``/out/duo.person0.fbx`` (``default_ext`` when the name has none)."""
    path = Path(filepath)
    ext = path.suffix or default_ext
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return str(path.with_name(f"{stem}.{label}{ext}"))


def every_avatar(context: bpy.types.Context) -> list[tuple[bpy.types.Object, bpy.types.Object]]:
    """(armature, body mesh) of every avatar in the scene, by track id then name; raises ``FusionError`` when there
    is none or one has lost its body mesh."""
    avatars = scene_avatars(context.scene)
    if not avatars:
        raise FusionError("no imported SMPL-X avatar in this scene (File > Import > Fused SMPL-X first)",
                          field="scope")
    out = []
    for arm in avatars:
        mesh = body_mesh_of(arm)
        if mesh is None:
            raise FusionError(f"the avatar '{arm.name}' has no body mesh with shape keys", path=arm.name,
                              field="mesh")
        out.append((arm, mesh))
    return out


def export_every_avatar(targets: list[tuple[bpy.types.Object, bpy.types.Object]], filepath: str,
                        default_ext: str, overwrite: bool, export_one: ExportOne,
                        progress: Progress = no_progress) -> tuple[list[Path], list[str]]:
    """Export each of ``targets`` through ``export_one`` to :func:`per_avatar_filepath`, all or nothing (module
    docstring). Returns (every file written, in avatar order; warnings prefixed with the avatar's name)."""
    destination = Path(filepath)
    folder = destination.parent
    if not folder.is_dir():
        raise FusionError("the folder does not exist", path=folder, field="filepath")
    labels = avatar_labels([arm for arm, _ in targets])
    # fail early on the names we can tell before exporting (an exporter may add files, checked again below)
    first_guess = [Path(per_avatar_filepath(filepath, label, default_ext)) for label in labels]
    export_files.check_outputs(first_guess, overwrite)
    staging = Path(tempfile.mkdtemp(prefix=".smplx_fusion_export_all_", dir=folder))
    try:
        staged: list[Path] = []
        warnings: list[str] = []
        for i, ((arm, mesh), label) in enumerate(zip(targets, labels)):
            progress(i, len(targets), f"exporting '{arm.name}'")
            written, avatar_warnings = export_one(arm, mesh, per_avatar_filepath(
                str(staging / destination.name), label, default_ext))
            staged.extend(written)
            warnings.extend(f"{arm.name}: {w}" for w in avatar_warnings)
        final = [folder / p.name for p in staged]
        export_files.check_outputs(final, overwrite)
        for src, dst in zip(staged, final):
            os.replace(src, dst)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(len(targets), len(targets), f"wrote {len(final)} files")
    return final, warnings
