"""The moving-camera demo take: a known world take filmed by a panning, dollying camera, written as GVHMR's and
WHAM's outputs (with their conventions and noise), WiLoR hands, EMOCA codes and the camera trajectory.

The truth: today's demo motion (:func:`core.demo_data.ground_truth.make_ground_truth`) placed in a y-up world in
front of the first camera (1.5 m above the floor, looking level), then filmed by a camera that dollies sideways and
forwards while panning to keep the performer in view (``world_from_camera`` per frame). The camera-frame truth is
the world take seen from each camera (the root turned about the pelvis, :func:`core.io.world.reframe_root`), so the
hand and face writers of the static demo (:mod:`.write_wilor`, :mod:`.write_emoca`) run on it unchanged.

What each estimator file holds:
- ``gvhmr/hmr4d_results.pt`` (``torch.save``): ``smpl_params_incam`` = the camera-frame body with GVHMR-like noise
  (root, body joints, depth and image jitter, per-frame betas), no hands / jaw / expression; ``smpl_params_global``
  = that body placed in the world by GVHMR's *own* camera estimate, the truth with a slow heading and position
  drift; ``K_fullimg``. So the camera the file says (:func:`estimated_cameras`) is the drifting one, and a reader
  must reproduce exactly that.
- ``wham/wham_output.pkl`` (``joblib.dump`` of ``{0: {...}}``): SMPL-layout ``pose`` / ``pose_world`` (N, 72) with
  joints 22-23 zero, ``trans`` (SMPL ``transl``, camera), ``trans_world`` = the posed hip midpoint in the world (the
  model's hip joints 1 and 2), ``betas``, ``frame_ids``; no ``verts`` (the demo has no SMPL mesh).
  ``wham/slam_results.pth``: the true trajectory as DPVO gives it, camera-to-world ``[t, q_xyzw]`` in an arbitrary
  frame and scale.
- ``wilor/``, ``emoca/`` + ``face_bboxes.json``: as in the static demo, of the camera-frame truth.
- ``camera_trajectory.npz``: the true ``world_from_camera`` (T, 4, 4), ``camera_K``, ``frame_ids``, ``world_up``;
  ``gvhmr_world_from_camera`` / ``wham_world_from_camera``: the cameras each estimator's file implies.
- ``ground_truth.fused.npz``: the truth, schema 1.1 (camera-frame body + ``world_from_camera`` + ``world_up``).

Frames are numbered from 0, as GVHMR and WHAM number video frames.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Union

import numpy as np

from ..body.model import BodyModel, load_body_model, resolve_model_file
from ..contracts.fused_file import FusedSequence, write_fused
from ..io.world.camera_trajectory import invert_rigid, reframe_root, rigid
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .faults import no_faults
from .ground_truth import evaluate_ground_truth, make_ground_truth
from .noise import NoiseLevels, gaussian, perturb_axis_angle
from .write_emoca import make_emoca_output, write_emoca
from .write_wilor import make_wilor_detections, write_wilor

__all__ = ["MovingCameraTake", "make_moving_camera_take", "write_moving_camera_demo", "estimated_cameras",
           "MANIFEST_NAME", "CAMERA_HEIGHT_M"]

MANIFEST_NAME = "moving_camera.json"
CAMERA_HEIGHT_M = 1.5
_OUTPUTS = ("ground_truth.fused.npz", "gvhmr", "wham", "wilor", "emoca", "face_bboxes.json",
            "camera_trajectory.npz", MANIFEST_NAME)
#: OpenCV camera (x right, y down, z forward) -> y-up world looking along -z: a half turn about x.
WORLD_FROM_OPENCV = np.diag([1.0, -1.0, -1.0])


@dataclass
class MovingCameraTake:
    """The truth and the two estimators' versions of it (T frames).

    Attributes:
        truth_cam: the camera-frame truth (schema 1.1 extras ``world_from_camera``, ``world_up``).
        world_from_camera: (T, 4, 4) the true camera trajectory.
        gvhmr_world_from_camera, wham_world_from_camera: (T, 4, 4) the cameras each estimator's world implies
            (the truth with that estimator's drift).
        gvhmr: the ``hmr4d_results.pt`` dict (numpy; torch tensors when written).
        wham: the ``wham_output.pkl`` track dict; dpvo: (T, 7) ``slam_results.pth``.
    """

    truth_cam: FusedSequence
    world_from_camera: np.ndarray
    gvhmr_world_from_camera: np.ndarray
    wham_world_from_camera: np.ndarray
    gvhmr: dict
    wham: dict
    dpvo: np.ndarray


def _yaw(angle: np.ndarray) -> np.ndarray:
    """(T,) radians -> (T, 3, 3) rotations about +y."""
    out = np.zeros((angle.shape[0], 3))
    out[:, 1] = angle
    return axis_angle_to_matrix(out)


def _camera_path(t: np.ndarray, depth_m: float) -> np.ndarray:
    """(T,) seconds -> (T, 4, 4) first-camera-from-camera: a sideways and forward dolly with a pan that keeps the
    performer (``depth_m`` ahead of the first camera) centred."""
    side = 0.6 * np.sin(2 * np.pi * 0.12 * t)          # metres along the first camera's x
    fwd = 0.35 * (1.0 - np.cos(2 * np.pi * 0.09 * t))  # metres towards the performer
    pan = np.arctan2(side, depth_m - fwd)              # about the camera's own y (down): + turns to the right...
    rot = _yaw(-pan)                                   # ...so turn back towards the performer
    return rigid(rot, np.stack([side, np.zeros_like(t), fwd], axis=1))


def _drift(rng: np.random.Generator, t: int, yaw_deg: float, pos_m: float) -> np.ndarray:
    """(T, 4, 4) a slow random drift of an estimator's world: heading and position random walks, smoothed."""
    from scipy.ndimage import gaussian_filter1d

    steps = rng.standard_normal((t, 4))
    walk = np.cumsum(steps, axis=0) / np.sqrt(max(t, 1))
    walk = gaussian_filter1d(walk, sigma=8.0, axis=0, mode="nearest")
    walk -= walk[:1]
    rot = _yaw(np.radians(yaw_deg) * walk[:, 0])
    pos = pos_m * np.stack([walk[:, 1], 0.2 * walk[:, 2], walk[:, 3]], axis=1)
    return rigid(rot, pos)


def _pelvis(model: BodyModel, betas: np.ndarray, expression: np.ndarray = None) -> np.ndarray:
    return model.rest_joints(betas, expression)[..., 0, :]


def _hips(model: BodyModel, betas: np.ndarray) -> np.ndarray:
    return model.rest_joints(betas)[..., 1:3, :].mean(axis=-2)


def make_moving_camera_take(model: BodyModel, model_path: Union[str, Path], num_frames: int = 150,
                            seed: int = 0, noise_scale: float = 1.0) -> tuple[MovingCameraTake, object]:
    """The truth, the camera path and the GVHMR / WHAM outputs (arrays), and the truth's geometry.

    Returns:
        ``(take, geometry)`` with ``geometry`` the :class:`core.demo_data.ground_truth.GroundTruthGeometry` of the
        camera-frame truth (for the hand and face writers).
    """
    gt_seed, gv_seed, wh_seed, drift_seed = np.random.SeedSequence(seed).spawn(4)
    noise = NoiseLevels().scaled(noise_scale)
    base = make_ground_truth(num_frames, seed=gt_seed, model_variant=model.variant)
    t = np.arange(num_frames) / base.fps
    depth = float(np.median(base.transl[:, 2]))
    # the world: the first camera at (0, 1.5, 0) looking level along -z, y up
    world_from_first = rigid(WORLD_FROM_OPENCV[None], np.array([[0.0, CAMERA_HEIGHT_M, 0.0]]))[0]
    world_from_camera = world_from_first[None] @ _camera_path(t, depth)
    camera_from_world = invert_rigid(world_from_camera)
    j0 = _pelvis(model, base.betas, base.expression)  # (T, 3): smplx's joints move with expression
    root_first = axis_angle_to_matrix(base.global_orient)
    root_cam, transl_cam = reframe_root(root_first, base.transl, j0, camera_from_world @ world_from_first[None])
    truth = replace(base, global_orient=matrix_to_axis_angle(root_cam), transl=transl_cam,
                    extras={"world_from_camera": world_from_camera, "world_up": np.array([0.0, 1.0, 0.0])})

    # the estimators see the camera-frame body with noise (no expression: neither predicts a face)
    def noisy_body(rng: np.random.Generator) -> dict:
        n = num_frames
        betas = base.betas[None] + gaussian(rng, (n, base.betas.shape[0]), noise.body_betas)
        root = perturb_axis_angle(rng, truth.global_orient, noise.body_global_orient)
        body = perturb_axis_angle(rng, truth.body_pose, noise.body_pose)
        # depth jitter along the viewing ray and a small sideways jitter, as a regressor's root errs
        transl = truth.transl * (1.0 + gaussian(rng, (n, 1), noise.body_depth_rel))
        transl = transl + gaussian(rng, (n, 3), noise.body_root_px * depth / 1100.0) * np.array([1.0, 1.0, 0.0])
        return {"global_orient": root, "body_pose": body, "transl": transl, "betas": betas}

    rng_gv, rng_wh = np.random.default_rng(gv_seed), np.random.default_rng(wh_seed)
    drift_rng = np.random.default_rng(drift_seed)
    gv_cam = noisy_body(rng_gv)
    gv_world_cam = world_from_camera @ _drift(drift_rng, num_frames, yaw_deg=4.0, pos_m=0.15)
    gv_j0 = _pelvis(model, gv_cam["betas"])
    gv_root_w, gv_transl_w = reframe_root(axis_angle_to_matrix(gv_cam["global_orient"]), gv_cam["transl"], gv_j0,
                                          gv_world_cam)
    gvhmr = {
        "smpl_params_incam": {"body_pose": gv_cam["body_pose"].reshape(num_frames, 63), "betas": gv_cam["betas"],
                              "global_orient": gv_cam["global_orient"], "transl": gv_cam["transl"]},
        "smpl_params_global": {"body_pose": gv_cam["body_pose"].reshape(num_frames, 63), "betas": gv_cam["betas"],
                               "global_orient": matrix_to_axis_angle(gv_root_w), "transl": gv_transl_w},
        "K_fullimg": np.broadcast_to(np.asarray(base.camera_K), (num_frames, 3, 3)).copy(),
    }

    wh_cam = noisy_body(rng_wh)
    wh_world_cam = world_from_camera @ _drift(drift_rng, num_frames, yaw_deg=6.0, pos_m=0.25)
    wh_j0 = _pelvis(model, wh_cam["betas"])
    r_cam = axis_angle_to_matrix(wh_cam["global_orient"])
    wh_root_w, _ = reframe_root(r_cam, wh_cam["transl"], wh_j0, wh_world_cam)
    hips_cam = wh_cam["transl"] + wh_j0 + np.einsum("nij,nj->ni", r_cam, _hips(model, wh_cam["betas"]) - wh_j0)
    hips_world = np.einsum("nij,nj->ni", wh_world_cam[:, :3, :3], hips_cam) + wh_world_cam[:, :3, 3]
    smpl_pose = np.zeros((num_frames, 24, 3))
    smpl_pose[:, 0], smpl_pose[:, 1:22] = wh_cam["global_orient"], wh_cam["body_pose"]
    smpl_pose_world = smpl_pose.copy()
    smpl_pose_world[:, 0] = matrix_to_axis_angle(wh_root_w)
    wham = {"pose": smpl_pose.reshape(num_frames, 72), "trans": wh_cam["transl"],
            "pose_world": smpl_pose_world.reshape(num_frames, 72), "trans_world": hips_world,
            "betas": wh_cam["betas"], "frame_ids": np.arange(num_frames)}
    # DPVO: the true trajectory in its own frame (a turn and an offset) and scale
    from scipy.spatial.transform import Rotation

    dpvo_from_world = rigid(Rotation.from_rotvec([0.3, -1.1, 0.2]).as_matrix()[None], np.array([[2.0, -1.0, 0.5]]))
    dpvo_pose = dpvo_from_world @ world_from_camera
    dpvo = np.concatenate([0.37 * dpvo_pose[:, :3, 3], Rotation.from_matrix(dpvo_pose[:, :3, :3]).as_quat()], 1)

    geom = evaluate_ground_truth(truth, model_path, model.skinning_weights)
    take = MovingCameraTake(truth_cam=truth, world_from_camera=world_from_camera,
                            gvhmr_world_from_camera=gv_world_cam, wham_world_from_camera=wh_world_cam,
                            gvhmr=gvhmr, wham=wham, dpvo=dpvo)
    return take, geom


def estimated_cameras(out_dir: Union[str, Path]) -> dict[str, np.ndarray]:
    """The trajectories of ``camera_trajectory.npz``: ``world_from_camera`` (truth), ``gvhmr_world_from_camera``,
    ``wham_world_from_camera`` (what each file says), ``camera_K``, ``frame_ids``, ``world_up``."""
    with np.load(Path(out_dir) / "camera_trajectory.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _prepare(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    ours = (out_dir / MANIFEST_NAME).is_file()
    for name in _OUTPUTS:
        p = out_dir / name
        if p.exists() and not ours:
            raise FileExistsError(f"{p}: exists and is not from an earlier moving-camera demo; choose an empty folder")
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def write_moving_camera_demo(out_dir: Union[str, Path], model_file: Union[str, Path], num_frames: int = 150,
                             seed: int = 0, noise_scale: float = 1.0) -> dict:
    """Write the moving-camera take into ``out_dir`` (layout in the module docstring); returns the manifest dict.

    Needs torch (GVHMR's ``torch.save``) and joblib (WHAM's ``joblib.dump``), imported here only.
    """
    import joblib
    import torch

    if num_frames < 2:
        raise ValueError(f"num_frames must be at least 2, found {num_frames}")
    out_dir = Path(out_dir).resolve()
    model_path = resolve_model_file(model_file)
    model = load_body_model(model_path)
    take, geom = make_moving_camera_take(model, model_path, num_frames, seed, noise_scale)
    truth = take.truth_cam
    hand_seed, face_seed = np.random.SeedSequence([seed, 7]).spawn(2)
    noise = NoiseLevels().scaled(noise_scale)
    image_size = tuple(int(v) for v in truth.image_size)
    hands, _ = make_wilor_detections(truth, geom, noise, np.random.default_rng(hand_seed), no_faults(num_frames),
                                     image_size)
    face = make_emoca_output(truth, geom, noise, np.random.default_rng(face_seed))
    frames = np.arange(num_frames, dtype=np.int64)

    _prepare(out_dir)
    gt_path = write_fused(out_dir / "ground_truth.fused.npz", truth)
    (out_dir / "gvhmr").mkdir()
    as_torch = {k: ({k2: torch.from_numpy(np.asarray(v2, dtype=np.float32)) for k2, v2 in v.items()}
                    if isinstance(v, dict) else torch.from_numpy(np.asarray(v, dtype=np.float32)))
                for k, v in take.gvhmr.items()}
    torch.save(as_torch, out_dir / "gvhmr" / "hmr4d_results.pt")
    (out_dir / "wham").mkdir()
    wham = {k: (v if k == "frame_ids" else np.asarray(v, dtype=np.float32)) for k, v in take.wham.items()}
    from collections import defaultdict

    results: defaultdict = defaultdict(dict)
    results[0].update(wham)
    joblib.dump(results, out_dir / "wham" / "wham_output.pkl")
    joblib.dump(take.dpvo, out_dir / "wham" / "slam_results.pth")
    hands_dir, _ = write_wilor(out_dir / "wilor", hands, frames)
    face_dir, bbox_path = write_emoca(out_dir / "emoca", out_dir / "face_bboxes.json", face, frames,
                                      np.ones(num_frames, bool))
    np.savez(out_dir / "camera_trajectory.npz", world_from_camera=take.world_from_camera,
             gvhmr_world_from_camera=take.gvhmr_world_from_camera,
             wham_world_from_camera=take.wham_world_from_camera, camera_K=np.asarray(truth.camera_K),
             frame_ids=frames, world_up=np.array([0.0, 1.0, 0.0]))
    manifest = {
        "schema": "smplx-fusion-moving-camera/1", "ground_truth": gt_path.name, "gvhmr": "gvhmr/hmr4d_results.pt",
        "wham": "wham/wham_output.pkl", "wham_slam": "wham/slam_results.pth", "hands": hands_dir.name,
        "face": face_dir.name, "face_bbox": bbox_path.name, "camera_trajectory": "camera_trajectory.npz",
        "num_frames": num_frames, "fps": float(truth.fps), "image_size": list(image_size),
        "model_file": str(model_path), "seed": int(seed), "noise_scale": float(noise_scale),
        "camera": f"first camera {CAMERA_HEIGHT_M} m above the floor, level; sideways dolly +-0.6 m, forward 0.7 m, "
                  f"panning to keep the performer centred",
        "conventions": {"world": "y up, metres", "wham": "trans_world = posed hip midpoint (model hips 1, 2); no "
                        "verts", "gvhmr": "no hands, jaw or expression (mean hands)"},
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1))
    return manifest
