"""Writers laying out world-grounded estimator outputs exactly as each estimator's own code writes them, from a
known body and camera (imported by the tests in this folder as ``world_writers``).

- GVHMR: ``torch.save({"smpl_params_global": {...}, "smpl_params_incam": {...}, "K_fullimg": K, "net_outputs": ...})``
  of float32 tensors (zju3dv/GVHMR ``tools/demo/demo.py``, ``gvhmr_pl_demo.py``);
- WHAM: ``joblib.dump(defaultdict(dict) {track: {...}})`` (yohanshin/WHAM ``demo.py``), ``joblib.dump`` of DPVO poses;
- TRAM: ``np.save("camera.npy", dict)`` and ``np.save("hps/hps_track_k.npy", dict of torch tensors)``
  (yufu-wang/tram ``scripts/estimate_camera.py``, ``scripts/estimate_humans.py``);
- PromptHMR: ``joblib.dump(results, "results.pkl")`` (yufu-wang/PromptHMR ``pipeline/pipeline.py``).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from core.io.world.camera_trajectory import invert_rigid, reframe_root, rigid
from core.io.world.pelvis import hip_midpoint_rest, pelvis_rest
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle


def random_rigid(rng: np.random.Generator, n: int, spread: float = 2.0) -> np.ndarray:
    """(n, 4, 4) random rigid transforms."""
    return rigid(axis_angle_to_matrix(rng.normal(scale=0.8, size=(n, 3))), rng.normal(scale=spread, size=(n, 3)))


def camera_body(rng: np.random.Generator, n: int) -> dict:
    """A random camera-frame SMPL-X body (n frames): root (n, 3), body (n, 21, 3), transl (n, 3), betas (n, 10)."""
    return {"global_orient": rng.normal(scale=0.5, size=(n, 3)), "body_pose": rng.normal(scale=0.2, size=(n, 21, 3)),
            "transl": rng.normal(size=(n, 3)) + np.array([0.0, 0.0, 4.0]),
            "betas": np.tile(rng.normal(scale=1.0, size=(1, 10)), (n, 1))}


def world_root(model, body: dict, world_from_camera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The body's world root (axis-angle (n, 3), transl (n, 3)), turned about its pelvis."""
    j0 = pelvis_rest(model, body["betas"])
    rot, transl = reframe_root(axis_angle_to_matrix(body["global_orient"]), body["transl"], j0, world_from_camera)
    return matrix_to_axis_angle(rot), transl


