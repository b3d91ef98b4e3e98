"""EMOCA reader: save_codes folders, codes dicts, face boxes."""
from __future__ import annotations

import json

import numpy as np
import pytest
from io_writers import emoca_vals, save_codes

from core.io import EstimatorInputError, read_emoca, read_emoca_faces


@pytest.fixture
def codes_dir(tmp_path):
    """test_emoca_on_video.py layout: results/EMOCA/<frame %06d>_<face %03d>/ for frames 1..4, one face."""
    rng = np.random.default_rng(30)
    vals = emoca_vals(rng, 4)
    out = tmp_path / "results" / "EMOCA"
    for i in range(4):
        save_codes(out, f"{i + 1:06d}_000", vals, i)
    return out, vals


def test_save_codes_posecode_split(codes_dir):
    out, vals = codes_dir
    face = read_emoca(out)
    assert face.frame_ids.tolist() == [1, 2, 3, 4]
    assert face.valid.all()
    np.testing.assert_allclose(face.jaw_pose, vals["posecode"][:, 3:6])   # jaw = posecode[3:6]
    np.testing.assert_allclose(face.global_pose, vals["posecode"][:, 0:3])
    np.testing.assert_allclose(face.expression, vals["expcode"])
    np.testing.assert_allclose(face.shape, vals["shapecode"])
    assert face.cam is None and face.bbox is None  # save_codes keeps neither
    assert face.source["face_index"] == 0
    assert "[3:6] jaw" in face.source["conventions"]["posecode"]


def test_save_codes_without_index_and_single_folder(tmp_path):
    vals = emoca_vals(np.random.default_rng(31), 1)
    folder = save_codes(tmp_path, "frame_000042", vals)  # i=None: arrays keep their (1, D) batch axis
    face = read_emoca(folder)
    assert face.frame_ids.tolist() == [42]
    np.testing.assert_allclose(face.jaw_pose[0], vals["posecode"][0, 3:6])


def test_box_files(codes_dir, tmp_path):
    out, _ = codes_dir
    boxes = {str(f): [10.0 * f, 20.0, 10.0 * f + 100, 140.0] for f in range(1, 5)}
    jpath = tmp_path / "boxes.json"
    jpath.write_text(json.dumps(boxes))
    face = read_emoca(out, bbox=jpath)
    np.testing.assert_allclose(face.bbox[2], [30.0, 20.0, 130.0, 140.0])
    npath = tmp_path / "boxes.npy"
    np.save(npath, np.array([[f, 10.0 * f, 20.0, 10.0 * f + 100, 140.0] for f in range(1, 5)]))
    np.testing.assert_allclose(read_emoca(out, bbox=npath).bbox, face.bbox)
    del boxes["3"]
    jpath.write_text(json.dumps(boxes))
    with pytest.raises(EstimatorInputError) as err:
        read_emoca(out, bbox=jpath)
    assert (err.value.field, err.value.frame) == ("bbox", 3) and err.value.path.endswith("boxes.json")
    face = read_emoca(out, bbox=jpath, nonfinite="invalidate")
    assert face.valid.tolist() == [True, True, False, True]
    jpath.write_text(json.dumps({"1": [50, 0, 10, 10]}))
    with pytest.raises(EstimatorInputError, match="x1 > x0"):
        read_emoca(out, bbox=jpath)


def test_several_faces_per_frame(codes_dir):
    out, _ = codes_dir
    vals = emoca_vals(np.random.default_rng(32), 2)
    save_codes(out, "000002_001", vals, 0)
    save_codes(out, "000003_001", vals, 1)
    with pytest.raises(EstimatorInputError, match=r"face_index 0, 1"):
        read_emoca(out)
    faces = read_emoca_faces(out, bbox={"000002_001": [0, 0, 5, 5], "000003_001": [1, 1, 6, 6],
                                        "1": [0, 0, 9, 9], "2": [0, 0, 9, 9], "3": [0, 0, 9, 9], "4": [0, 0, 9, 9]})
    assert [f.source["face_index"] for f in faces] == [0, 1]
    second = faces[1]
    assert second.frame_ids.tolist() == [2, 3]
    np.testing.assert_allclose(second.jaw_pose, vals["posecode"][:, 3:6])
    np.testing.assert_allclose(second.bbox, [[0, 0, 5, 5], [1, 1, 6, 6]])
    np.testing.assert_allclose(faces[0].bbox[1], [0, 0, 9, 9])


def test_codes_dict_batched(tmp_path):
    vals = emoca_vals(np.random.default_rng(33), 5)
    path = tmp_path / "codes.npz"
    np.savez(path, frame_ids=np.array([3, 4, 5, 7, 8]), **vals)
    face = read_emoca(path)
    assert face.frame_ids.tolist() == [3, 4, 5, 6, 7, 8]
    assert face.valid.tolist() == [True, True, True, False, True, True]
    np.testing.assert_allclose(face.cam[[0, 1, 2, 4, 5]], vals["cam"])
    np.testing.assert_allclose(face.jaw_pose[4], vals["posecode"][3, 3:6])
    vals["posecode"][1, 4] = np.nan
    np.savez(path, frame_ids=np.array([3, 4, 5, 7, 8]), **vals)
    with pytest.raises(EstimatorInputError) as err:
        read_emoca(path)
    assert (err.value.field, err.value.frame) == ("posecode", 4) and err.value.path.endswith("codes.npz")


def test_broken_codes(codes_dir):
    out, vals = codes_dir
    (out / "000003_000" / "pose.npy").unlink()
    with pytest.raises(EstimatorInputError) as err:
        read_emoca(out)
    assert (err.value.field, err.value.frame) == ("pose", 3) and err.value.path.endswith("000003_000")
    np.save(out / "000003_000" / "pose.npy", vals["posecode"][2])
    exp = vals["expcode"][1].copy()
    exp[4] = np.nan
    np.save(out / "000002_000" / "exp.npy", exp)
    with pytest.raises(EstimatorInputError) as err:
        read_emoca(out)
    assert (err.value.field, err.value.frame) == ("exp", 2) and err.value.path.endswith("000002_000/exp.npy")
    face = read_emoca(out, nonfinite="invalidate")
    assert face.valid.tolist() == [True, False, True, True]
    assert any("expression" in w for w in face.source["warnings"])
    np.save(out / "000002_000" / "exp.npy", vals["expcode"][1])
    np.save(out / "000002_000" / "pose.npy", np.zeros(5))
    with pytest.raises(EstimatorInputError) as err:
        read_emoca(out)
    assert err.value.field == "pose" and "(1, 6)" in str(err.value)
