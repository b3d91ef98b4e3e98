"""PromptHMR ``results.pkl`` -> one :class:`BodyEstimate` per person, camera frame, with the camera's world pose.

What PromptHMR writes (confirmed in yufu-wang/PromptHMR):
- ``pipeline/pipeline.py``: ``joblib.dump(self.results, f"{seq_folder}/results.pkl")``; ``results["people"]`` is a
  dict by person id, each with ``track_id``, ``frames`` (footage frame indices) and ``smplx_world`` = ``pose``
  (N, 165) axis-angle (root 3, body 63, jaw 3, eyes 6, hands 90), ``shape`` (N, 10), ``trans`` (N, 3)
  (``pipeline/world.py`` ``world_hps_estimation``, after ``pipeline/postprocessing.py`` ``post_optimization``);
  ``results["camera_world"]`` = ``Rwc`` (L, 3, 3), ``Twc`` (L, 3) (camera-to-world: ``pipeline.py`` builds the
  camera as [Rwc | Twc]), ``Rcw``, ``Tcw``, ``img_focal``, ``img_center``.
- The world is y up with the floor at y = 0 (``world.py`` turns the world to the estimated floor and subtracts
  its height, ``offset``).
- The SMPL-X layer is ``SMPLX(..., use_pca=False, flat_hand_mean=True, num_betas=10)`` (``pipeline.py``): hands are
  **flat**-relative. The video head predicts no hands (its hand rotations are zero; PromptHMR #39: body-only
  output), so where the hand columns are all zero the hands are marked not predicted.
- PromptHMR moves a root pose between frames about the pelvis (``world.py`` ``transform_smpl_params``:
  R' = R R_root, t' = R (J0 + t) + t_off - J0), so the camera-frame body is ``smplx_world`` re-expressed with
  camera_from_world and J0(shape) from the model the reader is given
  (:func:`core.io.world.camera_trajectory.reframe_root`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

import numpy as np

from ...body.model import BodyModel
from ...contracts.estimates import BodyEstimate
from ...rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ..array_checks import as_float_array, as_int_list, check_rotation_matrices, key_list, per_frame, require, single
from ..assemble import pick_person
from ..input_errors import EstimatorInputError
from .assemble import Y_UP, camera_fields, pinhole, world_body_from_rows
from .camera_trajectory import invert_rigid, reframe_root, rigid
from .pelvis import model_or_builtin, pelvis_rest
from .research_pickles import load_joblib

__all__ = ["read_prompthmr", "read_prompthmr_people", "is_prompthmr_mapping", "PROMPTHMR_FILE"]

PROMPTHMR_FILE = "results.pkl"


def is_prompthmr_mapping(data: Any) -> bool:
    """Whether a loaded object has PromptHMR's ``people`` and ``camera_world``."""
    return isinstance(data, Mapping) and isinstance(data.get("people"), Mapping) and \
        isinstance(data.get("camera_world"), Mapping)


def _camera(cam: Mapping[str, Any], path: Path) -> dict[str, np.ndarray]:
    rot = as_float_array(require(cam, ("Rwc",), path)[1], path, "camera_world.Rwc")
    if rot.ndim != 3 or rot.shape[1:] != (3, 3) or rot.shape[0] < 1:
        raise EstimatorInputError(f"expected shape (L, 3, 3), found {tuple(rot.shape)}", path=path,
                                  field="camera_world.Rwc")
    n = rot.shape[0]
    trans = per_frame(require(cam, ("Twc",), path)[1], n, (3,), path, "camera_world.Twc")
    check_rotation_matrices(rot, path, "camera_world.Rwc", np.arange(n))
    if not np.isfinite(trans).all():
        raise EstimatorInputError("contains NaN or Inf", path=path, field="camera_world.Twc",
                                  frame=int(np.flatnonzero(~np.isfinite(trans).all(1))[0]))
    focal = single(require(cam, ("img_focal",), path)[1], (), path, "camera_world.img_focal")
    center = single(require(cam, ("img_center",), path)[1], (2,), path, "camera_world.img_center")
    if not np.isfinite(focal) or focal <= 0 or not np.isfinite(center).all() or (center <= 0).any():
        raise EstimatorInputError("expected a positive focal and principal point", path=path,
                                  field="camera_world.img_focal")
    return {"world_from_camera": rigid(rot, trans), "focal": focal, "center": center}


