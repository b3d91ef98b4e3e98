"""FBX and glTF exports checked by re-importing them with Blender's own importers in a fresh factory scene, and
the glTF by the Khronos glTF validator.

Joint check: the bone heads in world space on several frames of the re-imported armature equal the original
scene's within ``JOINT_TOL_M``. Mesh check: every vertex of the re-imported, evaluated (skinned + morphed) mesh
equals the original's within ``VERTEX_TOL_M`` (vertices matched by rest position, since the importers may split
or reorder them).

Tolerance: both files store the motion in float32 (glTF accessors) or as FBX Euler angles, the positions up to
~5 m from the origin (the take stands 4.2 m in front of the camera), where a float32 step is 0.5 um; the measured
differences are a few micrometres (joints 3.3 um glTF / 2.0 um FBX on this machine). 0.05 mm leaves ten times
that headroom and is still 20 times below the smallest real defect these tests guard against (a frame shifted by
one, a wrong axis, scale or bone: millimetres to metres).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR_DIR = ROOT / ".venv" / "node" / "node_modules" / "gltf-validator"
VALIDATE_JS = Path(__file__).with_name("gltf_validate.js")
JOINT_TOL_M = 5e-5
VERTEX_TOL_M = 5e-5
FRAMES = (1, 4, 9, 15, 22)


def import_take(bpy, tmp_path: Path, model_path: Path, num_frames: int = 24):
    """Import the demo take (mannequin, pose correctives on) and return (armature, mesh)."""
    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=num_frames))
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model_path)) == {"FINISHED"}
    arm = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    return arm, next(ob for ob in arm.children if ob.type == "MESH")


def bone_heads(bpy, arm, names: list[str]) -> np.ndarray:
    """(len(FRAMES), J, 3) world-space bone heads."""
    out = []
    for f in FRAMES:
        bpy.context.scene.frame_set(f)
        mw = np.array(arm.matrix_world)
        heads = np.array([tuple(arm.pose.bones[n].head) for n in names])
        out.append(heads @ mw[:3, :3].T + mw[:3, 3])
    return np.array(out)


def evaluated_vertices(bpy, ob) -> np.ndarray:
    """(len(FRAMES), V, 3) world-space vertices of the evaluated (deformed) mesh."""
    out = []
    for f in FRAMES:
        bpy.context.scene.frame_set(f)
        ev = ob.evaluated_get(bpy.context.evaluated_depsgraph_get())
        me = ev.to_mesh()
        co = np.empty(len(me.vertices) * 3, dtype=np.float32)
        me.vertices.foreach_get("co", co)
        mw = np.array(ev.matrix_world)
        out.append(co.reshape(-1, 3).astype(np.float64) @ mw[:3, :3].T + mw[:3, 3])
        ev.to_mesh_clear()
    return np.array(out)


def rest_vertices(ob) -> np.ndarray:
    co = np.empty(len(ob.data.vertices) * 3, dtype=np.float32)
    ob.data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3).astype(np.float64)


@pytest.fixture
def scene(blender, tmp_path, model_path):
    """The original take: joints and deformed vertices on FRAMES, and the rest vertices."""
    bpy = blender
    arm, mesh = import_take(bpy, tmp_path, model_path)
    names = [b.name for b in arm.data.bones]
    return {"arm": arm, "mesh": mesh, "names": names, "joints": bone_heads(bpy, arm, names),
            "verts": evaluated_vertices(bpy, mesh), "rest": rest_vertices(mesh),
            "n_keys": len(mesh.data.shape_keys.key_blocks)}


def reimport_and_compare(bpy, scene: dict, importer) -> dict:
    """Import into a fresh factory scene; return the joint and vertex errors (metres) and what came back."""
    from scipy.spatial import cKDTree

    bpy.ops.wm.read_factory_settings(use_empty=True)
    importer()
    bpy.context.scene.frame_start, bpy.context.scene.frame_end = 1, 24
    arms = [ob for ob in bpy.data.objects if ob.type == "ARMATURE"]
    assert len(arms) == 1
    arm = arms[0]
    assert sorted(b.name for b in arm.data.bones) == sorted(scene["names"]), "bones lost, renamed or added"
    joints = bone_heads(bpy, arm, scene["names"])
    mesh = max((ob for ob in bpy.data.objects if ob.type == "MESH"), key=lambda ob: len(ob.data.vertices))
    keys = mesh.data.shape_keys
    for kb in keys.key_blocks if keys else ():
        # Blender's importers set each slider's range from the default weight only, so animated weights outside
        # it (betas, expressions and correctives are often negative) would be clamped at playback. The file
        # holds them unclamped (glTF morph weights are unbounded); open the sliders as the add-on's import does.
        kb.slider_min, kb.slider_max = -10.0, 10.0
    rest = rest_vertices(mesh)
    dist, index = cKDTree(scene["rest"]).query(rest)
    assert dist.max() < 1e-5, "re-imported rest mesh differs"
    verts = evaluated_vertices(bpy, mesh)
    return {"joint_err": np.linalg.norm(joints - scene["joints"], axis=-1).max(),
            "vertex_err": np.linalg.norm(verts - scene["verts"][:, index], axis=-1).max(),
            "n_keys": len(keys.key_blocks) if keys else 0,
            "morph_animated": bool(keys and keys.animation_data and keys.animation_data.action)}


def test_gltf_reimport_matches_the_scene(blender, scene, tmp_path):
    bpy = blender
    out = tmp_path / "take.glb"
    assert bpy.ops.smplx_fusion.export_gltf(filepath=str(out)) == {"FINISHED"}
    got = reimport_and_compare(bpy, scene, lambda: bpy.ops.import_scene.gltf(filepath=str(out)))
    print(f"glTF: joints {got['joint_err'] * 1e3:.4f} mm, vertices {got['vertex_err'] * 1e3:.4f} mm")
    assert got["n_keys"] == scene["n_keys"] and got["morph_animated"]
    assert got["joint_err"] < JOINT_TOL_M
    assert got["vertex_err"] < VERTEX_TOL_M


@pytest.mark.parametrize("preset", ["UNITY", "UNREAL"])
def test_fbx_reimport_matches_the_scene(blender, scene, tmp_path, preset):
    bpy = blender
    out = tmp_path / "take.fbx"
    assert bpy.ops.smplx_fusion.export_fbx(filepath=str(out), preset=preset) == {"FINISHED"}
    # Blender's FBX importer shifts animation by anim_offset frames (default 1); 0 keeps the frames as written
    got = reimport_and_compare(bpy, scene, lambda: bpy.ops.import_scene.fbx(
        filepath=str(out), anim_offset=0.0, primary_bone_axis=("X" if preset == "UNREAL" else "Y"),
        secondary_bone_axis=("-Y" if preset == "UNREAL" else "X")))
    print(f"FBX {preset}: joints {got['joint_err'] * 1e3:.4f} mm, vertices {got['vertex_err'] * 1e3:.4f} mm")
    assert got["n_keys"] == scene["n_keys"] and got["morph_animated"]
    assert got["joint_err"] < JOINT_TOL_M
    assert got["vertex_err"] < VERTEX_TOL_M


def run_validator(path: Path) -> dict:
    """The Khronos validator's JSON report for ``path`` (fails, not skips, when it is not installed)."""
    node = shutil.which("node")
    if node is None or not (VALIDATOR_DIR / "package.json").is_file():
        pytest.fail(f"the Khronos glTF validator is not installed ({VALIDATOR_DIR}; node: {node}): run "
                    "`python3 build.py test`, which installs the pinned npm package gltf-validator")
    out = subprocess.run([node, str(VALIDATE_JS), str(path), str(VALIDATOR_DIR)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("export_format", ["GLB", "GLTF_SEPARATE"])
def test_gltf_passes_the_khronos_validator(blender, tmp_path, model_path, export_format):
    bpy = blender
    import_take(bpy, tmp_path, model_path, num_frames=12)
    out = tmp_path / "take.glb"
    assert bpy.ops.smplx_fusion.export_gltf(filepath=str(out), export_format=export_format) == {"FINISHED"}
    path = out if export_format == "GLB" else tmp_path / "take.gltf"
    report = run_validator(path)
    issues = report["issues"]
    errors = [m for m in issues["messages"] if m["severity"] == 0]
    assert issues["numErrors"] == 0, errors
    info = report["info"]
    assert info["animationCount"] == 1 and info["hasSkins"] and info["hasMorphTargets"]
    assert info["totalVertexCount"] >= 10475
    assert report["validatorVersion"] == "2.0.0-dev.3.10"


def test_world_aligned_take_exports_where_it_stands(blender, tmp_path, model_path):
    """A world-aligned import puts the rig under a take-root empty that the export does not select; the
    exporters bake its transform, so the re-imported joints stand where the scene shows them (floor at z = 0)."""
    bpy = blender
    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=24))
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model_path), world_align=True,
                                             pose_correctives="NONE") == {"FINISHED"}
    arm = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    assert arm.parent is not None and not np.allclose(np.array(arm.matrix_world), np.eye(4))
    names = [b.name for b in arm.data.bones]
    before = bone_heads(bpy, arm, names)
    out = tmp_path / "aligned.glb"
    assert bpy.ops.smplx_fusion.export_gltf(filepath=str(out)) == {"FINISHED"}
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(out))
    back = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    bpy.context.scene.frame_start, bpy.context.scene.frame_end = 1, 24
    assert np.linalg.norm(bone_heads(bpy, back, names) - before, axis=-1).max() < JOINT_TOL_M
