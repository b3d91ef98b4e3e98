"""Footage metadata: focal from millimetres or a 35 mm equivalent, image size from PNG / JPEG headers."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from core.camera.errors import CameraError
from core.camera.footage import image_size_of, read_footage
from core.demo_data.plate import png_bytes


def test_sidecar_focal_conversions(tmp_path):
    # 30.9375 mm on a 36 mm-wide sensor, 1280 px wide: 30.9375 / 36 * 1280 = 1100 px
    (tmp_path / "footage.json").write_text(json.dumps({"image_size": [1280, 720], "focal_length_mm": 30.9375,
                                                       "sensor_width_mm": 36.0, "fps": 25}))
    info = read_footage(tmp_path)
    assert info.focal_px == pytest.approx(1100.0) and info.fps == 25.0
    np.testing.assert_allclose(info.image_size, [1280, 720])
    # 35 mm equivalent 28 mm, on the diagonal: 28 * hypot(1280, 720) / hypot(36, 24) = 950.27 px
    side = tmp_path / "eq.json"
    side.write_text(json.dumps({"image_size": [1280, 720], "focal_length_35mm": 28}))
    assert read_footage(side).focal_px == pytest.approx(28 * np.hypot(1280, 720) / np.hypot(36, 24))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"image_size": [1280, 720], "focal_length_mm": 30.0}))
    with pytest.raises(CameraError, match="sensor_width_mm"):
        read_footage(bad)


def test_image_sizes_from_headers(tmp_path):
    png = tmp_path / "000001.png"
    png.write_bytes(png_bytes(np.zeros((30, 70, 3), np.uint8)))
    np.testing.assert_allclose(image_size_of(png), [70, 30])
    # a minimal JPEG header: SOI, an APP0 segment, then SOF0 with height 480 and width 640
    jpg = tmp_path / "frame.jpg"
    jpg.write_bytes(b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
                    + b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 480, 640) + bytes(10))
    np.testing.assert_allclose(image_size_of(jpg), [640, 480])
    info = read_footage(tmp_path)
    assert [f.name for f in info.frames] == ["000001.png", "frame.jpg"] and info.focal_px is None
    np.testing.assert_allclose(info.image_size, [70, 30])
    (tmp_path / "x.txt").write_text("no image")
    with pytest.raises(CameraError, match="field 'image_size'"):
        image_size_of(tmp_path / "x.txt")
