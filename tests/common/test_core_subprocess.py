"""blender_addon/common/core_subprocess.py: finding a Python with torch without typing a path, and handing the
core subprocess what this Python sees (the extension's bundled wheels)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest


def _fake_python(folder: Path, has_torch: bool) -> Path:
    """A script that answers the torch check like a Python with (or without) torch."""
    folder.mkdir(parents=True)
    exe = folder / "python"
    exe.write_text(f"#!/bin/sh\nexit {0 if has_torch else 1}\n")
    exe.chmod(0o755)
    return exe


def test_torch_is_found_in_a_conda_environment_without_a_path(blender, tmp_path, monkeypatch):
    from blender_addon.common import core_subprocess

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.delenv(core_subprocess.TORCH_PYTHON_ENV, raising=False)
    _fake_python(tmp_path / "miniconda3" / "envs" / "base_cpu" / "bin", has_torch=False)
    with_torch = _fake_python(tmp_path / "miniconda3" / "envs" / "hmr" / "bin", has_torch=True)
    assert core_subprocess.torch_interpreter("") == str(with_torch)


def test_the_environment_variable_comes_before_conda_and_a_missing_torch_is_named(blender, tmp_path, monkeypatch):
    from blender_addon.common import core_subprocess
    from blender_addon.core.errors import FusionError

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    named = _fake_python(tmp_path / "tools" / "bin", has_torch=True)
    _fake_python(tmp_path / "anaconda3" / "envs" / "other" / "bin", has_torch=True)
    monkeypatch.setenv(core_subprocess.TORCH_PYTHON_ENV, str(named))
    assert core_subprocess.torch_interpreter("") == str(named)
    monkeypatch.setenv(core_subprocess.TORCH_PYTHON_ENV, str(_fake_python(tmp_path / "none" / "bin", False)))
    (tmp_path / "anaconda3").rename(tmp_path / "gone")
    with pytest.raises(FusionError, match="needs a Python with torch.*Python with torch"):
        core_subprocess.torch_interpreter("")


def test_the_core_subprocess_sees_what_this_python_sees(blender, tmp_path, monkeypatch):
    """Blender's bundled wheels sit in the extensions' site-packages, on sys.path but not in PYTHONPATH."""
    from blender_addon.common import core_subprocess

    extra = tmp_path / "extensions_site_packages"
    (extra / "bundled_probe").mkdir(parents=True)
    (extra / "bundled_probe" / "__init__.py").write_text("WHERE = 'bundled'\n")
    monkeypatch.syspath_prepend(str(extra))
    seen = []
    monkeypatch.setattr(core_subprocess.subprocess, "Popen", lambda args, **kw: seen.append(kw["env"]) or
                        (_ for _ in ()).throw(RuntimeError("stop")))
    with pytest.raises(RuntimeError, match="stop"):
        core_subprocess.run_core(["info", "x"], sys.executable)
    assert str(extra) in seen[0]["PYTHONPATH"].split(":")
    assert seen[0]["PYTHONPATH"].split(":")[0] == str(core_subprocess.ADDON_DIR)
