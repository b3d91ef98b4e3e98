"""AMASS-style npz reader: SMPL-X (165 columns), SMPL+H (156), split keys, defaults, broken inputs."""
from __future__ import annotations

import numpy as np
import pytest

from core.io import EstimatorInputError, read_amass


def _poses(t: int, cols: int) -> np.ndarray:
    """Each column holds its own index (plus the frame / 1000), so every slice is recognisable."""
    return np.arange(cols)[None, :] * 0.001 + np.arange(t)[:, None] * 1e-6


def test_smplx_column_layout(tmp_path):
    t = 6
    poses = _poses(t, 165)
    path = tmp_path / "seq_stageii.npz"
    np.savez(path, poses=poses, trans=np.ones((t, 3)), betas=np.arange(16) * 0.1, gender=np.array("female"),
             mocap_frame_rate=np.array(120.0), surface_model_type=np.array("smplx"))
    est = read_amass(path)
    np.testing.assert_allclose(est.global_orient, poses[:, 0:3])
    np.testing.assert_allclose(est.body_pose.reshape(t, 63), poses[:, 3:66])
    np.testing.assert_allclose(est.jaw_pose, poses[:, 66:69])
    np.testing.assert_allclose(est.leye_pose, poses[:, 69:72])
    np.testing.assert_allclose(est.reye_pose, poses[:, 72:75])
    np.testing.assert_allclose(est.left_hand_pose.reshape(t, 45), poses[:, 75:120])
    np.testing.assert_allclose(est.right_hand_pose.reshape(t, 45), poses[:, 120:165])
    assert est.hand_pose_relative_to == "flat"
    assert est.betas.shape == (t, 16) and np.allclose(est.betas[3], np.arange(16) * 0.1)
    assert est.source["fps"] == 120.0 and est.source["gender"] == "female"
    assert est.source["defaults"] == {"expression": "zeros (10 components; the file has none)"}
    assert est.frame_ids.tolist() == list(range(t))
    K = est.camera_K[0]
    np.testing.assert_allclose(K, [[1000, 0, 500], [0, 1000, 500], [0, 0, 1]])
    np.testing.assert_allclose(est.image_size, [1000, 1000])
    assert "no camera" in est.source["camera"]["kind"]
    assert "world" in est.source["conventions"]["coordinate_frame"]


def test_smplh_156_columns(tmp_path):
    t = 4
    poses = _poses(t, 156)
    path = tmp_path / "old_poses.npz"
    np.savez(path, poses=poses, trans=np.zeros((t, 3)), betas=np.zeros(16), gender=np.array(b"male"),
             mocap_framerate=np.array(60.0), dmpls=np.zeros((t, 8)))
    est = read_amass(path)
    np.testing.assert_allclose(est.left_hand_pose.reshape(t, 45), poses[:, 66:111])
    np.testing.assert_allclose(est.right_hand_pose.reshape(t, 45), poses[:, 111:156])
    assert np.all(est.jaw_pose == 0) and np.all(est.leye_pose == 0)
    assert est.source["fps"] == 60.0 and est.source["gender"] == "male"
    assert est.model_variant == "smplh"
    assert "jaw_pose, leye_pose, reye_pose" in est.source["defaults"]


def test_split_keys_and_defaults(tmp_path):
    t = 3
    rng = np.random.default_rng(20)
    hands = rng.normal(size=(t, 90))
    eyes = rng.normal(size=(t, 6))
    path = tmp_path / "split.npz"
    np.savez(path, root_orient=rng.normal(size=(t, 3)), pose_body=rng.normal(size=(t, 63)),
             pose_jaw=rng.normal(size=(t, 3)), pose_eye=eyes, pose_hand=hands, trans=np.zeros((t, 3)),
             betas=np.zeros((1, 10)))
    est = read_amass(path)
    np.testing.assert_allclose(est.left_hand_pose.reshape(t, 45), hands[:, :45])
    np.testing.assert_allclose(est.right_hand_pose.reshape(t, 45), hands[:, 45:])
    np.testing.assert_allclose(est.leye_pose, eyes[:, :3])
    np.testing.assert_allclose(est.reye_pose, eyes[:, 3:])
    assert est.source["gender"] == "neutral" and "neutral" in est.source["defaults"]["gender"]
    assert est.source["fps"] == 30.0 and "30" in est.source["defaults"]["fps"]
    assert read_amass(path, fps=24).source["fps"] == 24.0
    assert read_amass(path, default_fps=50).source["fps"] == 50.0
    assert "fps" not in read_amass(path, fps=24).source["defaults"]


def test_gender_saved_as_object_array_reads_without_plain_pickle(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, poses=_poses(2, 165), trans=np.zeros((2, 3)), betas=np.zeros(10),
             gender=np.array("male", dtype=object), mocap_frame_rate=np.array(30.0))
    assert read_amass(path).source["gender"] == "male"


def test_nan_wrong_shape_missing_key(tmp_path):
    poses = _poses(5, 165)
    poses[3, 80] = np.nan
    path = tmp_path / "nan.npz"
    np.savez(path, poses=poses, trans=np.zeros((5, 3)), betas=np.zeros(10))
    with pytest.raises(EstimatorInputError) as err:
        read_amass(path)
    assert (err.value.field, err.value.frame) == ("poses", 3) and err.value.path.endswith("nan.npz")
    est = read_amass(path, nonfinite="invalidate")
    assert est.valid.tolist() == [True, True, True, False, True]
    np.savez(path, poses=np.zeros((5, 100)), trans=np.zeros((5, 3)), betas=np.zeros(10))
    with pytest.raises(EstimatorInputError, match=r"\(T, 165\)"):
        read_amass(path)
    np.savez(path, poses=np.zeros((5, 165)), betas=np.zeros(10))
    with pytest.raises(EstimatorInputError) as err:
        read_amass(path)
    assert err.value.field == "trans"
    np.savez(path, poses=np.zeros((5, 165)), trans=np.zeros((4, 3)), betas=np.zeros(10))
    with pytest.raises(EstimatorInputError) as err:
        read_amass(path)
    assert err.value.field == "trans" and "4 rows" in str(err.value)
