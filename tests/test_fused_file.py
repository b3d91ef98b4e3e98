"""Fused file schema v1: round trip, allow_pickle=False, per-field / per-frame errors, AMASS export."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from core.contracts.fused_file import SCHEMA, read_fused, write_fused
from core.demo_data.motion import make_demo_sequence
from core.errors import FusedFileError
from core.export.amass import fused_to_amass, write_amass


@pytest.fixture
def seq():
    return make_demo_sequence(num_frames=20)


def _rewrite(path, **changes):
    data = dict(np.load(path, allow_pickle=False))
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    np.savez(path, **data)


def test_round_trip(tmp_path, seq):
    path = write_fused(tmp_path / "a.fused.npz", seq)
    with np.load(path, allow_pickle=False) as raw:
        assert str(raw["schema"]) == SCHEMA
        assert raw["body_pose"].shape == (20, 21, 3)
    back = read_fused(path)
    for name in ("betas", "expression", "global_orient", "body_pose", "jaw_pose", "left_hand_pose",
                 "right_hand_pose", "transl", "camera_K", "image_size", "part_confidence", "valid"):
        np.testing.assert_array_equal(getattr(back, name), getattr(seq, name), err_msg=name)
    assert back.fps == seq.fps and back.gender == "neutral" and back.model_variant == "procedural"
    assert json.loads(back.provenance)["source"] == "core.demo_data.motion"
    assert back.full_pose().shape == (20, 55, 3)


def test_extra_keys_survive(tmp_path, seq):
    seq.extras["track_id"] = np.array(3)
    back = read_fused(write_fused(tmp_path / "b.fused.npz", seq))
    assert int(back.extras["track_id"]) == 3


def test_per_frame_camera(tmp_path, seq):
    seq.camera_K = np.tile(seq.camera_K, (20, 1, 1))
    back = read_fused(write_fused(tmp_path / "k.fused.npz", seq))
    assert back.camera_K_per_frame().shape == (20, 3, 3)


@pytest.mark.parametrize("key, value, field, frame, words", [
    ("body_pose", "nan@7", "body_pose", 7, "NaN"),
    ("transl", "inf@3", "transl", 3, "NaN or Inf"),
    ("body_pose", np.zeros((20, 20, 3)), "body_pose", None, "expected shape (20, 21, 3)"),
    ("left_hand_pose", np.zeros((19, 15, 3)), "left_hand_pose", None, "expected shape (20, 15, 3)"),
    ("schema", np.array("smplx-fusion/0"), "schema", None, "expected 'smplx-fusion/1'"),
    ("gender", np.array("robot"), "gender", None, "expected one of"),
    ("fps", np.array(-1.0), "fps", None, "positive"),
    ("camera_K", np.zeros((2, 3)), "camera_K", None, "expected shape (3, 3)"),
    ("image_size", np.array([640.0]), "image_size", None, "W, H"),
    ("valid", np.ones(5, dtype=bool), "valid", None, "expected shape (20,)"),
    ("part_confidence", "big@4", "part_confidence", 4, "[0, 1]"),
    ("provenance", np.array("{not json"), "provenance", None, "JSON"),
    ("betas", np.zeros((2, 10)), "betas", None, "(B,)"),
    ("jaw_pose", None, "jaw_pose", None, "missing key"),
])
def test_bad_fields_are_named(tmp_path, seq, key, value, field, frame, words):
    path = write_fused(tmp_path / "bad.fused.npz", seq)
    if isinstance(value, str) and "@" in value:
        kind, at = value.split("@")
        arr = np.array(getattr(seq, key), dtype=np.float64)
        arr[int(at)] = {"nan": np.nan, "inf": np.inf, "big": 2.0}[kind]
        value = arr
    _rewrite(path, **{key: value})
    with pytest.raises(FusedFileError) as info:
        read_fused(path)
    err = info.value
    assert err.field == field and err.frame == frame
    message = str(err)
    assert str(path) in message and f"'{field}'" in message and words in message
    if frame is not None:
        assert f"frame {frame}" in message


def test_pickled_object_is_refused(tmp_path, seq):
    path = write_fused(tmp_path / "obj.fused.npz", seq)
    data = dict(np.load(path, allow_pickle=False))
    data["body_pose"] = np.array([{"a": 1}], dtype=object)
    np.savez(path, **data)
    with pytest.raises(FusedFileError, match="pickle"):
        read_fused(path)


def test_truncated_and_missing_files(tmp_path, seq):
    path = write_fused(tmp_path / "t.fused.npz", seq)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FusedFileError):
        read_fused(path)
    with pytest.raises(FusedFileError, match="not found"):
        read_fused(tmp_path / "absent.fused.npz")
    junk = tmp_path / "junk.fused.npz"
    with zipfile.ZipFile(junk, "w") as zf:
        zf.writestr("schema.npy", b"garbage")
    with pytest.raises(FusedFileError):
        read_fused(junk)


def test_write_refuses_invalid_and_leaves_no_partial_file(tmp_path, seq):
    seq.body_pose[2, 0, 0] = np.nan
    target = tmp_path / "never.fused.npz"
    with pytest.raises(FusedFileError, match="frame 2"):
        write_fused(target, seq)
    assert list(tmp_path.iterdir()) == []


def test_amass_export_layout(tmp_path, seq):
    out = fused_to_amass(seq)
    assert out["poses"].shape == (20, 165)
    np.testing.assert_array_equal(out["poses"][:, :3], seq.global_orient)
    np.testing.assert_array_equal(out["poses"][:, 3:66], seq.body_pose.reshape(20, 63))
    np.testing.assert_array_equal(out["poses"][:, 66:69], seq.jaw_pose)
    np.testing.assert_array_equal(out["poses"][:, 69:72], seq.leye_pose)
    np.testing.assert_array_equal(out["poses"][:, 75:120], seq.left_hand_pose.reshape(20, 45))
    np.testing.assert_array_equal(out["poses"][:, 120:165], seq.right_hand_pose.reshape(20, 45))
    path = write_amass(tmp_path / "a.npz", seq)
    with np.load(path, allow_pickle=False) as data:
        assert float(data["mocap_frame_rate"]) == seq.fps and str(data["gender"]) == "neutral"
        np.testing.assert_array_equal(data["trans"], seq.transl)
