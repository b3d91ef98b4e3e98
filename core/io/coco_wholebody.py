"""COCO-WholeBody keypoints (133 per person) as MMPose's inferencer and rtmlib write them. numpy only.

**MMPose** (open-mmlab/mmpose ``mmpose/apis/inferencers/base_mmpose_inferencer.py`` ``postprocess`` and
``_finalize_video_processing``; ``mmpose/structures/utils.py`` ``split_instances``): each instance is
``{"keypoints": [[x, y] * K], "keypoint_scores": [K], "bbox": [[x1, y1, x2, y2]], "bbox_score": s}`` (``bbox`` is a
one-element list: ``split_instances`` assigns a 1-tuple). With ``pred_out_dir`` an image gives
``<image name>.json`` holding the list of its instances; a video gives ``<video name>.json`` holding
``[{"frame_id": i, "instances": [...]}, ...]``. The inferencer's returned dict, dumped by a user, holds
``{"predictions": [[instances of image 0], ...]}``. All three are read, one file or a folder of per-image files.

**rtmlib** (Tau-J/rtmlib ``rtmlib/tools/solution/wholebody.py``: ``keypoints, scores = wholebody(image)``, RTMPose /
DWPose / RTMW): ``keypoints`` (N, 133, 2) pixels and ``scores`` (N, 133) per image, which users save with
``np.savez(path, keypoints=..., scores=...)``; one image per file, or stacked over frames as (T, N, 133, 2) and
(T, N, 133) with an optional ``frame_ids`` (T,). With ``to_openpose=True`` the layout is rtmlib's OpenPose-style
134 (a neck inserted, the body in OpenPose's COCO-18 order): read too, told apart by its count.

Keypoint orders (COCO-WholeBody 133: open-mmlab/mmpose ``configs/_base_/datasets/coco_wholebody.py``), their smplx
correspondences and what is ignored (the hips, rtmlib's neck): :mod:`.keypoint_layouts`. rtmlib's scores are
SimCC confidences (not probabilities) and are clipped to [0, 1]; a point rtmlib could not place is (-1, -1) with a
score <= 0 and is missing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from .array_checks import as_float_array
from .detector_keypoints import (
    DetectorKeypoints,
    check_frame_ids,
    clean_points,
    sort_by_frame,
    stack_people,
)
from .frames import frame_from_name, frames_from_key, frames_from_names
from .input_errors import EstimatorInputError
from .keypoint_layouts import WHOLEBODY_LAYOUTS, KeypointLayout, to_smplx_order
from .loaders import load_json, load_npz

MAX_FILES = 1_000_000


def _layout_for(count: int, path: Path, field: str, frame: Optional[int]) -> KeypointLayout:
    layout = WHOLEBODY_LAYOUTS.get(count)
    if layout is None:
        raise EstimatorInputError(f"expected {' or '.join(str(k) for k in WHOLEBODY_LAYOUTS)} keypoints per person "
                                  f"(COCO-WholeBody), found {count}", path=path, field=field, frame=frame)
    return layout


def _box(value: Any, path: Path, field: str, frame: int) -> np.ndarray:
    """MMPose's ``bbox`` ([[x1, y1, x2, y2]] or [x1, y1, x2, y2]) -> (4,), NaN when absent or not a box."""
    if value is None:
        return np.full(4, np.nan)
    arr = as_float_array(value, path, field, frame).reshape(-1)
    if arr.size != 4:
        raise EstimatorInputError(f"expected a box [x1, y1, x2, y2], found {arr.size} numbers", path=path,
                                  field=field, frame=frame)
    ok = np.all(np.isfinite(arr)) and arr[2] > arr[0] and arr[3] > arr[1]
    return arr if ok else np.full(4, np.nan)


