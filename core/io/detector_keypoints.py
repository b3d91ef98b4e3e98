"""What the 2D detector readers return: every person's keypoints per frame, in smplx's keypoint order. numpy only.

The readers (:mod:`.openpose`, :mod:`.coco_wholebody`) keep every detected person of every frame; picking the one
that matches the body estimate is the camera's business (:mod:`core.camera.keypoints2d`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .array_checks import as_float_array
from .input_errors import EstimatorInputError
from .keypoint_layouts import NUM_SMPLX_KEYPOINTS

#: More people than this in one frame is not a detector's output (and would blow up the padded arrays).
MAX_PEOPLE = 1000
#: Pixel coordinates beyond this are not image positions.
MAX_PIXEL = 1e7


@dataclass
class DetectorKeypoints:
    """A detector's keypoints for T frames and up to P people per frame, in smplx's order.

    Attributes:
        uv: (T, P, 144, 2) pixels (x right, y down, origin at the top-left corner), NaN where missing.
        score: (T, P, 144) in [0, 1], 0 where missing; a padded person (fewer people in that frame) is all 0.
        frame_ids: (T,) increasing footage frames.
        box: (T, P, 4) x1, y1, x2, y2 the detector's person box (NaN where it wrote none).
        layout: the detector layout(s) read, e.g. ``openpose body_25 + hands + face``.
        single_image: True when the file is one image (it then matches a one-image take whatever its number).
        image_size: (2,) W, H when the file says, else None.
        path: the file or folder read.
        notes: decisions taken while reading.
    """

    uv: np.ndarray
    score: np.ndarray
    frame_ids: np.ndarray
    box: np.ndarray
    layout: str
    single_image: bool = False
    image_size: Optional[np.ndarray] = None
    path: Optional[Path] = None
    notes: list = field(default_factory=list)

    @property
    def num_people(self) -> int:
        return int(self.uv.shape[1])


def keypoint_rows(value: Any, count: int, path: Path, field: str, frame: Optional[int],
                  columns: int) -> tuple[np.ndarray, np.ndarray]:
    """One person's flat or nested keypoints as ``(xy (count, 2), score (count,))``.

    ``columns`` 3 reads OpenPose's flat ``[x, y, c] * count``; 2 reads ``[[x, y], ...]``. Points with a score of 0,
    non-finite values or a position beyond :data:`MAX_PIXEL` are missing (NaN, score 0); scores are clipped to
    [0, 1].
    """
    arr = as_float_array(value, path, field, frame)
    if arr.size != count * columns:
        raise EstimatorInputError(f"expected {count} keypoints x {columns} numbers, found {arr.size} numbers",
                                  path=path, field=field, frame=frame)
    arr = arr.reshape(count, columns)
    xy = arr[:, :2].copy()
    score = arr[:, 2].copy() if columns == 3 else np.ones(count)
    return xy, score


def clean_points(xy: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Missing points (score <= 0 or not finite, NaN or far-off positions) as NaN with score 0; scores in [0, 1]."""
    with np.errstate(invalid="ignore"):
        ok = np.all(np.isfinite(xy), axis=-1) & np.isfinite(score) & (score > 0) \
            & np.all(np.abs(np.nan_to_num(xy, nan=np.inf)) <= MAX_PIXEL, axis=-1)
    xy = np.where(ok[..., None], xy, np.nan)
    return xy, np.where(ok, np.clip(np.nan_to_num(score), 0.0, 1.0), 0.0)


def stack_people(frames: list, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame lists of people ``[(uv (144, 2), score (144,), box (4,)), ...]`` -> padded arrays
    ``uv`` (T, P, 144, 2), ``score`` (T, P, 144), ``box`` (T, P, 4) with P >= 1 (an empty frame is all missing)."""
    t = len(frames)
    p = max([len(people) for people in frames] + [1])
    if p > MAX_PEOPLE:
        raise EstimatorInputError(f"more than {MAX_PEOPLE} people in one frame", path=path, field="people")
    uv = np.full((t, p, NUM_SMPLX_KEYPOINTS, 2), np.nan)
    score = np.zeros((t, p, NUM_SMPLX_KEYPOINTS))
    box = np.full((t, p, 4), np.nan)
    for i, people in enumerate(frames):
        for k, (u, s, b) in enumerate(people):
            uv[i, k], score[i, k], box[i, k] = u, s, b
    return uv, score, box


def check_frame_ids(frame_ids: np.ndarray, path: Path, names: Optional[list] = None) -> None:
    """Frame numbers must be distinct: a frame given twice is an error naming both sources."""
    order = np.argsort(frame_ids, kind="stable")
    dup = np.flatnonzero(np.diff(frame_ids[order]) == 0)
    if dup.size:
        a, b = order[dup[0]], order[dup[0] + 1]
        where = f" ({names[a]} and {names[b]})" if names else ""
        raise EstimatorInputError(f"frame {int(frame_ids[a])} is given twice{where}", path=path, field="frame_ids",
                                  frame=int(frame_ids[a]))


def sort_by_frame(result: DetectorKeypoints) -> DetectorKeypoints:
    """The same keypoints with rows in increasing frame order (noted when they were not)."""
    order = np.argsort(result.frame_ids, kind="stable")
    if np.any(order != np.arange(order.size)):
        result.notes.append("frames were out of order in the input; sorted")
        result.uv, result.score, result.box = result.uv[order], result.score[order], result.box[order]
        result.frame_ids = result.frame_ids[order]
    return result


__all__ = ["MAX_PEOPLE", "MAX_PIXEL", "DetectorKeypoints", "keypoint_rows", "clean_points", "stack_people",
           "check_frame_ids", "sort_by_frame"]
