"""The project's own error types: every message names the file, the field and, where it applies, the frame."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union


class FusionError(Exception):
    """Base of every error the project raises on bad input.

    ``str(err)`` is a one-line message meant for a person: ``<file>: field '<field>' [frame N]: <problem>``.
    """

    def __init__(self, message: str, *, path: Optional[Union[str, Path]] = None,
                 field: Optional[str] = None, frame: Optional[int] = None) -> None:
        self.path = str(path) if path is not None else None
        self.field = field
        self.frame = frame
        self.problem = message
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.path:
            parts.append(self.path)
        where = []
        if self.field:
            where.append(f"field '{self.field}'")
        if self.frame is not None:
            where.append(f"frame {self.frame}")
        if where:
            parts.append(" ".join(where))
        prefix = ": ".join(parts)
        return f"{prefix}: {self.problem}" if prefix else self.problem


class ModelFileError(FusionError):
    """A body-model file is missing, unreadable, or lacks / mis-shapes a key."""


class FusedFileError(FusionError):
    """A fused-sequence file does not follow schema v1."""


class UnsafePickleError(FusionError):
    """A pickle tried to load a class outside the allow-list; nothing from it was executed."""