def write_gvhmr(path: Path, model, body: dict, world_from_camera: np.ndarray, focal: float = 1000.0) -> Path:
    import torch

    n = body["global_orient"].shape[0]
    root_w, transl_w = world_root(model, body, world_from_camera)
    f32 = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))  # noqa: E731
    k = np.array([[focal, 0.0, 640.0], [0.0, focal, 360.0], [0.0, 0.0, 1.0]])
    pred = {
        "smpl_params_global": {"body_pose": f32(body["body_pose"].reshape(n, 63)), "betas": f32(body["betas"]),
                               "global_orient": f32(root_w), "transl": f32(transl_w)},
        "smpl_params_incam": {"body_pose": f32(body["body_pose"].reshape(n, 63)), "betas": f32(body["betas"]),
                              "global_orient": f32(body["global_orient"]), "transl": f32(body["transl"])},
        "K_fullimg": f32(np.broadcast_to(k, (n, 3, 3))),
        "net_outputs": {"model_output": {"pred_x": f32(np.zeros((1, n, 151)))}},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(pred, path)
    return path


def wham_track(model, body: dict, world_from_camera: np.ndarray, frame_ids: np.ndarray) -> dict:
    """One WHAM track: SMPL 24-joint poses (hand joints 22, 23 non-zero, as WHAM's are), ``trans`` = transl,
    ``trans_world`` = the posed hip midpoint in the world."""
    n = body["global_orient"].shape[0]
    rng = np.random.default_rng(5)
    root_w, _ = world_root(model, body, world_from_camera)
    pose = np.zeros((n, 24, 3))
    pose[:, 0], pose[:, 1:22] = body["global_orient"], body["body_pose"]
    pose[:, 22:] = rng.normal(scale=0.3, size=(n, 2, 3))
    pose_world = pose.copy()
    pose_world[:, 0] = root_w
    j0 = pelvis_rest(model, body["betas"])
    r_cam = axis_angle_to_matrix(body["global_orient"])
    hips_cam = body["transl"] + j0 + np.einsum("nij,nj->ni", r_cam, hip_midpoint_rest(model, body["betas"]) - j0)
    hips_world = np.einsum("nij,nj->ni", world_from_camera[:, :3, :3], hips_cam) + world_from_camera[:, :3, 3]
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    return {"pose": f32(pose.reshape(n, 72)), "trans": f32(body["transl"]),
            "pose_world": f32(pose_world.reshape(n, 72)), "trans_world": f32(hips_world), "betas": f32(body["betas"]),
            "verts": np.zeros((n, 6890, 3), np.float32), "frame_ids": np.asarray(frame_ids)}


def write_wham(path: Path, tracks: dict) -> Path:
    import joblib

    results: defaultdict = defaultdict(dict)
    for tid, track in tracks.items():
        results[tid].update(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(results, path)
    return path


def write_tram(folder: Path, body: dict, world_from_camera: np.ndarray, frames: np.ndarray, track: int = 0,
               focal: float = 900.0, center=(640.0, 360.0)) -> Path:
    """``camera.npy`` (camera-to-world for every footage frame) and ``hps/hps_track_{track}.npy``."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hps").mkdir(exist_ok=True)
    camera = {"pred_cam_R": world_from_camera[:, :3, :3], "pred_cam_T": world_from_camera[:, :3, 3],
              "world_cam_R": world_from_camera[:, :3, :3], "world_cam_T": world_from_camera[:, :3, 3],
              "img_focal": np.float64(focal), "img_center": np.array(center), "spec_focal": 850.0}
    np.save(folder / "camera.npy", camera)
    n = body["global_orient"].shape[0]
    full = np.zeros((n, 24, 3))
    full[:, 0], full[:, 1:22] = body["global_orient"], body["body_pose"]
    full[:, 22:] = 0.4
    rotmat = axis_angle_to_matrix(full)
    results = {"pred_cam": torch.zeros(n, 3), "pred_pose": torch.zeros(n, 144),
               "pred_shape": torch.from_numpy(body["betas"].astype(np.float32)),
               "pred_rotmat": torch.from_numpy(rotmat.astype(np.float32)),
               "pred_trans": torch.from_numpy(body["transl"].astype(np.float32)[:, None, :]),
               "frame": torch.from_numpy(np.asarray(frames))}
    np.save(folder / "hps" / f"hps_track_{track}.npy", results)
    return folder


def write_prompthmr(path: Path, model, people: dict, world_from_camera: np.ndarray, focal: float = 1100.0,
                    center=(640.0, 360.0)) -> Path:
    """``people``: id -> (camera-frame body dict, frames); the world body is written, as PromptHMR keeps it."""
    import joblib

    out_people = {}
    for pid, (body, frames) in people.items():
        n = body["global_orient"].shape[0]
        root_w, transl_w = world_root(model, body, world_from_camera[frames])
        pose = np.zeros((n, 165))
        pose[:, :3], pose[:, 3:66] = root_w, body["body_pose"].reshape(n, 63)
        out_people[pid] = {"track_id": pid + 1, "frames": np.asarray(frames),
                           "smplx_world": {"pose": pose, "shape": body["betas"], "trans": transl_w},
                           "bboxes": np.zeros((n, 4))}
    cam_from_world = invert_rigid(world_from_camera)
    results = {"people": out_people,
               "camera_world": {"pred_cam_R": world_from_camera[:, :3, :3], "pred_cam_T": world_from_camera[:, :3, 3],
                                "Rwc": world_from_camera[:, :3, :3], "Twc": world_from_camera[:, :3, 3],
                                "Rcw": cam_from_world[:, :3, :3], "Tcw": cam_from_world[:, :3, 3],
                                "img_focal": focal, "img_center": np.array(center), "viz_scale": 3.0,
                                "viz_center": [0.0, 0.0, 0.0]}}
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(results, path)
    return path
