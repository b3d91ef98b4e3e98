"""Detector files as camera-fit evidence: format detection, the person picked, one image matching one image, the head
and feet points, and ``fit-camera --keypoints2d`` on an OpenPose folder."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.body.model import load_body_model
from core.body.posing import joints_76, pose_skeleton
from core.camera.conversions import project
from core.camera.keypoints2d import (
    detect_keypoints_format,
    keypoints_as_points,
    read_keypoints2d,
    write_keypoints2d,
)
from core.camera.points import FEET_POINTS, HEAD_POINTS, POINT_GROUPS, sequence_points
from core.cli import main as core_main
from core.contracts.fused_file import read_fused
from core.demo_data.detector_keypoints import (
    coco_wholebody_style,
    openpose_style,
    write_mmpose_video_json,
    write_openpose_folder,
    write_rtmlib_npz,
)
from core.errors import FusionError
from core.io.keypoint_layouts import SMPLX_EXTRA_KEYPOINTS


def test_extra_keypoint_names_agree_with_the_io_layouts():
    from smplx.joint_names import JOINT_NAMES

    from core.camera.keypoints2d import SMPLX_EXTRA_KEYPOINTS as CAMERA_EXTRA
    from core.io.keypoint_layouts import SMPLX_KEYPOINT_NAMES

    assert CAMERA_EXTRA == SMPLX_EXTRA_KEYPOINTS == tuple(JOINT_NAMES[55:76])
    assert SMPLX_KEYPOINT_NAMES[:76] == tuple(JOINT_NAMES[:76])


def _op_person(nose_x: float, scale: float) -> dict:
    """An OpenPose person with nose, shoulders and ankles spread by ``scale`` around ``nose_x``."""
    pose = np.zeros((25, 3))
    for k, (dx, dy) in {0: (0, 0), 2: (-1, 1), 5: (1, 1), 11: (-1, 6), 14: (1, 6)}.items():
        pose[k] = (nose_x + scale * dx, 50 + scale * dy, 0.9)
    return {"pose_keypoints_2d": pose.reshape(-1).tolist()}


@pytest.fixture()
def two_people(tmp_path):
    """Frames 0-2: a small person at x 100 and a large one at x 400 (the larger listed second)."""
    folder = tmp_path / "op"
    folder.mkdir()
    for frame in range(3):
        doc = {"people": [_op_person(100.0, 10.0), _op_person(400.0, 40.0)]}
        (folder / f"v_{frame:012d}_keypoints.json").write_text(json.dumps(doc))
    return folder


def test_formats_are_detected(tmp_path, two_people):
    uv = np.zeros((2, 133, 2))
    write_rtmlib_npz(tmp_path / "rtm.npz", uv, np.ones((2, 133)))
    write_mmpose_video_json(tmp_path / "mm.json", uv, np.ones((2, 133)))
    write_keypoints2d(tmp_path / "own.npz", np.zeros((2, 133, 2)))  # J = 133 in smplx order stays ours
    assert detect_keypoints_format(two_people) == "openpose"
    assert detect_keypoints_format(tmp_path / "rtm.npz") == "rtmlib"
    assert detect_keypoints_format(tmp_path / "mm.json") == "mmpose"
    assert detect_keypoints_format(tmp_path / "own.npz") == "smplx"
    assert read_keypoints2d(tmp_path / "own.npz").layout == "smplx"


def test_person_default_explicit_and_by_overlap(two_people):
    nose = 55
    kp = read_keypoints2d(two_people)
    assert kp.people_uv.shape[:2] == (3, 2) and kp.person.tolist() == [1, 1, 1]  # the most prominent
    assert kp.uv[0, nose, 0] == 400.0
    assert read_keypoints2d(two_people, person=0).uv[0, nose, 0] == 100.0
    # the body estimate around the small person: its box overlaps person 0's
    ref = np.array([[[90.0, 50.0], [110.0, 110.0]]] * 3)
    uv, conf = keypoints_as_points(kp, np.arange(3), np.array([640.0, 480.0]), reference_uv=ref)
    np.testing.assert_allclose(uv[:, POINT_GROUPS["head"].start, 0], 100.0)
    uv, _ = keypoints_as_points(kp, np.arange(3), np.array([640.0, 480.0]))
    np.testing.assert_allclose(uv[:, POINT_GROUPS["head"].start, 0], 400.0)
    with pytest.raises(FusionError, match="person"):
        read_keypoints2d(two_people, person=5)


def test_one_image_matches_one_image_whatever_its_number(tmp_path):
    path = tmp_path / "02_cropped_keypoints.json"
    path.write_text(json.dumps({"people": [_op_person(100.0, 10.0)]}))
    kp = read_keypoints2d(path)
    assert kp.single_image and kp.frame_ids.tolist() == [2]
    uv, conf = keypoints_as_points(kp, np.array([0]), np.array([640.0, 480.0]))
    assert conf[0, POINT_GROUPS["head"].start] > 0        # frame 0 of a one-image take
    uv, conf = keypoints_as_points(kp, np.array([0, 1]), np.array([640.0, 480.0]))
    assert (conf == 0).all()                                # a clip: frame numbers must match


def test_head_and_feet_points_sit_on_the_skinned_mesh(model_path):
    """The fit's head and feet points (rigidly carried) against smplx's vertex keypoints posed by the full skinning
    (``core.body.posing``): within 2 cm."""
    from core.demo_data.ground_truth import make_ground_truth

    model = load_body_model(model_path)
    gt = make_ground_truth(6, seed=3)
    pts = sequence_points(gt, model).points + gt.transl[:, None]
    mesh = joints_76(model, gt, pose_skeleton(gt, model))
    for group, table in (("head", HEAD_POINTS), ("feet", FEET_POINTS)):
        cols = [55 + SMPLX_EXTRA_KEYPOINTS.index(name) for name, _, _ in table]
        err = np.linalg.norm(pts[:, POINT_GROUPS[group]] - mesh[:, cols], axis=-1)
        assert err.max() < 0.02, (group, err.max())


def test_detector_styles_read_back_where_they_were_written(model_path, tmp_path):
    """OpenPose- and COCO-style keypoints of a truth, written in each tool's file and read back: the wrists, head and
    feet land on the fit points' projections (within the head points' rigid approximation), the hips are ignored."""
    from core.demo_data.ground_truth import make_ground_truth

    model = load_body_model(model_path)
    gt = make_ground_truth(4, seed=5)
    fit_uv = project(sequence_points(gt, model).points + gt.transl[:, None], gt.camera_K)
    op = write_openpose_folder(tmp_path / "op", openpose_style(gt, model), np.arange(4))
    wb = write_rtmlib_npz(tmp_path / "wb.npz", *coco_wholebody_style(gt, model), frame_ids=np.arange(4))
    for path in (op, wb):
        uv, conf = keypoints_as_points(read_keypoints2d(path), np.arange(4), gt.image_size)
        for group, tol in (("body", 0.01), ("feet", 0.01), ("head", 3.0)):
            sl = POINT_GROUPS[group]
            seen = conf[:, sl] > 0
            err = np.linalg.norm(uv[:, sl] - fit_uv[:, sl], axis=-1)[seen]
            assert seen.any() and err.max() < tol, (path.name, group, err.max())
        assert (conf[:, [1, 2]] == 0).all()  # SMPL-X hips: the detectors' hips are not used
        assert (conf[:, 12] == 0).all()      # nor the neck


@pytest.fixture(scope="module")
def short_take(model_path, tmp_path_factory):
    from core.demo_data import write_demo_data

    folder = tmp_path_factory.mktemp("detector_take")
    data = write_demo_data(folder / "estimators", model_path, num_frames=48, seed=6, noise_scale=0.0)
    fused = folder / "take.fused.npz"
    assert core_main(["fuse", "--body", str(data.body), "--face", str(data.face), "--face-bbox",
                      str(data.face_bbox), "--hands", str(data.hands), "--model", str(model_path), "--out",
                      str(fused), "--quiet"]) == 0
    return data, fused


def test_fit_camera_reads_an_openpose_folder_directly(short_take, model_path, tmp_path, capsys):
    """``fit-camera --keypoints2d FOLDER`` of OpenPose files (hips and neck where OpenPose puts them, 1 px noise),
    the camera fit alone (the reader's path; the pose refinement is ``test_pose_refine.py``'s): focal within 3 %,
    translation within 2 % of depth, the evidence naming the folder."""
    data, fused = short_take
    model = load_body_model(model_path)
    truth = read_fused(data.ground_truth)
    parts = openpose_style(truth, model, np.random.default_rng(1), 1.0, 0.03)
    folder = write_openpose_folder(tmp_path / "openpose_json", parts, data.first_frame + np.arange(truth.num_frames))
    out = tmp_path / "fit.fused.npz"
    assert core_main(["fit-camera", str(fused), "--from-provenance", "--keypoints2d", str(folder), "--out", str(out),
                      "--no-refine-pose"]) == 0
    assert "2D keypoints (openpose_json)" in capsys.readouterr().out
    fitted = read_fused(out)
    focal_true = float(truth.camera_K[0, 0])
    assert abs(fitted.camera_K[0, 0] / focal_true - 1.0) <= 0.03, fitted.camera_K[0, 0]
    err = np.linalg.norm(fitted.transl - truth.transl, axis=1) / truth.transl[:, 2]
    assert np.median(err) <= 0.02, np.median(err)
