"""AMASS export from the scene: fused npz -> Blender import -> edit one bone -> AMASS npz -> ``core.io``.

Only the edited bone's parameters change: every other joint's rotation, the translation, betas and expression
equal the original fused file's (rotations within 1e-5 rad as the angle between the two rotations; the F-curve keys
are float32, ~1e-7), and the edited joint's exported rotation is the one set in Blender. The new Blender
quaternion is computed with Blender's own ``mathutils`` from the bone's rest matrix and the documented model ->
Blender rotation A = Rx(+90 deg) (``Q = B^T A R A^T B``), not with the add-on's numpy code.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.contracts.fused_file import read_fused, write_fused
from core.demo_data.motion import make_demo_sequence
from core.io import read_amass, read_body

EDITED = "left_elbow"
EDITED_FRAMES = np.arange(5, 11)  # Blender frames (file rows 4..9)
TARGET_AXIS_ANGLE = np.array([0.3, -1.1, 0.4])
ROT_TOL = 1e-5


def rotation_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(...,) angle in radians between axis-angle rotations ``a`` and ``b`` (..., 3)."""
    ra = Rotation.from_rotvec(np.array(a, dtype=np.float64).reshape(-1, 3))
    rb = Rotation.from_rotvec(np.array(b, dtype=np.float64).reshape(-1, 3))
    return (ra.inv() * rb).magnitude().reshape(a.shape[:-1])


@pytest.fixture
def take(blender, tmp_path, model_path):
    bpy = blender
    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=20))
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model_path)) == {"FINISHED"}
    arm = next(ob for ob in bpy.data.objects if ob.type == "ARMATURE")
    return bpy, arm, read_fused(fused)


def _bag(arm):
    from bpy_extras import anim_utils

    return anim_utils.action_get_channelbag_for_slot(arm.animation_data.action, arm.animation_data.action_slot)


def curves(arm, path: str) -> list:
    """The four F-curves (w, x, y, z) of a quaternion data path."""
    found = [_bag(arm).fcurves.find(path, index=k) for k in range(4)]
    assert all(fc is not None for fc in found), path
    return found


def set_bone_rotation(arm, bone: str, frames: np.ndarray, axis_angle: np.ndarray) -> np.ndarray:
    """Rewrite ``bone``'s quaternion keys on ``frames`` (bulk foreach_get / foreach_set) so that its SMPL-X local
    rotation is ``axis_angle``; returns the quaternion written (w, x, y, z)."""
    from mathutils import Matrix, Vector

    a = Matrix(((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0)))  # Rx(+90 deg)
    b = arm.data.bones[bone].matrix_local.to_3x3().normalized()
    r = Matrix.Rotation(float(np.linalg.norm(axis_angle)), 3, Vector(axis_angle / np.linalg.norm(axis_angle)))
    quat = (b.transposed() @ a @ r @ a.transposed() @ b).to_quaternion()
    for k, fc in enumerate(curves(arm, f'pose.bones["{bone}"].rotation_quaternion')):
        co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        co = co.reshape(-1, 2)
        rows = np.isin(co[:, 0], frames.astype(np.float32))
        assert rows.sum() == frames.size
        co[rows, 1] = quat[k]
        fc.keyframe_points.foreach_set("co", co.ravel())
        fc.update()
    return np.array(quat)


def test_an_edited_bone_round_trips_and_nothing_else_changes(take, tmp_path):
    bpy, arm, original = take
    set_bone_rotation(arm, EDITED, EDITED_FRAMES, TARGET_AXIS_ANGLE)
    out = tmp_path / "edited_amass.npz"
    assert bpy.ops.smplx_fusion.export_amass(filepath=str(out)) == {"FINISHED"}
    est = read_amass(out)
    assert read_body(out).global_orient.shape == (20, 3)  # the registry recognises it as AMASS too

    exported = np.concatenate([est.global_orient[:, None], est.body_pose, est.jaw_pose[:, None],
                               est.leye_pose[:, None], est.reye_pose[:, None], est.left_hand_pose,
                               est.right_hand_pose], axis=1)  # (T, 55, 3)
    gap = rotation_gap(exported, original.full_pose())
    from core.body.skeleton import JOINT_INDEX

    j = JOINT_INDEX[EDITED]
    rows = EDITED_FRAMES - 1
    changed = np.zeros(gap.shape, dtype=bool)
    changed[rows, j] = True
    assert gap[~changed].max() < ROT_TOL, np.unravel_index(np.argmax(np.where(changed, 0, gap)), gap.shape)
    assert gap[changed].min() > 0.1  # the edit is really there
    set_gap = rotation_gap(exported[rows, j], np.broadcast_to(TARGET_AXIS_ANGLE, (rows.size, 3)))
    assert set_gap.max() < ROT_TOL
    assert np.abs(est.transl - original.transl).max() < 1e-5
    assert np.abs(est.expression - original.expression).max() < 1e-5
    assert np.abs(est.betas[0] - original.betas).max() < 1e-6
    assert est.source["fps"] == original.fps and est.source["gender"] == original.gender


def test_expression_compensation_is_not_an_edit_but_a_moved_bone_is_reported(take, tmp_path):
    from blender_addon.common.avatar import find_avatar
    from blender_addon.export import amass as scene_to_amass

    bpy, arm, original = take
    assert np.abs(original.expression).max() > 0.5
    compensated = [pb.name for pb in arm.pose.bones if pb.name != "pelvis" and any(
        fc.data_path == f'pose.bones["{pb.name}"].location' for fc in _bag(arm).fcurves)]
    assert compensated, "the take should carry expression joint-shift compensation on some bones"
    arm_obj, mesh = find_avatar(bpy.context)
    assert scene_to_amass.read_scene_take(arm_obj, mesh).warnings == []

    bone = compensated[0]
    fc = _bag(arm).fcurves.find(f'pose.bones["{bone}"].location', index=2)
    co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    co[1::2][3:6] += 0.02  # 2 cm on three frames
    fc.keyframe_points.foreach_set("co", co)
    fc.update()
    take_back = scene_to_amass.read_scene_take(arm_obj, mesh)
    assert len(take_back.warnings) == 1 and f"'{bone}' is translated on 3 frame(s)" in take_back.warnings[0]
    assert rotation_gap(take_back.seq.full_pose(), original.full_pose()).max() < ROT_TOL



def test_a_non_quaternion_bone_is_refused_with_its_name(take, tmp_path):
    bpy, arm, _ = take
    arm.pose.bones["neck"].rotation_mode = "XYZ"
    with pytest.raises(RuntimeError, match=r"field 'pose.bones\[\"neck\"\].rotation_mode'"):
        bpy.ops.smplx_fusion.export_amass(filepath=str(tmp_path / "x.npz"))
    assert not (tmp_path / "x.npz").exists()
