"""Readers for estimator outputs: files in, arrays out (``core.estimates`` dataclasses); nothing here knows fusion.

One module per estimator (``smplerx``, ``pixie``, ``amass``, ``emoca``, ``wilor``), each recording the conventions
it found in the estimator's own code in its docstring and in every estimate's ``source``; ``registry`` recognises
a path's format. Shared pieces: ``loaders`` (safe npz/npy/pkl/json opening), ``array_checks`` (key, shape and
finiteness checks), ``frames`` (rows to frame numbers), ``assemble`` (rows to estimates). numpy only.
"""
from __future__ import annotations

from .amass import read_amass
from .emoca import read_emoca, read_emoca_faces
from .input_errors import EstimatorInputError
from .pixie import read_pixie
from .registry import (FORMATS, detect_format, read_bodies, read_body, read_face, read_faces, read_hands)
from .smplerx import crop_intrinsics, read_smplerx, read_smplerx_people, read_smplestx, read_smplestx_people
from .wilor import read_wilor

__all__ = [
    "EstimatorInputError", "FORMATS", "detect_format",
    "read_body", "read_bodies", "read_face", "read_faces", "read_hands",
    "read_smplerx", "read_smplerx_people", "read_smplestx", "read_smplestx_people", "crop_intrinsics",
    "read_pixie", "read_amass", "read_emoca", "read_emoca_faces", "read_wilor",
]
