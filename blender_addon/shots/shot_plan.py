"""Which frames a shot render covers and which files it writes (plain Python: no bpy, testable alone).

Files are ``<out_dir>/<name>_<frame:04d>.png``. An existing file is never replaced unless asked: the check runs
over every planned path before anything is rendered.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence, Union

from ..core.errors import FusionError

__all__ = ["FRAME_MODES", "parse_frame_list", "frames_for", "output_paths", "check_free"]

FRAME_MODES = (("CURRENT", "Current frame", "Render the scene's current frame"),
               ("LIST", "Frame list", "Render the listed frames, e.g. 1,10,20 or 5-9"),
               ("RANGE", "Animation range", "Render every frame from start to end"))
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def parse_frame_list(text: str) -> list[int]:
    """``"1,10,20"`` / ``"5-9, 12"`` -> sorted unique frames. Raises FusionError naming the bad item."""
    frames: set[int] = set()
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        match = re.fullmatch(r"(-?\d+)(?:\s*-\s*(-?\d+))?", item)
        if match is None:
            raise FusionError(f"cannot read {item!r} as a frame or a range a-b", field="frames")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise FusionError(f"the range {item!r} ends before it starts", field="frames")
        if last - first > 100_000:
            raise FusionError(f"the range {item!r} has more than 100,000 frames", field="frames")
        frames.update(range(first, last + 1))
    if not frames:
        raise FusionError("no frames given", field="frames")
    return sorted(frames)


def frames_for(mode: str, frame_list: str, start: int, end: int, current: int) -> list[int]:
    """The frames of a shot: the current one, a list, or ``start..end`` inclusive."""
    if mode == "CURRENT":
        return [current]
    if mode == "LIST":
        return parse_frame_list(frame_list)
    if mode == "RANGE":
        if end < start:
            raise FusionError(f"the range {start}-{end} ends before it starts", field="frame_end")
        return list(range(start, end + 1))
    raise FusionError(f"unknown frame mode {mode!r} (CURRENT, LIST or RANGE)", field="frames_mode")


def output_paths(out_dir: Union[str, Path], name: str, frames: Sequence[int]) -> list[Path]:
    """``<out_dir>/<name>_<frame:04d>.png`` per frame. Raises FusionError for a name with path characters."""
    if not _NAME.match(name):
        raise FusionError(f"the shot name {name!r} may only hold letters, digits, '.', '_' and '-'", field="name")
    out = Path(out_dir)
    return [out / f"{name}_{frame:04d}.png" for frame in frames]


def check_free(paths: Sequence[Path], overwrite: bool) -> None:
    """Raise FusionError naming the first existing file unless ``overwrite``."""
    if overwrite:
        return
    taken = [p for p in paths if p.exists()]
    if taken:
        more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
        raise FusionError(f"exists{more}; choose another folder or name, or allow overwriting", path=taken[0],
                          field="output")
