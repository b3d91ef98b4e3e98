"""An image's pixel size from its header (PNG ``IHDR``, JPEG ``SOFn``), without decoding it. Standard library only.

Used wherever the footage's own size is needed and no image library is available (Blender's Python has none):
the camera's footage reader (:mod:`core.camera.footage`) and the estimator readers that name the image they ran on
(SMPLer-X's meta ``img_path``, :mod:`core.io.smplerx`).

Formats (the public specifications): PNG, the 8-byte signature then the ``IHDR`` chunk whose first 8 bytes are
width and height (big-endian uint32); JPEG, ``FF D8`` then marker segments, the frame header of any ``SOF0-SOF15``
marker but ``DHT`` (C4), ``JPG`` (C8) and ``DAC`` (CC) holding precision (1 byte), height and width (big-endian
uint16).
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Optional, Union

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_JPEG_SEGMENTS = 10_000


def _jpeg_size(fh) -> Optional[tuple[int, int]]:
    fh.seek(2)
    for _ in range(_MAX_JPEG_SEGMENTS):
        marker = fh.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        kind = marker[1]
        if kind == 0xFF:  # fill byte: the marker code follows
            fh.seek(-1, 1)
            continue
        if kind in (0xD8, 0x01) or 0xD0 <= kind <= 0xD7:  # stand-alone markers
            continue
        raw = fh.read(2)
        if len(raw) < 2:
            return None
        length = struct.unpack(">H", raw)[0]
        if length < 2:
            return None
        if 0xC0 <= kind <= 0xCF and kind not in (0xC4, 0xC8, 0xCC):
            body = fh.read(5)
            if len(body) < 5:
                return None
            h, w = struct.unpack(">xHH", body)
            return (w, h) if w > 0 and h > 0 else None
        fh.seek(length - 2, 1)
    return None


def image_size_from_header(path: Union[str, Path]) -> Optional[tuple[int, int]]:
    """(W, H) in pixels of a PNG or JPEG file, read from its header; None when the file is neither (or truncated).

    Raises ``OSError`` when the file cannot be opened.
    """
    with open(Path(path), "rb") as fh:
        head = fh.read(24)
        if head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR" and len(head) >= 24:
            w, h = struct.unpack(">II", head[16:24])
            return (int(w), int(h)) if w > 0 and h > 0 else None
        if head[:2] == b"\xff\xd8":
            return _jpeg_size(fh)
    return None


__all__ = ["PNG_SIGNATURE", "image_size_from_header"]
