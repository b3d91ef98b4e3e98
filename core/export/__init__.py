"""Exports of a fused take to other tools' formats (files written atomically).

Modules:

* :mod:`.amass`  AMASS-style ``.npz`` (``poses`` (T, 165), ``trans``, ``betas``...): :func:`fused_to_amass`,
                 :func:`write_amass`;
* :mod:`.arkit`  the 52 ARKit face curves as CSV and JSON: :func:`arkit_take`, :func:`write_arkit_files`,
                 :func:`read_arkit_csv` (the mapping itself is :mod:`core.fusion.expression`).

numpy only (runs inside Blender).
"""
from __future__ import annotations

from .amass import fused_to_amass, write_amass
from .arkit import ARKIT_FORMAT, ArkitTake, arkit_paths, arkit_take, read_arkit_csv, write_arkit_files

__all__ = ["fused_to_amass", "write_amass", "ARKIT_FORMAT", "ArkitTake", "arkit_take", "arkit_paths",
           "write_arkit_files", "read_arkit_csv"]
