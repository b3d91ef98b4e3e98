"""The background plate: the synthetic footage (PNG frames drawn from the ground truth) and Blender's use of it as
camera background and composited render plate, frame by frame."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from core.body.model import load_body_model
from core.camera.conversions import project
from core.camera.footage import read_footage
from core.camera.points import sequence_points
from core.demo_data.ground_truth import make_ground_truth
from core.demo_data.plate import png_bytes, write_plate


def decode_png(data: bytes) -> np.ndarray:
    """(H, W, 3) uint8 from the 8-bit RGB, filter-0 PNGs this project writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + 3 * w)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 3)


def test_png_writer_round_trip():
    img = np.random.default_rng(0).integers(0, 256, (7, 11, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode_png(png_bytes(img)), img)


def test_plate_shows_the_ground_truth_through_the_true_camera(tmp_path, model_path):
    size, focal = (320, 180), 275.0
    gt = make_ground_truth(3, seed=0, image_size=size, focal_px=focal)
    model = load_body_model(model_path)
    pts = sequence_points(gt, model)
    joints = pts.joints + gt.transl[:, None]
    hands = np.stack([pts.points[:, 22:43], pts.points[:, 43:64]], 1) + gt.transl[:, None, None]
    folder = write_plate(tmp_path / "plate", joints, hands, gt.camera_K, size, np.array([5, 6, 7]), 30.0)
    assert sorted(p.name for p in folder.glob("*.png")) == ["000005.png", "000006.png", "000007.png"]
    info = read_footage(folder)
    assert info.focal_px == pytest.approx(focal) and info.first_frame == 5
    np.testing.assert_allclose(info.image_size, size)
    img = decode_png((folder / "000006.png").read_bytes()).astype(int)
    uv = project(joints[1:2], gt.camera_K)[0]
    # every body joint's pixel is drawn (skeleton colours differ from sky and ground by far)
    sky = img[2, 2]
    for j in (0, 4, 5, 16, 17):
        u, v = np.floor(uv[j]).astype(int)
        assert np.abs(img[v, u] - sky).sum() > 60, f"joint {j} not drawn at its projected pixel"
    # the skeleton moves with the frames: two frames differ
    other = decode_png((folder / "000007.png").read_bytes()).astype(int)
    assert np.abs(other - img).sum() > 0


def _solid_sequence(folder, numbers, size=(32, 24)):
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[:] = (20 * n, 100, 250 - 20 * n)
        (folder / f"{n:06d}.png").write_bytes(png_bytes(img))
    return folder


def test_blender_plate_background_and_composite(blender, tmp_path):
    bpy = blender
    from blender_addon.common import camera_builder, plate
    from core.camera.conversions import intrinsics_matrix

    scene = bpy.context.scene
    cam = camera_builder.build_camera("cam", intrinsics_matrix(30.0, [16.0, 12.0]), np.array([32.0, 24.0]),
                                      scene, scene.collection)
    scene.camera = cam
    footage_dir = _solid_sequence(tmp_path / "footage", range(5, 9))
    footage = plate.set_plate(scene, cam, str(footage_dir), first_frame=1, footage_first_frame=6)
    assert footage.kind == "sequence" and footage.frame_count == 4 and footage.first_number == 5
    assert cam.data.show_background_images and cam.data.background_images[0].image == footage.image
    assert scene.compositing_node_group is not None and scene.compositing_node_group.name.startswith("SMPL-X")
    assert scene.render.film_transparent and scene.view_settings.view_transform == "Standard"
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 1
    scene.cycles.device = "CPU"
    scene.render.resolution_percentage = 50  # the plate still fills the (smaller) render
    scene.render.image_settings.file_format = "PNG"
    for frame, footage_frame in ((1, 6), (3, 8)):
        scene.frame_set(frame)
        scene.render.filepath = str(tmp_path / f"out{frame}.png")
        bpy.ops.render.render(write_still=True)
        out = decode_png_any(bpy, tmp_path / f"out{frame}.png")
        assert out.shape[:2] == (12, 16)
        np.testing.assert_allclose(out[6, 8], [20 * footage_frame, 100, 250 - 20 * footage_frame], atol=2)


def decode_png_any(bpy, path):
    image = bpy.data.images.load(str(path))
    w, h = image.size
    px = np.array(image.pixels[:], dtype=np.float32).reshape(h, w, 4)[::-1, :, :3]
    bpy.data.images.remove(image)
    return np.round(px * 255.0)


def test_missing_footage_names_the_path(blender, tmp_path):
    from blender_addon.common import plate
    from blender_addon.core.errors import FusionError  # the add-on's vendored core

    with pytest.raises(FusionError, match="footage not found"):
        plate.load_footage(str(tmp_path / "nowhere"))
