"""ExPose ``*_params.npz`` reader: each convention pinned on files written in ExPose's own layout
(``tests/io/expose_writer.py``, after vchoutas/expose ``demo.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import expose_writer as X  # noqa: E402

from core.io import detect_format, read_bodies, read_body  # noqa: E402
from core.io.expose import KEYS_READ, image_name_of, read_expose  # noqa: E402
from core.io.input_errors import EstimatorInputError  # noqa: E402

IMAGE = (800.0, 600.0)
BOX = (180.0, 150.0, 480.0, 560.0)  # off the image centre on purpose


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def _write(tmp_path: Path, rng: np.random.Generator, name: str = "02_cropped.jpg", **kw) -> tuple[Path, dict]:
    params = X.expose_params(rng, kw.pop("box", BOX), kw.pop("image_size", IMAGE), fname=name, **kw)
    return X.write_expose(tmp_path, name, params), params


def test_the_principal_point_is_the_box_centre_of_the_original_image(tmp_path, rng):
    path, p = _write(tmp_path, rng)
    est = read_expose(path)
    f = 5000.0
    cx, cy = p["center"]
    assert np.allclose(est.camera_K[0], [[f, 0, cx], [0, f, cy], [0, 0, 1]])
    # ExPose's pixels: the weak-perspective projection at depth tz, around the box centre (not the image centre)
    t = p["transl"]
    expected_px = np.array([cx, cy]) + f * (p["joints"][:, :2].astype(np.float64) + t[:2]) / t[2]
    assert np.abs(est.joints_2d[0] - expected_px).max() < 1e-2
    assert np.abs(np.array([cx, cy]) - np.array(IMAGE) / 2).max() > 50  # the test would catch the image centre
    # the crop square: side 1.2 x the box's longer side, around the box centre
    side = X.BOX_SCALE * max(BOX[2] - BOX[0], BOX[3] - BOX[1])
    assert np.allclose(est.bbox[0], [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], atol=1e-2)


def test_joints_are_in_the_opencv_camera_frame_with_transl_applied(tmp_path, rng):
    path, p = _write(tmp_path, rng)
    est = read_expose(path)
    assert np.allclose(est.joints_3d[0], p["joints"].astype(np.float64) + p["transl"], atol=1e-5)
    assert est.transl[0] == pytest.approx(p["transl"])
    # perspective projection of the camera-frame joints with camera_K lands on ExPose's own pixels (y down)
    uvw = est.joints_3d[0] @ est.camera_K[0].T
    uv = uvw[:, :2] / uvw[:, 2:]
    assert np.median(np.linalg.norm(uv - est.joints_2d[0], axis=1)) < 0.02 * (BOX[3] - BOX[1])


def test_image_size_comes_from_the_blender_camera_fields(tmp_path, rng):
    path, _ = _write(tmp_path / "a", rng)
    assert read_expose(path).image_size.tolist() == [800.0, 600.0]
    path, _ = _write(tmp_path / "b", rng, image_size=(1280.0, 720.0), box=(700.0, 100.0, 1000.0, 700.0))
    est = read_expose(path)
    assert est.image_size.tolist() == [1280.0, 720.0]
    assert est.source["image_size_source"].startswith("focal_length_in_mm")


def test_a_shift_that_disagrees_with_the_focal_is_an_error_naming_it(tmp_path, rng):
    path, p = _write(tmp_path, rng)
    p["shift_x"] = np.float64(p["shift_x"] + 0.05)
    np.savez_compressed(path, **p)
    with pytest.raises(EstimatorInputError, match="shift_x"):
        read_expose(path)


def test_a_given_image_size_that_disagrees_is_an_error_naming_both(tmp_path, rng):
    path, _ = _write(tmp_path, rng)
    assert read_expose(path, image_size=(800, 600)).source["image_size_source"] == "given"
    with pytest.raises(EstimatorInputError, match=r"681 x 832.*800 x 600"):
        read_expose(path, image_size=(681, 832))


def test_without_the_blender_fields_the_size_is_unknown(tmp_path, rng):
    path, p = _write(tmp_path, rng)
    for key in ("focal_length_in_mm", "shift_x", "shift_y", "sensor_width"):
        del p[key]
    np.savez_compressed(path, **p)
    est = read_expose(path)
    assert est.image_size is None and est.source["image_size_source"] == "unknown"


def test_hands_are_flat_relative_and_poses_reproduce_the_files_joints(tmp_path, rng, model_path):
    """smplx.SMPLX with flat hands, fed the reader's axis-angle, gives ExPose's SMPLXLayer joints; with the mean hand
    added (the other convention) the fingers land elsewhere."""
    import smplx
    import torch

    pose = X.expose_pose(rng)
    joints, verts = X.smplx_layer_output(model_path, pose)
    path, p = _write(tmp_path, rng, pose=pose, joints=joints, vertices=verts)
    est = read_expose(path)
    assert est.hand_pose_relative_to == "flat"

    def forward(flat: bool) -> np.ndarray:
        model = smplx.SMPLX(str(model_path), use_pca=False, flat_hand_mean=flat, use_face_contour=True,
                            num_betas=10, num_expression_coeffs=10)
        t = {k: torch.tensor(np.asarray(v, dtype=np.float32)).reshape(1, -1) for k, v in {
            "global_orient": est.global_orient[0], "body_pose": est.body_pose[0],
            "left_hand_pose": est.left_hand_pose[0], "right_hand_pose": est.right_hand_pose[0],
            "jaw_pose": est.jaw_pose[0], "betas": est.betas[0], "expression": est.expression[0],
            "transl": est.transl[0]}.items()}
        with torch.no_grad():
            return model(**t).joints[0].numpy().astype(np.float64)

    hand_joints = np.r_[25:55]
    assert np.abs(forward(flat=True) - est.joints_3d[0]).max() < 1e-4
    assert np.abs(forward(flat=False)[hand_joints] - est.joints_3d[0][hand_joints]).max() > 5e-3


def test_object_arrays_are_never_unpickled(tmp_path, rng):
    """``full_pose`` / ``v_shaped`` are pickled object arrays in real files: read around them, even when they hold
    something the restricted unpickler would refuse; an object array under a key the reader needs is refused
    unread."""
    path, p = _write(tmp_path, rng)
    for key in ("full_pose", "v_shaped", "vertices"):
        assert key not in KEYS_READ
    p["full_pose"] = np.array([Path("/")], dtype=object)  # a pathlib class: refused if ever unpickled
    np.savez_compressed(path, **p)
    est = read_expose(path)
    assert est.valid.all()
    p["betas"] = np.array([{"a": 1}], dtype=object)
    np.savez_compressed(path, **p)
    with pytest.raises(EstimatorInputError, match="betas.*object array|object array.*"):
        read_expose(path)


def test_frame_numbers_come_from_the_image_name(tmp_path, rng):
    assert image_name_of("02_cropped.jpg_params.npz") == "02_cropped.jpg"
    assert image_name_of("frame_000123.jpg_004_params.npz") == "frame_000123.jpg"  # ImageFolderWithBoxes' box index
    for frame in (12, 10, 11):
        name = f"frame_{frame:06d}.jpg_{frame - 10:03d}"
        X.write_expose(tmp_path, name, X.expose_params(rng, BOX, IMAGE, fname=name))
    est = read_expose(tmp_path)
    assert est.frame_ids.tolist() == [10, 11, 12] and est.valid.all()
    assert est.joints_2d.shape == (3, 144, 2) and est.joints_3d.shape == (3, 144, 3)
    single, _ = _write(tmp_path / "one", rng, name="02_cropped.jpg")
    assert read_expose(single).frame_ids.tolist() == [2]


def test_a_gap_gives_invalid_rows_with_zero_joints(tmp_path, rng):
    for frame in (3, 5):
        X.write_expose(tmp_path, f"{frame:04d}.png", X.expose_params(rng, BOX, IMAGE))
    est = read_expose(tmp_path)
    assert est.frame_ids.tolist() == [3, 4, 5] and est.valid.tolist() == [True, False, True]
    assert not est.joints_2d[1].any() and est.joints_2d[0].any() and est.joints_2d[2].any()


def test_rotations_become_axis_angle(tmp_path, rng):
    path, p = _write(tmp_path, rng)
    est = read_expose(path)
    from scipy.spatial.transform import Rotation

    back = Rotation.from_rotvec(est.body_pose[0]).as_matrix()
    assert np.abs(back - p["body_pose"]).max() < 1e-5
    assert est.leye_pose.tolist() == [[0, 0, 0]] and est.model_variant == "smplx-v1.1"
    assert est.betas.shape == (1, 10) and est.expression.shape == (1, 10)


def test_projected_joints_that_break_the_weak_perspective_are_an_error(tmp_path, rng):
    path, p = _write(tmp_path, rng)
    p["proj_joints"] = p["proj_joints"] * np.array([1.0, -1.0], dtype=np.float32)  # y flipped
    np.savez_compressed(path, **p)
    with pytest.raises(EstimatorInputError, match="proj_joints"):
        read_expose(path)


def test_not_a_rotation_and_nan_name_the_key_and_frame(tmp_path, rng):
    path, p = _write(tmp_path, rng)
    bad = dict(p, body_pose=p["body_pose"] * 2)
    np.savez_compressed(path, **bad)
    with pytest.raises(EstimatorInputError, match=r"body_pose.*frame 2|frame 2.*body_pose"):
        read_expose(path)
    bad = dict(p, transl=np.array([0.0, np.nan, 10.0]))
    np.savez_compressed(path, **bad)
    with pytest.raises(EstimatorInputError, match="transl"):
        read_expose(path)


def test_the_registry_recognises_expose_files_and_folders(tmp_path, rng):
    path, _ = _write(tmp_path, rng)
    assert detect_format(path) == "expose"
    assert detect_format(tmp_path) == "expose"
    assert read_body(tmp_path).joints_2d.shape == (1, 144, 2)
    assert len(read_bodies(path)) == 1
    with pytest.raises(EstimatorInputError, match="person_id"):
        read_body(path, person_id=1)
