"""Issue 20, the footage's size and camera on one real-style photo, each fix pinned by a case that fails without it.

The inputs are written here in the estimators' own layouts: a PIXIE ``<name>/<name>_param.pkl`` (protocol 2, float32
rotation matrices, ``body_cam`` and the detector ``bbox``; PIXIE saves no image size), an 800 x 600 PNG photo
(header and one row of pixels, enough for any reader of its size), SMPLer-X ``smplx/`` + ``meta/`` files whose
``img_path`` names that photo, and a 2D keypoint file in smplx joint order.
"""
from __future__ import annotations

import json
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from core.body.model import load_body_model
from core.camera.conversions import intrinsics_matrix, project
from core.camera.errors import CameraError
from core.camera.fit_fused import FitRequest, fit_fused_file
from core.camera.footage_frame import default_focal_px, plausible_focal_range
from core.camera.keypoints2d import write_keypoints2d
from core.camera.points import sequence_points
from core.cli import main as core_main
from core.contracts.fused_file import IMAGE_SIZE_KNOWN_KEY, image_size_known, read_fused
from core.fileio.image_header import image_size_from_header
from core.rotations import axis_angle_to_matrix

PHOTO_SIZE = (800, 600)
#: the detector box of the person in the photo, x0, y0, x1, y1 (PIXIE's ``bbox``), off the image centre on purpose
PIXIE_BOX = (133.0, 232.0, 548.0, 600.0)


def write_png(path: Path, width: int, height: int) -> Path:
    """A valid greyscale PNG (signature, IHDR, one IDAT of zero rows, IEND), per the PNG specification."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(width) for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def write_jpeg_header(path: Path, width: int, height: int) -> Path:
    """The start of a baseline JPEG: SOI, an APP0 (JFIF) segment, SOF0 with the size (what a size reader needs)."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    path.write_bytes(b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
                     + b"\xff\xc0" + struct.pack(">H", len(sof0) + 2) + sof0 + b"\xff\xd9")
    return path


def _rotmats(aa: np.ndarray) -> np.ndarray:
    return axis_angle_to_matrix(np.asarray(aa, dtype=np.float64)).astype(np.float32)


def write_pixie_photo(savefolder: Path, name: str = "02_cropped") -> Path:
    """``<savefolder>/<name>/<name>_param.pkl`` as PIXIE's ``demos/demo_fit_body.py`` saves it: a person standing
    upright in the camera (global pose a half turn about x: SMPL-X's y-up model in OpenCV's y-down camera)."""
    rng = np.random.default_rng(2)
    small = lambda n: _rotmats(rng.normal(scale=0.05, size=(n, 3)))  # noqa: E731
    codedict = {
        "body_cam": np.array([1.9, 0.01, 0.05], dtype=np.float32),
        "global_pose": _rotmats([[np.pi, 0.0, 0.0]]),
        "body_pose": small(21), "jaw_pose": small(1), "left_hand_pose": small(15), "right_hand_pose": small(15),
        "partbody_pose": small(17), "neck_pose": small(1), "head_pose": small(1), "left_wrist_pose": small(1),
        "right_wrist_pose": small(1), "abs_head_pose": small(1), "abs_left_wrist_pose": small(1),
        "abs_right_wrist_pose": small(1),
        "shape": np.zeros(200, dtype=np.float32), "exp": np.zeros(50, dtype=np.float32),
        "tex": np.zeros(50, dtype=np.float32), "light": np.zeros((9, 3), dtype=np.float32),
        "bbox": np.array(PIXIE_BOX, dtype=np.float32),
    }
    folder = savefolder / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_param.pkl"
    with open(path, "wb") as fh:
        pickle.dump(codedict, fh, protocol=2)
    return path


@pytest.fixture()
def photo(tmp_path) -> dict:
    """The PIXIE result and the photo it ran on (800 x 600), in a scratch folder."""
    images = tmp_path / "images"
    images.mkdir()
    return {"pkl": write_pixie_photo(tmp_path / "PIXIE_results"), "png": write_png(images / "02_cropped.png",
                                                                                   *PHOTO_SIZE),
            "dir": tmp_path}


def _fuse(photo: dict, model_path, out: Path, *extra: str) -> int:
    return core_main(["fuse", "--body", str(photo["pkl"]), "--model", str(model_path), "--out", str(out),
                      "--quiet", *extra])


def assert_square(camera_K: np.ndarray) -> None:
    k = np.asarray(camera_K).reshape(-1, 3, 3)
    assert np.all(k[:, 0, 0] == k[:, 1, 1]), k[:, [0, 1], [0, 1]]
    assert np.all(k[:, 0, 1] == 0.0)


