"""Per-frame 2D keypoints from a detector run on the footage (OpenPose, MMPose / RTMPose / DWPose / RTMW, ViTPose
...), read as camera-fit evidence. numpy only.

Unlike the estimators' crop cameras, a 2D detector sees the real camera's perspective: these pixels are what lets the
fit recover the focal length (see :mod:`core.camera.fit`).

:func:`read_keypoints2d` recognises the file (:func:`detect_keypoints_format`) and reads it as it is written:
- ``openpose``: OpenPose's ``--write_json`` output, one ``*_keypoints.json`` (one image) or a folder of them
  (BODY_25 or COCO-18 + hands + face, several people; :mod:`core.io.openpose`);
- ``mmpose``: MMPose's inferencer predictions (COCO-WholeBody 133), a JSON file or a folder of per-image files;
- ``rtmlib``: rtmlib's ``keypoints`` (N, 133, 2) and ``scores`` (N, 133) saved as an npz, or stacked over frames
  (:mod:`core.io.coco_wholebody`);
- ``smplx``: the project's own file, already in smplx's order (``.npz``, or ``.json`` with the same keys as lists):
  - ``keypoints``: (T, J, 2) pixels (x right, y down, origin at the top-left pixel corner), or (T, J, 3) with the
    confidence as the third column (OpenPose style); NaN where a keypoint was not detected;
  - ``confidence``: (T, J) in [0, 1] (optional; default 1 where the pixels are finite; ignored with (T, J, 3));
  - ``frame_ids``: (T,) int footage frame of each row (optional; default 0 .. T-1, the fused file's rows);
  - ``image_size``: (2,) W, H of the images the pixels refer to (optional; default the estimators' images).
    Pixels of another size are rescaled per axis.
  Joints are in **smplx's keypoint order** (:data:`core.io.keypoint_layouts.SMPLX_KEYPOINT_NAMES`): J >= 55, the
  model's joints (pelvis ... right_thumb3); J >= 76 adds nose, eyes, ears, feet and the ten fingertips (indices
  55-75, in :data:`SMPLX_EXTRA_KEYPOINTS` order), e.g. J = 127 for smplx's full joint output. Rows beyond are
  ignored.
Detector files are converted to smplx's order with the correspondences of :mod:`core.io.keypoint_layouts`
(sourced there): the detectors' hips, neck and MidHip are not SMPL-X joints and are ignored, as SMPLify-X does; the
nose, eyes, ears, toes and heels map to smplx's vertex keypoints (the fit's ``head`` and ``feet`` points).

Used by the fit (:func:`point_sources`): joints 0-21 (body), the wrists and the 30 finger joints, the fingertips,
the nose, eyes and ears (``head``) and the toes and heels (``feet``), in the layout of :mod:`core.camera.points`.

Several people: a detector file keeps everyone (``people_uv`` / ``people_confidence``); ``uv`` holds one person per
frame, the one given by ``person`` (an index into the file's per-frame list) or, by default, the most prominent (the
largest keypoint box times the body keypoints' total confidence). Given the body estimate's pixels,
:func:`keypoints_as_points` picks per frame the person whose keypoint box overlaps the estimate's most
(:func:`pick_people`).

Frames: a file of one image (``single_image``) matches a one-row take whatever its frame number.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..fileio.atomic_write import save_npz_atomic
from ..fusion.hands import FINGERTIPS, SIDE_NAMES, openpose_hand_joint_indices
from .conversions import check_image_size
from .errors import CameraError
from .points import FEET_POINTS, HEAD_POINTS, NUM_POINTS, POINT_GROUPS

#: smplx's keypoints after the 55 model joints (``smplx/joint_names.py`` ``JOINT_NAMES[55:76]``); the same tuple as
#: :data:`core.io.keypoint_layouts.SMPLX_EXTRA_KEYPOINTS` (kept here too: the camera package imports ``core.io``
#: only inside the readers' calls, so that it imports with numpy alone).
SMPLX_EXTRA_KEYPOINTS = ("nose", "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe",
                         "left_heel", "right_big_toe", "right_small_toe", "right_heel", "left_thumb", "left_index",
                         "left_middle", "left_ring", "left_pinky", "right_thumb", "right_index", "right_middle",
                         "right_ring", "right_pinky")
NUM_MODEL_JOINTS = 55
#: Keypoint formats :func:`read_keypoints2d` recognises.
KEYPOINT_FORMATS = ("smplx", "openpose", "mmpose", "rtmlib")
_BODY_KEYPOINTS = np.arange(66)  # smplx joints and the head / feet keypoints: what a person's box is made of


@dataclass
class Keypoints2D:
    """A detector's 2D keypoints, one person per frame (and, from a detector file, every person).

    Attributes:
        uv: (T, J, 2) pixels, NaN where not detected; confidence: (T, J) in [0, 1], 0 there.
        frame_ids: (T,) footage frame of each row; image_size: (2,) W, H or None; path: the file.
        single_image: the file is one image: it matches a one-row take whatever its frame number.
        people_uv: (T, P, J, 2) every detected person (NaN-padded), or None (the project's own files);
        people_confidence: (T, P, J), or None.
        person: (T,) the index into ``people_uv`` of the person in ``uv``, -1 where none; None without people.
        layout: what was read (``smplx``, ``openpose body_25 + hand_left_21 ...``, ``mmpose ...``, ``rtmlib ...``).
        notes: decisions taken while reading.
    """

    uv: np.ndarray
    confidence: np.ndarray
    frame_ids: np.ndarray
    image_size: Optional[np.ndarray]
    path: Optional[Path] = None
    single_image: bool = False
    people_uv: Optional[np.ndarray] = None
    people_confidence: Optional[np.ndarray] = None
    person: Optional[np.ndarray] = None
    layout: str = "smplx"
    notes: list = field(default_factory=list)


def point_sources() -> np.ndarray:
    """(76,) the keypoint (smplx order) behind each point of :mod:`core.camera.points`, -1 where none (the face
    box point)."""
    src = np.full(NUM_POINTS, -1, dtype=np.int64)
    src[POINT_GROUPS["body"]] = np.arange(22)
    for side, group in ((0, "left_hand"), (1, "right_hand")):
        idx = openpose_hand_joint_indices(side).copy()
        for k, (tip, _) in FINGERTIPS.items():
            idx[k] = NUM_MODEL_JOINTS + SMPLX_EXTRA_KEYPOINTS.index(f"{SIDE_NAMES[side]}_{tip}")
        src[POINT_GROUPS[group]] = idx
    for group, table in (("head", HEAD_POINTS), ("feet", FEET_POINTS)):
        src[POINT_GROUPS[group]] = [NUM_MODEL_JOINTS + SMPLX_EXTRA_KEYPOINTS.index(name) for name, _, _ in table]
    return src


def keypoint_boxes(uv: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(..., 4) x1, y1, x2, y2 of each person's confident body keypoints (smplx 0-65), NaN where none.

    Args:
        uv: (..., J, 2) pixels; confidence: (..., J).
    """
    cols = _BODY_KEYPOINTS[_BODY_KEYPOINTS < uv.shape[-2]]
    pts = uv[..., cols, :]
    ok = (confidence[..., cols] > 0)[..., None] & np.isfinite(pts)
    with np.errstate(invalid="ignore"):
        lo = np.min(np.where(ok, pts, np.inf), axis=-2)
        hi = np.max(np.where(ok, pts, -np.inf), axis=-2)
    box = np.concatenate([lo, hi], axis=-1)
    return np.where(np.all(np.isfinite(box), axis=-1, keepdims=True), box, np.nan)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes (..., 4) x1, y1, x2, y2; 0 where either is NaN or empty."""
    w = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    h = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    inter = np.clip(np.nan_to_num(w), 0, None) * np.clip(np.nan_to_num(h), 0, None)
    area = lambda x: np.clip(np.nan_to_num(x[..., 2] - x[..., 0]), 0, None) * \
        np.clip(np.nan_to_num(x[..., 3] - x[..., 1]), 0, None)  # noqa: E731
    union = area(a) + area(b) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def prominent_people(people_uv: np.ndarray, people_confidence: np.ndarray) -> np.ndarray:
    """(T,) per frame the person with the largest keypoint box (diagonal) times body keypoint confidence, -1 where
    nobody was detected."""
    box = keypoint_boxes(people_uv, people_confidence)
    diag = np.nan_to_num(np.hypot(box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]))
    cols = _BODY_KEYPOINTS[_BODY_KEYPOINTS < people_uv.shape[-2]]
    score = diag * people_confidence[..., cols].sum(axis=-1) + 1e-9 * people_confidence.sum(axis=-1)
    best = np.argmax(score, axis=1)
    return np.where(score.max(axis=1) > 0, best, -1)


def pick_people(people_uv: np.ndarray, people_confidence: np.ndarray, reference_uv: np.ndarray) -> np.ndarray:
    """(T,) per frame the person whose keypoint box overlaps most (IoU) the box of ``reference_uv`` (T, N, 2), the
    body estimate's pixels on the same rows; -1 where no person overlaps it (or the reference has no box)."""
    ref = np.asarray(reference_uv, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(ref)
        lo = np.min(np.where(ok, ref, np.inf), axis=1)
        hi = np.max(np.where(ok, ref, -np.inf), axis=1)
    ref_box = np.concatenate([lo, hi], axis=-1)
    ref_box = np.where(np.all(np.isfinite(ref_box), axis=-1, keepdims=True), ref_box, np.nan)
    iou = box_iou(keypoint_boxes(people_uv, people_confidence), ref_box[:, None])
    return np.where(iou.max(axis=1) > 0, np.argmax(iou, axis=1), -1)


def choose_person(keypoints: Keypoints2D, person: np.ndarray) -> Keypoints2D:
    """A copy of ``keypoints`` whose ``uv`` / ``confidence`` hold ``person`` (T,) of ``people_uv`` (-1: none)."""
    t = keypoints.people_uv.shape[0]
    rows = np.arange(t)
    have = person >= 0
    uv = np.full(keypoints.people_uv.shape[:1] + keypoints.people_uv.shape[2:], np.nan)
    conf = np.zeros(keypoints.people_confidence.shape[:1] + keypoints.people_confidence.shape[2:])
    uv[have] = keypoints.people_uv[rows[have], person[have]]
    conf[have] = keypoints.people_confidence[rows[have], person[have]]
    return replace(keypoints, uv=uv, confidence=conf, person=person.astype(np.int64))


def _array(data: dict, key: str, path: Path) -> Optional[np.ndarray]:
    if key not in data or data[key] is None:
        return None
    try:
        return np.asarray(data[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise CameraError("expected numbers", path=path, field=key) from None


def detect_keypoints_format(path: Union[str, Path]) -> str:
    """Which of :data:`KEYPOINT_FORMATS` a file or folder holds (by name, then content); :class:`CameraError` when
    none."""
    return _detect(Path(path).expanduser())[0]


def _detect(p: Path) -> tuple[str, Any]:
    """``(format, the loaded document or npz arrays, or None for a folder)``."""
    from ..io.coco_wholebody import is_rtmlib_npz
    from ..io.loaders import load_json
    from ..io.openpose import is_openpose_json, openpose_files

    if p.is_dir():
        files = openpose_files(p)
        if not files:
            raise CameraError("no 2D keypoint files (*_keypoints.json, *.json) in this folder", path=p)
        if files[0].name.endswith("_keypoints.json") or is_openpose_json(load_json(files[0])):
            return "openpose", None
        return "mmpose", None
    if not p.is_file():
        raise CameraError("2D keypoint file not found", path=p)
    suffix = p.suffix.lower()
    if suffix == ".json":
        data = load_json(p)
        if is_openpose_json(data):
            return "openpose", data
        if isinstance(data, dict) and "keypoints" in data:
            return "smplx", data
        if isinstance(data, (dict, list)):
            return "mmpose", data
        raise CameraError("expected a JSON object with 'keypoints', OpenPose's 'people' or MMPose's predictions",
                          path=p)
    if suffix == ".npz":
        from ..fileio.safe_pickle import load_npz

        # every member checked against its bytes before it is read; object arrays (through the restricted
        # unpickler) are no keypoints and are left out
        data = {k: v for k, v in load_npz(p, error=CameraError, allow_objects=True).items()
                if isinstance(v, np.ndarray) and not v.dtype.hasobject}
        if "confidence" not in data and is_rtmlib_npz(data):
            return "rtmlib", data
        return "smplx", data
    raise CameraError("expected a .npz or .json 2D keypoint file (or a folder of OpenPose / MMPose JSON files)",
                      path=p)


def read_keypoints2d(path: Union[str, Path], person: Optional[int] = None) -> Keypoints2D:
    """Read a 2D keypoint file or folder in any of :data:`KEYPOINT_FORMATS` (see the module notes).

    Args:
        person: with several people per frame, the index into each frame's list of people to use; default the
            most prominent (:func:`prominent_people`), re-picked against the body estimate by
            :func:`keypoints_as_points` when it is given one.
    Raises:
        :class:`core.errors.FusionError` (:class:`CameraError`, or the readers' ``EstimatorInputError``) naming the
        file, field and frame on bad input.
    """
    p = Path(path).expanduser()
    fmt, data = _detect(p)
    if fmt == "smplx":
        return _read_smplx(p, data)
    from ..io.coco_wholebody import read_mmpose_json, read_rtmlib_npz
    from ..io.openpose import read_openpose

    if fmt == "openpose":
        det = read_openpose(p)
    elif fmt == "mmpose":
        det = read_mmpose_json(p)
    else:
        det = read_rtmlib_npz(p, data)
    out = Keypoints2D(uv=det.uv[:, 0], confidence=det.score[:, 0], frame_ids=det.frame_ids, image_size=det.image_size,
                      path=p, single_image=det.single_image, people_uv=det.uv, people_confidence=det.score,
                      layout=det.layout, notes=list(det.notes))
    if person is not None:
        if isinstance(person, bool) or not isinstance(person, (int, np.integer)) or person < 0:
            raise CameraError(f"expected a person index >= 0, found {person!r}", path=p, field="person")
        chosen = np.where(np.any(det.score[:, min(int(person), det.num_people - 1)] > 0, axis=-1)
                          & (int(person) < det.num_people), int(person), -1)
        if not np.any(chosen >= 0):
            raise CameraError(f"no frame has a person {person} (at most {det.num_people} per frame)", path=p,
                              field="person")
        out.notes.append(f"person {person} of each frame's list")
        return choose_person(out, chosen)
    chosen = prominent_people(det.uv, det.score)
    if det.num_people > 1:
        out.notes.append(f"up to {det.num_people} people per frame: the most prominent kept until the body estimate "
                         "picks one")
    return choose_person(out, chosen)


def _read_smplx(p: Path, data: Any) -> Keypoints2D:
    """The project's own format (already loaded)."""
    if not isinstance(data, dict):
        raise CameraError("expected a JSON object with 'keypoints'", path=p)
    kp = _array(data, "keypoints", p)
    if kp is None:
        raise CameraError("missing", path=p, field="keypoints")
    if kp.ndim != 3 or kp.shape[2] not in (2, 3) or kp.shape[1] < NUM_MODEL_JOINTS or kp.shape[0] < 1:
        raise CameraError(f"expected (T, J >= {NUM_MODEL_JOINTS}, 2 or 3) in smplx joint order, found "
                          f"{tuple(kp.shape)}", path=p, field="keypoints")
    t, j = kp.shape[:2]
    conf = kp[..., 2] if kp.shape[2] == 3 else _array(data, "confidence", p)
    uv = kp[..., :2].copy()
    finite = np.all(np.isfinite(uv), axis=-1)
    if conf is None:
        conf = finite.astype(np.float64)
    if conf.shape != (t, j):
        raise CameraError(f"expected ({t}, {j}) to match keypoints, found {tuple(conf.shape)}", path=p,
                          field="confidence")
    conf = np.where(finite & np.isfinite(conf), np.clip(conf, 0.0, 1.0), 0.0)
    uv[~finite] = np.nan
    ids = _array(data, "frame_ids", p)
    if ids is None:
        frame_ids = np.arange(t, dtype=np.int64)
    else:
        if ids.shape != (t,) or not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)):
            raise CameraError(f"expected ({t},) whole frame numbers", path=p, field="frame_ids")
        frame_ids = ids.astype(np.int64)
        if np.any(np.diff(frame_ids) <= 0):
            raise CameraError("expected increasing frame numbers", path=p, field="frame_ids")
    size = _array(data, "image_size", p)
    image_size = None
    if size is not None:
        try:
            image_size = check_image_size(size, "image_size")
        except CameraError:
            raise CameraError(f"expected (W, H) positive pixel sizes, found {size.tolist()}", path=p,
                              field="image_size") from None
    return Keypoints2D(uv=uv, confidence=conf, frame_ids=frame_ids, image_size=image_size, path=p)


def write_keypoints2d(path: Union[str, Path], uv: np.ndarray, confidence: Optional[np.ndarray] = None,
                      frame_ids: Optional[np.ndarray] = None, image_size: Optional[np.ndarray] = None) -> Path:
    """Write the ``.npz`` format of the module notes: ``uv`` (T, J, 2), ``confidence`` (T, J), ``frame_ids`` (T,).
    Atomic; ``.npz`` is appended when ``path`` lacks it; returns the path written."""
    p = Path(path)
    if p.suffix.lower() != ".npz":
        p = p.with_name(p.name + ".npz")
    arrays = {"keypoints": np.asarray(uv, dtype=np.float32)}
    if confidence is not None:
        arrays["confidence"] = np.asarray(confidence, dtype=np.float32)
    if frame_ids is not None:
        arrays["frame_ids"] = np.asarray(frame_ids, dtype=np.int64)
    if image_size is not None:
        arrays["image_size"] = np.asarray(image_size, dtype=np.float64)
    return save_npz_atomic(p, arrays)


def frame_rows(frame_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the sorted ``frame_ids`` (T,) holding each of ``ids`` (N,): ``(row (N,), matched (N,) bool)``."""
    frame_ids = np.asarray(frame_ids, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    row = np.clip(np.searchsorted(frame_ids, ids), 0, max(frame_ids.shape[0] - 1, 0))
    return row, frame_ids[row] == ids


def keypoints_as_points(keypoints: Keypoints2D, frame_ids: np.ndarray, image_size: np.ndarray,
                        reference_uv: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """The keypoints in the 76-point layout of :mod:`core.camera.points`, on the fused file's rows.

    Args:
        frame_ids: (T,) footage frame of each fused row; image_size: (W, H) of the evidence's pixels.
        reference_uv: (T, N, 2) the body estimate's pixels on the same rows (NaN where none), optional: with
            several people in the file, each row takes the person whose keypoint box overlaps the estimate's most
            (:func:`pick_people`; the file's default person where none overlaps).
    Returns:
        ``uv`` (T, 76, 2) pixels (NaN where none) and ``confidence`` (T, 76) (0 where none, e.g. the face point).
    """
    ids = np.asarray(frame_ids, dtype=np.int64)
    t = ids.shape[0]
    src = point_sources()
    have = (src >= 0) & (src < keypoints.uv.shape[1])
    uv = np.full((t, NUM_POINTS, 2), np.nan)
    conf = np.zeros((t, NUM_POINTS))
    if keypoints.single_image and t == 1 and keypoints.frame_ids.shape[0] == 1:
        rows, matched = np.zeros(1, dtype=np.int64), np.ones(1, dtype=bool)  # one image matches one image
    else:
        rows, matched = frame_rows(ids, keypoints.frame_ids)
    pix, kconf = keypoints.uv, keypoints.confidence
    if reference_uv is not None and keypoints.people_uv is not None and keypoints.people_uv.shape[1] > 1:
        ref = np.full((keypoints.frame_ids.shape[0],) + np.asarray(reference_uv).shape[1:], np.nan)
        ref[matched] = np.asarray(reference_uv, dtype=np.float64)[rows[matched]]
        people_uv = keypoints.people_uv
        if keypoints.image_size is not None and not np.allclose(keypoints.image_size, image_size):
            ref = ref * (keypoints.image_size / np.asarray(image_size, dtype=np.float64))
        picked = pick_people(people_uv, keypoints.people_confidence, ref)
        default = keypoints.person if keypoints.person is not None else np.zeros(picked.shape, dtype=np.int64)
        chosen = choose_person(keypoints, np.where(picked >= 0, picked, default))
        pix, kconf = chosen.uv, chosen.confidence
    if keypoints.image_size is not None and not np.allclose(keypoints.image_size, image_size):
        pix = pix * (np.asarray(image_size, dtype=np.float64) / keypoints.image_size)
    uv[np.ix_(rows[matched], np.flatnonzero(have))] = pix[matched][:, src[have]]
    conf[np.ix_(rows[matched], np.flatnonzero(have))] = kconf[matched][:, src[have]]
    return uv, conf


__all__ = ["SMPLX_EXTRA_KEYPOINTS", "NUM_MODEL_JOINTS", "KEYPOINT_FORMATS", "Keypoints2D", "point_sources",
           "keypoint_boxes", "box_iou", "prominent_people", "pick_people", "choose_person", "detect_keypoints_format",
           "read_keypoints2d", "write_keypoints2d", "frame_rows", "keypoints_as_points"]
