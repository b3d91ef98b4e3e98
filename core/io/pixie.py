"""PIXIE ``*_param.pkl`` files -> :class:`BodyEstimate`.

What PIXIE writes (confirmed in yfeng95/PIXIE):
- ``demos/demo_fit_body.py`` with ``--saveParam True``: per input image ``<savefolder>/<name>/<name>_param.pkl``
  holding ``codedict`` after ``pixie.decode(codedict, 'body')``, through ``util.save_pkl`` (``pickle`` protocol 2,
  batch index 0 taken, tensors -> float32 numpy), plus ``bbox``. Video frames are named
  ``<video>_frame{count:05d}`` (``pixielib/datasets/body_datasets.py`` ``video2sequence``); the frame number is the
  last run of digits in ``<name>``.
- ``pixie.decode`` converts in place (``convert_pose``): every ``*pose*`` key but the jaw from 6D to rotation
  matrices, the jaw from Euler angles; it assembles ``body_pose`` (21,3,3) = ``partbody_pose[:11]`` (joints 1-11),
  ``neck_pose`` (joint 12), ``partbody_pose[11:13]`` (13-14), ``head_pose`` (15), ``partbody_pose[13:17]``
  (16-19), ``left_wrist_pose`` (20), ``right_wrist_pose`` (21), then turns head and both wrists from absolute to
  parent-relative with ``SMPLX.pose_abs2rel`` (``pixielib/models/SMPLX.py``: rel = (product of parents' rotations
  down the chain)^T @ abs). So the saved ``body_pose`` rows 0..20 are SMPL-X joints 1..21 **including the wrists**,
  already relative; the separate ``head_pose`` / ``*_wrist_pose`` keys stay absolute (``abs_left_wrist_pose`` is
  even the still-mirrored value, copied before ``flip_pose``). If ``body_pose`` is absent the reader rebuilds it
  the same way.
- ``left_hand_pose`` is predicted by the right-hand regressor and flipped back by ``util.flip_pose`` before saving,
  so both hands are in SMPL-X's own left/right conventions.
- ``global_pose`` (1,3,3), ``jaw_pose`` (1,3,3), hands (15,3,3); ``shape`` (200,), ``exp`` (50,), ``tex`` (50,),
  ``light`` (9,3) or (27,), ``body_cam`` (3,) = [s, tx, ty], ``bbox`` (4,) = detector box [x0, y0, x1, y1].
- Model: ``pixielib/utils/config.py`` ``smplx_model_path = SMPLX_NEUTRAL_2020.npz``, ``n_shape = 200``,
  ``n_exp = 50``; ``pixielib/models/SMPLX.py`` builds ``shapedirs = cat(shapedirs[:, :, :200],
  shapedirs[:, :, 300:350])``: SMPL-X **2020**, the first 200 of its 300 shape and the first 50 of its 100
  expression components.
- Hands are relative to the **flat** hand: ``SMPLX.forward`` concatenates the poses and calls ``lbs`` with no
  ``hands_mean`` / ``pose_mean`` term.
- Camera: ``util.batch_orth_proj`` gives ``s * (X[:2] + [tx, ty])`` in [-1, 1] crop coordinates with no axis flip,
  and ``tensor_cropper.points2bbox`` reads them straight as y-down pixels (``(p * 0.5 + 0.5) * size``); the hand
  branch's canonical global pose is diag(1, -1, -1). So ``global_pose`` is already in an OpenCV-axes camera frame
  (x right, y down, z forward). The body crop is the square of side ``int(max(w, h) * 1.1)`` around the detector
  box centre, resized to 224 (``body_datasets.TestData``, ``scale=1.1``).

Conversion (recorded in ``source``): rotation matrices -> axis-angle (checked to be rotations first); eye poses
zeros; the weak-perspective camera becomes a perspective one with a virtual focal ``f = crop_focal / 224 * S``
(``crop_focal`` 5000 px by default, the HMR/SPIN virtual camera) and principal point at the crop centre, with
``transl = [tx, ty, 2 f / (s S)]``: exact for the projection PIXIE trains with, up to perspective effects and the
sub-pixel (223 vs 224) crop mapping.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from ..body.skeleton import HEAD_CHAIN, LEFT_WRIST_CHAIN, RIGHT_WRIST_CHAIN
from ..contracts.estimates import BodyEstimate
from ..rotations import matrix_to_axis_angle
from .array_checks import as_float_array, check_finite, check_policy, check_rotation_matrices, require, single
from .assemble import body_from_rows
from .frames import frames_from_names
from .input_errors import EstimatorInputError
from .loaders import load_mapping

PathLike = Union[str, Path]

PARAM_SUFFIX = "_param"
CROP_SIZE = 224
DEFAULT_CROP_SCALE = 1.1
DEFAULT_CROP_FOCAL = 5000.0

CONVENTIONS = {
    "rotations": "rotation matrices in the file, converted to axis-angle",
    "hand_pose_relative_to": "flat (PIXIE's SMPLX.forward adds no hands mean)",
    "body_pose": "rows 0..20 = SMPL-X joints 1..21 including both wrists, parent-relative (after pose_abs2rel)",
    "camera_frame": "OpenCV axes (PIXIE projects x, y straight to y-down crop pixels)",
    "shape": "first 200 of SMPL-X 2020's 300 shape components",
    "expression": "first 50 of SMPL-X 2020's 100 expression components",
}

SIGNATURE = ("global_pose", "body_cam")


def _param_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise EstimatorInputError("file or folder not found", path=path)
    files = sorted(set(path.glob(f"*{PARAM_SUFFIX}.pkl")) | set(path.glob(f"*/*{PARAM_SUFFIX}.pkl")))
    if not files:
        raise EstimatorInputError(f"no *{PARAM_SUFFIX}.pkl files here or one folder down (PIXIE writes "
                                  f"<savefolder>/<name>/<name>{PARAM_SUFFIX}.pkl with --saveParam True)", path=path)
    return files


def _mats(data: dict, key: str, n: int, path: Path, frame: int) -> np.ndarray:
    _, value = require(data, key, path, frame=frame)
    arr = as_float_array(value, path, key, frame)
    if arr.ndim >= 1 and arr.shape[-1] == 6 and arr.size == 6 * n:
        raise EstimatorInputError("holds 6D rotation codes, not matrices: save the dict after pixie.decode() "
                                  "(as demos/demo_fit_body.py does)", path=path, field=key, frame=frame)
    return single(arr, (n, 3, 3), path, key, frame)


def _abs_to_rel(global_pose: np.ndarray, body_pose: np.ndarray, chain: Sequence[int]) -> None:
    """In place, like PIXIE's ``SMPLX.pose_abs2rel``: joint ``chain[-1]`` absolute -> parent-relative."""
    full = np.concatenate([global_pose, body_pose], axis=0)  # (22, 3, 3)
    parent_abs = np.eye(3)
    for j in chain[:-1]:
        parent_abs = parent_abs @ full[j]
    joint = chain[-1]
    body_pose[joint - 1] = parent_abs.T @ body_pose[joint - 1]


