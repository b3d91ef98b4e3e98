"""TRAM ``camera.npy`` + ``hps/hps_track_{k}.npy`` (np.save of dicts of torch tensors): SMPL rotation matrices, the
camera-to-world gravity-aligned trajectory indexed by footage frame."""
from __future__ import annotations

import numpy as np
import pytest
from world_writers import camera_body, random_rigid, write_tram

from core.io import detect_format, read_body
from core.io.input_errors import EstimatorInputError
from core.io.world.camera_trajectory import invert_rigid
from core.io.world.pelvis import pelvis_rest
from core.io.world.tram import read_tram, read_tram_people
from core.rotations import axis_angle_to_matrix


@pytest.fixture()
def take(tmp_path):
    rng = np.random.default_rng(6)
    body = camera_body(rng, 5)
    world_from_camera = random_rigid(rng, 12)
    frames = np.array([3, 4, 5, 7, 8])
    folder = write_tram(tmp_path / "seq", body, world_from_camera, frames)
    return folder, body, world_from_camera, frames


def test_reads_the_track_with_its_frames_camera(take):
    folder, body, world_from_camera, frames = take
    est = read_tram(folder)
    np.testing.assert_array_equal(est.frame_ids, np.arange(3, 9))  # frame 6 missing: an invalid row
    np.testing.assert_array_equal(est.valid, [True, True, True, False, True, True])
    rows = np.searchsorted(est.frame_ids, frames)
    np.testing.assert_allclose(est.global_orient[rows], body["global_orient"], atol=1e-5)
    np.testing.assert_allclose(est.body_pose[rows], body["body_pose"], atol=1e-5)
    np.testing.assert_allclose(est.transl[rows], body["transl"], atol=1e-6)
    np.testing.assert_allclose(est.world_from_camera[rows], world_from_camera[frames], atol=1e-6)
    np.testing.assert_allclose(est.camera_K[0], [[900, 0, 640], [0, 900, 360], [0, 0, 1]])
    np.testing.assert_allclose(est.image_size, [1280, 720])
    assert detect_format(folder) == "tram" and read_body(folder).person_id == 0
    assert not est.left_hand_pose.any() and est.hands_predicted is False


def test_camera_to_world_maps_the_camera_pelvis_to_the_world(take, world_model):
    folder, body, world_from_camera, frames = take
    est = read_tram(folder)
    rows = np.searchsorted(est.frame_ids, frames)
    pelvis_cam = pelvis_rest(world_model, body["betas"]) + body["transl"]
    # TRAM's own visualisation: world = world_cam_R @ v + world_cam_T
    expected = np.einsum("nij,nj->ni", world_from_camera[frames, :3, :3], pelvis_cam) + world_from_camera[frames, :3, 3]
    got = np.einsum("nij,nj->ni", est.world_from_camera[rows, :3, :3], pelvis_cam) + est.world_from_camera[rows, :3, 3]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    flipped = invert_rigid(est.world_from_camera[rows])
    assert np.abs(np.einsum("nij,nj->ni", flipped[:, :3, :3], pelvis_cam) + flipped[:, :3, 3] - expected).max() > 0.1
    np.testing.assert_allclose(axis_angle_to_matrix(est.global_orient[rows]),
                               axis_angle_to_matrix(body["global_orient"]), atol=1e-5)


def test_frames_beyond_the_camera_are_named(tmp_path):
    rng = np.random.default_rng(7)
    folder = write_tram(tmp_path / "seq", camera_body(rng, 3), random_rigid(rng, 4), np.array([2, 3, 9]))
    with pytest.raises(EstimatorInputError, match="frame 9") as info:
        read_tram_people(folder)
    assert info.value.frame == 9


def test_missing_camera_is_named(tmp_path):
    (tmp_path / "hps").mkdir()
    with pytest.raises(EstimatorInputError, match="camera.npy"):
        read_tram_people(tmp_path)
