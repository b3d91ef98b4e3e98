"""WHAM ``wham_output.pkl`` (joblib, defaultdict by track) and ``slam_results.pth``: SMPL joints 22-23 dropped,
``trans`` = transl in the camera, ``trans_world`` = the hip midpoint, a y-up world; DPVO poses camera-to-world."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from world_writers import camera_body, random_rigid, wham_track, write_wham

from core.io import detect_format, read_bodies
from core.io.input_errors import EstimatorInputError
from core.io.world.wham import read_wham, read_wham_people, read_wham_slam


@pytest.fixture()
def take(tmp_path, world_model):
    rng = np.random.default_rng(4)
    body = camera_body(rng, 6)
    world_from_camera = random_rigid(rng, 6)
    track = wham_track(world_model, body, world_from_camera, np.arange(10, 16))
    other = wham_track(world_model, camera_body(rng, 3), random_rigid(rng, 3), np.array([2, 3, 5]))
    path = write_wham(tmp_path / "out" / "wham_output.pkl", {0: track, 4: other})
    return path, body, world_from_camera, track


def test_reads_every_track_with_its_camera(take, world_model):
    path, body, world_from_camera, track = take
    people = read_wham_people(path, image_size=(1920, 1080), model=world_model)
    assert [p.person_id for p in people] == [0, 4]
    est = people[0]
    np.testing.assert_array_equal(est.frame_ids, np.arange(10, 16))
    np.testing.assert_allclose(est.global_orient, body["global_orient"], atol=1e-6)
    np.testing.assert_allclose(est.transl, body["transl"], atol=1e-6)
    np.testing.assert_allclose(est.world_from_camera, world_from_camera, atol=2e-5)
    np.testing.assert_allclose(est.camera_K[0, 0, 0], np.hypot(1920, 1080))  # WHAM without calibration
    np.testing.assert_array_equal(est.world_up, [0.0, 1.0, 0.0])
    assert detect_format(path) == "wham" and detect_format(path.parent) == "wham"
    assert len(read_bodies(path.parent, image_size=(1920, 1080), model=world_model)) == 2


def test_smpl_hand_joints_are_dropped(take, world_model):
    path, body, _, track = take
    est = read_wham(path, person_id=0, image_size=(1920, 1080), model=world_model)
    np.testing.assert_allclose(est.body_pose, track["pose"].reshape(-1, 24, 3)[:, 1:22], atol=1e-7)
    assert np.abs(track["pose"].reshape(-1, 24, 3)[:, 22:]).max() > 0.1  # they were there
    assert not est.left_hand_pose.any() and est.hands_predicted is False and est.hand_pose_relative_to == "flat"


def test_trans_world_is_the_hip_midpoint_not_transl(take, tmp_path, world_model):
    path, body, world_from_camera, track = take
    # a file whose trans_world held the world transl instead would move the camera by centimetres
    from world_writers import world_root

    _, transl_w = world_root(world_model, body, world_from_camera)
    assert np.abs(transl_w - track["trans_world"]).max() > 0.02
    wrong = dict(track, trans_world=transl_w.astype(np.float32))
    est = read_wham(write_wham(tmp_path / "wrong" / "wham_output.pkl", {0: wrong}), image_size=(1920, 1080),
                    model=world_model)
    assert np.abs(est.world_from_camera[:, :3, 3] - world_from_camera[:, :3, 3]).max() > 0.02


def test_exact_hips_from_the_vertices_with_wham_regressor(tmp_path, world_model):
    rng = np.random.default_rng(8)
    body = camera_body(rng, 4)
    world_from_camera = random_rigid(rng, 4)
    track = wham_track(world_model, body, world_from_camera, np.arange(4))
    # verts = verts_cam + trans_cam: with a regressor on two vertices, the hip midpoint is their mean
    hips_cam = np.einsum("nij,nj->ni", np.linalg.inv(world_from_camera[:, :3, :3]),
                         track["trans_world"] - world_from_camera[:, :3, 3])
    verts = np.zeros((4, 6890, 3), np.float32)
    verts[:, 11] = hips_cam + 0.1
    verts[:, 12] = hips_cam - 0.1
    regressor = np.zeros(6890)
    regressor[[11, 12]] = 0.5
    path = write_wham(tmp_path / "wham_output.pkl", {0: dict(track, verts=verts)})
    est = read_wham(path, image_size=(1280, 720), hip_regressor=regressor, model=world_model)
    np.testing.assert_allclose(est.world_from_camera, world_from_camera, atol=2e-5)
    assert "exact" in est.source["conventions"]["camera"]


def test_image_size_is_required_and_named(take, world_model):
    with pytest.raises(EstimatorInputError, match="image_size"):
        read_wham(take[0], person_id=0, model=world_model)


def test_slam_results_are_translation_then_xyzw_camera_to_world(tmp_path):
    import joblib

    rot = Rotation.from_rotvec([[0.0, 0.0, np.pi / 2], [0.1, 0.2, 0.3]])
    traj = np.concatenate([[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], rot.as_quat()], axis=1)
    joblib.dump(traj, tmp_path / "slam_results.pth")
    poses = read_wham_slam(tmp_path)
    np.testing.assert_allclose(poses[0, :3, :3] @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(poses[:, :3, :3], rot.as_matrix(), atol=1e-12)
    np.testing.assert_allclose(poses[0, :3, 3], [1.0, 2.0, 3.0])
    joblib.dump(np.zeros((3, 7)), tmp_path / "slam_results.pth")
    with pytest.raises(EstimatorInputError, match="quaternion"):
        read_wham_slam(tmp_path)
