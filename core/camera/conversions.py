"""Camera conversions: each estimator's crop camera to the full frame, weak perspective to perspective, the
principal point, and resolution changes. numpy, vectorised over leading (frame / detection) axes.

Pixels follow OpenCV with the origin at the top-left corner of the top-left pixel (x right, y down), so a resize
by a factor k maps every pixel coordinate, focal length and principal point by k. Camera coordinates are OpenCV
(x right, y down, z forward).

Sources of the estimator conventions (each pinned by a hand-computed test in ``tests/camera/test_conversions.py``):
- SMPLer-X / SMPLest-X ``main/inference.py``: a virtual camera of focal 5000 px and principal point (96, 128) on
  the 192 x 256 body crop, scaled to the full frame by the processed box plus its offset
  (:func:`core.io.smplerx.crop_intrinsics` holds the formula; :func:`smplerx_crop_to_full` is its entry here).
- WiLoR / HaMeR ``cam_crop_to_full`` (``wilor/utils/renderer.py``, ``demo.py``): ``[s, tx, ty]`` in the 256 px hand
  crop with focal 5000; in the full image the focal is ``5000 / 256 * max(W, H)`` and the principal point the
  image centre.
- EMOCA / DECA (``gdl/models/DECA.py`` ``decode``, ``batch_orth_proj``; ``bbox2point`` of their test datasets):
  orthographic ``[s, tx, ty]`` in the 224 face crop, ``x_ndc = s (X + tx)``, ``y_ndc = -s (Y + ty)`` (FLAME is y up),
  crop pixel ``= 112 (ndc + 1)``; the crop is the square of side ``1.25 * old_size`` about ``center`` with, for a
  detector box, ``old_size = (w + h) / 2`` and ``center`` the box centre moved down by ``0.12 * old_size``, and for a
  landmark box (``kpt68``) ``old_size = 1.1 (w + h) / 2`` about the box centre.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from .errors import CameraError

#: Plausible focal lengths in pixels and weak-perspective scales; values outside are refused with a clear error.
FOCAL_RANGE_PX = (100.0, 50_000.0)
SCALE_RANGE = (0.1, 10.0)

#: WiLoR / HaMeR hand crop (``EXTRA.FOCAL_LENGTH``, ``MODEL.IMAGE_SIZE``).
WILOR_FOCAL_PX = 5000.0
WILOR_CROP_PX = 256.0
#: EMOCA / DECA face crop and their test-time crop scale.
EMOCA_CROP_PX = 224.0
EMOCA_CROP_SCALE = 1.25

ArrayLike = Union[float, Sequence[float], np.ndarray]


def _first_bad(mask: np.ndarray) -> Optional[int]:
    idx = np.flatnonzero(np.asarray(mask).reshape(-1))
    return int(idx[0]) if idx.size else None


def check_range(values: ArrayLike, bounds: tuple[float, float], field: str, unit: str = "") -> np.ndarray:
    """``values`` as float64 if every one is finite and within ``bounds``; else :class:`CameraError` naming
    ``field`` and the first offending row (reported as ``frame``)."""
    arr = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr < bounds[0]) | (arr > bounds[1])
    row = _first_bad(bad)
    if row is not None:
        value = arr.reshape(-1)[row]
        raise CameraError(f"{value:g}{unit} is outside the plausible range {bounds[0]:g}-{bounds[1]:g}{unit}",
                          field=field, frame=row if arr.ndim else None)
    return arr


def check_focal(focal_px: ArrayLike, field: str = "focal_px") -> np.ndarray:
    """Focal lengths in pixels, refused outside 100-50,000 px."""
    return check_range(focal_px, FOCAL_RANGE_PX, field, " px")


def check_scale(scale: ArrayLike, field: str = "scale") -> np.ndarray:
    """Weak-perspective scales, refused outside 0.1-10."""
    return check_range(scale, SCALE_RANGE, field)


def check_image_size(image_size: ArrayLike, field: str = "image_size") -> np.ndarray:
    """(2,) W, H in pixels, both positive and finite."""
    size = np.asarray(image_size, dtype=np.float64).reshape(-1)
    if size.shape != (2,) or not np.all(np.isfinite(size)) or np.any(size <= 0):
        raise CameraError(f"expected (W, H) positive pixel sizes, found {size.tolist()}", field=field)
    return size


# ----------------------------------------------------------------------------------------------- pinhole basics

def intrinsics_matrix(focal_px: ArrayLike, principal_point_px: ArrayLike,
                      focal_y_px: Optional[ArrayLike] = None) -> np.ndarray:
    """Pinhole K from focal lengths and principal points.

    Args:
        focal_px: (...,) fx in pixels.
        principal_point_px: (..., 2) cx, cy in pixels.
        focal_y_px: (...,) fy; None for square pixels (fy = fx).
    Returns:
        (..., 3, 3) K.
    """
    fx = np.asarray(focal_px, dtype=np.float64)
    fy = fx if focal_y_px is None else np.asarray(focal_y_px, dtype=np.float64)
    c = np.asarray(principal_point_px, dtype=np.float64)
    shape = np.broadcast_shapes(fx.shape, fy.shape, c.shape[:-1])
    K = np.zeros(shape + (3, 3))
    K[..., 0, 0] = fx
    K[..., 1, 1] = fy
    K[..., 0, 2] = c[..., 0]
    K[..., 1, 2] = c[..., 1]
    K[..., 2, 2] = 1.0
    return K


def principal_point(image_size: ArrayLike, given: Optional[ArrayLike] = None) -> np.ndarray:
    """(2,) principal point in pixels: ``given`` when there is one, else the image centre (W / 2, H / 2)."""
    size = check_image_size(image_size)
    if given is None:
        return size / 2.0
    c = np.asarray(given, dtype=np.float64).reshape(-1)
    if c.shape != (2,) or not np.all(np.isfinite(c)):
        raise CameraError(f"expected (cx, cy) in pixels, found {c.tolist()}", field="principal_point")
    return c


def project(points_cam: np.ndarray, camera_K: np.ndarray) -> np.ndarray:
    """Pinhole projection.

    Args:
        points_cam: (T, P, 3) camera-frame points (OpenCV), metres.
        camera_K: (3, 3) or (T, 3, 3).
    Returns:
        (T, P, 2) pixels; NaN for points at or behind the camera (z <= 1e-6).
    """
    p = np.asarray(points_cam, dtype=np.float64)
    k = np.asarray(camera_K, dtype=np.float64)
    uvw = np.einsum("ab,...pb->...pa", k, p) if k.ndim == 2 else np.einsum("tab,tpb->tpa", k, p)
    z = uvw[..., 2:3]
    ok = z > 1e-6
    return np.where(ok, uvw[..., :2] / np.where(ok, z, 1.0), np.nan)


def rescale_intrinsics(camera_K: np.ndarray, from_size: ArrayLike, to_size: ArrayLike) -> np.ndarray:
    """Intrinsics for the same footage resized from ``from_size`` to ``to_size`` (both (W, H)).

    fx, cx scale by W'/W and fy, cy by H'/H (corner-origin pixels), so a point lands on the same relative image
    position; the camera-frame translation does not change.
    """
    src = check_image_size(from_size, "from_size")
    dst = check_image_size(to_size, "to_size")
    scale = np.diag([dst[0] / src[0], dst[1] / src[1], 1.0])
    return scale @ np.asarray(camera_K, dtype=np.float64)


def rescale_pixels(uv: np.ndarray, from_size: ArrayLike, to_size: ArrayLike) -> np.ndarray:
    """(..., 2) pixels of footage of ``from_size`` -> the same image positions at ``to_size``."""
    src = check_image_size(from_size, "from_size")
    dst = check_image_size(to_size, "to_size")
    return np.asarray(uv, dtype=np.float64) * (dst / src)


# ----------------------------------------------------------------------------------------------- weak perspective

def weak_perspective_to_translation(cam_sxy: np.ndarray, focal_px: ArrayLike, crop_px: ArrayLike) -> np.ndarray:
    """Weak perspective ``[s, tx, ty]`` -> perspective translation ``(tx, ty, 2 f / (crop s))``.

    ``s`` scales metres to the crop's normalised [-1, 1] coordinates, so a point at depth z appears with scale
    ``f / z`` pixels per metre = ``s * crop / 2``; hence ``z = 2 f / (crop s)``.

    Args:
        cam_sxy: (..., 3) [s, tx, ty].
        focal_px: focal of the crop camera in pixels (scalar or (...,)), 100-50,000.
        crop_px: crop side in pixels (scalar or (...,)).
    Returns:
        (..., 3) translation in metres.
    """
    cam = np.asarray(cam_sxy, dtype=np.float64)
    s = check_scale(cam[..., 0], "scale")
    f = check_focal(focal_px)
    crop = check_range(crop_px, (1.0, 1e6), "crop_px", " px")
    return np.stack([cam[..., 1], cam[..., 2], 2.0 * f / (crop * s)], axis=-1)


def translation_to_weak_perspective(transl: np.ndarray, focal_px: ArrayLike, crop_px: ArrayLike) -> np.ndarray:
    """The inverse of :func:`weak_perspective_to_translation`: (..., 3) translation -> (..., 3) [s, tx, ty]."""
    t = np.asarray(transl, dtype=np.float64)
    f = check_focal(focal_px)
    if np.any(~(t[..., 2] > 0)):
        raise CameraError("the translation's depth must be positive", field="transl",
                          frame=_first_bad(~(t[..., 2] > 0)) if t.ndim > 1 else None)
    s = 2.0 * f / (np.asarray(crop_px, dtype=np.float64) * t[..., 2])
    return np.stack([s, t[..., 0], t[..., 1]], axis=-1)


# ----------------------------------------------------------------------------------------------- per estimator

def smplerx_crop_to_full(bbox_xywh: np.ndarray) -> np.ndarray:
    """SMPLer-X / SMPLest-X processed boxes (..., 4) [x0, y0, w, h] -> (..., 3, 3) full-frame virtual K.

    ``fx = 5000 / 192 * w``, ``fy = 5000 / 256 * h``, ``cx = 96 / 192 * w + x0``, ``cy = 128 / 256 * h + y0``.
    """
    box = np.asarray(bbox_xywh, dtype=np.float64)
    bad = ~np.all(np.isfinite(box), axis=-1) | (box[..., 2] <= 0) | (box[..., 3] <= 0)
    row = _first_bad(bad)
    if row is not None:
        raise CameraError(f"a crop box needs positive width and height, found {box.reshape(-1, 4)[row].tolist()}",
                          field="bbox", frame=row if box.ndim > 1 else None)
    from ..io.smplerx import crop_intrinsics  # the readers' formula; imported here to keep this module light

    return crop_intrinsics(box)


def wilor_full_focal(image_size: ArrayLike) -> float:
    """WiLoR / HaMeR's full-image focal: ``5000 / 256 * max(W, H)`` pixels."""
    size = check_image_size(image_size)
    return WILOR_FOCAL_PX / WILOR_CROP_PX * float(size.max())


