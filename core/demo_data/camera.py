"""Camera arithmetic shared by the demo-data writers: pinhole projection, boxes, and each estimator's camera.

All functions are numpy, vectorised over leading (frame / detection) axes. Pixel coordinates follow OpenCV:
x right, y down, origin at the top-left pixel corner; camera coordinates are OpenCV (x right, y down, z forward).

Estimator cameras (their sources are named at each function):
- SMPLer-X / SMPLest-X: a virtual camera of focal 5000 px and principal point (96, 128) on the 192x256 body
  crop, scaled to the full frame by the processed body box.
- WiLoR / HaMeR: a weak-perspective ``[s, tx, ty]`` in the 256 px hand crop, with focal 5000; in the full image
  the focal is ``5000 / 256 * max(W, H)`` and the principal point is the image centre (``cam_crop_to_full``).
"""
from __future__ import annotations

import numpy as np

#: SMPLer-X / SMPLest-X virtual camera (``main/config.py``, ``configs/config_smplest_x_h.py``).
SMPLERX_FOCAL = (5000.0, 5000.0)
SMPLERX_PRINCPT = (96.0, 128.0)
SMPLERX_BODY_SHAPE = (256, 192)  # (H, W) of the body crop
SMPLERX_IMG_SHAPE = (512, 384)   # (H, W) of the network input, sets the box aspect ratio
SMPLERX_BBOX_RATIO = 1.25        # ``process_bbox(..., ratio=1.25)``

#: WiLoR / HaMeR hand crop (``pretrained_models/model_config.yaml``: EXTRA.FOCAL_LENGTH, MODEL.IMAGE_SIZE).
WILOR_FOCAL = 5000.0
WILOR_CROP = 256
WILOR_RESCALE = 2.0              # ``demo.py --rescale_factor`` default


def intrinsics(focal: float, image_size: tuple[int, int]) -> np.ndarray:
    """(3, 3) pinhole matrix with square pixels and the principal point at the image centre (W/2, H/2)."""
    w, h = image_size
    return np.array([[focal, 0.0, w / 2.0], [0.0, focal, h / 2.0], [0.0, 0.0, 1.0]])


def project(points: np.ndarray, focal: np.ndarray, princpt: np.ndarray) -> np.ndarray:
    """Pinhole projection.

    Args:
        points: (T, N, 3) camera-frame points, z > 0.
        focal: (2,) or (T, 2) fx, fy in pixels.
        princpt: (2,) or (T, 2) cx, cy in pixels.
    Returns:
        (T, N, 2) pixel coordinates.
    """
    f = np.asarray(focal, dtype=np.float64).reshape(-1, 1, 2)
    c = np.asarray(princpt, dtype=np.float64).reshape(-1, 1, 2)
    return points[..., :2] / points[..., 2:3] * f + c


