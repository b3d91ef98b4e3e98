"""ExPose ``*_params.npz`` files -> :class:`BodyEstimate`, with ExPose's own camera and joints.

What ExPose writes (confirmed in vchoutas/expose at 9651d09, July 2021):
- ``demo.py`` ``main(..., save_params=True)``: per body crop ``<output>/<fname>/<fname>_params.npz`` through
  ``np.savez_compressed``, holding every entry of ``model_output['body']['final']`` for that crop (torch tensors
  as numpy, batch index taken) plus the entries of ``weak_persp_to_blender``. ``fname`` is the image's file name
  (``expose/data/datasets/image_folder.py`` ``ImageFolderWithBoxes`` appends ``_{index:03d}``, a running index
  over all boxes, not a person id; released runs also write the bare image name, e.g. ``02_cropped.jpg``).
  The frame number is the last run of digits in the image name; a trailing ``_NNN`` after the image extension is
  that box index and is dropped.
- ``final`` (``expose/models/attention/predictor.py``) = the final SMPL-X parameters, as **rotation matrices**
  (``global_orient`` (1,3,3), ``body_pose`` (21,3,3), ``left/right_hand_pose`` (15,3,3), ``jaw_pose`` (1,3,3)),
  ``betas`` (10,), ``expression`` (10,) (``expose/config/body_model.py``: ``num_betas`` and
  ``num_expression_coeffs`` 10: SMPL-X v1.1's 10 + 10), and the output of
  ``smplx.build_layer(...)`` (``SMPLXLayer``): ``vertices`` (10475,3), ``joints`` (144,3) (smplx's 127 with the
  17 face-contour points), ``v_shaped`` and ``full_pose`` (``None`` in released files: pickled object arrays,
  never opened here), and ``proj_joints`` (144,2).
- Hands are relative to the **flat** hand: the PCA hand decoder (``expose/models/common/pose_utils.py``
  ``PCADecoder.forward``) adds its learned mean in axis-angle *before* ``batch_rodrigues``, and
  ``SMPLXLayer.forward`` (vchoutas/smplx ``smplx/body_models.py``) concatenates the rotation matrices with no
  ``hand_mean`` term.
- Axes: ``predictor.py`` starts ``global_orient`` at 180 degrees about x ("Rotate the model 180 degrees around
  the x-axis") and projects x, y straight to image coordinates, so ``global_orient`` and ``joints`` are in the
  OpenCV camera frame (x right, y down, z forward); ``joints`` / ``vertices`` exclude ``transl`` (the demo's
  saved mesh is ``vertices + transl``).
- Camera (``demo.py`` ``weak_persp_to_blender``; ``expose/utils/plot_utils.py`` ``HDRenderer``): the network's
  weak-perspective ``proj_joints = s * (joints[:, :2] + t)`` (``expose/models/camera/camera_projection.py``
  ``WeakPerspectiveCamera``) in [-1, 1] of the square body crop of side ``orig_bbox_size`` (1.2 x the detector
  box's longer side, ``expose/data/utils/bbox.py`` ``bbox_to_center_scale``) around ``center`` =
  ``orig_center``, the box centre in the **original image's** pixels (``Crop`` returns the full image
  untouched). It is saved as a perspective camera: ``transl = [tx, ty, 2 f / (s * orig_bbox_size)]``,
  ``focal_length_in_px`` f (``--focal-length``, default 5000), and HDRenderer renders with fx = fy = f and the
  principal point at ``center``. ``s`` and the box size are not saved; the reader recovers ``s`` from
  ``proj_joints``, ``joints`` and ``transl`` (least squares) and the crop side as ``2 f / (s * tz)``.
- Image size: not saved directly, but ``focal_length_in_mm = f / W * sensor_width``, ``shift_x = -(cx / W -
  0.5)`` and ``shift_y = (cy - H / 2) / W`` with (W, H) the original image's size; the reader takes
  ``W = f * sensor_width / focal_length_in_mm`` and ``H = 2 (cy - shift_y W)`` and checks ``shift_x``
  against them.

Conversion (recorded in ``source``): rotation matrices -> axis-angle (checked to be rotations first); eye poses
zeros; ``camera_K = [[f, 0, cx], [0, f, cy], [0, 0, 1]]`` in the original image's pixels; ``joints_3d = joints +
transl`` (camera frame, metres); ``joints_2d = center + proj_joints * side / 2`` (ExPose's own weak-perspective
projection in image pixels); ``bbox`` = the square crop (side ``2 f / (s tz)``) around ``center``.

The npz is opened member by member with ``allow_pickle=False``: only the keys above are read, so the object
arrays (``full_pose``, ``v_shaped``) are skipped without being unpickled.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..contracts.estimates import BodyEstimate
from ..fileio.safe_pickle import read_npy, short_reason
from ..rotations import matrix_to_axis_angle
from .array_checks import as_float_array, check_finite, check_policy, check_rotation_matrices, require, single
from .assemble import body_from_rows
from .frames import frames_from_names
from .input_errors import EstimatorInputError

PathLike = Union[str, Path]

PARAMS_SUFFIX = "_params"
#: ExPose's default ``--focal-length`` (``demo.py``), used only when a file lacks ``focal_length_in_px``.
DEFAULT_FOCAL_PX = 5000.0
JOINT_LAYOUT = "smplx-144 (smplx joints 0-126 + 17 face contour; ExPose SMPLXLayer output)"

#: Keys that identify an ExPose params file (``weak_persp_to_blender`` + the final model output).
SIGNATURE = ("focal_length_in_px", "proj_joints", "center")

_ROTATIONS = {"global_orient": 1, "body_pose": 21, "left_hand_pose": 15, "right_hand_pose": 15, "jaw_pose": 1}
_NUMBERS = ("betas", "expression", "transl", "center", "focal_length_in_px", "joints", "proj_joints",
            "focal_length_in_mm", "sensor_width", "shift_x", "shift_y")
#: Every member the reader opens; anything else in the archive (``vertices``, ``full_pose``, ``v_shaped``,
#: ``fname``) is never read.
KEYS_READ = tuple(_ROTATIONS) + _NUMBERS

#: An archive member whose declared size exceeds this many times its compressed size is refused unread.
_MAX_DEFLATE_RATIO = 1100
#: Relative residual of ``proj_joints`` against ``s * (joints + t)`` above which the file breaks ExPose's camera.
PROJECTION_TOLERANCE = 1e-3
_IMAGE_NAME = re.compile(r"^(.*\.(?:jpe?g|png|bmp|tiff?|webp))(?:_(\d+))?$", re.IGNORECASE)

CONVENTIONS = {
    "rotations": "rotation matrices in the file, converted to axis-angle",
    "hand_pose_relative_to": "flat (PCA mean added before batch_rodrigues; SMPLXLayer adds no hand mean)",
    "camera_frame": "OpenCV axes (global orient starts at 180 deg about x; x, y projected straight to pixels)",
    "camera": "fx = fy = focal_length_in_px, principal point = center (the body box centre), original image pixels",
    "transl": "transl as saved: [tx, ty, 2 f / (s * crop side)], metres",
    "shape": "SMPL-X v1.1: 10 betas, 10 expression coefficients",
    "joints": "joints_3d = joints + transl; joints_2d = center + proj_joints * side / 2, side = 2 f / (s tz)",
}


def _read_members(path: Path, keys: Sequence[str]) -> dict[str, Any]:
    """The members ``keys`` of an npz archive (those present), each checked by :func:`read_npy` with
    ``allow_objects=False``; other members are not opened."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise EstimatorInputError("file not found", path=path) from None
    except IsADirectoryError:
        raise EstimatorInputError("expected a file, found a folder", path=path) from None
    except Exception as exc:  # not a zip, truncated central directory
        raise EstimatorInputError(f"not a readable .npz archive, truncated or corrupt ({short_reason(exc)})",
                                  path=path) from None
    wanted = set(keys)
    out: dict[str, Any] = {}
    with archive:
        size = archive.fp.seek(0, io.SEEK_END) if archive.fp is not None else 0
        for info in archive.infolist():
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if key not in wanted or key in out:
                continue
            if info.compress_size > size or info.file_size > max(info.compress_size, 1) * _MAX_DEFLATE_RATIO + 1024 \
                    or (info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size):
                raise EstimatorInputError(f"the archive entry declares {info.file_size} bytes from "
                                          f"{info.compress_size} in a {size}-byte file: truncated or corrupt",
                                          path=path, field=key)
            try:
                with archive.open(info) as stream:
                    out[key] = read_npy(stream, info.file_size, path=str(path), member=key,
                                        error=EstimatorInputError, allow_objects=False)
            except EstimatorInputError:
                raise
            except Exception as exc:  # bad local header, CRC error, unsupported compression
                raise EstimatorInputError(f"truncated or corrupt archive member ({short_reason(exc)})", path=path,
                                          field=key) from None
    return out


