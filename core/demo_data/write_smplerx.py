"""Synthetic SMPLer-X output, written exactly as SMPLer-X's ``main/inference.py`` writes it.

Layout (``--output_folder`` = ``folder``), one person per frame (``bbox_id`` 0), ``frame`` = the image number
(``{frame:06d}.jpg`` in the input folder):
- ``smplx/{frame:05}_{bbox_id}.npz``: ``global_orient`` (1, 3), ``body_pose`` (21, 3), ``left_hand_pose`` and
  ``right_hand_pose`` (15, 3) **relative to the mean hand** (smplx ``flat_hand_mean=False``: the layer adds
  ``hands_mean``), ``jaw_pose`` (1, 3), ``leye_pose``/``reye_pose`` (1, 3) zeros (float64, ``np.zeros``),
  ``betas`` (1, 10), ``expression`` (1, 10), ``transl`` (1, 3) = ``cam_trans``; float32 otherwise.
- ``meta/{frame:05}_{bbox_id}.json``: ``focal`` [fx, fy], ``princpt`` [cx, cy], ``bbox`` (processed x, y, w, h),
  ``bbox_mmdet`` (detector x, y, w, h), ``bbox_id``, ``img_path``.

The camera: SMPLer-X's mesh is ``smplx(...).vertices + transl`` (no ``transl`` passed to the layer, which is
the same thing), seen through the per-frame virtual camera in ``meta`` (focal 5000 / 192 * w and 5000 / 256 * h,
principal point (96, 128) scaled plus the box offset), not through the real camera. The written ``transl`` is
therefore the one that reprojects the ground-truth joints best through that virtual camera (a least-squares
fit, what a regressor trained on a 2D loss converges to), then jittered.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .camera import fit_translation, smplerx_process_bbox, smplerx_virtual_camera, xyxy_to_xywh
from .ground_truth import GroundTruthGeometry
from .noise import NoiseLevels, gaussian, perturb_axis_angle

#: The outlier frame: the body turned this far about the camera's vertical, limbs off, depth scaled.
OUTLIER_TURN_RAD = 2.4
OUTLIER_POSE_SIGMA = 0.5
OUTLIER_DEPTH_SCALE = 1.35


@dataclass
class SmplerxOutput:
    """What the synthetic SMPLer-X writes, as (T, ...) arrays (T = ground-truth rows).

    Attributes:
        global_orient: (T, 3); body_pose: (T, 21, 3); left_hand_pose, right_hand_pose: (T, 15, 3) mean-relative;
        jaw_pose: (T, 3); betas: (T, 10); expression: (T, 10); transl: (T, 3) for the virtual camera;
        focal, princpt: (T, 2) the virtual camera; bbox: (T, 4) float32 processed box x, y, w, h;
        bbox_mmdet: (T, 4) detector box x, y, w, h.
    """

    global_orient: np.ndarray
    body_pose: np.ndarray
    left_hand_pose: np.ndarray
    right_hand_pose: np.ndarray
    jaw_pose: np.ndarray
    betas: np.ndarray
    expression: np.ndarray
    transl: np.ndarray
    focal: np.ndarray
    princpt: np.ndarray
    bbox: np.ndarray
    bbox_mmdet: np.ndarray


def make_smplerx_output(gt: FusedSequence, geom: GroundTruthGeometry, hands_mean: np.ndarray,
                        noise: NoiseLevels, rng: np.random.Generator, image_size: tuple[int, int],
                        outlier_row: Optional[int] = None) -> tuple[SmplerxOutput, dict]:
    """The synthetic regressor's output for every row.

    Args:
        gt: ground truth (hands flat-relative, camera frame).
        geom: its forward pass.
        hands_mean: (2, 15, 3) the model's left / right ``hands_mean`` (axis-angle).
        noise: error levels; rng: this estimator's stream.
        image_size: (W, H).
        outlier_row: the row made grossly wrong, or None.
    Returns:
        The output and a JSON-able description of the outlier (empty when there is none).
    """
    t = gt.num_frames
    size = geom.body_box[:, 2:] - geom.body_box[:, :2]
    box = geom.body_box + gaussian(rng, (t, 4), noise.body_box_rel) * np.concatenate([size, size], axis=1)
    bbox_mmdet = xyxy_to_xywh(box)
    bbox = smplerx_process_bbox(bbox_mmdet, image_size)
    focal, princpt = smplerx_virtual_camera(bbox)

    global_orient = perturb_axis_angle(rng, gt.global_orient, noise.body_global_orient)
    body_pose = perturb_axis_angle(rng, gt.body_pose, noise.body_pose)
    left = perturb_axis_angle(rng, gt.left_hand_pose, noise.body_hand_pose) - hands_mean[0]
    right = perturb_axis_angle(rng, gt.right_hand_pose, noise.body_hand_pose) - hands_mean[1]
    jaw = perturb_axis_angle(rng, gt.jaw_pose, noise.body_jaw)
    expression = gt.expression[:, :10] + gaussian(rng, (t, 10), noise.body_expression)
    betas = gt.betas[None, :10] + gaussian(rng, (t, 10), noise.body_betas)

    transl = fit_translation(geom.rel_joints, geom.joints_2d, focal, princpt)
    transl[:, :2] += gaussian(rng, (t, 2), noise.body_root_px) * transl[:, 2:3] / focal
    transl[:, 2] *= 1.0 + gaussian(rng, (t,), noise.body_depth_rel)

    detail: dict = {}
    if outlier_row is not None:
        r = outlier_row
        turn = axis_angle_to_matrix(np.array([0.0, OUTLIER_TURN_RAD, 0.0]))
        global_orient[r] = matrix_to_axis_angle(turn @ axis_angle_to_matrix(global_orient[r]))
        body_pose[r] = perturb_axis_angle(rng, body_pose[r], OUTLIER_POSE_SIGMA)
        transl[r, 2] *= OUTLIER_DEPTH_SCALE
        detail = {"turn_about_camera_y_rad": OUTLIER_TURN_RAD, "body_pose_sigma_rad": OUTLIER_POSE_SIGMA,
                  "depth_scale": OUTLIER_DEPTH_SCALE}
    out = SmplerxOutput(global_orient=global_orient, body_pose=body_pose, left_hand_pose=left,
                        right_hand_pose=right, jaw_pose=jaw, betas=betas, expression=expression, transl=transl,
                        focal=focal, princpt=princpt, bbox=bbox, bbox_mmdet=bbox_mmdet)
    return out, detail


def write_smplerx(folder: Path, out: SmplerxOutput, frames: np.ndarray, image_folder: str = "images") -> Path:
    """Write ``smplx/`` and ``meta/`` under ``folder``; ``frames`` (T,) are the image numbers. Returns ``folder``."""
    smplx_dir = folder / "smplx"
    meta_dir = folder / "meta"
    smplx_dir.mkdir(parents=True, exist_ok=True)
    meta_dir.mkdir(parents=True, exist_ok=True)
    f32 = np.float32
    bbox_id = 0
    for i, frame in enumerate(frames.tolist()):  # one file pair per frame: the loop only writes
        stem = f"{frame:05}_{bbox_id}"
        np.savez(smplx_dir / f"{stem}.npz",
                 global_orient=out.global_orient[i].reshape(-1, 3).astype(f32),
                 body_pose=out.body_pose[i].reshape(-1, 3).astype(f32),
                 left_hand_pose=out.left_hand_pose[i].reshape(-1, 3).astype(f32),
                 right_hand_pose=out.right_hand_pose[i].reshape(-1, 3).astype(f32),
                 jaw_pose=out.jaw_pose[i].reshape(-1, 3).astype(f32),
                 leye_pose=np.zeros((1, 3)), reye_pose=np.zeros((1, 3)),
                 betas=out.betas[i].reshape(-1, 10).astype(f32),
                 expression=out.expression[i].reshape(-1, 10).astype(f32),
                 transl=out.transl[i].reshape(-1, 3).astype(f32))
        meta = {"focal": out.focal[i].tolist(), "princpt": out.princpt[i].tolist(), "bbox": out.bbox[i].tolist(),
                "bbox_mmdet": out.bbox_mmdet[i].tolist(), "bbox_id": bbox_id,
                "img_path": f"{image_folder}/{frame:06d}.jpg"}
        (meta_dir / f"{stem}.json").write_text(json.dumps(meta, indent=4))
    return folder
