"""Writers that lay out estimator outputs exactly as each estimator's own code writes them (see each function).

Imported by the tests in this folder as ``io_writers`` (pytest puts this folder on ``sys.path``; the folder has no
``__init__.py`` because a package named ``io`` would shadow the standard library's ``io``)."""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np

from core.rotations import axis_angle_to_matrix


def random_aa(rng: np.random.Generator, shape, scale: float = 0.4) -> np.ndarray:
    return rng.normal(scale=scale, size=tuple(shape) + (3,))


def random_rotmats(rng: np.random.Generator, shape, scale: float = 0.6) -> np.ndarray:
    return axis_angle_to_matrix(random_aa(rng, shape, scale))


class Payload:
    """A pickle that would create ``marker`` if it were ever unpickled with plain ``pickle``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


# ---------------------------------------------------------------------------------------------- SMPLer-X

def smplerx_params(rng: np.random.Generator) -> dict:
    """One person's ``smplx_pred`` dict as SMPLer-X ``main/inference.py`` builds it (reshape(-1, 3) etc.)."""
    return {
        "global_orient": random_aa(rng, (1,)).astype(np.float32),
        "body_pose": random_aa(rng, (21,)).astype(np.float32),
        "left_hand_pose": random_aa(rng, (15,)).astype(np.float32),
        "right_hand_pose": random_aa(rng, (15,)).astype(np.float32),
        "jaw_pose": random_aa(rng, (1,)).astype(np.float32),
        "leye_pose": np.zeros((1, 3)),
        "reye_pose": np.zeros((1, 3)),
        "betas": rng.normal(size=(1, 10)).astype(np.float32),
        "expression": rng.normal(size=(1, 10)).astype(np.float32),
        "transl": np.array([[0.1, -0.2, 8.0]], dtype=np.float32) + rng.normal(scale=0.05, size=(1, 3)).astype(
            np.float32),
    }


def write_smplerx_frame(out: Path, frame: int, bbox_id: int, params: dict, bbox_xywh, *, meta: bool = True,
                        with_focal: bool = True) -> tuple[Path, Path]:
    """``<out>/smplx/{frame:05}_{bbox_id}.npz`` + ``<out>/meta/{frame:05}_{bbox_id}.json`` (inference.py)."""
    (out / "smplx").mkdir(parents=True, exist_ok=True)
    npz = out / "smplx" / f"{frame:05}_{bbox_id}.npz"
    np.savez(npz, **params)
    bbox = list(map(float, bbox_xywh))
    meta_path = out / "meta" / f"{frame:05}_{bbox_id}.json"
    if meta:
        (out / "meta").mkdir(parents=True, exist_ok=True)
        focal = [5000 / 192 * bbox[2], 5000 / 256 * bbox[3]]
        princpt = [96 / 192 * bbox[2] + bbox[0], 128 / 256 * bbox[3] + bbox[1]]
        doc = {"bbox": bbox, "bbox_mmdet": [bbox[0] + 10, bbox[1] + 20, bbox[2] * 0.6, bbox[3] * 0.7],
               "bbox_id": bbox_id, "img_path": f"../demo/{frame:06d}.jpg"}
        if with_focal:
            doc = {"focal": focal, "princpt": princpt, **doc}
        meta_path.write_text(json.dumps(doc, indent=4))
    return npz, meta_path


# ---------------------------------------------------------------------------------------------- SMPLest-X

def smplestx_out(rng: np.random.Generator, n: int) -> dict:
    """The SMPLest-X model's ``out`` dict (models/SMPLest_X.py), converted to numpy, batched over n frames."""
    return {
        "smplx_root_pose": random_aa(rng, (n,)),
        "smplx_body_pose": random_aa(rng, (n, 21)).reshape(n, 63),
        "smplx_lhand_pose": random_aa(rng, (n, 15)).reshape(n, 45),
        "smplx_rhand_pose": random_aa(rng, (n, 15)).reshape(n, 45),
        "smplx_jaw_pose": random_aa(rng, (n,)),
        "smplx_shape": rng.normal(size=(n, 10)),
        "smplx_expr": rng.normal(size=(n, 10)),
        "cam_trans": np.tile([0.0, 0.1, 6.0], (n, 1)) + rng.normal(scale=0.05, size=(n, 3)),
    }


# ---------------------------------------------------------------------------------------------- PIXIE

def pixie_codedict(rng: np.random.Generator) -> dict:
    """``codedict`` after ``pixie.decode`` as ``util.save_pkl`` stores it (batch index 0, float32 numpy)."""
    f32 = np.float32
    return {
        "body_cam": np.array([7.5, 0.02, 0.25], dtype=f32),
        "global_pose": random_rotmats(rng, (1,)).astype(f32),
        "partbody_pose": random_rotmats(rng, (17,)).astype(f32),
        "neck_pose": random_rotmats(rng, (1,)).astype(f32),
        "shape": rng.normal(size=200).astype(f32),
        "exp": rng.normal(size=50).astype(f32),
        "head_pose": random_rotmats(rng, (1,)).astype(f32),
        "jaw_pose": random_rotmats(rng, (1,), 0.2).astype(f32),
        "right_wrist_pose": random_rotmats(rng, (1,)).astype(f32),
        "right_hand_pose": random_rotmats(rng, (15,)).astype(f32),
        "left_wrist_pose": random_rotmats(rng, (1,)).astype(f32),
        "left_hand_pose": random_rotmats(rng, (15,)).astype(f32),
        "tex": rng.normal(size=50).astype(f32),
        "light": rng.normal(size=(9, 3)).astype(f32),
        "abs_head_pose": random_rotmats(rng, (1,)).astype(f32),
        "abs_right_wrist_pose": random_rotmats(rng, (1,)).astype(f32),
        "abs_left_wrist_pose": random_rotmats(rng, (1,)).astype(f32),
        "body_pose": random_rotmats(rng, (21,)).astype(f32),
        "bbox": np.array([210.0, 80.0, 530.0, 700.0]),
    }


