"""SMPLer-X / SMPLest-X readers on files laid out as the estimators write them, and on broken ones."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from io_writers import smplerx_params, smplestx_out, write_smplerx_frame

from core.io import EstimatorInputError, crop_intrinsics, read_smplerx, read_smplerx_people, read_smplestx
from core.io.smplerx import read_smplestx_people


@pytest.fixture
def smplerx_dir(tmp_path):
    """Frames 1..5, one person (bbox_id 0): (folder, {frame: params}, {frame: bbox})."""
    rng = np.random.default_rng(0)
    out = tmp_path / "smplerx_out"
    params, boxes = {}, {}
    for frame in range(1, 6):
        params[frame] = smplerx_params(rng)
        boxes[frame] = [100.0 + frame, 50.0, 384.0, 512.0]
        write_smplerx_frame(out, frame, 0, params[frame], boxes[frame])
    return out, params, boxes


def test_reads_inference_layout(smplerx_dir):
    out, params, boxes = smplerx_dir
    est = read_smplerx(out)
    assert est.frame_ids.tolist() == [1, 2, 3, 4, 5]
    assert est.valid.all()
    assert est.person_id == 0
    assert est.hand_pose_relative_to == "mean"
    assert est.model_variant == "smplx-v1.1"
    for i, frame in enumerate(range(1, 6)):
        p = params[frame]
        np.testing.assert_allclose(est.global_orient[i], p["global_orient"][0], rtol=1e-6)
        np.testing.assert_allclose(est.body_pose[i], p["body_pose"], rtol=1e-6)
        np.testing.assert_allclose(est.left_hand_pose[i], p["left_hand_pose"], rtol=1e-6)
        np.testing.assert_allclose(est.right_hand_pose[i], p["right_hand_pose"], rtol=1e-6)
        np.testing.assert_allclose(est.jaw_pose[i], p["jaw_pose"][0], rtol=1e-6)
        np.testing.assert_allclose(est.betas[i], p["betas"][0], rtol=1e-6)
        np.testing.assert_allclose(est.expression[i], p["expression"][0], rtol=1e-6)
        np.testing.assert_allclose(est.transl[i], p["transl"][0], rtol=1e-6)
    # the body box is the detector's (bbox_mmdet, xywh) as x0, y0, x1, y1
    b = boxes[1]
    np.testing.assert_allclose(est.bbox[0], [b[0] + 10, b[1] + 20, b[0] + 10 + b[2] * 0.6, b[1] + 20 + b[3] * 0.7])
    assert "mean" in est.source["conventions"]["hand_pose_relative_to"]
    assert est.source["warnings"] == []
    # the smplx/ folder itself reads the same (meta/ is its sibling)
    again = read_smplerx(out / "smplx")
    np.testing.assert_array_equal(again.body_pose, est.body_pose)


def test_intrinsics_formula_hand_computed():
    # fx = 5000/192 * w, fy = 5000/256 * h, cx = 96/192 * w + x0, cy = 128/256 * h + y0
    K = crop_intrinsics(np.array([10.0, 20.0, 300.0, 200.0]))
    np.testing.assert_allclose(K, [[7812.5, 0.0, 160.0], [0.0, 3906.25, 120.0], [0.0, 0.0, 1.0]])


def test_meta_focal_princpt_used_as_written(tmp_path):
    rng = np.random.default_rng(1)
    out = tmp_path / "o"
    _, meta = write_smplerx_frame(out, 7, 0, smplerx_params(rng), [10, 20, 300, 200])
    doc = json.loads(meta.read_text())
    doc["focal"] = [1111.0, 2222.0]
    doc["princpt"] = [333.0, 444.0]
    meta.write_text(json.dumps(doc))
    est = read_smplerx(out)
    np.testing.assert_allclose(est.camera_K[0], [[1111.0, 0, 333.0], [0, 2222.0, 444.0], [0, 0, 1]])
    assert est.frame_ids.tolist() == [7]


def test_formula_used_when_meta_has_only_the_box(tmp_path):
    rng = np.random.default_rng(2)
    out = tmp_path / "o"
    write_smplerx_frame(out, 3, 0, smplerx_params(rng), [10, 20, 300, 200], with_focal=False)
    est = read_smplerx(out)
    np.testing.assert_allclose(est.camera_K[0], [[7812.5, 0, 160.0], [0, 3906.25, 120.0], [0, 0, 1]])
    assert any("crop formula" in c for c in est.source["camera"])


def test_several_people_are_kept_apart(tmp_path):
    rng = np.random.default_rng(3)
    out = tmp_path / "o"
    for frame in (1, 2, 3):
        write_smplerx_frame(out, frame, 0, smplerx_params(rng), [0, 0, 192, 256])
        write_smplerx_frame(out, frame, 1, smplerx_params(rng), [300, 0, 192, 256])
    with pytest.raises(EstimatorInputError, match=r"2 people .*0, 1"):
        read_smplerx(out)
    people = read_smplerx_people(out)
    assert [p.person_id for p in people] == [0, 1]
    assert all(p.frame_ids.tolist() == [1, 2, 3] for p in people)
    second = read_smplerx(out, person_id=1)
    assert second.camera_K[0, 0, 2] == pytest.approx(96 + 300)
    assert "not a temporal track" in second.source["person_id_meaning"]


def test_missing_frame_becomes_invalid_row(smplerx_dir):
    out, _, _ = smplerx_dir
    (out / "smplx" / "00003_0.npz").unlink()
    est = read_smplerx(out)
    assert est.frame_ids.tolist() == [1, 2, 3, 4, 5]
    assert est.valid.tolist() == [True, True, False, True, True]
    assert np.all(est.body_pose[2] == 0)
    np.testing.assert_allclose(est.camera_K[2], est.camera_K[1])  # nearest valid camera
    assert any("missing" in w and "3" in w for w in est.source["warnings"])


def test_nan_names_file_field_and_frame(smplerx_dir):
    out, params, _ = smplerx_dir
    p = dict(params[4])
    p["body_pose"] = p["body_pose"].copy()
    p["body_pose"][5, 1] = np.nan
    np.savez(out / "smplx" / "00004_0.npz", **p)
    with pytest.raises(EstimatorInputError) as err:
        read_smplerx(out)
    e = err.value
    assert e.field == "body_pose" and e.frame == 4 and e.path.endswith("00004_0.npz")
    assert "00004_0.npz" in str(e) and "frame 4" in str(e)
    est = read_smplerx(out, nonfinite="invalidate")
    assert est.valid.tolist() == [True, True, True, False, True]
    assert np.isfinite(est.body_pose).all()
    assert any("body_pose" in w and "4" in w for w in est.source["warnings"])


def test_nan_in_meta_names_the_json(smplerx_dir):
    out, _, _ = smplerx_dir
    meta = out / "meta" / "00002_0.json"
    doc = json.loads(meta.read_text())
    doc["focal"][1] = float("nan")
    meta.write_text(json.dumps(doc))
    with pytest.raises(EstimatorInputError) as err:
        read_smplerx(out)
    assert (err.value.field, err.value.frame) == ("focal", 2) and err.value.path.endswith("00002_0.json")


def test_missing_key_and_wrong_shape(smplerx_dir):
    out, params, _ = smplerx_dir
    p = {k: v for k, v in params[2].items() if k != "right_hand_pose"}
    np.savez(out / "smplx" / "00002_0.npz", **p)
    with pytest.raises(EstimatorInputError) as err:
        read_smplerx(out)
    assert err.value.field == "right_hand_pose" and err.value.path.endswith("00002_0.npz")
    assert "missing" in str(err.value)
    p = dict(params[2])
    p["body_pose"] = np.zeros((20, 3))
    np.savez(out / "smplx" / "00002_0.npz", **p)
    with pytest.raises(EstimatorInputError) as err:
        read_smplerx(out)
    assert err.value.field == "body_pose" and "(20, 3)" in str(err.value)


def test_truncated_npz(smplerx_dir):
    out, _, _ = smplerx_dir
    f = out / "smplx" / "00005_0.npz"
    f.write_bytes(f.read_bytes()[:200])
    with pytest.raises(EstimatorInputError) as err:
        read_smplerx(out)
    assert err.value.path.endswith("00005_0.npz") and "truncated" in str(err.value)


def test_duplicate_frame_is_reported(smplerx_dir):
    out, params, _ = smplerx_dir
    np.savez(out / "smplx" / "003_0.npz", **params[3])  # frame 3 of person 0 a second time
    (out / "meta" / "003_0.json").write_text((out / "meta" / "00003_0.json").read_text())
    with pytest.raises(EstimatorInputError) as err:
        read_smplerx(out)
    assert err.value.frame == 3
    assert "00003_0.npz" in str(err.value) and "003_0.npz" in str(err.value)


def test_no_camera_is_an_error(tmp_path):
    rng = np.random.default_rng(4)
    out = tmp_path / "o"
    write_smplerx_frame(out, 1, 0, smplerx_params(rng), [0, 0, 192, 256], meta=False)
    with pytest.raises(EstimatorInputError, match="no camera"):
        read_smplerx(out)


# ---------------------------------------------------------------------------------------------- SMPLest-X

def test_smplestx_batched_with_box_and_unsorted_frames(tmp_path):
    rng = np.random.default_rng(5)
    out = smplestx_out(rng, 4)
    frames = np.array([10, 12, 11, 13])
    boxes = np.array([[10.0, 20.0, 300.0, 200.0]] * 4)
    path = tmp_path / "smplestx.npz"
    np.savez(path, frame_ids=frames, bbox=boxes, **out)
    est = read_smplestx(path)
    assert est.frame_ids.tolist() == [10, 11, 12, 13]
    order = [0, 2, 1, 3]
    np.testing.assert_allclose(est.body_pose, out["smplx_body_pose"][order].reshape(4, 21, 3))
    np.testing.assert_allclose(est.left_hand_pose, out["smplx_lhand_pose"][order].reshape(4, 15, 3))
    np.testing.assert_allclose(est.transl, out["cam_trans"][order])
    assert np.all(est.leye_pose == 0) and np.all(est.reye_pose == 0)
    assert est.source["defaults"]["leye_pose"] == "zeros"
    np.testing.assert_allclose(est.camera_K[0], [[7812.5, 0, 160.0], [0, 3906.25, 120.0], [0, 0, 1]])
    assert est.hand_pose_relative_to == "mean"
    assert any("not in frame order" in w for w in est.source["warnings"])


def test_smplestx_pickle_and_per_frame_files(tmp_path):
    rng = np.random.default_rng(6)
    out = smplestx_out(rng, 3)
    folder = tmp_path / "per_frame"
    folder.mkdir()
    for i, frame in enumerate((4, 5, 7)):
        one = {k: v[i:i + 1] for k, v in out.items()}
        one["focal"] = np.array([[1500.0, 1500.0]])
        one["princpt"] = np.array([[640.0, 360.0]])
        with open(folder / f"frame_{frame:06d}.pkl", "wb") as fh:
            pickle.dump(one, fh)
    est = read_smplestx(folder)
    assert est.frame_ids.tolist() == [4, 5, 6, 7]
    assert est.valid.tolist() == [True, True, False, True]
    np.testing.assert_allclose(est.jaw_pose[[0, 1, 3]], out["smplx_jaw_pose"])
    np.testing.assert_allclose(est.camera_K[3], [[1500, 0, 640], [0, 1500, 360], [0, 0, 1]])


def test_smplestx_mismatched_lengths_and_people(tmp_path):
    rng = np.random.default_rng(7)
    out = smplestx_out(rng, 4)
    out["smplx_expr"] = out["smplx_expr"][:3]
    path = tmp_path / "bad.npz"
    np.savez(path, bbox=np.array([[0, 0, 192, 256]] * 4, float), **out)
    with pytest.raises(EstimatorInputError) as err:
        read_smplestx(path)
    assert err.value.field == "smplx_expr" and "3 rows" in str(err.value)
    out = smplestx_out(rng, 4)
    path = tmp_path / "two.npz"
    np.savez(path, frame_ids=[0, 0, 1, 1], person_id=[0, 1, 0, 1], bbox=np.array([[0, 0, 192, 256]] * 4, float),
             **out)
    people = read_smplestx_people(path)
    assert [p.person_id for p in people] == [0, 1]
    np.testing.assert_allclose(people[1].transl, out["cam_trans"][[1, 3]])
