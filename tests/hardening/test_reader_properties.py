"""Targeted properties of the readers' errors, and one regression example per crash the fuzzer found.

- A NaN / Inf anywhere in a per-frame field names the file, the field (the file's own key) and the footage frame;
  with ``nonfinite="invalidate"`` exactly that frame becomes invalid and nothing non-finite comes out.
- Frames out of order are sorted (and reported); a frame given twice is an error naming the frame.
- Headers that declare huge arrays are refused from their size alone: nothing near that size is allocated.
- A wrong ``is_right`` is an error naming the field; a consistent but unusual one (all left) is read.
"""
from __future__ import annotations

import io
import json
import pickle
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.body.model import load_body_model
from core.contracts.fused_file import read_fused, write_fused
from core.errors import FusionError, ModelFileError, UnsafePickleError
from core.io import (
    EstimatorInputError,
    read_amass,
    read_emoca_faces,
    read_pixie,
    read_smplerx_people,
    read_smplestx_people,
    read_wilor,
)
from core.io.loaders import load_npy

from . import fuzz_kit as K
from .fuzz_kit import W

SETTINGS = dict(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


def _unique(folder: Path, name: str) -> Path:
    _unique.count = getattr(_unique, "count", 0) + 1
    path = folder / f"{_unique.count}" / name
    path.parent.mkdir(parents=True)
    return path


# ---------------------------------------------------------------------------------------------- NaN names frames

def _batched(kind: str, rng: np.random.Generator) -> tuple[dict, list[int], callable]:
    """A batched file's dict, the footage frame of each row, and the reader."""
    if kind == "smplest-x":
        d = W.smplestx_out(rng, 4)
        d["frame_ids"] = np.array([20, 21, 22, 23])
        d["bbox"] = np.tile([10.0, 20.0, 190.0, 380.0], (4, 1))
        return d, [20, 21, 22, 23], read_smplestx_people
    if kind == "amass":
        d = {"poses": rng.normal(scale=0.2, size=(5, 165)), "trans": rng.normal(size=(5, 3)),
             "betas": rng.normal(size=16), "gender": np.array("male"), "mocap_frame_rate": np.array(30.0)}
        return d, [0, 1, 2, 3, 4], read_amass
    if kind == "emoca":
        d = W.emoca_vals(rng, 3)
        d["frame_ids"] = np.array([7, 8, 9])
        return d, [7, 8, 9], read_emoca_faces
    d = W.flatten_wilor(W.wilor_out(rng, right=[0.0, 1.0, 1.0]))
    d["frame_ids"] = np.array([3, 3, 4])
    return d, [3, 3, 4], read_wilor


PER_ROW_KEYS = {
    "smplest-x": ("smplx_root_pose", "smplx_body_pose", "smplx_lhand_pose", "smplx_rhand_pose", "smplx_jaw_pose",
                  "smplx_shape", "smplx_expr", "cam_trans", "bbox"),
    "amass": ("poses", "trans"),
    "emoca": ("expcode", "posecode", "shapecode", "cam"),
    "wilor": ("pred_mano_params.global_orient", "pred_mano_params.hand_pose", "pred_mano_params.betas", "pred_cam",
              "box_center", "box_size"),
}


@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_nan_names_file_field_and_frame(data, scratch):
    kind = data.draw(st.sampled_from(sorted(PER_ROW_KEYS)), label="reader")
    key = data.draw(st.sampled_from(PER_ROW_KEYS[kind]), label="field")
    d, frames, reader = _batched(kind, np.random.default_rng(data.draw(st.integers(0, 99), label="seed")))
    arr = np.array(d[key], dtype=np.float64)
    row = data.draw(st.integers(0, arr.shape[0] - 1), label="row")
    element = data.draw(st.integers(0, arr[row].size - 1), label="element")
    arr[row].flat[element] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]), label="value")
    d[key] = arr
    path = _unique(scratch, f"{kind}.npz")
    np.savez(path, **d)
    with pytest.raises(EstimatorInputError) as err:
        reader(path)
    e = err.value
    assert (e.path, e.field, e.frame) == (str(path), key, frames[row]), str(e)
    assert str(path) in str(e) and f"field '{key}'" in str(e) and f"frame {frames[row]}" in str(e)
    result = reader(path, nonfinite="invalidate")
    if kind == "wilor":  # detections have no valid column: the bad one is dropped
        assert len(result.frame_ids) == len(frames) - 1 and np.isfinite(result.hand_pose).all()
    else:
        est = result[0] if isinstance(result, list) else result
        bad = np.asarray(est.frame_ids) == frames[row]
        assert est.valid[bad].tolist() == [False] and est.valid[~bad].all()
        for name in ("expression", "jaw_pose") if kind == "emoca" else ("global_orient", "body_pose", "transl"):
            assert np.isfinite(getattr(est, name)).all()
        assert any(key in w for w in est.source["warnings"])