def _person(pid: int, person: Mapping[str, Any], camera: dict[str, np.ndarray], path: Path, model: BodyModel,
            pelvis_note: str, nonfinite: str) -> BodyEstimate:
    smplx_world = person.get("smplx_world")
    if not isinstance(smplx_world, Mapping):
        raise EstimatorInputError(f"person {pid}: required dict 'smplx_world' is missing (it holds: "
                                  f"{key_list(person)})", path=path, field="smplx_world")
    pose = as_float_array(require(smplx_world, ("pose",), path)[1], path, "smplx_world.pose")
    if pose.ndim != 2 or pose.shape[1] != 165 or pose.shape[0] < 1:
        raise EstimatorInputError(f"person {pid}: expected shape (N, 165), found {tuple(pose.shape)}", path=path,
                                  field="smplx_world.pose")
    n = pose.shape[0]
    trans = per_frame(require(smplx_world, ("trans",), path)[1], n, (3,), path, "smplx_world.trans")
    shape = as_float_array(require(smplx_world, ("shape",), path)[1], path, "smplx_world.shape")
    if shape.ndim == 1:
        shape = np.broadcast_to(shape, (n, shape.shape[0])).copy()
    if shape.ndim != 2 or shape.shape[0] != n or shape.shape[1] < 1:
        raise EstimatorInputError(f"person {pid}: expected shape ({n}, B), found {tuple(shape.shape)}", path=path,
                                  field="smplx_world.shape")
    frames = np.asarray(as_int_list(require(person, ("frames",), path)[1], path, "frames"), dtype=np.int64)
    if frames.shape != (n,):
        raise EstimatorInputError(f"person {pid}: expected {n} frame numbers, found {frames.shape[0]}", path=path,
                                  field="frames")
    world = camera["world_from_camera"]
    outside = (frames < 0) | (frames >= world.shape[0])
    if outside.any():
        raise EstimatorInputError(f"person {pid}: frame {int(frames[outside][0])} has no camera pose "
                                  f"({world.shape[0]} frames)", path=path, field="frames",
                                  frame=int(frames[outside][0]))
    wfc = world[frames]
    finite = np.isfinite(np.concatenate([pose, trans, shape], axis=1)).all(axis=1)
    safe = lambda a: np.where(finite.reshape((n,) + (1,) * (a.ndim - 1)), a, 0.0)  # noqa: E731
    j0 = pelvis_rest(model, safe(shape))
    root_cam, transl_cam = reframe_root(axis_angle_to_matrix(safe(pose[:, :3])), safe(trans), j0, invert_rigid(wfc))
    global_orient = matrix_to_axis_angle(root_cam)
    global_orient[~finite] = np.nan
    transl_cam[~finite] = np.nan
    hands = pose[:, 75:165].reshape(n, 30, 3)
    predicted = bool(np.any(np.nan_to_num(hands) != 0.0))
    fields = camera_fields(global_orient, pose[:, 3:66].reshape(n, 21, 3), transl_cam, shape,
                           pinhole(camera["focal"], camera["center"], n), hands[:, :15], hands[:, 15:])
    fields["jaw_pose"] = pose[:, 66:69]
    fields["leye_pose"], fields["reye_pose"] = pose[:, 69:72], pose[:, 72:75]
    source = {
        "format": "prompthmr", "path": str(path), "person": int(pid),
        "conventions": {
            "body": "smplx_world re-expressed in the camera frame (OpenCV): R_c = R_cw R_w, t_c = R_cw (J0 + t_w) "
                    "+ T_cw - J0 (PromptHMR's transform_smpl_params); " + pelvis_note,
            "hands": "flat-relative (flat_hand_mean=True)" + ("" if predicted else "; all zero: not predicted"),
            "camera": "camera_world Rwc / Twc: camera-to-world, y up, floor at y = 0",
            "intrinsics": f"img_focal {float(camera['focal']):g} px, img_center {camera['center'].tolist()}; image "
                          f"size taken as 2 x img_center (not saved)",
        },
        "warnings": [],
    }
    names = {"global_orient": "smplx_world.pose", "body_pose": "smplx_world.pose", "transl": "smplx_world.trans",
             "betas": "smplx_world.shape", "camera_K": "camera_world.img_focal"}
    return world_body_from_rows(fields, frames, wfc, where=path, world_field="camera_world.Rwc / Twc",
                                hand_pose_relative_to="flat", hands_predicted=predicted, model_variant="smplx-v1.1",
                                source=source, world_up=Y_UP, person_id=int(pid),
                                image_size=2.0 * camera["center"], nonfinite=nonfinite, names=names)


def read_prompthmr_people(path: Union[str, Path], *, model: Optional[BodyModel] = None,
                          nonfinite: str = "raise") -> list[BodyEstimate]:
    """Every person of PromptHMR's ``results.pkl`` (or its folder), by person id."""
    path = Path(path)
    if path.is_dir():
        path = path / PROMPTHMR_FILE
    data = load_joblib(path)
    if not is_prompthmr_mapping(data):
        found = key_list(data) if isinstance(data, Mapping) else type(data).__name__
        raise EstimatorInputError(f"expected PromptHMR's 'people' and 'camera_world' dicts (found: {found})",
                                  path=path, field="people")
    camera = _camera(data["camera_world"], path)
    body_model, note = model_or_builtin(model)
    out = []
    for pid in sorted(data["people"], key=str):
        ids = as_int_list(pid, path, "people") if not isinstance(pid, str) or pid.lstrip("-").isdigit() else None
        if ids is None or len(ids) != 1:
            raise EstimatorInputError(f"person ids must be integers, found {str(pid)[:20]!r}", path=path,
                                      field="people")
        person = data["people"][pid]
        if not isinstance(person, Mapping):
            raise EstimatorInputError(f"person {ids[0]}: expected a dict, found {type(person).__name__}", path=path,
                                      field="people")
        out.append(_person(ids[0], person, camera, path, body_model, note, nonfinite))
    if not out:
        raise EstimatorInputError("holds no people", path=path, field="people")
    return sorted(out, key=lambda e: e.person_id)


def read_prompthmr(path: Union[str, Path], *, person_id: Optional[int] = None, **options: Any) -> BodyEstimate:
    """One PromptHMR person (``person_id``; None where there is one)."""
    return pick_person(read_prompthmr_people(path, **options), person_id, Path(path), label="person_id")
