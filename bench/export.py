"""Export figures: FBX, glTF and AMASS export of a 1,000-frame take on the procedural mannequin, the joint error
after re-importing the glTF and the FBX with Blender's own importers, the AMASS round-trip error, and the Khronos
glTF validator's error count.

The take is the demo motion (``core.demo_data.motion``), imported with the default compact pose correctives. Joint
error: the largest distance between a bone head of the re-imported armature and the original's, over every frame
(millimetres). AMASS round trip: the unedited scene exported as AMASS, read back with ``core.io.read_amass`` and
compared with the fused file it was imported from (largest rotation angle between the two rotations of any joint
on any frame, radians; translation in millimetres).
Run: ``.venv/bin/python bench/export.py``. Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_HOME = tempfile.mkdtemp(prefix="smplx_fusion_bench_")
os.environ["HOME"] = _HOME
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, ".cache")
sys.path.insert(0, str(ROOT))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from scipy.spatial.transform import Rotation  # noqa: E402

import blender_addon  # noqa: E402
from core.contracts.fused_file import read_fused, write_fused  # noqa: E402
from core.demo_data.motion import make_demo_sequence  # noqa: E402
from core.io import read_amass  # noqa: E402
from core.mannequin import write_mannequin_set  # noqa: E402

FRAMES = 1000
VALIDATOR_DIR = ROOT / ".venv" / "node" / "node_modules" / "gltf-validator"
VALIDATE_JS = ROOT / "tests" / "shots" / "gltf_validate.js"


def fresh_scene() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        bpy.ops.smplx_fusion.import_fused.get_rna_type()
    except (AttributeError, KeyError):
        blender_addon.register()


def joint_heads(arm: bpy.types.Object, names: list[str], frames: range) -> np.ndarray:
    """(F, J, 3) world-space bone heads, read per frame in bulk (``pose.bones.foreach_get``)."""
    order = [arm.pose.bones.find(n) for n in names]
    flat = np.empty(len(arm.pose.bones) * 3, dtype=np.float32)
    out = np.empty((len(frames), len(names), 3))
    scene = bpy.context.scene
    for i, f in enumerate(frames):
        scene.frame_set(f)
        arm.pose.bones.foreach_get("head", flat)
        mw = np.array(arm.matrix_world)
        out[i] = flat.reshape(-1, 3)[order].astype(np.float64) @ mw[:3, :3].T + mw[:3, 3]
    return out


def timed(call) -> float:
    started = time.perf_counter()
    assert call() == {"FINISHED"}
    return time.perf_counter() - started


def reimport_error(importer, names: list[str], reference: np.ndarray) -> float:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    importer()
    arm = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    return float(np.linalg.norm(joint_heads(arm, names, range(1, FRAMES + 1)) - reference, axis=-1).max())


def validator_errors(path: Path) -> tuple[int | None, str]:
    node = shutil.which("node")
    if node is None or not VALIDATOR_DIR.is_dir():
        return None, "gltf-validator not installed (python3 build.py test installs it)"
    out = subprocess.run([node, str(VALIDATE_JS), str(path), str(VALIDATOR_DIR)], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        return None, f"validator failed: {out.stderr.strip()[:200]}"
    issues = json.loads(out.stdout)["issues"]
    return int(issues["numErrors"]), f"{issues['numWarnings']} warning(s)"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="smplx_fusion_export_bench_"))
    write_mannequin_set(work / "model", variant="v1.1")
    model = work / "model" / "SMPLX_NEUTRAL.npz"
    fused = write_fused(work / "take.fused.npz", make_demo_sequence(num_frames=FRAMES))
    fresh_scene()
    import_s = timed(lambda: bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model)))
    arm = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    bpy.context.view_layer.objects.active = arm
    names = [b.name for b in arm.data.bones]
    reference = joint_heads(arm, names, range(1, FRAMES + 1))

    fbx, glb, amass = work / "take.fbx", work / "take.glb", work / "take_amass.npz"
    fbx_s = timed(lambda: bpy.ops.smplx_fusion.export_fbx(filepath=str(fbx), preset="UNITY"))
    gltf_s = timed(lambda: bpy.ops.smplx_fusion.export_gltf(filepath=str(glb)))
    amass_s = timed(lambda: bpy.ops.smplx_fusion.export_amass(filepath=str(amass)))

    est, seq = read_amass(amass), read_fused(fused)
    exported = np.concatenate([est.global_orient[:, None], est.body_pose, est.jaw_pose[:, None],
                               est.leye_pose[:, None], est.reye_pose[:, None], est.left_hand_pose,
                               est.right_hand_pose], axis=1).reshape(-1, 3)
    gap = (Rotation.from_rotvec(exported).inv() * Rotation.from_rotvec(seq.full_pose().reshape(-1, 3))).magnitude()
    amass_rot = float(gap.max())
    amass_transl_mm = float(np.abs(est.transl - seq.transl).max() * 1e3)
    amass_expr = float(np.abs(est.expression - seq.expression).max())

    gltf_err = reimport_error(lambda: bpy.ops.import_scene.gltf(filepath=str(glb)), names, reference)
    fbx_err = reimport_error(lambda: bpy.ops.import_scene.fbx(filepath=str(fbx), anim_offset=0.0), names,
                             reference)
    errors, validator_note = validator_errors(glb)

    rows = [("import (for reference)", f"{import_s:.2f} s"),
            ("FBX export (Unity preset)", f"{fbx_s:.2f} s, {fbx.stat().st_size / 1e6:.1f} MB"),
            ("glTF export (GLB)", f"{gltf_s:.2f} s, {glb.stat().st_size / 1e6:.1f} MB"),
            ("AMASS export (read back from the rig)", f"{amass_s:.2f} s"),
            ("glTF re-import, max joint error", f"{gltf_err * 1e3:.4f} mm"),
            ("FBX re-import, max joint error", f"{fbx_err * 1e3:.4f} mm"),
            ("AMASS round trip, max rotation error", f"{amass_rot:.2e} rad"),
            ("AMASS round trip, max translation error", f"{amass_transl_mm:.2e} mm"),
            ("AMASS round trip, max expression error", f"{amass_expr:.2e}"),
            ("Khronos glTF validator errors", f"{errors} ({validator_note})")]
    print(f"Export of a {FRAMES}-frame take on the procedural mannequin (10,475 vertices, 55 bones)")
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print(json.dumps({"bench": "export", "frames": FRAMES, "fbx_s": round(fbx_s, 3), "gltf_s": round(gltf_s, 3),
                      "amass_s": round(amass_s, 3), "gltf_joint_err_mm": round(gltf_err * 1e3, 5),
                      "fbx_joint_err_mm": round(fbx_err * 1e3, 5), "amass_rot_err_rad": amass_rot,
                      "amass_transl_err_mm": amass_transl_mm, "amass_expression_err": amass_expr,
                      "gltf_validator_errors": errors}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