# ---------------------------------------------------------------------------------------------- frame order

@settings(max_examples=40, **SETTINGS)
@given(order=st.permutations(range(5)), base=st.integers(0, 10 ** 6))
def test_frames_out_of_order_are_sorted_and_reported(order, base, scratch):
    rng = np.random.default_rng(base)
    d = W.smplestx_out(rng, 5)
    frames = base + np.array(order) * 2
    d["frame_ids"] = frames
    d["bbox"] = np.tile([10.0, 20.0, 190.0, 380.0], (5, 1))
    path = _unique(scratch, "order.npz")
    np.savez(path, **d)
    est = read_smplestx_people(path)[0]
    assert est.frame_ids.tolist() == list(range(base, base + 9))
    for i, f in enumerate(frames):
        np.testing.assert_allclose(est.transl[f - base], d["cam_trans"][i])
    assert est.valid.tolist() == [True, False] * 4 + [True]
    assert any("not in frame order" in w for w in est.source["warnings"]) == (list(order) != sorted(order))


@settings(max_examples=30, **SETTINGS)
@given(pair=st.lists(st.integers(0, 4), min_size=2, max_size=2, unique=True), seed=st.integers(0, 50))
def test_duplicated_frames_are_an_error_naming_the_frame(pair, seed, scratch):
    d = W.smplestx_out(np.random.default_rng(seed), 5)
    frames = np.arange(100, 105)
    frames[pair[1]] = frames[pair[0]]
    d["frame_ids"] = frames
    d["bbox"] = np.tile([10.0, 20.0, 190.0, 380.0], (5, 1))
    path = _unique(scratch, "dup.npz")
    np.savez(path, **d)
    with pytest.raises(EstimatorInputError) as err:
        read_smplestx_people(path)
    assert err.value.frame == frames[pair[0]] and "more than once" in str(err.value)
    assert err.value.field == "frame" and str(path) in str(err.value)


def test_duplicated_frame_files_name_both_files(tmp_path):
    rng = np.random.default_rng(1)
    for frame in (1, 2, 3):
        W.write_smplerx_frame(tmp_path / "out", frame, 0, W.smplerx_params(rng), [10, 20, 200, 380])
    smplx = tmp_path / "out" / "smplx"
    (smplx / "00003_0.npz").rename(smplx / "002_0.npz")  # frame 2 again, under another name
    meta = tmp_path / "out" / "meta"
    (meta / "00003_0.json").rename(meta / "002_0.json")
    with pytest.raises(EstimatorInputError) as err:
        read_smplerx_people(tmp_path / "out")
    message = str(err.value)
    assert err.value.frame == 2 and "00002_0.npz" in message and "002_0.npz" in message


# ---------------------------------------------------------------------------------------------- huge headers

def _huge_npy(shape: tuple, descr: str = "<f8") -> bytes:
    bio = io.BytesIO()
    np.lib.format.write_array_header_1_0(bio, {"descr": descr, "fortran_order": False, "shape": shape})
    return bio.getvalue() + b"\0" * 24


