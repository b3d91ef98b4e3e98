"""PIXIE reader on ``<savefolder>/<name>/<name>_param.pkl`` files as demos/demo_fit_body.py writes them."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from io_writers import Payload, pixie_codedict, write_pixie

from core.body.skeleton import HEAD_CHAIN, LEFT_WRIST_CHAIN, RIGHT_WRIST_CHAIN
from core.errors import FusionError, UnsafePickleError
from core.io import EstimatorInputError, read_pixie
from core.rotations import matrix_to_axis_angle


@pytest.fixture
def pixie_dir(tmp_path):
    rng = np.random.default_rng(10)
    save = tmp_path / "results"
    dicts = {}
    for frame in (180, 181, 182):
        dicts[frame] = pixie_codedict(rng)
        write_pixie(save, f"IMG_1331_frame{frame:05d}", dicts[frame])
    return save, dicts


def test_rotation_matrices_become_axis_angle(pixie_dir):
    save, dicts = pixie_dir
    est = read_pixie(save)
    assert est.frame_ids.tolist() == [180, 181, 182]
    assert est.valid.all()
    d = dicts[181]
    np.testing.assert_allclose(est.global_orient[1], matrix_to_axis_angle(d["global_pose"][0]), atol=1e-5)
    np.testing.assert_allclose(est.body_pose[1], matrix_to_axis_angle(d["body_pose"]), atol=1e-5)
    np.testing.assert_allclose(est.left_hand_pose[1], matrix_to_axis_angle(d["left_hand_pose"]), atol=1e-5)
    np.testing.assert_allclose(est.right_hand_pose[1], matrix_to_axis_angle(d["right_hand_pose"]), atol=1e-5)
    np.testing.assert_allclose(est.jaw_pose[1], matrix_to_axis_angle(d["jaw_pose"][0]), atol=1e-5)
    # R = exp([aa]x): a reader that used R^T (or the inverse rotation) would give -aa
    assert not np.allclose(est.body_pose[1], -matrix_to_axis_angle(d["body_pose"]), atol=1e-3)
    assert est.betas.shape == (3, 200) and est.expression.shape == (3, 50)
    np.testing.assert_allclose(est.betas[2], dicts[182]["shape"], rtol=1e-6)
    assert est.hand_pose_relative_to == "flat"
    assert est.model_variant == "smplx-2020"
    assert np.all(est.leye_pose == 0)
    np.testing.assert_allclose(est.bbox[0], dicts[180]["bbox"])


def test_single_file(pixie_dir):
    save, dicts = pixie_dir
    est = read_pixie(save / "IMG_1331_frame00181" / "IMG_1331_frame00181_param.pkl")
    assert est.frame_ids.tolist() == [181]


def test_body_pose_rebuilt_from_parts_with_abs_to_rel(tmp_path):
    """Without ``body_pose`` the reader assembles it as pixie.decode does: head and wrists absolute -> relative."""
    rng = np.random.default_rng(11)
    d = pixie_codedict(rng)
    glob = d["global_pose"].astype(np.float64)
    rel = d["body_pose"].astype(np.float64)  # the relative pose we expect back (joints 1..21)
    full = np.concatenate([glob, rel])

    def absolute(chain):
        r = np.eye(3)
        for j in chain:
            r = r @ full[j]
        return r

    d["partbody_pose"] = np.concatenate([rel[:11], rel[12:14], rel[15:19]]).astype(np.float32)
    d["neck_pose"] = rel[11:12].astype(np.float32)
    d["head_pose"] = absolute(HEAD_CHAIN)[None].astype(np.float32)
    d["left_wrist_pose"] = absolute(LEFT_WRIST_CHAIN)[None].astype(np.float32)
    d["right_wrist_pose"] = absolute(RIGHT_WRIST_CHAIN)[None].astype(np.float32)
    del d["body_pose"]
    write_pixie(tmp_path, "000007", d)
    est = read_pixie(tmp_path)
    np.testing.assert_allclose(est.body_pose[0], matrix_to_axis_angle(rel), atol=2e-4)
    # the wrists are rows 19 and 20 (SMPL-X joints 20, 21), the head row 14 (joint 15)
    np.testing.assert_allclose(est.body_pose[0, [14, 19, 20]], matrix_to_axis_angle(rel[[14, 19, 20]]), atol=2e-4)
    assert any("rebuilt" in n for n in est.source["conventions"]["body_pose_source"])


def test_weak_perspective_camera(pixie_dir):
    """The perspective camera reproduces PIXIE's projection u = c + s (X + tx) S / 2 at the model origin."""
    save, dicts = pixie_dir
    est = read_pixie(save)
    d = dicts[180]
    s, tx, ty = d["body_cam"].astype(np.float64)
    x0, y0, x1, y1 = d["bbox"]
    side = int(max(x1 - x0, y1 - y0) * 1.1)
    K, t = est.camera_K[0], est.transl[0]
    assert K[0, 0] == pytest.approx(5000 / 224 * side)
    np.testing.assert_allclose(K[:2, 2], [(x0 + x1) / 2, (y0 + y1) / 2])
    u = K @ t
    u = u[:2] / u[2]
    np.testing.assert_allclose(u, [(x0 + x1) / 2 + s * tx * side / 2, (y0 + y1) / 2 + s * ty * side / 2], rtol=1e-5)
    assert t[2] == pytest.approx(2 * 5000 / (224 * s), rel=1e-5)


