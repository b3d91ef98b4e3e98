"""2D keypoints of a ground-truth take where real detectors put them, written in the detectors' own files.

Unlike smplx's joints, a 2D detector's keypoints follow its training annotations:

* **hips** (OpenPose RHip / LHip, COCO left_hip / right_hip): annotators mark the hip from the outside, on the side
  of the body at the top of the thigh. Here: 60 % of the way from SMPL-X's hip joint to the most lateral vertex of
  the hip region (vertices skinned mostly to the pelvis or that hip) within 3 cm of the joint's rest height, both
  posed by the model's own skinning (about 5 cm lateral of the joint on the built-in models);
* **neck** (OpenPose's Neck): the mid-point of the shoulders (how COCO-trained OpenPose models define it, and how
  rtmlib's ``convert_coco_to_openpose`` adds it); **MidHip**: the mid-point of the hips;
* **nose, eyes, ears, toes, heels, fingertips**: smplx's vertex keypoints (``smplx/vertex_ids.py``), posed by the
  skinning with pose correctives (not the camera fit's rigid approximation);
* **face**: smplx's 51 landmarks when the model file holds them (the contour and OpenPose's pupils are left
  undetected), body and hand joints at SMPL-X's joints.

Each keypoint is projected through the take's true camera; Gaussian pixel noise and missed detections are added
by the caller's random generator. Writers put the result in OpenPose's per-frame JSON, MMPose's inferencer JSON
and rtmlib's npz, so the readers under test see the files as those tools write them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from ..body.model import BodyModel
from ..body.posing import pose_skeleton, skin_vertices, smplx_output_points
from ..body.skeleton import JOINT_INDEX
from ..camera.conversions import project
from ..contracts.fused_file import FusedSequence
from ..io.keypoint_layouts import (
    BODY_25_LAYOUT,
    COCO_WHOLEBODY_LAYOUT,
    FACE_70_LAYOUT,
    HAND_LEFT_LAYOUT,
    HAND_RIGHT_LAYOUT,
    NUM_SMPLX_KEYPOINTS,
    KeypointLayout,
)

HIP_LATERAL_FRACTION = 0.6
HIP_HEIGHT_BAND_M = 0.03


def hip_surface_vertices(model: BodyModel, betas: np.ndarray) -> tuple[int, int]:
    """(left, right) the most lateral vertex of each hip region near the hip joint's rest height."""
    verts = model.shaped_vertices(np.asarray(betas, dtype=np.float64))
    joints = model.joint_regressor @ verts
    owner = np.argmax(model.skinning_weights, axis=1)
    out = []
    for name, sign in (("left_hip", 1.0), ("right_hip", -1.0)):
        j = JOINT_INDEX[name]
        band = np.isin(owner, (0, j)) & (np.abs(verts[:, 1] - joints[j, 1]) < HIP_HEIGHT_BAND_M) \
            & (sign * verts[:, 0] > 0)
        cand = np.flatnonzero(band)
        out.append(int(cand[np.argmax(sign * verts[cand, 0])]))
    return out[0], out[1]


def detector_points_3d(truth: FusedSequence, model: BodyModel) -> tuple[np.ndarray, dict]:
    """Camera-frame 3D positions of the keypoints (metres).

    Returns:
        ``smplx`` (T, 144, 3) in smplx's keypoint order (NaN where the model has no landmark, and the contour), and
        ``extra`` {``left_hip``, ``right_hip``, ``neck``, ``mid_hip``: (T, 3)} where the detectors put those.
    """
    skeleton = pose_skeleton(truth, model)
    t = truth.num_frames
    pts = np.full((t, NUM_SMPLX_KEYPOINTS, 3), np.nan)
    body = smplx_output_points(model, truth, skeleton, np.arange(76))
    pts[:, :76] = body
    lmk = smplx_output_points(model, truth, skeleton, np.arange(76, 127))
    if lmk is not None:
        pts[:, 76:127] = lmk
    betas = np.asarray(truth.betas, dtype=np.float64)
    surface = skin_vertices(model, truth, skeleton, list(hip_surface_vertices(model, betas)))
    extra = {}
    for k, name in enumerate(("left_hip", "right_hip")):
        joint = skeleton.joints[:, JOINT_INDEX[name]]
        extra[name] = joint + HIP_LATERAL_FRACTION * (surface[:, k] - joint)
    extra["neck"] = 0.5 * (skeleton.joints[:, JOINT_INDEX["left_shoulder"]]
                           + skeleton.joints[:, JOINT_INDEX["right_shoulder"]])
    extra["mid_hip"] = 0.5 * (extra["left_hip"] + extra["right_hip"])
    return pts, extra


_OPENPOSE_EXTRA = {"LHip": "left_hip", "RHip": "right_hip", "Neck": "neck", "MidHip": "mid_hip"}
_COCO_EXTRA = {"left_hip": "left_hip", "right_hip": "right_hip"}


def _layout_points(layout: KeypointLayout, smplx_pts: np.ndarray, extra: dict, extra_names: dict) -> np.ndarray:
    """(T, K, 3) each keypoint of ``layout``: its smplx point, or the detector-specific one, NaN where none."""
    out = np.full((smplx_pts.shape[0], layout.num_keypoints, 3), np.nan)
    for k, (name, idx) in enumerate(zip(layout.names, layout.smplx_index)):
        if name in extra_names:
            out[:, k] = extra[extra_names[name]]
        elif idx >= 0:
            out[:, k] = smplx_pts[:, idx]
    return out


