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


def run(name: str, key: str = "", **kwargs) -> None:
    """Call ``bpy.ops.smplx_fusion.<name>``; record ``FINISHED`` / ``CANCELLED`` or the error it reported under
    ``key`` (default: the name)."""
    try:
        report["ops"][key or name] = sorted(getattr(bpy.ops.smplx_fusion, name)(**kwargs))[0]
    except Exception as exc:  # an operator's error report arrives as RuntimeError: record it, go on
        report["ops"][key or name] = f"{type(exc).__name__}: {str(exc).strip()}"


def world_import_step(take: dict, path: Path) -> int:
    """Write ``take`` with a moving camera's ``world_from_camera`` (schema 1.1) to ``path``, import it; returns the
    number of keys on the camera's path (x location), 0 when it has none."""
    import numpy as np

    t = take["transl"].shape[0]
    angle = np.linspace(0.0, 0.3, t)
    world = np.tile(np.eye(4), (t, 1, 1))
    world[:, 0, 0], world[:, 0, 2], world[:, 2, 0], world[:, 2, 2] = np.cos(angle), np.sin(angle), -np.sin(angle), \
        np.cos(angle)
    world[:, :3, :3] = world[:, :3, :3] @ np.diag([1.0, -1.0, -1.0])  # OpenCV camera in a y-up world
    world[:, :3, 3] = np.stack([np.linspace(0.0, 0.5, t), np.full(t, 1.5), np.zeros(t)], axis=1)
    take.update(schema=np.array("smplx-fusion/1.1"), world_from_camera=world, world_up=np.array([0.0, 1.0, 0.0]))
    take.pop("ground_plane", None)
    np.savez(path, **take)
    run("import_fused", key="import_world", filepath=str(path))
    cam = next((ob for ob in bpy.data.objects if ob.type == "CAMERA" and ob.name.startswith("take_world")), None)
    adt = cam.animation_data if cam is not None else None
    if adt is None or adt.action is None:
        return 0
    from bpy_extras import anim_utils

    bag = anim_utils.action_get_channelbag_for_slot(adt.action, adt.action_slot)
    curve = bag.fcurves.find("location", index=0) if bag is not None else None
    return 0 if curve is None else len(curve.keyframe_points)


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
    run("export_usd", filepath=str(OUT / "take.usdc"))
    run("export_bvh", filepath=str(OUT / "take.bvh"))
    run("export_mcs", filepath=str(OUT / "take.mcs"))  # through the bundled smplcodec wheel
    # several people (issue 18): a clip of two person files as fuse-clip names them, imported at once, then every
    # avatar exported, one file each
    clip = OUT / "clip"
    clip.mkdir()
    people = [{"track_id": track, "file": f"duo.person{track}.fused.npz"} for track in (0, 1)]
    import numpy as np

    with np.load(OUT / "take.fused.npz", allow_pickle=False) as take:
        arrays = {key: take[key] for key in take.files}
    for person in people:  # each person file carries its own track id, as fuse-clip writes them
        np.savez(clip / person["file"], **{**arrays, "track_id": np.array(person["track_id"], dtype=np.int64)})
    (clip / "duo.clip.json").write_text(json.dumps({"stem": "duo", "people": people}))
    run("import_clip", filepath=str(clip / "duo.clip.json"))
    run("export_fbx", key="export_fbx_every_avatar", filepath=str(clip / "duo.fbx"), scope="ALL")
    report["clip_files"] = sorted(p.name for p in clip.iterdir())
    # a world-grounded take (schema 1.1, issue 19): the fused take filmed by a camera that moves sideways and turns
    world_file = OUT / "take_world.fused.npz"
    take = dict(__import__("numpy").load(OUT / "take.fused.npz", allow_pickle=False))
    report["world_import_camera_keys"] = world_import_step(take, world_file)
    report["files"] = sorted(p.name for p in OUT.iterdir())


try:
    main()
except Exception:
    report["crash"] = traceback.format_exc()
print(json.dumps(report))
