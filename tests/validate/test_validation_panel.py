"""The Validation panel's operators, headless: markers on exactly the flagged frames, what the user sees is what
is validated, fixes written back into the F-curves and undone by undo, and failures that change nothing."""
from __future__ import annotations

import numpy as np
import pytest

from core.contracts.fused_file import write_fused
from core.validate.faults import clean_take, inject_elbow_backwards, inject_glitch

FIRST = 1  # Blender frame of file row 0


@pytest.fixture(scope="module")
def faulty_file(tmp_path_factory, body_model):
    """64 frames: the left elbow bent backwards on rows 5-12, a 3-frame glitch on rows 44-46."""
    take = inject_glitch(inject_elbow_backwards(clean_take(64, 0), body_model, 5, 8, side="left"), 44, 3)
    path = tmp_path_factory.mktemp("panel") / "take.fused.npz"
    write_fused(path, take.seq)
    return path, take


def _import(bpy, path, model_path, correctives="NONE"):
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model_path),
                                             pose_correctives=correctives) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    return arm, next(ob for ob in arm.children if ob.type == "MESH")


def _markers(bpy):
    return {(m.name, m.frame) for m in bpy.context.scene.timeline_markers}


def _curve(arm, bone, index=0, prop="rotation_quaternion"):
    from bpy_extras import anim_utils

    adt = arm.animation_data
    cb = anim_utils.action_get_channelbag_for_slot(adt.action, adt.action_slot)
    return cb.fcurves.find(f'pose.bones["{bone}"].{prop}', index=index)


def _values(fc):
    co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co[1::2].copy()


def test_validate_marks_flagged_frames_and_reads_what_is_displayed(blender, faulty_file, model_path, body_model):
    bpy = blender
    from blender_addon.common.readback import read_take
    from blender_addon.validation.scene_results import COLOR_ATTRIBUTE
    from core.body.posing import pose_skeleton
    from tests.validate.conftest import rotation_angles

    path, take = faulty_file
    scene = bpy.context.scene
    scene.timeline_markers.new("mine", frame=3)
    arm, mesh = _import(bpy, path, model_path)
    rb = read_take(arm, mesh)  # the rig read back equals the file
    assert rotation_angles(rb.seq.full_pose(), take.seq.full_pose()).max() < 1e-5
    assert np.abs(rb.seq.transl - take.seq.transl).max() < 1e-5
    assert np.abs(rb.displayed_joints - pose_skeleton(take.seq, body_model).joints).max() < 1e-4

    assert bpy.ops.smplx_fusion.validate() == {"FINISHED"}
    marks = _markers(bpy)
    count = len([m for m in scene.timeline_markers if m.name.startswith("VAL:")])
    elbow = {("VAL:joint_limits", FIRST + f) for f in range(5, 13)}
    glitch = {("VAL:temporal", FIRST + f) for f in range(44, 47)}
    assert elbow | glitch <= marks and ("mine", 3) in marks
    assert {f for _, f in marks - {("mine", 3)}} == {FIRST + f for f in (*range(5, 13), *range(44, 47))}
    settings = scene.smplx_fusion_validation
    assert settings.summary == "11 of 64 frames flagged" and settings.rows[0].check == "temporal"
    assert any(r.check == "joint_limits" and r.culprits == "left_elbow" for r in settings.rows)
    assert bpy.ops.smplx_fusion.validation_jump(frame=settings.rows[3].frame) == {"FINISHED"}
    assert scene.frame_current == settings.rows[3].frame and settings.row_index == 3
    colors = mesh.data.color_attributes[COLOR_ATTRIBUTE]
    assert len(colors.data) == 10475

    # what the user sees is what is validated: key the left wrist bone 4 cm along its own axis (towards the
    # fingers, nearly along the forearm) on rows 24-31, as a user stretching the forearm would
    from blender_addon.common import animation

    values = np.zeros((64, 3))
    values[24:32, 1] = 0.04
    adt = arm.animation_data
    animation.write_fcurves(adt.action, adt.action_slot,
                            [('pose.bones["left_wrist"].location', k, "left_wrist") for k in range(3)],
                            FIRST + np.arange(64), values)
    assert bpy.ops.smplx_fusion.validate() == {"FINISHED"}
    symmetry = {f for name, f in _markers(bpy) if name == "VAL:symmetry"}
    assert symmetry == {FIRST + f for f in range(24, 32)}
    assert len([m for m in scene.timeline_markers if m.name.startswith("VAL:")]) == count + 8  # none doubled
    # an armature moved as an object carries the take with it in the camera's view
    arm.location = (0.3, -0.2, 0.1)
    arm.rotation_euler = (0.0, 0.1, 0.4)
    bpy.context.view_layer.update()
    moved = read_take(arm, mesh)
    rows = np.r_[0:24, 32:64]  # leave out the rows whose wrist bone was stretched by hand
    assert np.abs(moved.displayed_joints - pose_skeleton(moved.seq, body_model).joints)[rows].max() < 1e-4
    assert np.abs(moved.seq.transl - take.seq.transl).max() > 0.1
    assert bpy.ops.smplx_fusion.validation_clear() == {"FINISHED"}
    assert _markers(bpy) == {("mine", 3)} and COLOR_ATTRIBUTE not in mesh.data.color_attributes


