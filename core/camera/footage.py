"""Footage metadata: image size, focal length and frame files, from a frames folder or a JSON sidecar. numpy only.

A footage path is either
- a folder of frames (``*.png``, ``*.jpg``, ``*.jpeg``, sorted by name), optionally with a ``footage.json`` sidecar;
- a JSON file (the sidecar itself), whose folder may hold the frames;
- a video file: nothing is read from it (no decoder here), so its size must come from elsewhere.

Sidecar keys (all optional): ``image_size`` [W, H]; the focal as ``focal_px``, or ``focal_length_mm`` with
``sensor_width_mm`` (the sensor width spans the image width), or ``focal_length_35mm`` (the 35 mm-equivalent focal,
defined on the diagonal: ``f_px = f35 * hypot(W, H) / hypot(36, 24)``); ``fps``; ``first_frame``.
An image's size is read from its header (PNG ``IHDR``, JPEG ``SOFn``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..fileio.image_header import image_size_from_header
from .conversions import check_focal, check_image_size
from .errors import CameraError

SIDECAR_NAME = "footage.json"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
DIAGONAL_35MM = float(np.hypot(36.0, 24.0))


@dataclass
class FootageInfo:
    """What is known about the footage.

    Attributes:
        path: what was given.
        image_size: (2,) W, H in pixels, or None.
        focal_px: focal length in pixels for ``image_size``, or None.
        fps: frames per second, or None.
        first_frame: footage number of the first frame file, or None.
        frames: the frame image files (sorted), empty for a video.
        movie: the video file, or None.
        notes: how each value was found.
    """

    path: Path
    image_size: Optional[np.ndarray] = None
    focal_px: Optional[float] = None
    fps: Optional[float] = None
    first_frame: Optional[int] = None
    frames: list = field(default_factory=list)
    movie: Optional[Path] = None
    notes: list = field(default_factory=list)


def image_size_of(path: Union[str, Path]) -> np.ndarray:
    """(2,) W, H of a PNG or JPEG file, from its header (:func:`core.fileio.image_header.image_size_from_header`)."""
    p = Path(path)
    try:
        size = image_size_from_header(p)
    except OSError as exc:
        raise CameraError(f"cannot read the image ({exc.strerror or exc})", path=p, field="image_size") from None
    if size is None:
        raise CameraError("not a PNG or JPEG image (cannot read its size)", path=p, field="image_size")
    return np.array([float(size[0]), float(size[1])])


def focal_from_metadata(meta: dict, image_size: Optional[np.ndarray], where: Path) -> Optional[float]:
    """Focal in pixels from sidecar keys (see the module notes), or None when the sidecar gives none."""
    if "focal_px" in meta:
        return float(check_focal(float(meta["focal_px"]), "focal_px"))
    if "focal_length_mm" in meta or "focal_length_35mm" in meta:
        if image_size is None:
            raise CameraError("a focal in millimetres needs the image size", path=where, field="image_size")
        if "focal_length_mm" in meta:
            if "sensor_width_mm" not in meta:
                raise CameraError("focal_length_mm needs sensor_width_mm", path=where, field="sensor_width_mm")
            sensor = float(meta["sensor_width_mm"])
            if not sensor > 0:
                raise CameraError(f"expected a positive sensor width, found {sensor}", path=where,
                                  field="sensor_width_mm")
            f = float(meta["focal_length_mm"]) / sensor * float(image_size[0])
            return float(check_focal(f, "focal_length_mm"))
        f = float(meta["focal_length_35mm"]) * float(np.hypot(*image_size)) / DIAGONAL_35MM
        return float(check_focal(f, "focal_length_35mm"))
    return None


def read_footage(path: Union[str, Path]) -> FootageInfo:
    """:class:`FootageInfo` for a frames folder, a sidecar JSON or a video file (see the module notes)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise CameraError("footage not found", path=p)
    info = FootageInfo(path=p)
    folder: Optional[Path] = None
    sidecar: Optional[Path] = None
    if p.is_dir():
        folder = p
        sidecar = p / SIDECAR_NAME if (p / SIDECAR_NAME).is_file() else None
    elif p.suffix.lower() == ".json":
        sidecar, folder = p, p.parent
    elif p.suffix.lower() in VIDEO_SUFFIXES:
        info.movie = p
        info.notes.append("a video file: its size and focal are not read (give --footage-size / --focal)")
    elif p.suffix.lower() in IMAGE_SUFFIXES:
        folder = p.parent
    else:
        raise CameraError("expected a frames folder, a footage JSON or a video file", path=p)
    if folder is not None:
        info.frames = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    meta: dict = {}
    if sidecar is not None:
        try:
            meta = json.loads(sidecar.read_text())
        except (OSError, ValueError) as exc:
            raise CameraError(f"not a readable JSON file ({exc})", path=sidecar) from None
        if not isinstance(meta, dict):
            raise CameraError("expected a JSON object", path=sidecar)
    if "image_size" in meta:
        info.image_size = check_image_size(meta["image_size"])
        info.notes.append(f"image size from {sidecar.name}")
    elif p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:  # an image named: its own size, not its folder's first
        info.image_size = image_size_of(p)
        info.notes.append(f"image size from {p.name}")
    elif info.frames:
        info.image_size = image_size_of(info.frames[0])
        info.notes.append(f"image size from {info.frames[0].name}")
    where = sidecar if sidecar is not None else p
    info.focal_px = focal_from_metadata(meta, info.image_size, where)
    if info.focal_px is not None:
        info.notes.append(f"focal {info.focal_px:.2f} px from {where.name}")
    if "fps" in meta:
        info.fps = float(meta["fps"])
    if "first_frame" in meta:
        info.first_frame = int(meta["first_frame"])
    return info


__all__ = ["SIDECAR_NAME", "IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "FootageInfo", "image_size_of",
           "focal_from_metadata", "read_footage"]
