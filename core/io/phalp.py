"""4D-Humans / PHALP tracking results -> one :class:`BodyEstimate` per track.

What the trackers write (confirmed in their public code):

* brjathu/PHALP ``phalp/trackers/PHALP.py`` ``track()``: ``final_visuals_dic`` is a dict keyed by the **frame
  path**; each value holds ``time`` (the frame's index in the run), ``shot``, ``frame_path`` and *parallel lists*,
  one entry per confirmed track in that frame: ``tid`` (the track id), ``bbox`` ([x0, y0, w, h], pixels),
  ``tracked_time`` (``time_since_update``: 0 when the track was detected in this frame, > 0 when the entry repeats
  the track's last detection, i.e. predicted, not seen), ``smpl``, ``camera``, ``conf``, ``size``, ``center``,
  ``scale``, ... It is written with ``joblib.dump(final_visuals_dic, pkl_path, compress=3)`` to
  ``<output_dir>/results/<dataset>_<video>.pkl`` (read here without joblib: :mod:`core.fileio.safe_joblib`).
* ``get_human_features``: ``smpl`` is HMR 2.0's ``pred_smpl_params`` for one person: ``global_orient`` (1, 3, 3),
  ``body_pose`` (23, 3, 3) rotation matrices of **SMPL** (not SMPL-X), ``betas`` (10,) SMPL shape
  (shubham-goel/4D-Humans ``track.py`` ``HMR2Predictor.forward``: ``'pose_smpl': model_out['pred_smpl_params']``);
  ``size`` is ``[img_height, img_width]``.
* ``camera`` is ``pred_cam_t`` of ``HMAR.get_3d_parameters`` (``phalp/models/hmar/hmar.py``):
  ``[tx, ty, 2 f / (s * scale)]`` shifted by ``(center - img_size / 2) * tz / f`` with ``f = 5000``
  (``EXTRA.FOCAL_LENGTH``), ``img_size = render.res = 256`` and ``center``, ``scale`` the box in a 256-pixel square
  made from the image **padded to max(H, W)** (``ratio = 256 / max(H, W)``; padding ``left = (S - W) // 2``,
  ``top = (S - H) // 2``). So ``camera`` is the body's translation in the full image's camera with focal
  ``5000 / 256 * max(H, W)`` pixels and principal point ``(S / 2 - left, S / 2 - top)`` (S = max(H, W)), OpenCV
  axes (HMR 2.0 projects ``x / z * f + c``).

Conventions applied and recorded in ``source``:
* ``tid`` is an identity across frames: it becomes ``person_id`` and the tracker keeps it;
* rows with ``tracked_time > 0`` are predictions, not detections: they are left out (their frames become gaps,
  ``valid=False``) and counted in ``source["predicted_rows"]``;
* SMPL body joints 1-21 are SMPL-X's 1-21 (same names and order); SMPL's 22 and 23 (``left_hand``,
  ``right_hand``) have no SMPL-X joint and are dropped; hands are the flat hand (``flat``), jaw, eyes and expression
  zero; SMPL ``betas`` are kept as they are (SMPL and SMPL-X shape spaces differ: approximate);
* ``transl = camera``; SMPL's and SMPL-X's pelvis rest positions differ by a few centimetres.
* The frame number is the last digit group of the frame path's file name (``000012.jpg`` -> 12), else ``time``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
from scipy.spatial.transform import Rotation

from ..contracts.estimates import BodyEstimate
from ..errors import UnsafePickleError
from ..fileio.safe_joblib import load_joblib
from .array_checks import as_float_array, check_finite, check_policy, check_rotation_matrices
from .assemble import body_from_rows, pick_person
from .input_errors import EstimatorInputError

PathLike = Union[str, Path]

#: HMR 2.0 / PHALP camera: focal 5000 on the 256-pixel render of the padded image (``EXTRA.FOCAL_LENGTH``,
#: ``render.res``).
PHALP_FOCAL = 5000.0
PHALP_RENDER_RES = 256
NUM_SMPL_BODY_JOINTS = 23
#: Frame numbers beyond this are refused (no footage has 10**12 frames).
MAX_FRAME = 10**12
_LIST_KEYS = ("tid", "smpl", "camera")

CONVENTIONS = {
    "rotations": "SMPL rotation matrices -> axis-angle; SMPL body joints 1-21 = SMPL-X 1-21, 22-23 dropped",
    "hand_pose_relative_to": "flat (SMPL has no fingers)",
    "camera_frame": "OpenCV (x right, y down, z forward)",
    "transl": "camera = pred_cam_t in the full image: focal 5000/256*max(H,W), principal point at the padded "
              "square's centre",
    "betas": "SMPL shape coefficients, kept as they are (approximate for SMPL-X)",
    "track_id": "tid, PHALP's track id: an identity across frames",
    "predicted_rows": "tracked_time > 0: predicted, not detected; left out (frames become gaps)",
}


def phalp_intrinsics(image_height: float, image_width: float) -> np.ndarray:
    """(3, 3) full-image K of PHALP's ``camera``: focal 5000/256*S, principal point (S/2 - left, S/2 - top)."""
    s = float(max(image_height, image_width))
    left = (int(s) - int(image_width)) // 2
    top = (int(s) - int(image_height)) // 2
    f = PHALP_FOCAL / PHALP_RENDER_RES * s
    return np.array([[f, 0.0, s / 2.0 - left], [0.0, f, s / 2.0 - top], [0.0, 0.0, 1.0]])