def wilor_crop_to_full(pred_cam: np.ndarray, box_center: np.ndarray, box_size: np.ndarray, image_size: ArrayLike,
                       focal_px: Optional[float] = None) -> np.ndarray:
    """WiLoR / HaMeR ``cam_crop_to_full``: crop ``[s, tx, ty]`` -> full-image translation (metres).

    With ``b = box_size * s``: ``tz = 2 f / b``, ``tx' = 2 (cx_box - W / 2) / b + tx``,
    ``ty' = 2 (cy_box - H / 2) / b + ty``; the full-image camera has focal ``f`` (default
    :func:`wilor_full_focal`) and its principal point at the image centre.

    Args:
        pred_cam: (N, 3) [s, tx, ty] with tx un-mirrored for left hands (``tx * (2 is_right - 1)``).
        box_center: (N, 2) pixels; box_size: (N,) pixels; image_size: (W, H).
    Returns:
        (N, 3) translations.
    """
    cam = np.asarray(pred_cam, dtype=np.float64).reshape(-1, 3)
    size = check_image_size(image_size)
    f = wilor_full_focal(size) if focal_px is None else float(check_focal(focal_px))
    s = check_scale(cam[:, 0], "pred_cam scale")
    box = check_range(np.asarray(box_size, dtype=np.float64).reshape(-1), (1e-3, 1e6), "box_size", " px")
    centre = np.asarray(box_center, dtype=np.float64).reshape(-1, 2)
    b = box * s
    return np.stack([2.0 * (centre[:, 0] - size[0] / 2.0) / b + cam[:, 1],
                     2.0 * (centre[:, 1] - size[1] / 2.0) / b + cam[:, 2],
                     2.0 * f / b], axis=-1)


