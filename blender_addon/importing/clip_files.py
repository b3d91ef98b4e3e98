"""Which files make up a clip of several people, from what the user picked in the file browser.

A clip is one fused file per person, ``<stem>.person<ID>.fused.npz`` (``python -m core fuse-clip`` also writes
``<stem>.clip.json`` naming them; ``python -m core from-mcs`` writes the person files only). The user may pick:

* the clip summary ``<stem>.clip.json`` (read by :func:`.clip_importer.read_clip_summary`);
* a folder: its one ``*.clip.json``, else its ``*.person<ID>.fused.npz`` files;
* several person files of one clip.

Whatever was picked, every person is checked before anything is built: the track id (the file's ``track_id``
extra, else the ``person<ID>`` of its name; the two must agree), one file per track id, one clip stem, and one
camera for all of them (``camera_K`` and ``image_size`` equal to the first person's within 1e-6 relative), since
the clip is imported under one camera. Each failure is a :class:`FusionError` naming the file and the field.
This module only reads files; it builds nothing in the scene.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from ..core.contracts.fused_file import read_fused
from ..core.errors import FusionError
from .clip_importer import read_clip_summary

__all__ = ["PERSON_FILE", "ClipPeople", "clip_people"]

#: ``<stem>.person<ID>.fused.npz``: the name fuse-clip and from-mcs give each person's fused file.
PERSON_FILE = re.compile(r"^(?P<stem>.+)\.person(?P<track>\d+)\.fused\.npz$")
#: ``(clip name, [(track id, fused file)] by track id)``.
ClipPeople = tuple[str, list[tuple[int, Path]]]

_CAMERA_RTOL = 1e-6


def _from_folder(folder: Path) -> list[Path]:
    summaries = sorted(folder.glob("*.clip.json"))
    if len(summaries) > 1:
        raise FusionError(f"holds {len(summaries)} clip summaries ({', '.join(p.name for p in summaries)}): pick one",
                          path=folder)
    if summaries:
        return summaries
    people = sorted(p for p in folder.iterdir() if PERSON_FILE.match(p.name))
    if not people:
        raise FusionError("holds no <stem>.clip.json and no <stem>.person<ID>.fused.npz files", path=folder)
    return people


def _track_of(path: Path, extras: dict, declared: Optional[int]) -> int:
    """The person's track id: the file's ``track_id`` extra, else the one the clip summary ``declared``, else the
    ``person<ID>`` of its name; raises when two of them disagree."""
    match = PERSON_FILE.match(path.name)
    named = declared if declared is not None else (int(match["track"]) if match else None)
    stored = extras.get("track_id")
    if stored is not None:
        value = np.asarray(stored)
        if value.size != 1 or not np.issubdtype(value.dtype, np.integer):
            raise FusionError(f"expected one integer, found {value.dtype} of shape {value.shape}", path=path,
                              field="track_id")
        if named is not None and int(value.reshape(())) != named:
            said = "the clip summary says" if declared is not None else "the file is named"
            raise FusionError(f"is {int(value.reshape(()))}, but {said} person{named}", path=path,
                              field="track_id")
        return int(value.reshape(()))
    if named is None:
        raise FusionError("is missing, and the name is not <stem>.person<ID>.fused.npz: which person is this?",
                          path=path, field="track_id")
    return named


def _check_people(people: list[tuple[Optional[int], Path]]) -> list[tuple[int, Path]]:
    """Read every person file (with the track id a clip summary declares for it, if any); check one file per
    track and one camera for all. Returns ``(track id, file)`` by track id."""
    first_path, first_camera = None, None
    seen: dict[int, Path] = {}
    out = []
    for declared, path in people:
        seq = read_fused(path)
        track = _track_of(path, seq.extras, declared)
        if track in seen:
            raise FusionError(f"person {track} appears twice ({seen[track].name} and {path.name})", path=path,
                              field="track_id")
        seen[track] = path
        camera_k, size = np.asarray(seq.camera_K, dtype=float), np.asarray(seq.image_size, dtype=float)
        if first_camera is None:
            first_path, first_camera = path, (camera_k, size)
        else:
            for field, mine, theirs in (("image_size", size, first_camera[1]), ("camera_K", camera_k,
                                                                                 first_camera[0])):
                if mine.shape != theirs.shape or not np.allclose(mine, theirs, rtol=_CAMERA_RTOL, atol=0.0):
                    raise FusionError(f"differs from {first_path.name}'s: the people of a clip share one camera "
                                      "(python -m core fuse-clip writes them so)", path=path, field=field)
        out.append((track, path))
    return sorted(out)


def clip_people(picked: Sequence[Union[str, Path]]) -> ClipPeople:
    """The clip the user picked (module docstring): its name and its people, checked, by track id.

    Args:
        picked: one ``.clip.json``, one folder, or several ``.fused.npz`` person files.
    Raises:
        FusionError: nothing usable picked, a mix of kinds, a bad or inconsistent person file (named).
    """
    paths = [Path(p) for p in picked]
    if not paths:
        raise FusionError("pick a <stem>.clip.json, a folder, or the person files of one clip", field="filepath")
    if len(paths) == 1 and paths[0].is_dir():
        paths = _from_folder(paths[0])
    if len(paths) == 1 and paths[0].name.endswith(".clip.json"):
        summary = paths[0]
        declared: list[tuple[Optional[int], Path]] = list(read_clip_summary(str(summary)))
        return summary.name.removesuffix(".clip.json"), _check_people(declared)
    for path in paths:
        if not path.name.endswith(".fused.npz"):
            raise FusionError("expected one <stem>.clip.json or <stem>.person<ID>.fused.npz files", path=path,
                              field="filepath")
        if not path.is_file():
            raise FusionError("file not found", path=path)
    stems = sorted({m["stem"] if (m := PERSON_FILE.match(p.name)) else p.name.removesuffix(".fused.npz")
                    for p in paths})
    if len(stems) > 1:
        raise FusionError(f"the files belong to {len(stems)} clips ({', '.join(stems)}): pick one clip's people",
                          path=paths[0].parent, field="filepath")
    return stems[0], _check_people([(None, p) for p in paths])
