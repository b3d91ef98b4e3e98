"""WiLoR / HaMeR reader: nested and flattened dumps, several hands per frame, left hands kept as predicted."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from io_writers import cam_crop_to_full, flatten_wilor, wilor_out

from core.io import EstimatorInputError, read_wilor
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle


def _dump_pkl(path, obj):
    with open(path, "wb") as fh:
        pickle.dump(obj, fh)


@pytest.fixture
def wilor_dir(tmp_path):
    """One pkl per frame (frames 5..7), each with a left and a right hand, nested pred_mano_params."""
    rng = np.random.default_rng(40)
    folder = tmp_path / "hands"
    folder.mkdir()
    outs = {}
    for frame in (5, 6, 7):
        outs[frame] = wilor_out(rng, right=[0.0, 1.0])
        _dump_pkl(folder / f"{frame:06d}.pkl", outs[frame])
    return folder, outs


def test_nested_per_frame_dumps(wilor_dir):
    folder, outs = wilor_dir
    hands = read_wilor(folder)
    assert hands.frame_ids.tolist() == [5, 5, 6, 6, 7, 7]
    assert hands.is_right.tolist() == [False, True] * 3
    o = outs[6]
    np.testing.assert_allclose(hands.global_orient[2:4], o["pred_mano_params"]["global_orient"][:, 0], rtol=1e-6)
    np.testing.assert_allclose(hands.hand_pose[2:4], o["pred_mano_params"]["hand_pose"], rtol=1e-6)
    np.testing.assert_allclose(hands.betas[2:4], o["pred_mano_params"]["betas"], rtol=1e-6)
    np.testing.assert_allclose(hands.keypoints_3d[2:4], o["pred_keypoints_3d"], rtol=1e-6)
    np.testing.assert_allclose(hands.box_center[2:4], o["box_center"], rtol=1e-6)
    np.testing.assert_allclose(hands.box_size[2:4], o["box_size"], rtol=1e-6)
    np.testing.assert_allclose(hands.image_size, [1280, 720])
    assert "flat" in hands.source["conventions"]["hand_pose_relative_to"]


def test_left_hand_rotations_stay_as_predicted(wilor_dir):
    """The left hand (is_right False) keeps the mirrored rotation the right-hand model predicted: no M R M."""
    folder, outs = wilor_dir
    hands = read_wilor(folder)
    predicted = outs[5]["pred_mano_params"]["global_orient"][0, 0].astype(np.float64)
    np.testing.assert_allclose(hands.global_orient[0], predicted, atol=1e-6)
    mirror = np.diag([-1.0, 1.0, 1.0])
    assert not np.allclose(hands.global_orient[0], mirror @ predicted @ mirror, atol=1e-3)
    assert "still mirrored" in hands.source["conventions"]["rotations"]


def test_flattened_per_crop_npz_and_axis_angle(tmp_path):
    rng = np.random.default_rng(41)
    folder = tmp_path / "crops"
    folder.mkdir()
    o = wilor_out(rng, right=[1.0])
    np.savez(folder / "000010_0.npz", **flatten_wilor(o))
    o2 = wilor_out(rng, right=[0.0])
    flat = flatten_wilor(o2)
    aa = matrix_to_axis_angle(o2["pred_mano_params"]["hand_pose"].astype(np.float64))  # (1, 15, 3)
    flat["pred_mano_params.hand_pose"] = aa.reshape(1, 45)
    np.savez(folder / "000010_1.npz", **flat)
    hands = read_wilor(folder)
    assert hands.frame_ids.tolist() == [10, 10]
    assert hands.source["crop_index"] == [0, 1]
    np.testing.assert_allclose(hands.hand_pose[1], axis_angle_to_matrix(aa[0]), atol=1e-6)
    assert hands.source["converted_from_axis_angle"] == ["pred_mano_params.hand_pose"]


def test_pred_cam_tx_unmirrored_by_demo_is_flipped_back(tmp_path):
    rng = np.random.default_rng(42)
    o = wilor_out(rng, right=[0.0, 1.0])
    predicted = o["pred_cam"].astype(np.float64).copy()
    # demo.py: pred_cam[:, 1] = (2 * right - 1) * pred_cam[:, 1] in place, then cam_crop_to_full
    o["pred_cam"][:, 1] *= 2 * o["right"] - 1
    focal = 5000 / 256 * o["img_size"].max(axis=1)
    o["pred_cam_t_full"] = cam_crop_to_full(o["pred_cam"].astype(np.float64), o["box_center"], o["box_size"],
                                            o["img_size"], focal)
    path = tmp_path / "000001.pkl"
    _dump_pkl(path, o)
    hands = read_wilor(path)
    np.testing.assert_allclose(hands.pred_cam, predicted, rtol=1e-6)
    assert any("flipped back" in w for w in hands.source["warnings"])
    # a dump of the raw model output (before demo.py's in-place flip) is left alone
    o["pred_cam"] = predicted.astype(np.float32)
    o["pred_cam_t_full"] = cam_crop_to_full(np.where(o["right"][:, None] == 0, predicted * [1, -1, 1], predicted),
                                            o["box_center"], o["box_size"], o["img_size"], focal)
    _dump_pkl(path, o)
    hands = read_wilor(path)
    np.testing.assert_allclose(hands.pred_cam, predicted, rtol=1e-6)
    assert not any("flipped back" in w for w in hands.source["warnings"])


def test_batched_with_frame_key_out_of_order(tmp_path):
    rng = np.random.default_rng(43)
    o = flatten_wilor(wilor_out(rng, right=[1, 0, 1]))
    o["frame_ids"] = np.array([9, 3, 3])
    path = tmp_path / "all_hands.npz"
    np.savez(path, **o)
    hands = read_wilor(path)
    assert hands.frame_ids.tolist() == [3, 3, 9]
    assert hands.is_right.tolist() == [False, True, True]
    np.testing.assert_allclose(hands.box_size, o["box_size"][[1, 2, 0]])
    assert any("not in frame order" in w for w in hands.source["warnings"])


def test_broken_dumps(wilor_dir):
    folder, outs = wilor_dir
    o = outs[6]
    o["pred_mano_params"]["betas"] = o["pred_mano_params"]["betas"].copy()
    o["pred_mano_params"]["betas"][1, 2] = np.nan
    _dump_pkl(folder / "000006.pkl", o)
    with pytest.raises(EstimatorInputError) as err:
        read_wilor(folder)
    assert (err.value.field, err.value.frame) == ("pred_mano_params.betas", 6)
    assert err.value.path.endswith("000006.pkl")
    hands = read_wilor(folder, nonfinite="invalidate")
    assert hands.frame_ids.tolist() == [5, 5, 6, 7, 7]
    assert any("betas" in w for w in hands.source["warnings"])
    del o["box_size"]
    _dump_pkl(folder / "000006.pkl", o)
    with pytest.raises(EstimatorInputError) as err:
        read_wilor(folder)
    assert (err.value.field, err.value.frame) == ("box_size", 6)
    _dump_pkl(folder / "000006.pkl", wilor_out(np.random.default_rng(44), right=[1.0]))
    o = dict(outs[7])
    o["pred_keypoints_3d"] = np.zeros((2, 20, 3))
    _dump_pkl(folder / "000007.pkl", o)
    with pytest.raises(EstimatorInputError) as err:
        read_wilor(folder)
    assert err.value.field == "pred_keypoints_3d"


def test_duplicate_frame_files(wilor_dir):
    folder, outs = wilor_dir
    _dump_pkl(folder / "frame_000005.pkl", outs[5])
    with pytest.raises(EstimatorInputError) as err:
        read_wilor(folder)
    assert err.value.frame == 5 and "000005.pkl" in str(err.value) and "frame_000005.pkl" in str(err.value)
