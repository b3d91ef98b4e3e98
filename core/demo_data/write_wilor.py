"""Synthetic WiLoR hand detections, dumped per image the way a user dumps WiLoR's ``demo.py`` results.

WiLoR's demo saves no parameters; users dump, per image, the batch the model returned for that image's
detections (``out`` from ``wilor/models/wilor.py`` ``forward_step`` plus the batch's box fields from
``wilor/datasets/vitdet_dataset.py``). One file per image with at least one detection, named by the image stem
(``000001.npz``); images without detections get no file (the demo ``continue``s). Two styles occur and both
are written here:
- ``.pkl`` (plain ``pickle.dump`` of a dict of numpy arrays): ``pred_mano_params`` is a nested dict with
  ``global_orient``, ``hand_pose``, ``betas``;
- ``.npz`` (``np.savez``, which cannot nest dicts): the ``pred_mano_params`` entries are merged into the top
  level as ``global_orient``, ``hand_pose``, ``betas``.
Image numbers divisible by 5 are pickles, the rest npz.

Keys, B detections (float32 unless noted):
- ``global_orient`` (B, 1, 3, 3), ``hand_pose`` (B, 15, 3, 3): rotation matrices relative to the **flat** hand
  (MANO without ``pose_mean``), in the crop camera, whose axes are the full camera's (OpenCV).
- ``betas`` (B, 10): MANO shape (a fixed seeded hand plus noise; it does not transfer to SMPL-X betas).
- ``pred_cam`` (B, 3) ``[s, tx, ty]`` weak perspective in the 256 px crop, with ``tx`` already un-mirrored for
  left hands: the demo does ``pred_cam[:, 1] = multiplier * pred_cam[:, 1]`` in place before anything is dumped.
- ``pred_cam_t_full`` (B, 3): the demo's ``cam_crop_to_full(pred_cam, box_center, box_size, img_size,
  scaled_focal_length)``; ``scaled_focal_length`` (scalar) = 5000 / 256 * max(W, H).
- ``pred_keypoints_3d`` (B, 21, 3): OpenPose order (wrist, thumb 1-3 + tip, index, middle, ring, pinky), metres,
  x already un-mirrored for left hands as the demo does (``joints[:, 0] = (2 * is_right - 1) * joints[:, 0]``).
  Our synthetic hand model's origin is its wrist, so ``pred_keypoints_3d + pred_cam_t_full`` places the hand in
  WiLoR's full-image camera. ``pred_vertices`` is not written (no MANO mesh here).
- ``is_right`` (B,) float32 0 / 1 (``batch['right']``), ``box_center`` (B, 2), ``box_size`` (B,) (the demo's
  ``rescale_factor`` 2.0 times the detector box's longer side), ``img_size`` (B, 2) W, H.

Left hands: WiLoR runs the right-hand model on a horizontally flipped crop and the demo un-mirrors vertices,
keypoints and ``pred_cam`` x but **not** the rotations, so left rows hold ``M R M`` (M = diag(-1, 1, 1)) of the
true left-hand rotations: the wrist's global rotation in the camera frame and the flat-relative finger rotations.
Detections appear in a seeded random order within each image, as a detector's would.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix
from .camera import WILOR_RESCALE, cam_crop_to_full, cam_full_to_crop, project_K, wilor_full_focal
from .faults import FaultPlan
from .ground_truth import GroundTruthGeometry
from .noise import NoiseLevels, gaussian, perturb_matrix

MIRROR = np.diag([-1.0, 1.0, 1.0])
PICKLE_EVERY = 5


@dataclass
class WilorDetections:
    """N detections over the whole take, sorted by row and then by their order in the row's batch.

    Attributes:
        rows: (N,) int64 ground-truth rows; true_side: (N,) int64 0 left / 1 right; is_right: (N,) float32 as
        written (wrong for a mislabeled detection); global_orient: (N, 1, 3, 3); hand_pose: (N, 15, 3, 3);
        betas: (N, 10); pred_cam: (N, 3); pred_cam_t_full: (N, 3); keypoints_3d: (N, 21, 3);
        box_center: (N, 2); box_size: (N,); image_size: (W, H); focal: the full-image focal.
    """

    rows: np.ndarray
    true_side: np.ndarray
    is_right: np.ndarray
    global_orient: np.ndarray
    hand_pose: np.ndarray
    betas: np.ndarray
    pred_cam: np.ndarray
    pred_cam_t_full: np.ndarray
    keypoints_3d: np.ndarray
    box_center: np.ndarray
    box_size: np.ndarray
    image_size: tuple[int, int]
    focal: float


def make_wilor_detections(gt: FusedSequence, geom: GroundTruthGeometry, noise: NoiseLevels,
                          rng: np.random.Generator, plan: FaultPlan,
                          image_size: tuple[int, int]) -> tuple[WilorDetections, dict]:
    """Every hand the synthetic expert reports, with the plan's drops and mislabel applied.

    Returns:
        The detections and the mislabeled detection's record (``detection_index``, ``written_is_right``), or {}.
    """
    t = gt.num_frames
    # (T, 2, ...) for left, right; all noise is drawn for every hand so the streams do not depend on the plan
    wrist = perturb_matrix(rng, geom.wrist_rotations(), noise.hand_global)
    fingers = perturb_matrix(rng, axis_angle_to_matrix(np.stack([gt.left_hand_pose, gt.right_hand_pose], 1)),
                             noise.hand_pose)
    wrist[:, 0] = MIRROR @ wrist[:, 0] @ MIRROR
    fingers[:, 0] = MIRROR @ fingers[:, 0] @ MIRROR
    hand_shape = rng.normal(0.0, 0.5, 10)
    betas = hand_shape + gaussian(rng, (t, 2, 10), noise.hand_betas)

    box = geom.hand_boxes  # (T, 2, 4)
    side_len = box[..., 2:] - box[..., :2]
    box = box + gaussian(rng, (t, 2, 4), noise.hand_box_rel) * np.concatenate([side_len, side_len], axis=-1)
    center = (box[..., :2] + box[..., 2:]) / 2.0
    size = WILOR_RESCALE * np.max(box[..., 2:] - box[..., :2], axis=-1)

    # WiLoR's full-image camera: focal F_w, principal point at the image centre. Keep each wrist's pixel and
    # apparent size: depth scales by F_w / f, the lateral offset follows from the pixel.
    kp = geom.hand_keypoints  # (T, 2, 21, 3) camera frame
    wrist_pos = kp[:, :, 0]
    f_true = float(np.asarray(gt.camera_K).reshape(-1, 3, 3)[0, 0, 0])
    focal = wilor_full_focal(image_size)
    uv = project_K(wrist_pos, gt.camera_K_per_frame())  # (T, 2, 2)
    tz = wrist_pos[..., 2] * focal / f_true
    cam_t = np.concatenate([(uv - np.array(image_size) / 2.0) * tz[..., None] / focal, tz[..., None]], axis=-1)
    pred_cam = cam_full_to_crop(cam_t.reshape(-1, 3), center.reshape(-1, 2), size.reshape(-1), image_size, focal)
    pred_cam[:, 0] *= 1.0 + gaussian(rng, (2 * t,), noise.hand_cam_scale_rel)
    pred_cam[:, 1:] += gaussian(rng, (2 * t, 2), noise.hand_cam_shift)
    keypoints = kp - wrist_pos[:, :, None, :] + gaussian(rng, (t, 2, 21, 3), noise.hand_keypoints)

    # flatten (row, side), order each row's batch at random, drop what the plan drops
    rows = np.repeat(np.arange(t), 2)
    sides = np.tile(np.array([0, 1]), t)
    order = np.lexsort((rng.random(2 * t), rows))
    keep = order[plan.hand_present.reshape(-1)[order]]
    is_right = sides[keep].astype(np.float32)
    mislabel: dict[str, Any] = {}
    if plan.mislabeled is not None:
        row, side = plan.mislabeled
        hit = np.flatnonzero((rows[keep] == row) & (sides[keep] == side))[0]
        is_right[hit] = 1.0 - is_right[hit]
        first = np.flatnonzero(rows[keep] == row)[0]
        mislabel = {"detection_index": int(hit - first), "written_is_right": float(is_right[hit])}

    flat_center = center.reshape(-1, 2)[keep]
    flat_size = size.reshape(-1)[keep]
    flat_cam = pred_cam[keep]
    dets = WilorDetections(
        rows=rows[keep], true_side=sides[keep], is_right=is_right,
        global_orient=wrist.reshape(-1, 1, 3, 3)[keep], hand_pose=fingers.reshape(-1, 15, 3, 3)[keep],
        betas=betas.reshape(-1, 10)[keep], pred_cam=flat_cam,
        pred_cam_t_full=cam_crop_to_full(flat_cam, flat_center, flat_size, image_size, focal),
        keypoints_3d=keypoints.reshape(-1, 21, 3)[keep], box_center=flat_center, box_size=flat_size,
        image_size=image_size, focal=focal)
    return dets, mislabel


def _batch(d: WilorDetections, sel: slice) -> dict[str, Any]:
    """The dict a user dumps for one image (nested ``pred_mano_params``), float32 arrays."""
    f32 = np.float32
    n = sel.stop - sel.start
    return {
        "pred_cam": d.pred_cam[sel].astype(f32),
        "pred_mano_params": {"global_orient": d.global_orient[sel].astype(f32),
                             "hand_pose": d.hand_pose[sel].astype(f32), "betas": d.betas[sel].astype(f32)},
        "pred_cam_t_full": d.pred_cam_t_full[sel].astype(f32),
        "scaled_focal_length": float(d.focal),
        "pred_keypoints_3d": d.keypoints_3d[sel].astype(f32),
        "is_right": d.is_right[sel].astype(f32),
        "box_center": d.box_center[sel].astype(f32),
        "box_size": d.box_size[sel].astype(f32),
        "img_size": np.tile(np.array(d.image_size, dtype=f32), (n, 1)),
    }


def write_wilor(folder: Path, dets: WilorDetections, frames: np.ndarray) -> tuple[Path, list[int]]:
    """One file per image with detections. Returns ``folder`` and the image numbers written as pickles."""
    folder.mkdir(parents=True, exist_ok=True)
    present = np.unique(dets.rows)
    starts = np.searchsorted(dets.rows, present, side="left")
    stops = np.searchsorted(dets.rows, present, side="right")
    pickled: list[int] = []
    for row, a, b in zip(present.tolist(), starts.tolist(), stops.tolist()):  # the loop only writes
        frame = int(frames[row])
        data = _batch(dets, slice(a, b))
        if frame % PICKLE_EVERY == 0:
            with open(folder / f"{frame:06d}.pkl", "wb") as fh:
                pickle.dump(data, fh)
            pickled.append(frame)
        else:
            mano = data.pop("pred_mano_params")
            data["scaled_focal_length"] = np.float32(data["scaled_focal_length"])
            np.savez(folder / f"{frame:06d}.npz", **data, **mano)
    return folder, pickled
