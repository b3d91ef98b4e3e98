"""The proof that the rig is right: the Blender-evaluated mesh equals smplx's forward pass.

Exercised: shape keys for betas, expression shape keys, the per-frame joint-shift compensation for expression,
hands, jaw, eyes, root and translation, and the pose correctives (all 486 ``Pose###`` keys, and the compact
exact basis) against smplx with its pose blendshapes on. The first check runs on the model with ``posedirs``
zeroed, so a mistake in the skinning cannot hide behind the correctives.
"""
from __future__ import annotations

import numpy as np
import pytest

from core.body.skeleton import JOINT_NAMES
from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence
from tests.smplx_reference import smplx_vertices

TOLERANCE_M = 1e-4


def random_sequence(num_frames: int = 12, seed: int = 0):
    """Non-trivial random body, hand, jaw and eye poses, betas and expressions, arbitrary root orientation."""
    rng = np.random.default_rng(seed)
    seq = make_demo_sequence(num_frames=num_frames)
    seq.global_orient = rng.normal(scale=1.2, size=(num_frames, 3))
    seq.body_pose = rng.normal(scale=0.35, size=(num_frames, 21, 3))
    seq.left_hand_pose = rng.normal(scale=0.4, size=(num_frames, 15, 3))
    seq.right_hand_pose = rng.normal(scale=0.4, size=(num_frames, 15, 3))
    seq.jaw_pose = rng.normal(scale=0.25, size=(num_frames, 3))
    seq.leye_pose = rng.normal(scale=0.2, size=(num_frames, 3))
    seq.reye_pose = rng.normal(scale=0.2, size=(num_frames, 3))
    seq.expression = rng.normal(scale=1.5, size=(num_frames, 10))
    seq.betas = rng.normal(scale=1.0, size=10)
    seq.transl = rng.normal(scale=0.5, size=(num_frames, 3)) + np.array([0.0, 0.0, 4.0])
    return seq


def evaluated_vertices_camera_frame(bpy, mesh_obj, frame: int) -> np.ndarray:
    """Blender-evaluated world vertices at ``frame``, mapped back to the OpenCV camera frame."""
    from blender_addon.common.axes import blender_to_camera

    bpy.context.scene.frame_set(frame)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = mesh_obj.evaluated_get(depsgraph)
    me = evaluated.to_mesh()
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    evaluated.to_mesh_clear()
    world = np.array(mesh_obj.matrix_world)
    pts = co.reshape(-1, 3).astype(np.float64) @ world[:3, :3].T + world[:3, 3]
    return blender_to_camera(pts)


def import_and_get_mesh(bpy, path, model, pose_correctives="COMPACT"):
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model),
                                             pose_correctives=pose_correctives) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    mesh = next(ob for ob in arm.children if ob.type == "MESH")
    return arm, mesh


def test_evaluated_mesh_matches_smplx(blender, tmp_path, model_no_correctives_path):
    bpy = blender
    seq = random_sequence()
    path = write_fused(tmp_path / "random.fused.npz", seq)
    _, mesh = import_and_get_mesh(bpy, path, model_no_correctives_path, pose_correctives="NONE")
    frames = np.array([0, 3, 7, 11])
    reference = smplx_vertices(model_no_correctives_path, seq, frames)
    for k, f in enumerate(frames):
        ours = evaluated_vertices_camera_frame(bpy, mesh, int(bpy.context.scene.frame_start + f))
        err = np.abs(ours - reference[k]).max()
        assert err <= TOLERANCE_M, f"frame {f}: max vertex error {err:.2e} m"