def _npz_with(path: Path, arrays: dict, raw: dict) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for key, value in arrays.items():
            bio = io.BytesIO()
            np.lib.format.write_array(bio, np.asarray(value))
            zf.writestr(f"{key}.npy", bio.getvalue())
        for key, data in raw.items():
            zf.writestr(f"{key}.npy", data)
    return path


@pytest.mark.parametrize("shape", [(10 ** 12,), (10 ** 6, 10 ** 6), (2 ** 40, 3), (10 ** 9,)])
def test_huge_declared_arrays_are_refused_without_allocating(tmp_path, shape):
    """An npy header declaring ~10**12 elements in a tiny file: every reader refuses it from the sizes alone."""
    rng = np.random.default_rng(0)
    emoca = tmp_path / "emoca" / "000001_000"
    W.save_codes(tmp_path / "emoca", "000001_000", W.emoca_vals(rng, 1), 0)
    (emoca / "exp.npy").write_bytes(_huge_npy(shape))
    amass = _npz_with(tmp_path / "take.npz", {"trans": np.zeros((2, 3)), "betas": np.zeros(10)},
                      {"poses": _huge_npy(shape)})
    fused = write_fused(tmp_path / "a.fused.npz", __import__("core.demo_data.motion", fromlist=["x"])
                        .make_demo_sequence(num_frames=3))
    data = dict(np.load(fused))
    body = data.pop("body_pose")
    _npz_with(fused, data, {"body_pose": _huge_npy(shape)})
    model = _npz_with(tmp_path / "SMPLX_NEUTRAL.npz", {}, {"v_template": _huge_npy(shape)})
    pkl = tmp_path / "clip_frame00001_param.pkl"
    pkl.write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 2 ** 40) + b"abc")
    calls = [(lambda: read_emoca_faces(tmp_path / "emoca"), EstimatorInputError),
             (lambda: read_amass(amass), EstimatorInputError),
             (lambda: read_fused(fused), FusionError),
             (lambda: load_body_model(model), ModelFileError),
             (lambda: read_pixie(pkl), UnsafePickleError)]
    assert body.shape[0] == 3
    tracemalloc.start()
    try:
        for call, error in calls:
            with pytest.raises(error) as err:
                call()
            assert "declares" in str(err.value) and "MemoryError" not in str(err.value), str(err.value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2 ** 20, f"{peak / 2 ** 20:.0f} MiB allocated while refusing {shape}"


def test_large_npy_files_are_memory_mapped(tmp_path, monkeypatch):
    """Plain .npy files from MMAP_MIN_BYTES on are mapped read-only, not read (EMOCA codes of a long take)."""
    import core.fileio.safe_pickle as sp

    monkeypatch.setattr(sp, "MMAP_MIN_BYTES", 1024)
    arr = np.arange(4096, dtype=np.float64).reshape(64, 64)
    np.save(tmp_path / "exp.npy", arr)
    out = load_npy(tmp_path / "exp.npy")
    assert isinstance(out, np.memmap) and not out.flags.writeable
    np.testing.assert_array_equal(out, arr)
    np.save(tmp_path / "small.npy", arr[:2, :2])
    assert not isinstance(load_npy(tmp_path / "small.npy"), np.memmap)


# ---------------------------------------------------------------------------------------------- is_right

@settings(max_examples=30, **SETTINGS)
@given(value=st.sampled_from([2.0, -1.0, 0.5, np.nan, np.inf, "yes", 1e300]), row=st.integers(0, 2))
def test_wrong_is_right_names_the_field(value, row, scratch):
    d = W.flatten_wilor(W.wilor_out(np.random.default_rng(row), right=[0.0, 1.0, 1.0]))
    d["frame_ids"] = np.array([3, 3, 4])
    right = np.array(d["right"], dtype=object if isinstance(value, str) else np.float64)
    right[row] = value
    d["right"] = right
    path = _unique(scratch, "hands.npz")
    np.savez(path, **d)
    with pytest.raises(FusionError) as err:
        read_wilor(path)
    assert err.value.field == "right" and str(path) in str(err.value)


def test_all_left_hands_are_read(tmp_path):
    d = W.flatten_wilor(W.wilor_out(np.random.default_rng(3), right=[0.0, 0.0]))
    d["frame_ids"] = np.array([1, 2])
    np.savez(tmp_path / "hands.npz", **d)
    hands = read_wilor(tmp_path / "hands.npz")
    assert hands.is_right.tolist() == [False, False] and np.isfinite(hands.hand_pose).all()


# ---------------------------------------------------------------------------------------------- regressions

def _regression_cases(tmp: Path) -> list[tuple[str, callable, type, str]]:
    """(name, call, error type, words) for each crash the fuzzer found, as a minimal file."""
    rng = np.random.default_rng(7)
    cases = []

    def smplestx(**changes) -> Path:
        d = W.smplestx_out(rng, 2)
        d["bbox"] = np.tile([10.0, 20.0, 190.0, 380.0], (2, 1))
        d.update(changes)
        path = tmp / f"smplestx_{len(cases)}.pkl"
        path.write_bytes(pickle.dumps(d, protocol=2))
        return path

    # as_float_array: a JSON / pickle integer beyond float range raised OverflowError
    cases.append(("int beyond float", lambda p=smplestx(cam_trans=[[10 ** 400, 0, 0]] * 2): read_smplestx_people(p),  # noqa: B008
                  EstimatorInputError, "too large"))
    # frames: a 25-digit frame number in a file name raised OverflowError
    folder = tmp / "per_frame"
    folder.mkdir()
    for name in ("frame_000004.pkl", "frame_9999999999999999999999999.pkl"):
        d = {k: v[:1] for k, v in W.smplestx_out(rng, 1).items()}
        d["bbox"] = np.array([[10.0, 20.0, 190.0, 380.0]])
        (folder / name).write_bytes(pickle.dumps(d, protocol=2))
    cases.append(("25-digit frame name", lambda: read_smplestx_people(folder), EstimatorInputError,
                  "frame number"))
    # SMPLer-X meta: an odd number of image-size values raised ValueError (reshape)
    out = tmp / "smplerx"
    _, meta = W.write_smplerx_frame(out, 1, 0, W.smplerx_params(rng), [10, 20, 200, 380])
    doc = json.loads(meta.read_text())
    doc["img_size"] = [640]
    meta.write_text(json.dumps(doc))
    cases.append(("odd img_size", lambda: read_smplerx_people(out), EstimatorInputError, "img_size"))
    # AMASS: gender saved as an array of several values gave a multi-line message; as a ragged list, ValueError
    amass = tmp / "gender.npz"
    np.savez(amass, poses=np.zeros((2, 165)), trans=np.zeros((2, 3)), betas=np.zeros(10),
             gender=np.zeros((3, 3)))
    cases.append(("gender array", lambda: read_amass(amass), EstimatorInputError, "expected one string"))
    # PIXIE: a ragged nested list under a rotation key raised ValueError (inhomogeneous shape)
    cd = W.pixie_codedict(rng)
    cd["right_hand_pose"] = [[1, 2], [3]]
    pixie = W.write_pixie(tmp / "pixie", "clip_frame00001", cd)
    cases.append(("ragged rotation", lambda: read_pixie(pixie), EstimatorInputError, "right_hand_pose"))
    # WiLoR: is_right as a huge integer raised OverflowError
    wil = W.wilor_out(rng, right=[1.0])
    wil["right"] = [10 ** 400]
    wpath = tmp / "000001.pkl"
    wpath.write_bytes(pickle.dumps(wil, protocol=2))
    cases.append(("huge is_right", lambda: read_wilor(wpath), EstimatorInputError, "right"))
    # EMOCA face boxes: a list mixing dicts and numbers raised TypeError; an empty face index, IndexError;
    # an infinite frame in an (N, 5) array, OverflowError
    codes = tmp / "emoca"
    W.save_codes(codes, "000001_000", W.emoca_vals(rng, 1), 0)
    for i, boxes in enumerate(([{"frame": 1, "bbox": [0, 0, 9, 9]}, 5],
                               [{"frame": 1, "bbox": [0, 0, 9, 9], "face_index": []}])):
        bpath = tmp / f"boxes{i}.json"
        bpath.write_text(json.dumps(boxes))
        cases.append((f"face boxes {i}", lambda b=bpath: read_emoca_faces(codes, bbox=b), EstimatorInputError,
                      "bbox" if i == 0 else "face index"))
    npy_boxes = tmp / "boxes.npy"
    np.save(npy_boxes, np.array([[np.inf, 0, 0, 9, 9]]))
    cases.append(("inf frame in box array", lambda: read_emoca_faces(codes, bbox=npy_boxes), EstimatorInputError,
                  "integer frame numbers"))
    # npz members: a 7 KB raw-bytes error text and a control character in a member name reached the message
    garbage = tmp / "garbage.npz"
    blob = bytearray(K.encode("npz", {"global_orient\n": np.zeros((1, 3))}))
    garbage.write_bytes(bytes(blob))
    cases.append(("control character in a member name", lambda: read_smplestx_people(garbage), FusionError, ""))
    # body model: an object member (ValueError), a CRC error (BadZipFile), a NaN hand mean (accepted),
    # a complex array (accepted silently), a sparse J_regressor with a lying shape (densified first)
    model = K._tiny_model(rng)
    for i, (key, value, words) in enumerate((
            ("weights", np.array([{"a": 1}], dtype=object), "without pickle"),
            ("hands_meanl", np.full(45, np.nan), "NaN"),
            ("posedirs", model["posedirs"] + 1j, "real-valued"))):
        d = dict(model)
        d[key] = value
        path = tmp / f"m{i}" / "SMPLX_NEUTRAL.npz"
        path.parent.mkdir()
        np.savez(path, **d)
        cases.append((f"model {key}", lambda p=path: load_body_model(p), ModelFileError, words))
    crc = tmp / "crc" / "SMPLX_NEUTRAL.npz"
    crc.parent.mkdir()
    np.savez(crc, **model)
    data = bytearray(crc.read_bytes())
    data[len(data) // 3] ^= 0xFF
    crc.write_bytes(bytes(data))
    cases.append(("model CRC", lambda: load_body_model(crc), ModelFileError, ""))
    import scipy.sparse

    lying = scipy.sparse.csc_matrix(model["J_regressor"])
    lying._shape = (55, 10 ** 9)
    d = dict(model, J_regressor=lying)
    spath = tmp / "sp" / "SMPLX_NEUTRAL.pkl"
    spath.parent.mkdir()
    spath.write_bytes(pickle.dumps(d, protocol=2))
    cases.append(("sparse with a lying shape", lambda: load_body_model(spath), UnsafePickleError, "sparse"))
    # fused file: image_size of the wrong shape gave a multi-line message
    seq = __import__("core.demo_data.motion", fromlist=["x"]).make_demo_sequence(num_frames=3)
    fpath = write_fused(tmp / "x.fused.npz", seq)
    arrays = dict(np.load(fpath))
    arrays["image_size"] = np.ones((4, 4))
    np.savez(fpath, **arrays)
    cases.append(("fused image_size", lambda: read_fused(fpath), FusionError, "image_size"))
    return cases


def test_regressions_found_by_the_fuzzer(tmp_path):
    for name, call, error, words in _regression_cases(tmp_path):
        with pytest.raises(error) as err:
            call()
        text = str(err.value)
        assert words in text, f"{name}: {text}"
        assert "\n" not in text and len(text) < 900 and str(tmp_path) in text, f"{name}: {text}"
