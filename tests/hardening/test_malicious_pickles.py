"""Malicious pickles are refused before anything runs, through every reader that accepts them.

The payloads (``fuzz_kit.payload_pickles``) are the classic ones: ``os.system`` / ``posix.system`` / ``nt.system``,
``eval``, ``exec``, ``subprocess``, ``builtins.getattr`` chains, ``__import__``, ``operator.attrgetter``,
``numpy.load(..., allow_pickle=True)``, numpy's ``runstring``, ``open``, ``pickle.loads``, protocol 0 ``INST`` /
``OBJ``, persistent ids and extension codes. Each would create a marker file; the tests prove it never appears,
first showing that the payloads are live (plain ``pickle`` does run them, in a throwaway subprocess). The
numpy-reconstructor gadgets (admitted callables with lying states, which crash plain numpy) are refused too.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.body.model import load_body_model
from core.contracts.fused_file import read_fused, write_fused
from core.errors import FusionError, UnsafePickleError
from core.fileio.safe_pickle import loads_pickle
from core.io import (
    read_amass,
    read_body,
    read_emoca_faces,
    read_pixie,
    read_smplerx_people,
    read_smplestx_people,
    read_wilor,
)

from . import fuzz_kit as K
from .fuzz_kit import W

ROOT = Path(__file__).resolve().parents[2]


class Payload:
    """Creates ``marker`` when unpickled by plain ``pickle`` (np.save pickles it into object arrays)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _pkl_readers(folder: Path) -> dict:
    """reader name -> (where to write the pickle, how to read it)."""
    return {
        "pixie": (folder / "pixie" / "clip_frame00001" / "clip_frame00001_param.pkl",
                  lambda p: read_pixie(p.parent.parent)),
        "smplest-x": (folder / "smplestx" / "out.pkl", read_smplestx_people),
        "emoca codes": (folder / "emoca" / "codes.pkl", read_emoca_faces),
        "wilor": (folder / "wilor" / "000001.pkl", lambda p: read_wilor(p.parent)),
        "model": (folder / "model" / "SMPLX_NEUTRAL.pkl", load_body_model),
        "registry": (folder / "any" / "body.pkl", read_body),
    }


def test_the_payloads_are_live(tmp_path):
    """Plain pickle runs them (in a subprocess), so the refusals below are not vacuous."""
    marker = tmp_path / "ran"
    blobs = [b for name, b in K.payload_pickles(marker, tmp_path / "none.npy")
             if name.startswith(("os.system", "eval", "subprocess.call", "builtins.__import__"))]
    for blob in blobs:
        marker.unlink(missing_ok=True)
        blob_file = tmp_path / "blob.pkl"
        blob_file.write_bytes(blob)
        subprocess.run([sys.executable, "-c", f"import pickle; pickle.loads(open({str(blob_file)!r}, 'rb').read())"],
                       capture_output=True, timeout=60)
        assert marker.exists(), "a payload did not run under plain pickle"


