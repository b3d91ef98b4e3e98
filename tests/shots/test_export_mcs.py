"""The .mcs scene export from Blender: every imported avatar's take (as the scene holds it, edits included) and the
footage camera, written through smplcodec and read back by core.interchange."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence
from core.interchange import mcs_to_fused, read_mcs
from core.interchange.fused_world import set_world


def _camera(t: int) -> np.ndarray:
    pose = np.tile(np.eye(4), (t, 1, 1))
    pose[:, :3, :3] = Rotation.from_euler("y", np.linspace(0, 30, t), degrees=True).as_matrix() @ np.diag([1, -1, -1])
    pose[:, :3, 3] = np.stack([np.linspace(0, 1, t), np.full(t, 1.5), np.full(t, 3.0)], axis=1)
    return pose


@pytest.fixture
def two_avatars(blender, tmp_path, model_path):
    bpy = blender
    a = make_demo_sequence(num_frames=6)
    set_world(a, _camera(6), np.array([0.0, 1.0, 0.0]))
    b = make_demo_sequence(num_frames=6)
    b.transl = b.transl + np.array([0.7, 0.0, 0.4])
    for name, seq in (("alice", a), ("bob", b)):
        fused = write_fused(tmp_path / f"{name}.fused.npz", seq)
        assert bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model_path)) == {"FINISHED"}
    arms = sorted((ob for ob in bpy.data.objects if ob.type == "ARMATURE"), key=lambda ob: ob.name)
    return bpy, arms, (a, b), tmp_path


def test_mcs_holds_every_avatar_and_the_camera(two_avatars, model_path):
    bpy, arms, (a, b), folder = two_avatars
    lead = next(arm for arm in arms if "alice" in str(arm.get("smplx_fusion_source")))
    for ob in bpy.context.view_layer.objects:
        ob.select_set(False)
    lead.select_set(True)
    bpy.context.view_layer.objects.active = lead
    path = folder / "scene.mcs"
    assert bpy.ops.smplx_fusion.export_mcs(filepath=str(path)) == {"FINISHED"}
    gltf = json.loads(path.read_text())
    assert len(gltf["scenes"][0]["extensions"]["MC_scene_description"]["smpl_bodies"]) == 2
    scene = read_mcs(path)
    assert scene.num_frames == 6 and len(scene.bodies) == 2
    # the lead's camera trajectory, within 1 mm and 0.01 degrees
    truth = _camera(6)
    assert np.abs(scene.world_from_camera[:, :3, 3] - truth[:, :3, 3]).max() < 1e-3
    rel = Rotation.from_matrix(np.swapaxes(scene.world_from_camera[:, :3, :3], 1, 2) @ truth[:, :3, :3])
    assert np.degrees(rel.magnitude()).max() < 0.01
    # the lead's body comes back in its own camera frame as imported (the rig's read-back, float32 storage)
    from core.body.model import load_body_model

    takes = mcs_to_fused(path, load_body_model(model_path))
    np.testing.assert_allclose(takes[0].transl, a.transl, atol=1e-4)
    np.testing.assert_allclose(takes[0].body_pose, a.body_pose, atol=1e-4)
    # bob's take has no camera pose: his world is his camera at the origin turned to y up (diag(1, -1, -1)); seen
    # by the scene's (alice's) camera his pelvis is that world point in her camera frame
    model = load_body_model(model_path)
    j0 = model.rest_joints(b.betas[:model.num_betas])[0]
    pelvis_world = (b.transl + j0) @ np.diag([1.0, -1.0, -1.0])
    expected = np.einsum("tji,tj->ti", truth[:, :3, :3], pelvis_world - truth[:, :3, 3])
    np.testing.assert_allclose(takes[1].transl + j0, expected, atol=1e-3)
    with pytest.raises(RuntimeError, match="the file exists"):
        bpy.ops.smplx_fusion.export_mcs(filepath=str(path))