def test_not_a_rotation(pixie_dir):
    save, dicts = pixie_dir
    d = dict(dicts[182])
    d["right_hand_pose"] = d["right_hand_pose"].copy()
    d["right_hand_pose"][3] *= 2.0
    write_pixie(save, "IMG_1331_frame00182", d)
    with pytest.raises(EstimatorInputError) as err:
        read_pixie(save)
    assert err.value.field == "right_hand_pose" and err.value.frame == 182
    assert "entry 3" in str(err.value)


def test_six_d_codes_are_explained(tmp_path):
    d = pixie_codedict(np.random.default_rng(12))
    d["body_pose"] = np.zeros((21, 6), np.float32)
    write_pixie(tmp_path, "000001", d)
    with pytest.raises(EstimatorInputError, match="6D"):
        read_pixie(tmp_path)


def test_nan_and_missing_key(pixie_dir):
    save, dicts = pixie_dir
    d = dict(dicts[181])
    d["exp"] = d["exp"].copy()
    d["exp"][7] = np.inf
    write_pixie(save, "IMG_1331_frame00181", d)
    with pytest.raises(EstimatorInputError) as err:
        read_pixie(save)
    assert (err.value.field, err.value.frame) == ("exp", 181)
    assert err.value.path.endswith("IMG_1331_frame00181_param.pkl")
    est = read_pixie(save, nonfinite="invalidate")
    assert est.valid.tolist() == [True, False, True]
    d = {k: v for k, v in dicts[181].items() if k != "body_cam"}
    write_pixie(save, "IMG_1331_frame00181", d)
    with pytest.raises(EstimatorInputError) as err:
        read_pixie(save)
    assert (err.value.field, err.value.frame) == ("body_cam", 181)


def test_malicious_and_truncated_pickles_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    folder = tmp_path / "res" / "000001"
    folder.mkdir(parents=True)
    with open(folder / "000001_param.pkl", "wb") as fh:
        pickle.dump({"global_pose": Payload(str(marker))}, fh, protocol=2)
    with pytest.raises(UnsafePickleError) as err:
        read_pixie(tmp_path / "res")
    assert "posix.system" in str(err.value) or "os.system" in str(err.value)
    assert not marker.exists()
    good = pixie_codedict(np.random.default_rng(13))
    path = write_pixie(tmp_path / "res2", "000002", good)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(FusionError) as err:
        read_pixie(path)
    assert err.value.path.endswith("000002_param.pkl")
