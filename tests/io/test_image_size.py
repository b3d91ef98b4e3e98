"""Issue 20: the image size comes from what the estimator wrote (SMPLer-X's meta ``img_path``: the named image's
header), or stays unknown; a size the user gives that the estimator's file contradicts is an error, not a rescale.
Files written here in SMPLer-X's layout (``io_writers``)."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from io_writers import flatten_wilor, smplerx_params, wilor_out, write_smplerx_frame

from core.cli import main as core_main
from core.io import read_body
from core.io.input_errors import EstimatorInputError
from core.io.wilor import read_wilor


def write_jpeg_header(path: Path, width: int, height: int) -> Path:
    """The start of a baseline JPEG: SOI, an APP0 (JFIF) segment, SOF0 with the size (what a size reader needs)."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    path.write_bytes(b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
                     + b"\xff\xc0" + struct.pack(">H", len(sof0) + 2) + sof0 + b"\xff\xd9")
    return path


def test_fuse_refuses_a_size_the_estimator_contradicts(tmp_path, model_path, capsys):
    """A SMPLer-X meta ``img_size`` of 1280 x 720 and ``--image-size 800 600``: an error naming both, not a rescale."""
    out = tmp_path / "smplerx"
    _, meta = write_smplerx_frame(out, 0, 0, smplerx_params(np.random.default_rng(0)), [300, 100, 300, 400])
    doc = json.loads(meta.read_text())
    meta.write_text(json.dumps(dict(doc, img_size=[1280, 720])))
    code = core_main(["fuse", "--body", str(out), "--model", str(model_path), "--image-size", "800", "600",
                      "--out", str(tmp_path / "x.fused.npz"), "--quiet"])
    assert code == 2 and "the estimator's images are 1280 x 720 but --image-size says 800 x 600" in \
        capsys.readouterr().err
    assert not (tmp_path / "x.fused.npz").exists()


def test_smplerx_size_from_the_image_img_path_names(tmp_path):
    """SMPLer-X's meta ``img_path`` names the frame it ran on: its header gives the size (before: None); a path
    that is not here leaves it unknown and says so."""
    out = tmp_path / "run" / "smplerx"
    _, meta = write_smplerx_frame(out, 3, 0, smplerx_params(np.random.default_rng(1)), [300, 100, 300, 400])
    frames = tmp_path / "run" / "frames"
    frames.mkdir()
    write_jpeg_header(frames / "000003.jpg", 1920, 1080)
    doc = json.loads(meta.read_text())
    meta.write_text(json.dumps(dict(doc, img_path=str(frames / "000003.jpg"))))
    body = read_body(out)
    np.testing.assert_array_equal(body.image_size, [1920, 1080])
    assert "img_path" in body.source["image_size"]["from"]
    meta.write_text(json.dumps(dict(doc, img_path="/nowhere/000003.jpg")))
    body = read_body(out)
    assert body.image_size is None and body.source["image_size"].startswith("unknown: 00003_0.npz: img_path")


def test_fuse_smplerx_with_its_image_writes_its_size_and_square_pixels(tmp_path, model_path):
    """A SMPLer-X run whose meta ``img_path`` names a 1920 x 1080 frame: ``fuse`` (no footage flag) writes that size,
    known, and SMPLer-X's camera for its 3:4 processed box keeps square pixels (fx = 5000/192 w = 5000/256 h)."""
    from core.contracts.fused_file import image_size_known, read_fused

    out = tmp_path / "run" / "smplerx"
    _, meta = write_smplerx_frame(out, 0, 0, smplerx_params(np.random.default_rng(4)), [600, 200, 300, 400])
    write_jpeg_header(tmp_path / "run" / "000000.jpg", 1920, 1080)
    doc = json.loads(meta.read_text())
    meta.write_text(json.dumps(dict(doc, img_path="000000.jpg")))  # relative: beside the output folder
    fused = tmp_path / "x.fused.npz"
    assert core_main(["fuse", "--body", str(out), "--model", str(model_path), "--out", str(fused), "--quiet"]) == 0
    seq = read_fused(fused)
    np.testing.assert_array_equal(seq.image_size, [1920, 1080])
    assert image_size_known(seq)
    k = seq.camera_K_per_frame()
    np.testing.assert_allclose(k[:, 0, 0], 5000 / 192 * 300)
    assert np.all(k[:, 0, 0] == k[:, 1, 1])


def test_wilor_size_is_its_img_size_and_a_contradiction_is_an_error(tmp_path):
    """WiLoR's dumps carry ``img_size`` (1280 x 720 here): that is the hands' image size, said in the source; a size
    given that contradicts it is an error naming the file and the field (before: the given one won silently); the
    same given size is accepted."""
    folder = tmp_path / "wilor"
    folder.mkdir()
    np.savez(folder / "000010_0.npz", **flatten_wilor(wilor_out(np.random.default_rng(0), [1, 0])))
    hands = read_wilor(folder)
    np.testing.assert_array_equal(hands.image_size, [1280, 720])
    assert hands.source["image_size"] == "img_size in the dumps"
    with pytest.raises(EstimatorInputError, match="1280 x 720 but the image size given is 800 x 600") as err:
        read_wilor(folder, image_size=(800, 600))
    assert err.value.field == "img_size"
    assert read_wilor(folder, image_size=(1280, 720)).source["image_size"] == "the caller"
