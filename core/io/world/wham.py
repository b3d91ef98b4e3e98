"""WHAM ``wham_output.pkl`` (+ ``slam_results.pth``) -> one :class:`BodyEstimate` per track, camera frame, with the
camera's world pose per frame.

What WHAM writes (confirmed in yohanshin/WHAM):
- ``demo.py``: ``results = defaultdict(dict)``; per track id ``_id``: ``pose`` (N, 72) = camera-frame root and 23
  body joints, axis-angle; ``trans`` (N, 3) = ``trans_cam - network.output.offset``; ``pose_world`` (N, 72) = world
  root and the same body joints; ``trans_world`` (N, 3); ``betas`` (N, 10); ``verts`` (N, 6890, 3) =
  ``verts_cam + trans_cam``; ``frame_ids`` (N,). Written with ``joblib.dump(results, ".../wham_output.pkl")``.
- ``lib/models/smpl.py`` ``SMPL.get_output``: vertices are moved so that the midpoint of WHAM's regressed hips
  (``J_regressor_wham`` rows 11 and 12) sits at the ``transl`` argument. So ``trans`` is SMPL's own ``transl`` in
  the camera frame (the offset is the posed hip midpoint without translation), while ``trans_world`` is **the hip
  midpoint** in the world, not SMPL's ``transl`` (``lib/vis/run_vis.py`` passes it to ``get_output`` as such), and
  the camera-frame hip midpoint is ``trans_cam = hips(verts)``.
- The network is called with ``return_y_up=True`` (``demo.py``; ``lib/models/wham.py`` ``rollout`` turns the world
  by pi about x): the world is **y up**.
- SMPL with 24 joints (:mod:`.smpl24`: joints 22-23 dropped). No intrinsics are saved: without calibration WHAM uses
  the focal sqrt(W^2 + H^2) and the image centre (``lib/vis/run_vis.py``, ``lib/utils/imutils.py``
  ``compute_cam_intrinsics``), so the reader needs the image size (``image_size=(W, H)``) or the calibration.
- ``slam_results.pth`` is ``joblib.dump`` of DPVO's (L, 7) ``[tx ty tz qx qy qz qw]`` camera-to-world poses, up to
  scale (``lib/data/datasets/dataset_custom.py`` ``convert_dpvo_to_cam_angvel``); WHAM itself only takes its
  rotation rates, so it is read by :func:`read_wham_slam` and not used for the world.

The camera: R = R_world R_cam^T from the two roots, and p = trans_world - R trans_cam (the hip midpoint seen in
both). ``trans_cam`` is exact from ``verts`` with WHAM's hip rows (``hip_regressor=`` (6890,) weights, e.g. the mean
of rows 11 and 12 of WHAM's ``J_regressor_wham.npy``, which its data download holds); without them the reader
takes ``trans + J0 + R_cam (hips - J0)`` with the SMPL-X model's rest hips (a documented approximation of a few
centimetres, recorded in ``source``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from ...body.model import BodyModel
from ...contracts.estimates import BodyEstimate
from ...rotations import axis_angle_to_matrix
from ..array_checks import as_float_array, as_int_list, key_list, per_frame, require
from ..assemble import pick_person
from ..frames import frames_from_key
from ..input_errors import EstimatorInputError
from .assemble import Y_UP, camera_fields, pinhole, world_body_from_rows
from .camera_trajectory import dpvo_to_world_from_camera, rigid
from .pelvis import hip_midpoint_rest, model_or_builtin, pelvis_rest
from .research_pickles import load_joblib
from .smpl24 import MAPPING_NOTE, smpl_pose_to_smplx

__all__ = ["read_wham", "read_wham_people", "read_wham_slam", "is_wham_mapping", "WHAM_FILE", "WHAM_SLAM_FILE"]

WHAM_FILE = "wham_output.pkl"
WHAM_SLAM_FILE = "slam_results.pth"
_KEYS = ("pose", "trans", "pose_world", "trans_world", "betas")


def is_wham_mapping(data: Any) -> bool:
    """Whether a loaded object looks like WHAM's results: a dict of tracks, each with ``pose_world``."""
    return isinstance(data, Mapping) and bool(data) and all(
        isinstance(v, Mapping) and "pose_world" in v and "trans_world" in v for v in data.values())


