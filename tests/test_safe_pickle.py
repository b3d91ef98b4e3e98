"""The restricted unpickler reads real research pickles and refuses code before it runs."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse

from core.errors import UnsafePickleError
from core.fileio.safe_pickle import load_pickle, loads_pickle


class _SystemPayload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _EvalPayload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').close()",))


class _SubprocessPayload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (subprocess.call, (["touch", self.marker],))


@pytest.mark.parametrize("payload_cls", [_SystemPayload, _EvalPayload, _SubprocessPayload])
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_malicious_reduce_is_refused_before_it_runs(tmp_path, payload_cls, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"v_template": payload_cls(str(marker))}, protocol=protocol))
    with pytest.raises(UnsafePickleError) as info:
        load_pickle(path)
    assert not marker.exists(), "the payload ran"
    assert str(path) in str(info.value)
    assert "refused" in str(info.value)


def test_real_model_like_pickle_reads(tmp_path):
    """Protocol-2 numpy arrays (via _codecs.encode) and a scipy CSC J_regressor, as in the official SMPL-X pkl."""
    rng = np.random.default_rng(0)
    data = {"v_template": rng.normal(size=(20, 3)), "f": np.arange(30, dtype=np.uint32).reshape(10, 3),
            "J_regressor": scipy.sparse.csc_matrix(rng.random((5, 20)) * (rng.random((5, 20)) > 0.7)),
            "kintree_table": np.zeros((2, 5), dtype=np.int64), "name": "SMPLX", "nested": [1, 2.5, (3, None)],
            "scalar": np.float64(1.5), "flag": True}
    for protocol in (2, 4):
        path = tmp_path / f"model{protocol}.pkl"
        path.write_bytes(pickle.dumps(data, protocol=protocol))
        back = load_pickle(path)
        np.testing.assert_array_equal(back["v_template"], data["v_template"])
        np.testing.assert_array_equal(back["f"], data["f"])
        assert back["f"].dtype == np.uint32
        np.testing.assert_array_equal(back["J_regressor"].toarray(), data["J_regressor"].toarray())
        assert back["nested"] == [1, 2.5, (3, None)]
        assert back["scalar"] == 1.5 and back["flag"] is True


def test_py2_latin1_pickle_reads():
    """Python 2 pickles of numpy arrays (protocol 2, str payloads) load with latin1, as the official files need."""
    script = ("import pickle, numpy as np, sys; "
              "sys.stdout.buffer.write(pickle.dumps({'a': np.arange(6.0).reshape(2, 3)}, protocol=2))")
    blob = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True).stdout
    out = loads_pickle(blob)
    np.testing.assert_array_equal(out["a"], np.arange(6.0).reshape(2, 3))


class Chumpyish:
    pass


def test_foreign_class_named_with_hint(tmp_path):
    path = tmp_path / "old.pkl"
    path.write_bytes(pickle.dumps({"shapedirs": Chumpyish()}))
    with pytest.raises(UnsafePickleError) as info:
        load_pickle(path)
    message = str(info.value)
    assert "Chumpyish" in message and "np.savez" in message


@pytest.mark.parametrize("blob", [b"", b"\x80\x04\x95", b"not a pickle at all", b"\x80\x02}q\x00(X\x01"])
def test_truncated_or_garbage_gives_our_error(blob):
    with pytest.raises(UnsafePickleError):
        loads_pickle(blob, path="x.pkl")


def test_missing_file(tmp_path):
    with pytest.raises(UnsafePickleError, match="cannot read"):
        load_pickle(tmp_path / "nope.pkl")