# ------------------------------------------------------------------------------------------------ image headers

def test_image_header_sizes(tmp_path):
    """PNG IHDR and JPEG SOF0 read without decoding (W, H order); anything else is None, not a guess."""
    assert image_size_from_header(write_png(tmp_path / "a.png", 800, 600)) == (800, 600)
    assert image_size_from_header(write_jpeg_header(tmp_path / "b.jpg", 1920, 1080)) == (1920, 1080)
    (tmp_path / "c.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00")  # truncated
    assert image_size_from_header(tmp_path / "c.jpg") is None
    (tmp_path / "d.txt").write_text("not an image")
    assert image_size_from_header(tmp_path / "d.txt") is None


# ------------------------------------------------------------------------------------------------ fuse: the size

def test_fuse_without_footage_records_the_size_unknown(photo, model_path, tmp_path, capsys):
    """PIXIE saves no image size: the fused file says UNKNOWN (flag and provenance), not 2 x the box centre as if
    it were known (before issue 20: 681 x 832, silently)."""
    out = tmp_path / "x.fused.npz"
    assert _fuse(photo, model_path, out) == 0
    printed = capsys.readouterr().out
    assert "image size: UNKNOWN" in printed
    seq = read_fused(out)
    assert not image_size_known(seq) and bool(seq.extras[IMAGE_SIZE_KNOWN_KEY]) is False
    assert json.loads(seq.provenance)["image_size_source"] == "unknown"
    assert_square(seq.camera_K)


@pytest.mark.parametrize("how", ["footage", "image-size"])
def test_fuse_takes_the_footage_size(photo, model_path, tmp_path, capsys, how):
    """``fuse --footage photo`` / ``--image-size W H``: the photo's own size is written, known; the PIXIE camera keeps
    square pixels and its principal point at the box centre in the photo's pixels."""
    out = tmp_path / "f.fused.npz"
    flag = ["--footage", str(photo["png"])] if how == "footage" else ["--image-size", "800", "600"]
    assert _fuse(photo, model_path, out, *flag) == 0
    assert "image size: 800 x 600" in capsys.readouterr().out
    seq = read_fused(out)
    np.testing.assert_array_equal(seq.image_size, PHOTO_SIZE)
    assert image_size_known(seq) and IMAGE_SIZE_KNOWN_KEY not in seq.extras
    assert_square(seq.camera_K)
    k = seq.camera_K_per_frame()[0]
    np.testing.assert_allclose(k[:2, 2], [(PIXIE_BOX[0] + PIXIE_BOX[2]) / 2, (PIXIE_BOX[1] + PIXIE_BOX[3]) / 2])


# ------------------------------------------------------------------------------------------------ fit-camera

def _true_keypoints(fused: Path, model_path, tmp_path: Path, frame_ids, focal: float = 1000.0,
                    transl=(0.05, 0.1, 3.2)) -> tuple[Path, np.ndarray]:
    """Keypoints a detector would give on the photo: the fused body's joints 0-21 through a true camera (focal,
    the photo's centre), in smplx joint order (55 joints, the rest missing), written for ``frame_ids``."""
    seq = read_fused(fused)
    joints = sequence_points(seq, load_body_model(model_path)).joints
    K = intrinsics_matrix(focal, np.asarray(PHOTO_SIZE, dtype=np.float64) / 2)
    uv = project(joints + np.asarray(transl)[None, None], K)
    uv[:, 22:] = np.nan
    return write_keypoints2d(tmp_path / "photo_keypoints.npz", uv, frame_ids=np.asarray(frame_ids)), K


def test_fit_camera_uses_the_users_focal_as_given(photo, model_path, tmp_path):
    """``fit-camera --focal 1000 --footage photo`` on a file of unknown size: camera_K has fx = fy = 1000 exactly
    and the principal point at the photo's centre, image 800 x 600 (before: fy 614 and (340.7, 416.2))."""
    fused, out = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused) == 0
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(out), body=str(photo["pkl"]), focal_px=1000.0,
                                        footage=str(photo["png"]), backend="scipy"))
    seq = read_fused(out)
    assert_square(seq.camera_K)
    assert seq.camera_K[0, 0] == 1000.0 and seq.camera_K[1, 1] == 1000.0
    np.testing.assert_array_equal(seq.camera_K[:2, 2], [400.0, 300.0])
    np.testing.assert_array_equal(seq.image_size, PHOTO_SIZE)
    assert image_size_known(seq) and outcome.fit.focal_source == "user"
    assert not any("rescaled per axis" in n for n in outcome.fit.notes)


