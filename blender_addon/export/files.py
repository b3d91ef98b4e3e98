"""Output files of the exports: never overwrite a user's file by accident, and never leave a half-written one.

Blender's exporters write straight to the path they are given, so a failure halfway would leave a truncated file
(or a truncated replacement of the user's previous one). Here the exporter writes into a private folder next to
the destination (same file system) under the final names, and only a finished export is moved into place with
``os.replace``: a failed export leaves the destination exactly as it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from ..core.errors import FusionError

__all__ = ["check_outputs", "write_atomically"]


def check_outputs(paths: Sequence[Path], overwrite: bool, field: str = "filepath") -> None:
    """Raise ``FusionError`` naming the first existing path of ``paths`` unless ``overwrite``."""
    for path in paths:
        if path.is_dir():
            raise FusionError("is a folder; choose a file name", path=path, field=field)
        if path.exists() and not overwrite:
            raise FusionError("the file exists; enable Overwrite to replace it", path=path, field=field)
    folder = paths[0].parent
    if not folder.is_dir():
        raise FusionError("the folder does not exist", path=folder, field=field)


def write_atomically(paths: Sequence[Path], write: Callable[[Path], None], overwrite: bool) -> list[Path]:
    """Run ``write(private_folder)``, which must create every ``path.name`` of ``paths`` in that folder, then move
    what it wrote into place. On any failure nothing at ``paths`` changes and the private folder is removed.

    Args:
        paths: destination files, all in one folder (e.g. ``take.gltf`` and ``take.bin``).
        write: the exporter call, given the private folder.
        overwrite: whether files the exporter wrote besides ``paths`` (a separate glTF's textures) may replace
            existing ones (``paths`` themselves are checked by :func:`check_outputs` first).
    Returns:
        Every file moved into place, ``paths`` first.
    """
    folder = paths[0].parent
    staging = Path(tempfile.mkdtemp(prefix=".smplx_fusion_export_", dir=folder))
    try:
        write(staging)
        missing = [p.name for p in paths if not (staging / p.name).is_file()]
        if missing:
            raise FusionError(f"the exporter did not write {', '.join(missing)}", path=folder, field="filepath")
        names = {p.name for p in paths}
        extra = sorted(folder / f.name for f in staging.iterdir() if f.is_file() and f.name not in names)
        if extra:
            check_outputs(extra, overwrite)
        moved = list(paths) + extra
        for path in moved:
            os.replace(staging / path.name, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return moved
