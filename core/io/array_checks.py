"""Checks shared by every reader: a key is present, a value has the expected shape, every row is finite.

Each failure raises :class:`EstimatorInputError` naming the file, the field and, for per-frame values, the footage
frame (``frame_ids[row]``, never a bare row index). Non-finite rows can instead be *invalidated*: the caller passes
``nonfinite="invalidate"`` and gets back a mask of bad rows plus a warning string for ``source["warnings"]``.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from .input_errors import EstimatorInputError

PathLike = Any  # str or Path; only used in messages

#: Allowed values of the ``nonfinite`` policy.
NONFINITE_POLICIES = ("raise", "invalidate")


def check_policy(nonfinite: str) -> None:
    if nonfinite not in NONFINITE_POLICIES:
        raise ValueError(f"nonfinite must be one of {NONFINITE_POLICIES}, not {nonfinite!r}")


def find_key(data: Mapping[str, Any], keys: Union[str, Sequence[str]]) -> Optional[str]:
    """The first of ``keys`` present in ``data``, or None."""
    for key in ([keys] if isinstance(keys, str) else keys):
        if key in data:
            return key
    return None


def printable(text: Any, limit: int = 40) -> str:
    """``text`` for a one-line message: at most ``limit`` characters, control characters shown as ``?``."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text)[:limit])


def key_list(data: Mapping[str, Any], limit: int = 24) -> str:
    """The keys of ``data`` for a message: sorted, at most ``limit`` of them, each at most 40 characters."""
    names = sorted(printable(k) for k in data.keys())
    text = ", ".join(names[:limit])
    return (text + f", ... ({len(names)} keys)" if len(names) > limit else text) or "nothing"


def require(data: Mapping[str, Any], keys: Union[str, Sequence[str]], path: PathLike,
            frame: Optional[int] = None) -> tuple[str, Any]:
    """``(key, value)`` for the first of ``keys`` present; otherwise an error listing what the file does hold."""
    key = find_key(data, keys)
    if key is None:
        names = [keys] if isinstance(keys, str) else list(keys)
        found = key_list(data)
        alts = " or ".join(f"'{k}'" for k in names)
        raise EstimatorInputError(f"required key {alts} is missing (the file holds: {found})",
                                  path=path, field=names[0], frame=frame)
    return key, data[key]


def as_float_array(value: Any, path: PathLike, field: str, frame: Optional[int] = None) -> np.ndarray:
    """``value`` as a float64 array, or an error saying what it was."""
    if type(value) is np.ndarray and value.dtype.kind in "fiub":  # plain numbers: the common case
        return value.astype(np.float64, copy=False)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor that slipped into a pickle
        raise EstimatorInputError("holds a torch tensor; save numpy arrays (tensor.detach().cpu().numpy())",
                                  path=path, field=field, frame=frame)
    kind = value.dtype.kind if isinstance(value, np.ndarray) else None
    if isinstance(value, (str, bytes)) or kind in ("U", "S", "c", "M", "m", "V"):
        found = f"dtype {value.dtype}" if kind else type(value).__name__
        raise EstimatorInputError(f"expected numbers, found {found}", path=path, field=field, frame=frame)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        what = "a number too large for a float" if isinstance(exc, OverflowError) else type(value).__name__
        raise EstimatorInputError(f"expected numbers, found {what}", path=path, field=field, frame=frame) from None
    return arr


def as_int_list(value: Any, path: PathLike, field: str, frame: Optional[int] = None) -> list[int]:
    """``value`` (a number or a sequence of numbers) as a list of Python ints, or an error if any is not an integer
    (or lies beyond +-2**53, where floats stop counting exactly)."""
    arr = as_float_array(value, path, field, frame).reshape(-1)
    if not np.isfinite(arr).all() or (arr != np.round(arr)).any() or (np.abs(arr) > 2.0 ** 53).any():
        raise EstimatorInputError(f"expected integers, found {arr.tolist()[:4]}", path=path, field=field, frame=frame)
    return [int(v) for v in arr]


