"""The whole workflow as a user runs it, inside one Blender-like environment (a venv with only ``bpy``).

Run by tests/blender_versions/test_workflow.py as ``<env>/bin/python workflow.py ZIP DATA OUT`` with ``HOME``
pointing at a private folder. Installs the extension zip exactly as a user would, then calls every operator in
turn on the demo estimators' files. Prints one JSON line last: the Blender version, whether the extension is enabled,
where scipy and numpy were imported from, and each operator's result or error message.
"""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import bpy

ZIP, DATA, OUT = (Path(a) for a in sys.argv[1:4])
MODULE = "bl_ext.user_default.smplx_fusion"
report: dict = {"blender": bpy.app.version_string, "python": sys.version.split()[0], "ops": {}}


def run(name: str, **kwargs) -> None:
    """Call ``bpy.ops.smplx_fusion.<name>``; record ``FINISHED`` / ``CANCELLED`` or the error it reported."""
    try:
        report["ops"][name] = sorted(getattr(bpy.ops.smplx_fusion, name)(**kwargs))[0]
    except Exception as exc:  # an operator's error report arrives as RuntimeError: record it, go on
        report["ops"][name] = f"{type(exc).__name__}: {str(exc).strip()}"


def main() -> None:
    import addon_utils  # Blender's own module, on the path once bpy is imported

    bpy.ops.extensions.package_install_files(filepath=str(ZIP), repo="user_default", enable_on_install=True)
    report["enabled"] = bool(addon_utils.check(MODULE)[1]) and MODULE in sys.modules
    try:
        import numpy
        import scipy.signal

        report["scipy_file"], report["numpy_file"] = scipy.signal.__file__, numpy.__file__
        report["scipy_version"], report["numpy_version"] = scipy.__version__, numpy.__version__
    except ImportError as exc:
        report["scipy_file"] = f"ImportError: {exc}"
    report["extensions_local"] = bpy.utils.user_resource("EXTENSIONS", path=".local")
    if not report["enabled"]:
        return
    run("fuse", body=str(DATA / "smplerx"), face=str(DATA / "emoca"), face_bbox=str(DATA / "face_bboxes.json"),
        hands=str(DATA / "wilor"), output=str(OUT / "take.fused.npz"))
    report["objects"] = sorted(ob.type for ob in bpy.context.scene.objects if ob.name.startswith("take"))
    run("camera_refit")
    run("validate")
    run("validation_fix", fix="CLAMP_JOINT_LIMITS", frame_start=1, frame_end=10)
    run("ground_detect")
    run("ground_lock")
    run("render", frames_mode="LIST", frames="1", preset="EEVEE_PREVIEW", percentage=10, samples=1,
        output_dir=str(OUT / "renders"), overlay="NONE")
    report["renders"] = sorted(p.name for p in (OUT / "renders").glob("*.png"))
    run("export_fbx", filepath=str(OUT / "take.fbx"))
    run("export_gltf", filepath=str(OUT / "take.glb"))
    run("export_amass", filepath=str(OUT / "take_amass.npz"))
    report["files"] = sorted(p.name for p in OUT.iterdir())


try:
    main()
except Exception:
    report["crash"] = traceback.format_exc()
print(json.dumps(report))
