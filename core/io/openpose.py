"""OpenPose's JSON keypoints (``--write_json``), read as they are written. numpy only.

Layout (CMU-Perceptual-Computing-Lab/openpose ``doc/02_output.md``, "JSON Output Format"): one file per image or
video frame, ``<image name>_keypoints.json`` or, for a video, ``<video name>_<12-digit frame>_keypoints.json``,
holding ``{"version": 1.3, "people": [person, ...]}``; each person has ``pose_keypoints_2d`` (BODY_25: 25 x
[x, y, c] flat; COCO models: 18), ``face_keypoints_2d`` (70: the 68 iBUG points and 2 pupils),
``hand_left_keypoints_2d`` and ``hand_right_keypoints_2d`` (21 each), and ``person_id``. A part that was not run
is an empty list; an undetected point is (0, 0, 0). Files before OpenPose 1.2 name the parts without ``_2d``
(``pose_keypoints``), which are read too. Pixels: x right, y down, origin at the image's top-left corner.

Found in real files (smplify-x-partial ``demo/keypoints/*_blended.json``): ``person_id`` as a plain int, no
``version``, and 68 face points (no pupils): both read.

Frames: a folder of ``*_keypoints.json`` files is numbered by the last run of digits in each name (the 12-digit
frame counter of a video) or, when no name has digits, by name order; a single file is one image
(``single_image``), numbered by its name's digits (0 without), and matches a one-image take whatever its number.

Joint correspondences and what is ignored (the neck, MidHip and the hips): :mod:`.keypoint_layouts`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Union

import numpy as np

from .array_checks import as_float_array
from .detector_keypoints import (
    DetectorKeypoints,
    check_frame_ids,
    clean_points,
    keypoint_rows,
    sort_by_frame,
    stack_people,
)
from .frames import frame_from_name, frames_from_names
from .input_errors import EstimatorInputError
from .keypoint_layouts import NUM_SMPLX_KEYPOINTS, OPENPOSE_PARTS, to_smplx_order
from .loaders import load_json

SUFFIX = "_keypoints"
#: Frames beyond this in one folder are refused (a folder of per-frame files this large is not a take).
MAX_FILES = 1_000_000


def _part(person: dict, key: str) -> Any:
    for name in (key, key.removesuffix("_2d")):
        if name in person and person[name] is not None:
            return person[name]
    return None


def read_openpose_person(person: Any, path: Path, frame: int, index: int) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray, list]:
    """One ``people`` entry -> ``(uv (144, 2), score (144,), box (4,) NaN, the parts' layout names)``."""
    if not isinstance(person, dict):
        raise EstimatorInputError(f"expected each person to be an object, found {type(person).__name__}",
                                  path=path, field=f"people[{index}]", frame=frame)
    uv = np.full((NUM_SMPLX_KEYPOINTS, 2), np.nan)
    score = np.zeros(NUM_SMPLX_KEYPOINTS)
    names = []
    for key, layouts in OPENPOSE_PARTS.items():
        value = _part(person, key)
        if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
            continue
        arr = as_float_array(value, path, f"people[{index}].{key}", frame)
        layout = layouts.get(arr.size // 3) if arr.size % 3 == 0 and arr.ndim == 1 else None
        if layout is None:
            counts = " or ".join(str(c) for c in layouts)
            raise EstimatorInputError(f"expected {counts} keypoints as flat [x, y, c] triples, found shape "
                                      f"{tuple(arr.shape)}", path=path, field=f"people[{index}].{key}", frame=frame)
        xy, sc = keypoint_rows(arr, layout.num_keypoints, path, f"people[{index}].{key}", frame, 3)
        xy, sc = clean_points(xy, sc)
        part_uv, part_score = to_smplx_order(xy, sc, layout)
        have = part_score > score  # a point two parts give (the wrists: body and hand) keeps the surer one
        uv[have], score[have] = part_uv[have], part_score[have]
        names.append(layout.name)
    return uv, score, np.full(4, np.nan), names


def read_openpose_file(path: Path, frame: int) -> tuple[list, list]:
    """One ``*_keypoints.json`` -> ``(people [(uv, score, box)], layout names)``."""
    data = load_json(path)
    if not isinstance(data, dict) or "people" not in data:
        raise EstimatorInputError("expected an OpenPose JSON object with a 'people' list", path=path,
                                  field="people", frame=frame)
    people = data["people"]
    if not isinstance(people, list):
        raise EstimatorInputError(f"expected a list, found {type(people).__name__}", path=path, field="people",
                                  frame=frame)
    out, names = [], []
    for i, person in enumerate(people):
        uv, score, box, parts = read_openpose_person(person, path, frame, i)
        out.append((uv, score, box))
        names += parts
    return out, names


def is_openpose_json(data: Any) -> bool:
    """Whether a loaded JSON document looks like OpenPose's (an object with a ``people`` list)."""
    return isinstance(data, dict) and isinstance(data.get("people"), list)


def openpose_files(folder: Path) -> list:
    """The per-frame files of an OpenPose output folder: ``*_keypoints.json``, else every ``*.json``."""
    files = sorted(p for p in folder.glob(f"*{SUFFIX}.json") if p.is_file())
    if not files:
        files = sorted(p for p in folder.glob("*.json") if p.is_file())
    return files


def read_openpose(path: Union[str, Path]) -> DetectorKeypoints:
    """Read OpenPose JSON output: one ``*_keypoints.json`` file (one image) or a folder of them (frames).

    Returns:
        :class:`core.io.detector_keypoints.DetectorKeypoints` with every person of every frame in smplx's
        keypoint order. Raises :class:`EstimatorInputError` naming the file, field and frame on bad input.
    """
    p = Path(path).expanduser()
    notes: list = []
    if p.is_dir():
        files = openpose_files(p)
        if not files:
            raise EstimatorInputError("no OpenPose '*_keypoints.json' files in this folder", path=p)
        if len(files) > MAX_FILES:
            raise EstimatorInputError(f"more than {MAX_FILES} files in one folder", path=p)
        names = [f.name for f in files]
        frame_ids = frames_from_names(names, p, suffixes=(SUFFIX,), warnings=notes)
        check_frame_ids(frame_ids, p, names)
        single = False
    elif p.is_file():
        files = [p]
        number = frame_from_name(p.name, suffixes=(SUFFIX,))
        frame_ids = np.array([0 if number is None else number], dtype=np.int64)
        single = True
    else:
        raise EstimatorInputError("OpenPose keypoints not found (expected a *_keypoints.json file or a folder of "
                                  "them)", path=p)
    frames, layouts = [], set()
    for f, frame in zip(files, frame_ids):
        people, parts = read_openpose_file(f, int(frame))
        frames.append(people)
        layouts.update(parts)
    uv, score, box = stack_people(frames, p)
    if not np.any(score > 0):
        notes.append("no keypoint was detected in any frame")
    order = ("body_25", "coco_18", "hand_left_21", "hand_right_21", "face_70", "face_68")
    layout = "openpose " + (" + ".join(n for n in order if n in layouts) or "(no parts)")
    result = DetectorKeypoints(uv=uv, score=score, frame_ids=frame_ids.astype(np.int64), box=box, layout=layout,
                               single_image=single, path=p, notes=notes)
    return sort_by_frame(result)


__all__ = ["read_openpose", "read_openpose_file", "read_openpose_person", "is_openpose_json", "openpose_files"]