def read_mmpose_instance(inst: Any, path: Path, frame: int, index: int) -> tuple[np.ndarray, np.ndarray,
                                                                                    np.ndarray, str]:
    """One MMPose instance -> ``(uv (144, 2), score (144,), box (4,), layout name)``."""
    where = f"instances[{index}]"
    if not isinstance(inst, dict):
        raise EstimatorInputError(f"expected an object, found {type(inst).__name__}", path=path, field=where,
                                  frame=frame)
    for key in ("keypoints", "keypoint_scores"):
        if key not in inst:
            raise EstimatorInputError("missing", path=path, field=f"{where}.{key}", frame=frame)
    kp = as_float_array(inst["keypoints"], path, f"{where}.keypoints", frame)
    if kp.ndim != 2 or kp.shape[1] != 2:
        raise EstimatorInputError(f"expected (K, 2) pixels, found shape {tuple(kp.shape)}", path=path,
                                  field=f"{where}.keypoints", frame=frame)
    layout = _layout_for(kp.shape[0], path, f"{where}.keypoints", frame)
    sc = as_float_array(inst["keypoint_scores"], path, f"{where}.keypoint_scores", frame)
    if sc.shape != (kp.shape[0],):
        raise EstimatorInputError(f"expected ({kp.shape[0]},) to match the keypoints, found {tuple(sc.shape)}",
                                  path=path, field=f"{where}.keypoint_scores", frame=frame)
    xy, sc = clean_points(kp, sc)
    uv, score = to_smplx_order(xy, sc, layout)
    return uv, score, _box(inst.get("bbox"), path, f"{where}.bbox", frame), layout.name


def _instances(value: Any, path: Path, frame: int, field: str) -> tuple[list, set]:
    if not isinstance(value, list):
        raise EstimatorInputError(f"expected a list of instances, found {type(value).__name__}", path=path,
                                  field=field, frame=frame)
    people, names = [], set()
    for i, inst in enumerate(value):
        uv, score, box, name = read_mmpose_instance(inst, path, frame, i)
        people.append((uv, score, box))
        names.add(name)
    return people, names


def _mmpose_frames(data: Any, path: Path) -> tuple[list, list, bool]:
    """A loaded MMPose JSON -> ``(frame numbers, per-frame instance lists, one image?)``."""
    if isinstance(data, dict):
        if "predictions" not in data:
            raise EstimatorInputError("expected MMPose predictions: a list of instances, a list of {frame_id, "
                                      "instances} or an object with 'predictions'", path=path, field="predictions")
        data = data["predictions"]
        if not isinstance(data, list):
            raise EstimatorInputError(f"expected a list, found {type(data).__name__}", path=path,
                                      field="predictions")
        if data and all(isinstance(x, list) for x in data):  # one list of instances per image
            return list(range(len(data))), data, len(data) == 1
    if not isinstance(data, list):
        raise EstimatorInputError(f"expected a JSON list, found {type(data).__name__}", path=path)
    if data and all(isinstance(x, dict) and "instances" in x for x in data):  # a video
        ids = [x.get("frame_id", i) for i, x in enumerate(data)]
        frame_ids = np.asarray(frames_from_key({"frame_id": ids}, len(ids), path)[1], dtype=np.int64)
        return [int(f) for f in frame_ids], [x["instances"] for x in data], False
    return [0], [data], True  # one image's instances


def read_mmpose_json(path: Union[str, Path]) -> DetectorKeypoints:
    """Read MMPose inferencer output (see the module notes): one JSON file or a folder of per-image files."""
    p = Path(path).expanduser()
    notes: list = []
    if p.is_dir():
        files = sorted(f for f in p.glob("*.json") if f.is_file())
        if not files:
            raise EstimatorInputError("no MMPose '*.json' prediction files in this folder", path=p)
        if len(files) > MAX_FILES:
            raise EstimatorInputError(f"more than {MAX_FILES} files in one folder", path=p)
        names = [f.name for f in files]
        frame_ids = frames_from_names(names, p, warnings=notes)
        check_frame_ids(frame_ids, p, names)
        frames, layouts = [], set()
        for f, frame in zip(files, frame_ids):
            ids, per_frame, one = _mmpose_frames(load_json(f), f)
            if not one:
                raise EstimatorInputError("expected one image's predictions per file in a folder", path=f,
                                          frame=int(frame))
            people, names_used = _instances(per_frame[0], f, int(frame), "instances")
            frames.append(people)
            layouts |= names_used
        single = False
    elif p.is_file():
        ids, per_frame, single = _mmpose_frames(load_json(p), p)
        if single:
            number = frame_from_name(p.name)
            ids = [0 if number is None else number]
        frame_ids = np.asarray(ids, dtype=np.int64)
        check_frame_ids(frame_ids, p)
        frames, layouts = [], set()
        for frame, insts in zip(ids, per_frame):
            people, names_used = _instances(insts, p, int(frame), "instances")
            frames.append(people)
            layouts |= names_used
        if not frames:
            raise EstimatorInputError("no frames in the predictions", path=p, field="predictions")
    else:
        raise EstimatorInputError("MMPose predictions not found (expected a .json file or a folder of them)", path=p)
    uv, score, box = stack_people(frames, p)
    layout = "mmpose " + (" + ".join(sorted(layouts)) or "(no instances)")
    return sort_by_frame(DetectorKeypoints(uv=uv, score=score, frame_ids=frame_ids, box=box, layout=layout,
                                           single_image=single, path=p, notes=notes))


