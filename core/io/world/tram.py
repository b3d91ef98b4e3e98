"""TRAM ``camera.npy`` + ``hps/hps_track_{k}.npy`` -> one :class:`BodyEstimate` per track, camera frame, with the
camera's world pose per frame.

What TRAM writes (confirmed in yufu-wang/tram):
- ``scripts/estimate_camera.py``: ``np.save(f"{seq_folder}/camera.npy", camera)`` with ``camera`` a dict of
  ``pred_cam_R`` / ``pred_cam_T`` (masked DROID-SLAM, metric), ``world_cam_R`` (L, 3, 3) / ``world_cam_T`` (L, 3)
  (the same aligned to gravity by ``lib/camera/est_gravity.py`` ``align_cam_to_world``: R_wc = R_wg R_gc with
  R_wg = diag(1, -1, -1), so the world is **y up**), ``img_focal``, ``img_center`` and ``spec_focal``.
  ``world_cam_R`` / ``world_cam_T`` are **camera-to-world**: ``lib/pipeline/visualization.py`` maps camera-frame
  vertices with ``world_cam_R @ v + world_cam_T``.
- ``scripts/estimate_humans.py``: per track (longest first) ``np.save(f"{hps_folder}/hps_track_{k}.npy",
  results)``, ``results`` from ``lib/models/hmr_vimo.py`` ``inference``: torch tensors ``pred_rotmat`` (N, 24, 3, 3)
  (SMPL, camera frame), ``pred_shape`` (N, 10), ``pred_trans`` (N, 1, 3) (SMPL ``transl``, camera frame, metric),
  ``pred_cam``, ``frame`` (N,) footage frame indices. ``np.save`` pickles the dict, tensors and all, so reading it
  needs torch (the tensors go through ``torch.load(weights_only=True)``; :mod:`.research_pickles`).
- TRAM's own visualisation averages ``pred_shape`` over the track; the reader keeps the per-frame betas and fusion
  takes one robust shape.

SMPL 24 joints map onto SMPL-X's 21 body joints (:mod:`.smpl24`). The image size is not saved: it is taken as twice
``img_center`` (TRAM's calibration puts the principal point at the image centre), and recorded so.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import numpy as np

from ...contracts.estimates import BodyEstimate
from ...rotations import matrix_to_axis_angle
from ..array_checks import as_float_array, check_rotation_matrices, key_list, per_frame, require, single
from ..assemble import pick_person
from ..frames import frames_from_key
from ..input_errors import EstimatorInputError
from .assemble import Y_UP, camera_fields, pinhole, world_body_from_rows
from .camera_trajectory import rigid
from .research_pickles import load_npy_with_tensors
from .smpl24 import MAPPING_NOTE

__all__ = ["read_tram", "read_tram_people", "read_tram_camera", "is_tram_folder", "TRAM_CAMERA", "TRAM_HPS_DIR"]

TRAM_CAMERA = "camera.npy"
TRAM_HPS_DIR = "hps"
_TRACK_NAME = re.compile(r"^hps_track_(\d{1,9})\.npy$")


def is_tram_folder(path: Path) -> bool:
    """A TRAM result folder: ``camera.npy`` and ``hps/hps_track_*.npy``."""
    return path.is_dir() and (path / TRAM_CAMERA).is_file() and (path / TRAM_HPS_DIR).is_dir()


def read_tram_camera(path: Union[str, Path]) -> dict[str, np.ndarray]:
    """``camera.npy`` -> ``world_from_camera`` (L, 4, 4), ``focal`` (), ``center`` (2,)."""
    path = Path(path)
    data = load_npy_with_tensors(path)
    if not isinstance(data, Mapping):
        raise EstimatorInputError(f"expected a dict saved with np.save, found {type(data).__name__}", path=path)
    rk, rot = require(data, ("world_cam_R",), path)
    rot = as_float_array(rot, path, rk)
    if rot.ndim != 3 or rot.shape[1:] != (3, 3) or rot.shape[0] < 1:
        raise EstimatorInputError(f"expected shape (L, 3, 3), found {tuple(rot.shape)}", path=path, field=rk)
    n = rot.shape[0]
    trans = per_frame(require(data, ("world_cam_T",), path)[1], n, (3,), path, "world_cam_T")
    check_rotation_matrices(rot, path, rk, np.arange(n))
    focal = single(require(data, ("img_focal",), path)[1], (), path, "img_focal")
    center = single(require(data, ("img_center",), path)[1], (2,), path, "img_center")
    if not np.isfinite(focal) or focal <= 0 or not np.isfinite(center).all() or (center <= 0).any():
        raise EstimatorInputError("expected a positive focal and principal point", path=path, field="img_focal")
    if not np.isfinite(trans).all():
        raise EstimatorInputError("contains NaN or Inf", path=path, field="world_cam_T",
                                  frame=int(np.flatnonzero(~np.isfinite(trans).all(1))[0]))
    return {"world_from_camera": rigid(rot, trans), "focal": focal, "center": center}


def _track(path: Path, track: int, camera: dict[str, np.ndarray], camera_path: Path, nonfinite: str) -> BodyEstimate:
    data = load_npy_with_tensors(path)
    if not isinstance(data, Mapping):
        raise EstimatorInputError(f"expected a dict saved with np.save, found {type(data).__name__}", path=path)
    rk, rotmat = require(data, ("pred_rotmat",), path)
    rotmat = as_float_array(rotmat, path, rk)
    if rotmat.ndim != 4 or rotmat.shape[1:] != (24, 3, 3) or rotmat.shape[0] < 1:
        raise EstimatorInputError(f"expected SMPL rotations of shape (N, 24, 3, 3), found {tuple(rotmat.shape)}",
                                  path=path, field=rk)
    n = rotmat.shape[0]
    transl = per_frame(require(data, ("pred_trans",), path)[1], n, (3,), path, "pred_trans")
    betas = per_frame(require(data, ("pred_shape",), path)[1], n, (10,), path, "pred_shape", broadcast=True)
    key, frames = frames_from_key(data, n, path)
    if frames is None:
        raise EstimatorInputError(f"required key 'frame' is missing (the file holds: {key_list(data)})", path=path,
                                  field="frame")
    world = camera["world_from_camera"]
    outside = (frames < 0) | (frames >= world.shape[0])
    if outside.any():
        raise EstimatorInputError(f"frame {int(frames[outside][0])} has no camera pose in {camera_path.name} "
                                  f"({world.shape[0]} frames)", path=path, field=key, frame=int(frames[outside][0]))
    finite = np.isfinite(rotmat.reshape(n, -1)).all(axis=1)
    if nonfinite == "raise" and not finite.all():
        raise EstimatorInputError("contains NaN or Inf", path=path, field=rk,
                                  frame=int(frames[np.flatnonzero(~finite)[0]]))
    check_rotation_matrices(np.where(finite[:, None, None, None], rotmat, np.eye(3)), path, rk, frames)
    pose_aa = matrix_to_axis_angle(np.where(finite[:, None, None, None], rotmat, np.eye(3))).reshape(n, 24, 3)
    pose_aa[~finite] = np.nan
    k = pinhole(camera["focal"], camera["center"], n)
    image_size = 2.0 * camera["center"]
    source = {
        "format": "tram", "path": str(path), "camera": str(camera_path), "track": int(track), "frames_key": key,
        "conventions": {
            "body": "pred_rotmat joint 0 / pred_trans: SMPL root and transl, camera frame (OpenCV); " + MAPPING_NOTE,
            "camera": "world_cam_R / world_cam_T: camera-to-world, gravity aligned (y up), metric",
            "intrinsics": f"img_focal {float(camera['focal']):g} px, img_center {camera['center'].tolist()}; image "
                          f"size taken as 2 x img_center (not saved)",
        },
        "warnings": [],
    }
    fields = camera_fields(pose_aa[:, 0], pose_aa[:, 1:22], transl, betas, k)
    names = {"global_orient": rk, "body_pose": rk, "transl": "pred_trans", "betas": "pred_shape", "camera_K": rk}
    return world_body_from_rows(fields, frames, world[np.clip(frames, 0, world.shape[0] - 1)], where=path,
                                world_field="world_cam_R / world_cam_T", hand_pose_relative_to="flat",
                                hands_predicted=False, model_variant="smpl", source=source, world_up=Y_UP,
                                person_id=int(track), image_size=image_size, nonfinite=nonfinite, names=names)


def read_tram_people(path: Union[str, Path], *, nonfinite: str = "raise") -> list[BodyEstimate]:
    """Every ``hps/hps_track_{k}.npy`` of a TRAM result folder, with ``camera.npy``'s trajectory (track = k)."""
    path = Path(path)
    if path.is_file():
        path = path.parent.parent if path.parent.name == TRAM_HPS_DIR else path.parent
    camera_path = path / TRAM_CAMERA
    if not camera_path.is_file():
        raise EstimatorInputError(f"no {TRAM_CAMERA} here (TRAM's scripts/estimate_camera.py writes it)", path=path)
    camera = read_tram_camera(camera_path)
    tracks = []
    hps = path / TRAM_HPS_DIR
    for f in sorted(hps.iterdir()) if hps.is_dir() else []:
        match = _TRACK_NAME.match(f.name)
        if match and f.is_file():
            tracks.append((int(match.group(1)), f))
    if not tracks:
        raise EstimatorInputError(f"no {TRAM_HPS_DIR}/hps_track_<k>.npy files (TRAM's scripts/estimate_humans.py "
                                  f"writes them)", path=path)
    return [_track(f, k, camera, camera_path, nonfinite) for k, f in sorted(tracks)]


def read_tram(path: Union[str, Path], *, person_id: Optional[int] = None, **options: Any) -> BodyEstimate:
    """One TRAM track (``person_id`` = k of ``hps_track_{k}``; None where there is one)."""
    return pick_person(read_tram_people(path, **options), person_id, Path(path), label="person_id")
