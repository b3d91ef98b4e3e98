"""A synthetic background plate for the demo take: the ground truth's skeleton drawn into PNG frames, plus the
footage metadata a camera would record.

The frames are what the true camera saw, drawn with numpy and written as PNG with zlib (no image library):
a sky-to-ground gradient, the floor under the person as a perspective grid, and the ground-truth skeleton (body
bones, fingers, a head marker) projected through the true camera. An avatar rendered through a camera that
matches the footage lands on the drawn skeleton; any focal or translation error shows as an offset.

Layout (``folder``): ``{frame:06d}.png`` for each footage frame (the numbers of the estimators' files) and
``footage.json``: ``image_size`` [W, H], ``focal_length_mm`` and ``sensor_width_mm`` (the true focal as a
36 mm-wide sensor records it), ``fps``, ``first_frame``, ``frame_pattern``. See :mod:`core.camera.footage`.
"""
from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Union

import numpy as np

from ..body.skeleton import JOINT_INDEX, PARENTS
from .camera import project_K

PLATE_DIR = "plate"
SENSOR_WIDTH_MM = 36.0
FRAME_PATTERN = "{:06d}.png"

SKY_TOP = np.array([118, 146, 178], dtype=np.float64)
SKY_BOTTOM = np.array([196, 204, 210], dtype=np.float64)
GROUND = np.array([92, 96, 92], dtype=np.float64)
GRID = np.array([150, 156, 150], dtype=np.float64)
LEFT = np.array([60, 200, 90], dtype=np.float64)
RIGHT = np.array([240, 140, 40], dtype=np.float64)
CENTRE = np.array([245, 245, 235], dtype=np.float64)

#: Body bones drawn: every body joint 1-21 with its parent, and the head marker.
_BODY = [(int(PARENTS[j]), j) for j in range(1, 22)]
_HAND_CHAINS = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10), (10, 11),
                (11, 12), (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18), (18, 19), (19, 20)]


def plate_folder(out_dir: Union[str, Path]) -> Path:
    """Where :func:`core.demo_data.write_demo_data` puts the plate."""
    return Path(out_dir) / PLATE_DIR


def png_bytes(rgb: np.ndarray, level: int = 3) -> bytes:
    """(H, W, 3) uint8 -> PNG file bytes (8-bit RGB, no filtering, zlib ``level``)."""
    img = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = img.shape[:2]
    raw = np.zeros((h, 1 + 3 * w), dtype=np.uint8)  # filter byte 0 (None) before each row
    raw[:, 1:] = img.reshape(h, 3 * w)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
            + chunk(b"IEND", b""))


def _segment_mask(img: np.ndarray, a: np.ndarray, b: np.ndarray, radius: float) -> tuple[slice, slice, np.ndarray]:
    """Coverage (0..1) of a thick segment a-b (pixels) over its bounding box: ``(rows, cols, coverage)``."""
    h, w = img.shape[:2]
    lo = np.floor(np.minimum(a, b) - radius - 1).astype(int)
    hi = np.ceil(np.maximum(a, b) + radius + 1).astype(int)
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], w), min(hi[1], h)
    if x1 <= x0 or y1 <= y0:
        return slice(0, 0), slice(0, 0), np.zeros((0, 0))
    px = np.arange(x0, x1, dtype=np.float32)[None, :] + np.float32(0.5 - a[0])   # (1, w) x - ax
    py = np.arange(y0, y1, dtype=np.float32)[:, None] + np.float32(0.5 - a[1])   # (h, 1) y - ay
    ab = (b - a).astype(np.float32)
    t = np.clip((px * ab[0] + py * ab[1]) / np.float32(max(float(ab @ ab), 1e-9)), 0.0, 1.0)
    d = np.hypot(px - t * ab[0], py - t * ab[1])
    return slice(y0, y1), slice(x0, x1), np.clip(np.float32(radius + 0.5) - d, 0.0, 1.0)


def _draw_segment(img: np.ndarray, a: np.ndarray, b: np.ndarray, radius: float, colour: np.ndarray) -> None:
    """Blend a thick anti-aliased segment a-b (pixels) of ``colour`` into the (H, W, 3) uint8 ``img`` in place."""
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return
    rows, cols, cov = _segment_mask(img, a, b, radius)
    if cov.size and cov.max() > 0:
        region = img[rows, cols].astype(np.float32)
        region += (colour.astype(np.float32) - region) * cov[..., None]
        img[rows, cols] = np.round(region).astype(np.uint8)


