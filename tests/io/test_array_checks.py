"""Shared checks: required keys, shapes, finiteness, rotations; safe loading of npz / npy / json."""
from __future__ import annotations

import json

import numpy as np
import pytest
from io_writers import Payload

from core.errors import UnsafePickleError
from core.io import EstimatorInputError
from core.io.array_checks import (
    check_finite,
    check_lengths,
    check_rotation_matrices,
    leading_length,
    per_frame,
    require,
    single,
)
from core.io.loaders import load_json, load_mapping, load_npy, load_npz


def test_require_lists_what_is_there():
    with pytest.raises(EstimatorInputError) as err:
        require({"a": 1, "b": 2}, ("poses", "pose"), "f.npz", frame=3)
    e = err.value
    assert (e.path, e.field, e.frame) == ("f.npz", "poses", 3)
    assert "'poses' or 'pose'" in str(e) and "a, b" in str(e)


def test_shapes():
    assert single(np.zeros((1, 21, 3)), (21, 3), "f", "body_pose").shape == (21, 3)
    assert single(np.zeros(63), (21, 3), "f", "body_pose").shape == (21, 3)
    with pytest.raises(EstimatorInputError, match=r"expected shape \(21, 3\)"):
        single(np.zeros((20, 3)), (21, 3), "f", "body_pose", frame=2)
    assert per_frame(np.zeros((4, 63)), 4, (21, 3), "f", "x").shape == (4, 21, 3)
    assert per_frame(np.ones(3), 4, (3,), "f", "x", broadcast=True).shape == (4, 3)
    with pytest.raises(EstimatorInputError, match="has 3 rows but 4"):
        per_frame(np.zeros((3, 3)), 4, (3,), "f", "x")
    with pytest.raises(EstimatorInputError, match="expected numbers"):
        per_frame(np.array(["a", "b"]), 2, (), "f", "x")
    assert leading_length(np.zeros((5, 1, 3)), "f", "x", 3) == 5
    assert leading_length(np.zeros(3), "f", "x", 3) == 1
    with pytest.raises(EstimatorInputError, match="has 4 rows but 'a' has 5"):
        check_lengths({"a": 5, "b": 5, "c": 4}, "f")


def test_finite_names_the_frame():
    arr = np.zeros((4, 3))
    arr[2, 1] = np.inf
    with pytest.raises(EstimatorInputError) as err:
        check_finite(arr, "f.npz", "transl", [10, 11, 12, 13])
    assert (err.value.field, err.value.frame) == ("transl", 12) and "infinite" in str(err.value)
    warnings = []
    bad = check_finite(arr, "f.npz", "transl", [10, 11, 12, 13], nonfinite="invalidate", warnings=warnings)
    assert bad.tolist() == [False, False, True, False] and "12" in warnings[0]
    with pytest.raises(ValueError):
        check_finite(arr, "f.npz", "transl", [0, 1, 2, 3], nonfinite="ignore")


def test_rotation_check():
    mats = np.tile(np.eye(3), (2, 4, 1, 1))
    check_rotation_matrices(mats, "f", "hand_pose", [0, 1])
    mats[1, 2] = np.diag([1.0, 1.0, -1.0])  # a reflection
    with pytest.raises(EstimatorInputError) as err:
        check_rotation_matrices(mats, "f", "hand_pose", [7, 8])
    assert err.value.frame == 8 and "entry 2" in str(err.value)


def test_loaders(tmp_path):
    p = tmp_path / "a.npz"
    np.savez(p, x=np.arange(3), d=np.array({"k": np.ones(2)}, dtype=object))
    data = load_npz(p)
    assert data["x"].tolist() == [0, 1, 2] and data["d"]["k"].tolist() == [1.0, 1.0]
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.npy"
    np.save(evil, np.array([Payload(str(marker))], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafePickleError):
        load_npy(evil)
    assert not marker.exists()
    trunc = tmp_path / "t.npy"
    np.save(trunc, np.arange(100.0))
    trunc.write_bytes(trunc.read_bytes()[:150])
    with pytest.raises(EstimatorInputError, match="truncated"):
        load_npy(trunc)
    j = tmp_path / "m.json"
    j.write_text('{"focal": [1, 2')
    with pytest.raises(EstimatorInputError, match="not valid JSON"):
        load_json(j)
    j.write_text(json.dumps([1, 2]))
    with pytest.raises(EstimatorInputError, match="mapping"):
        load_mapping(j)
    with pytest.raises(EstimatorInputError, match="not found"):
        load_npz(tmp_path / "missing.npz")
