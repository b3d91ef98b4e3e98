"""The extension zip: built by build.py, accepted by Blender's validator, installed and used as a user would."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from core.body.builtin import BUILTIN_REVISIONS

ROOT = Path(__file__).resolve().parents[1]


def test_zip_layout(extension_zip):
    assert extension_zip.name.startswith("smplx_fusion-") and extension_zip.suffix == ".zip"
    with zipfile.ZipFile(extension_zip) as zf:
        names = set(zf.namelist())
    assert {"blender_manifest.toml", "__init__.py", "importing/ops.py", "core/__init__.py",
            "core/body/model.py", "core/mannequin/__init__.py",
            f"core/bundled_models/{BUILTIN_REVISIONS['anny']}/SMPLX_NEUTRAL.npz"} <= names
    assert not any("__pycache__" in n for n in names)
    # relative imports only: nothing in the add-on imports the top-level name ``core``
    with zipfile.ZipFile(extension_zip) as zf:
        for name in names:
            if name.endswith(".py"):
                text = zf.read(name).decode()
                assert not re.search(r"^\s*(from core\b|import core\b)", text, re.MULTILINE), name


def test_installs_enables_and_imports(extension_zip, tmp_path, model_path):
    """Fresh HOME, package_install_files(enable_on_install=True), then the import operator on a demo take."""
    from core.contracts.fused_file import write_fused
    from core.demo_data.motion import make_demo_sequence

    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=6))
    home = tmp_path / "home"
    home.mkdir()
    script = textwrap.dedent(f"""
        import bpy
        result = bpy.ops.extensions.package_install_files(
            filepath={str(extension_zip)!r}, repo="user_default", enable_on_install=True)
        assert result == {{"FINISHED"}}, result
        import addon_utils
        assert "bl_ext.user_default.smplx_fusion" in {{m.__name__ for m in addon_utils.modules()}}
        assert bpy.context.preferences.addons.get("bl_ext.user_default.smplx_fusion") is not None
        result = bpy.ops.smplx_fusion.import_fused(filepath={str(fused)!r}, model_path={str(model_path)!r})
        assert result == {{"FINISHED"}}, result
        arm = bpy.context.view_layer.objects.active
        assert arm.type == "ARMATURE" and len(arm.data.bones) == 55
        # with no model configured, the installed extension uses the model bundled in its zip
        result = bpy.ops.smplx_fusion.import_fused(filepath={str(fused)!r})
        assert result == {{"FINISHED"}}, result
        arm = bpy.context.view_layer.objects.active
        assert "bundled_models" in arm["smplx_fusion_model"], arm["smplx_fusion_model"]
        print("INSTALLED-OK", arm.name)
    """)
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and "INSTALLED-OK" in out.stdout, out.stdout[-3000:] + out.stderr[-3000:]
    assert (home / ".config/blender/5.0/extensions/user_default/smplx_fusion/blender_manifest.toml").is_file()