def is_expose_file(path: PathLike) -> bool:
    """Whether ``path`` is an npz archive with ExPose's :data:`SIGNATURE` members (only its member list is read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {n[:-4] if n.endswith(".npy") else n for n in archive.namelist()}
    except Exception:  # not a zip: some other reader reports it
        return False
    return set(SIGNATURE) <= names


def _params_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise EstimatorInputError("file or folder not found", path=path)
    pattern = f"*{PARAMS_SUFFIX}.npz"
    files = sorted(set(path.glob(pattern)) | set(path.glob(f"*/{pattern}")))
    if not files:
        raise EstimatorInputError(f"no *{PARAMS_SUFFIX}.npz files here or one folder down (ExPose's demo.py writes "
                                  f"<output>/<image>/<image>{PARAMS_SUFFIX}.npz with --save-params True)", path=path)
    return files


def image_name_of(file_name: str) -> str:
    """The image an ExPose params file belongs to: ``02_cropped.jpg_params.npz`` -> ``02_cropped.jpg``, and
    ``frame_000123.jpg_004_params.npz`` (``ImageFolderWithBoxes``' box index) -> ``frame_000123.jpg``."""
    stem = file_name[:-4] if file_name.lower().endswith(".npz") else file_name
    if stem.endswith(PARAMS_SUFFIX):
        stem = stem[: -len(PARAMS_SUFFIX)]
    match = _IMAGE_NAME.match(stem)
    return match.group(1) if match else stem


def _scalar(data: dict, key: str, path: Path, frame: int) -> Optional[float]:
    if key not in data:
        return None
    value = single(data[key], (), path, key, frame)
    return float(value)


def image_size_from_params(focal_px: float, center: np.ndarray, focal_mm: Optional[float],
                           sensor_width: Optional[float], shift_x: Optional[float], shift_y: Optional[float],
                           path: Path, frame: int) -> Optional[np.ndarray]:
    """(2,) W, H of the original image from ``weak_persp_to_blender``'s fields, or None when they are absent.

    ``W = f * sensor_width / focal_length_in_mm``; ``H = 2 (cy - shift_y W)``; ``shift_x = -(cx / W - 0.5)`` must
    agree (within a pixel of W)."""
    if focal_mm is None or sensor_width is None or shift_y is None:
        return None
    values = np.array([focal_px, focal_mm, sensor_width, shift_y, center[0], center[1]])
    if not np.isfinite(values).all():
        return None  # the finiteness check of the fields names the key
    if focal_mm <= 0 or sensor_width <= 0:
        raise EstimatorInputError(f"must be positive, found focal_length_in_mm {focal_mm:.6g} and sensor_width "
                                  f"{sensor_width:.6g}", path=path, field="focal_length_in_mm", frame=frame)
    width = focal_px * sensor_width / focal_mm
    height = 2.0 * (center[1] - shift_y * width)
    if not (np.isfinite(width) and np.isfinite(height)) or width < 1 or height < 1 or max(width, height) > 1e6:
        raise EstimatorInputError(f"give an implausible image size {width:.6g} x {height:.6g} px",
                                  path=path, field="focal_length_in_mm, shift_y", frame=frame)
    if shift_x is not None and np.isfinite(shift_x):
        width_x = center[0] / (0.5 - shift_x) if shift_x != 0.5 else np.inf
        if not abs(width_x - width) <= 1.0:
            raise EstimatorInputError(f"implies an image width of {width_x:.6g} px but focal_length_in_mm gives "
                                      f"{width:.6g} px", path=path, field="shift_x", frame=frame)
    return np.array([round(width, 3), round(height, 3)])


def _weak_scale(joints: np.ndarray, transl: np.ndarray, proj: np.ndarray, path: Path, frame: int) -> float:
    """ExPose's weak-perspective scale ``s`` from ``proj_joints = s * (joints[:, :2] + transl[:2])``."""
    a = (joints[:, :2] + transl[:2]).reshape(-1)
    b = proj.reshape(-1)
    denom = float(a @ a)
    if not np.isfinite(denom) or denom <= 1e-12:
        raise EstimatorInputError("all joints sit at the camera axis: the weak-perspective scale cannot be "
                                  "recovered", path=path, field="proj_joints", frame=frame)
    s = float(a @ b) / denom
    residual = float(np.sqrt(np.mean((s * a - b) ** 2)))
    scale = float(np.sqrt(np.mean(b ** 2)))
    if not np.isfinite(s) or s <= 0 or not residual <= PROJECTION_TOLERANCE * max(scale, 1e-9):
        raise EstimatorInputError(f"do not follow ExPose's weak-perspective projection s * (joints + transl) "
                                  f"(best s = {s:.4g}, residual {residual:.3g} in crop units)", path=path,
                                  field="proj_joints", frame=frame)
    return s


def _read_one(f: Path, frame: int, focal_default: float) -> dict[str, Any]:
    data = _read_members(f, KEYS_READ)
    mats = {key: single(require(data, key, f, frame=frame)[1], (n, 3, 3), f, key, frame)
            for key, n in _ROTATIONS.items()}
    betas = as_float_array(require(data, "betas", f, frame=frame)[1], f, "betas", frame).reshape(-1)
    expression = as_float_array(require(data, "expression", f, frame=frame)[1], f, "expression", frame).reshape(-1)
    if betas.size == 0 or expression.size == 0:
        raise EstimatorInputError("is empty", path=f, field="betas" if betas.size == 0 else "expression", frame=frame)
    transl = single(require(data, "transl", f, frame=frame)[1], (3,), f, "transl", frame)
    center = single(require(data, "center", f, frame=frame)[1], (2,), f, "center", frame)
    joints = as_float_array(require(data, "joints", f, frame=frame)[1], f, "joints", frame)
    proj = as_float_array(require(data, "proj_joints", f, frame=frame)[1], f, "proj_joints", frame)
    if joints.ndim != 2 or joints.shape[1] != 3 or joints.shape[0] < 22:
        raise EstimatorInputError(f"expected (J >= 22, 3), found {tuple(joints.shape)}", path=f, field="joints",
                                  frame=frame)
    if proj.shape != (joints.shape[0], 2):
        raise EstimatorInputError(f"expected ({joints.shape[0]}, 2) to match joints, found {tuple(proj.shape)}",
                                  path=f, field="proj_joints", frame=frame)
    focal = _scalar(data, "focal_length_in_px", f, frame)
    focal_source = "focal_length_in_px"
    if focal is None:
        focal, focal_source = focal_default, f"ExPose's default --focal-length {focal_default:g} (key absent)"
    extras = {k: _scalar(data, k, f, frame) for k in ("focal_length_in_mm", "sensor_width", "shift_x", "shift_y")}
    raw = dict(mats, betas=betas, expression=expression, transl=transl, center=center, joints=joints,
               proj_joints=proj, focal_length_in_px=np.array([focal]))
    raw.update({k: np.array([v]) for k, v in extras.items() if v is not None})
    for key, value in raw.items():  # every value the estimate uses must be finite: name the file's own key
        check_finite(np.asarray(value, dtype=np.float64).reshape(1, -1), f, key, [frame])
    for key, m in mats.items():
        check_rotation_matrices(m[None], f, key, [frame])
    if focal <= 0 or transl[2] <= 0:
        field = "focal_length_in_px" if focal <= 0 else "transl"
        raise EstimatorInputError(f"must be positive (focal {focal:.6g} px, depth tz {transl[2]:.6g} m)", path=f,
                                  field=field, frame=frame)
    s = _weak_scale(joints, transl, proj, f, frame)
    side = 2.0 * focal / (s * transl[2])
    if not np.isfinite(side) or side <= 0:
        raise EstimatorInputError(f"give an implausible crop side {side:.6g} px", path=f, field="proj_joints",
                                  frame=frame)
    size = image_size_from_params(focal, center, extras["focal_length_in_mm"], extras["sensor_width"],
                                  extras["shift_x"], extras["shift_y"], f, frame)
    K = np.array([[focal, 0.0, center[0]], [0.0, focal, center[1]], [0.0, 0.0, 1.0]])
    return {
        "aa": {k: matrix_to_axis_angle(m) for k, m in mats.items()},
        "betas": betas, "expression": expression, "transl": transl, "camera_K": K,
        "bbox": np.array([center[0] - side / 2, center[1] - side / 2, center[0] + side / 2, center[1] + side / 2]),
        "joints_3d": joints + transl, "joints_2d": center + proj * (side / 2.0),
        "image_size": size, "focal_source": focal_source, "weak_scale": s, "crop_side": side,
    }


def _stack_same(values: list, key: str, files: list, frames: np.ndarray) -> np.ndarray:
    for i, v in enumerate(values):
        if v.shape != values[0].shape:
            raise EstimatorInputError(f"has shape {v.shape} but the first file has {values[0].shape}", path=files[i],
                                      field=key, frame=int(frames[i]))
    return np.stack(values)


def read_expose(path: PathLike, *, image_size: Optional[Sequence[float]] = None,
                focal_default: float = DEFAULT_FOCAL_PX, nonfinite: str = "raise") -> BodyEstimate:
    """An ExPose result: one ``*_params.npz`` or a folder of them (``<output>/<image>/<image>_params.npz``).

    Args:
        image_size: (W, H) of the images; by default what the files imply (``focal_length_in_mm``,
            ``shift_x/y``); a size that disagrees with the files is an error naming both.
        focal_default: the focal in pixels where a file lacks ``focal_length_in_px``.
        nonfinite: ``"raise"`` (NaN / Inf is an error naming the file, key and frame) or ``"invalidate"``; ExPose
            files carry one detection per file, so a non-finite file is always an error.
    Returns:
        A :class:`BodyEstimate` with ``joints_3d`` (T, 144, 3) and ``joints_2d`` (T, 144, 2) (``joint_layout``).
    """
    check_policy(nonfinite)
    path = Path(path)
    files = _params_files(path)
    warnings: list = []
    images = [image_name_of(f.name) for f in files]
    frames = frames_from_names(images, path, warnings=warnings)
    rows = [_read_one(f, int(frame), float(focal_default)) for f, frame in zip(files, frames)]
    sizes = [(r["image_size"], f, int(fr)) for r, f, fr in zip(rows, files, frames) if r["image_size"] is not None]
    size = None
    for s, f, fr in sizes:
        if size is None:
            size = s
        elif np.abs(s - size).max() > 1.0:
            raise EstimatorInputError(f"implies images of {s[0]:g} x {s[1]:g} px but {sizes[0][1].name} implies "
                                      f"{size[0]:g} x {size[1]:g} px", path=f, field="focal_length_in_mm",
                                      frame=fr)
    size_source = "focal_length_in_mm, sensor_width, shift_x, shift_y" if size is not None else "unknown"
    if image_size is not None:
        given = np.asarray(image_size, dtype=np.float64).reshape(2)
        if size is not None and np.abs(given - size).max() > 1.0:
            raise EstimatorInputError(f"the given image size {given[0]:g} x {given[1]:g} px differs from the "
                                      f"{size[0]:g} x {size[1]:g} px the file implies", path=sizes[0][1],
                                      field="image_size", frame=sizes[0][2])
        size, size_source = given, "given"
    n = len(files)
    fields = {
        "global_orient": np.stack([r["aa"]["global_orient"].reshape(3) for r in rows]),
        "body_pose": np.stack([r["aa"]["body_pose"] for r in rows]),
        "left_hand_pose": np.stack([r["aa"]["left_hand_pose"] for r in rows]),
        "right_hand_pose": np.stack([r["aa"]["right_hand_pose"] for r in rows]),
        "jaw_pose": np.stack([r["aa"]["jaw_pose"].reshape(3) for r in rows]),
        "leye_pose": np.zeros((n, 3)), "reye_pose": np.zeros((n, 3)),
        "betas": _stack_same([r["betas"] for r in rows], "betas", files, frames),
        "expression": _stack_same([r["expression"] for r in rows], "expression", files, frames),
        "transl": np.stack([r["transl"] for r in rows]),
        "camera_K": np.stack([r["camera_K"] for r in rows]),
    }
    joints_3d = _stack_same([r["joints_3d"] for r in rows], "joints", files, frames)
    joints_2d = np.stack([r["joints_2d"] for r in rows])
    source = {
        "format": "expose",
        "path": str(path),
        "conventions": dict(CONVENTIONS),
        "camera": {"kind": "perspective as ExPose renders it (HDRenderer)",
                   "focal_source": sorted({r["focal_source"] for r in rows}),
                   "weak_perspective_scale": [round(r["weak_scale"], 6) for r in rows],
                   "crop_side_px": [round(r["crop_side"], 3) for r in rows]},
        "image_size_source": size_source,
        "images": images if n <= 20 else {"count": n, "first": images[0], "last": images[-1]},
        "defaults": {"leye_pose": "zeros", "reye_pose": "zeros"},
        "warnings": warnings,
    }
    est = body_from_rows(fields, frames, where=path, hand_pose_relative_to="flat", model_variant="smplx-v1.1",
                         source=source, image_size=size, bbox=np.stack([r["bbox"] for r in rows]),
                         nonfinite=nonfinite, file_of_row=files if n > 1 else None, report_order=False)
    order = np.searchsorted(est.frame_ids, frames)
    est.joints_3d = np.zeros((len(est.frame_ids),) + joints_3d.shape[1:])
    est.joints_2d = np.zeros((len(est.frame_ids),) + joints_2d.shape[1:])
    est.joints_3d[order] = joints_3d
    est.joints_2d[order] = joints_2d
    est.joints_3d[~est.valid] = 0.0
    est.joints_2d[~est.valid] = 0.0
    est.joint_layout = JOINT_LAYOUT
    return est


__all__ = ["read_expose", "is_expose_file", "image_name_of", "image_size_from_params", "SIGNATURE", "PARAMS_SUFFIX",
           "KEYS_READ", "DEFAULT_FOCAL_PX", "JOINT_LAYOUT", "CONVENTIONS"]