def _body_pose(data: dict, path: Path, frame: int) -> tuple[np.ndarray, str]:
    if "body_pose" in data:
        return _mats(data, "body_pose", 21, path, frame), "body_pose as saved"
    part = _mats(data, "partbody_pose", 17, path, frame)
    pieces = {k: _mats(data, k, 1, path, frame) for k in ("neck_pose", "head_pose", "left_wrist_pose",
                                                          "right_wrist_pose")}
    body = np.concatenate([part[:11], pieces["neck_pose"], part[11:13], pieces["head_pose"], part[13:17],
                           pieces["left_wrist_pose"], pieces["right_wrist_pose"]], axis=0)
    glob = _mats(data, "global_pose", 1, path, frame)
    for chain in (HEAD_CHAIN, LEFT_WRIST_CHAIN, RIGHT_WRIST_CHAIN):
        _abs_to_rel(glob, body, chain)
    return body, "rebuilt from partbody/neck/head/wrist poses with abs->rel on head and wrists"


def read_pixie(path: PathLike, *, crop_scale: float = DEFAULT_CROP_SCALE, crop_focal: float = DEFAULT_CROP_FOCAL,
               image_size: Optional[Sequence[float]] = None, nonfinite: str = "raise") -> BodyEstimate:
    """A PIXIE result: one ``*_param.pkl`` or a folder of them (``<savefolder>/<name>/<name>_param.pkl``).

    Args:
        crop_scale: PIXIE's body crop side over the detector box's longer side (``TestData(scale=1.1)``).
        crop_focal: virtual focal length in pixels of the 224 crop, for the perspective camera.
        image_size: (W, H) of the photo / footage, which PIXIE does not save; None leaves it unknown (the crop box
            never stands in for it).
        nonfinite: ``"raise"`` or ``"invalidate"`` for NaN / Inf values.
    """
    check_policy(nonfinite)
    path = Path(path)
    files = _param_files(path)
    warnings: list = []
    frames = frames_from_names([f.name for f in files], path, suffixes=(PARAM_SUFFIX,), warnings=warnings)
    rows: dict[str, list] = {k: [] for k in ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose",
                                             "jaw_pose", "betas", "expression", "transl", "camera_K", "bbox")}
    pose_notes = set()
    for f, frame in zip(files, frames):
        frame = int(frame)
        data = load_mapping(f)
        glob = _mats(data, "global_pose", 1, f, frame)
        body, note = _body_pose(data, f, frame)
        pose_notes.add(note)
        jaw = _mats(data, "jaw_pose", 1, f, frame)
        lh = _mats(data, "left_hand_pose", 15, f, frame)
        rh = _mats(data, "right_hand_pose", 15, f, frame)
        mats = {"global_pose": glob, "body_pose": body, "jaw_pose": jaw, "left_hand_pose": lh, "right_hand_pose": rh}
        _, shape = require(data, "shape", f, frame=frame)
        _, exp = require(data, "exp", f, frame=frame)
        shape = as_float_array(shape, f, "shape", frame).reshape(-1)
        exp = as_float_array(exp, f, "exp", frame).reshape(-1)
        cam = single(require(data, "body_cam", f, frame=frame)[1], (3,), f, "body_cam", frame)
        bkey, box = require(data, ("bbox",), f, frame=frame)
        box = single(box, (4,), f, bkey, frame)
        raw = dict(mats, shape=shape, exp=exp, body_cam=cam, bbox=box)
        if nonfinite == "raise":  # name PIXIE's own keys; with "invalidate" body_from_rows records the warning
            for key, m in raw.items():
                check_finite(np.asarray(m)[None], f, key, [frame])
        if all(np.isfinite(m).all() for m in mats.values()):
            for key, m in mats.items():
                check_rotation_matrices(m[None], f, key, [frame])
        s, tx, ty = cam
        if np.isfinite(cam).all() and s <= 0:
            raise EstimatorInputError(f"scale s = {s:.4g} must be positive", path=f, field="body_cam", frame=frame)
        side = float(int(max(box[2] - box[0], box[3] - box[1]) * crop_scale)) if np.isfinite(box).all() else np.nan
        if np.isfinite(side) and side <= 0:
            raise EstimatorInputError("the box has no area", path=f, field=bkey, frame=frame)
        focal = crop_focal / CROP_SIZE * side
        K = np.array([[focal, 0.0, (box[0] + box[2]) / 2.0], [0.0, focal, (box[1] + box[3]) / 2.0], [0, 0, 1.0]])
        with np.errstate(divide="ignore", invalid="ignore"):
            transl = np.array([tx, ty, 2.0 * focal / (s * side)])
        aa = {k: matrix_to_axis_angle(m) if np.isfinite(m).all() else np.full(m.shape[:-1], np.nan)
              for k, m in mats.items()}
        rows["global_orient"].append(aa["global_pose"].reshape(1, 3))
        rows["body_pose"].append(aa["body_pose"].reshape(1, 21, 3))
        rows["left_hand_pose"].append(aa["left_hand_pose"].reshape(1, 15, 3))
        rows["right_hand_pose"].append(aa["right_hand_pose"].reshape(1, 15, 3))
        rows["jaw_pose"].append(aa["jaw_pose"].reshape(1, 3))
        rows["betas"].append(shape)
        rows["expression"].append(exp)
        rows["transl"].append(transl.reshape(1, 3))
        rows["camera_K"].append(K.reshape(1, 3, 3))
        rows["bbox"].append(box.reshape(1, 4))
    for key in ("betas", "expression"):
        sizes = {r.shape[0] for r in rows[key]}
        if len(sizes) > 1:
            i = next(i for i, r in enumerate(rows[key]) if r.shape[0] != rows[key][0].shape[0])
            raise EstimatorInputError(f"has {rows[key][i].shape[0]} values but the first file has "
                                      f"{rows[key][0].shape[0]}", path=files[i],
                                      field="shape" if key == "betas" else "exp", frame=int(frames[i]))
    n = len(files)
    fields = {k: (np.stack(v) if k in ("betas", "expression") else np.concatenate(v)) for k, v in rows.items()}
    bbox = fields.pop("bbox")
    fields["leye_pose"] = np.zeros((n, 3))
    fields["reye_pose"] = np.zeros((n, 3))
    source = {
        "format": "pixie",
        "path": str(path),
        "conventions": dict(CONVENTIONS, body_pose_source=sorted(pose_notes)),
        "camera": {"kind": "weak perspective [s, tx, ty] converted to perspective", "crop_scale": crop_scale,
                   "crop_size": CROP_SIZE, "crop_focal_px": crop_focal,
                   "K": "f = crop_focal/224 * S, principal point = box centre, S = int(max(w, h) * crop_scale)",
                   "transl": "[tx, ty, 2 f / (s S)]"},
        "defaults": {"leye_pose": "zeros", "reye_pose": "zeros"},
        "image_size": ({"value": [float(v) for v in np.asarray(image_size, dtype=np.float64).reshape(2)],
                        "from": "the caller"} if image_size is not None else
                       "unknown: PIXIE saves no image size (give the footage: fuse --footage / --image-size)"),
        "warnings": warnings,
    }
    return body_from_rows(fields, frames, where=path, hand_pose_relative_to="flat", model_variant="smplx-2020",
                          source=source, image_size=image_size, bbox=bbox, nonfinite=nonfinite,
                          file_of_row=files if len(files) > 1 else None, report_order=False,
                          names={"global_orient": "global_pose", "betas": "shape", "expression": "exp",
                                 "transl": "body_cam", "camera_K": "bbox"})