@pytest.mark.parametrize("mode, keys", [("FULL", 486), ("COMPACT", None)])
def test_evaluated_mesh_matches_smplx_with_pose_correctives(blender, tmp_path, model_path, mode, keys):
    bpy = blender
    seq = random_sequence(num_frames=6, seed=5)
    path = write_fused(tmp_path / "correctives.fused.npz", seq)
    _, mesh = import_and_get_mesh(bpy, path, model_path, pose_correctives=mode)
    pose_keys = [kb for kb in mesh.data.shape_keys.key_blocks if kb.name.startswith("Pose")]
    assert len(pose_keys) == keys if keys else 0 < len(pose_keys) < 486
    frames = np.array([1, 4])
    reference = smplx_vertices(model_path, seq, frames)
    without = smplx_vertices(_model_without_correctives(tmp_path, model_path), seq, frames)
    assert np.abs(reference - without).max() > 10 * TOLERANCE_M, "the correctives must matter in this check"
    for k, f in enumerate(frames):
        ours = evaluated_vertices_camera_frame(bpy, mesh, int(bpy.context.scene.frame_start + f))
        err = np.abs(ours - reference[k]).max()
        assert err <= TOLERANCE_M, f"{mode} frame {f}: max vertex error {err:.2e} m"


def _model_without_correctives(tmp_path, model_path):
    data = dict(np.load(model_path, allow_pickle=False))
    data["posedirs"] = np.zeros_like(data["posedirs"])
    out = tmp_path / "SMPLX_NEUTRAL_nopose.npz"
    np.savez(out, **data)
    return out


def test_expression_compensation_is_needed(blender, tmp_path, model_no_correctives_path):
    """Without the per-frame joint-shift locations the rig would be off: the check above is not vacuous."""
    bpy = blender
    seq = random_sequence(num_frames=4, seed=3)
    path = write_fused(tmp_path / "expr.fused.npz", seq)
    arm, mesh = import_and_get_mesh(bpy, path, model_no_correctives_path)
    frame = bpy.context.scene.frame_start + 2
    reference = smplx_vertices(model_no_correctives_path, seq, np.array([2]))[0]
    with_comp = np.abs(evaluated_vertices_camera_frame(bpy, mesh, frame) - reference).max()
    channelbag = arm.animation_data.action.layers[0].strips[0].channelbag(arm.animation_data.action_slot)
    compensated = [fc for fc in channelbag.fcurves
                   if fc.data_path.endswith(".location") and 'pose.bones["pelvis"]' not in fc.data_path]
    assert compensated, "expression moves some joints, so some non-root bones must carry location keys"
    for fc in compensated:
        fc.mute = True  # a muted curve stops writing, so also clear the value it left behind
        bone_name = fc.data_path.split('"')[1]
        arm.pose.bones[bone_name].location[fc.array_index] = 0.0
    without = np.abs(evaluated_vertices_camera_frame(bpy, mesh, frame) - reference).max()
    assert with_comp <= TOLERANCE_M
    assert without > 5 * TOLERANCE_M, f"muting the compensation only changed the error to {without:.2e} m"


def test_axis_mapping_upright_and_facing_camera(blender, tmp_path, model_no_correctives_path):
    """SMPL-X Y-up -> Blender Z-up: the rest rig stands on +Z facing -Y; a camera-frame take stands upright
    in front of the camera (+Y), facing it, with its left hand on the image's right (camera and Blender +X)."""
    bpy = blender
    seq = make_demo_sequence(num_frames=2)
    seq.body_pose[:] = 0.0
    seq.global_orient[:] = np.array([np.pi, 0.0, 0.0])  # upright in the image, facing the camera
    seq.transl[:] = np.array([0.0, 0.0, 4.0])
    path = write_fused(tmp_path / "upright.fused.npz", seq)
    arm, mesh = import_and_get_mesh(bpy, path, model_no_correctives_path)
    bones = arm.data.bones
    assert bones["head"].head_local.z > bones["pelvis"].head_local.z > bones["left_knee"].head_local.z
    assert bones["left_shoulder"].head_local.x > 0 > bones["right_shoulder"].head_local.x
    assert bones["left_foot"].head_local.y < bones["left_ankle"].head_local.y  # toes point to -Y (front)
    bpy.context.scene.frame_set(bpy.context.scene.frame_start)
    bpy.context.view_layer.update()
    pose = arm.pose.bones
    head_z = (arm.matrix_world @ pose["head"].head).z
    pelvis = arm.matrix_world @ pose["pelvis"].head
    assert head_z > pelvis.z + 0.4, "the person stands upright on Blender's Z"
    assert 3.5 < pelvis.y < 4.5, "the person stands 4 m in front of the camera, along +Y"
    # facing the camera (at the origin): the nose is closer to the camera than the back of the head
    verts = evaluated_vertices_camera_frame(bpy, mesh, bpy.context.scene.frame_start)
    assert verts[9120, 2] < pelvis.y - 0.05  # smplx's nose vertex id, camera-frame depth
    # the body's left hand appears on the image's right (x > 0) for a person facing the camera
    assert (arm.matrix_world @ pose["left_wrist"].head).x > 0 > (arm.matrix_world @ pose["right_wrist"].head).x