def test_fit_camera_principal_point_given_in_footage_pixels(photo, model_path, tmp_path):
    """A principal point the user gives is in footage pixels and written as given, also when the footage is the
    estimators' images at twice the size (one uniform scale, square pixels)."""
    fused, out = tmp_path / "f.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused, "--image-size", "800", "600") == 0
    fit_fused_file(FitRequest(fused=str(fused), out=str(out), focal_px=2000.0, principal_point=(790.0, 610.0),
                              footage_size=(1600, 1200), backend="scipy"))
    seq = read_fused(out)
    assert_square(seq.camera_K)
    np.testing.assert_array_equal(seq.camera_K[[0, 1, 0, 1], [0, 1, 2, 2]], [2000.0, 2000.0, 790.0, 610.0])
    np.testing.assert_array_equal(seq.image_size, [1600, 1200])


def test_fit_camera_refuses_footage_of_another_aspect(photo, model_path, tmp_path):
    """Estimators' images 800 x 600, footage 1280 x 720: an error naming both sizes (before: pixels rescaled per
    axis into non-square intrinsics)."""
    fused = tmp_path / "f.fused.npz"
    assert _fuse(photo, model_path, fused, "--image-size", "800", "600") == 0
    with pytest.raises(CameraError, match=r"footage is 1280 x 720 .* images are 800 x 600"):
        fit_fused_file(FitRequest(fused=str(fused), out=str(tmp_path / "o.npz"), focal_px=1000.0,
                                  footage_size=(1280, 720), backend="scipy"))


def test_fit_without_focal_on_one_photo_is_plausible_and_says_where_it_came_from(photo, model_path, tmp_path):
    """No focal, one photo, keypoints written for frame 0 while the photo's name makes the take frame 2: the
    keypoints match the one image (before: nothing matched, a note only), and the focal is either fitted within
    0.5-3 image diagonals or the documented default field of view, named in ``focal_source`` (before: the fit ran
    off to hundreds of millions of pixels or stayed on the crop camera)."""
    fused, out = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused) == 0
    assert read_fused(fused).extras["frame_ids"].tolist() == [2]
    kp, K_true = _true_keypoints(fused, model_path, tmp_path, frame_ids=[0])
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(out), keypoints2d=str(kp),
                                        footage=str(photo["png"]), refine_pose=False, backend="scipy"))
    fit = outcome.fit
    lo, hi = plausible_focal_range(PHOTO_SIZE)
    assert fit.focal_source in ("fit", "default field of view")
    assert lo <= fit.focal_px <= hi
    if fit.focal_source == "default field of view":
        assert fit.focal_px == pytest.approx(default_focal_px(PHOTO_SIZE)) == pytest.approx(1000.0)
    assert any("one image (frame 0) matched to the take's one frame (frame 2)" in n for n in fit.notes)
    evidence = json.loads(read_fused(out).provenance)["camera_fit"]["evidence"]
    assert evidence["body"].startswith("2D keypoints (photo_keypoints.npz)")
    assert np.nanmedian(fit.reproj_after_px) < 2.0  # the keypoints are exact: they are met
    seq = read_fused(out)
    assert_square(seq.camera_K)
    np.testing.assert_array_equal(seq.camera_K[:2, 2], [400.0, 300.0])


def test_default_field_of_view_when_the_fit_runs_off(photo, model_path, tmp_path, monkeypatch):
    """A fitted focal outside 0.5-3 diagonals (here forced: the optimiser's result replaced by 50,000 px) is not
    written: the fit is redone at the default field of view and ``focal_source`` says so."""
    import core.camera.fit as camera_fit
    from core.camera.fit_common import ImplausibleFocalError

    fused, out = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused, "--footage", str(photo["png"])) == 0
    real_fit = camera_fit.fit_camera

    def runs_off(points, evidence, transl, K, options):
        if options.focal_px is None:
            raise ImplausibleFocalError("the fitted focal 780148646 px is implausible", field="focal_px")
        return real_fit(points, evidence, transl, K, options)

    monkeypatch.setattr(camera_fit, "fit_camera", runs_off)
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(out), body=str(photo["pkl"]), backend="scipy"))
    assert outcome.fit.focal_source == "default field of view"
    assert outcome.fit.focal_px == 1000.0  # the 800 x 600 photo's diagonal, exactly
    assert any("53.13 deg diagonal" in n for n in outcome.fit.notes)
    assert_square(read_fused(out).camera_K)
    assert read_fused(out).camera_K[0, 0] == 1000.0


