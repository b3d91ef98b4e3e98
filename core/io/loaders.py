"""Opening estimator files as plain Python mappings, safely: ``.npz``, ``.npy``, ``.pkl`` and ``.json``.

Nothing here executes code from a file:
- ``.pkl`` goes through :func:`core.safe_pickle.load_pickle` (numpy arrays and plain containers only);
- ``.npz`` / ``.npy`` are read with ``allow_pickle=False``; an *object* array inside one (``np.savez(out, **d)``
  with a dict or a string-object value writes one) is handed to the same restricted unpickler, never to
  ``pickle``.

Every failure (missing file, truncated archive, bad JSON) becomes an :class:`EstimatorInputError` naming the file.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..safe_pickle import load_pickle, loads_pickle
from .input_errors import EstimatorInputError

PathLike = Union[str, Path]

#: File suffixes the readers open.
ARRAY_SUFFIXES = (".npz", ".pkl", ".npy", ".json")


def _read_npy_bytes(data: bytes, path: str, member: str) -> np.ndarray:
    """One ``.npy`` payload -> array; object arrays go through the restricted unpickler."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except Exception as exc:  # not an npy payload at all
        raise EstimatorInputError(f"not a readable .npy array ({exc})", path=path, field=member or None) from None
    if dtype.hasobject:
        arr = loads_pickle(data[stream.tell():], path=f"{path}[{member}]" if member else path)
        return np.asarray(arr) if not isinstance(arr, np.ndarray) else arr
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # truncated payload
        raise EstimatorInputError(f"truncated or corrupt array data ({type(exc).__name__}: {exc})",
                                  path=path, field=member or None) from None


def load_npz(path: PathLike) -> dict[str, Any]:
    """All members of an ``.npz`` archive as a dict of arrays (0-d object arrays are unwrapped with ``.item()``)."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise EstimatorInputError("file not found", path=path) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise EstimatorInputError(f"not a readable .npz archive, truncated or corrupt ({exc})", path=path) from None
    out: dict[str, Any] = {}
    with archive:
        for info in archive.infolist():
            name = info.filename
            key = name[:-4] if name.endswith(".npy") else name
            try:
                data = archive.read(info)
            except Exception as exc:  # CRC error, truncated member
                raise EstimatorInputError(f"truncated or corrupt archive member ({type(exc).__name__}: {exc})",
                                          path=path, field=key) from None
            arr = _read_npy_bytes(data, str(path), key)
            if isinstance(arr, np.ndarray) and arr.dtype.hasobject and arr.ndim == 0:
                out[key] = arr.item()
            else:
                out[key] = arr
    return out


def load_npy(path: PathLike) -> Any:
    """One ``.npy`` file (object arrays through the restricted unpickler; 0-d object arrays unwrapped)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EstimatorInputError("file not found", path=path) from None
    except OSError as exc:
        raise EstimatorInputError(f"cannot read the file ({exc.strerror})", path=path) from None
    arr = _read_npy_bytes(data, str(path), "")
    if isinstance(arr, np.ndarray) and arr.dtype.hasobject and arr.ndim == 0:
        return arr.item()
    return arr


def load_json(path: PathLike) -> Any:
    """A JSON document."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EstimatorInputError("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EstimatorInputError(f"cannot read the file as UTF-8 text ({exc})", path=path) from None
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
