"""Per-frame 2D keypoints from a detector run on the footage (ViTPose, OpenPose, RTMPose ...), read as camera-fit
evidence. numpy only.

Unlike the estimators' crop cameras, a 2D detector sees the real camera's perspective: these pixels are what lets the
fit recover the focal length (see :mod:`core.camera.fit`).

File format (``.npz``, or ``.json`` with the same keys as lists):
- ``keypoints``: (T, J, 2) pixels (x right, y down, origin at the top-left pixel corner), or (T, J, 3) with the
  confidence as the third column (OpenPose style); NaN where a keypoint was not detected;
- ``confidence``: (T, J) in [0, 1] (optional; default 1 where the pixels are finite; ignored with (T, J, 3));
- ``frame_ids``: (T,) int footage frame of each row (optional; default 0 .. T-1, the fused file's rows);
- ``image_size``: (2,) W, H of the images the pixels refer to (optional; default the estimators' images). Pixels
  of another size are rescaled per axis.
Joints are in **smplx's joint order** (``smplx/joint_names.py`` ``JOINT_NAMES``): J >= 55, the model's joints
(pelvis ... right_thumb3); J >= 76 adds nose, eyes, ears, feet and the ten fingertips (indices 55-75, in
:data:`SMPLX_EXTRA_KEYPOINTS` order), e.g. J = 127 for smplx's full joint output. Other rows beyond are ignored.
Used: joints 0-21 (body), the wrists and the 30 finger joints, and the fingertips when present (hand points in the
OpenPose order of :mod:`core.camera.points`). Convert another detector's layout (COCO-WholeBody, OpenPose BODY_25 +
hands) to this order before fitting; a keypoint with no SMPL-X counterpart stays NaN.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..fileio.atomic_write import save_npz_atomic
from ..fusion.hands import FINGERTIPS, SIDE_NAMES, openpose_hand_joint_indices
from .conversions import check_image_size
from .errors import CameraError
from .points import NUM_POINTS, POINT_GROUPS

#: smplx's keypoints after the 55 model joints (``smplx/joint_names.py`` ``JOINT_NAMES[55:76]``).
SMPLX_EXTRA_KEYPOINTS = ("nose", "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe",
                         "left_heel", "right_big_toe", "right_small_toe", "right_heel", "left_thumb", "left_index",
                         "left_middle", "left_ring", "left_pinky", "right_thumb", "right_index", "right_middle",
                         "right_ring", "right_pinky")
NUM_MODEL_JOINTS = 55


@dataclass
class Keypoints2D:
    """A detector's 2D keypoints.

    Attributes:
        uv: (T, J, 2) pixels, NaN where not detected; confidence: (T, J) in [0, 1], 0 there.
        frame_ids: (T,) footage frame of each row; image_size: (2,) W, H or None; path: the file.
    """

    uv: np.ndarray
    confidence: np.ndarray
    frame_ids: np.ndarray
    image_size: Optional[np.ndarray]
    path: Optional[Path] = None


def point_sources() -> np.ndarray:
    """(65,) the keypoint (smplx joint order) behind each point of :mod:`core.camera.points`, -1 where none."""
    src = np.full(NUM_POINTS, -1, dtype=np.int64)
    src[POINT_GROUPS["body"]] = np.arange(22)
    for side, group in ((0, "left_hand"), (1, "right_hand")):
        idx = openpose_hand_joint_indices(side).copy()
        for k, (tip, _) in FINGERTIPS.items():
            idx[k] = NUM_MODEL_JOINTS + SMPLX_EXTRA_KEYPOINTS.index(f"{SIDE_NAMES[side]}_{tip}")
        src[POINT_GROUPS[group]] = idx
    return src


def _array(data: dict, key: str, path: Path) -> Optional[np.ndarray]:
    if key not in data or data[key] is None:
        return None
    try:
        return np.asarray(data[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise CameraError("expected numbers", path=path, field=key) from None


def read_keypoints2d(path: Union[str, Path]) -> Keypoints2D:
    """Read a 2D keypoint file (see the module notes); :class:`CameraError` naming the file and field on bad input."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise CameraError("2D keypoint file not found", path=p)
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError) as exc:
            raise CameraError(f"not a readable JSON file ({exc})", path=p) from None
        if not isinstance(data, dict):
            raise CameraError("expected a JSON object with 'keypoints'", path=p)
    elif p.suffix.lower() == ".npz":
        try:
            with np.load(p, allow_pickle=False) as npz:
                data = {k: npz[k] for k in npz.files}
        except (OSError, ValueError) as exc:
            raise CameraError(f"not a readable npz file ({exc})", path=p) from None
    else:
        raise CameraError("expected a .npz or .json 2D keypoint file", path=p)
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


def keypoints_as_points(keypoints: Keypoints2D, frame_ids: np.ndarray,
                        image_size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keypoints in the 65-point layout of :mod:`core.camera.points`, on the fused file's rows.

    Args:
        frame_ids: (T,) footage frame of each fused row; image_size: (W, H) of the evidence's pixels.
    Returns:
        ``uv`` (T, 65, 2) pixels (NaN where none) and ``confidence`` (T, 65) (0 where none, e.g. the face point).
    """
    ids = np.asarray(frame_ids, dtype=np.int64)
    t = ids.shape[0]
    src = point_sources()
    have = (src >= 0) & (src < keypoints.uv.shape[1])
    uv = np.full((t, NUM_POINTS, 2), np.nan)
    conf = np.zeros((t, NUM_POINTS))
    rows, matched = frame_rows(ids, keypoints.frame_ids)
    pix = keypoints.uv
    if keypoints.image_size is not None and not np.allclose(keypoints.image_size, image_size):
        pix = pix * (np.asarray(image_size, dtype=np.float64) / keypoints.image_size)
    uv[np.ix_(rows[matched], np.flatnonzero(have))] = pix[matched][:, src[have]]
    conf[np.ix_(rows[matched], np.flatnonzero(have))] = keypoints.confidence[matched][:, src[have]]
    return uv, conf


__all__ = ["SMPLX_EXTRA_KEYPOINTS", "NUM_MODEL_JOINTS", "Keypoints2D", "point_sources", "read_keypoints2d",
           "write_keypoints2d", "frame_rows", "keypoints_as_points"]
