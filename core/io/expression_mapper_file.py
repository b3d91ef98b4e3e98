"""Expression-mapper files: a fitted mapper as an ``.npz`` of plain arrays (loads with ``allow_pickle=False``).

Layout (``smplx-fusion-expression-mapper/1``): ``header`` is a 0-d string array holding the JSON of the mapper's
``header()`` (``format``, ``method``, ``target``, ``num_source``, ``num_target``, ``bounds``, ``target_names``,
``note``); every other member is one of the method's ``arrays()`` (``core.fusion.expression``: the linear
matrix, the projection's source and target face models, the learned network's folded layers...).

Writing is atomic (:func:`core.fileio.atomic_write.save_npz_atomic`). Reading goes through the project's checked
``.npz`` reader (:func:`core.fileio.safe_pickle.load_npz`); every failure is a :class:`MapperFileError` naming the
file and the member or header entry at fault. This module only moves plain arrays and a header dict between disk and
memory and knows nothing of fusion: the mapper object is built from them by
:func:`core.fusion.expression.mapper_from_arrays` (pure), and read from a file in one call by
:func:`core.fusion.expression.command.read_mapper`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..errors import FusionError
from ..fileio.atomic_write import save_npz_atomic
from ..fileio.safe_pickle import load_npz

#: The file format this module reads and writes (the ``format`` entry of the header).
MAPPER_FORMAT = "smplx-fusion-expression-mapper/1"
HEADER_KEY = "header"


class MapperFileError(FusionError):
    """An expression-mapper file is missing, unreadable, of another format, or lacks a member."""


def mapper_path(path: Union[str, Path]) -> Path:
    """``path`` with ``.npz`` appended when it has another suffix (what :func:`write_mapper` writes)."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def write_mapper(mapper: Any, path: Union[str, Path]) -> Path:
    """Write ``mapper`` (anything with ``header()`` -> dict and ``arrays()`` -> dict of arrays, as every
    ``core.fusion.expression.mapping.ExpressionMapper``) atomically; returns the path written.

    ``.npz`` is appended when ``path`` lacks it. An existing file is replaced (callers ask first: the commands'
    ``--overwrite``).
    """
    header = mapper.header()
    arrays = {k: np.asarray(v) for k, v in mapper.arrays().items()}
    if HEADER_KEY in arrays:
        raise ValueError(f"a mapper array may not be called {HEADER_KEY!r}")
    return save_npz_atomic(mapper_path(path), {HEADER_KEY: np.array(json.dumps(header)), **arrays})


def read_mapper_arrays(path: Union[str, Path]) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` of a mapper file, the header checked for this format and its common entries."""
    path = Path(path)
    arrays = load_npz(path, error=MapperFileError, allow_objects=False)
    if HEADER_KEY not in arrays:
        raise MapperFileError("missing: not an expression-mapper file (written by `python -m core "
                              "expression-mapper`)", path=path, field=HEADER_KEY)
    try:
        header = json.loads(str(arrays.pop(HEADER_KEY)))
    except ValueError:
        raise MapperFileError("not valid JSON", path=path, field=HEADER_KEY) from None
    if not isinstance(header, dict):
        raise MapperFileError("expected a JSON object", path=path, field=HEADER_KEY)
    if header.get("format") != MAPPER_FORMAT:
        raise MapperFileError(f"unknown format {header.get('format')!r} (expected {MAPPER_FORMAT})", path=path,
                              field=f"{HEADER_KEY}.format")
    for key, kind in (("method", str), ("target", str), ("num_source", int), ("num_target", int)):
        if not isinstance(header.get(key), kind) or isinstance(header.get(key), bool):
            raise MapperFileError(f"missing or not a {kind.__name__}", path=path, field=f"{HEADER_KEY}.{key}")
    return header, arrays


__all__ = ["MAPPER_FORMAT", "MapperFileError", "mapper_path", "write_mapper", "read_mapper_arrays"]