def write_pixie(savefolder: Path, name: str, codedict: dict) -> Path:
    """``<savefolder>/<name>/<name>_param.pkl``, pickle protocol 2 (demos/demo_fit_body.py, util.save_pkl)."""
    folder = savefolder / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_param.pkl"
    with open(path, "wb") as fh:
        pickle.dump(codedict, fh, protocol=2)
    if np.ndim(codedict.get("bbox")) in (1, 2):
        np.savetxt(folder / f"{name}_bbox.txt", codedict["bbox"])
    return path


# ---------------------------------------------------------------------------------------------- EMOCA

def emoca_vals(rng: np.random.Generator, n: int) -> dict:
    """EMOCA's encode() values (numpy), batched."""
    return {
        "shapecode": rng.normal(size=(n, 100)),
        "expcode": rng.normal(size=(n, 50)),
        "texcode": rng.normal(size=(n, 50)),
        "posecode": rng.normal(scale=0.2, size=(n, 6)),
        "detailcode": rng.normal(size=(n, 128)),
        "cam": np.tile([9.0, 0.01, 0.02], (n, 1)),
        "lightcode": rng.normal(size=(n, 9, 3)),
    }


def save_codes(output_folder: Path, name: str, vals: dict, i=None) -> Path:
    """gdl_apps/EMOCA/utils/io.py ``save_codes`` (folder per image, five .npy files)."""
    folder = output_folder / name
    folder.mkdir(parents=True, exist_ok=True)
    for fname, key in (("shape", "shapecode"), ("exp", "expcode"), ("tex", "texcode"), ("pose", "posecode"),
                       ("detail", "detailcode")):
        np.save(folder / f"{fname}.npy", vals[key] if i is None else vals[key][i])
    return folder


# ---------------------------------------------------------------------------------------------- WiLoR

def wilor_out(rng: np.random.Generator, right) -> dict:
    """WiLoR ``forward_step`` output plus the demo batch keys, as numpy (wilor/models/wilor.py, demo.py)."""
    right = np.asarray(right, dtype=np.float32)
    b = len(right)
    cam = np.column_stack([rng.uniform(0.8, 1.2, b), rng.normal(scale=0.05, size=b), rng.normal(scale=0.05, size=b)])
    return {
        "pred_cam": cam.astype(np.float32),
        "pred_mano_params": {
            "global_orient": random_rotmats(rng, (b, 1)).astype(np.float32),
            "hand_pose": random_rotmats(rng, (b, 15), 0.3).astype(np.float32),
            "betas": rng.normal(size=(b, 10)).astype(np.float32),
        },
        "pred_cam_t": np.column_stack([cam[:, 1], cam[:, 2], 2 * 5000 / (256 * cam[:, 0])]).astype(np.float32),
        "focal_length": np.full((b, 2), 5000.0, dtype=np.float32),
        "pred_keypoints_3d": rng.normal(scale=0.05, size=(b, 21, 3)).astype(np.float32),
        "pred_vertices": rng.normal(scale=0.05, size=(b, 778, 3)).astype(np.float32),
        "pred_keypoints_2d": rng.normal(scale=0.3, size=(b, 21, 2)).astype(np.float32),
        "box_center": rng.uniform(200, 600, size=(b, 2)).astype(np.float32),
        "box_size": rng.uniform(80, 200, size=b).astype(np.float32),
        "img_size": np.tile([1280.0, 720.0], (b, 1)).astype(np.float32),
        "right": right,
    }


def cam_crop_to_full(cam, box_center, box_size, img_size, focal):
    """hamer/wilor ``utils/renderer.py`` ``cam_crop_to_full``, in numpy."""
    w2, h2 = img_size[:, 0] / 2.0, img_size[:, 1] / 2.0
    bs = box_size * cam[:, 0] + 1e-9
    tz = 2 * focal / bs
    tx = 2 * (box_center[:, 0] - w2) / bs + cam[:, 1]
    ty = 2 * (box_center[:, 1] - h2) / bs + cam[:, 2]
    return np.stack([tx, ty, tz], axis=-1)


def flatten_wilor(out: dict) -> dict:
    """The flattened key style (npz cannot hold the nested dict)."""
    flat = {k: v for k, v in out.items() if k != "pred_mano_params"}
    for k, v in out["pred_mano_params"].items():
        flat[f"pred_mano_params.{k}"] = v
    return flat
