"""Importing a world-grounded take (schema 1.1) into Blender: the camera flies the file's trajectory, the avatar
walks the world on a level floor at z = 0, and the render over the plate is exactly that of a plain import.

The take is the moving-camera demo (core/demo_data/moving_camera.py) written by the test and grounded in its world
(core/world/ground.py). Every expectation is computed from the file, not from the import's own math: the camera's
motion relative to its first pose, gravity on Blender's -Z, the first camera above the origin looking along +Y, and
the projections of the camera-frame joints (core's forward kinematics) through the file's K.
"""
from __future__ import annotations

import copy
import json
from dataclasses import replace

import numpy as np
import pytest

from core.body.model import load_body_model
from core.body.posing import pose_skeleton
from core.body.rigid_frames import invert_rigid
from core.body.skeleton import JOINT_NAMES
from core.contracts.fused_file import read_fused, write_fused
from core.world import WORLD_GROUND_PLANE_KEY, ground_world_take

FRAMES = 12
OPENCV_FROM_BLENDER_CAMERA = np.diag([1.0, -1.0, -1.0, 1.0])


@pytest.fixture(scope="module")
def world_files(tmp_path_factory, model_path):
    """(world file, the same take as a plain schema-1 file); expression zeroed so that the bone heads are the joints
    (the expression shifts smplx's joints off the heads; the world copy with expression is tests/world's)."""
    from core.demo_data.moving_camera import make_moving_camera_take

    model = load_body_model(model_path)
    take, _ = make_moving_camera_take(model, model_path, num_frames=FRAMES)
    seq = replace(take.truth_cam, expression=np.zeros_like(take.truth_cam.expression))
    grounded = ground_world_take(seq, model, "always").sequence
    folder = tmp_path_factory.mktemp("world_import")
    world = write_fused(folder / "walk.fused.npz", grounded)
    plain_seq = copy.deepcopy(grounded)
    for key in ("world_from_camera", "world_up", WORLD_GROUND_PLANE_KEY):
        plain_seq.extras.pop(key)
    plain = write_fused(folder / "plain.fused.npz", plain_seq)
    return world, plain


def _import(bpy, path, model_path):
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model_path)) == {"FINISHED"}
    arm = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    cam = next(o for o in bpy.data.objects if o.type == "CAMERA")
    return arm, cam


def _per_frame(bpy, arm, cam):
    """(T, 4, 4) camera world matrices and (T, 55, 3) bone heads in Blender's world, from Blender's evaluation."""
    scene = bpy.context.scene
    mats, heads = [], []
    for f in range(FRAMES):
        scene.frame_set(1 + f)
        bpy.context.view_layer.update()
        mats.append(np.array(cam.matrix_world, dtype=np.float64))
        world = np.array(arm.matrix_world, dtype=np.float64)
        heads.append([(world @ np.append(np.array(arm.pose.bones[n].head), 1.0))[:3] for n in JOINT_NAMES])
    return np.array(mats), np.array(heads)


def test_camera_follows_the_trajectory_and_the_avatar_stays_in_view(blender, world_files, model_path):
    bpy = blender
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    from core.camera.blender_camera import ndc_to_pixels

    seq = read_fused(world_files[0])
    w = seq.extras["world_from_camera"]
    up = seq.extras["world_up"]
    floor = seq.extras[WORLD_GROUND_PLANE_KEY]
    arm, cam = _import(bpy, world_files[0], model_path)
    mats, heads = _per_frame(bpy, arm, cam)

    # the camera's motion relative to its first pose is the file's (OpenCV axes flipped to Blender's camera axes)
    rel_expected = OPENCV_FROM_BLENDER_CAMERA @ invert_rigid(w[0]) @ w @ OPENCV_FROM_BLENDER_CAMERA
    np.testing.assert_allclose(np.linalg.inv(mats[0]) @ mats, rel_expected, atol=1e-5)
    # gravity: the file's up axis, seen from each camera, is Blender's +Z
    up_in_cam = np.einsum("tji,j->ti", w[:, :3, :3], up)  # R_t^T up, OpenCV camera axes
    up_blender = np.einsum("tij,tj->ti", mats[:, :3, :3], up_in_cam @ OPENCV_FROM_BLENDER_CAMERA[:3, :3])
    np.testing.assert_allclose(up_blender, np.tile([0.0, 0.0, 1.0], (FRAMES, 1)), atol=1e-5)
    # the floor: each camera's height above the file's floor is its Blender z; the first camera above the origin,
    # looking along +Y
    height = w[:, :3, 3] @ up + floor[3]
    np.testing.assert_allclose(mats[:, 2, 3], height, atol=1e-5)
    np.testing.assert_allclose(mats[0, :2, 3], [0.0, 0.0], atol=1e-6)
    view = -mats[0, :3, 2]
    assert view[1] > 0.99 and abs(view[0]) < 1e-6

    # the avatar's pelvis in Blender is the world-frame pelvis: seen from the camera it is the camera-frame pelvis
    skel = pose_skeleton(seq, load_body_model(model_path))
    joints_cam = skel.joints  # (T, 55, 3) OpenCV camera frame, independent of the rig
    pelvis_local = np.einsum("tij,tj->ti", np.linalg.inv(mats)[:, :3, :3], heads[:, 0] - mats[:, :3, 3])
    np.testing.assert_allclose(pelvis_local @ OPENCV_FROM_BLENDER_CAMERA[:3, :3], joints_cam[:, 0], atol=1e-5)
    pelvis_world = np.einsum("tij,tj->ti", w[:, :3, :3], joints_cam[:, 0]) + w[:, :3, 3]
    np.testing.assert_allclose(heads[:, 0, 2], pelvis_world @ up + floor[3], atol=1e-5)  # its height over the floor

    # the key check: every joint projects through the animated Blender camera to the camera-frame take's pixels
    scene = bpy.context.scene
    k = np.asarray(seq.camera_K, dtype=np.float64).reshape(-1, 3, 3)
    k = np.broadcast_to(k, (FRAMES, 3, 3))
    proj = np.einsum("tij,tkj->tki", k, joints_cam)
    expected_px = proj[..., :2] / proj[..., 2:]
    got = []
    for f in range(FRAMES):
        scene.frame_set(1 + f)
        bpy.context.view_layer.update()
        ndc = np.array([tuple(world_to_camera_view(scene, cam, Vector(p)))[:2] for p in heads[f]])
        got.append(ndc_to_pixels(ndc, seq.image_size))
    np.testing.assert_allclose(np.array(got), expected_px, atol=0.02)

    placement = json.loads(arm["smplx_fusion_world"])
    assert placement["floor_source"] == "file"