def test_every_payload_is_refused_by_every_pickle_reader(tmp_path):
    marker = tmp_path / "PWNED"
    decoy = tmp_path / "evil.npy"
    decoy.write_bytes(K._evil_npy(marker))
    payloads = K.payload_pickles(marker, decoy)
    assert len(payloads) >= 40
    for reader, (path, read) in _pkl_readers(tmp_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        for name, blob in payloads:
            path.write_bytes(blob)
            with pytest.raises(UnsafePickleError) as err:
                read(path)
            message = str(err.value)
            assert not marker.exists(), f"{name} ran through {reader}"
            assert str(path) in message and ("refused" in message or "not a readable pickle" in message), message
            if name.startswith("os.system"):
                assert "refused to load class 'posix.system'" in message and "np.savez" in message


@pytest.mark.parametrize("where", ["smplest-x npz", "amass npz", "wilor npz", "smpler-x npz", "emoca codes npz",
                                   "emoca save_codes npy", "emoca face boxes npy"])
def test_object_arrays_in_npz_and_npy_go_through_the_restricted_unpickler(tmp_path, where):
    marker = tmp_path / "PWNED"
    evil = np.array([Payload(marker)], dtype=object)
    rng = np.random.default_rng(0)
    if where == "smplest-x npz":
        d = W.smplestx_out(rng, 2)
        d["smplx_expr"] = evil
        np.savez(tmp_path / "a.npz", **d)
        call = lambda: read_smplestx_people(tmp_path / "a.npz")  # noqa: E731
    elif where == "amass npz":
        np.savez(tmp_path / "a.npz", poses=np.zeros((2, 165)), trans=np.zeros((2, 3)), betas=np.zeros(10),
                 gender=evil)
        call = lambda: read_amass(tmp_path / "a.npz")  # noqa: E731
    elif where == "wilor npz":
        d = W.flatten_wilor(W.wilor_out(rng, right=[1.0]))
        d["pred_cam"] = evil
        np.savez(tmp_path / "000001.npz", **d)
        call = lambda: read_wilor(tmp_path / "000001.npz")  # noqa: E731
    elif where == "smpler-x npz":
        params = W.smplerx_params(rng)
        params["betas"] = evil
        W.write_smplerx_frame(tmp_path / "out", 1, 0, params, [10, 20, 200, 380])
        call = lambda: read_smplerx_people(tmp_path / "out")  # noqa: E731
    elif where == "emoca codes npz":
        d = W.emoca_vals(rng, 2)
        d["expcode"] = evil
        np.savez(tmp_path / "codes.npz", **d)
        call = lambda: read_emoca_faces(tmp_path / "codes.npz")  # noqa: E731
    elif where == "emoca save_codes npy":
        folder = W.save_codes(tmp_path / "EMOCA", "000001_000", W.emoca_vals(rng, 1), 0)
        np.save(folder / "exp.npy", evil)
        call = lambda: read_emoca_faces(tmp_path / "EMOCA")  # noqa: E731
    else:
        W.save_codes(tmp_path / "EMOCA", "000001_000", W.emoca_vals(rng, 1), 0)
        np.save(tmp_path / "boxes.npy", evil)
        call = lambda: read_emoca_faces(tmp_path / "EMOCA", bbox=tmp_path / "boxes.npy")  # noqa: E731
    with pytest.raises(UnsafePickleError, match="refused to load class 'posix.system'"):
        call()
    assert not marker.exists()


def test_fused_and_model_npz_never_unpickle(tmp_path):
    """These formats hold plain arrays only: an object member is refused without being unpickled at all."""
    from core.demo_data.motion import make_demo_sequence

    marker = tmp_path / "PWNED"
    fused = write_fused(tmp_path / "a.fused.npz", make_demo_sequence(num_frames=3))
    data = dict(np.load(fused))
    data["provenance"] = np.array([Payload(marker)], dtype=object)
    np.savez(fused, **data)
    model = K._tiny_model(np.random.default_rng(0))
    model["weights"] = np.array([Payload(marker)], dtype=object)
    np.savez(tmp_path / "SMPLX_NEUTRAL.npz", **model)
    for call, field in ((lambda: read_fused(fused), "provenance"),
                        (lambda: load_body_model(tmp_path / "SMPLX_NEUTRAL.npz"), "weights")):
        with pytest.raises(FusionError) as err:
            call()
        assert err.value.field == field and "without pickle" in str(err.value)
    assert not marker.exists()


def test_numpy_gadgets_crash_plain_pickle_but_are_refused(tmp_path):
    """In subprocesses: plain pickle reads past a lying object-array state (usually a segfault); the restricted
    one refuses every gadget with UnsafePickleError (a crash would end the subprocess with a signal)."""
    gadgets = K.gadget_pickles()
    short = next(b for name, b in gadgets if name.startswith("object array shorter"))
    (tmp_path / "short.pkl").write_bytes(short)
    plain = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import pickle
        x = pickle.loads(open({str(tmp_path / 'short.pkl')!r}, 'rb').read())
        print("ITEMS", len(x['x']))
    """)], capture_output=True, text=True, timeout=60)
    # plain numpy reads 5 object pointers from a 2-item list: a segfault, or whatever memory lies beyond it
    assert plain.returncode != 0 or "ITEMS 5" in plain.stdout, "plain numpy no longer misreads this state"
    blobs = tmp_path / "gadgets.pkl"
    blobs.write_bytes(pickle.dumps(gadgets))
    ours = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import pickle, sys
        import numpy as np
        sys.path.insert(0, {str(ROOT)!r})
        from core.errors import UnsafePickleError
        from core.fileio.safe_pickle import loads_pickle
        refused, neutralised = 0, []
        for name, blob in pickle.loads(open({str(blobs)!r}, 'rb').read()):
            try:
                loads_pickle(blob, path="gadget.pkl")
            except UnsafePickleError as exc:
                assert "\\n" not in str(exc), str(exc)
                refused += 1
            else:
                neutralised.append(name.split(" (")[0])
        assert np.dtype("f8").str == "<f8" and np.arange(3.0).dtype.str == "<f8"  # builtins untouched
        print("REFUSED", refused, "NEUTRALISED", sorted(set(neutralised)))
    """)], capture_output=True, text=True, timeout=120)
    assert ours.returncode == 0, ours.stderr[-2000:]
    # the one gadget that is not refused is made harmless: numpy.dtype(..., copy=False) is always given a copy
    assert f"REFUSED {len(gadgets) - 2} NEUTRALISED ['builtin dtype changed in place']" in ours.stdout, ours.stdout