def test_keypoints_of_other_frames_are_an_error_naming_both(photo, model_path, tmp_path):
    """A two-frame take (frames 2, 3) and keypoints for frames 10, 11: an error naming the keypoint file and both
    frame ranges (before: a note, and the fit went on without them)."""
    fused = tmp_path / "two.fused.npz"
    save = tmp_path / "two"
    for frame in (2, 3):
        write_pixie_photo(save, f"clip_frame{frame:05d}")
    assert core_main(["fuse", "--body", str(save), "--model", str(model_path), "--image-size", "800", "600",
                      "--out", str(fused), "--quiet"]) == 0
    assert read_fused(fused).extras["frame_ids"].tolist() == [2, 3]
    kp, _ = _true_keypoints(fused, model_path, tmp_path, frame_ids=[10, 11])
    with pytest.raises(CameraError) as err:
        fit_fused_file(FitRequest(fused=str(fused), out=str(tmp_path / "o.npz"), keypoints2d=str(kp), focal_px=900.0,
                                  refine_pose=False, backend="scipy"))
    message = str(err.value)
    assert "photo_keypoints.npz" in message and "2 frames 10-11" in message and "2 frames 2-3" in message
    assert err.value.field == "frame_ids"


def test_users_focal_survives_pose_refinement_exactly(photo, model_path, tmp_path):
    """With 2D keypoints the pose is refined (torch) at the user's focal: the written focal is still exactly the
    user's 1000 px (before: 999.9999999999999 after the refinement's log-parametrised round trip)."""
    pytest.importorskip("torch")
    fused, out = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused, "--footage", str(photo["png"])) == 0
    kp, _ = _true_keypoints(fused, model_path, tmp_path, frame_ids=[2])
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(out), keypoints2d=str(kp), focal_px=1000.0))
    assert outcome.refinement is not None
    seq = read_fused(out)
    assert seq.camera_K[0, 0] == 1000.0 and seq.camera_K[1, 1] == 1000.0
    np.testing.assert_array_equal(seq.camera_K[:2, 2], [400.0, 300.0])


def test_fit_camera_with_no_size_anywhere_keeps_it_flagged_unknown(photo, model_path, tmp_path, capsys):
    """No footage and no size in any file: the fit runs in the placeholder's pixels, nothing is rescaled, the written
    file stays flagged unknown and the summary says UNKNOWN (before: the guess was written as if known)."""
    fused, out = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused) == 0
    placeholder = read_fused(fused).image_size
    assert core_main(["fit-camera", str(fused), "--body", str(photo["pkl"]), "--focal", "1000", "--backend",
                      "scipy", "--model", str(model_path), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "UNKNOWN: a placeholder" in printed and "the image size is unknown" in printed
    seq = read_fused(out)
    assert not image_size_known(seq)
    np.testing.assert_array_equal(seq.image_size, placeholder)
    assert seq.camera_K[0, 0] == seq.camera_K[1, 1] == 1000.0


def test_image_size_known_flag_keeps_schema_1_files_valid(photo, model_path, tmp_path):
    """The flag is an optional extra: a schema-1 file without it reads as known, one whose provenance records the
    old guess ("principal point x 2", written before issue 20) as unknown; a flag that is not one boolean is refused
    naming the field."""
    from dataclasses import replace

    from core.contracts.fused_file import validate, write_fused
    from core.errors import FusedFileError

    fused = tmp_path / "f.fused.npz"
    assert _fuse(photo, model_path, fused, "--image-size", "800", "600") == 0
    seq = read_fused(fused)
    assert IMAGE_SIZE_KNOWN_KEY not in seq.extras and image_size_known(seq)
    prov = json.loads(seq.provenance)
    old = replace(seq, provenance=json.dumps(dict(prov, image_size_source="principal point x 2")))
    write_fused(tmp_path / "old.fused.npz", old)
    assert not image_size_known(read_fused(tmp_path / "old.fused.npz"))
    with pytest.raises(FusedFileError, match="image_size_known"):
        validate(replace(seq, extras=dict(seq.extras, image_size_known=np.array([1, 0]))))


def test_footage_named_by_one_image_gives_that_images_size(tmp_path):
    """``--footage photo.png`` in a folder whose first image has another size: the named image's own size (before:
    the folder's first image by name)."""
    from core.camera.footage import read_footage

    write_png(tmp_path / "a_thumbnail.png", 64, 48)
    photo = write_png(tmp_path / "b_photo.png", *PHOTO_SIZE)
    info = read_footage(photo)
    np.testing.assert_array_equal(info.image_size, PHOTO_SIZE)
    assert info.notes == ["image size from b_photo.png"]
