"""The pose-corrective shape keys an avatar carries: the basis the import builds them from and the read-back
writes their weights with (``NONE``, ``FULL`` or ``COMPACT``, the import's ``pose_correctives`` setting)."""
from __future__ import annotations

from typing import Optional

from ..core.body.correctives import CorrectiveBasis, compact_basis, full_basis
from ..core.body.model import BodyModel

__all__ = ["corrective_basis"]


def corrective_basis(model: BodyModel, mode: str) -> Optional[CorrectiveBasis]:
    """The pose-corrective shape keys to build: none, all 486, or the exact compact SVD basis (<= 1e-5 m)."""
    if mode == "NONE":
        return None
    if mode == "FULL":
        return full_basis(model.pose_dirs)
    if mode == "COMPACT":
        return compact_basis(model.pose_dirs)
    raise ValueError(f"unknown pose-corrective mode {mode!r} (NONE, FULL or COMPACT)")
