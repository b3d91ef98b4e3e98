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


# ------------------------------------------------------------------------------------------ npz archives

def _npz_members() -> dict:
    rng = np.random.default_rng(3)
    return {"pose": rng.normal(size=(1, 63)), "fortran": np.asfortranarray(rng.normal(size=(4, 3))),
            "scalar": np.array(2.5), "ints": np.arange(7, dtype=np.int32), "empty": np.zeros((0, 3)),
            "names": np.array(["a", "bc"])}


@pytest.mark.parametrize("small_limit", [None, 0])
@pytest.mark.parametrize("compressed", [False, True])
def test_npz_members_equal_numpys_own_read(tmp_path, monkeypatch, small_limit, compressed):
    """Read whole (small archives) or streamed (``SMALL_ARCHIVE_BYTES`` = 0), stored or deflated: every member
    equals what ``np.load`` returns, in dtype, shape, memory order and value, and is writable."""
    from core.fileio import safe_pickle
    from core.io.input_errors import EstimatorInputError

    if small_limit is not None:
        monkeypatch.setattr(safe_pickle, "SMALL_ARCHIVE_BYTES", small_limit)
    path = tmp_path / "frame.npz"
    (np.savez_compressed if compressed else np.savez)(path, **_npz_members())
    got = safe_pickle.load_npz(path, error=EstimatorInputError, allow_objects=False)
    with np.load(path, allow_pickle=False) as reference:
        assert sorted(got) == sorted(reference.files)
        for key in reference.files:
            want = reference[key]
            assert got[key].dtype == want.dtype and got[key].shape == want.shape, key
            assert got[key].flags.f_contiguous == want.flags.f_contiguous, key
            np.testing.assert_array_equal(got[key], want)
            assert got[key].flags.writeable, key


def _stored_offsets(path) -> dict:
    """Each stored member's (local header offset, data offset) in the archive."""
    import struct
    import zipfile

    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        out = {}
        for info in archive.infolist():
            name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            out[info.filename] = (info.header_offset, info.header_offset + 30 + name_length + extra_length)
    return out


def test_npz_damaged_stored_member_names_file_and_member(tmp_path):
    """The in-memory read of a small archive keeps zipfile's checks: a flipped data byte fails the CRC-32, a local
    header whose name differs from the central directory's is refused; both name the file and the member."""
    from core.fileio.safe_pickle import load_npz
    from core.io.input_errors import EstimatorInputError

    path = tmp_path / "000001.npz"
    np.savez(path, betas=np.arange(10.0), transl=np.ones(3))
    header, data = _stored_offsets(path)["transl.npy"]
    raw = bytearray(path.read_bytes())
    flipped = bytearray(raw)
    flipped[data + 130] ^= 0x40  # a byte of the array data, past the 128-byte npy header
    path.write_bytes(bytes(flipped))
    with pytest.raises(EstimatorInputError, match=r"field 'transl'.*corrupt archive member.*CRC") as info:
        load_npz(path, error=EstimatorInputError, allow_objects=False)
    assert str(path) in str(info.value)
    renamed = bytearray(raw)
    renamed[header + 30] = ord("X")  # the local header's copy of "transl.npy"
    path.write_bytes(bytes(renamed))
    with pytest.raises(EstimatorInputError, match=r"field 'transl'.*corrupt archive member.*differ"):
        load_npz(path, error=EstimatorInputError, allow_objects=False)
    bad_magic = bytearray(raw)
    bad_magic[header:header + 4] = b"PK\x00\x00"
    path.write_bytes(bytes(bad_magic))
    with pytest.raises(EstimatorInputError, match=r"field 'transl'.*corrupt archive member.*magic"):
        load_npz(path, error=EstimatorInputError, allow_objects=False)


def test_npz_deferred_member_reads_later_with_every_check(tmp_path, monkeypatch):
    """``defer=``: a large deflated member comes back as a DeferredNpzMember whose header was checked; ``load``
    returns the array, and names the file and field when the archive changed in between."""
    from core.fileio import safe_pickle
    from core.io.input_errors import EstimatorInputError

    monkeypatch.setattr(safe_pickle, "DEFER_MIN_BYTES", 1000)
    path = tmp_path / "model.npz"
    big = np.random.default_rng(0).normal(size=(50, 3, 4))
    np.savez_compressed(path, big=big, small=np.arange(3.0), stored_elsewhere=np.ones(2))
    got = safe_pickle.load_npz(path, error=EstimatorInputError, allow_objects=False, defer=("big", "small"))
    deferred = got["big"]
    assert isinstance(deferred, safe_pickle.DeferredNpzMember)
    assert deferred.shape == (50, 3, 4) and deferred.dtype == np.float64
    np.testing.assert_array_equal(got["small"], np.arange(3.0))  # under the size limit: read at once
    np.testing.assert_array_equal(deferred.load(error=EstimatorInputError), big)
    np.savez_compressed(path, big=big[:10], small=np.arange(3.0))
    with pytest.raises(EstimatorInputError, match="field 'big'.*changed since it was opened"):
        deferred.load(error=EstimatorInputError)
    np.savez(path, big=big)  # stored members are never deferred
    stored = safe_pickle.load_npz(path, error=EstimatorInputError, allow_objects=False, defer=("big",))
    np.testing.assert_array_equal(stored["big"], big)