def background(image_size: tuple[int, int], camera_K: np.ndarray, floor_y: float) -> np.ndarray:
    """(H, W, 3) uint8: a sky gradient, and below the horizon the floor plane y = ``floor_y`` (camera frame, y down)
    with a 0.5 m grid seen through ``camera_K``."""
    w, h = image_size
    K = np.asarray(camera_K, dtype=np.float64).reshape(3, 3)
    v = (np.arange(h) + 0.5) / h
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = np.round(SKY_TOP + (SKY_BOTTOM - SKY_TOP) * v[:, None]).astype(np.uint8)[:, None, :]
    horizon = K[1, 2]  # the floor's vanishing line, for a camera looking along the floor
    ground_rows = np.arange(h) + 0.5 > horizon
    img[ground_rows] = GROUND.astype(np.uint8)
    xs = np.arange(-4.0, 4.01, 0.5)
    zs = np.arange(1.0, 12.01, 0.5)
    for x in xs:  # grid lines, not frames
        seg = np.array([[[x, floor_y, zs[0]], [x, floor_y, zs[-1]]]])
        a, b = project_K(seg, K)[0]
        _draw_segment(img, a, b, 0.8, GRID)
    for z in zs:
        seg = np.array([[[xs[0], floor_y, z], [xs[-1], floor_y, z]]])
        a, b = project_K(seg, K)[0]
        _draw_segment(img, a, b, 0.8, GRID)
    return img


def _side_colour(joint: int) -> np.ndarray:
    from ..body.skeleton import JOINT_NAMES

    name = JOINT_NAMES[joint]
    return LEFT if name.startswith("left") else RIGHT if name.startswith("right") else CENTRE


def draw_frame(base: np.ndarray, joints_px: np.ndarray, hands_px: np.ndarray, head_radius_px: float) -> np.ndarray:
    """One plate frame: ``base`` (H, W, 3) uint8 with the skeleton drawn on it.

    Args:
        joints_px: (55, 2) projected SMPL-X joints; hands_px: (2, 21, 2) projected OpenPose hand keypoints.
        head_radius_px: the head marker's radius.
    Returns:
        (H, W, 3) uint8.
    """
    img = base.copy()
    for parent, child in _BODY:
        _draw_segment(img, joints_px[parent], joints_px[child], 3.5, _side_colour(child))
    for side, colour in ((0, LEFT), (1, RIGHT)):
        for a, b in _HAND_CHAINS:
            _draw_segment(img, hands_px[side, a], hands_px[side, b], 1.2, colour)
    head = joints_px[JOINT_INDEX["head"]]
    _draw_segment(img, head, head, head_radius_px, CENTRE)
    for j in range(22):
        _draw_segment(img, joints_px[j], joints_px[j], 5.0, _side_colour(j) * 0.6)
    return img


def write_plate(folder: Union[str, Path], joints_cam: np.ndarray, hand_keypoints_cam: np.ndarray,
                camera_K: np.ndarray, image_size: tuple[int, int], frames: np.ndarray, fps: float) -> Path:
    """Draw and write the plate.

    Args:
        folder: output folder (created).
        joints_cam: (T, 55, 3) ground-truth joints, camera frame, translation included.
        hand_keypoints_cam: (T, 2, 21, 3) left / right hand keypoints (OpenPose order), camera frame.
        camera_K: (3, 3) the true camera; image_size: (W, H).
        frames: (T,) footage frame numbers (the file names); fps: frames per second.
    Returns:
        ``folder``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    K = np.asarray(camera_K, dtype=np.float64).reshape(3, 3)
    t = joints_cam.shape[0]
    feet = [JOINT_INDEX[n] for n in ("left_foot", "right_foot", "left_ankle", "right_ankle")]
    floor_y = float(np.max(joints_cam[:, feet, 1])) + 0.06
    base = background(image_size, K, floor_y)
    joints_px = project_K(joints_cam, K)
    hands_px = project_K(hand_keypoints_cam.reshape(t, 42, 3), K).reshape(t, 2, 21, 2)
    head_radius = 0.09 * K[0, 0] / joints_cam[:, JOINT_INDEX["head"], 2]
    for i, frame in enumerate(np.asarray(frames).tolist()):  # the loop only draws and writes files
        rgb = draw_frame(base, joints_px[i], hands_px[i], float(head_radius[i]))
        (folder / FRAME_PATTERN.format(int(frame))).write_bytes(png_bytes(rgb))
    meta = {"image_size": [int(image_size[0]), int(image_size[1])],
            "focal_length_mm": round(float(K[0, 0]) / image_size[0] * SENSOR_WIDTH_MM, 6),
            "sensor_width_mm": SENSOR_WIDTH_MM, "fps": float(fps), "first_frame": int(np.asarray(frames)[0]),
            "frame_pattern": "%06d.png",
            "note": "synthetic footage: the ground-truth skeleton drawn through the true camera"}
    (folder / "footage.json").write_text(json.dumps(meta, indent=1))
    return folder


__all__ = ["PLATE_DIR", "plate_folder", "png_bytes", "background", "draw_frame", "write_plate"]
