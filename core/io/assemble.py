"""From per-row arrays (one row per estimator output) to the estimate dataclasses on a dense frame timeline.

Readers collect rows in the estimator's own order, each with its footage frame number (and, for per-frame files,
the file it came from); :func:`body_from_rows` / :func:`face_from_rows` then
- lay the rows out with :func:`core.io.frames.layout_frames` (duplicates are errors; reordering and missing
  frames are reported in ``source["warnings"]``; missing frames become ``valid=False`` rows);
- check every per-frame field is finite (error naming file, field and frame, or ``nonfinite="invalidate"``:
  the row is marked invalid and a warning recorded);
- fill invalid rows with zeros (identity rotations) and their camera with the nearest valid frame's, so that
  downstream code never meets a NaN.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..contracts.estimates import BodyEstimate, FaceEstimate
from .array_checks import as_float_array, check_finite, check_policy
from .frames import fill_nearest, layout_frames
from .input_errors import EstimatorInputError

#: Per-row shapes of the BodyEstimate arrays (betas and expression are (B,) / (E,), sized by the data).
BODY_SHAPES: dict[str, tuple[int, ...]] = {
    "global_orient": (3,), "body_pose": (21, 3), "left_hand_pose": (15, 3), "right_hand_pose": (15, 3),
    "jaw_pose": (3,), "leye_pose": (3,), "reye_pose": (3,), "transl": (3,), "camera_K": (3, 3),
}


def rows_variable(value: Any, n_rows: int, path: Any, field: str) -> np.ndarray:
    """A batched value with a data-sized last axis (betas, expression) as ``(n_rows, D)``."""
    arr = as_float_array(value, path, field)
    if arr.ndim == 0:
        raise EstimatorInputError("expected a vector, found a single number", path=path, field=field)
    if n_rows == 1 and (arr.ndim == 1 or arr.shape[0] == 1):
        return arr.reshape(1, -1)
    if arr.shape[0] == n_rows:
        return arr.reshape(n_rows, -1)
    raise EstimatorInputError(f"has {arr.shape[0]} rows but {n_rows} were expected (the per-frame fields disagree "
                              f"in length)", path=path, field=field)


def stack_rows(parts: Sequence[np.ndarray], field: str, files: Sequence[Any]) -> np.ndarray:
    """Concatenate per-file row blocks, naming the first file whose trailing shape differs."""
    if not parts:
        return np.zeros((0,))
    ref = parts[0].shape[1:]
    for part, f in zip(parts, files):
        if part.shape[1:] != ref:
            raise EstimatorInputError(f"shape {tuple(part.shape[1:])} per frame differs from the first file's "
                                      f"{tuple(ref)}", path=f, field=field)
    return np.concatenate(parts, axis=0)


def _finite_mask(fields: Mapping[str, np.ndarray], frames: np.ndarray, where: Any, nonfinite: str,
                 warnings: list, file_of_row: Optional[Sequence[Any]],
                 names: Optional[Mapping[str, str]] = None) -> np.ndarray:
    """Rows holding NaN / Inf in any field, checked under the file's own key (``names``: field -> key; fields
    read from one key, e.g. AMASS ``poses``, are checked together)."""
    groups: dict[str, list] = {}
    for name, arr in fields.items():
        if arr is not None:
            key = (names or {}).get(name, name)
            groups.setdefault(key, []).append((name, np.asarray(arr).reshape(len(frames), -1)))
    bad = np.zeros(len(frames), dtype=bool)
    for key, members in groups.items():
        arr = np.concatenate([a for _, a in members], axis=1) if len(members) > 1 else members[0][1]
        bad |= check_finite(arr, where, key, frames, nonfinite=nonfinite, warnings=warnings, file_of_row=file_of_row,
                            read_as=", ".join(name for name, _ in members))
    return bad


def _files_entry(files: Sequence[Any]) -> Any:
    uniq = list(dict.fromkeys(str(f) for f in files))
    if len(uniq) <= 20:
        return uniq
    return {"count": len(uniq), "first": uniq[0], "last": uniq[-1]}


def body_from_rows(fields: Mapping[str, np.ndarray], frames: np.ndarray, *, where: Any,
                   hand_pose_relative_to: str, model_variant: str, source: dict,
                   person_id: Optional[int] = None, image_size: Optional[Sequence[float]] = None,
                   bbox: Optional[np.ndarray] = None, score: Optional[np.ndarray] = None,
                   nonfinite: str = "raise", file_of_row: Optional[Sequence[Any]] = None,
                   report_order: bool = True, names: Optional[Mapping[str, str]] = None) -> BodyEstimate:
    """Build a :class:`BodyEstimate` from row arrays (``fields`` holds every BodyEstimate array but betas/expression
    may have any width) and their frame numbers. ``names`` maps a field to the file's own key for messages."""
    check_policy(nonfinite)
    frames = np.asarray(frames, dtype=np.int64)
    n = len(frames)
    for name, shape in BODY_SHAPES.items():
        if fields[name].shape != (n,) + shape:
            raise EstimatorInputError(f"internal: {name} has shape {fields[name].shape}", path=where, field=name)
    layout = layout_frames(frames, where, sources=file_of_row, report_order=report_order)
    warnings = list(source.get("warnings", [])) + layout.warnings
    per_frame = dict(fields)
    if bbox is not None:
        per_frame["bbox"] = bbox
    if score is not None:
        per_frame["score"] = score.reshape(n, 1)
    bad = _finite_mask(per_frame, frames, where, nonfinite, warnings, file_of_row, names)
    valid = layout.present & ~layout.gather(bad, fill=True)

    def place(arr: np.ndarray, fill: Any = 0.0) -> np.ndarray:
        out = layout.gather(arr, fill=fill).astype(np.float64)
        out[~valid] = fill
        return out

    ident3 = np.eye(3)
    camera_K = layout.gather(fields["camera_K"], fill=np.nan).astype(np.float64)
    if valid.any():
        camera_K = fill_nearest(camera_K, valid)
    else:
        camera_K[...] = ident3
    out_source = dict(source)
    out_source["warnings"] = warnings
    if file_of_row is not None:
        out_source.setdefault("files", _files_entry(file_of_row))
    return BodyEstimate(
        frame_ids=layout.frame_ids,
        global_orient=place(fields["global_orient"]),
        body_pose=place(fields["body_pose"]),
        left_hand_pose=place(fields["left_hand_pose"]),
        right_hand_pose=place(fields["right_hand_pose"]),
        hand_pose_relative_to=hand_pose_relative_to,
        jaw_pose=place(fields["jaw_pose"]),
        leye_pose=place(fields["leye_pose"]),
        reye_pose=place(fields["reye_pose"]),
        betas=place(fields["betas"]),
        expression=place(fields["expression"]),
        transl=place(fields["transl"]),
        camera_K=camera_K,
        image_size=None if image_size is None else np.asarray(image_size, dtype=np.float64).reshape(2),
        bbox=None if bbox is None else place(bbox),
        score=None if score is None else place(score.reshape(n)),
        valid=valid,
        person_id=person_id,
        model_variant=model_variant,
        source=out_source,
    )