def test_fixes_write_back_and_undo_restores(blender, faulty_file, model_path, body_model):
    bpy = blender
    from blender_addon.common.readback import read_take
    from tests.smplx_reference import smplx_vertices
    from tests.test_blender_rig import evaluated_vertices_camera_frame

    path, take = faulty_file
    arm, mesh = _import(bpy, path, model_path, correctives="FULL")
    assert bpy.ops.smplx_fusion.validate() == {"FINISHED"}
    elbow = _curve(arm, "left_elbow")
    before = _values(elbow)
    wrist_before = _values(_curve(arm, "left_wrist"))
    bpy.ops.ed.undo_push(message="before fix")
    assert bpy.ops.smplx_fusion.validation_fix(fix="CLAMP_JOINT_LIMITS", frame_start=1, frame_end=64) == {"FINISHED"}
    after = _values(_curve(arm, "left_elbow"))
    changed = np.flatnonzero(np.abs(after - before) > 1e-6)
    assert changed.tolist() == list(range(5, 13))  # the flagged rows only
    assert np.array_equal(_values(_curve(arm, "left_wrist")), wrist_before)
    assert not any(m.name == "VAL:joint_limits" for m in bpy.context.scene.timeline_markers)
    settings = bpy.context.scene.smplx_fusion_validation
    assert settings.last_fix.startswith("clamp_joint_limits: 8 of 8 frames changed")
    # the rig shows the fixed take, pose correctives included: Blender's mesh equals smplx's for it
    fixed = read_take(arm, mesh).seq
    ref = smplx_vertices(model_path, fixed, np.array([8]))[0]
    assert np.abs(evaluated_vertices_camera_frame(bpy, mesh, FIRST + 8) - ref).max() < 2e-4

    assert bpy.ops.smplx_fusion.validation_fix(fix="INTERPOLATE") == {"FINISHED"}
    assert settings.summary == "0 of 64 frames flagged"
    bpy.ops.ed.undo_push(message="after fixes")
    name = arm.name
    bpy.ops.ed.undo()  # back to "before fix" (headless, operators push no steps of their own: BLENDER5_NOTES 8)
    arm = bpy.data.objects[name]
    assert np.array_equal(_values(_curve(arm, "left_elbow")), before)
    assert {m.frame for m in bpy.context.scene.timeline_markers if m.name == "VAL:joint_limits"} == \
        {FIRST + f for f in range(5, 13)}


