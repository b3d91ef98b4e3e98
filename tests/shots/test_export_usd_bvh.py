"""USD and BVH exports through Blender's own exporters: the files hold the avatar's skeleton and the whole take,
read back by Blender's own importers, and an existing file is replaced only with ``overwrite``."""
from __future__ import annotations

import numpy as np
import pytest

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence

FRAMES = 8


@pytest.fixture
def avatar(blender, tmp_path, model_path):
    bpy = blender
    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=FRAMES))
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model_path)) == {"FINISHED"}
    arm = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    return bpy, arm, tmp_path


def test_bvh_holds_all_joints_and_every_frame(avatar):
    bpy, arm, folder = avatar
    path = folder / "take.bvh"
    assert bpy.ops.smplx_fusion.export_bvh(filepath=str(path)) == {"FINISHED"}
    text = path.read_text()
    assert text.startswith("HIERARCHY") and "ROOT pelvis" in text
    assert text.count("JOINT ") == 54  # 55 SMPL-X joints: the root and 54 more
    assert f"Frames: {FRAMES}" in text
    motion = text.split("MOTION", 1)[1].strip().splitlines()
    assert len(motion) == 2 + FRAMES
    first, last = (np.array(motion[i].split(), dtype=float) for i in (2, 1 + FRAMES))
    assert np.abs(first - last).max() > 1e-3  # the take moves
    with pytest.raises(RuntimeError, match="the file exists"):  # an operator's reported error, in-process
        bpy.ops.smplx_fusion.export_bvh(filepath=str(path))
    heads = {f: _heads(bpy, arm, f) for f in (1, FRAMES)}
    # Blender's own importer, with the axes the exporter wrote (Blender's, z up), gives the same joints per frame
    assert bpy.ops.import_anim.bvh(filepath=str(path), axis_forward="Y", axis_up="Z", rotate_mode="NATIVE",
                                   update_scene_fps=False, update_scene_duration=False) == {"FINISHED"}
    back = bpy.context.view_layer.objects.active
    assert back is not arm and {b.name for b in back.data.bones} == {b.name for b in arm.data.bones}
    for frame, expected in heads.items():
        got = _heads(bpy, back, frame)
        assert max(np.linalg.norm(got[name] - expected[name]) for name in expected) < 1e-3


def _heads(bpy, arm, frame: int) -> dict:
    """World positions of every pose bone's head at ``frame``."""
    bpy.context.scene.frame_set(frame)
    return {pb.name: np.array(arm.matrix_world @ pb.head) for pb in arm.pose.bones}


def test_usd_holds_skeleton_blendshapes_and_the_take(avatar):
    bpy, arm, folder = avatar
    path = folder / "take.usda"
    assert bpy.ops.smplx_fusion.export_usd(filepath=str(path)) == {"FINISHED"}
    text = path.read_text()
    assert "def Skeleton" in text and "def BlendShape" in text and "SkelAnimation" in text
    assert "right_wrist" in text and "Exp000" in text
    with pytest.raises(RuntimeError, match="the file exists"):
        bpy.ops.smplx_fusion.export_usd(filepath=str(path))
    assert bpy.ops.smplx_fusion.export_usd(filepath=str(path), overwrite=True) == {"FINISHED"}
    assert bpy.ops.smplx_fusion.export_usd(filepath=str(folder / "take")) == {"FINISHED"}
    assert (folder / "take.usdc").read_bytes()[:8] == b"PXR-USDC"
    # Blender's own USD importer gives back the skeleton with the same joint positions per frame
    heads = {f: _heads(bpy, arm, f) for f in (1, FRAMES)}
    before = set(bpy.data.objects)
    assert bpy.ops.wm.usd_import(filepath=str(path)) == {"FINISHED"}
    back = next(ob for ob in set(bpy.data.objects) - before if ob.type == "ARMATURE")
    for frame, expected in heads.items():
        got = _heads(bpy, back, frame)
        assert max(np.linalg.norm(got[name] - expected[name]) for name in expected) < 1e-3
