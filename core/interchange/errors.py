"""The errors of the interchange files (Meshcapade ``.smpl`` and ``.mcs``): one line naming the file and the field."""
from __future__ import annotations

from ..errors import FusionError


class InterchangeFileError(FusionError):
    """A ``.smpl`` or ``.mcs`` file cannot be read or written: ``<file>: field '<field>' [frame N]: <problem>``."""


__all__ = ["InterchangeFileError"]