def _track(data: Mapping[str, Any], track_id: int, path: Path, model: BodyModel, pelvis_note: str,
           image_size: Optional[Sequence[float]], focal: Optional[float], hip_regressor: Optional[np.ndarray],
           nonfinite: str) -> BodyEstimate:
    where = f"track {track_id}"
    _, pose = require(data, ("pose",), path)
    pose = as_float_array(pose, path, "pose")
    if pose.ndim != 2 or pose.shape[1] != 72 or pose.shape[0] < 1:
        raise EstimatorInputError(f"expected shape (N, 72) ({where}), found {tuple(pose.shape)}", path=path,
                                  field="pose")
    n = pose.shape[0]
    pose_world = per_frame(require(data, ("pose_world",), path)[1], n, (72,), path, "pose_world")
    trans = per_frame(require(data, ("trans",), path)[1], n, (3,), path, "trans")
    trans_world = per_frame(require(data, ("trans_world",), path)[1], n, (3,), path, "trans_world")
    betas = per_frame(require(data, ("betas",), path)[1], n, (10,), path, "betas", broadcast=True)
    key, frames = frames_from_key(data, n, path)
    if frames is None:
        raise EstimatorInputError(f"required key 'frame_ids' is missing ({where}; it holds: {key_list(data)})",
                                  path=path, field="frame_ids")
    warnings: list = []
    if image_size is None:
        raise EstimatorInputError("WHAM saves no intrinsics or image size; give the footage's size "
                                  "(image_size=(W, H), fuse --image-size W H)", path=path, field="image_size")
    w, h = (float(v) for v in image_size)
    f = float(focal) if focal else float(np.hypot(w, h))
    k = pinhole(f, (w / 2.0, h / 2.0), n)
    root_cam, body = smpl_pose_to_smplx(pose)
    root_world, _ = smpl_pose_to_smplx(pose_world)
    finite = np.isfinite(np.concatenate([pose, pose_world, trans, trans_world, betas], axis=1)).all(axis=1)
    safe = lambda a: np.where(finite.reshape((n,) + (1,) * (a.ndim - 1)), a, 0.0)  # noqa: E731
    r_cam = axis_angle_to_matrix(safe(root_cam))
    r_world = axis_angle_to_matrix(safe(root_world))
    hips_note: str
    verts = data.get("verts")
    if hip_regressor is not None and verts is not None:
        weights = as_float_array(hip_regressor, path, "hip_regressor").reshape(-1)
        verts_arr = per_frame(verts, n, (weights.shape[0], 3), path, "verts")
        trans_cam = np.einsum("v,nvc->nc", weights / weights.sum(), np.nan_to_num(verts_arr))
        hips_note = "trans_cam = hip regressor x verts (exact, WHAM's J_regressor_wham hips)"
    else:
        j0 = pelvis_rest(model, safe(betas))
        hips = hip_midpoint_rest(model, safe(betas))
        trans_cam = safe(trans) + j0 + np.einsum("nij,nj->ni", r_cam, hips - j0)
        hips_note = (f"trans_cam = trans + J0 + R_cam (hips - J0) with the SMPL-X rest hips ({pelvis_note}); "
                     f"no hip_regressor given: WHAM's COCO hips differ by centimetres")
        warnings.append(f"{path}: {where}: camera position from the model's rest hips (pass hip_regressor= for "
                        f"WHAM's exact hip midpoint)")
    rot = r_world @ np.swapaxes(r_cam, -1, -2)
    pos = safe(trans_world) - np.einsum("nij,nj->ni", rot, trans_cam)
    world_from_camera = rigid(rot, pos)
    world_from_camera[~finite] = np.nan
    source = {
        "format": "wham", "path": str(path), "track_id": int(track_id), "frames_key": key,
        "conventions": {
            "body": "pose[:, :3] root and trans = SMPL transl, camera frame (OpenCV); " + MAPPING_NOTE,
            "world": "pose_world / trans_world, y up (return_y_up=True); trans_world = hip midpoint, not transl",
            "camera": "R = R_world R_cam^T; p = trans_world - R trans_cam; " + hips_note,
            "intrinsics": f"focal {f:g} px ({'given' if focal else 'sqrt(W^2 + H^2), WHAM without calibration'}), "
                          f"principal point at the image centre of {w:g} x {h:g}",
        },
        "warnings": warnings,
    }
    fields = camera_fields(root_cam, body, trans, betas, k)
    names = {"global_orient": "pose", "body_pose": "pose", "transl": "trans", "betas": "betas", "camera_K": "pose"}
    return world_body_from_rows(fields, frames, world_from_camera, where=path, world_field="pose_world / trans_world",
                                hand_pose_relative_to="flat", hands_predicted=False, model_variant="smpl",
                                source=source, world_up=Y_UP, person_id=int(track_id), image_size=(w, h),
                                nonfinite=nonfinite, names=names)


