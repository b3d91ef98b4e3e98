"""ExPose ``*_params.npz`` files written the way vchoutas/expose ``demo.py`` writes them (``save_params=True``).

``demo.py`` saves ``dict(fname=..., **model_output['body']['final'][idx], **weak_persp_to_blender(...)[idx])``
with ``np.savez_compressed``: rotation matrices (float32), ``betas`` / ``expression`` (10,), ``vertices``,
``joints`` (144, 3) (no ``transl``), ``full_pose`` and ``v_shaped`` as ``None`` (pickled object arrays),
``proj_joints`` = s (joints[:, :2] + t) in [-1, 1] of the body crop, and the camera fields ``transl`` =
[tx, ty, 2 f / (s * bbox_size)], ``shift_x`` = -(cx / W - 0.5), ``shift_y`` = (cy - H / 2) / W,
``focal_length_in_mm`` = f / W * sensor_width, ``focal_length_in_px`` = f (int), ``center`` = the box centre in
the original image, ``sensor_width`` (int). ``bbox_size`` = 1.2 x the detector box's longer side
(``bbox_to_center_scale``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
from scipy.spatial.transform import Rotation

#: ExPose's ``ImageFolderWithBoxes(scale_factor=1.2)``.
BOX_SCALE = 1.2


def random_rotmats(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """(n, 3, 3) float32 rotations of random axis-angle with components ~ N(0, scale)."""
    return Rotation.from_rotvec(rng.normal(scale=scale, size=(n, 3))).as_matrix().astype(np.float32)


def expose_pose(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """ExPose's final parameters: rotation matrices, the global orient near 180 degrees about x (its mean)."""
    flip = Rotation.from_rotvec([np.pi, 0.0, 0.0])
    glob = (flip * Rotation.from_rotvec(rng.normal(scale=0.2, size=3))).as_matrix()[None].astype(np.float32)
    return {
        "global_orient": glob,
        "body_pose": random_rotmats(rng, 21, 0.2),
        "left_hand_pose": random_rotmats(rng, 15, 0.3),
        "right_hand_pose": random_rotmats(rng, 15, 0.3),
        "jaw_pose": random_rotmats(rng, 1, 0.05),
        "betas": rng.normal(scale=0.5, size=10).astype(np.float32),
        "expression": rng.normal(scale=0.3, size=10).astype(np.float32),
    }


def blender_camera(joints: np.ndarray, box_xyxy: Sequence[float], image_size: Sequence[float], *,
                   focal: float = 5000.0, sensor_width: float = 36.0,
                   crop_offset: Sequence[float] = (0.03, -0.02)) -> dict[str, Any]:
    """``weak_persp_to_blender``'s fields plus ``proj_joints`` for ``joints`` (J, 3) in a detector box.

    The weak-perspective camera puts the joints' mean at ``crop_offset`` (crop units) of the box's crop."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    width, height = (float(v) for v in image_size)
    bbox_size = BOX_SCALE * max(x1 - x0, y1 - y0)
    center = np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0], dtype=np.float32)
    extent = np.abs(joints[:, :2] - joints[:, :2].mean(axis=0)).max()
    s = 0.8 / max(extent, 1e-6)  # the body fills 80 % of the crop's half-side
    t_xy = np.asarray(crop_offset) / s - joints[:, :2].mean(axis=0)
    tz = 2.0 * focal / (s * bbox_size)
    proj = (s * (joints[:, :2] + t_xy)).astype(np.float32)
    return {
        "transl": np.array([t_xy[0], t_xy[1], tz], dtype=np.float64),
        "proj_joints": proj,
        "shift_x": np.float64(-(center[0] / width - 0.5)),
        "shift_y": np.float64((center[1] - 0.5 * height) / width),
        "focal_length_in_mm": np.float64(focal / width * sensor_width),
        "focal_length_in_px": np.int64(focal) if float(focal).is_integer() else np.float64(focal),
        "center": center,
        "sensor_width": np.int64(sensor_width) if float(sensor_width).is_integer() else np.float64(sensor_width),
    }


def expose_params(rng: np.random.Generator, box_xyxy: Sequence[float], image_size: Sequence[float], *,
                  fname: str = "image.jpg", pose: Optional[dict] = None, joints: Optional[np.ndarray] = None,
                  vertices: Optional[np.ndarray] = None, focal: float = 5000.0) -> dict[str, Any]:
    """The dict ``demo.py`` saves for one crop. Without ``joints`` (144, 3) (model frame, ``SMPLXLayer`` output),
    a plausible random skeleton stands in (readers never re-pose it)."""
    pose = expose_pose(rng) if pose is None else pose
    if joints is None:
        joints = np.concatenate([rng.normal(scale=0.05, size=(144, 2)) * [3.0, 8.0],
                                 rng.normal(scale=0.05, size=(144, 1))], axis=1)
    joints = np.asarray(joints, dtype=np.float32)
    if vertices is None:
        vertices = rng.normal(scale=0.3, size=(50, 3))
    out: dict[str, Any] = {"fname": fname}
    out.update(pose)
    out.update({"vertices": np.asarray(vertices, dtype=np.float32), "joints": joints, "full_pose": None,
                "v_shaped": None})
    out.update(blender_camera(joints, box_xyxy, image_size, focal=focal))
    return out


def write_expose(folder: Path, fname: str, params: dict[str, Any]) -> Path:
    """``<folder>/<fname>/<fname>_params.npz`` exactly as ``demo.py`` writes it (``np.savez_compressed``)."""
    out = Path(folder) / fname
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{fname}_params.npz"
    np.savez_compressed(path, **params)
    return path


def smplx_layer_output(model_path: Path, pose: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(144, 3) joints and (V, 3) vertices of ``smplx.build_layer`` (ExPose's body model: ``SMPLXLayer`` with the
    face contour), for rotation-matrix ``pose``."""
    import smplx
    import torch

    layer = smplx.build_layer(str(model_path), model_type="smplx", use_face_contour=True, num_betas=10,
                              num_expression_coeffs=10)
    t = {k: torch.tensor(np.asarray(v, dtype=np.float32))[None] for k, v in pose.items()}
    with torch.no_grad():
        out = layer(betas=t["betas"], expression=t["expression"], global_orient=t["global_orient"],
                    body_pose=t["body_pose"], left_hand_pose=t["left_hand_pose"],
                    right_hand_pose=t["right_hand_pose"], jaw_pose=t["jaw_pose"])
    return out.joints[0].numpy().astype(np.float64), out.vertices[0].numpy().astype(np.float64)
