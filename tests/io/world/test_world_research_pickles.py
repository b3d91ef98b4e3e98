"""joblib pickles, torch tensors inside np.save'd dicts and torch.save files, opened without running anything."""
from __future__ import annotations

import pickle
from collections import defaultdict

import numpy as np
import pytest

from core.errors import UnsafePickleError
from core.io.input_errors import EstimatorInputError
from core.io.world.research_pickles import load_joblib, load_npy_with_tensors, load_torch_file


class _Marker:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_joblib_arrays_every_order_and_dtype(tmp_path):
    import joblib

    data = defaultdict(dict)
    data[0]["c"] = np.arange(12, dtype=np.float32).reshape(3, 4)
    data[0]["f"] = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4))
    data[1]["i"] = np.arange(5, dtype=np.int64)
    data[1]["empty"] = np.zeros((0, 3))
    data[1]["text"] = "x"
    joblib.dump(data, tmp_path / "a.pkl")
    got = load_joblib(tmp_path / "a.pkl")
    assert type(got) is dict and sorted(got) == [0, 1]
    for tid in data:
        for key, value in data[tid].items():
            np.testing.assert_array_equal(got[tid][key], value)


def test_joblib_refuses_code_and_object_arrays(tmp_path):
    import joblib

    marker = tmp_path / "ran"
    joblib.dump({"a": np.zeros(2), "b": _Marker(str(marker))}, tmp_path / "evil.pkl")
    with pytest.raises(UnsafePickleError, match="builtins.open|refused"):
        load_joblib(tmp_path / "evil.pkl")
    assert not marker.exists()
    joblib.dump({"a": np.array([{"x": 1}], dtype=object)}, tmp_path / "obj.pkl")
    with pytest.raises(UnsafePickleError, match="object"):
        load_joblib(tmp_path / "obj.pkl")
    with open(tmp_path / "dd.pkl", "wb") as fh:
        pickle.dump(defaultdict(list, {"a": [1]}), fh)
    with pytest.raises(UnsafePickleError, match="builtins.list|defaultdict"):  # only defaultdict(dict)
        load_joblib(tmp_path / "dd.pkl")


def test_joblib_compressed_reads_and_truncated_files_are_named(tmp_path):
    import joblib

    data = defaultdict(dict)
    data[2]["a"] = np.arange(100.0)
    joblib.dump(data, tmp_path / "z.pkl", compress=3)
    np.testing.assert_array_equal(load_joblib(tmp_path / "z.pkl")[2]["a"], np.arange(100.0))
    joblib.dump({"a": np.arange(1000.0)}, tmp_path / "t.pkl")
    raw = (tmp_path / "t.pkl").read_bytes()
    (tmp_path / "t.pkl").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(UnsafePickleError, match="t.pkl"):
        load_joblib(tmp_path / "t.pkl")


def test_torch_tensors_inside_an_npy_dict(tmp_path):
    import torch

    tensors = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.arange(10)[::3],
               "c": torch.zeros(0, 2), "n": 3}
    np.save(tmp_path / "h.npy", tensors)
    got = load_npy_with_tensors(tmp_path / "h.npy")
    np.testing.assert_array_equal(got["a"], np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(got["b"], [0, 3, 6, 9])
    assert got["c"].shape == (0, 2) and got["n"] == 3
    marker = tmp_path / "ran"
    np.save(tmp_path / "evil.npy", {"a": _Marker(str(marker))})
    with pytest.raises(UnsafePickleError):
        load_npy_with_tensors(tmp_path / "evil.npy")
    assert not marker.exists()


def test_a_tensor_reaching_past_its_storage_is_refused(tmp_path):
    import torch

    np.save(tmp_path / "h.npy", {"a": torch.zeros(4)})
    raw = (tmp_path / "h.npy").read_bytes()
    # the size tuple (4,) is pickled as BININT1 4 TUPLE1; make it (40,)
    patched = raw.replace(b"K\x04\x85", b"K(\x85", 1)
    assert patched != raw
    (tmp_path / "h.npy").write_bytes(patched)
    with pytest.raises(UnsafePickleError, match="past its storage"):
        load_npy_with_tensors(tmp_path / "h.npy")


def test_torch_files_load_weights_only(tmp_path):
    import torch

    torch.save({"x": {"y": torch.ones(2, dtype=torch.float64)}, "k": [torch.zeros(1)]}, tmp_path / "a.pt")
    got = load_torch_file(tmp_path / "a.pt")
    np.testing.assert_array_equal(got["x"]["y"], [1.0, 1.0])
    assert isinstance(got["k"][0], np.ndarray)
    with pytest.raises(EstimatorInputError, match="not found"):
        load_torch_file(tmp_path / "missing.pt")


def test_without_torch_the_error_says_torch_is_needed(tmp_path, monkeypatch):
    import sys

    import torch

    torch.save({"a": torch.zeros(1)}, tmp_path / "a.pt")
    np.save(tmp_path / "h.npy", {"a": torch.zeros(2)})
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(EstimatorInputError, match="needs torch"):
        load_torch_file(tmp_path / "a.pt")
    with pytest.raises(EstimatorInputError, match="needs torch"):
        load_npy_with_tensors(tmp_path / "h.npy")