def test_resmooth_runs_through_the_core_subprocess_without_scipy(blender, faulty_file, model_path, monkeypatch):
    bpy = blender
    from blender_addon.validation import fixes

    path, _ = faulty_file
    arm, mesh = _import(bpy, path, model_path)
    monkeypatch.setattr(fixes, "scipy_available", lambda: False)
    settings = bpy.context.scene.smplx_fusion_validation
    settings.only_flagged = False
    before = _values(_curve(arm, "spine2"))
    assert bpy.ops.smplx_fusion.validation_fix(fix="SMOOTH", frame_start=FIRST + 20, frame_end=FIRST + 40) \
        == {"FINISHED"}
    after = _values(_curve(arm, "spine2"))
    moved = np.flatnonzero(np.abs(after - before) > 1e-7)
    assert moved.size and moved.min() >= 20 and moved.max() <= 40
    assert settings.last_fix.startswith("smooth:")


def test_failures_change_nothing(blender, faulty_file, model_path, monkeypatch, tmp_path):
    bpy = blender
    from blender_addon.common import readback
    from blender_addon.common.animation import channelbag_of

    with pytest.raises(RuntimeError, match="no imported SMPL-X avatar"):
        bpy.ops.smplx_fusion.validate()
    path, take = faulty_file
    arm, mesh = _import(bpy, path, model_path)
    assert bpy.ops.smplx_fusion.validate() == {"FINISHED"}
    marks = _markers(bpy)
    curves = {fc.data_path + str(fc.array_index): _values(fc) for fc in
              channelbag_of(arm).fcurves}
    calls = {"n": 0}
    real = readback._write_rows

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 40:
            raise ValueError("simulated failure halfway through the write")
        return real(*args, **kwargs)

    monkeypatch.setattr(readback, "_write_rows", flaky)
    with pytest.raises(RuntimeError, match="simulated failure"):
        bpy.ops.smplx_fusion.validation_fix(fix="INTERPOLATE", frame_start=1, frame_end=64)
    assert calls["n"] == 40
    for fc in channelbag_of(arm).fcurves:
        assert np.array_equal(_values(fc), curves[fc.data_path + str(fc.array_index)])
    assert _markers(bpy) == marks
    moved = tmp_path / "moved.fused.npz"
    path.rename(moved)
    try:
        with pytest.raises(RuntimeError, match="source file is missing"):
            bpy.ops.smplx_fusion.validate()
        assert _markers(bpy) == marks
    finally:
        moved.rename(path)


def test_betas_fix_moves_the_bone_rests_with_the_shape(blender, tmp_path, model_path, model_no_correctives_path):
    bpy = blender
    from blender_addon.common.readback import read_take
    from core.validate.faults import inject_extreme_betas
    from tests.smplx_reference import smplx_vertices
    from tests.test_blender_rig import evaluated_vertices_camera_frame
    from tests.validate.conftest import rotation_angles

    take = inject_extreme_betas(clean_take(48, 1), sigma=5.0, component=0)
    path = write_fused(tmp_path / "fat.fused.npz", take.seq)
    arm, mesh = _import(bpy, path, model_path)
    assert bpy.ops.smplx_fusion.validate() == {"FINISHED"}
    assert bpy.context.scene.smplx_fusion_validation.summary == "48 of 48 frames flagged"
    head_before = np.array(arm.data.bones["left_wrist"].head_local)
    assert bpy.ops.smplx_fusion.validation_fix(fix="CLAMP_BETAS") == {"FINISHED"}
    assert 2.7 < mesh.data.shape_keys.key_blocks["Shape000"].value < 3.0
    assert np.linalg.norm(np.array(arm.data.bones["left_wrist"].head_local) - head_before) > 1e-3
    fixed = read_take(arm, mesh).seq
    assert bpy.context.scene.smplx_fusion_validation.summary == "0 of 48 frames flagged"
    assert rotation_angles(fixed.full_pose(), take.seq.full_pose()).max() < 1e-5  # the pose is untouched
    ref = smplx_vertices(model_no_correctives_path, fixed, np.array([5]))[0]  # imported without correctives
    assert np.abs(evaluated_vertices_camera_frame(bpy, mesh, FIRST + 5) - ref).max() < 2e-4
