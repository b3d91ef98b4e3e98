"""EMOCA (and DECA) face codes -> :class:`FaceEstimate`.

What EMOCA writes (confirmed in radekd91/emoca):
- ``gdl_apps/EMOCA/utils/io.py`` ``save_codes(output_folder, name, vals, i)``: one folder per face image,
  ``<output_folder>/<name>/`` with ``shape.npy`` (``shapecode``, 100), ``exp.npy`` (``expcode``, 50),
  ``tex.npy`` (``texcode``, 50), ``pose.npy`` (``posecode``, 6) and ``detail.npy`` (``detailcode``, 128); with
  ``i`` given each is one row (shape (D,)), without it the batch (1, D). No camera, no crop transform.
- ``gdl_apps/EMOCA/demos/test_emoca_on_video.py`` names each folder after the face image, which
  ``gdl/datasets/FaceVideoDataModule.py`` calls ``<frame stem>_<detection index %03d>`` with frames unpacked by
  ffmpeg as ``%06d.png`` (starting at 1): folder ``000123_000`` is frame 123, face 0 of that frame. Image demos
  use the image stem; the frame number is then its last run of digits.
- The codes dict of ``EMOCA.encode`` / ``DECA.encode`` holds ``shapecode``, ``expcode``, ``posecode``, ``cam``
  ([s, tx, ty], orthographic in the 224 crop), ``texcode``, ``lightcode``, ``detailcode``: read here when users
  dump it as npz/pkl, batched over frames (frame numbers under ``frame_ids``/``frame``... or by row) or one file
  per frame (frame number from the name).
- ``posecode`` is FLAME's global rotation followed by the jaw, both axis-angle: the FLAME layer builds
  ``full_pose = cat([pose_params[:, :3], neck_pose, pose_params[:, 3:], eye_pose])`` (``gdl/models/DecaFLAME.py``,
  same in DECA). So ``global_pose = posecode[0:3]`` and ``jaw_pose = posecode[3:6]``.

The face's image position needs the detector box, which ``save_codes`` does not keep: pass ``bbox=`` as a file
(JSON ``{"<frame>": [x0, y0, x1, y1], ...}`` or ``[{"frame": f, "bbox": [...]}, ...]`` or a list indexed by
frame; npy ``(N, 5)`` rows ``[frame, x0, y0, x1, y1]``, ``(N, 4)`` indexed by frame, or a saved dict) or as the
same structures in memory. Keys like ``"000123_001"`` apply to face 1 of frame 123 only; plain frame keys to every
face of that frame. A ``bbox`` key in a codes dict is used when ``bbox=`` is not given.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

import numpy as np

from ..contracts.estimates import FaceEstimate
from .array_checks import (
    as_float_array,
    as_int_list,
    check_finite,
    check_policy,
    find_key,
    leading_length,
    per_frame,
    require,
)
from .assemble import face_from_rows, group_by_person, pick_person, rows_variable, stack_rows
from .frames import FRAME_KEYS, MAX_FRAME_NUMBER, frame_and_index_from_name, frames_by_index, frames_from_key
from .input_errors import EstimatorInputError
from .loaders import load_json, load_mapping, load_npy

PathLike = Union[str, Path]

CODE_FILES = {"shape": "shape.npy", "expression": "exp.npy", "pose": "pose.npy"}
OPTIONAL_CODE_FILES = ("tex.npy", "detail.npy")
SIGNATURE = ("expcode", "posecode")

CONVENTIONS = {
    "posecode": "[0:3] FLAME global rotation, [3:6] jaw, axis-angle",
    "expression": "FLAME expression coefficients (expcode)",
    "shape": "FLAME identity (shapecode); not transferable to SMPL-X",
    "cam": "orthographic [s, tx, ty] in the 224 crop, when the file has it",
}


def is_codes_folder(path: Path) -> bool:
    """A ``save_codes`` folder: holds any of its files (a folder missing some is read, and the reader names what
    is missing, rather than skipped)."""
    names = list(CODE_FILES.values()) + list(OPTIONAL_CODE_FILES)
    return path.is_dir() and any((path / n).is_file() for n in names)


# ----------------------------------------------------------------------------------------------- face boxes

def _box_entries(value: Any, where: Any) -> list[tuple[int, Optional[int], np.ndarray]]:
    """``[(frame, face index or None, box)]`` from any supported bbox structure."""
    entries = []

    def add(key: Any, box: Any) -> None:
        if isinstance(key, (int, np.integer)):
            frame, idx = int(key), None
        else:
            frame, idx = frame_and_index_from_name(str(key))
            if frame is None:
                raise EstimatorInputError(f"cannot read a frame number from key {str(key)[:40]!r}", path=where,
                                          field="bbox")
        entries.append((frame, idx, _one_box(box, where, frame)))

    if isinstance(value, Mapping):
        for k, v in value.items():
            add(k, v)
        return entries
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], Mapping):
        for item in value:
            if not isinstance(item, Mapping):
                raise EstimatorInputError(f"expected every entry to be a mapping, found {type(item).__name__}",
                                          path=where, field="bbox")
            fk = find_key(item, ("frame", "frame_id", "frame_idx"))
            bk = find_key(item, ("bbox", "box"))
            if fk is None or bk is None:
                raise EstimatorInputError("each entry needs 'frame' and 'bbox'", path=where, field="bbox")
            frame = as_int_list(item[fk], where, fk)
            if len(frame) != 1:
                raise EstimatorInputError("each entry needs one frame number", path=where, field=fk)
            idx = item.get("face_index", item.get("detection_index"))
            if idx is not None:
                ids = as_int_list(idx, where, "face_index", frame[0])
                if len(ids) != 1:
                    raise EstimatorInputError("each entry needs at most one face index", path=where,
                                              field="face_index", frame=frame[0])
                idx = ids[0]
            entries.append((frame[0], idx, _one_box(item[bk], where, frame[0])))
        return entries
    arr = as_float_array(value, where, "bbox")
    if arr.ndim == 2 and arr.shape[1] == 5:
        for row in arr:
            if not np.isfinite(row[0]) or row[0] != np.round(row[0]) or abs(row[0]) > MAX_FRAME_NUMBER:
                raise EstimatorInputError("the first column must hold integer frame numbers", path=where,
                                          field="bbox")
            entries.append((int(row[0]), None, _one_box(row[1:], where, int(row[0]))))
        return entries
    if arr.ndim == 2 and arr.shape[1] == 4:
        return [(i, None, _one_box(row, where, i)) for i, row in enumerate(arr)]
    raise EstimatorInputError(f"expected boxes as {{frame: [x0, y0, x1, y1]}}, (N, 5) [frame, x0, y0, x1, y1] or "
                              f"(N, 4) indexed by frame; found shape {tuple(arr.shape)}", path=where, field="bbox")


def _one_box(box: Any, where: Any, frame: Any) -> np.ndarray:
    b = as_float_array(box, where, "bbox", frame=int(frame) if frame is not None else None).reshape(-1)
    if b.size != 4:
        raise EstimatorInputError(f"a box needs 4 numbers [x0, y0, x1, y1], found {b.size}", path=where,
                                  field="bbox", frame=int(frame))
    if np.isfinite(b).all() and (b[2] <= b[0] or b[3] <= b[1]):
        raise EstimatorInputError(f"box {b.tolist()} is not [x0, y0, x1, y1] with x1 > x0 and y1 > y0",
                                  path=where, field="bbox", frame=int(frame))
    return b


def load_face_boxes(bbox: Any) -> tuple[Any, list[tuple[int, Optional[int], np.ndarray]]]:
    """``(where, entries)`` from a bbox file path or an in-memory structure (see the module docstring)."""
    if isinstance(bbox, (str, Path)):
        where = Path(bbox)
        if where.suffix.lower() == ".json":
            value = load_json(where)
        elif where.suffix.lower() == ".npy":
            value = load_npy(where)
        elif where.suffix.lower() in (".npz", ".pkl"):
            value = load_mapping(where)
            key = find_key(value, ("bbox", "bboxes", "boxes"))
            value = value[key] if key else value
        else:
            raise EstimatorInputError("face boxes must be a .json or .npy file", path=where)
        return where, _box_entries(value, where)
    return "<bbox argument>", _box_entries(bbox, "<bbox argument>")


def _boxes_for(frames: np.ndarray, face_index: Optional[int], entries: list, where: Any) -> np.ndarray:
    """(n, 4) boxes for these rows (NaN where the box file has no entry)."""
    exact: dict = {}
    generic: dict = {}
    for frame, idx, box in entries:
        target = generic if idx is None else exact
        key = frame if idx is None else (frame, idx)
        if key in target:
            raise EstimatorInputError(f"frame {frame} has two boxes", path=where, field="bbox", frame=frame)
        target[key] = box
    out = np.full((len(frames), 4), np.nan)
    for i, f in enumerate(frames):
        box = exact.get((int(f), face_index)) if face_index is not None else None
        if box is None:
            box = generic.get(int(f))
        if box is not None:
            out[i] = box
    return out


# ----------------------------------------------------------------------------------------------- codes

def _codes_from_folder(folder: Path, frame: int) -> dict:
    codes = {}
    for name, fname in CODE_FILES.items():
        f = folder / fname
        if not f.is_file():
            raise EstimatorInputError(f"missing {fname} (EMOCA save_codes writes shape.npy, exp.npy, tex.npy, "
                                      f"pose.npy, detail.npy)", path=folder, field=fname[:-4], frame=frame)
        codes[name] = (load_npy(f), f)
    return codes


def _rows_from_mapping(data: dict, path: Path, single_frame: Optional[int]) -> tuple[dict, int]:
    pk, pose = require(data, ("posecode", "pose"), path, frame=single_frame)
    n = leading_length(pose, path, pk, 6)
    if single_frame is not None and n != 1:
        raise EstimatorInputError(f"a per-frame file must hold one row, found {n}", path=path, field=pk,
                                  frame=single_frame)
    pose = per_frame(pose, n, (6,), path, pk)
    ek, exp = require(data, ("expcode", "exp"), path, frame=single_frame)
    sk, shape = require(data, ("shapecode", "shape"), path, frame=single_frame)
    ck = find_key(data, ("cam",))
    block = {
        "pose": pose,
        "expression": rows_variable(exp, n, path, ek),
        "shape": rows_variable(shape, n, path, sk),
        "cam": per_frame(data[ck], n, (3,), path, ck) if ck else None,
    }
    block["raw"] = {pk: block["pose"], ek: block["expression"], sk: block["shape"]}
    if ck:
        block["raw"][ck] = block["cam"]
    return block, n


def _check_raw(block: dict, frames: np.ndarray, nonfinite: str) -> None:
    """With ``nonfinite="raise"``, name the file's own key (``expcode``, ``exp``...) and file for a NaN / Inf;
    with ``"invalidate"`` :func:`face_from_rows` records it."""
    if nonfinite != "raise":
        return
    for key, (arr, f) in block["raw"].items():
        check_finite(arr, f, key, frames)


class _Collected:
    def __init__(self) -> None:
        self.blocks: list = []
        self.frames: list = []
        self.faces: list = []
        self.files: list = []
        self.inline_boxes: list = []


def _collect(path: Path, nonfinite: str) -> tuple[_Collected, str, list]:
    got = _Collected()
    warnings: list = []
    if is_codes_folder(path):
        folders, kind = [path], "save_codes"
    elif path.is_dir():
        subfolders = sorted(p for p in path.iterdir() if p.is_dir())
        folders = [p for p in subfolders if is_codes_folder(p)]
        kind = "save_codes"
        if folders and len(folders) < len(subfolders):
            skipped = [p.name for p in subfolders if not is_codes_folder(p)]
            warnings.append(f"{path}: {len(skipped)} subfolder(s) without any codes file were skipped "
                            f"({', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''})")
        if not folders:
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".npz", ".pkl"))
            if not files:
                raise EstimatorInputError("no EMOCA codes here: expected save_codes folders (with exp.npy and "
                                          "pose.npy) or per-frame .npz/.pkl codes files", path=path)
            kind = "codes files"
            for f in files:
                frame, face = frame_and_index_from_name(f.name)
                data = load_mapping(f)
                has_key = find_key(data, FRAME_KEYS) is not None
                if frame is None and not has_key:
                    raise EstimatorInputError("cannot read a frame number from this name (expected e.g. "
                                              "000123.npz)", path=f, field="frame")
                block, n = _rows_from_mapping(data, f, None if has_key else frame)
                _, key_frames = frames_from_key(data, n, f)
                frames = key_frames if key_frames is not None else np.array([frame])
                block["raw"] = {k: (v, f) for k, v in block["raw"].items()}
                _check_raw(block, frames, nonfinite)
                got.blocks.append(block)
                got.frames.append(frames)
                got.faces.extend([face] * n)
                got.files.extend([f] * n)
                got.inline_boxes.append(_inline_boxes(data, n, f))
            return got, kind, warnings
    elif path.is_file():
        data = load_mapping(path)
        block, n = _rows_from_mapping(data, path, None)
        _, frames = frames_from_key(data, n, path)
        if frames is None:
            name_frame, _ = frame_and_index_from_name(path.name)
            if n == 1 and name_frame is not None:
                frames = np.array([name_frame])
            else:
                frames = frames_by_index(n)
                warnings.append(f"{path}: no frame numbers in the file; rows numbered 0..{n - 1}")
        block["raw"] = {k: (v, path) for k, v in block["raw"].items()}
        _check_raw(block, frames, nonfinite)
        fk = find_key(data, ("face_index", "detection_index", "person_id"))
        faces = [None] * n
        if fk is not None:
            ids = as_int_list(data[fk], path, fk)
            if len(ids) not in (1, n):
                raise EstimatorInputError(f"expected {n} face indices, found {len(ids)}", path=path, field=fk)
            faces = ids * n if len(ids) == 1 else ids
        got.blocks.append(block)
        got.frames.append(frames)
        got.faces.extend(faces)
        got.inline_boxes.append(_inline_boxes(data, n, path))
        return got, "codes dict", warnings
    else:
        raise EstimatorInputError("file or folder not found", path=path)
    for folder in folders:
        frame, face = frame_and_index_from_name(folder.name)
        if frame is None:
            frame = 0 if len(folders) == 1 else None
        if frame is None:
            raise EstimatorInputError("cannot read a frame number from this folder name (expected e.g. "
                                      "000123_000)", path=folder, field="frame")
        codes = _codes_from_folder(folder, frame)
        block = {"raw": {}}
        for name, (value, f) in codes.items():
            key = f.stem  # shape, exp, pose: the file's own name
            if name == "pose":
                block["pose"] = per_frame(value, 1, (6,), f, key)
            else:
                block[name] = rows_variable(value, 1, f, key)
            block["raw"][key] = (block[name], f)
        block["cam"] = None
        _check_raw(block, np.array([frame]), nonfinite)
        got.blocks.append(block)
        got.frames.append(np.array([frame]))
        got.faces.append(face)
        got.files.append(folder)
        got.inline_boxes.append(None)
    return got, kind, warnings


def _inline_boxes(data: dict, n: int, path: Path) -> Optional[np.ndarray]:
    key = find_key(data, ("bbox", "face_bbox"))
    return per_frame(data[key], n, (4,), path, key) if key else None


def read_emoca_faces(path: PathLike, *, bbox: Any = None, nonfinite: str = "raise") -> list[FaceEstimate]:
    """Every face in an EMOCA output, one :class:`FaceEstimate` per face index (``source["face_index"]``).

    ``path``: a folder of ``save_codes`` folders, one such folder, a codes dict file (npz/pkl), or a folder of
    per-frame codes files. ``bbox``: face boxes (see the module docstring).
    """
    check_policy(nonfinite)
    path = Path(path)
    got, kind, warnings = _collect(path, nonfinite)
    per_file = kind != "codes dict"
    first_rows = np.cumsum([0] + [len(f) for f in got.frames[:-1]]) if got.frames else []  # each block's first row
    files_of_blocks = [got.files[int(r)] if per_file else path for r in first_rows]
    frames = np.concatenate(got.frames).astype(np.int64)
    pose = stack_rows([b["pose"] for b in got.blocks], "posecode", files_of_blocks)
    expression = stack_rows([b["expression"] for b in got.blocks], "expcode", files_of_blocks)
    shape = stack_rows([b["shape"] for b in got.blocks], "shapecode", files_of_blocks)
    cams = [b["cam"] for b in got.blocks]
    cam = np.concatenate(cams) if all(c is not None for c in cams) else None
    box_where, entries = load_face_boxes(bbox) if bbox is not None else (None, None)
    inline = got.inline_boxes
    inline_all = np.concatenate(inline) if entries is None and all(b is not None for b in inline) else None
    raw_keys = list(got.blocks[0]["raw"]) if got.blocks else []

    def key_of(*options: str) -> str:
        return next((k for k in raw_keys if k in options), options[0])

    pose_key = key_of("posecode", "pose")
    names = {"expression": key_of("expcode", "exp"), "global_pose": pose_key, "jaw_pose": pose_key,
             "shape": key_of("shapecode", "shape"), "cam": "cam", "bbox": "bbox"}
    out = []
    for face, idx in group_by_person(got.faces).items():
        rows_frames = frames[idx]
        if entries is not None:
            boxes = _boxes_for(rows_frames, face, entries, box_where)
            missing = ~np.isfinite(boxes).all(axis=1)
            if missing.any():
                first = int(rows_frames[np.nonzero(missing)[0][0]])
                if nonfinite == "raise":
                    raise EstimatorInputError(f"no face box for frame {first} ({int(missing.sum())} frame(s) "
                                              f"lack one)", path=box_where, field="bbox", frame=first)
                warnings = warnings + [f"{box_where}: {int(missing.sum())} frame(s) have no face box; those rows "
                                       f"are marked invalid"]
        else:
            boxes = None if inline_all is None else inline_all[idx]
        source = {
            "format": f"emoca ({kind})",
            "path": str(path),
            "conventions": dict(CONVENTIONS),
            "face_index": face,
            "face_index_meaning": ("EMOCA's per-frame detection index, not a temporal track"
                                   if face is not None else None),
            "bbox": str(box_where) if entries is not None else ("codes file 'bbox'" if boxes is not None else None),
            "warnings": list(warnings),
        }
        fields = {
            "expression": expression[idx],
            "global_pose": pose[idx, 0:3],
            "jaw_pose": pose[idx, 3:6],
            "shape": shape[idx],
            "cam": None if cam is None else cam[idx],
            "bbox": boxes,
        }
        out.append(face_from_rows(fields, rows_frames, where=path, source=source, nonfinite=nonfinite,
                                  file_of_row=[got.files[i] for i in idx] if per_file else None,
                                  report_order=not per_file, names=names))
    return out


def read_emoca(path: PathLike, *, bbox: Any = None, face_index: Optional[int] = None,
               nonfinite: str = "raise") -> FaceEstimate:
    """One face of an EMOCA output; ``face_index`` is needed when several faces were detected per frame."""
    faces = read_emoca_faces(path, bbox=bbox, nonfinite=nonfinite)
    return pick_person([(f.source.get("face_index"), f) for f in faces], face_index, path,
                       label="face_index")[1]
