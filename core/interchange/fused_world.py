"""Where a fused take keeps its camera pose in a world (schema 1.1, optional): ``world_from_camera`` (T, 4, 4) and
``world_up`` (3,). Read from the dataclass field when the schema has one, else from the extras, so this works both
before and after schema 1.1 lands in :mod:`core.contracts.fused_file`."""
from __future__ import annotations

from dataclasses import fields
from typing import Optional

import numpy as np

from ..contracts.fused_file import FusedSequence

WORLD_FROM_CAMERA_KEY = "world_from_camera"
WORLD_UP_KEY = "world_up"


def _field_names() -> set[str]:
    return {f.name for f in fields(FusedSequence)}


def get_world(seq: FusedSequence) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """(``world_from_camera`` (T, 4, 4) or None, ``world_up`` (3,) or None) of ``seq``, as float64."""
    out = []
    for key in (WORLD_FROM_CAMERA_KEY, WORLD_UP_KEY):
        value = getattr(seq, key, None) if key in _field_names() else seq.extras.get(key)
        out.append(None if value is None else np.asarray(value, dtype=np.float64))
    return out[0], out[1]


def set_world(seq: FusedSequence, world_from_camera: np.ndarray, world_up: np.ndarray) -> FusedSequence:
    """Store the camera poses (T, 4, 4) and the up axis (3,) on ``seq`` (in place; returned for chaining)."""
    names = _field_names()
    for key, value in ((WORLD_FROM_CAMERA_KEY, world_from_camera), (WORLD_UP_KEY, world_up)):
        arr = np.asarray(value, dtype=np.float64)
        if key in names:
            setattr(seq, key, arr)
        else:
            seq.extras[key] = arr
    return seq


__all__ = ["WORLD_FROM_CAMERA_KEY", "WORLD_UP_KEY", "get_world", "set_world"]
