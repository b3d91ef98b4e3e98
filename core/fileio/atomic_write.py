"""Atomic file writes: a temporary file in the target's folder, flushed to disk, renamed over the target.

A failure at any point leaves the target as it was (absent, or the previous file) and no temporary file behind.
The file gets the usual permissions (the umask applies). The project's one atomic writer: bytes
(:func:`write_atomically`), text (:func:`write_text_atomically`) and ``.npz`` archives (:func:`save_npz_atomic`).
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import BinaryIO, Callable, Union

import numpy as np


def write_atomically(path: Union[str, Path], write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(fh)`` on a new temporary binary file next to ``path``, fsync it and rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "xb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text_atomically(path: Union[str, Path], text: str) -> Path:
    """``text`` as UTF-8, written with :func:`write_atomically` (line endings kept as given)."""
    data = text.encode("utf-8")
    return write_atomically(path, lambda fh: fh.write(data))


def save_npz_atomic(path: Union[str, Path], arrays: dict[str, np.ndarray]) -> Path:
    """``np.savez(path, **arrays)``, atomically (:func:`write_atomically`): a failure at any point leaves ``path`` as
    it was (absent, or the previous file) and no temporary file behind. Returns ``path``."""
    return write_atomically(path, lambda fh: np.savez(fh, **arrays))


__all__ = ["write_atomically", "write_text_atomically", "save_npz_atomic"]
