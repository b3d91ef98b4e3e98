"""GVHMR ``hmr4d_results.pt`` (written here as ``tools/demo/demo.py`` writes it): camera-frame body, the camera
derived from the two root poses about the pelvis, mean hands not predicted, a y-up world."""
from __future__ import annotations

import numpy as np
import pytest
from world_writers import camera_body, random_rigid, write_gvhmr

from core.io import detect_format, read_body
from core.io.input_errors import EstimatorInputError
from core.io.world.camera_trajectory import camera_from_root_poses, invert_rigid
from core.io.world.gvhmr import read_gvhmr
from core.rotations import axis_angle_to_matrix


@pytest.fixture()
def take(tmp_path, world_model):
    rng = np.random.default_rng(3)
    body = camera_body(rng, 8)
    world_from_camera = random_rigid(rng, 8)
    path = write_gvhmr(tmp_path / "demo" / "hmr4d_results.pt", world_model, body, world_from_camera)
    return path, body, world_from_camera


def test_reads_the_camera_frame_body_and_the_file_camera(take, world_model):
    path, body, world_from_camera = take
    est = read_gvhmr(path, model=world_model)
    assert detect_format(path) == "gvhmr" and detect_format(path.parent) == "gvhmr"
    np.testing.assert_array_equal(est.frame_ids, np.arange(8))
    np.testing.assert_allclose(est.global_orient, body["global_orient"], atol=1e-6)
    np.testing.assert_allclose(est.body_pose, body["body_pose"], atol=1e-6)
    np.testing.assert_allclose(est.transl, body["transl"], atol=1e-6)
    np.testing.assert_allclose(est.camera_K[:, 0, 0], 1000.0)
    # camera-to-world, as the writer placed the world body: the inverse (world-to-camera) would fail
    np.testing.assert_allclose(est.world_from_camera, world_from_camera, atol=2e-5)
    assert np.abs(invert_rigid(est.world_from_camera) - world_from_camera).max() > 0.1
    np.testing.assert_array_equal(est.world_up, [0.0, 1.0, 0.0])


def test_the_camera_turns_about_the_pelvis_not_the_origin(take, world_model):
    path, body, world_from_camera = take
    est = read_gvhmr(path, model=world_model)
    import torch

    pred = torch.load(path, weights_only=True)
    w, c = pred["smpl_params_global"], pred["smpl_params_incam"]
    naive = camera_from_root_poses(axis_angle_to_matrix(w["global_orient"].double().numpy()),
                                   w["transl"].double().numpy(), axis_angle_to_matrix(c["global_orient"].double()
                                                                                       .numpy()),
                                   c["transl"].double().numpy(), np.zeros(3))
    assert np.abs(naive[:, :3, 3] - world_from_camera[:, :3, 3]).max() > 0.01  # J0 matters by centimetres
    assert np.abs(est.world_from_camera[:, :3, 3] - world_from_camera[:, :3, 3]).max() < 2e-5


def test_hands_are_the_mean_hand_and_not_predicted(take, world_model):
    est = read_body(take[0], model=world_model)
    assert est.hand_pose_relative_to == "mean" and est.hands_predicted is False
    assert not est.left_hand_pose.any() and not est.right_hand_pose.any()
    assert est.source["format"] == "gvhmr"


def test_missing_and_bad_fields_name_file_and_field(tmp_path, world_model):
    import torch

    path = tmp_path / "hmr4d_results.pt"
    torch.save({"smpl_params_incam": {"global_orient": torch.zeros(3, 3)}, "smpl_params_global": {}}, path)
    with pytest.raises(EstimatorInputError, match="body_pose") as info:
        read_gvhmr(path, model=world_model)
    assert str(path) in str(info.value)
    torch.save({"x": torch.zeros(2)}, path)
    with pytest.raises(EstimatorInputError, match="smpl_params_incam"):
        read_gvhmr(path, model=world_model)


def test_code_in_a_torch_file_is_refused(tmp_path):
    import pickle

    import torch

    class Evil:
        def __reduce__(self):
            return (print, ("ran",))

    path = tmp_path / "hmr4d_results.pt"
    torch.save({"smpl_params_incam": Evil()}, path, pickle_module=pickle)
    with pytest.raises(EstimatorInputError, match="weights_only"):
        read_gvhmr(path)
