"""The project's data contracts: what crosses from one feature to the next (docs/ARCHITECTURE.md, file contracts).

Modules:

* :mod:`.estimates`   what the readers (``core.io``) hand to fusion: :class:`BodyEstimate`, :class:`FaceEstimate`,
                      :class:`HandDetections`, arrays in each estimator's own conventions;
* :mod:`.fused_file`  the fused sequence file ``*.fused.npz``, schema v1: :class:`FusedSequence`,
                      :func:`read_fused`, :func:`write_fused` (atomic), :func:`validate`.

numpy only (runs inside Blender).
"""
from __future__ import annotations

from .estimates import BodyEstimate, FaceEstimate, HandDetections
from .fused_file import PART_WEIGHTS_KEY, SCHEMA, FusedSequence, read_fused, validate, write_fused

__all__ = ["BodyEstimate", "FaceEstimate", "HandDetections", "SCHEMA", "PART_WEIGHTS_KEY", "FusedSequence",
           "read_fused", "write_fused", "validate"]
