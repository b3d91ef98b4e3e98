"""The proof that the Blender scene matches the fit: the fused joints, projected by Blender's own camera
(``world_to_camera_view``) from the evaluated armature, land on the core's projection within 0.5 px.

The joints are read off the evaluated armature as its deformation of each smplx rest joint: the rig's rest bones
come from the betas alone, and expression moves a few regressed joints (head, jaw, eyes) by a few millimetres per
frame (``pose_channels``), so the point deformed is the bone's rest head plus that shift.
"""
from __future__ import annotations

import numpy as np

from core.body.model import load_body_model
from core.body.skeleton import JOINT_NAMES
from core.camera.blender_camera import ndc_to_pixels
from core.camera.conversions import project
from core.camera.points import sequence_points
from core.contracts.fused_file import read_fused


def _blender_joint_pixels(bpy, arm, frame, image_size, expression_shift):
    """(55, 2) pixels of the joints the evaluated armature carries at ``frame``; ``expression_shift`` (55, 3) is the
    frame's smplx joint shift from expression, model frame."""
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    from blender_addon.common.axes import MODEL_TO_BLENDER

    scene = bpy.context.scene
    scene.frame_set(frame)
    bpy.context.view_layer.update()
    cam = scene.camera
    points = []
    for j, name in enumerate(JOINT_NAMES):
        pb, bone = arm.pose.bones[name], arm.data.bones[name]
        deform = pb.matrix @ bone.matrix_local.inverted()
        points.append(arm.matrix_world @ deform @ (bone.head_local + Vector(MODEL_TO_BLENDER @ expression_shift[j])))
    ndc = np.array([tuple(world_to_camera_view(scene, cam, p))[:2] for p in points])
    return ndc_to_pixels(ndc, image_size)


def test_blender_projection_matches_core(blender, take):
    bpy = blender
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(take.fitted),
                                            model_path=str(take.model)) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    seq = read_fused(take.fitted)
    assert seq.camera_K.shape == (3, 3)
    cam = bpy.data.objects[arm["smplx_fusion_camera"]]
    assert bpy.context.scene.camera == cam
    assert cam.data.animation_data is None or cam.data.animation_data.action is None, "one K: no keys"
    model = load_body_model(take.model)
    joints = sequence_points(seq, model).joints + seq.transl[:, None]
    shift = model.expression_joint_offsets(seq.expression)
    assert np.abs(shift).max() > 1e-4, "the take's expression moves joints: the shift is exercised"
    core_uv = project(joints, seq.camera_K)
    start = bpy.context.scene.frame_start
    worst = 0.0
    for row in (0, seq.num_frames // 2, seq.num_frames - 1):
        uv = _blender_joint_pixels(bpy, arm, start + row, seq.image_size, shift[row])
        worst = max(worst, float(np.abs(uv - core_uv[row]).max()))
    assert worst <= 0.5, f"Blender and core disagree by {worst:.3f} px"
    # the check is not vacuous: the body regressor's per-frame virtual camera puts the same joints elsewhere
    virtual = read_fused(take.fused)
    virtual_uv = project(joints[:1], virtual.camera_K_per_frame()[:1])
    assert np.abs(virtual_uv - core_uv[:1]).max() > 5.0