def _shape_str(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def single(value: Any, shape: Sequence[int], path: PathLike, field: str,
           frame: Optional[int] = None) -> np.ndarray:
    """One frame's value with exactly ``shape``; also accepts extra or missing axes of length 1 (a batch axis) and the
    flattened form, never a transposed layout."""
    arr = as_float_array(value, path, field, frame)
    shape = tuple(shape)
    size = int(np.prod(shape)) if shape else 1
    if arr.shape == shape:
        return arr
    squeezed = tuple(d for d in arr.shape if d != 1) == tuple(d for d in shape if d != 1)
    if arr.size == size and (arr.ndim <= 1 or squeezed):
        return arr.reshape(shape)
    raise EstimatorInputError(f"expected shape {_shape_str(shape)} (or {_shape_str((1,) + shape)}), "
                              f"found {_shape_str(arr.shape)}", path=path, field=field, frame=frame)


def per_frame(value: Any, n_rows: int, shape: Sequence[int], path: PathLike, field: str, *,
              broadcast: bool = False) -> np.ndarray:
    """A batched value as ``(n_rows, *shape)``.

    Accepted: ``(n, *shape)`` with extra or missing axes of length 1 (``(n, 1, 3)`` for ``(3,)``), ``(n,
    prod(shape))`` and, when ``n_rows == 1`` or ``broadcast`` is set, one unbatched value (``shape`` or flat), used
    for every row. A transposed layout (``(n, 3, 21)`` for ``(21, 3)``) is refused.
    """
    arr = as_float_array(value, path, field)
    shape = tuple(shape)
    wanted = (n_rows,) + shape
    if arr.shape == wanted:  # the common case, answered without the checks below
        return arr
    size = math.prod(shape)
    if arr.ndim >= 1 and arr.shape[0] == n_rows and arr.size == n_rows * size:
        trailing = tuple(d for d in arr.shape[1:] if d != 1)
        if arr.ndim <= 2 or trailing == tuple(d for d in shape if d != 1):
            return arr.reshape(wanted)
    squeezed = tuple(d for d in arr.shape if d != 1) == tuple(d for d in shape if d != 1)
    if (n_rows == 1 or broadcast) and arr.size == size and (arr.ndim <= 1 or squeezed):
        return np.broadcast_to(arr.reshape(shape), (n_rows,) + shape).copy()
    if arr.ndim >= 2 and size and arr.size == arr.shape[0] * size and arr.shape[0] != n_rows:
        raise EstimatorInputError(f"has {arr.shape[0]} rows but {n_rows} were expected (the per-frame fields "
                                  f"disagree in length)", path=path, field=field)
    raise EstimatorInputError(f"expected shape {_shape_str((n_rows,) + shape)}, found {_shape_str(arr.shape)}",
                              path=path, field=field)


def check_lengths(lengths: Mapping[str, int], path: PathLike) -> int:
    """All fields must have the same number of rows; returns it."""
    distinct = sorted(set(lengths.values()))
    if len(distinct) > 1:
        ref = max(lengths, key=lambda k: list(lengths.values()).count(lengths[k]))
        for name, n in lengths.items():
            if n != lengths[ref]:
                raise EstimatorInputError(f"has {n} rows but '{ref}' has {lengths[ref]} (all per-frame fields must "
                                          f"have one row per frame)", path=path, field=name)
    return distinct[0] if distinct else 0


def leading_length(value: Any, path: PathLike, field: str, per_frame_size: int) -> int:
    """Rows in a value holding ``per_frame_size`` numbers per row: 1 for an unbatched value, else its first axis."""
    arr = as_float_array(value, path, field)
    if arr.size == per_frame_size:
        return 1
    if arr.ndim >= 2 and arr.shape[0] * per_frame_size == arr.size:
        return int(arr.shape[0])
    raise EstimatorInputError(f"cannot be read as rows of {per_frame_size} numbers (shape {_shape_str(arr.shape)})",
                              path=path, field=field)


def nonfinite_rows(arr: np.ndarray) -> np.ndarray:
    """(n,) bool: rows of ``arr`` (n, ...) holding a NaN or an infinity."""
    flat = arr.reshape(arr.shape[0], -1)
    return ~np.isfinite(flat).all(axis=1)


def check_finite(arr: np.ndarray, path: PathLike, field: str, frame_ids: Sequence[int], *,
                 nonfinite: str = "raise", warnings: Optional[list] = None,
                 file_of_row: Optional[Sequence[Any]] = None, read_as: str = "") -> np.ndarray:
    """Rows of ``arr`` with NaN/Inf: raise for the first (``nonfinite="raise"``), or return the mask and append one
    warning per field to ``warnings`` (``"invalidate"``). ``file_of_row`` names the per-frame file of each row;
    ``read_as`` (e.g. ``expression``) says in the warning what the reader made of the field."""
    check_policy(nonfinite)
    bad = nonfinite_rows(arr)
    if not bad.any():
        return bad
    rows = np.nonzero(bad)[0]
    first = int(rows[0])
    where = path if file_of_row is None else file_of_row[first]
    kind = "NaN" if np.isnan(arr[first]).any() else "an infinite value"
    if nonfinite == "raise":
        raise EstimatorInputError(f"holds {kind}" + (f" (and {len(rows) - 1} more frame(s) do)" if len(rows) > 1
                                                     else ""),
                                  path=where, field=field, frame=int(frame_ids[first]))
    frames = [int(frame_ids[r]) for r in rows]
    shown = ", ".join(map(str, frames[:10])) + (" ..." if len(frames) > 10 else "")
    if warnings is not None:
        also = f" (read as {read_as})" if read_as and read_as != field else ""
        warnings.append(f"{path}: field '{field}'{also}: non-finite values in {len(frames)} frame(s) ({shown}); "
                        f"those rows were marked invalid")
    return bad


def check_rotation_matrices(mats: np.ndarray, path: PathLike, field: str, frame_ids: Sequence[int], *,
                            tol: float = 1e-2, skip_rows: Optional[np.ndarray] = None) -> None:
    """Every (..., 3, 3) block, per row, must be a proper rotation (orthonormal, det +1) within ``tol``."""
    n = mats.shape[0]
    m = mats.reshape(n, -1, 3, 3)
    eye = np.eye(3)
    with np.errstate(invalid="ignore"):  # rows skipped as non-finite may hold NaN
        err = np.abs(np.einsum("nkij,nkil->nkjl", m, m) - eye).max(axis=(-2, -1))  # (n, k)
        det = np.linalg.det(m)
    bad = (err > tol) | (np.abs(det - 1.0) > tol)
    if skip_rows is not None:
        bad &= ~skip_rows[:, None]
    if bad.any():
        row, k = (int(v) for v in np.argwhere(bad)[0])
        raise EstimatorInputError(f"entry {k} is not a rotation matrix (|R^T R - I| = {err[row, k]:.3g}, "
                                  f"det = {det[row, k]:.3g})", path=path, field=field, frame=int(frame_ids[row]))
