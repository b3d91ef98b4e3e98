"""Structure-aware fuzzing of every reader: real-format seeds, fault injectors and a case runner.

Shared by the hypothesis tests in this folder (a bounded number of examples) and by ``bench/fuzz.py`` (at least
10,000 cases per reader). Nothing here is random on its own: every choice is drawn from the ``random.Random``
the caller passes (hypothesis's, or one seeded per case), so a case is reproduced from its seed.

- Seeds are written once by ``tests/io/io_writers.py`` (each estimator's own layout) and by the project's
  writers (fused file, body model), then held in memory as :class:`FileSpec` trees.
- A fault (:data:`FAULTS`) rewrites one file of a copy of a seed tree, at the level of keys and values
  (dropped or extra keys, NaN / Inf, empty arrays, wrong dtypes and shapes, out-of-range values, bad frame
  numbers, a wrong ``is_right``) or of bytes (truncation, flipped bytes, garbage, headers declaring huge arrays),
  or plants a malicious pickle (code-execution payloads and numpy-reconstructor gadgets).
- :func:`run_case` writes the tree into a fresh folder, calls the reader, and classifies what happened: a valid
  result, an error of the project's own type (:class:`core.errors.FusionError`) that reads well, or a failure
  (an uncaught exception, a malformed message, an invalid result, or a payload that ran).
"""
from __future__ import annotations

import functools
import io
import json
import os
import pickle
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

_TESTS = Path(__file__).resolve().parents[1]
for _p in (_TESTS.parent, _TESTS / "io"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import expose_writer as XW  # noqa: E402
import io_writers as W  # noqa: E402
import joblib_writer as JW  # noqa: E402
import phalp_writer as PW  # noqa: E402

from core.body.model import BodyModel, load_body_model  # noqa: E402
from core.body.skeleton import NUM_JOINTS, NUM_POSE_BASIS, PARENTS  # noqa: E402
from core.contracts.estimates import BodyEstimate, FaceEstimate, HandDetections  # noqa: E402
from core.contracts.fused_file import FusedSequence, read_fused, write_fused  # noqa: E402
from core.errors import FusionError  # noqa: E402
from core.io import (  # noqa: E402
    read_amass,
    read_bodies,
    read_emoca_faces,
    read_faces,
    read_hands,
    read_pixie,
    read_smplerx_people,
    read_smplestx_people,
    read_wilor,
)
from core.io.expose import read_expose  # noqa: E402
from core.io.frames import FRAME_KEYS  # noqa: E402
from core.io.phalp import read_phalp_people  # noqa: E402

MARKER = "PWNED"  # a payload that runs creates this file in the case folder

#: Every fault class, in the order the reports list them.
FAULTS = ("truncate", "bitflip", "garbage", "drop_key", "extra_key", "nan_inf", "empty", "dtype", "shape",
          "extreme", "huge_header", "frames", "is_right", "payload", "numpy_gadget", "missing_file", "combo")

FAULT_MEANING = {
    "truncate": "file cut at a random byte (also empty)",
    "bitflip": "1-8 random bytes changed",
    "garbage": "file replaced or overwritten in part by random bytes",
    "drop_key": "a required or optional key removed (also nested)",
    "extra_key": "an unexpected key added, with names readers look for (frame_ids, person_id, bbox, ...)",
    "nan_inf": "NaN / +Inf / -Inf in one element, one row or everywhere",
    "empty": "a value replaced by an empty array / list / dict / string",
    "dtype": "wrong dtype: strings, bytes, bool, complex, int8 overflow, float16, object, record, datetime",
    "shape": "wrong shape: transposed, extra or missing axes, rows dropped or repeated, scalars",
    "extreme": "out-of-range numbers: 1e308, -1e308, 0, negatives, denormals, 10**400 (JSON / pickle ints)",
    "huge_header": "npy header or zip entry declaring ~10**12 elements, pickles declaring huge byte strings",
    "frames": "frame numbers duplicated, out of order, negative, fractional, NaN, huge; file names renamed",
    "is_right": "is_right as 2, -1, 0.5, NaN, strings, None, wrong length, all one side",
    "payload": "pickles whose reduce runs code: os/posix/nt.system, eval, exec, subprocess, getattr chains, "
               "__import__, operator.attrgetter, numpy.load(allow_pickle=True), runstring, open, pickle.loads",
    "numpy_gadget": "pickles built only from admitted numpy/scipy callables with lying states (short object "
                    "lists, object fields in flag-less records, in-place builtin dtype changes, bad sparse indices)",
    "missing_file": "one file of a folder layout removed (or all of them)",
    "combo": "two or three of the above at once",
}


# ============================================================================================== file trees

class RawMember:
    """An npz member given as raw ``.npy`` bytes (e.g. a header declaring more data than follows)."""

    def __init__(self, data: bytes) -> None:
        self.data = data


@dataclass
class FileSpec:
    """One file of a case: its format and content, and the bytes written (computed lazily, or set by a byte fault).

    ``kind`` is ``npz``, ``pkl``, ``npy`` or ``json``; ``content`` is a mapping (or an array for ``npy``, a list for
    list pickles) or None once the bytes were changed directly.
    """

    kind: str
    content: Any
    data: Optional[bytes] = None
    protocol: int = 2

    def encode(self) -> bytes:
        if self.data is None:
            self.data = encode(self.kind, self.content, self.protocol)
        return self.data

    def with_content(self, content: Any) -> "FileSpec":
        return FileSpec(self.kind, content, None, self.protocol)

    def with_bytes(self, data: bytes) -> "FileSpec":
        return FileSpec(self.kind, None, data, self.protocol)


Tree = dict  # relative path -> FileSpec


def npy_bytes(value: Any) -> bytes:
    """``np.save`` of ``value`` in memory (object arrays pickled, as numpy writes them)."""
    if isinstance(value, RawMember):
        return value.data
    arr = _as_array(value)
    bio = io.BytesIO()
    np.lib.format.write_array(bio, arr, allow_pickle=True)
    return bio.getvalue()


def _as_array(value: Any) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asanyarray(value)
        if arr.dtype != object or isinstance(value, np.ndarray):
            return arr
    except (ValueError, TypeError, OverflowError):
        pass
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("latin1")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def encode(kind: str, content: Any, protocol: int = 2) -> bytes:
    """The bytes of a file of ``kind`` holding ``content``, written as numpy / pickle / json write them."""
    if kind == "npz":
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, "w", zipfile.ZIP_STORED) as zf:
            for key, value in content.items():
                zf.writestr(f"{key}.npy", npy_bytes(value))
        return bio.getvalue()
    if kind == "npy":
        return npy_bytes(content)
    if kind == "pkl":
        return content.data if isinstance(content, RawMember) else pickle.dumps(content, protocol=protocol)
    if kind == "json":
        return json.dumps(_jsonable(content)).encode()
    if kind == "joblib":  # joblib.dump's format, zlib-compressed (protocol 0: uncompressed)
        return content.data if isinstance(content, RawMember) else JW.dumps_like_joblib(content, compress=protocol)
    if kind == "torch":  # torch.save of the content, numeric arrays as tensors (GVHMR's hmr4d_results.pt)
        return content.data if isinstance(content, RawMember) else _torch_bytes(content)
    raise ValueError(kind)


