"""The independent implementation the rig is checked against: the smplx package's forward pass
(``core.body.smplx_forward``, which wraps ``smplx.SMPLX`` and nothing of the add-on)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.body.smplx_forward import smplx_forward
from core.contracts.fused_file import FusedSequence


def smplx_vertices(model_file: Path, seq: FusedSequence, frames: np.ndarray | None = None) -> np.ndarray:
    """(T', V, 3) float64 vertices from ``smplx.SMPLX`` (flat hands, no PCA) for ``seq`` (camera frame)."""
    return smplx_forward(model_file, seq, frames)[1]