def _observe(points: np.ndarray, truth: FusedSequence, rng: Optional[np.random.Generator], noise_px: float,
             missing: float) -> tuple[np.ndarray, np.ndarray]:
    uv = project(points, truth.camera_K_per_frame())
    if rng is not None:
        uv = uv + rng.normal(0.0, noise_px, uv.shape)
        uv[rng.random(uv.shape[:-1]) < missing] = np.nan
    score = np.where(np.all(np.isfinite(uv), axis=-1), 0.9, 0.0)
    return uv, score


def openpose_style(truth: FusedSequence, model: BodyModel, rng: Optional[np.random.Generator] = None,
                   noise_px: float = 0.0, missing: float = 0.0) -> dict:
    """OpenPose BODY_25 + hands + face of the truth: {part key: ``uv`` (T, K, 2), part key + ``_score``: (T, K)}."""
    smplx_pts, extra = detector_points_3d(truth, model)  # camera frame, the translation included
    out = {}
    for key, layout, names in (("pose_keypoints_2d", BODY_25_LAYOUT, _OPENPOSE_EXTRA),
                               ("hand_left_keypoints_2d", HAND_LEFT_LAYOUT, {}),
                               ("hand_right_keypoints_2d", HAND_RIGHT_LAYOUT, {}),
                               ("face_keypoints_2d", FACE_70_LAYOUT, {})):
        uv, score = _observe(_layout_points(layout, smplx_pts, extra, names), truth, rng, noise_px, missing)
        out[key], out[key + "_score"] = uv, score
    return out


def coco_wholebody_style(truth: FusedSequence, model: BodyModel, rng: Optional[np.random.Generator] = None,
                         noise_px: float = 0.0, missing: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """COCO-WholeBody 133 of the truth: ``keypoints`` (T, 133, 2) and ``scores`` (T, 133)."""
    smplx_pts, extra = detector_points_3d(truth, model)
    return _observe(_layout_points(COCO_WHOLEBODY_LAYOUT, smplx_pts, extra, _COCO_EXTRA), truth, rng, noise_px,
                    missing)


def write_openpose_folder(folder: Path, parts: dict, frame_ids: np.ndarray, video_name: str = "take") -> Path:
    """One ``<video_name>_<12-digit frame>_keypoints.json`` per frame, one person each, as OpenPose writes them
    (undetected points as 0, 0, 0)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(np.asarray(frame_ids, dtype=np.int64)):
        person: dict = {"person_id": [-1]}
        for key in ("pose_keypoints_2d", "face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d"):
            uv, score = parts[key][i], parts[key + "_score"][i]
            flat = np.concatenate([np.nan_to_num(uv), score[:, None]], axis=1)
            flat[score <= 0] = 0.0
            person[key] = [round(float(v), 3) for v in flat.reshape(-1)]
        doc = {"version": 1.3, "people": [person]}
        (folder / f"{video_name}_{int(frame):012d}_keypoints.json").write_text(json.dumps(doc))
    return folder


def write_mmpose_video_json(path: Path, keypoints: np.ndarray, scores: np.ndarray) -> Path:
    """MMPose's inferencer video output: ``[{"frame_id": i, "instances": [{keypoints, keypoint_scores, bbox,
    bbox_score}]}]`` with frames 0..T-1 (undetected points at 0, 0 with score 0)."""
    frames = []
    for i in range(keypoints.shape[0]):
        kp = np.nan_to_num(keypoints[i])
        ok = scores[i] > 0
        box = [float(kp[ok, 0].min()), float(kp[ok, 1].min()), float(kp[ok, 0].max()), float(kp[ok, 1].max())] \
            if ok.any() else [0.0, 0.0, 0.0, 0.0]
        frames.append({"frame_id": i, "instances": [{"keypoints": kp.round(3).tolist(),
                                                     "keypoint_scores": scores[i].round(4).tolist(),
                                                     "bbox": [box], "bbox_score": 0.99}]})
    path = Path(path)
    path.write_text(json.dumps(frames))
    return path


def write_rtmlib_npz(path: Path, keypoints: np.ndarray, scores: np.ndarray,
                     frame_ids: Optional[np.ndarray] = None) -> Path:
    """rtmlib's arrays stacked over frames, one person: ``keypoints`` (T, 1, 133, 2) float32 (undetected at -1, -1),
    ``scores`` (T, 1, 133) float32, optional ``frame_ids`` (T,)."""
    kp = np.where(np.isfinite(keypoints), keypoints, -1.0).astype(np.float32)[:, None]
    arrays = {"keypoints": kp, "scores": np.asarray(scores, dtype=np.float32)[:, None]}
    if frame_ids is not None:
        arrays["frame_ids"] = np.asarray(frame_ids, dtype=np.int64)
    path = Path(path)
    np.savez(path, **arrays)
    return path


__all__ = ["HIP_LATERAL_FRACTION", "hip_surface_vertices", "detector_points_3d", "openpose_style",
           "coco_wholebody_style", "write_openpose_folder", "write_mmpose_video_json", "write_rtmlib_npz"]