def is_phalp_mapping(data: Any) -> bool:
    """True for a PHALP results dict: frame path -> dict with ``tid`` and ``smpl`` lists."""
    if not isinstance(data, Mapping) or not data:
        return False
    first = next(iter(data.values()))
    return isinstance(first, Mapping) and all(k in first for k in ("tid", "smpl"))


def load_phalp(path: PathLike) -> dict:
    """The results dict of a PHALP / 4D-Humans ``.pkl`` (joblib, compressed or not), restricted-unpickled."""
    path = Path(path)
    if not path.is_file():
        raise EstimatorInputError("file not found", path=path)
    data = load_joblib(path)
    if not is_phalp_mapping(data):
        raise EstimatorInputError("not a PHALP / 4D-Humans results file (expected frame path -> {tid, smpl, "
                                  "camera, bbox, ...})", path=path)
    return dict(data)


def is_phalp_file(path: PathLike) -> bool:
    """Whether ``path`` is a PHALP / 4D-Humans results ``.pkl``."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() != ".pkl":
        return False
    try:
        return is_phalp_mapping(load_joblib(path))
    except UnsafePickleError:
        return False


_DIGITS = re.compile(r"(\d+)")


def _frame_number(key: Any, entry: Mapping, path: Path) -> tuple[int, str]:
    name = str(entry.get("frame_path", key)).replace("\\", "/").rsplit("/", 1)[-1]
    groups = _DIGITS.findall(name.rsplit(".", 1)[0])
    if groups:
        frame, how, fld = (int(groups[-1]) if len(groups[-1]) <= 12 else -1), "file name", "frame_path"
    else:
        t = entry.get("time")
        if not isinstance(t, (int, np.integer)) or isinstance(t, bool):
            raise EstimatorInputError("cannot tell the frame number (no digits in the frame path and no 'time')",
                                      path=path, field="frame_path")
        frame, how, fld = int(t), "time", "time"
    if not 0 <= frame < MAX_FRAME:
        raise EstimatorInputError(f"frame number out of range (0 to {MAX_FRAME - 1})", path=path, field=fld)
    return frame, how


def _list(entry: Mapping, key: str, n: int, path: Path, frame: int) -> list:
    value = entry.get(key)
    if value is None:
        return [None] * n
    if not isinstance(value, (list, tuple)):
        raise EstimatorInputError(f"expected a list with one entry per track, found {type(value).__name__}",
                                  path=path, field=key, frame=frame)
    if len(value) != n:
        raise EstimatorInputError(f"has {len(value)} entries but 'tid' has {n}", path=path, field=key, frame=frame)
    return list(value)


def _smpl_rows(smpl: Any, path: Path, frame: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(smpl, Mapping):
        raise EstimatorInputError(f"expected a dict of SMPL parameters, found {type(smpl).__name__}", path=path,
                                  field="smpl", frame=frame)
    out = []
    for key, shape in (("global_orient", (1, 3, 3)), ("body_pose", (NUM_SMPL_BODY_JOINTS, 3, 3)), ("betas", None)):
        if key not in smpl:
            raise EstimatorInputError("missing", path=path, field=f"smpl.{key}", frame=frame)
        arr = as_float_array(smpl[key], path, f"smpl.{key}", frame=frame)
        if shape is not None:
            if arr.size != int(np.prod(shape)):
                raise EstimatorInputError(f"expected shape {shape}, found {tuple(arr.shape)}", path=path,
                                          field=f"smpl.{key}", frame=frame)
            arr = arr.reshape(shape)
        else:
            if arr.ndim > 2 or arr.size == 0 or arr.size > 300:
                raise EstimatorInputError(f"expected (B,) shape coefficients, found {tuple(arr.shape)}", path=path,
                                          field="smpl.betas", frame=frame)
            arr = arr.reshape(-1)
        out.append(arr)
    return out[0], out[1], out[2]


def read_phalp_people(path: PathLike, *, image_size: Optional[Sequence[float]] = None, nonfinite: str = "raise",
                      keep_predicted: bool = False) -> list[BodyEstimate]:
    """Every track of a PHALP / 4D-Humans results ``.pkl``, one :class:`BodyEstimate` per ``tid``.

    Args:
        path: the ``.pkl`` (``joblib.dump`` output).
        image_size: (W, H) when the file's ``size`` is missing.
        nonfinite: ``"raise"`` or ``"invalidate"`` (see :mod:`core.io.assemble`).
        keep_predicted: also keep rows with ``tracked_time > 0`` (predictions), as valid rows.
    """
    check_policy(nonfinite)
    path = Path(path)
    data = load_phalp(path)
    rows: dict[int, dict[str, list]] = {}
    frame_sources: set[str] = set()
    predicted = 0
    sizes: set[tuple[float, float]] = set()
    for key, entry in data.items():
        if not isinstance(entry, Mapping):
            raise EstimatorInputError(f"expected a dict per frame, found {type(entry).__name__}", path=path,
                                      field=str(key)[:60])
        frame, how = _frame_number(key, entry, path)
        frame_sources.add(how)
        tids = entry.get("tid")
        if not isinstance(tids, (list, tuple)):
            raise EstimatorInputError("expected a list of track ids", path=path, field="tid", frame=frame)
        n = len(tids)
        smpl, cams = _list(entry, "smpl", n, path, frame), _list(entry, "camera", n, path, frame)
        boxes, confs = _list(entry, "bbox", n, path, frame), _list(entry, "conf", n, path, frame)
        tracked = _list(entry, "tracked_time", n, path, frame)
        size_list = _list(entry, "size", n, path, frame) if isinstance(entry.get("size"), (list, tuple)) else [None] * n
        for i in range(n):
            tid = tids[i]
            if isinstance(tid, bool) or not isinstance(tid, (int, np.integer)):
                raise EstimatorInputError(f"track id {str(tid)[:20]!r} is not an integer", path=path, field="tid",
                                          frame=frame)
            tt = tracked[i]
            if tt is not None:
                tt = as_float_array(tt, path, "tracked_time", frame=frame).reshape(-1)
                if tt.size != 1 or not np.isfinite(tt[0]):
                    raise EstimatorInputError("expected one number per track", path=path, field="tracked_time",
                                              frame=frame)
                if tt[0] > 0 and not keep_predicted:
                    predicted += 1
                    continue
            if smpl[i] is None or cams[i] is None:
                raise EstimatorInputError("missing for a track", path=path, field="smpl" if smpl[i] is None
                                          else "camera", frame=frame)
            go, bp, betas = _smpl_rows(smpl[i], path, frame)
            cam = as_float_array(cams[i], path, "camera", frame=frame).reshape(-1)
            if cam.size != 3:
                raise EstimatorInputError(f"expected [tx, ty, tz], found {cam.size} value(s)", path=path,
                                          field="camera", frame=frame)
            if size_list[i] is not None:
                hw = as_float_array(size_list[i], path, "size", frame=frame).reshape(-1)
                if hw.size != 2 or not np.isfinite(hw).all() or (hw <= 0).any() or (hw > 1e6).any():
                    raise EstimatorInputError("expected [height, width] in pixels", path=path, field="size",
                                              frame=frame)
                sizes.add((float(hw[1]), float(hw[0])))
            box = None
            if boxes[i] is not None:
                box = as_float_array(boxes[i], path, "bbox", frame=frame).reshape(-1)
                if box.size != 4:
                    raise EstimatorInputError(f"expected [x0, y0, w, h], found {box.size} value(s)", path=path,
                                              field="bbox", frame=frame)
            conf = None
            if confs[i] is not None:
                c = as_float_array(confs[i], path, "conf", frame=frame).reshape(-1)
                conf = float(c[0]) if c.size == 1 else None
            r = rows.setdefault(int(tid), {"frame": [], "go": [], "bp": [], "betas": [], "cam": [], "box": [],
                                           "conf": []})
            r["frame"].append(frame)
            r["go"].append(go)
            r["bp"].append(bp)
            r["betas"].append(betas)
            r["cam"].append(cam)
            r["box"].append(box)
            r["conf"].append(conf)
    if not rows:
        raise EstimatorInputError("holds no detected track (every entry is empty or predicted)", path=path,
                                  field="tid")
    if len(sizes) > 1:
        raise EstimatorInputError(f"the image size changes between frames ({sorted(sizes)[:2]})", path=path,
                                  field="size")
    if sizes:
        w, h = next(iter(sizes))
    elif image_size is not None:
        w, h = (float(v) for v in np.asarray(image_size, dtype=np.float64).reshape(2))
    else:
        raise EstimatorInputError("no image size: the file has no 'size'; pass image_size=(W, H)", path=path,
                                  field="size")
    camera_K = phalp_intrinsics(h, w)
    return [_track_estimate(path, tid, r, camera_K, (w, h), nonfinite, predicted, frame_sources)
            for tid, r in sorted(rows.items())]


def _track_estimate(path: Path, tid: int, r: dict, camera_K: np.ndarray, size: tuple[float, float],
                    nonfinite: str, predicted: int, frame_sources: set) -> BodyEstimate:
    frames = np.asarray(r["frame"], dtype=np.int64)
    n = frames.shape[0]
    go = np.stack(r["go"])  # (n, 1, 3, 3)
    bp = np.stack(r["bp"])  # (n, 23, 3, 3)
    widths = {b.shape[0] for b in r["betas"]}
    if len(widths) != 1:
        raise EstimatorInputError(f"track {tid}: the number of shape coefficients changes ({sorted(widths)})",
                                  path=path, field="smpl.betas")
    betas = np.stack(r["betas"])
    cam = np.stack(r["cam"])
    if nonfinite == "raise":
        for name, arr in (("smpl.global_orient", go), ("smpl.body_pose", bp), ("smpl.betas", betas),
                          ("camera", cam)):
            check_finite(arr, path, name, frames)
    finite = np.all(np.isfinite(go.reshape(n, -1)), 1) & np.all(np.isfinite(bp.reshape(n, -1)), 1)
    check_rotation_matrices(go, path, "smpl.global_orient", frames, skip_rows=~finite)
    check_rotation_matrices(bp, path, "smpl.body_pose", frames, skip_rows=~finite)
    safe_go = np.where(finite[:, None, None, None], go, np.eye(3))
    safe_bp = np.where(finite[:, None, None, None], bp, np.eye(3))
    go_aa = Rotation.from_matrix(_orthonormal(safe_go.reshape(-1, 3, 3))).as_rotvec().reshape(n, 3)
    bp_aa = Rotation.from_matrix(_orthonormal(safe_bp[:, :21].reshape(-1, 3, 3))).as_rotvec().reshape(n, 21, 3)
    go_aa[~finite] = np.nan
    bp_aa[~finite] = np.nan
    have_box = all(b is not None for b in r["box"])
    bbox = None
    if have_box:
        xywh = np.stack(r["box"])
        bbox = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    have_conf = all(c is not None for c in r["conf"])
    fields = {
        "global_orient": go_aa, "body_pose": bp_aa, "left_hand_pose": np.zeros((n, 15, 3)),
        "right_hand_pose": np.zeros((n, 15, 3)), "jaw_pose": np.zeros((n, 3)), "leye_pose": np.zeros((n, 3)),
        "reye_pose": np.zeros((n, 3)), "betas": betas, "expression": np.zeros((n, 10)), "transl": cam,
        "camera_K": np.broadcast_to(camera_K, (n, 3, 3)).copy(),
    }
    source = {
        "format": "phalp", "path": str(path), "conventions": dict(CONVENTIONS),
        "track_id": int(tid), "person_id_meaning": "PHALP track id (tid): an identity across frames",
        "predicted_rows": int(predicted), "frame_number_from": sorted(frame_sources),
        "dropped_smpl_joints": ["left_hand (22)", "right_hand (23)"], "warnings": [],
    }
    return body_from_rows(
        fields, frames, where=path, hand_pose_relative_to="flat", model_variant="smpl", source=source,
        person_id=int(tid), image_size=size, bbox=bbox,
        score=np.asarray(r["conf"], dtype=np.float64) if have_conf else None, nonfinite=nonfinite,
        report_order=False,
        names={"global_orient": "smpl.global_orient", "body_pose": "smpl.body_pose", "betas": "smpl.betas",
               "transl": "camera", "camera_K": "size", "bbox": "bbox", "score": "conf"})


def _orthonormal(mats: np.ndarray) -> np.ndarray:
    """(N, 3, 3) near-rotations (checked to 1e-2) -> the nearest rotations (SVD), as float32 files round off."""
    u, _, vt = np.linalg.svd(mats)
    return u @ vt


def read_phalp(path: PathLike, *, person_id: Optional[int] = None, **options: Any) -> BodyEstimate:
    """One track of a PHALP / 4D-Humans results file; ``person_id`` (the ``tid``) where there are several."""
    return pick_person(read_phalp_people(path, **options), person_id, path)


__all__ = ["PHALP_FOCAL", "PHALP_RENDER_RES", "CONVENTIONS", "phalp_intrinsics", "is_phalp_mapping", "is_phalp_file",
           "load_phalp", "read_phalp_people", "read_phalp"]
