"""A Meshcapade ``.mcs`` scene from the Blender scene: every imported avatar's take as the scene holds it now
(edits included, read back by :func:`.amass.read_scene_take`) and the footage camera, written by
:func:`core.interchange.fused_to_mcs` through smplcodec (bundled as a wheel, ``extension_build/wheels.toml``).

The avatar the user selected comes first and its take's camera is the scene's: the camera pose of its fused file
(schema 1.1 ``world_from_camera`` when it has one, else the footage camera at the origin), with its intrinsics.
Every body is placed in the y-up world through its own take's camera pose, so avatars of one clip share a world.
Edits made to the Blender camera object itself are not read (the takes' cameras are). Each avatar's body model
gives its pelvis rest joint.
"""
from __future__ import annotations

from pathlib import Path

import bpy

from ..common.avatar import body_mesh_of, is_avatar
from ..common.progress import Progress, no_progress
from ..core.body.model import load_body_model
from ..core.interchange import fused_to_mcs
from . import files as export_files
from .amass import read_scene_take

__all__ = ["scene_avatars", "export_mcs"]


def scene_avatars(context: bpy.types.Context, lead: bpy.types.Object) -> list[bpy.types.Object]:
    """``lead`` first, then the scene's other imported avatars (with a body mesh) by name."""
    others = sorted((ob for ob in context.scene.objects
                     if ob is not lead and is_avatar(ob) and body_mesh_of(ob) is not None), key=lambda ob: ob.name)
    return [lead, *others]


def export_mcs(context: bpy.types.Context, lead: bpy.types.Object, filepath: str, overwrite: bool = False,
               progress: Progress = no_progress) -> tuple[Path, list[str]]:
    """Write every avatar of the scene and the lead avatar's camera as a ``.mcs`` file. Returns (path, warnings).

    Raises ``FusionError`` when the file exists and ``overwrite`` is off, or when a rig cannot be read back. The
    scene is not changed (the channels are read from the F-curves)."""
    path = Path(filepath)
    if path.suffix.lower() != ".mcs":
        path = path.with_name(path.name + ".mcs")
    export_files.check_outputs([path], overwrite)
    avatars = scene_avatars(context, lead)
    takes, models, warnings = [], [], []
    for i, arm in enumerate(avatars):
        progress(i, len(avatars) + 1, f"reading '{arm.name}' from the rig")
        take = read_scene_take(arm, body_mesh_of(arm))
        takes.append(take.seq)
        models.append(load_body_model(str(arm.get("smplx_fusion_model", "")), take.seq.gender))
        warnings.extend(f"{arm.name}: {w}" for w in take.warnings)
    progress(len(avatars), len(avatars) + 1, f"writing {len(takes)} bodies")
    fused_to_mcs(takes, path, models)
    progress(len(avatars) + 1, len(avatars) + 1, f"wrote {path}")
    return path, warnings