def project_K(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(T, N, 3) points through a (3, 3) or (T, 3, 3) intrinsics matrix -> (T, N, 2) pixels."""
    K = np.asarray(K, dtype=np.float64)
    kk = K.reshape(-1, 3, 3)
    return project(points, kk[:, [0, 1], [0, 1]], kk[:, :2, 2])


def tight_box(uv: np.ndarray) -> np.ndarray:
    """(T, N, 2) pixels -> (T, 4) x0, y0, x1, y1 enclosing them."""
    return np.concatenate([uv.min(axis=1), uv.max(axis=1)], axis=1)


def xyxy_to_xywh(box: np.ndarray) -> np.ndarray:
    """(..., 4) x0, y0, x1, y1 -> (..., 4) x, y, w, h."""
    return np.concatenate([box[..., :2], box[..., 2:] - box[..., :2]], axis=-1)


def smplerx_process_bbox(xywh: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """SMPLer-X's ``process_bbox`` (``common/utils/preprocessing.py``), vectorised.

    The detector box is clipped to the image (``sanitize_bbox``), widened or heightened to the network input's
    aspect ratio (384 / 512 = 0.75) about its centre, then scaled by 1.25.

    Args:
        xywh: (T, 4) detector boxes x, y, w, h in pixels.
        image_size: (W, H).
    Returns:
        (T, 4) float32 processed boxes x, y, w, h (what ``meta['bbox']`` holds).
    """
    w_img, h_img = image_size
    x1 = np.maximum(0.0, xywh[:, 0])
    y1 = np.maximum(0.0, xywh[:, 1])
    x2 = np.minimum(w_img - 1.0, x1 + np.maximum(0.0, xywh[:, 2] - 1.0))
    y2 = np.minimum(h_img - 1.0, y1 + np.maximum(0.0, xywh[:, 3] - 1.0))
    w, h = x2 - x1, y2 - y1
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    aspect = SMPLERX_IMG_SHAPE[1] / SMPLERX_IMG_SHAPE[0]
    h = np.where(w > aspect * h, w / aspect, h)
    w = np.where(w < aspect * h, h * aspect, w)
    w, h = w * SMPLERX_BBOX_RATIO, h * SMPLERX_BBOX_RATIO
    return np.stack([cx - w / 2.0, cy - h / 2.0, w, h], axis=1).astype(np.float32)


def smplerx_virtual_camera(bbox_xywh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The full-frame camera SMPLer-X renders with (``main/inference.py``: ``focal``, ``princpt``).

    Args:
        bbox_xywh: (T, 4) processed boxes.
    Returns:
        focal (T, 2) = 5000 / 192 * w, 5000 / 256 * h; princpt (T, 2) = (96 / 192 * w + x, 128 / 256 * h + y).
    """
    b = np.asarray(bbox_xywh, dtype=np.float64)
    bh, bw = SMPLERX_BODY_SHAPE
    focal = np.stack([SMPLERX_FOCAL[0] / bw * b[:, 2], SMPLERX_FOCAL[1] / bh * b[:, 3]], axis=1)
    princpt = np.stack([SMPLERX_PRINCPT[0] / bw * b[:, 2] + b[:, 0], SMPLERX_PRINCPT[1] / bh * b[:, 3] + b[:, 1]],
                       axis=1)
    return focal, princpt


def fit_translation(points: np.ndarray, uv: np.ndarray, focal: np.ndarray, princpt: np.ndarray) -> np.ndarray:
    """The translation that best reprojects ``points + t`` onto ``uv`` (linear least squares per frame).

    Each point gives two equations linear in t: ``fx (X + tx) - (u - cx)(Z + tz) = 0`` and the same in y.
    This is the translation a perfect regressor trained on a 2D reprojection loss would output.

    Args:
        points: (T, N, 3) points before translation (camera axes).
        uv: (T, N, 2) target pixels.
        focal, princpt: (T, 2) the camera the translation is for.
    Returns:
        (T, 3) translations.
    """
    f = focal[:, None, :]                       # (T, 1, 2)
    d = uv - princpt[:, None, :]                # (T, N, 2)
    t_frames, n = points.shape[:2]
    a = np.zeros((t_frames, n, 2, 3))
    a[:, :, 0, 0] = f[:, :, 0]
    a[:, :, 1, 1] = f[:, :, 1]
    a[:, :, :, 2] = -d
    b = d * points[:, :, 2:3] - f * points[:, :, :2]   # (T, N, 2)
    a = a.reshape(t_frames, 2 * n, 3)
    b = b.reshape(t_frames, 2 * n)
    ata = np.einsum("tki,tkj->tij", a, a)
    atb = np.einsum("tki,tk->ti", a, b)
    return np.linalg.solve(ata, atb[..., None])[..., 0]


def wilor_full_focal(image_size: tuple[int, int]) -> float:
    """Full-image focal WiLoR's demo renders with: ``FOCAL_LENGTH / IMAGE_SIZE * max(W, H)`` (``demo.py``)."""
    return WILOR_FOCAL / WILOR_CROP * float(max(image_size))


def cam_crop_to_full(pred_cam: np.ndarray, box_center: np.ndarray, box_size: np.ndarray,
                     image_size: tuple[int, int], focal: float) -> np.ndarray:
    """WiLoR / HaMeR ``cam_crop_to_full`` (``wilor/utils/renderer.py``): crop [s, tx, ty] -> full-image t.

    Args:
        pred_cam: (N, 3) [s, tx, ty] (tx already un-mirrored for left hands, as the demo does).
        box_center: (N, 2) pixels; box_size: (N,) pixels.
        image_size: (W, H); focal: the full-image focal (:func:`wilor_full_focal`).
    Returns:
        (N, 3) translation in the full-image camera (principal point at the image centre).
    """
    w, h = image_size
    bs = box_size * pred_cam[:, 0] + 1e-9
    tz = 2.0 * focal / bs
    tx = 2.0 * (box_center[:, 0] - w / 2.0) / bs + pred_cam[:, 1]
    ty = 2.0 * (box_center[:, 1] - h / 2.0) / bs + pred_cam[:, 2]
    return np.stack([tx, ty, tz], axis=-1)


def cam_full_to_crop(cam_t_full: np.ndarray, box_center: np.ndarray, box_size: np.ndarray,
                     image_size: tuple[int, int], focal: float) -> np.ndarray:
    """The inverse of :func:`cam_crop_to_full`: (N, 3) full-image translation -> (N, 3) crop [s, tx, ty]."""
    w, h = image_size
    bs = 2.0 * focal / cam_t_full[:, 2]
    s = bs / box_size
    tx = cam_t_full[:, 0] - 2.0 * (box_center[:, 0] - w / 2.0) / bs
    ty = cam_t_full[:, 1] - 2.0 * (box_center[:, 1] - h / 2.0) / bs
    return np.stack([s, tx, ty], axis=-1)