def test_feet_stand_on_the_floor_at_z0(blender, world_files, model_path):
    """Blender's evaluated foot vertices are the smplx package's, in the world, at their height over the file's
    floor; the grounded take's feet touch z = 0 and never sink below it."""
    bpy = blender
    from core.body.skeleton import SMPLX_EXTRA_VERTEX_IDS
    from core.body.smplx_forward import smplx_forward

    seq = read_fused(world_files[0])
    w, up, floor = seq.extras["world_from_camera"], seq.extras["world_up"], seq.extras[WORLD_GROUND_PLANE_KEY]
    foot_ids = [SMPLX_EXTRA_VERTEX_IDS[n] for n in ("LHeel", "LBigToe", "LSmallToe", "RHeel", "RBigToe", "RSmallToe")]
    _, verts_cam = smplx_forward(model_path, seq)
    feet_world = np.einsum("tij,tkj->tki", w[:, :3, :3], verts_cam[:, foot_ids]) + w[:, None, :3, 3]
    expected_z = feet_world @ up + floor[3]
    _import(bpy, world_files[0], model_path)
    mesh = next(o for o in bpy.data.objects if o.type == "MESH")
    got_z = []
    for f in range(FRAMES):
        bpy.context.scene.frame_set(1 + f)
        ev = mesh.evaluated_get(bpy.context.evaluated_depsgraph_get())
        co = np.empty(len(ev.data.vertices) * 3, dtype=np.float32)
        ev.data.vertices.foreach_get("co", co)
        m = np.array(ev.matrix_world)
        got_z.append((co.reshape(-1, 3)[foot_ids] @ m[:3, :3].T + m[:3, 3])[:, 2])
    got_z = np.array(got_z)
    np.testing.assert_allclose(got_z, expected_z, atol=1e-4)
    assert got_z.min() > -0.005 and abs(got_z.min()) < 0.005  # on the floor, not under it


def test_plain_import_is_unchanged(blender, world_files, model_path):
    """Schema 1: the camera at the origin with its fixed rotation and no path; the rig's channels those of the
    plain derivation; and the world import differs from it in the root bone only."""
    bpy = blender
    from blender_addon.common.animation import channelbag_of

    arm, cam = _import(bpy, world_files[1], model_path)
    assert "smplx_fusion_world" not in arm
    cb = channelbag_of(cam)
    assert cb is None or cb.fcurves.find("location", index=0) is None
    np.testing.assert_allclose(np.array(cam.matrix_world)[:3, 3], 0.0)

    def bone_curves(a):
        bag = channelbag_of(a)
        out = {}
        for fc in bag.fcurves:
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            out[(fc.data_path, fc.array_index)] = co
        return out

    plain = bone_curves(arm)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    world_arm, _ = _import(bpy, world_files[0], model_path)
    world = bone_curves(world_arm)
    assert plain.keys() == world.keys()
    changed = {key[0] for key in plain if not np.array_equal(plain[key], world[key])}
    assert changed == {'pose.bones["pelvis"].rotation_quaternion', 'pose.bones["pelvis"].location'}


