"""SMPLer-X and SMPLest-X outputs -> :class:`BodyEstimate`.

What the estimators write (confirmed in their public code):

SMPLer-X (caizhongang/SMPLer-X ``main/inference.py``), per frame and per detected person:
- ``<out>/smplx/{frame:05}_{bbox_id}.npz`` with ``global_orient`` (1,3), ``body_pose`` (21,3),
  ``left_hand_pose`` / ``right_hand_pose`` (15,3), ``jaw_pose`` (1,3), ``leye_pose`` / ``reye_pose`` (1,3, always
  zero), ``betas`` (1,10), ``expression`` (1,10), ``transl`` (1,3) = the model's ``cam_trans``;
- ``<out>/meta/{frame:05}_{bbox_id}.json`` with ``focal`` [fx, fy], ``princpt`` [cx, cy] (full-image pixels),
  ``bbox`` [x, y, w, h] (the processed crop box), ``bbox_mmdet`` [x, y, w, h] (the detector's box), ``bbox_id``,
  ``img_path``;
- the image size is read from the meta's ``img_size`` / ``image_size`` key when there is one, else from the header
  of the image ``img_path`` names (as written, or beside the output folder); when neither is here it is unknown
  (``None``, said in ``source["image_size"]``), never guessed from the crop boxes;
- ``bbox_id`` is the detection's rank in that frame (largest box, or NMS order with ``--multi_person``), not a
  temporal track: it is kept as ``person_id`` and recorded as such.
- The intrinsics in the meta file are ``focal = cfg.focal / cfg.input_body_shape[::-1] * bbox[2:]`` and
  ``princpt = cfg.princpt / cfg.input_body_shape[::-1] * bbox[2:] + bbox[:2]`` with ``cfg.focal = (5000, 5000)``,
  ``cfg.input_body_shape = (256, 192)`` (H, W) and ``cfg.princpt = (96, 128)`` (``main/config.py``); i.e.
  ``fx = 5000/192 * w``, ``fy = 5000/256 * h``, ``cx = 96/192 * w + x0``, ``cy = 128/256 * h + y0``. The same
  lines are in SMPLest-X's ``main/inference.py`` with ``cfg.model.*``. When the meta file gives ``focal`` /
  ``princpt`` they are used as they are; the formula (:func:`crop_intrinsics`) is only the fallback.

SMPLest-X (SMPLCap/SMPLest-X ``models/SMPLest_X.py``) returns ``smplx_root_pose`` (B,3), ``smplx_body_pose``
(B,63), ``smplx_lhand_pose`` / ``smplx_rhand_pose`` (B,45), ``smplx_jaw_pose`` (B,3), ``smplx_shape`` (B,10),
``smplx_expr`` (B,10), ``cam_trans`` (B,3); its demo saves no parameters, so users dump this dict (npz or pkl),
batched over frames (frame numbers under ``frame_ids``/``frame``... or by row index) or one file per frame (frame
number from the file name). Eye poses are not predicted: zeros. A camera needs ``focal`` + ``princpt`` per row or
the crop box as ``bbox`` / ``bbox_xywh`` ([x, y, w, h], the processed box that made the crop).

Conventions recorded in ``source["conventions"]``:
- hands are relative to the **mean** hand: both build the layer with ``smplx.create(..., use_pca=False)`` and the
  default ``flat_hand_mean=False`` (SMPLer-X ``common/utils/human_models.py``; the vendored
  ``common/utils/smplx/smplx/body_models.py`` ``SMPLX.forward`` adds ``self.pose_mean``);
- axis-angle, camera frame = OpenCV (the model projects ``x/z * f + c``);
- SMPL-X v1.1 (10 shape, 10 expression).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..contracts.estimates import BodyEstimate
from ..fileio.image_header import image_size_from_header
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
from .assemble import body_from_rows, group_by_person, pick_person, rows_variable, stack_rows
from .frames import FRAME_KEYS, frame_and_index_from_name, frames_by_index, frames_from_key
from .input_errors import EstimatorInputError
from .loaders import load_json, load_mapping

PathLike = Union[str, Path]

#: SMPLer-X / SMPLest-X virtual crop camera (``main/config.py``: ``focal``, ``princpt``, ``input_body_shape``).
CROP_FOCAL = (5000.0, 5000.0)
CROP_PRINCPT = (96.0, 128.0)
INPUT_BODY_SHAPE = (256, 192)  # (H, W)

CONVENTIONS = {
    "rotations": "axis-angle",
    "hand_pose_relative_to": "mean (smplx use_pca=False, flat_hand_mean=False)",
    "camera_frame": "OpenCV (x right, y down, z forward)",
    "transl": "cam_trans, metres, full-frame camera",
}

#: SMPLer-X per-person npz keys -> BodyEstimate fields.
SMPLERX_KEYS = {
    "global_orient": "global_orient", "body_pose": "body_pose", "left_hand_pose": "left_hand_pose",
    "right_hand_pose": "right_hand_pose", "jaw_pose": "jaw_pose", "leye_pose": "leye_pose",
    "reye_pose": "reye_pose", "betas": "betas", "expression": "expression", "transl": "transl",
}

#: SMPLest-X output dict keys -> BodyEstimate fields (no eye poses).
SMPLESTX_KEYS = {
    "global_orient": "smplx_root_pose", "body_pose": "smplx_body_pose", "left_hand_pose": "smplx_lhand_pose",
    "right_hand_pose": "smplx_rhand_pose", "jaw_pose": "smplx_jaw_pose", "betas": "smplx_shape",
    "expression": "smplx_expr", "transl": "cam_trans",
}

_FIXED = {"global_orient": (3,), "body_pose": (21, 3), "left_hand_pose": (15, 3), "right_hand_pose": (15, 3),
          "jaw_pose": (3,), "leye_pose": (3,), "reye_pose": (3,), "transl": (3,)}
_PERSON_KEYS = ("person_id", "track_id", "bbox_id")


def crop_intrinsics(bbox_xywh: np.ndarray) -> np.ndarray:
    """(..., 4) crop boxes [x0, y0, w, h] -> (..., 3, 3) full-frame K of SMPLer-X / SMPLest-X's virtual camera.

    ``fx = 5000/192 * w``, ``fy = 5000/256 * h``, ``cx = 96/192 * w + x0``, ``cy = 128/256 * h + y0``.
    """
    b = np.asarray(bbox_xywh, dtype=np.float64)
    h_in, w_in = INPUT_BODY_SHAPE
    fx = CROP_FOCAL[0] / w_in * b[..., 2]
    fy = CROP_FOCAL[1] / h_in * b[..., 3]
    cx = CROP_PRINCPT[0] / w_in * b[..., 2] + b[..., 0]
    cy = CROP_PRINCPT[1] / h_in * b[..., 3] + b[..., 1]
    return intrinsics(np.stack([fx, fy], -1), np.stack([cx, cy], -1))


def intrinsics(focal: np.ndarray, princpt: np.ndarray) -> np.ndarray:
    """(..., 2) focal and (..., 2) principal point -> (..., 3, 3) K."""
    f = np.asarray(focal, dtype=np.float64)
    c = np.asarray(princpt, dtype=np.float64)
    K = np.zeros(f.shape[:-1] + (3, 3))
    K[..., 0, 0] = f[..., 0]
    K[..., 1, 1] = f[..., 1]
    K[..., 0, 2] = c[..., 0]
    K[..., 1, 2] = c[..., 1]
    K[..., 2, 2] = 1.0
    return K


def _xywh_to_xyxy(b: np.ndarray) -> np.ndarray:
    out = np.array(b, dtype=np.float64, copy=True)
    out[..., 2] = b[..., 0] + b[..., 2]
    out[..., 3] = b[..., 1] + b[..., 3]
    return out


class _Rows:
    """Row blocks collected from one or many files, concatenated at the end."""

    def __init__(self) -> None:
        self.parts: dict[str, list] = {}
        self.part_files: list = []
        self.frames: list = []
        self.persons: list = []
        self.files: list = []
        self.bbox: list = []
        self.score: list = []

    def add(self, block: dict, frames: np.ndarray, persons: Sequence[Optional[int]], file: Any,
            bbox: Optional[np.ndarray], score: Optional[np.ndarray]) -> None:
        for k, v in block.items():
            self.parts.setdefault(k, []).append(v)
        self.part_files.append(file)
        self.frames.append(np.asarray(frames, dtype=np.int64))
        self.persons.extend(persons)
        self.files.extend([file] * len(frames))
        self.bbox.append(bbox)
        self.score.append(score)

    def stacked(self, field: str) -> np.ndarray:
        return stack_rows(self.parts[field], field, self.part_files)


def _read_block(data: dict, keymap: dict, path: Path, *, single_frame: Optional[int]) -> tuple[dict, int]:
    """Parameter rows of one file as ``{field: (n, ...)}``; eye poses default to zeros when the format has none."""
    go_key, go = require(data, keymap["global_orient"], path, frame=single_frame)
    n = leading_length(go, path, go_key, 3)
    if single_frame is not None and n != 1:
        raise EstimatorInputError(f"a per-frame file must hold one row, found {n}", path=path, field=go_key,
                                  frame=single_frame)
    block: dict = {}
    for name, shape in _FIXED.items():
        key = keymap.get(name)
        if key is None:
            block[name] = np.zeros((n,) + shape)
            continue
        k, v = require(data, key, path, frame=single_frame)
        block[name] = per_frame(v, n, shape, path, k)
    for name in ("betas", "expression"):
        k, v = require(data, keymap[name], path, frame=single_frame)
        block[name] = rows_variable(v, n, path, k)
    return block, n


def _camera_rows(data: dict, meta: Optional[dict], n: int, path: Path, meta_path: Optional[Path],
                 frames: np.ndarray, nonfinite: str) -> tuple[np.ndarray, Optional[np.ndarray], str]:
    """(n,3,3) K, (n,4) xyxy body box or None, and where the camera came from."""
    src: dict = dict(data)
    where = path
    if meta is not None:
        src = {**data, **meta}
        where = meta_path
    fkey, pkey = find_key(src, ("focal",)), find_key(src, ("princpt",))
    bkey = find_key(src, ("bbox", "bbox_xywh"))
    box = None
    if bkey is not None:
        box = per_frame(src[bkey], n, (4,), where, bkey)
    det_key = find_key(src, ("bbox_mmdet",))
    det = per_frame(src[det_key], n, (4,), where, det_key) if det_key else None
    out_box = _xywh_to_xyxy(det if det is not None else box) if (det is not None or box is not None) else None
    if fkey and pkey:
        focal = per_frame(src[fkey], n, (2,), where, fkey, broadcast=True)
        princpt = per_frame(src[pkey], n, (2,), where, pkey, broadcast=True)
        if nonfinite == "raise":  # name the meta file's own keys
            for key, arr in ((fkey, focal), (pkey, princpt)):
                check_finite(arr, where, key, frames)
        return intrinsics(focal, princpt), out_box, "focal/princpt as written by the estimator"
    if box is not None and nonfinite == "raise":
        check_finite(box, where, bkey, frames)
    if box is not None:
        return crop_intrinsics(box), out_box, ("crop formula fx=5000/192*w, fy=5000/256*h, cx=96/192*w+x0, "
                                               "cy=128/256*h+y0 from 'bbox' [x0,y0,w,h]")
    hint = (f"no camera: {meta_path} is missing" if meta_path is not None and meta is None else "no camera")
    raise EstimatorInputError(f"{hint}; give 'focal' and 'princpt', or the crop box 'bbox' [x0, y0, w, h]",
                              path=where, field="focal", frame=int(frames[0]) if n == 1 else None)


def _person_of(data: dict, meta: Optional[dict], n: int, from_name: Optional[int], path: Path) -> list:
    for src in (meta or {}, data):
        key = find_key(src, _PERSON_KEYS)
        if key is not None:
            ids = as_int_list(src[key], path, key)
            if len(ids) == 1:
                return ids * n
            if len(ids) == n:
                return ids
            raise EstimatorInputError(f"expected {n} person ids, found {len(ids)}", path=path, field=key)
    return [from_name] * n


def _score_rows(data: dict, n: int, path: Path) -> Optional[np.ndarray]:
    key = find_key(data, ("score", "scores", "bbox_score"))
    if key is None:
        return None
    return per_frame(data[key], n, (), path, key, broadcast=True).reshape(n)


def _image_path_size(meta: dict, meta_path: Optional[Path], cache: dict) -> tuple[Optional[np.ndarray], str]:
    """The size of the image the meta file's ``img_path`` names, read from its header: ``(size, how)``; the path is
    tried as written, then (as written, then by its name) in the output folder (the meta folder's parent), the folder
    that holds it and the meta folder. ``(None, why)`` when no such image is here (the size is then unknown, never
    guessed)."""
    raw = meta.get("img_path")
    if not isinstance(raw, str) or not raw:
        return None, "no img_path"
    written = Path(raw)
    candidates = [written]
    if meta_path is not None:  # the output folder, the folder that holds it, the meta folder
        bases = (meta_path.parent.parent, meta_path.parent.parent.parent, meta_path.parent)
        if not written.is_absolute():
            candidates += [base / written for base in bases]
        candidates += [base / written.name for base in bases]
    for cand in candidates:
        key = str(cand)
        if key not in cache:
            try:
                size = image_size_from_header(cand) if cand.is_file() else None
            except (OSError, ValueError):  # unreadable, a name too long, an embedded NUL ...
                size = None
            cache[key] = None if size is None else np.array([float(size[0]), float(size[1])])
        if cache[key] is not None:
            return cache[key], f"the header of img_path {cand}"
    shown = raw if len(raw) <= 120 else raw[:117] + "..."
    return None, f"img_path {shown!r} is not a readable PNG / JPEG here"


def _image_size(data: dict, meta: Optional[dict], path: Path, meta_path: Optional[Path] = None,
                cache: Optional[dict] = None) -> tuple[Optional[np.ndarray], str]:
    """``(size (2,) W, H, how)`` from an explicit size key, else the image the meta's ``img_path`` names; ``(None,
    why)`` when neither gives it."""
    for src in (meta or {}, data):
        key = find_key(src, ("img_size", "image_size", "img_shape"))
        if key is not None:
            arr = as_float_array(src[key], path, key)
            if arr.size < 2 or arr.size % 2 or not np.isfinite(arr).all() or (arr <= 0).any():
                raise EstimatorInputError(f"expected positive (W, H) pairs, found {arr.size} value(s)", path=path,
                                          field=key)
            arr = arr.reshape(-1, 2)
            if not np.allclose(arr, arr[0]):
                raise EstimatorInputError("the image size changes between rows", path=path, field=key)
            return arr[0], f"the '{key}' key"
    if meta is not None:
        return _image_path_size(meta, meta_path, {} if cache is None else cache)
    return None, "no meta file"


def _list_files(path: Path, suffixes: Sequence[str]) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def _collect(path: Path, keymap: dict, fmt: str, nonfinite: str) -> tuple[_Rows, dict, Optional[np.ndarray]]:
    rows = _Rows()
    info: dict = {"format": fmt, "path": str(path)}
    image_size = None
    if path.is_dir():
        npz_dir, meta_dir = path, None
        if (path / "smplx").is_dir():
            npz_dir = path / "smplx"
        if (npz_dir.parent / "meta").is_dir():
            meta_dir = npz_dir.parent / "meta"
        files = _list_files(npz_dir, (".npz", ".pkl"))
        if not files:
            raise EstimatorInputError(f"no .npz or .pkl files in {npz_dir}", path=path)
        per_file = True
    else:
        if not path.exists():
            raise EstimatorInputError("file not found", path=path)
        files = [path]
        meta_dir = path.parent.parent / "meta" if (path.parent.parent / "meta").is_dir() else None
        per_file = False
    info["meta_folder"] = str(meta_dir) if meta_dir else None
    cam_sources = set()
    header_cache: dict = {}
    for f in files:
        data = load_mapping(f)
        frame_from_name, index_from_name = frame_and_index_from_name(f.name)
        meta_path = meta_dir / (f.stem + ".json") if meta_dir is not None else None
        meta = load_json(meta_path) if meta_path is not None and meta_path.is_file() else None
        if meta is not None and not isinstance(meta, dict):
            raise EstimatorInputError("expected a JSON object", path=meta_path)
        if per_file and frame_from_name is None and find_key(data, FRAME_KEYS) is None:
            raise EstimatorInputError("cannot read a frame number from this name (expected e.g. 00012_0.npz)",
                                      path=f, field="frame")
        block, n = _read_block(data, keymap, f, single_frame=frame_from_name if per_file else None)
        _, frames = frames_from_key(data, n, f)
        if frames is None:
            if n == 1 and frame_from_name is not None:
                frames = np.array([frame_from_name], dtype=np.int64)
            else:
                frames = frames_by_index(n)
                info.setdefault("warnings", []).append(
                    f"{f}: no frame numbers in the file; rows numbered 0..{n - 1}")
        K, box, cam_src = _camera_rows(data, meta, n, f, meta_path, frames, nonfinite)
        cam_sources.add(cam_src)
        block["camera_K"] = K
        size, how = _image_size(data, meta, f, meta_path, header_cache)
        if size is not None:
            if image_size is not None and not np.allclose(size, image_size):
                raise EstimatorInputError(f"the image size {size[0]:g} x {size[1]:g} ({how}) differs from the other "
                                          f"files' {image_size[0]:g} x {image_size[1]:g}", path=f, field="img_size")
            image_size = size
            info.setdefault("image_size_from", how)
        else:
            info.setdefault("image_size_missing", f"{f.name}: {how}")
        persons = _person_of(data, meta, n, index_from_name if n == 1 else None, f)
        rows.add(block, frames, persons, f, box, _score_rows(data, n, f))
    info["camera"] = sorted(cam_sources)
    return rows, info, image_size


def _people(path: PathLike, keymap: dict, fmt: str, image_size: Optional[Sequence[float]],
            nonfinite: str) -> list[BodyEstimate]:
    check_policy(nonfinite)
    path = Path(path)
    rows, info, found_size = _collect(path, keymap, fmt, nonfinite)
    frames = np.concatenate(rows.frames)
    fields = {name: rows.stacked(name) for name in list(_FIXED) + ["betas", "expression", "camera_K"]}
    have_box = all(b is not None for b in rows.bbox)
    bbox = np.concatenate(rows.bbox) if have_box else None
    have_score = all(s is not None for s in rows.score)
    score = np.concatenate(rows.score) if have_score else None
    size = image_size if image_size is not None else found_size
    names = dict(keymap, camera_K="focal" if any("focal" in c for c in info["camera"]) else "bbox", bbox="bbox")
    out = []
    for pid, idx in group_by_person(rows.persons).items():
        source = {
            "format": fmt,
            "path": str(path),
            "conventions": dict(CONVENTIONS),
            "camera": info["camera"],
            "meta_folder": info.get("meta_folder"),
            "person_id_meaning": ("the estimator's per-frame detection index (bbox_id / person_id), "
                                  "not a temporal track" if pid is not None else None),
            "defaults": ({"leye_pose": "zeros", "reye_pose": "zeros"} if fmt == "smplest-x" else {}),
            "warnings": list(info.get("warnings", [])),
            "image_size": ({"value": [float(v) for v in size], "from": "the caller" if image_size is not None
                            else info.get("image_size_from")} if size is not None else
                           f"unknown: {info.get('image_size_missing', 'no meta file')} (give the footage)"),
        }
        out.append(body_from_rows(
            {k: v[idx] for k, v in fields.items()}, frames[idx], where=path,
            hand_pose_relative_to="mean", model_variant="smplx-v1.1", source=source, person_id=pid,
            image_size=size, bbox=None if bbox is None else bbox[idx], score=None if score is None else score[idx],
            nonfinite=nonfinite, file_of_row=[rows.files[i] for i in idx] if path.is_dir() else None,
            report_order=not path.is_dir(), names=names))
    return out


def read_smplerx_people(path: PathLike, *, image_size: Optional[Sequence[float]] = None,
                        nonfinite: str = "raise") -> list[BodyEstimate]:
    """Every person in a SMPLer-X output (folder with ``smplx/`` and ``meta/``, the ``smplx/`` folder, or one npz),
    one :class:`BodyEstimate` per ``bbox_id``."""
    return _people(path, SMPLERX_KEYS, "smpler-x", image_size, nonfinite)


def read_smplerx(path: PathLike, *, person_id: Optional[int] = None, image_size: Optional[Sequence[float]] = None,
                 nonfinite: str = "raise") -> BodyEstimate:
    """One person of a SMPLer-X output; ``person_id`` (the ``bbox_id``) is needed when there are several."""
    return pick_person(read_smplerx_people(path, image_size=image_size, nonfinite=nonfinite), person_id, path)


def read_smplestx_people(path: PathLike, *, image_size: Optional[Sequence[float]] = None,
                         nonfinite: str = "raise") -> list[BodyEstimate]:
    """Every person in a SMPLest-X output dict dump (one batched npz/pkl, or a folder of per-frame files)."""
    return _people(path, SMPLESTX_KEYS, "smplest-x", image_size, nonfinite)


def read_smplestx(path: PathLike, *, person_id: Optional[int] = None, image_size: Optional[Sequence[float]] = None,
                  nonfinite: str = "raise") -> BodyEstimate:
    """One person of a SMPLest-X output dict dump."""
    return pick_person(read_smplestx_people(path, image_size=image_size, nonfinite=nonfinite), person_id, path)


# used by core.io.registry to recognise the formats by their keys
SMPLERX_SIGNATURE = ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "betas", "transl")
SMPLESTX_SIGNATURE = ("smplx_root_pose", "smplx_body_pose", "smplx_lhand_pose", "smplx_rhand_pose")
