"""Matching data rows to footage frame numbers.

Three sources of frame numbers, in the order readers try them:
1. a key in the file (``frame_ids``, ``frame_id``, ``frames``, ``frame``, ``frame_idx``, ``frame_index``);
2. file names: ``000123.npz``, ``frame_000123.pkl``, ``IMG_1331_frame00180_param.pkl`` (the last run of digits),
   or, where an estimator writes a per-frame detection index after the frame (SMPLer-X ``00123_0.npz``, EMOCA
   ``000123_000/``, WiLoR per-crop ``000123_1.npz``), ``<frame>_<index>``;
3. the row index (``start``, ``start + 1``, ...), recorded as a warning when a file gave no frame numbers.

:func:`layout_frames` then turns the per-row numbers into a dense, sorted timeline:
- a frame given twice is an error naming both sources (never silently dropped);
- rows out of order are sorted and the reordering is reported in the returned warnings;
- frames missing between the first and last become rows with ``valid=False`` (also reported).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from .input_errors import EstimatorInputError

#: Keys that may hold per-row frame numbers in a batched file.
FRAME_KEYS = ("frame_ids", "frame_id", "frames", "frame", "frame_idx", "frame_index", "frame_indices")

#: Gaps are filled with invalid rows only while the timeline stays below this many rows (or 10x the data).
MAX_GAP_FILL = 1_000_000

#: Frame numbers beyond +-MAX_FRAME_NUMBER are not footage frames (a 10**12-frame take lasts over a thousand
#: years at 24 fps); digits in names that large are not read as frame numbers, and keys holding them are errors.
MAX_FRAME_NUMBER = 10 ** 12

_DIGITS = re.compile(r"\d+")
_FRAME_AND_INDEX = re.compile(r"^(?:.*?\D)?(\d+)_(\d+)$")


def strip_suffixes(name: str, suffixes: Sequence[str] = ()) -> str:
    """``name`` without its file extension and without any of ``suffixes`` at its end (e.g. ``_param``)."""
    stem = Path(name).name
    for ext in (".npz", ".pkl", ".npy", ".json", ".txt"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    for suf in suffixes:
        if suf and stem.endswith(suf):
            stem = stem[: -len(suf)]
    return stem


def frame_from_name(name: str, suffixes: Sequence[str] = ()) -> Optional[int]:
    """The frame number in a file or folder name: its last run of digits (``frame_000123`` -> 123), or None."""
    runs = _DIGITS.findall(strip_suffixes(name, suffixes))
    return int(runs[-1].lstrip("0") or "0") if runs and _frame_sized(runs[-1]) else None


def _frame_sized(digits: str) -> bool:
    """Digits small enough to be a frame number (never parses a long run: Python limits int() to 4300 digits)."""
    significant = digits.lstrip("0") or "0"
    return len(significant) <= 13 and int(significant) <= MAX_FRAME_NUMBER


def frame_and_index_from_name(name: str, suffixes: Sequence[str] = ()) -> tuple[Optional[int], Optional[int]]:
    """``(frame, index)`` from ``<frame>_<index>`` names (``00123_0`` -> (123, 0)); otherwise
    ``(frame_from_name(name), None)``."""
    stem = strip_suffixes(name, suffixes)
    match = _FRAME_AND_INDEX.match(stem)
    if match and _frame_sized(match.group(1)) and _frame_sized(match.group(2)):
        return int(match.group(1).lstrip("0") or "0"), int(match.group(2).lstrip("0") or "0")
    return frame_from_name(stem), None


def frames_from_names(names: Sequence[str], where: Any, suffixes: Sequence[str] = (),
                      warnings: Optional[list] = None) -> np.ndarray:
    """Frame numbers for per-frame files/folders, in the given order.

    If no name carries digits the files are numbered 0, 1, ... in name order and a warning is recorded; if only
    some do, that is an error naming the first one without.
    """
    parsed = [frame_from_name(n, suffixes) for n in names]
    if all(p is None for p in parsed):
        if warnings is not None and len(names) > 1:
            warnings.append(f"{where}: no frame numbers in the file names; frames numbered 0..{len(names) - 1} "
                            f"in name order")
        return np.arange(len(names), dtype=np.int64)
    for name, p in zip(names, parsed):
        if p is None:
            raise EstimatorInputError("cannot read a frame number from this name (expected at most 12 digits, "
                                      "e.g. 000123.npz or frame_000123.pkl)", path=Path(str(where)) / name,
                                      field="frame")
    return np.asarray(parsed, dtype=np.int64)


def frames_from_key(data: Mapping[str, Any], n_rows: int, path: Any) -> tuple[Optional[str], Optional[np.ndarray]]:
    """``(key, frame numbers)`` from the first frame key present in a batched file, or ``(None, None)``."""
    for key in FRAME_KEYS:
        if key in data:
            try:
                raw = np.asarray(data[key])
            except (TypeError, ValueError, OverflowError, RecursionError):
                raise EstimatorInputError("frame numbers must be a list of integers", path=path, field=key) from None
            if raw.ndim == 0:
                raw = raw.reshape(1)
            if raw.ndim != 1 or raw.shape[0] != n_rows:
                raise EstimatorInputError(f"expected {n_rows} frame numbers (one per row), found shape "
                                          f"{tuple(raw.shape)}", path=path, field=key)
            if raw.dtype.kind not in "biuf":
                raise EstimatorInputError(f"frame numbers must be integers, found dtype {raw.dtype}", path=path,
                                          field=key)
            as_float = raw.astype(np.float64)
            if not np.isfinite(as_float).all() or (as_float != np.round(as_float)).any():
                raise EstimatorInputError("frame numbers must be finite integers", path=path, field=key)
            if (np.abs(as_float) > MAX_FRAME_NUMBER).any():
                raise EstimatorInputError(f"frame numbers must lie within +-{MAX_FRAME_NUMBER:.0e}, found "
                                          f"{as_float[np.abs(as_float) > MAX_FRAME_NUMBER][0]:.6g}", path=path,
                                          field=key)
            return key, as_float.astype(np.int64)
    return None, None


def frames_by_index(n_rows: int, start: int = 0) -> np.ndarray:
    """``start, start + 1, ...`` for a file without frame numbers."""
    return np.arange(start, start + n_rows, dtype=np.int64)


@dataclass
class FrameLayout:
    """Where each footage frame's data comes from.

    Attributes:
        frame_ids: (T,) int64 sorted frame numbers, dense from the first to the last frame present.
        rows: (T,) int64 index into the source rows, ``-1`` where the frame is missing.
        warnings: what was reordered or missing, for ``source["warnings"]``.
    """

    frame_ids: np.ndarray
    rows: np.ndarray
    warnings: list = field(default_factory=list)

    @property
    def present(self) -> np.ndarray:
        """(T,) bool: the frame has a source row."""
        return self.rows >= 0

    def gather(self, values: np.ndarray, fill: Any = 0.0) -> np.ndarray:
        """``values`` (n_rows, ...) placed on the timeline; missing frames get ``fill`` (broadcast to a row)."""
        values = np.asarray(values)
        out = np.empty((len(self.rows),) + values.shape[1:], dtype=values.dtype)
        out[...] = fill
        ok = self.present
        out[ok] = values[self.rows[ok]]
        return out


def _ranges(frames: Sequence[int]) -> str:
    """``1-3, 7, 9-10`` for a sorted list of ints."""
    parts = []
    frames = list(frames)
    i = 0
    while i < len(frames):
        j = i
        while j + 1 < len(frames) and frames[j + 1] == frames[j] + 1:
            j += 1
        parts.append(str(frames[i]) if i == j else f"{frames[i]}-{frames[j]}")
        i = j + 1
    text = ", ".join(parts[:12])
    return text + (" ..." if len(parts) > 12 else "")


def layout_frames(frame_numbers: Sequence[int], where: Any, *, sources: Optional[Sequence[Any]] = None,
                  field: str = "frame", fill_gaps: bool = True, report_order: bool = True) -> FrameLayout:
    """Sort per-row frame numbers onto a dense timeline.

    Args:
        frame_numbers: (n,) frame number of each source row.
        where: file or folder, for messages.
        sources: per-row file names, so that a duplicate names both files.
        field: the key the numbers came from, for messages.
        fill_gaps: add ``valid=False`` rows for frames missing between the first and the last.
        report_order: record a warning when rows were not in increasing frame order (off for file listings,
            whose order means nothing).

    Raises:
        EstimatorInputError: a frame number appears twice.
    """
    frames = np.asarray(frame_numbers, dtype=np.int64).reshape(-1)
    warnings: list = []
    if frames.size == 0:
        return FrameLayout(np.zeros(0, np.int64), np.zeros(0, np.int64), warnings)
    order = np.argsort(frames, kind="stable")
    sorted_frames = frames[order]
    dup = np.nonzero(np.diff(sorted_frames) == 0)[0]
    if dup.size:
        a, b = int(order[dup[0]]), int(order[dup[0] + 1])
        frame = int(sorted_frames[dup[0]])
        if sources is not None:
            detail = f"given by both {sources[a]} and {sources[b]}"
        else:
            detail = f"given by rows {a} and {b}"
        n_dup = int(dup.size)
        raise EstimatorInputError(f"frame {frame} appears more than once ({detail}"
                                  + (f"; {n_dup} duplicated frames in all" if n_dup > 1 else "")
                                  + "); remove the duplicates or keep one file per frame",
                                  path=where, field=field, frame=frame)
    if report_order and (np.diff(frames) < 0).any():
        first_bad = int(np.nonzero(np.diff(frames) < 0)[0][0])
        warnings.append(f"{where}: field '{field}': rows are not in frame order (frame {int(frames[first_bad + 1])} "
                        f"follows frame {int(frames[first_bad])}); they were sorted by frame number")
    span = int(sorted_frames[-1] - sorted_frames[0]) + 1
    if fill_gaps and span > max(10 * frames.size, MAX_GAP_FILL):
        raise EstimatorInputError(f"frame numbers span {span} frames ({int(sorted_frames[0])}..."
                                  f"{int(sorted_frames[-1])}) for only {frames.size} rows; they do not look like "
                                  f"frame numbers (timestamps?)", path=where, field=field)
    if fill_gaps:
        frame_ids = np.arange(sorted_frames[0], sorted_frames[-1] + 1, dtype=np.int64)
        rows = np.full(frame_ids.shape, -1, dtype=np.int64)
        rows[sorted_frames - sorted_frames[0]] = order
        missing = frame_ids[rows < 0]
        if missing.size:
            warnings.append(f"{where}: {missing.size} frame(s) missing between {int(frame_ids[0])} and "
                            f"{int(frame_ids[-1])} ({_ranges(missing.tolist())}); those rows are marked invalid")
    else:
        frame_ids = sorted_frames
        rows = order.astype(np.int64)
    return FrameLayout(frame_ids, rows, warnings)


def fill_nearest(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Copy of ``values`` (T, ...) whose rows where ``ok`` is False take the nearest ``ok`` row (earlier on ties).

    Used for per-frame cameras of missing frames, so that invalid rows still hold a usable intrinsic matrix.
    """
    out = np.array(values, copy=True)
    idx = np.nonzero(ok)[0]
    if idx.size == 0 or idx.size == len(ok):
        return out
    t = np.arange(len(ok))
    pos = np.clip(np.searchsorted(idx, t), 0, idx.size - 1)
    prev = idx[np.clip(pos - 1, 0, idx.size - 1)]
    nxt = idx[pos]
    nearest = np.where(np.abs(t - prev) <= np.abs(nxt - t), prev, nxt)
    out[~ok] = values[nearest[~ok]]
    return out