def _resolve(path: Union[str, Path]) -> Path:
    path = Path(path)
    return path / WHAM_FILE if path.is_dir() else path


def read_wham_people(path: Union[str, Path], *, image_size: Optional[Sequence[float]] = None,
                     focal: Optional[float] = None, model: Optional[BodyModel] = None,
                     hip_regressor: Optional[np.ndarray] = None, nonfinite: str = "raise") -> list[BodyEstimate]:
    """Every track in ``wham_output.pkl`` (or its folder), sorted by track id.

    Args:
        image_size: the footage's (W, H) (WHAM saves none); ``focal`` overrides WHAM's sqrt(W^2 + H^2).
        model: SMPL-X model for the rest pelvis / hips (default the built-in one).
        hip_regressor: (6890,) vertex weights of WHAM's hip midpoint, for the exact camera position.
    """
    path = _resolve(path)
    data = load_joblib(path)
    if not isinstance(data, Mapping) or not data:
        raise EstimatorInputError("expected a dict of tracks (track id -> results) at the top level", path=path)
    body_model, note = model_or_builtin(model)
    out = []
    for tid in sorted(data, key=lambda t: (not isinstance(t, (int, np.integer)), str(t))):
        ids = as_int_list(tid, path, "track id") if not isinstance(tid, str) or tid.lstrip("-").isdigit() else None
        if ids is None or len(ids) != 1:
            raise EstimatorInputError(f"track ids must be integers, found {str(tid)[:20]!r}", path=path,
                                      field="track id")
        track = data[tid]
        if not isinstance(track, Mapping):
            raise EstimatorInputError(f"track {ids[0]}: expected a dict of arrays, found {type(track).__name__}",
                                      path=path, field="track id")
        missing = [k for k in _KEYS if k not in track]
        if missing:
            raise EstimatorInputError(f"track {ids[0]}: required key '{missing[0]}' is missing (it holds: "
                                      f"{key_list(track)})", path=path, field=missing[0])
        out.append(_track(track, ids[0], path, body_model, note, image_size, focal, hip_regressor, nonfinite))
    return out


def read_wham(path: Union[str, Path], *, person_id: Optional[int] = None, **options: Any) -> BodyEstimate:
    """One WHAM track (``person_id`` = its track id; None where the file holds one)."""
    return pick_person(read_wham_people(path, **options), person_id, _resolve(path), label="person_id")


def read_wham_slam(path: Union[str, Path]) -> np.ndarray:
    """``slam_results.pth`` (joblib, DPVO (L, 7) ``[tx ty tz qx qy qz qw]`` camera-to-world, up to scale) ->
    (L, 4, 4) ``world_from_camera`` in DPVO's own frame (not gravity-aligned, not metric)."""
    path = Path(path)
    if path.is_dir():
        path = path / WHAM_SLAM_FILE
    traj = as_float_array(load_joblib(path), path, "slam_results")
    if traj.ndim != 2 or traj.shape[1] != 7 or traj.shape[0] < 1:
        raise EstimatorInputError(f"expected DPVO poses of shape (L, 7), found {tuple(traj.shape)}", path=path,
                                  field="slam_results")
    bad = ~np.isfinite(traj).all(axis=1) | (np.linalg.norm(np.nan_to_num(traj[:, 3:]), axis=1) < 1e-8)
    if bad.any():
        raise EstimatorInputError("a pose is not finite or its quaternion is zero", path=path, field="slam_results",
                                  frame=int(np.flatnonzero(bad)[0]))
    return dpvo_to_world_from_camera(traj)