def test_read_back_gives_the_camera_frame_take(blender, world_files, model_path):
    """Validation, grounding in the scene and the AMASS export read the rig back: for a world import they get the
    file's camera-frame take again (the rig's world motion taken back out per frame), and writing it back rewrites
    the keys it read."""
    bpy = blender
    from blender_addon.common.readback import read_take, seq_in_rig_frame
    from core.rotations import axis_angle_to_matrix

    seq = read_fused(world_files[0])
    arm, _ = _import(bpy, world_files[0], model_path)
    mesh = next(o for o in bpy.data.objects if o.type == "MESH")
    rb = read_take(arm, mesh)
    np.testing.assert_allclose(rb.seq.transl, seq.transl, atol=1e-5)
    np.testing.assert_allclose(axis_angle_to_matrix(rb.seq.global_orient), axis_angle_to_matrix(seq.global_orient),
                               atol=1e-5)
    joints_cam = pose_skeleton(seq, load_body_model(model_path)).joints
    np.testing.assert_allclose(rb.displayed_joints, joints_cam, atol=1e-5)  # the camera frame, as validation sees it
    rig = seq_in_rig_frame(rb, rb.seq)
    loc = rb.locations[:, 0] @ rb.bone_rest[0, :3, :3].T  # the root bone's keys in the armature frame
    from blender_addon.common.axes import CAMERA_TO_BLENDER, MODEL_TO_BLENDER

    j0 = rb.rest_joints_model[0]
    np.testing.assert_allclose((rig.transl + j0) @ CAMERA_TO_BLENDER.T - MODEL_TO_BLENDER @ j0, loc, atol=1e-5)


def test_lock_feet_in_the_scene_works_in_the_world(blender, world_files, model_path):
    """The scene's grounding reads the take back and writes it into the rig's frame, which for a world import is the
    level world: the locked feet stay on Blender's floor and the avatar stays where the camera sees it."""
    bpy = blender
    from blender_addon.common.readback import read_take

    seq = read_fused(world_files[0])
    arm, _ = _import(bpy, world_files[0], model_path)
    mesh = next(o for o in bpy.data.objects if o.type == "MESH")
    assert bpy.ops.smplx_fusion.ground_lock() == {"FINISHED"}
    after = read_take(arm, mesh)
    # the file was already grounded: the scene's lock moves the body by millimetres, in the camera frame too
    assert np.abs(after.seq.transl - seq.transl).max() < 0.03
    assert np.abs(after.displayed_joints[:, 0] - pose_skeleton(seq, load_body_model(model_path)).joints[:, 0]).max() \
        < 0.03


def test_floor_comes_from_the_file_the_estimator_or_the_feet(world_files, model_path):
    """``world_ground_plane`` first; PromptHMR's floor (y = 0) for its takes; else the feet with the known up."""
    from blender_addon.common.world_camera import floor_height

    model = load_body_model(model_path)
    seq = read_fused(world_files[0])
    assert floor_height(seq, model) == (pytest.approx(-seq.extras[WORLD_GROUND_PLANE_KEY][3]), "file")
    seq.extras.pop(WORLD_GROUND_PLANE_KEY)
    fitted, source = floor_height(seq, model)
    assert source in ("fitted", "lowest") and fitted == pytest.approx(
        -read_fused(world_files[0]).extras[WORLD_GROUND_PLANE_KEY][3], abs=0.01)
    provenance = json.loads(seq.provenance)
    provenance.setdefault("inputs", {})["body"] = {"format": "prompthmr"}
    seq.provenance = json.dumps(provenance)
    assert floor_height(seq, model) == (0.0, "estimator")


def test_a_second_avatar_on_the_same_camera_shares_its_world(blender, world_files, model_path, tmp_path):
    """Several people of one clip share one camera (the clip import): the second keeps the first's world and the
    camera's path is keyed once."""
    bpy = blender
    from blender_addon.common.animation import channelbag_of
    from blender_addon.importing.importer import import_fused_file

    arm, cam = _import(bpy, world_files[0], model_path)
    other = read_fused(world_files[0])
    other.extras.pop(WORLD_GROUND_PLANE_KEY)  # its own floor would be fitted: it must not be
    second = write_fused(tmp_path / "second.fused.npz", other)
    result = import_fused_file(bpy.context, str(second), str(model_path), camera=cam)
    first_world, second_world = json.loads(arm["smplx_fusion_world"]), json.loads(result.armature["smplx_fusion_world"])
    assert second_world["floor_source"] == "shared"
    np.testing.assert_array_equal(second_world["blender_from_world"], first_world["blender_from_world"])
    assert len(channelbag_of(cam).fcurves.find("location", index=0).keyframe_points) == FRAMES


def test_camera_refit_refuses_a_world_import_and_keeps_the_path(blender, world_files, model_path):
    """A re-fit writes camera-frame roots and would drop the camera's keyed path: it is refused, nothing changes."""
    bpy = blender
    from blender_addon.camera import refit
    from blender_addon.core.errors import FusionError  # the add-on's vendored core raises its own class

    arm, cam = _import(bpy, world_files[0], model_path)
    before, _ = _per_frame(bpy, arm, cam)
    with pytest.raises(FusionError, match="world-grounded import"):
        refit.refit_camera(bpy.context, arm, cam, "AUTO", None, refit.RefitEdits())
    after, _ = _per_frame(bpy, arm, cam)
    np.testing.assert_array_equal(before, after)