def emoca_crop_square(bbox_xyxy: np.ndarray, box_type: str = "bbox",
                      crop_scale: float = EMOCA_CROP_SCALE) -> tuple[np.ndarray, np.ndarray]:
    """The square face crop EMOCA / DECA warp to 224 px, from a face box (DECA ``bbox2point``).

    Args:
        bbox_xyxy: (N, 4) x0, y0, x1, y1 pixels.
        box_type: ``"bbox"`` (a face detector's box: centre moved down by 0.12 of the size) or ``"kpt68"`` (the box
            of 68 landmarks: size times 1.1).
    Returns:
        ``(centre (N, 2), side (N,))`` in pixels.
    """
    b = np.asarray(bbox_xyxy, dtype=np.float64).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    centre = np.stack([b[:, 2] - w / 2.0, b[:, 3] - h / 2.0], axis=-1)
    if box_type == "bbox":
        old_size = (w + h) / 2.0
        centre[:, 1] += 0.12 * old_size
    elif box_type == "kpt68":
        old_size = (w + h) / 2.0 * 1.1
    else:
        raise CameraError(f"unknown face box type '{box_type}' (expected bbox or kpt68)", field="box_type")
    return centre, old_size * crop_scale


def emoca_face_position(bbox_xyxy: np.ndarray, cam: Optional[np.ndarray] = None, box_type: str = "bbox",
                        point_xy: Sequence[float] = (0.0, 0.0)) -> np.ndarray:
    """Where EMOCA puts a FLAME point in the full image.

    With ``cam`` (orthographic ``[s, tx, ty]`` in the 224 crop): the point ``(X, Y)`` (FLAME, y up) goes to
    ``ndc = (s (X + tx), -s (Y + ty))``, crop pixel ``112 (ndc + 1)``, and the crop square of
    :func:`emoca_crop_square` places it in the image. Without ``cam`` (``save_codes`` does not keep it) the face
    box centre is the face position.

    Args:
        bbox_xyxy: (N, 4) face boxes; cam: (N, 3) or None; point_xy: the FLAME point (default its origin).
    Returns:
        (N, 2) pixels.
    """
    b = np.asarray(bbox_xyxy, dtype=np.float64).reshape(-1, 4)
    if cam is None:
        return np.stack([(b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0], axis=-1)
    c = np.asarray(cam, dtype=np.float64).reshape(-1, 3)
    s = check_scale(c[:, 0], "cam scale")
    ndc = np.stack([s * (point_xy[0] + c[:, 1]), -s * (point_xy[1] + c[:, 2])], axis=-1)
    crop_px = EMOCA_CROP_PX / 2.0 * (ndc + 1.0)
    centre, side = emoca_crop_square(b, box_type)
    return centre - side[:, None] / 2.0 + crop_px * (side / EMOCA_CROP_PX)[:, None]


# ----------------------------------------------------------------------------------------------- camera to camera

def convert_translation(transl: np.ndarray, ref_point: np.ndarray, camera_K_from: np.ndarray,
                        camera_K_to: np.ndarray, depth_scale: ArrayLike = 1.0) -> np.ndarray:
    """The translation that shows a reference point at the same pixel and the same apparent scale in another camera.

    A crop camera's translation (e.g. SMPLer-X's, for its per-frame virtual focal) becomes one for the footage
    camera: the reference point's depth scales by ``f_to / f_from`` (``f`` the mean of fx and fy; apparent size
    ``f / z`` is kept), times ``depth_scale``, and its pixel is kept.

    Args:
        transl: (T, 3) translation in the ``from`` camera.
        ref_point: (T, 3) the reference point before translation (e.g. the pelvis), camera axes.
        camera_K_from: (T, 3, 3) or (3, 3); camera_K_to: (3, 3) or (T, 3, 3).
        depth_scale: scalar or (T,) extra factor on the depth (the fit's grid over scale).
    Returns:
        (T, 3) translation in the ``to`` camera.
    """
    t = np.asarray(transl, dtype=np.float64)
    p = np.asarray(ref_point, dtype=np.float64)
    n = t.shape[0]
    k_from = np.broadcast_to(np.asarray(camera_K_from, dtype=np.float64), (n, 3, 3))
    k_to = np.broadcast_to(np.asarray(camera_K_to, dtype=np.float64), (n, 3, 3))
    x = p + t
    if np.any(~(x[:, 2] > 0)):
        raise CameraError("the reference point is at or behind the camera", field="transl",
                          frame=_first_bad(~(x[:, 2] > 0)))
    uv = project(x[:, None], k_from)[:, 0]
    f_from = 0.5 * (k_from[:, 0, 0] + k_from[:, 1, 1])
    f_to = 0.5 * (k_to[:, 0, 0] + k_to[:, 1, 1])
    z = x[:, 2] * f_to / f_from * np.asarray(depth_scale, dtype=np.float64)
    xy = (uv - k_to[:, :2, 2]) / np.stack([k_to[:, 0, 0], k_to[:, 1, 1]], axis=-1) * z[:, None]
    return np.concatenate([xy, z[:, None]], axis=-1) - p


__all__ = ["FOCAL_RANGE_PX", "SCALE_RANGE", "WILOR_FOCAL_PX", "WILOR_CROP_PX", "EMOCA_CROP_PX", "EMOCA_CROP_SCALE",
           "check_range", "check_focal", "check_scale", "check_image_size", "intrinsics_matrix",
           "principal_point", "project", "rescale_intrinsics", "rescale_pixels", "weak_perspective_to_translation",
           "translation_to_weak_perspective", "smplerx_crop_to_full", "wilor_full_focal", "wilor_crop_to_full",
           "emoca_crop_square", "emoca_face_position", "convert_translation"]