# ---------------------------------------------------------------------------------------------- real files still load

_DTYPES = st.sampled_from([np.float32, np.float64, ">f8", np.int8, np.int64, np.uint32, np.bool_, np.complex64,
                           "U3", "S2", "M8[s]"])


@settings(max_examples=80, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(arr=hnp.arrays(dtype=_DTYPES, shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)),
       protocol=st.integers(0, pickle.HIGHEST_PROTOCOL), fortran=st.booleans())
def test_plain_numpy_data_round_trips(arr, protocol, fortran):
    """Whatever numpy and scipy legitimately pickle (any protocol, byte order, memory order) still loads."""
    if fortran:
        arr = np.asfortranarray(arr)
    data = {"a": arr, "scalar": arr.reshape(-1)[0] if arr.size else np.float32(2.5), "list": [1, 2.5, "x", None],
            "tuple": (arr.shape, True), "set": {1, 2}, "frozen": frozenset({"a"}), "ordered": OrderedDict(k=arr),
            "objects": np.array(["left", "right"], dtype=object), "sparse": scipy.sparse.csr_matrix(np.eye(3)),
            "coo": scipy.sparse.coo_matrix(np.eye(2)), "complex": complex(1, 2), "bytes": bytearray(b"ab")}
    blob = pickle.dumps(data, protocol=protocol)
    back, reference = loads_pickle(blob), pickle.loads(blob)
    np.testing.assert_array_equal(back["a"], arr)
    # numpy itself unpickles non-native byte orders as native: the reference is plain pickle on the same bytes
    assert back["a"].dtype == reference["a"].dtype and back["a"].shape == arr.shape
    assert back["scalar"] == reference["scalar"] or (back["scalar"] != back["scalar"])
    assert back["list"] == data["list"] and back["tuple"] == data["tuple"] and back["set"] == {1, 2}
    assert back["objects"].tolist() == ["left", "right"] and back["bytes"] == bytearray(b"ab")
    np.testing.assert_array_equal(back["sparse"].toarray(), np.eye(3))
    np.testing.assert_array_equal(back["coo"].toarray(), np.eye(2))
    np.testing.assert_array_equal(back["ordered"]["k"], arr)