def is_rtmlib_npz(data: dict) -> bool:
    """Whether a loaded npz holds rtmlib's arrays (``keypoints`` (..., N, 133|134, 2) and ``scores``)."""
    kp, sc = data.get("keypoints"), data.get("scores")
    return (isinstance(kp, np.ndarray) and isinstance(sc, np.ndarray) and kp.ndim >= 3
            and kp.shape[-1] == 2 and kp.shape[-2] in WHOLEBODY_LAYOUTS)


def read_rtmlib_npz(path: Union[str, Path], data: Optional[dict] = None) -> DetectorKeypoints:
    """Read rtmlib's ``keypoints`` / ``scores`` saved as an npz (see the module notes).

    Args:
        data: the npz's arrays when already loaded (by format detection), else the file is read.
    """
    p = Path(path).expanduser()
    if data is None:
        if not p.is_file():
            raise EstimatorInputError("rtmlib keypoints not found (expected an .npz with keypoints and scores)",
                                      path=p)
        data = load_npz(p)
    for key in ("keypoints", "scores"):
        if key not in data:
            raise EstimatorInputError("missing", path=p, field=key)
    kp = as_float_array(data["keypoints"], p, "keypoints")
    sc = as_float_array(data["scores"], p, "scores")
    single = kp.ndim == 3
    if single:
        kp, sc = kp[None], sc[None] if sc.ndim == 2 else sc
    if kp.ndim != 4 or kp.shape[-1] != 2:
        raise EstimatorInputError(f"expected (N, K, 2) or (T, N, K, 2) pixels, found shape "
                                  f"{tuple(np.shape(data['keypoints']))}", path=p, field="keypoints")
    layout = _layout_for(kp.shape[2], p, "keypoints", None)
    if sc.shape != kp.shape[:3]:
        raise EstimatorInputError(f"expected {tuple(kp.shape[:3])} to match the keypoints, found "
                                  f"{tuple(np.shape(data['scores']))}", path=p, field="scores")
    t, n = kp.shape[:2]
    if t == 0:
        raise EstimatorInputError("no frames", path=p, field="keypoints")
    if n > 1000:
        raise EstimatorInputError("more than 1000 people in one frame", path=p, field="keypoints")
    notes: list = []
    if single:
        number = frame_from_name(p.name)
        frame_ids = np.array([0 if number is None else number], dtype=np.int64)
    else:
        key, ids = frames_from_key(data, t, p)
        frame_ids = np.arange(t, dtype=np.int64) if ids is None else ids
        if ids is None and t > 1:
            notes.append("no frame_ids in the file; frames numbered 0..T-1")
        check_frame_ids(frame_ids, p)
    xy, score = clean_points(kp, sc)
    uv, score = to_smplx_order(xy, score, layout)
    if n == 0:
        uv, score = uv[:, :0], score[:, :0]
        uv = np.concatenate([uv, np.full((t, 1) + uv.shape[2:], np.nan)], axis=1)
        score = np.concatenate([score, np.zeros((t, 1) + score.shape[2:])], axis=1)
    box = np.full(uv.shape[:2] + (4,), np.nan)
    return sort_by_frame(DetectorKeypoints(uv=uv, score=score, frame_ids=frame_ids, box=box,
                                           layout=f"rtmlib {layout.name}", single_image=single, path=p, notes=notes))


__all__ = ["read_mmpose_json", "read_mmpose_instance", "read_rtmlib_npz", "is_rtmlib_npz"]