def _as_tensors(value: Any) -> Any:
    """Numeric numpy arrays (anywhere in dicts / lists) as torch tensors; anything else as it is."""
    import torch

    if isinstance(value, dict):
        return {k: _as_tensors(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_tensors(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.dtype != np.float16:
        try:
            return torch.from_numpy(np.ascontiguousarray(value))
        except (TypeError, ValueError, RuntimeError):
            return value
    return value


def _torch_bytes(content: Any) -> bytes:
    import torch

    bio = io.BytesIO()
    torch.save(_as_tensors(content), bio)
    return bio.getvalue()


def write_tree(root: Path, tree: Tree) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for rel, spec in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(spec.encode())


def load_spec(path: Path) -> FileSpec:
    """A seed file written by a real-format writer, read back with trusted loaders (these are our own files)."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=True) as npz:
            content = {k: (npz[k].item() if npz[k].dtype == object and npz[k].ndim == 0 else npz[k])
                       for k in npz.files}
        return FileSpec("npz", content, data)
    if suffix == ".pkl":
        return FileSpec("pkl", pickle.loads(data), data)
    if suffix == ".npy":
        return FileSpec("npy", np.load(path, allow_pickle=True), data)
    if suffix == ".json":
        return FileSpec("json", json.loads(data), data)
    raise ValueError(path)


def read_tree(root: Path) -> Tree:
    return {p.relative_to(root).as_posix(): load_spec(p) for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix.lower() in (".npz", ".pkl", ".npy", ".json")}


# ============================================================================================== seeds

Reader = Callable[[Path, random.Random], Any]


@dataclass
class Seed:
    """One real-format layout of a target and how to read it.

    Attributes:
        name: a short label.
        files: the seed's files.
        read: the reader call on a case folder (options drawn from the case's random source).
        frame_names: relative paths (files or folders) whose names carry frame numbers.
        weight: how often cases start from this seed, relative to the target's others (the registry entry
            points read every file twice, so they get a smaller share).
    """

    name: str
    files: Tree
    read: Reader
    frame_names: tuple = ()
    weight: float = 1.0


@dataclass
class Target:
    """A reader under test: its seeds, the faults that apply, and the checks on a valid result."""

    name: str
    seeds: list
    check: Callable[[Any], None]
    faults: tuple


def _policy(r: random.Random) -> str:
    return "invalidate" if r.random() < 0.3 else "raise"


def _tiny_model(rng: np.random.Generator, n_verts: int = 8) -> dict:
    """A small model in the official SMPL-X file layout (the loader does not require 10,475 vertices)."""
    faces = np.stack([np.arange(n_verts - 2), np.arange(1, n_verts - 1), np.arange(2, n_verts)], axis=1)
    weights = rng.random((n_verts, NUM_JOINTS))
    j_reg = rng.random((NUM_JOINTS, n_verts)) * (rng.random((NUM_JOINTS, n_verts)) > 0.8)
    j_reg /= np.maximum(j_reg.sum(axis=1, keepdims=True), 1e-9)
    kintree = np.stack([PARENTS, np.arange(NUM_JOINTS)]).astype(np.uint32)
    kintree[0, 0] = 2 ** 32 - 1
    return {
        "v_template": rng.normal(scale=0.3, size=(n_verts, 3)),
        "f": faces.astype(np.uint32),
        "J_regressor": j_reg,
        "kintree_table": kintree,
        "weights": weights / weights.sum(axis=1, keepdims=True),
        "shapedirs": rng.normal(scale=0.01, size=(n_verts, 3, 20)),
        "posedirs": rng.normal(scale=0.001, size=(n_verts, 3, NUM_POSE_BASIS)),
        "hands_meanl": rng.normal(scale=0.1, size=45),
        "hands_meanr": rng.normal(scale=0.1, size=45),
        "hands_componentsl": rng.normal(size=(45, 45)),
        "hands_componentsr": rng.normal(size=(45, 45)),
    }


def build_targets(workdir: Path) -> dict[str, Target]:
    """Write every seed once with the real-format writers under ``workdir`` and load them as trees."""
    import scipy.sparse

    from core.demo_data.motion import make_demo_sequence

    rng = np.random.default_rng(2024)
    seeds_root = Path(tempfile.mkdtemp(prefix="seeds_", dir=workdir))
    out: dict[str, Target] = {}

    # SMPLer-X: <out>/smplx/{frame:05}_{bbox_id}.npz + <out>/meta/{frame:05}_{bbox_id}.json (main/inference.py)
    d = seeds_root / "smplerx" / "out"
    for frame in (1, 2, 3):
        W.write_smplerx_frame(d, frame, 0, W.smplerx_params(rng), [40.0 * frame, 30.0, 200.0, 380.0])
    tree = {f"out/{k}": v for k, v in read_tree(d).items()}
    smplerx = Seed("smplx+meta", tree, lambda root, r: read_smplerx_people(root / "out", nonfinite=_policy(r)),
                   frame_names=tuple(k for k in tree))
    smplerx_reg = Seed("smplx+meta via read_bodies", tree,
                       lambda root, r: read_bodies(root / "out", nonfinite=_policy(r)),
                       frame_names=tuple(k for k in tree), weight=0.5)
    out["smpler-x"] = Target("smpler-x", [smplerx, smplerx_reg], check_bodies, _faults(exclude=("is_right",)))

    # SMPLest-X: the model's output dict, batched (npz and pkl), or one file per frame
    batch = W.smplestx_out(rng, 4)
    batch["frame_ids"] = np.array([10, 11, 12, 13])
    batch["bbox"] = np.tile([12.0, 20.0, 190.0, 380.0], (4, 1))
    npz_tree = {"smplestx.npz": FileSpec("npz", batch)}
    pkl_tree = {"smplestx.pkl": FileSpec("pkl", dict(batch))}
    per_frame: Tree = {}
    for i, frame in enumerate((4, 5, 7)):
        one = {k: v[i:i + 1] for k, v in batch.items() if k != "frame_ids"}
        per_frame[f"frames/frame_{frame:06d}.pkl"] = FileSpec("pkl", one)
    out["smplest-x"] = Target("smplest-x", [
        Seed("batched npz", npz_tree, lambda root, r: read_smplestx_people(root / "smplestx.npz",
                                                                           nonfinite=_policy(r))),
        Seed("batched pkl", pkl_tree, lambda root, r: read_smplestx_people(root / "smplestx.pkl",
                                                                           nonfinite=_policy(r))),
        Seed("per-frame pkl", per_frame, lambda root, r: read_smplestx_people(root / "frames",
                                                                              nonfinite=_policy(r)),
             frame_names=tuple(per_frame)),
        Seed("batched npz via read_bodies", npz_tree,
             lambda root, r: read_bodies(root / "smplestx.npz", nonfinite=_policy(r)), weight=0.5),
    ], check_bodies, _faults(exclude=("is_right",)))

    # PIXIE: <savefolder>/<name>/<name>_param.pkl, protocol 2 (demos/demo_fit_body.py)
    d = seeds_root / "pixie"
    codes = [W.pixie_codedict(rng) for _ in range(2)]
    for i, cd in enumerate(codes):
        W.write_pixie(d, f"clip_frame{i + 1:05d}", cd)
    tree = read_tree(d)
    parts = {k: FileSpec("pkl", {kk: vv for kk, vv in v.content.items() if kk != "body_pose"})
             for k, v in tree.items()}
    out["pixie"] = Target("pixie", [
        Seed("param pkl folder", tree, lambda root, r: read_pixie(root, nonfinite=_policy(r)),
             frame_names=tuple(tree)),
        Seed("param pkl without body_pose", parts, lambda root, r: read_pixie(root, nonfinite=_policy(r)),
             frame_names=tuple(parts)),
        Seed("param pkl via read_bodies", tree, lambda root, r: read_bodies(root, nonfinite=_policy(r)),
             frame_names=tuple(tree), weight=0.5),
    ], check_bodies, _faults(exclude=("is_right",)))

    # AMASS: poses (T, 165) / (T, 156) or split keys
    t = 5
    poses = rng.normal(scale=0.3, size=(t, 165))
    amass = {"poses": poses, "trans": rng.normal(size=(t, 3)), "betas": rng.normal(size=16),
             "gender": np.array("female"), "mocap_frame_rate": np.array(60.0), "surface_model_type": np.array("smplx")}
    smplh = {"poses": poses[:, :156], "trans": amass["trans"], "betas": rng.normal(size=16),
             "gender": np.array("male", dtype=object), "mocap_framerate": np.array(120.0)}
    split = {"root_orient": poses[:, :3], "pose_body": poses[:, 3:66], "pose_jaw": poses[:, 66:69],
             "pose_eye": poses[:, 69:75], "pose_hand": poses[:, 75:165], "trans": amass["trans"],
             "betas": rng.normal(size=10), "expression": rng.normal(size=(t, 10))}
    out["amass"] = Target("amass", [
        Seed("smplx 165", {"take.npz": FileSpec("npz", amass)},
             lambda root, r: read_amass(root / "take.npz", nonfinite=_policy(r))),
        Seed("smplh 156", {"take.npz": FileSpec("npz", smplh)},
             lambda root, r: read_amass(root / "take.npz", nonfinite=_policy(r))),
        Seed("split keys", {"take.npz": FileSpec("npz", split)},
             lambda root, r: read_amass(root / "take.npz", nonfinite=_policy(r))),
        Seed("smplx 165 via read_bodies", {"take.npz": FileSpec("npz", amass)},
             lambda root, r: read_bodies(root / "take.npz", nonfinite=_policy(r)), weight=0.5),
    ], check_bodies, _faults(exclude=("is_right",)))

    # ExPose: <output>/<image>/<image>_params.npz (demo.py --save-params), object arrays full_pose / v_shaped
    d = seeds_root / "expose"
    for frame in (1, 2):
        name = f"frame_{frame:06d}.jpg"
        XW.write_expose(d, name, XW.expose_params(np.random.default_rng(frame), (180.0, 150.0, 480.0, 560.0),
                                                  (800.0, 600.0), fname=name))
    tree = read_tree(d)
    out["expose"] = Target("expose", [
        Seed("params npz folder", tree, lambda root, r: read_expose(root, nonfinite=_policy(r)),
             frame_names=tuple(tree)),
        Seed("one params npz", {k: v for k, v in tree.items() if "000001" in k},
             lambda root, r: read_expose(root / "frame_000001.jpg" / "frame_000001.jpg_params.npz",
                                         nonfinite=_policy(r))),
        Seed("params npz folder via read_bodies", tree, lambda root, r: read_bodies(root, nonfinite=_policy(r)),
             frame_names=tuple(tree), weight=0.5),
    ], check_bodies, _faults(exclude=("is_right",)))

    # EMOCA: save_codes folders <frame %06d>_<face %03d>/ (gdl_apps/EMOCA/utils/io.py) + face boxes JSON;
    # or the codes dict of EMOCA.encode dumped batched
    d = seeds_root / "emoca" / "EMOCA"
    vals = W.emoca_vals(rng, 3)
    for i in range(2):
        W.save_codes(d, f"{i + 1:06d}_000", vals, i)
    tree = {f"EMOCA/{k}": v for k, v in read_tree(d).items()}
    tree["boxes.json"] = FileSpec("json", {"1": [100.0, 50.0, 220.0, 190.0], "2": [104.0, 52.0, 224.0, 192.0]})
    folders = tuple(sorted({k.rsplit("/", 1)[0] for k in tree if k.startswith("EMOCA/")}))
    codes_dict = dict(vals)
    codes_dict["frame_ids"] = np.array([3, 4, 5])
    codes_dict["bbox"] = np.tile([100.0, 50.0, 220.0, 190.0], (3, 1))
    out["emoca"] = Target("emoca", [
        Seed("save_codes folders", tree,
             lambda root, r: read_emoca_faces(root / "EMOCA", bbox=root / "boxes.json", nonfinite=_policy(r)),
             frame_names=folders),
        Seed("codes dict npz", {"codes.npz": FileSpec("npz", codes_dict)},
             lambda root, r: read_emoca_faces(root / "codes.npz", nonfinite=_policy(r))),
        Seed("codes dict pkl via read_faces", {"codes.pkl": FileSpec("pkl", dict(codes_dict))},
             lambda root, r: read_faces(root / "codes.pkl", nonfinite=_policy(r)), weight=0.5),
    ], check_faces, _faults(exclude=("is_right",)))

    # WiLoR: per-frame nested pkl dumps, or a batched flattened npz with frame_ids
    per_frame = {f"hands/{frame:06d}.pkl": FileSpec("pkl", W.wilor_out(rng, right=[0.0, 1.0])) for frame in (5, 6)}
    flat = W.flatten_wilor(W.wilor_out(rng, right=[0.0, 1.0, 1.0]))
    flat["frame_ids"] = np.array([3, 3, 4])
    out["wilor"] = Target("wilor", [
        Seed("per-frame pkl", per_frame, lambda root, r: read_wilor(root / "hands", nonfinite=_policy(r)),
             frame_names=tuple(per_frame)),
        Seed("batched npz", {"hands.npz": FileSpec("npz", flat)},
             lambda root, r: read_wilor(root / "hands.npz", nonfinite=_policy(r))),
        Seed("batched npz via read_hands", {"hands.npz": FileSpec("npz", flat)},
             lambda root, r: read_hands(root / "hands.npz", nonfinite=_policy(r)), weight=0.5),
    ], check_hands, _faults())

    # 4D-Humans / PHALP: joblib.dump(final_visuals_dic, compress=3), frame path -> parallel per-track lists
    phalp = PW.phalp_results(rng, frames=3)
    out["phalp"] = Target("phalp", [
        Seed("joblib compress=3", {"results/demo_clip.pkl": FileSpec("joblib", phalp, protocol=3)},
             lambda root, r: read_phalp_people(root / "results" / "demo_clip.pkl", nonfinite=_policy(r),
                                               keep_predicted=r.random() < 0.3)),
        Seed("joblib uncompressed via read_bodies", {"demo_clip.pkl": FileSpec("joblib", phalp, protocol=0)},
             lambda root, r: read_bodies(root / "demo_clip.pkl", nonfinite=_policy(r)), weight=0.5),
        Seed("plain pickle", {"demo_clip.pkl": FileSpec("pkl", phalp)},
             lambda root, r: read_phalp_people(root / "demo_clip.pkl", nonfinite=_policy(r))),
    ], check_bodies, _faults(exclude=("is_right",)))

    # the fused file, schema v1, written by core.contracts.fused_file.write_fused
    d = seeds_root / "fused"
    write_fused(d / "take.fused.npz", make_demo_sequence(num_frames=4))
    out["fused"] = Target("fused", [
        Seed("fused v1", {"take.fused.npz": load_spec(d / "take.fused.npz")},
             lambda root, r: read_fused(root / "take.fused.npz")),
    ], check_fused, _faults(exclude=("is_right",)))

    # the body model file: npz and the official pkl layout (scipy CSC J_regressor, py2-style protocol 2)
    model = _tiny_model(rng)
    model_pkl = dict(model)
    model_pkl["J_regressor"] = scipy.sparse.csc_matrix(model["J_regressor"])
    out["model"] = Target("model", [
        Seed("npz", {"SMPLX_NEUTRAL.npz": FileSpec("npz", model)},
             lambda root, r: load_body_model(root / "SMPLX_NEUTRAL.npz")),
        Seed("pkl", {"SMPLX_NEUTRAL.pkl": FileSpec("pkl", model_pkl)},
             lambda root, r: load_body_model(root / "SMPLX_NEUTRAL.pkl")),
    ], check_model, _faults(exclude=("is_right",)))
    _interchange_targets(out, seeds_root, model)
    _world_targets(out, seeds_root, model)
    out.update(_detector_targets())
    shutil.rmtree(seeds_root, ignore_errors=True)
    return out


def _detector_targets() -> dict:
    """2D detector keypoints (core/io/openpose.py, core/io/coco_wholebody.py), read directly and through
    ``core.camera.keypoints2d.read_keypoints2d`` (what ``fit-camera --keypoints2d`` calls)."""
    from core.camera.keypoints2d import read_keypoints2d
    from core.io.coco_wholebody import read_mmpose_json, read_rtmlib_npz
    from core.io.openpose import read_openpose

    rng = np.random.default_rng(7)
    json_only = ("payload", "numpy_gadget")  # nowhere to plant a pickle in a JSON-only layout

    def flat(n: int) -> np.ndarray:
        return np.concatenate([rng.uniform(0, 640, (n, 2)), rng.uniform(0, 1, (n, 1))], 1).reshape(-1)

    def op_person(n_pose: int) -> dict:
        return {"person_id": [-1], "pose_keypoints_2d": flat(n_pose).round(3).tolist(),
                "face_keypoints_2d": flat(70).round(3).tolist(), "hand_left_keypoints_2d": flat(21).round(3).tolist(),
                "hand_right_keypoints_2d": flat(21).round(3).tolist()}

    folder = {f"json/clip_{f:012d}_keypoints.json": FileSpec("json", {"version": 1.3, "people": [
        op_person(25) for _ in range(1 + f % 2)]}) for f in (3, 4, 6)}
    single = {"img_keypoints.json": FileSpec("json", {"people": [op_person(18)]})}
    targets = {"openpose": Target("openpose", [
        Seed("BODY_25 folder", folder, lambda root, r: read_openpose(root / "json"), frame_names=tuple(folder)),
        Seed("COCO-18 single image", single, lambda root, r: read_openpose(root / "img_keypoints.json")),
        Seed("folder via read_keypoints2d", folder,
             lambda root, r: read_keypoints2d(root / "json", person=r.choice([None, 0, 1])),
             frame_names=tuple(folder), weight=0.5),
    ], check_detector_keypoints, _faults(exclude=("is_right",) + json_only))}

    def instance(k: int) -> dict:
        return {"keypoints": rng.uniform(0, 640, (k, 2)).round(3).tolist(),
                "keypoint_scores": rng.uniform(0, 1, k).round(4).tolist(), "bbox": [[10.0, 20.0, 300.0, 400.0]],
                "bbox_score": 0.9}

    video = {"clip.json": FileSpec("json", [{"frame_id": i, "instances": [instance(133)] * (1 + i % 2)}
                                            for i in range(3)])}
    image = {"img_000012.json": FileSpec("json", [instance(133), instance(133)])}
    npz = {"rtm.npz": FileSpec("npz", {"keypoints": rng.uniform(0, 640, (2, 133, 2)).astype(np.float32),
                                       "scores": rng.uniform(0, 2, (2, 133)).astype(np.float32)})}
    stacked = {"clip.npz": FileSpec("npz", {"keypoints": rng.uniform(0, 640, (3, 1, 134, 2)).astype(np.float32),
                                            "scores": rng.uniform(0, 1, (3, 1, 134)).astype(np.float32),
                                            "frame_ids": np.array([5, 6, 8])})}
    targets["mmpose"] = Target("mmpose", [
        Seed("mmpose video json", video, lambda root, r: read_mmpose_json(root / "clip.json")),
        Seed("mmpose image json", image, lambda root, r: read_mmpose_json(root / "img_000012.json")),
        Seed("mmpose via read_keypoints2d", video, lambda root, r: read_keypoints2d(root / "clip.json"), weight=0.5),
    ], check_detector_keypoints, _faults(exclude=("is_right",) + json_only))
    targets["rtmlib"] = Target("rtmlib", [
        Seed("rtmlib npz", npz, lambda root, r: read_rtmlib_npz(root / "rtm.npz")),
        Seed("rtmlib stacked npz (openpose 134)", stacked, lambda root, r: read_rtmlib_npz(root / "clip.npz")),
        Seed("rtmlib via read_keypoints2d", stacked, lambda root, r: read_keypoints2d(root / "clip.npz"),
             weight=0.5),
    ], check_detector_keypoints, _faults(exclude=("is_right",)))
    return targets


def _world_targets(out: dict, seeds_root: Path, model_arrays: dict) -> None:
    """World-grounded bodies (core/io/world): GVHMR ``hmr4d_results.pt`` (torch.save), WHAM ``wham_output.pkl``
    (joblib, and as a plain pickle, which joblib also loads), TRAM ``camera.npy`` + ``hps/hps_track_0.npy`` (np.save
    of dicts, torch tensors inside) and PromptHMR ``results.pkl`` (joblib); seeds from tests/io/world's writers."""
    world_tests = _TESTS / "io" / "world"
    if str(world_tests) not in sys.path:
        sys.path.insert(0, str(world_tests))
    import joblib
    import torch
    import world_writers as WW

    from core.io.world import read_gvhmr, read_prompthmr_people, read_tram_people, read_wham_people

    d = seeds_root / "world"
    d.mkdir(parents=True, exist_ok=True)
    np.savez(d / "SMPLX_NEUTRAL.npz", **model_arrays)
    tiny = load_body_model(d / "SMPLX_NEUTRAL.npz")
    rng = np.random.default_rng(7)
    body = WW.camera_body(rng, 4)
    cams = WW.random_rigid(rng, 6)
    WW.write_gvhmr(d / "gvhmr" / "hmr4d_results.pt", tiny, body, cams[:4])
    saved = torch.load(d / "gvhmr" / "hmr4d_results.pt", weights_only=True)
    gvhmr = {k: ({k2: v2.numpy() for k2, v2 in v.items()} if isinstance(v, dict) else v.numpy())
             for k, v in saved.items() if k != "net_outputs"}
    out["gvhmr"] = Target("gvhmr", [
        Seed("torch.save", {"hmr4d_results.pt": FileSpec("torch", gvhmr)},
             lambda root, r: read_gvhmr(root / "hmr4d_results.pt", model=tiny, nonfinite=_policy(r))),
        Seed("via read_bodies", {"demo/hmr4d_results.pt": FileSpec("torch", gvhmr)},
             lambda root, r: read_bodies(root / "demo", model=tiny, nonfinite=_policy(r)), weight=0.5),
    ], check_world_bodies, _faults(exclude=("is_right",)))
    wham = {0: WW.wham_track(tiny, body, cams[:4], np.arange(4)),
            3: WW.wham_track(tiny, WW.camera_body(rng, 2), cams[:2], np.array([1, 3]))}
    for track in wham.values():
        track["verts"] = track["verts"][:, :4]  # a small stand-in: the reader does not need the mesh
    out["wham"] = Target("wham", [
        Seed("joblib", {"wham_output.pkl": FileSpec("joblib", wham, protocol=0)},
             lambda root, r: read_wham_people(root / "wham_output.pkl", image_size=(1280, 720), model=tiny,
                                              nonfinite=_policy(r))),
        Seed("plain pickle via read_bodies", {"out/wham_output.pkl": FileSpec("pkl", wham)},
             lambda root, r: read_bodies(root / "out", image_size=(1280, 720), model=tiny, nonfinite=_policy(r)),
             weight=0.5),
    ], check_world_bodies, _faults(exclude=("is_right",)))
    WW.write_tram(d / "tram", body, cams, np.array([1, 2, 3, 5]))
    tram = {"camera.npy": FileSpec("npy", np.load(d / "tram" / "camera.npy", allow_pickle=True).item()),
            "hps/hps_track_0.npy": FileSpec("npy", np.load(d / "tram" / "hps" / "hps_track_0.npy",
                                                           allow_pickle=True).item())}
    out["tram"] = Target("tram", [
        Seed("camera.npy + hps/", tram, lambda root, r: read_tram_people(root, nonfinite=_policy(r))),
    ], check_world_bodies, _faults(exclude=("is_right",)))
    WW.write_prompthmr(d / "results.pkl", tiny, {0: (body, np.arange(4)),
                                                 2: (WW.camera_body(rng, 2), np.array([2, 5]))}, cams)
    out["prompthmr"] = Target("prompthmr", [
        Seed("joblib", {"results.pkl": FileSpec("joblib", joblib.load(d / "results.pkl"), protocol=0)},
             lambda root, r: read_prompthmr_people(root / "results.pkl", model=tiny, nonfinite=_policy(r))),
    ], check_world_bodies, _faults(exclude=("is_right",)))


def _interchange_targets(out: dict, seeds_root: Path, model_arrays: dict) -> None:
    """Meshcapade ``.smpl`` (an npz without the suffix, written by smplcodec) and ``.mcs`` (glTF JSON with ``.smpl``
    buffers and an animated camera), read into fused takes (core/interchange)."""
    from core.demo_data.motion import make_demo_sequence
    from core.interchange.fused_world import set_world
    from core.interchange.takes import fused_to_mcs, fused_to_smpl, mcs_to_fused, smpl_to_fused

    d = seeds_root / "interchange"
    d.mkdir(parents=True, exist_ok=True)
    np.savez(d / "SMPLX_NEUTRAL.npz", **model_arrays)
    tiny = load_body_model(d / "SMPLX_NEUTRAL.npz")
    take = make_demo_sequence(num_frames=4)
    pose = np.tile(np.eye(4), (4, 1, 1))
    pose[:, :3, :3] = np.diag([1.0, -1.0, -1.0])
    pose[:, 0, 3] = np.linspace(0.0, 0.3, 4)
    set_world(take, pose, np.array([0.0, 1.0, 0.0]))
    fused_to_smpl(take, d / "take.smpl", tiny)
    with np.load(d / "take.smpl") as npz:
        smpl_content = {k: npz[k] for k in npz.files}
    second = make_demo_sequence(num_frames=2)
    second.extras["first_frame"] = np.array(1)
    fused_to_mcs([take, second], d / "scene.mcs", tiny)
    mcs_content = json.loads((d / "scene.mcs").read_text())
    out["smpl"] = Target("smpl", [
        Seed("smplcodec .smpl", {"take.smpl": FileSpec("npz", smpl_content)},
             lambda root, r: smpl_to_fused(root / "take.smpl", tiny)),
    ], check_fused, _faults(exclude=("is_right",)))
    out["mcs"] = Target("mcs", [
        Seed("two bodies + camera", {"scene.mcs": FileSpec("json", mcs_content)},
             lambda root, r: mcs_to_fused(root / "scene.mcs", tiny)),
    ], check_fused_list, _faults(exclude=("is_right", "payload", "numpy_gadget")))  # JSON: no pickle to plant


def _faults(exclude: tuple = ()) -> tuple:
    return tuple(f for f in FAULTS if f not in exclude)


# ============================================================================================== value faults

def _paths(content: Any, depth: int = 2, prefix: tuple = ()) -> list[tuple]:
    """Key paths to the values of a mapping (one level into nested dicts and list items)."""
    out: list[tuple] = []
    if isinstance(content, dict):
        items = list(content.items())
    elif isinstance(content, list):
        items = list(enumerate(content))
    else:
        return out
    for key, value in items:
        out.append(prefix + (key,))
        if depth > 1 and isinstance(value, (dict, list)) and not isinstance(value, np.ndarray):
            out.extend(_paths(value, depth - 1, prefix + (key,)))
    return out


def _get(content: Any, path: tuple) -> Any:
    for key in path:
        content = content[key]
    return content


def _copy_container(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value


def _set(content: Any, path: tuple, value: Any, delete: bool = False) -> Any:
    """A copy of ``content`` with ``path`` set to ``value`` (or removed); containers copied along the path."""
    top = _copy_container(content)
    node = top
    for key in path[:-1]:
        child = _copy_container(node[key])
        node[key] = child
        node = child
    if delete:
        if isinstance(node, dict):
            node.pop(path[-1], None)
        elif isinstance(node, list):
            del node[path[-1]]
    else:
        node[path[-1]] = value
    return top


def _numeric(value: Any) -> Optional[np.ndarray]:
    if isinstance(value, (dict, str, bytes)) or value is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None
    return arr


def _poison(value: Any, r: random.Random) -> Any:
    arr = _numeric(value)
    bad = r.choice([np.nan, np.inf, -np.inf])
    if arr is None or arr.size == 0:
        return bad
    mode = r.random()
    if mode < 0.6:
        arr.flat[r.randrange(arr.size)] = bad
    elif mode < 0.85 and arr.ndim >= 1:
        arr[r.randrange(arr.shape[0])] = bad
    else:
        arr[...] = bad
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and r.random() < 0.5:
        return arr.astype(value.dtype)
    return arr


def _empty(value: Any, r: random.Random) -> Any:
    shape = np.shape(value) if isinstance(value, np.ndarray) else ()
    options: list[Any] = [np.zeros((0,)), [], {}, "", np.array([], dtype=object), np.zeros((0, 0))]
    if len(shape) >= 1:
        options += [np.zeros((0,) + shape[1:]), np.zeros(shape[:-1] + (0,))]
    return r.choice(options)


def _wrong_dtype(value: Any, r: random.Random) -> Any:
    try:
        return _wrong_dtype_of(value, r)
    except Exception:  # noqa: BLE001 - the seed value itself is not numeric (e.g. a string)
        return np.array(["abc", "def"])


def _wrong_dtype_of(value: Any, r: random.Random) -> Any:
    arr = np.asarray(value) if isinstance(value, np.ndarray) else _numeric(value)
    choices = ["str", "None", "dict", "mixed list", "bytes", "record", "datetime", "object"]
    if arr is not None and arr.size:
        choices += ["U", "S", "bool", "complex", "int8", "uint64", "float16", "object array"]
    kind = r.choice(choices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "str":
            return r.choice(["abc", "1.5", "", "nan", "0,0,0"])
        if kind == "None":
            return None
        if kind == "dict":
            return {"x": 1, "y": [1, 2]}
        if kind == "mixed list":
            return [1, "a", None, [2.0]]
        if kind == "bytes":
            return b"\x00\x01\x02"
        if kind == "record":
            return np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4")])
        if kind == "datetime":
            return np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[s]")
        if kind == "object":
            return np.array([None, 1.0, "x"], dtype=object)
        if kind == "U":
            return arr.astype("U8")
        if kind == "S":
            return arr.astype("S8")
        if kind == "bool":
            return arr.astype(bool)
        if kind == "complex":
            return arr.astype(np.complex128) + 1j
        if kind == "int8":
            return (arr * 1000).astype(np.int8)
        if kind == "uint64":
            return np.abs(arr * 1e6).astype(np.uint64)
        if kind == "float16":
            return (arr * 1e5).astype(np.float16)
        out = np.empty(arr.shape, dtype=object)
        out[...] = arr.tolist() if arr.ndim else arr.item()
        return out


def _wrong_shape(value: Any, r: random.Random) -> Any:
    arr = _numeric(value)
    if arr is None:
        return r.choice([np.zeros((2, 3)), np.zeros((1, 1, 1, 1)), 1.0])
    kind = r.choice(["T", "lead", "trail", "drop", "repeat", "first", "scalar", "flat", "col", "reshape",
                     "ndim33"])
    if kind == "T" and arr.ndim >= 2:
        return np.swapaxes(arr, -1, -2).copy()
    if kind == "lead":
        return arr[None]
    if kind == "trail":
        return arr[..., None]
    if kind == "drop" and arr.size:
        return arr.reshape(-1)[:-1]
    if kind == "repeat" and arr.ndim >= 1:
        return np.concatenate([arr, arr], axis=0)
    if kind == "first" and arr.ndim >= 1 and arr.shape[0]:
        return arr[:1]
    if kind == "scalar" and arr.size:
        return float(arr.reshape(-1)[0])
    if kind == "flat":
        return arr.reshape(-1)
    if kind == "col":
        return arr.reshape(-1, 1)
    if kind == "ndim33":
        return np.zeros((1,) * 32)
    size = arr.size
    divisors = [d for d in range(2, min(size, 64) + 1) if size % d == 0]
    if divisors:
        d = r.choice(divisors)
        return arr.reshape(d, size // d)
    return arr.reshape(1, -1)


def _extreme(value: Any, r: random.Random, kind: str) -> Any:
    arr = _numeric(value)
    pick = r.choice([1e308, -1e308, 0.0, -1.0, 5e-324, 1e30, -7.0, 3.5])
    if kind in ("pkl", "json") and r.random() < 0.3:
        return r.choice([10 ** 400, -(10 ** 400), 2 ** 63, [10 ** 400, 1, 2]])
    if arr is None or arr.size == 0:
        return pick
    mode = r.random()
    if mode < 0.5:
        arr.flat[r.randrange(arr.size)] = pick
    else:
        arr[...] = pick
    return arr


def random_value(r: random.Random) -> Any:
    """Something a file could hold under a key: arrays of any shape and dtype, strings, containers, junk."""
    kind = r.randrange(10)
    if kind == 0:
        return np.array(r.uniform(-5, 5))
    if kind == 1:
        shape = tuple(r.randrange(0, 5) for _ in range(r.randrange(1, 4)))
        return np.random.default_rng(r.randrange(2 ** 32)).normal(size=shape)
    if kind == 2:
        return np.arange(r.randrange(0, 6))
    if kind == 3:
        return r.choice(["abc", "", "female", "0"])
    if kind == 4:
        return [r.randrange(-3, 100) for _ in range(r.randrange(0, 5))]
    if kind == 5:
        return np.array([np.nan, np.inf])
    if kind == 6:
        return {"nested": np.zeros(3)}
    if kind == 7:
        return np.ones((r.randrange(1, 5), 4))
    if kind == 8:
        return None
    return np.array([True, False])


EXTRA_NAMES = FRAME_KEYS + ("person_id", "track_id", "bbox_id", "bbox", "bbox_xywh", "bbox_mmdet", "score",
                            "img_size", "image_size", "focal", "princpt", "is_right", "right", "gender",
                            "expression", "poses", "trans", "pred_cam_t_full", "crop_index", "face_index",
                            "personid", "cam", "pose_eye", "pose_hand", "mocap_frame_rate", "fps", "schema",
                            "track", "junk", "hands_componentsl", "smplx_expr", "pred_keypoints_3d")


# ============================================================================================== pickles

class _Reduce:
    """An object that pickles as ``func(*args)`` (and optionally a BUILD state)."""

    def __init__(self, func: Any, args: tuple, state: Any = None) -> None:
        self.func, self.args, self.state = func, args, state

    def __reduce__(self) -> tuple:
        return (self.func, self.args) if self.state is None else (self.func, self.args, self.state)


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str0(text: str) -> bytes:
    return b"V" + text.encode("raw_unicode_escape") + b"\n"


def payload_pickles(marker: Path, evil_npy: Path) -> list[tuple[str, bytes]]:
    """Pickles that would create ``marker`` if unpickled with plain ``pickle`` (name, bytes)."""
    m = str(marker)
    create = f"open({m!r}, 'w').close()"
    out: list[tuple[str, bytes]] = []

    def reduced(name: str, func: Any, *args: Any) -> None:
        for proto in (0, 2, 4):
            out.append((f"{name} (protocol {proto})", pickle.dumps({"x": _Reduce(func, args)}, protocol=proto)))

    reduced("os.system", os.system, f"touch {m}")
    reduced("eval", eval, create)
    reduced("exec", exec, create)
    reduced("subprocess.Popen", subprocess.Popen, ["touch", m])
    reduced("subprocess.call", subprocess.call, ["touch", m])
    reduced("subprocess.check_output", subprocess.check_output, ["touch", m])
    reduced("builtins.open", open, m, "w")
    reduced("os.makedirs", os.makedirs, m)
    reduced("numpy.load(allow_pickle=True)", np.load, str(evil_npy), None, True)
    reduced("pickle.loads", pickle.loads, pickle.dumps(_Reduce(os.system, (f"touch {m}",)), protocol=2))
    from numpy.testing._private import utils as np_test_utils

    reduced("numpy runstring", np_test_utils.runstring, create, {})
    proto0 = [
        ("posix.system", _global("posix", "system") + b"(" + _str0(f"touch {m}") + b"tR."),
        ("nt.system", _global("nt", "system") + b"(" + _str0(f"touch {m}") + b"tR."),
        ("__builtin__.eval (py2 name)", _global("__builtin__", "eval") + b"(" + _str0(create) + b"tR."),
        ("builtins.__import__('os').system", _global("builtins", "getattr") + b"(" + _global("builtins", "__import__")
         + b"(" + _str0("os") + b"tR" + _str0("system") + b"tR(" + _str0(f"touch {m}") + b"tR."),
        ("operator.attrgetter('system')(__import__('os'))", _global("operator", "attrgetter") + b"(" + _str0("system")
         + b"tR(" + _global("builtins", "__import__") + b"(" + _str0("os") + b"tRtR(" + _str0(f"touch {m}") + b"tR."),
        ("getattr chain on an admitted module", _global("builtins", "getattr") + b"(" + _global("numpy", "ndarray")
         + _str0("__init__") + b"tR."),
        ("dotted name via STACK_GLOBAL", b"\x80\x04" + b"\x8c\x05numpy\x94" + b"\x8c\x11dtype.__globals__\x94"
         + b"\x93."),
        ("INST os.system", b"(" + _str0(f"touch {m}") + b"ios\nsystem\n."),
        ("OBJ with subprocess.Popen", b"(" + _global("subprocess", "Popen") + b"(" + _str0("touch") + _str0(m)
         + b"lo."),
        ("copyreg._reconstructor", _global("copyreg", "_reconstructor") + b"(" + _global("os", "system")
         + _global("builtins", "object") + b"NtR."),
        ("torch tensor rebuild", _global("torch._utils", "_rebuild_tensor_v2") + b"(NtR."),
        ("REDUCE on numpy.ndarray (huge)", _global("numpy", "ndarray") + b"((I1000000000000\ntS'f8'\ntR."),
        ("REDUCE on a numpy scalar type", _global("numpy", "float64") + b"(" + _str0("1e5") + b"tR."),
        ("_codecs.encode with a non-latin1 codec", _global("_codecs", "encode") + b"(" + _str0("x") + _str0("zlib")
         + b"tR."),
        ("persistent id", b"P" + b"evil\n."),
        ("extension code", b"\x80\x02\x82\x01."),
    ]
    out.extend(proto0)
    return out


@functools.lru_cache(maxsize=1)
def _gadgets() -> list[tuple[str, bytes]]:
    return gadget_pickles()


def gadget_pickles() -> list[tuple[str, bytes]]:
    """Pickles made only of admitted numpy / scipy callables, whose states lie (would crash plain numpy)."""
    from numpy.core import multiarray

    rec = multiarray._reconstruct

    class _Evil:
        def __init__(self, reduce: tuple) -> None:
            self.reduce = reduce

        def __reduce__(self) -> tuple:
            return self.reduce

    def arr(shape: tuple, dtype: Any, raw: Any) -> _Evil:
        return _Evil((rec, (np.ndarray, (0,), b"b"), (1, shape, dtype, False, raw)))

    evil_dtype = _Evil((np.dtype, ("V8", False, True), (3, "|", None, ("a",), {"a": (np.dtype("O"), 0)}, 8, 1, 0)))
    flags_dtype = _Evil((np.dtype, ("V8", False, True), (3, "|", None, None, None, 8, 1, 63)))
    builtin_mut = _Evil((np.dtype, ("f8", False, False), (3, ">", None, None, None, -1, -1, 0)))
    elsize_dtype = _Evil((np.dtype, ("V8", False, True), (3, "|", None, None, None, 4096, 1, 0)))
    cases = [
        ("object array shorter than its shape", arr((5,), np.dtype("O"), [1, 2])),
        ("object array of 10**12 items", arr((10 ** 12,), np.dtype("O"), [1])),
        ("float array of 10**12 items, 16 bytes", arr((10 ** 12,), np.dtype("f8"), b"\0" * 16)),
        ("negative shape", arr((-1,), np.dtype("f8"), b"")),
        ("object field in a flag-less record", arr((1,), evil_dtype, b"\x41" * 8)),
        ("object flags on raw bytes", arr((1,), flags_dtype, b"\x41" * 8)),
        ("builtin dtype changed in place", {"d": builtin_mut, "a": np.arange(3.0)}),
        ("void dtype item size grown after use", arr((1,), elsize_dtype, b"\0" * 8)),
        ("object scalar without data", _Evil((multiarray.scalar, (np.dtype("O"),)))),
        ("scalar with too few bytes", _Evil((multiarray.scalar, (np.dtype("f8"), b"ab")))),
        ("bytearray of 10**12 zeros", _Evil((bytearray, (10 ** 12,)))),
        ("frombuffer mismatch", _Evil((np.core.numeric._frombuffer, (b"\0" * 8, np.dtype("f8"), (10 ** 9,), "C")))),
        ("reconstruct a foreign subtype", _Evil((rec, (np.ma.MaskedArray, (0,), b"b")))),
    ]
    out = []
    for name, obj in cases:
        for proto in (2, 4):
            try:
                out.append((f"{name} (protocol {proto})", pickle.dumps({"x": obj}, protocol=proto)))
            except Exception:  # noqa: BLE001 - a gadget numpy refuses to even pickle is not a case
                continue
    out.extend(_sparse_gadgets())
    out.append(("BINBYTES8 declaring 2**40 bytes", b"\x80\x04\x8e" + struct.pack("<Q", 2 ** 40) + b"abc"))
    out.append(("BINUNICODE8 declaring 2**62 bytes", b"\x80\x04\x8d" + struct.pack("<Q", 2 ** 62) + b"abc"))
    out.append(("SETITEMS on an ndarray", b"\x80\x02" + pickle.dumps(np.zeros(3), protocol=2)[2:-1]
               + b"(K\x00K\x01u."))
    return out


def _sparse_gadgets() -> list[tuple[str, bytes]]:
    import scipy.sparse

    def lying(**state: Any) -> bytes:
        m = scipy.sparse.csc_matrix(np.eye(3))
        m.__dict__.update(state)
        return pickle.dumps({"J_regressor": m}, protocol=2)

    return [
        ("sparse indices out of bounds", lying(indices=np.array([0, 1, 10 ** 6], dtype=np.int32))),
        ("sparse indptr beyond data", lying(indptr=np.array([0, 1, 2, 10 ** 6], dtype=np.int32))),
        ("sparse shape 10**6 x 10**6", lying(_shape=(10 ** 6, 10 ** 6))),
        ("sparse shape not a tuple", lying(_shape="big")),
        ("sparse state shadowing a method", lying(toarray=np.zeros(3))),
    ]


def huge_npy(r: random.Random) -> bytes:
    """An npy payload whose header declares an enormous array, followed by a few bytes."""
    shape = r.choice([(10 ** 12,), (10 ** 6, 10 ** 6), (2 ** 40, 3), (10 ** 9,), (10 ** 5, 10 ** 5, 10)])
    descr = r.choice(["<f8", "<f4", "|u1", "<i8", "|O"])
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    bio = io.BytesIO()
    np.lib.format.write_array_header_1_0(bio, header)
    return bio.getvalue() + os.urandom(r.randrange(0, 64))


def _zip_huge_entry(data: bytes, r: random.Random) -> bytes:
    """An npz whose central directory declares a member of ~2**40 bytes."""
    buf = bytearray(data)
    pos = buf.rfind(b"PK\x01\x02")
    if pos < 0:
        return bytes(buf)
    size = struct.pack("<I", r.choice([0xFFFFFFFE, 0x7FFFFFFF]))
    buf[pos + 24:pos + 28] = size  # uncompressed size
    if r.random() < 0.5:
        buf[pos + 20:pos + 24] = size  # compressed size too
    return bytes(buf)


# ============================================================================================== faults

@dataclass
class Ctx:
    """What a fault needs besides the tree: the worker's folder (payload marker and decoy file) and the seed."""

    workdir: Path
    seed: Seed


def _pick_file(tree: Tree, r: random.Random, kinds: Optional[tuple] = None) -> Optional[str]:
    names = [k for k, v in tree.items() if kinds is None or v.kind in kinds]
    return r.choice(sorted(names)) if names else None


def _mapping_file(tree: Tree, r: random.Random) -> Optional[str]:
    names = [k for k, v in tree.items() if v.content is not None
             and v.kind in ("npz", "pkl", "json", "joblib", "torch", "npy") and isinstance(v.content, (dict, list))]
    return r.choice(sorted(names)) if names else None


def _value_fault(tree: Tree, r: random.Random, ctx: Ctx, make: Callable[[Any, random.Random, str], Any]) -> str:
    name = _pick_file(tree, r)
    if name is None:
        return "no file"
    spec = tree[name]
    if spec.content is None:
        return f"{name}: opaque"
    if spec.kind == "npy" or not isinstance(spec.content, (dict, list)):
        tree[name] = spec.with_content(make(spec.content, r, spec.kind))
        return f"{name}: whole array"
    paths = _paths(spec.content)
    if not paths:
        return f"{name}: empty mapping"
    path = r.choice(paths)
    tree[name] = spec.with_content(_set(spec.content, path, make(_get(spec.content, path), r, spec.kind)))
    return f"{name}: {'/'.join(map(str, path))}"


def fault_truncate(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    name = _pick_file(tree, r)
    data = tree[name].encode()
    cut = r.choice([0, r.randrange(0, max(1, len(data))), max(0, len(data) - r.randrange(1, 40))])
    tree[name] = tree[name].with_bytes(data[:cut])
    return f"{name}: {cut}/{len(data)} bytes"


def fault_bitflip(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    name = _pick_file(tree, r)
    data = bytearray(tree[name].encode())
    if not data:
        return f"{name}: empty"
    for _ in range(r.randrange(1, 9)):
        data[r.randrange(len(data))] = r.randrange(256)
    tree[name] = tree[name].with_bytes(bytes(data))
    return f"{name}: flipped"


def fault_garbage(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    name = _pick_file(tree, r)
    data = bytearray(tree[name].encode())
    mode = r.randrange(4)
    junk = bytes(r.randrange(256) for _ in range(r.randrange(1, 200)))
    if mode == 0 or not data:
        out = junk
    elif mode == 1:
        start = r.randrange(len(data))
        data[start:start + len(junk)] = junk
        out = bytes(data)
    elif mode == 2:
        out = bytes(data) + junk
    else:
        out = junk[:8] + bytes(data)
    tree[name] = tree[name].with_bytes(out)
    return f"{name}: garbage mode {mode}"


def fault_drop_key(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    name = _mapping_file(tree, r)
    if name is None:
        return fault_truncate(tree, r, ctx)
    spec = tree[name]
    paths = _paths(spec.content)
    if not paths:
        return f"{name}: nothing to drop"
    path = r.choice(paths)
    tree[name] = spec.with_content(_set(spec.content, path, None, delete=True))
    return f"{name}: dropped {'/'.join(map(str, path))}"


def fault_extra_key(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    name = _mapping_file(tree, r)
    if name is None:
        return fault_garbage(tree, r, ctx)
    spec = tree[name]
    content = spec.content
    targets = [()] + [p for p in _paths(content) if isinstance(_get(content, p), dict)]
    where = r.choice(targets)
    key = r.choice(EXTRA_NAMES) if r.random() < 0.8 else "k" + str(r.randrange(1000))
    value = random_value(r)
    if isinstance(_get(content, where), list):
        return f"{name}: list target"
    tree[name] = spec.with_content(_set(content, where + (key,), value))
    return f"{name}: added {'/'.join(map(str, where + (key,)))}"


def fault_nan_inf(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    return _value_fault(tree, r, ctx, lambda v, rr, kind: _poison(v, rr))


def fault_empty(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    return _value_fault(tree, r, ctx, lambda v, rr, kind: _empty(v, rr))


def fault_dtype(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    return _value_fault(tree, r, ctx, lambda v, rr, kind: _wrong_dtype(v, rr))


def fault_shape(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    return _value_fault(tree, r, ctx, lambda v, rr, kind: _wrong_shape(v, rr))


def fault_extreme(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    return _value_fault(tree, r, ctx, _extreme)


def fault_huge_header(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    name = _pick_file(tree, r)
    spec = tree[name]
    if spec.kind == "npy":
        tree[name] = spec.with_bytes(huge_npy(r))
        return f"{name}: huge npy header"
    if spec.kind == "npz":
        if r.random() < 0.25:
            tree[name] = spec.with_bytes(_zip_huge_entry(spec.encode(), r))
            return f"{name}: huge zip entry size"
        if spec.content is None:
            return f"{name}: opaque"
        key = r.choice(sorted(spec.content)) if spec.content and r.random() < 0.8 else "extra"
        tree[name] = spec.with_content(_set(spec.content, (key,), RawMember(huge_npy(r))))
        return f"{name}: member {key} declares a huge array"
    if spec.kind == "pkl":
        blobs = [b for n, b in _gadgets() if "10**12" in n or "2**" in n]
        tree[name] = spec.with_bytes(r.choice(blobs))
        return f"{name}: huge pickle"
    return _value_fault(tree, r, ctx, lambda v, rr, kind: rr.choice([10 ** 400, [1e400] * 4, [10 ** 30] * 4]))


def fault_frames(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    renamable = [n for n in ctx.seed.frame_names if any(k == n or k.startswith(n + "/") for k in tree)]
    if renamable and r.random() < 0.5:
        return _rename_frames(tree, r, renamable)
    name = _mapping_file(tree, r)
    if name is None:
        return _rename_frames(tree, r, renamable) if renamable else "no frames"
    spec = tree[name]
    content = spec.content
    if isinstance(content, list):
        idx = r.randrange(len(content)) if content else None
        if idx is None or not isinstance(content[idx], dict):
            return f"{name}: no mapping"
        path_prefix: tuple = (idx,)
        mapping = content[idx]
    else:
        path_prefix, mapping = (), content
    key = next((k for k in FRAME_KEYS if k in mapping), None) or r.choice(FRAME_KEYS)
    base = np.asarray(mapping[key]) if key in mapping else np.arange(_rows_of(mapping))
    n = max(1, base.size)
    kind = r.choice(["dup", "reverse", "shuffle", "negative", "fraction", "huge", "nan", "length", "string",
                     "bool", "2d", "span", "int_huge", "float_big"])
    base = base.reshape(-1).astype(np.float64) if base.size else np.arange(n, dtype=np.float64)
    if kind == "dup":
        value = base.copy()
        value[-1] = value[0]
    elif kind == "reverse":
        value = base[::-1].copy()
    elif kind == "shuffle":
        value = base.copy()
        r.shuffle(value)
    elif kind == "negative":
        value = base - 1000
    elif kind == "fraction":
        value = base + 0.5
    elif kind == "huge":
        value = base + 1e18
    elif kind == "nan":
        value = base.copy()
        value[r.randrange(value.size)] = np.nan
    elif kind == "length":
        value = np.arange(n + r.choice([-1, 1, 5]))
    elif kind == "string":
        value = np.array([str(int(v)) for v in base])
    elif kind == "bool":
        value = base.astype(bool)
    elif kind == "2d":
        value = np.stack([base, base], axis=1)
    elif kind == "span":
        value = base.copy()
        value[-1] = 10 ** 9
    elif kind == "int_huge":
        value = [2 ** 70] * n if spec.kind in ("pkl", "json") else np.full(n, 2 ** 62, dtype=np.int64)
    else:
        value = base * 1e300
    tree[name] = spec.with_content(_set(content, path_prefix + (key,), value))
    return f"{name}: {key} {kind}"


def _rows_of(mapping: dict) -> int:
    for v in mapping.values():
        if isinstance(v, np.ndarray) and v.ndim >= 1:
            return int(v.shape[0])
    return 1


def _rename_frames(tree: Tree, r: random.Random, names: list) -> str:
    """Rename a frame-numbered file or folder: to another's frame number, a huge number, or no digits."""
    old = r.choice(sorted(names))
    parent, _, leaf = old.rpartition("/")
    others = [n for n in names if n != old]
    kind = r.choice(["duplicate", "huge", "nodigits", "zeros", "bigger"])
    digits = "".join(ch if ch.isdigit() else " " for ch in leaf).split()
    if not digits:
        return f"{old}: no digits"
    if kind == "duplicate" and others:
        other_leaf = r.choice(others).rpartition("/")[2]
        other_digits = "".join(ch if ch.isdigit() else " " for ch in other_leaf).split()
        new_num = ("0" + other_digits[0]) if other_digits else "1"
    elif kind == "huge":
        new_num = "9" * r.choice([12, 19, 25, 40])
    elif kind == "nodigits":
        new_num = ""
    elif kind == "zeros":
        new_num = "0" * len(digits[0])
    else:
        new_num = str(int(digits[0]) + r.choice([1000, 10 ** 7, 10 ** 9]))
    new_leaf = leaf.replace(digits[0], new_num if new_num else "x", 1)
    if new_leaf == leaf:
        return f"{old}: unchanged"
    new = f"{parent}/{new_leaf}" if parent else new_leaf
    if new in tree:
        return f"{old}: target exists"
    moved = {}
    for k in list(tree):
        if k == old or k.startswith(old + "/"):
            moved[new + k[len(old):]] = tree.pop(k)
    if old.endswith((".npz", ".pkl", ".npy", ".json")) and r.random() < 0.5:
        for k in list(tree):  # e.g. SMPLer-X's meta/<same name>.json follows
            if k.rpartition("/")[2].split(".")[0] == leaf.split(".")[0] and k != old:
                moved[k.replace(leaf.split(".")[0], new_leaf.split(".")[0])] = tree.pop(k)
    tree.update(moved)
    return f"renamed {old} -> {new} ({kind})"


def fault_is_right(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    name = _mapping_file(tree, r)
    if name is None:
        return "no mapping"
    spec = tree[name]
    content = spec.content
    if isinstance(content, list):
        return f"{name}: list"
    key = "right" if "right" in content else "is_right" if "is_right" in content else r.choice(["right", "is_right"])
    n = _rows_of(content)
    value = r.choice([
        np.full(n, 2.0), np.full(n, -1.0), np.full(n, 0.5), np.array([np.nan] * n), np.array([np.inf] * n),
        np.array(["yes"] * n), None, np.ones(n + 1), np.zeros(0), np.ones((n, 2)), np.zeros(n), np.ones(n, bool),
        "right", {"a": 1}, np.array([1.0 - 1e-9] * n), np.array(1.0), [True] * n,
    ])
    tree[name] = spec.with_content(_set(content, (key,), value))
    return f"{name}: {key} = {value!r:.40}"


def _evil_npy(marker: Path) -> bytes:
    bio = io.BytesIO()
    np.save(bio, np.array([_Reduce(os.system, (f"touch {marker}",))], dtype=object), allow_pickle=True)
    return bio.getvalue()


def _object_member(blob: bytes) -> bytes:
    """An npy payload with an object dtype whose pickle is ``blob`` (as np.save would write one)."""
    bio = io.BytesIO()
    np.lib.format.write_array_header_1_0(bio, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    return bio.getvalue() + blob


def _plant(tree: Tree, r: random.Random, blobs: list[tuple[str, bytes]]) -> str:
    label, blob = r.choice(blobs)
    names = [k for k, v in tree.items() if v.kind in ("pkl", "npz", "npy", "torch", "joblib")]
    if not names:
        return "nowhere to plant"
    name = r.choice(sorted(names))
    spec = tree[name]
    if spec.kind in ("pkl", "torch", "joblib"):
        tree[name] = spec.with_bytes(blob)
    elif spec.kind == "npy":
        tree[name] = spec.with_bytes(_object_member(blob))
    else:
        if spec.content is None:
            return f"{name}: opaque"
        key = r.choice(sorted(spec.content)) if spec.content and r.random() < 0.7 else "extra"
        tree[name] = spec.with_content(_set(spec.content, (key,), RawMember(_object_member(blob))))
    return f"{name}: {label}"


@functools.lru_cache(maxsize=4)
def _payloads_for(workdir: Path) -> list[tuple[str, bytes]]:
    """The payload pickles aimed at ``workdir/PWNED``, and the decoy npy that ``numpy.load`` payloads open."""
    decoy = workdir / "evil_payload.npy"
    decoy.write_bytes(_evil_npy(workdir / MARKER))
    return payload_pickles(workdir / MARKER, decoy)


def fault_payload(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    return _plant(tree, r, _payloads_for(ctx.workdir))


def fault_numpy_gadget(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    return _plant(tree, r, _gadgets())


def fault_missing_file(tree: Tree, r: random.Random, ctx: Ctx) -> str:
    if r.random() < 0.1:
        tree.clear()
        return "every file removed"
    name = _pick_file(tree, r)
    tree.pop(name)
    return f"removed {name}"


FAULT_FUNCS: dict[str, Callable[[Tree, random.Random, Ctx], str]] = {
    "truncate": fault_truncate, "bitflip": fault_bitflip, "garbage": fault_garbage, "drop_key": fault_drop_key,
    "extra_key": fault_extra_key, "nan_inf": fault_nan_inf, "empty": fault_empty, "dtype": fault_dtype,
    "shape": fault_shape, "extreme": fault_extreme, "huge_header": fault_huge_header, "frames": fault_frames,
    "is_right": fault_is_right, "payload": fault_payload, "numpy_gadget": fault_numpy_gadget,
    "missing_file": fault_missing_file,
}


def apply_fault(fault: str, tree: Tree, r: random.Random, ctx: Ctx, faults: tuple) -> str:
    """Apply ``fault`` to ``tree`` in place (files are replaced, never changed); returns what was done."""
    if fault == "combo":
        simple = [f for f in faults if f not in ("combo", "payload", "missing_file")]
        return " + ".join(apply_fault(f, tree, r, ctx, faults) for f in r.sample(simple, r.choice([2, 3])))
    if not tree:
        return "empty tree"
    try:
        return FAULT_FUNCS[fault](tree, r, ctx)
    except Exception as exc:  # noqa: BLE001
        # an earlier fault of a combo (or an odd seed value) left nothing this one can work on: garble bytes
        return f"({fault} not applicable: {type(exc).__name__}) " + fault_garbage(tree, r, ctx)


# ============================================================================================== checks

class InvalidResult(AssertionError):
    """A reader returned something that breaks its own contract (NaN, ragged rows, unsorted frames...)."""


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise InvalidResult(message)


def _finite(name: str, arr: Any, rows: int, trailing: Optional[tuple] = None) -> None:
    arr = np.asarray(arr)
    _require(arr.dtype.kind in "fiu", f"{name}: dtype {arr.dtype}")
    _require(arr.ndim >= 1 and arr.shape[0] == rows, f"{name}: {arr.shape} for {rows} rows")
    if trailing is not None:
        _require(arr.shape[1:] == trailing, f"{name}: shape {arr.shape}, expected (N, {trailing})")
    _require(bool(np.isfinite(arr).all()), f"{name}: not finite")


def check_body(est: BodyEstimate) -> None:
    _require(isinstance(est, BodyEstimate), f"not a BodyEstimate: {type(est).__name__}")
    ids = np.asarray(est.frame_ids)
    t = len(ids)
    _require(t >= 1, "no frames")
    _require(ids.dtype == np.int64 and bool(np.all(np.diff(ids) > 0)), "frame_ids not strictly increasing int64")
    for name, trailing in (("global_orient", (3,)), ("body_pose", (21, 3)), ("left_hand_pose", (15, 3)),
                           ("right_hand_pose", (15, 3)), ("jaw_pose", (3,)), ("leye_pose", (3,)),
                           ("reye_pose", (3,)), ("transl", (3,)), ("camera_K", (3, 3))):
        _finite(name, getattr(est, name), t, trailing)
    _finite("betas", est.betas, t)
    _finite("expression", est.expression, t)
    _require(est.betas.ndim == 2 and est.expression.ndim == 2, "betas / expression not (T, D)")
    _require(np.asarray(est.valid).dtype == bool and np.asarray(est.valid).shape == (t,), "valid not (T,) bool")
    if est.bbox is not None:
        _finite("bbox", est.bbox, t, (4,))
    if est.score is not None:
        _finite("score", est.score, t, ())
    if est.image_size is not None:
        _require(np.asarray(est.image_size).shape == (2,), "image_size not (2,)")
    json.dumps(est.source, default=str)


def check_bodies(result: Any) -> None:
    items = result if isinstance(result, list) else [result]
    _require(len(items) >= 1, "no people")
    for est in items:
        check_body(est)


def check_world_bodies(result: Any) -> None:
    """Bodies with a per-frame camera pose: ``world_from_camera`` (T, 4, 4) finite rigid transforms, unit up."""
    check_bodies(result)
    for est in (result if isinstance(result, list) else [result]):
        t = len(np.asarray(est.frame_ids))
        world = np.asarray(est.world_from_camera)
        _require(world.shape == (t, 4, 4) and bool(np.isfinite(world).all()), "world_from_camera")
        rot = world[:, :3, :3]
        _require(bool(np.abs(rot @ np.swapaxes(rot, 1, 2) - np.eye(3)).max() < 1e-3), "world_from_camera rotation")
        _require(abs(float(np.linalg.norm(est.world_up)) - 1.0) < 1e-6, "world_up")


def check_faces(result: Any) -> None:
    items = result if isinstance(result, list) else [result]
    _require(len(items) >= 1, "no faces")
    for face in items:
        _require(isinstance(face, FaceEstimate), f"not a FaceEstimate: {type(face).__name__}")
        ids = np.asarray(face.frame_ids)
        t = len(ids)
        _require(t >= 1, "no frames")
        _require(ids.dtype == np.int64 and bool(np.all(np.diff(ids) > 0)), "frame_ids not strictly increasing")
        _finite("expression", face.expression, t)
        _finite("jaw_pose", face.jaw_pose, t, (3,))
        _finite("global_pose", face.global_pose, t, (3,))
        _finite("shape", face.shape, t)
        if face.cam is not None:
            _finite("cam", face.cam, t, (3,))
        if face.bbox is not None:
            _finite("bbox", face.bbox, t, (4,))
        _require(np.asarray(face.valid).dtype == bool and np.asarray(face.valid).shape == (t,), "valid")


def check_hands(hands: Any) -> None:
    _require(isinstance(hands, HandDetections), f"not HandDetections: {type(hands).__name__}")
    ids = np.asarray(hands.frame_ids)
    n = len(ids)
    _require(ids.dtype == np.int64 and bool(np.all(np.diff(ids) >= 0)), "frame_ids not sorted int64")
    _require(np.asarray(hands.is_right).dtype == bool and np.asarray(hands.is_right).shape == (n,), "is_right")
    _finite("global_orient", hands.global_orient, n, (3, 3))
    _finite("hand_pose", hands.hand_pose, n, (15, 3, 3))
    _finite("betas", hands.betas, n, (10,))
    _finite("pred_cam", hands.pred_cam, n, (3,))
    _finite("box_center", hands.box_center, n, (2,))
    _finite("box_size", hands.box_size, n, ())
    _require(bool(np.all(hands.box_size > 0)), "box_size not positive")
    if hands.keypoints_3d is not None:
        _finite("keypoints_3d", hands.keypoints_3d, n, (21, 3))
    if hands.score is not None:
        _finite("score", hands.score, n, ())
    if n:
        m = np.concatenate([hands.global_orient[:, None], hands.hand_pose], axis=1)
        err = np.abs(np.einsum("nkij,nkil->nkjl", m, m) - np.eye(3)).max()
        _require(err < 0.05, f"rotations not orthonormal ({err:.3g})")


def check_fused(seq: Any) -> None:
    from core.contracts.fused_file import validate

    _require(isinstance(seq, FusedSequence), f"not a FusedSequence: {type(seq).__name__}")
    validate(seq)
    t = seq.num_frames
    for name in ("expression", "global_orient", "body_pose", "transl", "part_confidence"):
        _finite(name, getattr(seq, name), t)
    _require(bool(np.isfinite(seq.betas).all()) and bool(np.isfinite(seq.camera_K).all()), "betas / K")


def check_detector_keypoints(result: Any) -> None:
    """A :class:`core.io.detector_keypoints.DetectorKeypoints` or :class:`core.camera.keypoints2d.Keypoints2D`:
    sorted int64 frames, pixels finite wherever the score is positive, scores in [0, 1], consistent shapes."""
    from core.camera.keypoints2d import Keypoints2D
    from core.io.detector_keypoints import DetectorKeypoints

    if isinstance(result, Keypoints2D):
        layers = [(result.uv, result.confidence)]
        if result.people_uv is not None:
            layers.append((result.people_uv, result.people_confidence))
    else:
        _require(isinstance(result, DetectorKeypoints), f"not detector keypoints: {type(result).__name__}")
        layers = [(result.uv, result.score)]
        _require(result.box.shape == result.uv.shape[:2] + (4,), "box shape")
    ids = np.asarray(result.frame_ids)
    t = len(ids)
    _require(t >= 1 and ids.dtype == np.int64 and bool(np.all(np.diff(ids) > 0)), "frame_ids not increasing int64")
    for uv, score in layers:
        _require(uv.shape[0] == t and uv.shape[-1] == 2 and score.shape == uv.shape[:-1], "shapes")
        _require(bool(np.all((score >= 0) & (score <= 1))), "scores outside [0, 1]")
        _require(bool(np.isfinite(uv[score > 0]).all()), "a scored keypoint is not finite")


def check_fused_list(takes: Any) -> None:
    _require(isinstance(takes, list), f"not a list of takes: {type(takes).__name__}")
    for seq in takes:
        check_fused(seq)


def check_model(model: Any) -> None:
    _require(isinstance(model, BodyModel), f"not a BodyModel: {type(model).__name__}")
    v = model.num_vertices
    _require(v >= 1, "no vertices")
    _finite("v_template", model.v_template, v, (3,))
    _finite("joint_regressor", model.joint_regressor, NUM_JOINTS, (v,))
    _finite("skinning_weights", model.skinning_weights, v, (NUM_JOINTS,))
    _finite("shape_dirs", model.shape_dirs, v)
    _finite("expression_dirs", model.expression_dirs, v)
    _finite("pose_dirs", model.pose_dirs, v, (3, NUM_POSE_BASIS))
    _finite("left_hand_mean", model.left_hand_mean, 15, (3,))
    faces = np.asarray(model.faces)
    _require(faces.size == 0 or (faces.min() >= 0 and faces.max() < v), "faces out of range")


def message_problems(err: FusionError, root: Path) -> list[str]:
    """Why an error would not read well to a person (empty when it does)."""
    text = str(err)
    problems = []
    if "\n" in text:
        problems.append("spans several lines")
    if len(text) > 900:
        problems.append(f"is {len(text)} characters long")
    if not err.path or str(root) not in err.path:
        problems.append(f"does not name the file (path={err.path!r})")
    if not err.problem or not err.problem.strip():
        problems.append("has no text")
    lowered = text.lower()
    for bad in (" object at 0x", "traceback", "internal:", "errno", "<built-in", "memoryerror"):
        if bad in lowered:
            problems.append(f"contains {bad.strip()!r}")
    return problems


# ============================================================================================== runner

@dataclass
class Outcome:
    """One case: ``status`` is ok (valid result), error (a FusionError that reads well) or a failure:
    uncaught, bad_message, bad_result, executed (a payload ran)."""

    target: str
    fault: str
    status: str
    description: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "error")


_COUNTER = [0]


def pick_seed(target: Target, r: random.Random) -> Seed:
    """One of the target's seeds, by weight."""
    return r.choices(target.seeds, weights=[s.weight for s in target.seeds])[0]


def run_case(target: Target, fault: str, r: random.Random, workdir: Path) -> Outcome:
    """Build one faulty case from ``r``, run the reader on it in a fresh folder, and classify the outcome."""
    _COUNTER[0] += 1
    root = workdir / f"case{os.getpid()}_{_COUNTER[0]}"
    seed = pick_seed(target, r)
    tree = dict(seed.files)
    ctx = Ctx(workdir=workdir, seed=seed)
    description = f"{seed.name}: " + apply_fault(fault, tree, r, ctx, target.faults)
    write_tree(root, tree)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = seed.read(root, r)
            except FusionError as err:
                problems = message_problems(err, root)
                status, detail = ("bad_message", f"{'; '.join(problems)}: {err}") if problems else ("error", str(err))
            except Exception as exc:  # noqa: BLE001 - exactly what the fuzzer looks for
                status = "uncaught"
                detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
            else:
                try:
                    target.check(result)
                    status, detail = "ok", ""
                except InvalidResult as bad:
                    status, detail = "bad_result", str(bad)
        if (workdir / MARKER).exists():
            (workdir / MARKER).unlink()
            status, detail = "executed", f"a payload ran: {description}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return Outcome(target.name, fault, status, description, detail)
