"""Readers for estimator outputs: files in, arrays out (:mod:`core.contracts.estimates` dataclasses); nothing here
knows fusion. numpy only.

Modules:

* :mod:`.smplerx`, :mod:`.pixie`, :mod:`.amass`  body readers (SMPLer-X / SMPLest-X, PIXIE, AMASS-style npz);
* :mod:`.emoca`    EMOCA / DECA face codes; :mod:`.wilor`  WiLoR / HaMeR hand dumps; each reader records the
                   conventions it found in the estimator's own code in its docstring and in every estimate's
                   ``source``;
* :mod:`.registry`  recognises a path's format and reads it with the right reader (:func:`read_body`...);
* :mod:`.loaders`, :mod:`.array_checks`, :mod:`.frames`, :mod:`.assemble`, :mod:`.input_errors`  what the readers
                   share: safe npz/npy/pkl/json opening, key, shape and finiteness checks, rows to frame numbers,
                   rows to estimates, :class:`EstimatorInputError`;
* :mod:`.flame_model`, :mod:`.face_units`, :mod:`.expression_mapper_file`  the face files expression transfer
                   needs (FLAME and its SMPL-X vertex ids, a model's ARKit face units, fitted mappers as plain
                   arrays; the mapper objects are built in :mod:`core.fusion.expression`).
"""
from __future__ import annotations

from .amass import read_amass
from .emoca import read_emoca, read_emoca_faces
from .input_errors import EstimatorInputError
from .pixie import read_pixie
from .registry import FORMATS, detect_format, read_bodies, read_body, read_face, read_faces, read_hands
from .smplerx import crop_intrinsics, read_smplerx, read_smplerx_people, read_smplestx, read_smplestx_people
from .wilor import read_wilor

__all__ = [
    "EstimatorInputError", "FORMATS", "detect_format",
    "read_body", "read_bodies", "read_face", "read_faces", "read_hands",
    "read_smplerx", "read_smplerx_people", "read_smplestx", "read_smplestx_people", "crop_intrinsics",
    "read_pixie", "read_amass", "read_emoca", "read_emoca_faces", "read_wilor",
]
