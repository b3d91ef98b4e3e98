"""Opening estimator files as plain Python mappings, safely: ``.npz``, ``.npy``, ``.pkl`` and ``.json``.

Nothing here executes code from a file:
- ``.pkl`` goes through :func:`core.fileio.safe_pickle.load_pickle` (numpy arrays and plain containers only);
- ``.npz`` / ``.npy`` are read by :mod:`core.fileio.safe_pickle` without ``pickle``: an *object* array inside one
  (``np.savez(out, **d)`` with a dict or a string-object value writes one) is handed to the same restricted
  unpickler; every array header is checked against the bytes that follow before anything is allocated.

Every failure (missing file, truncated archive, bad JSON) becomes an :class:`EstimatorInputError` naming the file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..fileio.safe_pickle import load_npy_file, load_pickle, short_reason
from ..fileio.safe_pickle import load_npz as safe_load_npz
from .input_errors import EstimatorInputError

PathLike = Union[str, Path]

#: File suffixes the readers open.
ARRAY_SUFFIXES = (".npz", ".pkl", ".npy", ".json")


def _unwrap(value: Any) -> Any:
    """0-d object arrays (``np.savez(out, key=a_dict)``) become the object they hold."""
    if isinstance(value, np.ndarray):
        return value.item() if value.dtype.hasobject and value.ndim == 0 else value
    return value


def load_npz(path: PathLike) -> dict[str, Any]:
    """All members of an ``.npz`` archive as a dict of arrays (0-d object arrays are unwrapped with ``.item()``).

    Each member is checked and streamed by :func:`core.fileio.safe_pickle.load_npz` (headers against the bytes that
    follow, object arrays through the restricted unpickler).
    """
    data = safe_load_npz(path, error=EstimatorInputError, allow_objects=True)
    return {key: _unwrap(value) for key, value in data.items()}


def load_npy(path: PathLike) -> Any:
    """One ``.npy`` file (object arrays through the restricted unpickler; 0-d object arrays unwrapped).

    Plain arrays of 64 MiB or more are memory-mapped read-only rather than read.
    """
    return _unwrap(load_npy_file(path, error=EstimatorInputError, allow_objects=True))


def load_json(path: PathLike) -> Any:
    """A JSON document."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EstimatorInputError("file not found", path=path) from None
    except IsADirectoryError:
        raise EstimatorInputError("expected a JSON file, found a folder", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EstimatorInputError(f"cannot read the file as UTF-8 text ({short_reason(exc)})", path=path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EstimatorInputError(f"not valid JSON, truncated or corrupt ({exc.msg} at line {exc.lineno})",
                                  path=path) from None


def load_pickle_file(path: PathLike) -> Any:
    """A ``.pkl`` through the restricted unpickler (raises ``UnsafePickleError`` for refused classes)."""
    path = Path(path)
    if not path.exists():
        raise EstimatorInputError("file not found", path=path)
    return load_pickle(path)


def load_mapping(path: PathLike) -> dict[str, Any]:
    """A file whose top level is a key -> value mapping (``.npz``, ``.pkl``, ``.json``, or a dict saved as ``.npy``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        data: Any = load_npz(path)
    elif suffix == ".pkl":
        data = load_pickle_file(path)
    elif suffix == ".json":
        data = load_json(path)
    elif suffix == ".npy":
        data = load_npy(path)
    else:
        raise EstimatorInputError(f"unsupported file type '{suffix}' (expected one of {', '.join(ARRAY_SUFFIXES)})",
                                  path=path)
    if not isinstance(data, dict):
        raise EstimatorInputError(f"expected a mapping of named arrays at the top level, found {type(data).__name__}",
                                  path=path)
    return {str(k): v for k, v in data.items()}


def load_any(path: PathLike) -> Any:
    """A ``.npz`` (dict), ``.pkl`` (any admitted structure, e.g. a list of dicts), ``.npy`` or ``.json`` file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return load_npz(path)
    if suffix == ".pkl":
        return load_pickle_file(path)
    if suffix == ".json":
        return load_json(path)
    if suffix == ".npy":
        return load_npy(path)
    raise EstimatorInputError(f"unsupported file type '{suffix}' (expected one of {', '.join(ARRAY_SUFFIXES)})",
                              path=path)
