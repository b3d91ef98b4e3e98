"""PHALP / 4D-Humans results in the tracker's own layout (brjathu/PHALP ``phalp/trackers/PHALP.py`` ``track()``):
``final_visuals_dic`` = frame path -> ``{"time", "shot", "frame_path", and parallel per-track lists "tid", "bbox"
[x0, y0, w, h], "tracked_time", "smpl" {global_orient (1,3,3), body_pose (23,3,3), betas (10,)}, "camera"
[tx, ty, tz], "conf", "size" [H, W], "center", "scale", ...}``. Written with :mod:`joblib_writer` as
``joblib.dump(..., compress=3)`` writes it. Imported by tests as ``phalp_writer`` (this folder is on sys.path).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from joblib_writer import dump_like_joblib
from scipy.spatial.transform import Rotation

H, W = 720, 1280


def smpl_params(rng: np.random.Generator) -> dict:
    """One person's HMR 2.0 ``pred_smpl_params`` entry, float32 as the network returns it."""
    return {"global_orient": Rotation.from_rotvec(rng.normal(0, 0.5, (1, 3))).as_matrix().astype(np.float32),
            "body_pose": Rotation.from_rotvec(rng.normal(0, 0.3, (23, 3))).as_matrix().astype(np.float32),
            "betas": rng.normal(0, 1, 10).astype(np.float32)}


def phalp_results(rng: np.random.Generator, frames: int = 6, tids: tuple = (1, 4),
                  predicted: tuple = ((1, 4),), truth: Optional[dict] = None) -> dict:
    """The results dict; ``predicted`` lists (tid, frame index) entries with ``tracked_time`` > 0; ``truth`` (when
    given) receives ``(tid, frame number) -> (smpl, camera, bbox, tracked_time)``."""
    out: dict = {}
    for t in range(frames):
        name = f"/data/video/img/{t + 1:06d}.jpg"
        entry: dict = {"time": t, "shot": 0, "frame_path": name}
        for key in ("tid", "bbox", "tracked_time", "smpl", "camera", "conf", "size", "center", "scale",
                    "tracked_ids", "tracked_bbox", "img_name", "class_name"):
            entry[key] = []
        for tid in tids:
            smpl = smpl_params(rng)
            cam = np.array([0.3 * tid - 0.5, 0.2, 6.0 + tid], dtype=np.float32)
            box = np.array([100.0 * tid, 50.0, 180.0, 420.0])
            tracked = 2 if (tid, t) in predicted else 0
            for key, value in (("tid", tid), ("bbox", box), ("tracked_time", tracked), ("smpl", smpl),
                               ("camera", cam), ("conf", np.float32(0.9)), ("size", [H, W]),
                               ("center", box[:2] + box[2:] / 2), ("scale", box[2:]), ("img_name", name[-10:]),
                               ("class_name", 0)):
                entry[key].append(value)
            if truth is not None:
                truth[(tid, t + 1)] = (smpl, cam, box, tracked)
        out[name] = entry
    return out


def write_phalp(path: Path, frames: int = 6, seed: int = 0, predicted: tuple = ((1, 4),)) -> tuple[Path, dict]:
    """``joblib.dump(final_visuals_dic, path, compress=3)`` for two tracks (tid 1 and 4); returns the truth too."""
    truth: dict = {}
    data = phalp_results(np.random.default_rng(seed), frames, predicted=predicted, truth=truth)
    return dump_like_joblib(data, path), truth
