"""Camera-frame body rows plus their ``world_from_camera`` rows -> one :class:`BodyEstimate` on a frame timeline.

The camera-frame parameters go through :func:`core.io.assemble.body_from_rows` like every other reader's (frame
layout, finiteness, gaps); the world rows are checked to be rigid transforms (naming the file, field and frame),
then laid out on the same timeline, gaps taking the nearest frame's camera.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ...contracts.estimates import BodyEstimate
from ..assemble import body_from_rows
from ..frames import fill_nearest
from ..input_errors import EstimatorInputError
from .camera_trajectory import is_rigid

__all__ = ["world_body_from_rows", "camera_fields", "pinhole", "Y_UP"]

#: The up axis of GVHMR's, WHAM's, TRAM's and PromptHMR's worlds.
Y_UP = np.array([0.0, 1.0, 0.0])


def world_body_from_rows(fields: Mapping[str, np.ndarray], frames: np.ndarray, world_from_camera: np.ndarray, *,
                         where: Any, world_field: str, hand_pose_relative_to: str, hands_predicted: bool,
                         model_variant: str, source: dict, world_up: np.ndarray = Y_UP,
                         person_id: Optional[int] = None, image_size: Optional[Sequence[float]] = None,
                         nonfinite: str = "raise", names: Optional[Mapping[str, str]] = None) -> BodyEstimate:
    """Build the estimate (``fields`` as :func:`core.io.assemble.body_from_rows` wants them, N rows) with its
    (N, 4, 4) ``world_from_camera`` rows; ``world_field`` names the file's key(s) the camera came from."""
    frames = np.asarray(frames, dtype=np.int64)
    world_from_camera = np.asarray(world_from_camera, dtype=np.float64)
    rigid_ok = is_rigid(world_from_camera, tolerance=1e-3)
    if not rigid_ok.all():
        row = int(np.flatnonzero(~rigid_ok)[0])
        if nonfinite == "raise" or np.isfinite(world_from_camera[row]).all():
            raise EstimatorInputError("the camera pose is not a rigid transform (a rotation and a finite "
                                      "translation)", path=where, field=world_field, frame=int(frames[row]))
    checked = dict(fields)
    checked["world_from_camera"] = world_from_camera.reshape(len(frames), 16)
    est = body_from_rows({k: v for k, v in checked.items() if k != "world_from_camera"}, frames, where=where,
                         hand_pose_relative_to=hand_pose_relative_to, model_variant=model_variant, source=source,
                         person_id=person_id, image_size=image_size, nonfinite=nonfinite, names=names)
    valid = est.valid.copy()
    rows = np.searchsorted(frames_sorted := np.sort(frames), est.frame_ids)
    order = np.argsort(frames, kind="stable")
    rows = np.clip(rows, 0, len(frames) - 1)
    present = frames_sorted[rows] == est.frame_ids
    world = np.broadcast_to(np.eye(4), (len(est.frame_ids), 4, 4)).copy()
    world[present] = world_from_camera[order[rows[present]]]
    good = present & is_rigid(world, tolerance=1e-3)
    valid &= good
    world = fill_nearest(world, good) if good.any() else world
    world[~is_rigid(world, tolerance=1e-3)] = np.eye(4)
    return dataclasses.replace(est, valid=valid, world_from_camera=world,
                               world_up=np.asarray(world_up, dtype=np.float64), hands_predicted=hands_predicted)


def camera_fields(global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray, betas: np.ndarray,
                  camera_K: np.ndarray, left_hand_pose: Optional[np.ndarray] = None,
                  right_hand_pose: Optional[np.ndarray] = None) -> dict[str, np.ndarray]:
    """The BodyEstimate row arrays of a body-only estimator (N rows): root (N, 3), body (N, 21, 3), transl (N, 3),
    betas (N, B), K (N, 3, 3); hands (N, 15, 3) or zeros; jaw, eyes and a 10-wide expression zero."""
    n = global_orient.shape[0]
    zeros_hand = np.zeros((n, 15, 3))
    return {"global_orient": global_orient, "body_pose": body_pose, "transl": transl, "betas": betas,
            "camera_K": camera_K,
            "left_hand_pose": zeros_hand if left_hand_pose is None else left_hand_pose,
            "right_hand_pose": zeros_hand.copy() if right_hand_pose is None else right_hand_pose,
            "jaw_pose": np.zeros((n, 3)), "leye_pose": np.zeros((n, 3)), "reye_pose": np.zeros((n, 3)),
            "expression": np.zeros((n, 10))}


def pinhole(focal: np.ndarray, center: np.ndarray, n: int) -> np.ndarray:
    """(N, 3, 3) intrinsics from a focal (scalar or (N,)) and a principal point ((2,) or (N, 2))."""
    k = np.zeros((n, 3, 3))
    k[:, 0, 0] = k[:, 1, 1] = np.broadcast_to(np.asarray(focal, dtype=np.float64).reshape(-1), (n,))
    c = np.broadcast_to(np.asarray(center, dtype=np.float64).reshape(-1, 2), (n, 2))
    k[:, 0, 2], k[:, 1, 2] = c[:, 0], c[:, 1]
    k[:, 2, 2] = 1.0
    return k
