"""WiLoR / HaMeR hand dumps -> :class:`HandDetections`.

What the model returns (confirmed in rolpotamias/WiLoR ``wilor/models/wilor.py`` ``forward_step``; HaMeR's
``hamer/models/hamer.py`` has the same dict): ``pred_mano_params`` {``global_orient`` (B,1,3,3), ``hand_pose``
(B,15,3,3), ``betas`` (B,10)} as rotation matrices, ``pred_cam`` (B,3) [s, tx, ty], ``pred_cam_t`` (tx, ty,
2 f / (256 s)) with f = ``EXTRA.FOCAL_LENGTH`` = 5000 (``pretrained_models/model_config.yaml``),
``focal_length``, ``pred_keypoints_3d`` (B,21,3, OpenPose order through the wrapper's ``mano_to_openpose``),
``pred_vertices`` (B,778,3), ``pred_keypoints_2d``. The demo batch (``wilor/datasets/vitdet_dataset.py``) adds
``box_center`` (B,2), ``box_size`` (B,), ``img_size`` (B,2) as (W, H), ``right`` (B,) and ``personid``.

Conventions (recorded in ``source["conventions"]``):
- only the right-hand MANO is run; a left hand (``right == 0``) is predicted on a horizontally flipped crop
  (``ViTDetDataset``: ``flip = right == 0``). ``demo.py`` un-mirrors the vertices and joints (x -> -x) and
  ``pred_cam[:, 1]`` (**in place**, before ``cam_crop_to_full``) but never the rotations. The reader keeps the
  rotations **as predicted** (left hands still mirrored; M R M with M = diag(-1, 1, 1) undoes it), and stores
  ``pred_cam`` as predicted too: when the dump has ``pred_cam_t_full`` and ``img_size`` it tells from
  ``cam_crop_to_full`` whether the saved tx was already un-mirrored and undoes that; without them it assumes the
  raw model output and says so in ``source["warnings"]`` when there are left hands;
- ``pred_keypoints_3d`` come out **as predicted** too (x still mirrored on left rows, the same frame as the
  rotations), so that :func:`core.fusion.hands.unmirror_hand` un-mirrors rotations and keypoints together, once.
  The demo's loop un-mirrors its copy (``joints[:, 0] = (2 * is_right - 1) * joints[:, 0]``) while
  ``out['pred_keypoints_3d']`` stays as predicted on CUDA (on CPU ``.numpy()`` shares memory and it changes too), so
  a dump may hold either. :func:`_keypoints_unmirrored` tells them apart from the keypoints themselves and the
  reader flips un-mirrored left rows back (reported in ``source["warnings"]``);
- poses are relative to the **flat** hand: the MANO wrapper subclasses ``smplx.MANOLayer``, whose forward
  concatenates ``global_orient`` and ``hand_pose`` with no ``pose_mean``;
- axis-angle inputs (some users convert before saving) are turned into matrices, not mirrored.

Files: one dict per file (npz with flattened keys ``pred_mano_params.global_orient`` /
``pred_mano_params/global_orient`` / ``global_orient``, or pkl with the nested ``pred_mano_params`` dict, or a pkl
list of such dicts), either per frame (``000123.npz``), per crop (``000123_1.npz``: frame 123, crop 1) or batched
over frames with a ``frame_ids`` (``frame``, ...) key. Several hands per frame are normal; the same
(frame, crop) twice is an error.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from ..contracts.estimates import HandDetections
from ..rotations import axis_angle_to_matrix
from .array_checks import (
    as_float_array,
    as_int_list,
    check_finite,
    check_policy,
    check_rotation_matrices,
    find_key,
    key_list,
    per_frame,
    require,
)
from .frames import FRAME_KEYS, frame_and_index_from_name, frames_from_key
from .input_errors import EstimatorInputError
from .loaders import load_any

PathLike = Union[str, Path]

FOCAL_LENGTH = 5000.0
IMAGE_SIZE = 256

CONVENTIONS = {
    "rotations": "rotation matrices exactly as predicted: is_right == False rows are still mirrored "
                 "(M R M with M = diag(-1, 1, 1) undoes it)",
    "hand_pose_relative_to": "flat (MANOLayer, no pose_mean)",
    "pred_cam": "as predicted in the (flipped, for left hands) crop: [s, tx, ty]",
    "keypoints_3d": "OpenPose order, as predicted: x mirrored for left hands, like the rotations (left rows a "
                    "dump saved un-mirrored, as demo.py's loop leaves them, are detected from the palm's rigid "
                    "offsets in the wrist frame and flipped back)",
    "full_frame_focal": "5000 / 256 * max(W, H) (demo.py scaled_focal_length, cam_crop_to_full)",
}

_NESTED = "pred_mano_params"
_MANO = ("global_orient", "hand_pose", "betas")

#: OpenPose hand keypoints that are children of MANO's root: the thumb's first joint and the four finger MCPs. Their
#: offsets from the wrist keypoint turn rigidly with ``global_orient``, whatever the finger pose.
PALM_KEYPOINTS = (1, 5, 9, 13, 17)
#: A keypoint candidate is decided when its palm offsets match the reference within this fraction of the palm's size
#: and its error is at most ``_KEYPOINT_MARGIN`` times the other candidate's.
_KEYPOINT_TOLERANCE = 0.25
_KEYPOINT_MARGIN = 0.5
_FLIP_X = np.array([-1.0, 1.0, 1.0])


def _mano_value(data: Mapping[str, Any], name: str) -> tuple[Optional[str], Any]:
    nested = data.get(_NESTED)
    if isinstance(nested, Mapping) and name in nested:
        return f"{_NESTED}.{name}", nested[name]
    for key in (f"{_NESTED}.{name}", f"{_NESTED}/{name}", f"{_NESTED}_{name}", name):
        if key in data:
            return key, data[key]
    return None, None


def is_wilor_mapping(data: Mapping[str, Any]) -> bool:
    """Does this dict look like a WiLoR / HaMeR output dump?"""
    key, _ = _mano_value(data, "hand_pose")
    return key is not None and find_key(data, ("pred_cam", "cam")) is not None


def _rotations(value: Any, n: int, joints: int, path: Any, key: str) -> tuple[np.ndarray, bool]:
    """(n, joints, 3, 3) matrices from matrices or axis-angle; second value: converted from axis-angle."""
    arr = as_float_array(value, path, key)
    if arr.size == n * joints * 9 and arr.ndim >= 2 and arr.shape[-2:] == (3, 3):
        return arr.reshape(n, joints, 3, 3), False
    if arr.size == n * joints * 3:
        return axis_angle_to_matrix(arr.reshape(n, joints, 3)), True
    raise EstimatorInputError(f"expected {n} x {joints} rotation matrices ({(n, joints, 3, 3)}) or axis-angle "
                              f"({(n, joints * 3)}), found shape {tuple(arr.shape)}", path=path, field=key)


def _block(data: Mapping[str, Any], path: Any, name_frame: Optional[int], name_index: Optional[int]) -> dict:
    rk, right = require(data, ("is_right", "right"), path, frame=name_frame)
    right_f = as_float_array(right, path, rk, name_frame).reshape(-1)
    n = right_f.size
    if not np.isin(right_f, (0.0, 1.0)).all():
        raise EstimatorInputError(f"expected 0/1 or booleans, found {right_f[~np.isin(right_f, (0.0, 1.0))][0]!r}",
                                  path=path, field=rk, frame=name_frame)
    out: dict = {"is_right": right_f.astype(bool)}
    converted = []
    for name, joints in (("global_orient", 1), ("hand_pose", 15)):
        key, value = _mano_value(data, name)
        if key is None:
            raise EstimatorInputError(f"required key '{_NESTED}.{name}' (or '{name}') is missing (the file holds: "
                                      f"{key_list(data)})", path=path,
                                      field=f"{_NESTED}.{name}", frame=name_frame)
        mats, was_aa = _rotations(value, n, joints, path, key)
        out[name] = mats[:, 0] if joints == 1 else mats
        out[name + "_key"] = key
        if was_aa:
            converted.append(key)
    bkey, betas = _mano_value(data, "betas")
    if bkey is None:
        raise EstimatorInputError(f"required key '{_NESTED}.betas' (or 'betas') is missing", path=path,
                                  field=f"{_NESTED}.betas", frame=name_frame)
    out["betas"] = per_frame(betas, n, (10,), path, bkey)
    out["betas_key"] = bkey
    ck, cam = require(data, ("pred_cam", "cam"), path, frame=name_frame)
    out["pred_cam"] = per_frame(cam, n, (3,), path, ck)
    kk = find_key(data, ("pred_keypoints_3d", "keypoints_3d"))
    out["keypoints_3d"] = per_frame(data[kk], n, (21, 3), path, kk) if kk else None
    ck, center = require(data, ("box_center",), path, frame=name_frame)
    out["box_center"] = per_frame(center, n, (2,), path, ck)
    sk, size = require(data, ("box_size",), path, frame=name_frame)
    out["box_size"] = per_frame(size, n, (), path, sk, broadcast=True).reshape(n)
    sc = find_key(data, ("score", "scores", "conf", "confidence"))
    out["score"] = per_frame(data[sc], n, (), path, sc, broadcast=True).reshape(n) if sc else None
    ik = find_key(data, ("img_size", "image_size"))
    out["img_size"] = per_frame(data[ik], n, (2,), path, ik, broadcast=True) if ik else None
    tk = find_key(data, ("pred_cam_t_full",))
    out["pred_cam_t_full"] = per_frame(data[tk], n, (3,), path, tk) if tk else None
    out["converted"] = converted
    _, frames = frames_from_key(data, n, path)
    if frames is None:
        frames = np.full(n, -1 if name_frame is None else name_frame, dtype=np.int64)
    out["frames"] = frames
    pk = find_key(data, ("personid", "person_id", "crop_index"))
    if pk is not None:
        ids = as_int_list(data[pk], path, pk, name_frame)
        if len(ids) != n:
            raise EstimatorInputError(f"expected {n} crop indices, found {len(ids)}", path=path, field=pk,
                                      frame=name_frame)
        out["crop_index"] = ids
    else:
        out["crop_index"] = [name_index] * n if n == 1 else [None] * n
    out["n"] = n
    return out


def _tx_unmirrored(block: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(unmirrored, known)``, both (n,) bool: a left hand's saved tx was already un-mirrored (demo.py does it in
    place before ``cam_crop_to_full``), judged from ``pred_cam_t_full``; ``known`` is False where it cannot be told.
    """
    n = block["n"]
    verdict = np.zeros(n, dtype=bool)
    known = np.zeros(n, dtype=bool)
    full, img = block["pred_cam_t_full"], block["img_size"]
    if full is None or img is None:
        return verdict, known
    s, tx = block["pred_cam"][:, 0], block["pred_cam"][:, 1]
    bs = block["box_size"] * s + 1e-9
    base = 2.0 * (block["box_center"][:, 0] - img[:, 0] / 2.0) / bs
    err_as_saved = np.abs(base + tx - full[:, 0])
    err_flipped = np.abs(base - tx - full[:, 0])
    left = ~block["is_right"]
    tol = 1e-3 * np.maximum(1.0, np.abs(full[:, 0]))
    verdict = left & (err_as_saved <= tol) & (err_flipped > tol)
    known = ~left | (err_as_saved <= tol) | (err_flipped <= tol)
    return verdict, known


