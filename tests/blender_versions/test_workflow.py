"""Issue 17: the extension works in Blender's own Python on every supported Blender (4.5 LTS, 5.0, 5.2).

Each environment is a venv with only ``bpy`` and what it pulls in (no scipy, no torch: what Blender ships), made
once by ``python3 build.py test`` (``.venv-bpy45``, ``.venv-bpy50``, ``.venv-bpy52``). The linux-x64 zip is
installed into it as a user would, and ``workflow.py`` calls every operator in turn on the demo estimators' files.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from build import BLENDER_ENVS, blender_env_dir  # noqa: E402

WORKFLOW = Path(__file__).with_name("workflow.py")
OPERATORS = ("fuse", "camera_refit", "validate", "validation_fix", "ground_detect", "ground_lock", "render",
             "export_fbx", "export_gltf", "export_amass", "export_usd", "export_bvh", "export_mcs", "import_clip",
             "export_fbx_every_avatar", "import_world")


@pytest.fixture(scope="module")
def demo_estimators(tmp_path_factory) -> Path:
    """A short demo take in the estimators' native formats (written by the core, outside Blender)."""
    out = tmp_path_factory.mktemp("workflow_data")
    subprocess.run([sys.executable, "-m", "core", "demo-data", str(out), "--frames", "24", "--model", "mannequin"],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    return out


@pytest.mark.parametrize("version", sorted(BLENDER_ENVS))
def test_the_whole_workflow_runs_in_blenders_own_python(version, extension_zip, demo_estimators, tmp_path):
    python = blender_env_dir(version) / "bin" / "python"
    assert python.is_file(), f"{python} is missing: python3 build.py test creates it"
    home, out = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SMPLX_FUSION"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    proc = subprocess.run([str(python), str(WORKFLOW), str(extension_zip), str(demo_estimators), str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(lines[-1])
    assert "crash" not in report, report["crash"]
    assert report["blender"].startswith(version), report["blender"]
    # the extension itself is enabled, and scipy comes from its bundled wheels, numpy from Blender's own
    assert report["enabled"], report
    local = report["extensions_local"]
    assert report["scipy_file"].startswith(local), report["scipy_file"]
    assert not report["numpy_file"].startswith(local), report["numpy_file"]
    failed = {name: report["ops"].get(name, "not run") for name in OPERATORS if report["ops"].get(name) != "FINISHED"}
    assert not failed, failed
    assert report["renders"], report
    assert {"take.fused.npz", "take.fbx", "take.glb", "take_amass.npz", "take.usdc", "take.bvh",
            "take.mcs"} <= set(report["files"]), report["files"]
    # the clip's two people and the fused take: one FBX per avatar
    assert {"duo.person0.fbx", "duo.person1.fbx", "duo.take.fbx"} <= set(report["clip_files"]), report["clip_files"]
    # a world-grounded take (schema 1.1): its camera flies a keyed path, one key per frame
    assert report["world_import_camera_keys"] == 24, report