def test_rig_layout_and_scene(blender, tmp_path, model_path):
    bpy = blender
    seq = make_demo_sequence(num_frames=30, fps=29.97)
    path = write_fused(tmp_path / "layout.fused.npz", seq)
    arm, mesh = import_and_get_mesh(bpy, path, model_path)
    assert [b.name for b in arm.data.bones] == list(JOINT_NAMES) or \
        sorted(b.name for b in arm.data.bones) == sorted(JOINT_NAMES)
    assert all(pb.rotation_mode == "QUATERNION" for pb in arm.pose.bones)
    assert sorted(vg.name for vg in mesh.vertex_groups) == sorted(JOINT_NAMES)
    names = [kb.name for kb in mesh.data.shape_keys.key_blocks]
    assert names[0] == "Basis"
    assert [n for n in names if n.startswith("Shape")] == [f"Shape{k:03d}" for k in range(10)]
    assert [n for n in names if n.startswith("Exp")] == [f"Exp{k:03d}" for k in range(10)]
    for kb in mesh.data.shape_keys.key_blocks[1:]:
        assert kb.slider_min == -10 and kb.slider_max == 10
    np.testing.assert_allclose([mesh.data.shape_keys.key_blocks[f"Shape{k:03d}"].value for k in range(10)],
                               seq.betas, atol=1e-6)
    scene = bpy.context.scene
    assert scene.frame_end - scene.frame_start + 1 == 30
    assert abs(scene.render.fps / scene.render.fps_base - 29.97) < 1e-4
    # slotted action shared by the armature (OBJECT slot) and the shape keys (KEY slot)
    action = arm.animation_data.action
    assert mesh.data.shape_keys.animation_data.action == action
    assert {slot.target_id_type for slot in action.slots} == {"OBJECT", "KEY"}
    # negative expression values play back unclamped
    k = int(np.argmin(seq.expression[:, 0]))
    scene.frame_set(scene.frame_start + k)
    assert seq.expression[k, 0] < 0
    assert abs(mesh.data.shape_keys.key_blocks["Exp000"].value - seq.expression[k, 0]) < 1e-5


def test_camera_projects_like_the_pinhole(blender, tmp_path, model_path):
    """The Blender camera built from camera_K projects camera-frame points exactly where K does."""
    bpy = blender
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    from blender_addon.common.axes import camera_to_blender

    seq = make_demo_sequence(num_frames=2)
    seq.camera_K = np.array([[820.0, 0.0, 352.7], [0.0, 820.0, 221.3], [0.0, 0.0, 1.0]])
    path = write_fused(tmp_path / "cam.fused.npz", seq)
    import_and_get_mesh(bpy, path, model_path)
    scene = bpy.context.scene
    bpy.context.view_layer.update()
    pts_cam = np.array([[0.3, -0.4, 3.0], [-1.0, 0.5, 6.0], [0.0, 0.0, 2.0]])
    w, h = seq.image_size
    for p in pts_cam:
        ndc = world_to_camera_view(scene, scene.camera, Vector(camera_to_blender(p)))
        uv_blender = np.array([ndc.x * w, (1.0 - ndc.y) * h])
        uv_pinhole = (seq.camera_K @ p)[:2] / p[2]
        np.testing.assert_allclose(uv_blender, uv_pinhole, atol=1e-3)