def _palm_in_wrist_frame(global_orient_pred: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """``global_orient^T (kp_palm - kp_wrist)``: (n, 3, 3), (n, 21, 3) -> (n, 5, 3) palm offsets in the wrist frame."""
    offsets = keypoints[:, PALM_KEYPOINTS] - keypoints[:, :1]
    return np.einsum("nba,nkb->nka", global_orient_pred, offsets)


def _keypoints_unmirrored(global_orient_pred: np.ndarray, keypoints_saved: np.ndarray, is_right: np.ndarray,
                          usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(unmirrored, known)``, both (n,) bool: left rows whose saved keypoints already had x un-mirrored.

    For keypoints as predicted, the palm offsets in the wrist frame (:func:`_palm_in_wrist_frame`) are the
    right-hand model's rest offsets on every row, left or right: the model posed them with the very
    ``global_orient`` it returned. Keypoints with x un-mirrored (M u, M = diag(-1, 1, 1)) give ``G^T M G`` times
    them instead (a reflection, so a left hand's chirality). Each left row's two candidates, as saved and x-flipped,
    are compared with the right rows' median palm (without right rows: with each candidate's own median over the
    left rows, which only the as-predicted one keeps constant as the wrist turns). A row is decided where one
    candidate is within ``_KEYPOINT_TOLERANCE`` palm sizes and at most ``_KEYPOINT_MARGIN`` times the other's error;
    undecided left rows follow the decided rows' majority; with no decided row, ``known`` is False there.

    Args:
        global_orient_pred: (n, 3, 3) wrist rotations as predicted (left rows mirrored).
        keypoints_saved: (n, 21, 3) OpenPose-order keypoints as the dump holds them.
        is_right: (n,) bool labels (the flip of each crop followed its label).
        usable: (n,) bool rows with finite values.
    """
    right = np.asarray(is_right, dtype=bool)
    verdict = np.zeros(right.shape[0], dtype=bool)
    known = right | ~usable
    left = ~right & usable
    if not left.any():
        return verdict, known
    palm_saved = _palm_in_wrist_frame(global_orient_pred[left], keypoints_saved[left])
    palm_flipped = _palm_in_wrist_frame(global_orient_pred[left], keypoints_saved[left] * _FLIP_X)
    reference = right & usable
    if reference.any():
        ref_saved = ref_flipped = np.median(_palm_in_wrist_frame(global_orient_pred[reference],
                                                                 keypoints_saved[reference]), axis=0)
    else:
        ref_saved, ref_flipped = np.median(palm_saved, axis=0), np.median(palm_flipped, axis=0)
    palm_size = max(float(np.linalg.norm(ref_saved, axis=-1).mean()), 1e-9)
    err_saved = np.linalg.norm(palm_saved - ref_saved, axis=-1).mean(axis=1) / palm_size
    err_flipped = np.linalg.norm(palm_flipped - ref_flipped, axis=-1).mean(axis=1) / palm_size
    # strict: a tie (one left row compared with itself, or a wrist that never turns) decides nothing
    says_unmirrored = (err_flipped <= _KEYPOINT_TOLERANCE) & (err_flipped < _KEYPOINT_MARGIN * err_saved)
    says_predicted = (err_saved <= _KEYPOINT_TOLERANCE) & (err_saved < _KEYPOINT_MARGIN * err_flipped)
    decided = says_unmirrored | says_predicted
    if decided.any():
        majority = int(says_unmirrored.sum()) > int(says_predicted.sum())
        verdict[left] = np.where(decided, says_unmirrored, majority)
        known[left] = True
    return verdict, known


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise EstimatorInputError("file or folder not found", path=path)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".npz", ".pkl"))
    if not files:
        raise EstimatorInputError("no .npz or .pkl hand dumps in this folder", path=path)
    return files


def read_wilor(path: PathLike, *, image_size: Optional[Sequence[float]] = None,
               nonfinite: str = "raise") -> HandDetections:
    """WiLoR / HaMeR detections from one dump file or a folder of per-frame / per-crop dumps.

    Rows come out sorted by frame (stable). With ``nonfinite="invalidate"`` a detection holding NaN / Inf is
    dropped and listed in ``source["warnings"]`` (HandDetections has no ``valid`` column).
    """
    check_policy(nonfinite)
    path = Path(path)
    files = _files(path)
    warnings: list = []
    blocks: list = []
    block_files: list = []
    seen: dict = {}
    for f in files:
        name_frame, name_index = frame_and_index_from_name(f.name)
        content = load_any(f)
        items = content if isinstance(content, list) else [content]
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise EstimatorInputError(f"expected a dict of arrays, found {type(item).__name__}", path=f)
            item = {str(k): v for k, v in item.items()}
            if name_frame is None and find_key(item, FRAME_KEYS) is None:
                if len(files) > 1:
                    raise EstimatorInputError("cannot read a frame number from this name (expected e.g. "
                                              "000123.npz or 000123_0.npz)", path=f, field="frame")
                name_frame = 0
                warnings.append(f"{f}: no frame number in the file or its name; frame 0 assumed")
            idx = name_index if len(items) == 1 else i
            block = _block(item, f, name_frame, idx)
            if len(files) > 1 and find_key(item, FRAME_KEYS) is None:
                key = (name_frame, idx)
                if key in seen:
                    raise EstimatorInputError(f"frame {name_frame}" + (f" crop {idx}" if idx is not None else "")
                                              + f" is given by both {seen[key]} and {f}", path=path, field="frame",
                                              frame=name_frame)
                seen[key] = f
            blocks.append(block)
            block_files.append(f)

    frames = np.concatenate([b["frames"] for b in blocks])
    row_file = [f for b, f in zip(blocks, block_files) for _ in range(b["n"])]

    def cat(name: str) -> Optional[np.ndarray]:
        parts = [b[name] for b in blocks]
        if any(p is None for p in parts):
            return None
        return np.concatenate(parts, axis=0)

    is_right = cat("is_right")
    glob, pose = cat("global_orient"), cat("hand_pose")
    betas, cam = cat("betas"), cat("pred_cam")
    kp, center, size, score = cat("keypoints_3d"), cat("box_center"), cat("box_size"), cat("score")
    img = cat("img_size")

    # pred_cam back to "as predicted" where the dump holds demo.py's in-place un-mirrored tx
    verdicts = [_tx_unmirrored(b) for b in blocks]
    unmirrored = np.concatenate([v[0] for v in verdicts])
    known = np.concatenate([v[1] for v in verdicts])
    cam = cam.copy()
    cam[unmirrored, 1] *= -1.0
    if unmirrored.any():
        warnings.append(f"{path}: pred_cam tx of {int(unmirrored.sum())} left hand(s) was saved un-mirrored (as "
                        f"demo.py leaves it); flipped back to the predicted value")
    if (~known & ~is_right).any():
        warnings.append(f"{path}: cannot tell whether pred_cam tx of {int((~known & ~is_right).sum())} left "
                        f"hand(s) was un-mirrored before saving (no pred_cam_t_full / img_size); assumed as "
                        f"predicted")

    # finite checks (per file in messages) and rotation checks
    keys = {name: blocks[0][name + "_key"] for name in ("global_orient", "hand_pose", "betas")}
    per_row = {keys["global_orient"]: glob, keys["hand_pose"]: pose, keys["betas"]: betas, "pred_cam": cam,
               "box_center": center, "box_size": size.reshape(-1, 1)}
    if kp is not None:
        per_row["pred_keypoints_3d"] = kp
    if score is not None:
        per_row["score"] = score.reshape(-1, 1)
    bad = np.zeros(len(frames), dtype=bool)
    for name, arr in per_row.items():
        bad |= check_finite(arr, path, name, frames, nonfinite=nonfinite, warnings=warnings,
                            file_of_row=row_file if len(files) > 1 else None)
    check_rotation_matrices(glob[:, None], path, keys["global_orient"], frames, skip_rows=bad)
    check_rotation_matrices(pose, path, keys["hand_pose"], frames, skip_rows=bad)
    if (size[~bad] <= 0).any():
        row = int(np.nonzero(~bad & (size <= 0))[0][0])
        raise EstimatorInputError("box_size must be positive", path=row_file[row], field="box_size",
                                  frame=int(frames[row]))

    # keypoints back to "as predicted" (the rotations' frame) where the dump holds demo.py's un-mirrored x
    if kp is not None:
        kp_unmirrored, kp_known = _keypoints_unmirrored(glob, kp, is_right, ~bad)
        kp = kp.copy()
        kp[kp_unmirrored, :, 0] *= -1.0
        if kp_unmirrored.any():
            warnings.append(f"{path}: pred_keypoints_3d of {int(kp_unmirrored.sum())} left hand(s) were saved "
                            f"un-mirrored (as demo.py's loop leaves them); x flipped back to the predicted value")
        if not kp_known.all():
            warnings.append(f"{path}: cannot tell whether pred_keypoints_3d of {int((~kp_known).sum())} left "
                            f"hand(s) were un-mirrored before saving (their palm matches neither way); assumed as "
                            f"predicted")

    keep = ~bad
    order = np.argsort(frames[keep], kind="stable")
    kept_frames = frames[keep]
    if len(files) == 1 and (np.diff(kept_frames) < 0).any():
        warnings.append(f"{path}: rows are not in frame order; they were sorted by frame number")

    def take(arr: Optional[np.ndarray]) -> Optional[np.ndarray]:
        return None if arr is None else arr[keep][order]

    size_out, size_from = None, "unknown: the dumps have no img_size (give the footage)"
    if img is not None and len(img):
        if not np.allclose(img, img[0]):
            raise EstimatorInputError("img_size differs between detections of one clip", path=path, field="img_size")
        size_out, size_from = img[0].astype(np.float64), "img_size in the dumps"
    if image_size is not None:
        given = np.asarray(image_size, dtype=np.float64).reshape(2)
        if size_out is not None and not np.allclose(given, size_out, atol=0.5):
            raise EstimatorInputError(f"is {size_out[0]:g} x {size_out[1]:g} but the image size given is "
                                      f"{given[0]:g} x {given[1]:g}", path=path, field="img_size")
        size_out, size_from = given, "the caller"
    converted = sorted({k for b in blocks for k in b["converted"]})
    crop_index = [c for b in blocks for c in b["crop_index"]]
    source = {
        "format": "wilor",
        "path": str(path),
        "conventions": dict(CONVENTIONS),
        "converted_from_axis_angle": converted,
        "files": [str(f) for f in files] if len(files) <= 20 else {"count": len(files), "first": str(files[0]),
                                                                    "last": str(files[-1])},
        "crop_index": [crop_index[i] for i in np.nonzero(keep)[0][order]],
        "crop_index_meaning": "the demo's per-image detection index (personid) or the file name's crop number; "
                              "not a person track",
        "image_size": size_from,
        "warnings": warnings,
    }
    return HandDetections(
        frame_ids=take(frames).astype(np.int64),
        is_right=take(is_right).astype(bool),
        global_orient=take(glob),
        hand_pose=take(pose),
        betas=take(betas),
        pred_cam=take(cam),
        keypoints_3d=take(kp),
        box_center=take(center),
        box_size=take(size),
        score=take(score),
        image_size=size_out,
        source=source,
    )
