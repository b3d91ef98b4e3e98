"""PromptHMR ``results.pkl`` (joblib): world SMPL-X bodies re-expressed in the camera frame about the pelvis,
camera-to-world ``Rwc`` / ``Twc``, flat hands (zero: not predicted)."""
from __future__ import annotations

import numpy as np
import pytest
from world_writers import camera_body, random_rigid, write_prompthmr

from core.io import detect_format, read_bodies
from core.io.input_errors import EstimatorInputError
from core.io.world.prompthmr import read_prompthmr, read_prompthmr_people


@pytest.fixture()
def take(tmp_path, world_model):
    rng = np.random.default_rng(9)
    world_from_camera = random_rigid(rng, 10)
    people = {0: (camera_body(rng, 4), np.array([1, 2, 3, 4])), 3: (camera_body(rng, 3), np.array([5, 6, 8]))}
    path = write_prompthmr(tmp_path / "seq" / "results.pkl", world_model, people, world_from_camera)
    return path, people, world_from_camera


def test_people_come_back_in_the_camera_frame(take, world_model):
    path, people, world_from_camera = take
    got = read_prompthmr_people(path, model=world_model)
    assert [p.person_id for p in got] == [0, 3]
    for est, (body, frames) in zip(got, people.values()):
        rows = np.searchsorted(est.frame_ids, frames)
        np.testing.assert_allclose(est.global_orient[rows], body["global_orient"], atol=1e-7)
        np.testing.assert_allclose(est.transl[rows], body["transl"], atol=1e-7)
        np.testing.assert_allclose(est.world_from_camera[rows], world_from_camera[frames], atol=1e-12)
        assert est.hand_pose_relative_to == "flat" and est.hands_predicted is False
    np.testing.assert_allclose(got[0].camera_K[0, 0, 0], 1100.0)
    assert detect_format(path) == "prompthmr" and detect_format(path.parent) == "prompthmr"
    assert len(read_bodies(path, model=world_model)) == 2


def test_camera_to_world_not_world_to_camera(take, world_model, tmp_path):
    path, people, world_from_camera = take
    import joblib

    data = joblib.load(path)
    cam = data["camera_world"]
    cam["Rwc"], cam["Rcw"] = cam["Rcw"], cam["Rwc"]
    cam["Twc"], cam["Tcw"] = cam["Tcw"], cam["Twc"]
    joblib.dump(data, tmp_path / "swapped.pkl")
    est = read_prompthmr(tmp_path / "swapped.pkl", person_id=0, model=world_model)
    body, frames = people[0]
    assert np.abs(est.transl[np.searchsorted(est.frame_ids, frames)] - body["transl"]).max() > 0.1


def test_predicted_hands_are_kept(take, world_model, tmp_path):
    import joblib

    data = joblib.load(take[0])
    data["people"][0]["smplx_world"]["pose"][:, 75:78] = 0.3
    joblib.dump(data, tmp_path / "hands.pkl")
    est = read_prompthmr(tmp_path / "hands.pkl", person_id=0, model=world_model)
    assert est.hands_predicted is True
    np.testing.assert_allclose(est.left_hand_pose[:, 0], 0.3)


def test_missing_camera_world_is_named(tmp_path):
    import joblib

    joblib.dump({"people": {}}, tmp_path / "results.pkl")
    with pytest.raises(EstimatorInputError, match="camera_world"):
        read_prompthmr_people(tmp_path / "results.pkl")
