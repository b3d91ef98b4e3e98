"""4D-Humans / PHALP results (joblib .pkl keyed by frame path): tracks, SMPL -> SMPL-X, the camera, predictions."""
from __future__ import annotations

import pickle
import zlib

import numpy as np
import pytest
from joblib_writer import dump_like_joblib
from phalp_writer import H, W, write_phalp
from phalp_writer import smpl_params as _smpl
from scipy.spatial.transform import Rotation

from core.errors import FusionError, UnsafePickleError
from core.io import detect_format, read_bodies
from core.io.input_errors import EstimatorInputError
from core.io.phalp import phalp_intrinsics, read_phalp_people


def test_tracks_rotations_camera_and_predicted_rows(tmp_path):
    path, truth = write_phalp(tmp_path / "demo_video.pkl")
    assert detect_format(path) == "phalp"
    people = read_bodies(path)
    assert [p.person_id for p in people] == [1, 4]
    p1 = people[0]
    assert p1.source["predicted_rows"] == 1 and p1.source["track_id"] == 1
    np.testing.assert_array_equal(p1.frame_ids, np.arange(1, 7))
    assert p1.valid.tolist() == [True, True, True, True, False, True]  # (tid 1, index 4) was predicted
    assert people[1].valid.all()
    smpl, cam, box, _ = truth[(1, 3)]
    r = 2
    np.testing.assert_allclose(p1.global_orient[r], Rotation.from_matrix(smpl["global_orient"][0]).as_rotvec(),
                               atol=1e-5)
    np.testing.assert_allclose(p1.body_pose[r], Rotation.from_matrix(smpl["body_pose"][:21]).as_rotvec(), atol=1e-5)
    np.testing.assert_allclose(p1.betas[r], smpl["betas"], atol=1e-6)
    np.testing.assert_allclose(p1.transl[r], cam, atol=1e-6)
    np.testing.assert_allclose(p1.bbox[r], [box[0], box[1], box[0] + box[2], box[1] + box[3]])
    assert p1.hand_pose_relative_to == "flat" and not p1.left_hand_pose.any()
    np.testing.assert_array_equal(p1.image_size, [W, H])


def test_camera_is_hmr2s_render_of_the_padded_square(tmp_path):
    """A camera-frame point projects where HMR 2.0 / PHALP draw it: focal 5000 and centre 128 on the 256 render
    of the image padded to a square, scaled back and un-padded. ``size`` is [H, W]: reading it as [W, H] moves
    the principal point (this case fails then)."""
    path, _ = write_phalp(tmp_path / "v.pkl", frames=2, predicted=())
    k = read_bodies(path)[0].camera_K[0]
    s = max(H, W)
    left, top = (s - W) // 2, (s - H) // 2
    point = np.array([0.4, -0.3, 7.0])
    u256 = 5000.0 * point[:2] / point[2] + 128.0
    expected = u256 * s / 256.0 - np.array([left, top])
    uvw = k @ point
    np.testing.assert_allclose(uvw[:2] / uvw[2], expected, atol=1e-9)
    np.testing.assert_allclose(phalp_intrinsics(H, W), k)
    assert not np.allclose(phalp_intrinsics(W, H), k)


def test_plain_pickle_and_uncompressed_joblib_read_alike(tmp_path):
    path, _ = write_phalp(tmp_path / "a.pkl", frames=3, predicted=())
    raw = zlib.decompress(path.read_bytes())
    (tmp_path / "b.pkl").write_bytes(raw)
    a, b = read_phalp_people(path), read_phalp_people(tmp_path / "b.pkl")
    np.testing.assert_array_equal(a[1].body_pose, b[1].body_pose)


def test_bad_files_say_file_field_and_frame(tmp_path):
    path, _ = write_phalp(tmp_path / "a.pkl", frames=3, predicted=())
    data = path.read_bytes()
    (tmp_path / "cut.pkl").write_bytes(zlib.decompress(data)[:-40])
    with pytest.raises(UnsafePickleError) as info:
        read_phalp_people(tmp_path / "cut.pkl")
    assert "cut.pkl" in str(info.value)

    class Evil:
        def __reduce__(self):
            return (print, ("never run",))
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"x.jpg": {"tid": [1], "smpl": [Evil()]}}))
    with pytest.raises(FusionError, match="builtins.print"):
        read_phalp_people(tmp_path / "evil.pkl")

    rng = np.random.default_rng(1)
    bad = {"/v/000003.jpg": {"time": 2, "tid": [1, 2], "smpl": [_smpl(rng)], "camera": [np.ones(3)] * 2}}
    dump_like_joblib(bad, tmp_path / "short.pkl")
    with pytest.raises(EstimatorInputError) as info:
        read_phalp_people(tmp_path / "short.pkl")
    assert info.value.field == "smpl" and info.value.frame == 3

    skew = {"/v/000007.jpg": {"time": 6, "tid": [1], "smpl": [dict(_smpl(rng), body_pose=np.ones((23, 3, 3)))],
                              "camera": [np.ones(3)], "size": [[H, W]]}}
    dump_like_joblib(skew, tmp_path / "skew.pkl")
    with pytest.raises(EstimatorInputError) as info:
        read_phalp_people(tmp_path / "skew.pkl")
    assert info.value.field == "smpl.body_pose" and info.value.frame == 7