def face_from_rows(fields: Mapping[str, Optional[np.ndarray]], frames: np.ndarray, *, where: Any, source: dict,
                   nonfinite: str = "raise", file_of_row: Optional[Sequence[Any]] = None,
                   report_order: bool = True, names: Optional[Mapping[str, str]] = None) -> FaceEstimate:
    """Build a :class:`FaceEstimate` from row arrays: ``expression``, ``jaw_pose``, ``global_pose``, ``shape``
    and optional ``cam`` / ``bbox`` (None when absent). ``names`` maps a field to the file's own key."""
    check_policy(nonfinite)
    frames = np.asarray(frames, dtype=np.int64)
    layout = layout_frames(frames, where, sources=file_of_row, report_order=report_order)
    warnings = list(source.get("warnings", [])) + layout.warnings
    present_fields = {k: v for k, v in fields.items() if v is not None}
    bad = _finite_mask(present_fields, frames, where, nonfinite, warnings, file_of_row, names)
    valid = layout.present & ~layout.gather(bad, fill=True)

    def place(arr: Optional[np.ndarray]) -> Optional[np.ndarray]:
        if arr is None:
            return None
        out = layout.gather(arr, fill=0.0).astype(np.float64)
        out[~valid] = 0.0
        return out

    out_source = dict(source)
    out_source["warnings"] = warnings
    if file_of_row is not None:
        out_source.setdefault("files", _files_entry(file_of_row))
    return FaceEstimate(
        frame_ids=layout.frame_ids,
        expression=place(fields["expression"]),
        jaw_pose=place(fields["jaw_pose"]),
        global_pose=place(fields["global_pose"]),
        shape=place(fields["shape"]),
        cam=place(fields.get("cam")),
        bbox=place(fields.get("bbox")),
        valid=valid,
        source=out_source,
    )


def group_by_person(person_ids: Sequence[Optional[int]]) -> dict[Optional[int], np.ndarray]:
    """Row indices per person id (None for rows without one), in first-seen order of ids sorted numerically."""
    groups: dict[Optional[int], list] = {}
    for i, pid in enumerate(person_ids):
        groups.setdefault(pid, []).append(i)
    keys = sorted(groups, key=lambda k: (k is not None, -1 if k is None else k))
    return {k: np.asarray(groups[k], dtype=np.int64) for k in keys}


def pick_person(estimates: Sequence[Any], person_id: Optional[int], where: Any, label: str = "person_id") -> Any:
    """The one estimate for ``person_id``; with ``person_id=None`` the only one, or an error listing the ids."""
    ids = [getattr(e, "person_id", None) if not isinstance(e, tuple) else e[0] for e in estimates]
    if person_id is None:
        if len(estimates) == 1:
            return estimates[0]
        raise EstimatorInputError(f"holds {len(estimates)} people ({label} {', '.join(map(str, ids))}); pass "
                                  f"{label}=... to choose one, or read them all with the *_people reader",
                                  path=where, field=label)
    for pid, est in zip(ids, estimates):
        if pid == person_id:
            return est
    raise EstimatorInputError(f"no rows for {label} {person_id} (present: {', '.join(map(str, ids))})",
                              path=where, field=label)
