"""A clip with several people (``python -m core fuse-clip``'s ``<stem>.clip.json``) -> one avatar per person, one
camera, one take root.

Each person's ``<stem>.person<ID>.fused.npz`` is imported by :func:`.importer.import_fused_file` as its own avatar
(armature, mesh, shape keys, animation; the panels work on whichever is active), all sharing the camera built for
the first one, since fuse-clip puts everyone in one camera. Every file spans the whole clip, so Blender frame
``1 + i`` is the same footage frame for everyone. One empty, the take root, parents every rig and the camera and
puts the clip's shared floor (the files' ``ground_plane``, else one estimated from the first person's feet) at
Blender's z = 0. The caller owns atomicity (the operator is an ``AtomicOperator``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import bpy

from ..common import take_root
from ..common.avatar import CAMERA_PROPERTY, TRACK_PROPERTY
from ..common.progress import Progress, no_progress
from ..core.body.builtin import resolve_model
from ..core.body.model import load_body_model
from ..core.contracts.fused_file import read_fused
from ..core.errors import FusionError
from . import importer

__all__ = ["CLIP_PROPERTY", "ClipImportResult", "read_clip_summary", "import_clip_file"]

#: On every armature of a clip: the clip file it came from (its track id is ``common.avatar.TRACK_PROPERTY``).
CLIP_PROPERTY = "smplx_fusion_clip"


@dataclass
class ClipImportResult:
    armatures: list
    camera: Optional[bpy.types.Object]
    root: Optional[bpy.types.Object]
    warnings: list = field(default_factory=list)


def read_clip_summary(path: str) -> list[tuple[int, Path]]:
    """``[(track id, fused file)]`` of a ``<stem>.clip.json``; raises ``FusionError`` naming the file and field."""
    clip = Path(path)
    try:
        data = json.loads(clip.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FusionError("file not found", path=clip) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FusionError(f"not a readable clip file ({type(exc).__name__})", path=clip) from None
    people = data.get("people") if isinstance(data, dict) else None
    if not isinstance(people, list) or not people:
        raise FusionError("expected a non-empty list of people (python -m core fuse-clip writes it)", path=clip,
                          field="people")
    out = []
    for entry in people:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or \
                not isinstance(entry.get("track_id"), int):
            raise FusionError("each person needs 'track_id' (int) and 'file' (str)", path=clip, field="people")
        f = clip.parent / entry["file"]
        if not f.is_file():
            raise FusionError(f"the person file {entry['file']} is missing", path=clip, field="people")
        out.append((int(entry["track_id"]), f))
    return out


def import_clip_file(context: bpy.types.Context, filepath: str, model_path: str = "",
                     model_cache_dir: Optional[str] = None, pose_correctives: str = "COMPACT",
                     progress: Progress = no_progress,
                     people: Optional[list[tuple[int, Path]]] = None) -> ClipImportResult:
    """Import every person of a clip (see the module docstring); ``people`` (track id, file) when the user picked
    a folder or person files (:func:`.clip_files.clip_people`), else read from the summary ``filepath``."""
    people = read_clip_summary(filepath) if people is None else people
    results, warnings = [], []
    camera = None
    total = len(people) + 1
    for i, (track_id, path) in enumerate(people):
        progress(i, total, f"importing person {track_id}")
        res = importer.import_fused_file(context, str(path), model_path, model_cache_dir=model_cache_dir,
                                         pose_correctives=pose_correctives, camera=camera)
        camera = res.camera if camera is None else camera
        res.armature[CAMERA_PROPERTY] = camera.name
        res.armature[CLIP_PROPERTY] = str(Path(filepath).resolve())
        res.armature[TRACK_PROPERTY] = track_id
        results.append(res)
        warnings.extend(f"person {track_id}: {w}" for w in res.warnings)
    progress(len(people), total, "placing the take root on the shared floor")
    first = read_fused(people[0][1])
    model = load_body_model(resolve_model(model_path, first.gender, model_cache_dir), first.gender)
    plane, source = take_root.ground_for_alignment(first, model, str(people[0][1]))
    stem = Path(filepath).name.removesuffix(".json").removesuffix(".clip")
    collection = bpy.data.collections.new(f"{stem}-clip")
    context.scene.collection.children.link(collection)
    root = take_root.add_take_root(stem, plane, source, [r.armature for r in results] + [camera], collection)
    if source != "file":
        warnings.append(f"the take root stands on a ground estimated from person {people[0][0]}'s feet ({source}): "
                        "the files have no ground_plane")
    progress(total, total, "done")
    return ClipImportResult(armatures=[r.armature for r in results], camera=camera, root=root, warnings=warnings)
