"""Grounding in Blender (headless bpy): contact markers and channels, the ground plane object, foot locking on a
frame range (atomic, undoable), and the world-aligned import.

Takes: the 60-frame walking demo take (``core.demo_data.grounding_takes``), its truth (feet planted exactly on a
known floor, ``ground_plane`` in the file) and its estimate (feet sliding and sinking, no plane in the file).
Geometry is checked on Blender's own evaluation (evaluated mesh vertices, ``world_to_camera_view``), not on the
core's skinning.
"""
from __future__ import annotations

import numpy as np
import pytest

from core.grounding.contacts import mask_intervals
from core.grounding.foot_points import FOOT_VERTEX_IDS

FRAMES = 60


@pytest.fixture(scope="module")
def walk(mannequin, tmp_path_factory):
    """{"truth", "estimate"}: fused files of the 60-frame walk, plus the take object itself."""
    from core.contracts.fused_file import write_fused
    from core.demo_data.grounding_takes import make_grounding_takes

    take = make_grounding_takes(mannequin, num_frames=FRAMES, seed=0)["walking"]
    folder = tmp_path_factory.mktemp("walk")
    return {"take": take, "truth": write_fused(folder / "truth.fused.npz", take.truth.sequence),
            "estimate": write_fused(folder / "estimate.fused.npz", take.estimate)}


@pytest.fixture
def fast_import(monkeypatch):
    """No pose-corrective keys: these tests are about placement and contacts, and the SVD costs time."""
    from blender_addon.importing import importer

    monkeypatch.setattr(importer, "corrective_basis", lambda model, mode: None)


def _import(bpy, path, model_path, **kwargs):
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model_path), **kwargs) == \
        {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    mesh = next(ob for ob in arm.children if ob.type == "MESH")
    return arm, mesh


def _settings(bpy, **values):
    settings = bpy.context.scene.smplx_fusion_grounding
    for key, value in values.items():
        setattr(settings, key, value)
    return settings


def _markers(bpy) -> list:
    return sorted((m.name, m.frame) for m in bpy.context.scene.timeline_markers)


def _gnd_markers(bpy) -> list:
    return [m for m in _markers(bpy) if m[0].startswith("GND:")]


def _curve_keys(owner) -> dict:
    """{(data_path, index): (N, 2) keys} of every F-curve of ``owner``'s assigned slot."""
    from bpy_extras import anim_utils

    adt = owner.animation_data
    cb = anim_utils.action_get_channelbag_for_slot(adt.action, adt.action_slot)
    out = {}
    for fc in cb.fcurves:
        co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        out[(fc.data_path, fc.array_index)] = co.reshape(-1, 2)
    return out


def _all_keys(arm, mesh) -> dict:
    return {**{("arm",) + k: v for k, v in _curve_keys(arm).items()},
            **{("key",) + k: v for k, v in _curve_keys(mesh.data.shape_keys).items()}}


def _foot_points_world(bpy, mesh, frames) -> np.ndarray:
    """(F, 2, 3, 3) heel / big toe / small toe of each foot on Blender's evaluated mesh, world frame."""
    from blender_addon.shots.preview_stage import evaluated_world_points

    scene = bpy.context.scene
    out = []
    for f in frames:
        scene.frame_set(int(f))
        out.append(evaluated_world_points(mesh, bpy.context.evaluated_depsgraph_get())[FOOT_VERTEX_IDS])
    return np.array(out, dtype=np.float64)


def _skate_mm(points, normal, contact) -> float:
    """Mean horizontal step (mm/frame) of feet in contact in two consecutive frames; ``normal`` (3,) world up."""
    step = np.diff(points.mean(axis=2), axis=0)  # (F-1, 2, 3)
    step = step - (step @ normal)[..., None] * normal
    both = contact[1:] & contact[:-1]
    return float(np.linalg.norm(step, axis=-1)[both].mean() * 1000.0)


# ------------------------------------------------------------------------------------------------ pure geometry


def test_alignment_geometry_round_trips():
    from blender_addon.common.axes import CAMERA_TO_BLENDER
    from blender_addon.common.ground_alignment import (
        floor_alignment,
        plane_from_world,
        plane_object_matrix,
        plane_of_object_matrix,
        plane_to_world,
        rotation_onto_z,
    )

    rng = np.random.default_rng(3)
    n = np.array([0.1, -0.95, -0.2])
    plane = np.append(n / np.linalg.norm(n), 1.4)
    on_plane = rng.normal(size=(20, 3))
    on_plane -= (on_plane @ plane[:3] + plane[3])[:, None] * plane[:3]  # camera-frame points on the floor
    w = floor_alignment(plane)
    aligned = (on_plane @ CAMERA_TO_BLENDER.T) @ w[:3, :3].T + w[:3, 3]
    np.testing.assert_allclose(aligned[:, 2], 0.0, atol=1e-12)
    np.testing.assert_allclose(w[:3, :3] @ w[:3, :3].T, np.eye(3), atol=1e-12)  # rigid
    above = on_plane[0] + 0.3 * plane[:3]
    assert ((w[:3, :3] @ (CAMERA_TO_BLENDER @ above)) + w[:3, 3])[2] == pytest.approx(0.3)
    obj = np.eye(4)
    obj[:3, :3] = rotation_onto_z(np.array([0.3, 0.2, 1.0])).T
    obj[:3, 3] = (1.0, -2.0, 0.5)
    world = plane_to_world(plane, obj)
    np.testing.assert_allclose(plane_from_world(world, obj), plane, atol=1e-12)
    m = plane_object_matrix(world, np.array([0.4, 2.0, -1.0]))
    np.testing.assert_allclose(plane_of_object_matrix(m), world, atol=1e-12)
    np.testing.assert_allclose(rotation_onto_z(np.array([0.0, 0.0, -1.0])) @ [0, 0, -1.0], [0, 0, 1.0])


# ------------------------------------------------------------------------------------------------ detect


def test_detect_marks_contact_starts_and_replaces_only_its_markers(blender, model_path, mannequin, walk,
                                                                   fast_import):
    from core.contracts.fused_file import read_fused
    from core.grounding import estimate_ground

    bpy = blender
    arm, _ = _import(bpy, walk["estimate"], model_path)
    scene = bpy.context.scene
    scene.timeline_markers.new("mine", frame=5)
    scene.timeline_markers.new("VAL:temporal", frame=7)
    assert bpy.ops.smplx_fusion.ground_detect() == {"FINISHED"}
    # independent: the core on the file itself
    contact = estimate_ground(read_fused(walk["estimate"]), mannequin).contact
    expected = sorted([(name, 1 + int(start)) for foot, name in enumerate(("GND:L", "GND:R"))
                       for start, _ in mask_intervals(contact[:, foot])])
    assert len(expected) >= 3
    assert _gnd_markers(bpy) == expected
    first = _markers(bpy)
    assert ("mine", 5) in first and ("VAL:temporal", 7) in first
    # the per-frame contact channels hold the contacts
    for frame in range(1, FRAMES + 1, 3):
        scene.frame_set(frame)
        assert (arm["smplx_fusion_contact_left"], arm["smplx_fusion_contact_right"]) == \
            tuple(float(v) for v in contact[frame - 1])
    assert "contacts in frames 1-60" in scene.smplx_fusion_grounding.summary
    # re-running replaces the markers: no duplicates, the user's and validation's untouched
    assert bpy.ops.smplx_fusion.ground_detect() == {"FINISHED"}
    assert _markers(bpy) == first
    # on a sub-range only the markers inside it are replaced; a contact under way at its start is marked there
    _settings(bpy, frame_start=25, frame_end=45)
    scene.timeline_markers.new("GND:L", frame=30)  # a stale one inside the range goes
    assert bpy.ops.smplx_fusion.ground_detect() == {"FINISHED"}
    inside = contact & (np.arange(FRAMES) + 1 >= 25)[:, None] & (np.arange(FRAMES) + 1 <= 45)[:, None]
    want_inside = sorted([(name, 1 + int(start)) for foot, name in enumerate(("GND:L", "GND:R"))
                          for start, _ in mask_intervals(inside[:, foot])])
    assert [m for m in _gnd_markers(bpy) if 25 <= m[1] <= 45] == want_inside
    assert [m for m in _gnd_markers(bpy) if not 25 <= m[1] <= 45] == [m for m in expected if not 25 <= m[1] <= 45]
    assert ("mine", 5) in _markers(bpy) and ("VAL:temporal", 7) in _markers(bpy)
    assert bpy.ops.smplx_fusion.ground_clear() == {"FINISHED"}
    assert _gnd_markers(bpy) == [] and ("mine", 5) in _markers(bpy)


def test_ground_object_lies_on_the_plane_and_catches_the_footage_shadow(blender, model_path, walk, fast_import):
    from blender_addon.common import ground_object
    from blender_addon.common.axes import CAMERA_TO_BLENDER

    bpy = blender
    arm, mesh = _import(bpy, walk["truth"], model_path)
    assert bpy.ops.smplx_fusion.ground_detect() == {"FINISHED"}
    assert "ground (file)" in bpy.context.scene.smplx_fusion_grounding.summary
    ground = ground_object.ground_object_of(arm)
    assert ground is not None and ground.is_shadow_catcher
    plane = walk["take"].truth.plane
    normal_world, world = CAMERA_TO_BLENDER @ plane[:3], np.array(ground.matrix_world)
    np.testing.assert_allclose(world[:3, 2], normal_world, atol=1e-6)  # lies flat on the plane
    verts = np.array([world[:3, :3] @ v.co + world[:3, 3] for v in ground.data.vertices])
    np.testing.assert_allclose(verts @ normal_world + plane[3], 0.0, atol=1e-5)  # C is a rotation: d carries over
    np.testing.assert_allclose(ground_object.plane_of_ground_object(ground, arm), plane, atol=1e-6)
    # the feet of the true walk stand on it in their contact frames
    contact = walk["take"].truth.contact
    frames = np.arange(0, FRAMES, 4)
    pts = _foot_points_world(bpy, mesh, frames + 1)
    lowest = (pts @ normal_world + plane[3]).min(axis=2)  # (F, 2)
    assert np.abs(lowest[contact[frames]]).max() < 0.002
    # moved by hand, it is the ground the next run uses
    ground.location.z += 0.05
    bpy.context.view_layer.update()
    moved = ground_object.plane_of_ground_object(ground, arm)
    np.testing.assert_allclose(moved[:3], plane[:3], atol=1e-6)
    assert moved[3] == pytest.approx(plane[3] - 0.05 * normal_world[2], abs=1e-6)
    # the footage lighting preset uses it instead of adding a floor
    bpy.context.view_layer.objects.active = arm
    assert bpy.ops.smplx_fusion.apply_lighting(preset="FOOTAGE") == {"FINISHED"}
    lighting = bpy.data.collections["SMPL-X Lighting"]
    assert {ob.name for ob in lighting.objects} == {"soft light"}
    assert not [ob for ob in bpy.data.objects if ob.name.startswith("floor")]


# ------------------------------------------------------------------------------------------------ lock


def test_lock_feet_changes_only_the_range_and_removes_skate(blender, model_path, walk):
    """With the pose correctives on the mesh, as the core's foot points (and the lock's floor push) see it."""
    from blender_addon.common import ground_object
    from blender_addon.common.ground_alignment import plane_to_world
    from core.grounding import LockParams

    bpy = blender
    arm, mesh = _import(bpy, walk["estimate"], model_path)
    first, last = 15, 50
    _settings(bpy, frame_start=first, frame_end=last)
    frames = np.arange(first, last + 1)
    before_keys = _all_keys(arm, mesh)
    before_pts = _foot_points_world(bpy, mesh, frames)
    assert bpy.ops.smplx_fusion.ground_lock() == {"FINISHED"}
    after_keys = _all_keys(arm, mesh)
    rows_in = frames - 1
    outside = np.setdiff1d(np.arange(FRAMES), rows_in)
    changed_in = 0
    for key, co in before_keys.items():
        np.testing.assert_array_equal(after_keys[key][outside], co[outside], err_msg=str(key))
        changed_in += int((after_keys[key][rows_in] != co[rows_in]).any())
    assert changed_in >= 6, "legs and root changed inside the range"
    new_curves = set(after_keys) - set(before_keys)
    assert {k[1] for k in new_curves} == {'["smplx_fusion_contact_left"]', '["smplx_fusion_contact_right"]'}
    # skate in the true contact frames drops, on Blender's evaluated mesh, against the true floor
    truth = walk["take"].truth
    normal = plane_to_world(truth.plane, np.array(arm.matrix_world))[:3]
    after_pts = _foot_points_world(bpy, mesh, frames)
    contact = truth.contact[rows_in]
    raw, ours = _skate_mm(before_pts, normal, contact), _skate_mm(after_pts, normal, contact)
    assert ours < 0.5 * raw, (raw, ours)
    # nothing sinks below the ground that was used
    used = plane_to_world(ground_object.plane_of_ground_object(ground_object.ground_object_of(arm), arm),
                          np.array(arm.matrix_world))
    height = (after_pts @ used[:3] + used[3]).min(axis=(1, 2))  # (F,) lowest foot point per frame
    raw_height = (before_pts @ used[:3] + used[3]).min(axis=(1, 2))
    edge = LockParams().blend_frames  # next to the range's ends the lock eases into the untouched frames
    assert raw_height.min() < -0.02 and height[edge:-edge].min() > -0.005
    summary = bpy.context.scene.smplx_fusion_grounding.summary
    assert "feet moved: mean" in summary and "root moved" in summary and f"frames {first}-{last}" in summary


def test_lock_feet_is_undoable(blender, model_path, walk, fast_import):
    bpy = blender
    arm, mesh = _import(bpy, walk["estimate"], model_path)
    names = (arm.name, mesh.name)
    bpy.ops.ed.undo_push(message="before")
    before = _all_keys(arm, mesh)
    objects = sorted(bpy.data.objects.keys())
    assert bpy.ops.smplx_fusion.ground_lock() == {"FINISHED"}
    assert _gnd_markers(bpy) and sorted(bpy.data.objects.keys()) != objects
    bpy.ops.ed.undo_push(message="after")  # headless undo needs this step (BLENDER5_NOTES.md section 8)
    bpy.ops.ed.undo()
    arm, mesh = bpy.data.objects[names[0]], bpy.data.objects[names[1]]  # undo reloads data-blocks
    after = _all_keys(arm, mesh)
    assert after.keys() == before.keys()
    for key, co in before.items():
        np.testing.assert_array_equal(after[key], co)
    assert _gnd_markers(bpy) == [] and sorted(bpy.data.objects.keys()) == objects
    assert "smplx_fusion_contact_left" not in arm


def _scene_state(bpy, arm, mesh) -> tuple:
    from blender_addon.common import ground_object
    from tests.hardening.operator_cases import data_snapshot

    ground = ground_object.ground_object_of(arm)
    bpy.context.view_layer.update()
    return (data_snapshot(bpy), _markers(bpy), {k: arm.get(k) for k in arm.keys()},
            None if ground is None else (tuple(map(tuple, ground.matrix_world)), list(ground[
                ground_object.PLANE_PROPERTY])))


def _assert_same(state, keys, bpy, arm, mesh):
    assert _scene_state(bpy, arm, mesh) == state
    now = _all_keys(arm, mesh)
    assert now.keys() == keys.keys()
    for key, co in keys.items():
        np.testing.assert_array_equal(now[key], co, err_msg=str(key))


def test_failure_halfway_restores_everything(blender, model_path, walk, fast_import, monkeypatch):
    from blender_addon.common import ground_object

    bpy = blender
    arm, mesh = _import(bpy, walk["estimate"], model_path)
    bpy.context.scene.timeline_markers.new("mine", frame=3)
    real_place = ground_object.place_ground_object

    def fail_after_placing(*args, **kwargs):
        real_place(*args, **kwargs)  # keys, markers, channels and the ground object are all written by now
        raise ValueError("simulated failure")

    # 1. nothing grounded yet: the new channels, properties, markers and the ground object all go
    state, keys = _scene_state(bpy, arm, mesh), _all_keys(arm, mesh)
    monkeypatch.setattr(ground_object, "place_ground_object", fail_after_placing)
    with pytest.raises(RuntimeError, match="simulated failure"):
        bpy.ops.smplx_fusion.ground_lock()
    _assert_same(state, keys, bpy, arm, mesh)
    # 2. after a detection: the existing channels, markers and the ground object's placement come back
    monkeypatch.setattr(ground_object, "place_ground_object", real_place)
    assert bpy.ops.smplx_fusion.ground_detect() == {"FINISHED"}
    ground_object.ground_object_of(arm).location.z -= 0.03  # the user lowered the floor: the lock lifts feet
    bpy.context.view_layer.update()
    _settings(bpy, frame_start=10, frame_end=40)
    state, keys = _scene_state(bpy, arm, mesh), _all_keys(arm, mesh)
    monkeypatch.setattr(ground_object, "place_ground_object", fail_after_placing)
    with pytest.raises(RuntimeError, match="simulated failure"):
        bpy.ops.smplx_fusion.ground_lock()
    _assert_same(state, keys, bpy, arm, mesh)


def test_marked_contacts_are_locked_as_edited(blender, model_path, walk, fast_import):
    from blender_addon.grounding.contacts_in_scene import read_contact_curves, write_contact_curves
    from blender_addon.grounding.edits import GroundEdits

    bpy = blender
    arm, mesh = _import(bpy, walk["estimate"], model_path)
    with pytest.raises(RuntimeError, match="run Detect Contacts first"):
        _settings(bpy, contacts="MARKED")
        bpy.ops.smplx_fusion.ground_lock()
    _settings(bpy, contacts="DETECT")
    assert bpy.ops.smplx_fusion.ground_detect() == {"FINISHED"}
    # the animator keeps one contact of the left foot (the true one, frames 18-34) and clears the rest
    edited = np.zeros((FRAMES, 2), dtype=bool)
    edited[17:34, 0] = True
    edits = GroundEdits(bpy.context.scene, arm)
    write_contact_curves(arm, edited, np.arange(FRAMES), edits.curves)
    _settings(bpy, contacts="MARKED")
    assert bpy.ops.smplx_fusion.ground_lock() == {"FINISHED"}
    assert "left 1 (17 frames), right 0 (0 frames)" in bpy.context.scene.smplx_fusion_grounding.summary
    assert _gnd_markers(bpy) == [("GND:L", 18)]
    np.testing.assert_array_equal(read_contact_curves(arm, FRAMES), edited)
    # the planted left foot holds still through the edited contact (Blender's evaluated mesh)
    pts = _foot_points_world(bpy, mesh, np.arange(18, 35)).mean(axis=2)[:, 0]  # (17, 3)
    assert np.linalg.norm(pts - pts[0], axis=1).max() < 0.005


def test_out_of_range_frames_are_refused(blender, model_path, walk, fast_import):
    bpy = blender
    arm, mesh = _import(bpy, walk["estimate"], model_path)
    keys = _all_keys(arm, mesh)
    _settings(bpy, frame_start=200, frame_end=240)
    with pytest.raises(RuntimeError, match="hold none of the take's frames"):
        bpy.ops.smplx_fusion.ground_lock()
    assert _all_keys(arm, mesh).keys() == keys.keys() and _gnd_markers(bpy) == []


# ------------------------------------------------------------------------------------------------ world align


def _joint_pixels(bpy, arm, cam, frame, image_size) -> np.ndarray:
    """(55, 2) pixels of the evaluated armature's bone heads through ``cam`` (Blender's own projection)."""
    from bpy_extras.object_utils import world_to_camera_view

    from core.body.skeleton import JOINT_NAMES
    from core.camera.blender_camera import ndc_to_pixels

    scene = bpy.context.scene
    scene.frame_set(frame)
    bpy.context.view_layer.update()
    points = []
    for name in JOINT_NAMES:
        pb, bone = arm.pose.bones[name], arm.data.bones[name]
        points.append(arm.matrix_world @ pb.matrix @ bone.matrix_local.inverted() @ bone.head_local)
    ndc = np.array([tuple(world_to_camera_view(scene, cam, p))[:2] for p in points])
    return ndc_to_pixels(ndc, image_size)


def test_world_align_puts_the_floor_at_z0_and_keeps_the_image(blender, model_path, walk, fast_import):
    from core.contracts.fused_file import read_fused

    bpy = blender
    plain_arm, plain_mesh = _import(bpy, walk["truth"], model_path)
    arm, mesh = _import(bpy, walk["truth"], model_path, world_align=True)
    plain_cam, cam = (bpy.data.objects[a["smplx_fusion_camera"]] for a in (plain_arm, arm))
    root = arm.parent
    assert root is not None and root.type == "EMPTY" and cam.parent == root and mesh.parent == arm
    assert root["smplx_fusion_plane_source"] == "file"
    # one rigid transform on the parent: the rig's own transform and its keys are the plain import's
    np.testing.assert_allclose(np.array(arm.matrix_basis), np.eye(4), atol=1e-12)
    plain_keys, keys = _curve_keys(plain_arm), _curve_keys(arm)
    assert plain_keys.keys() == keys.keys()
    assert all(np.array_equal(plain_keys[k], keys[k]) for k in keys)
    # the feet in contact stand on z = 0 (Blender's evaluated mesh)
    contact = walk["take"].truth.contact
    frames = np.arange(0, FRAMES, 3)
    pts = _foot_points_world(bpy, mesh, frames + 1)
    lowest = pts[..., 2].min(axis=2)  # (F, 2)
    assert np.abs(lowest[contact[frames]]).max() < 0.002
    plain_lowest = _foot_points_world(bpy, plain_mesh, frames + 1)[..., 2].min(axis=2)
    assert np.abs(plain_lowest[contact[frames]]).min() > 0.1, "not vacuous: the plain import's floor is not z=0"
    # the camera sees the same image
    assert np.abs(np.array(cam.matrix_world) - np.array(plain_cam.matrix_world)).max() > 0.1
    size = read_fused(walk["truth"]).image_size
    worst = max(float(np.abs(_joint_pixels(bpy, arm, cam, f, size)
                             - _joint_pixels(bpy, plain_arm, plain_cam, f, size)).max()) for f in (1, 30, 60))
    assert worst <= 0.5, f"{worst:.3f} px"


def test_world_align_estimates_a_missing_plane_and_grounding_works_on_it(blender, model_path, walk,
                                                                         fast_import):
    from blender_addon.common import ground_object
    from blender_addon.common.readback import CurveBackup, read_take, write_take
    from blender_addon.grounding.take_grounding import take_in_rig_frame

    bpy = blender
    arm, mesh = _import(bpy, walk["estimate"], model_path, world_align=True)
    root = arm.parent
    assert root["smplx_fusion_plane_source"] in ("fitted", "lowest")
    # the readback in the rig's frame round-trips exactly through the bulk writer
    keys = _all_keys(arm, mesh)
    rb = read_take(arm, mesh)
    backup = CurveBackup()
    write_take(rb, take_in_rig_frame(rb), np.arange(FRAMES), backup)
    for key, co in keys.items():
        np.testing.assert_allclose(_all_keys(arm, mesh)[key], co, atol=2e-5, err_msg=str(key))
    backup.restore()
    # the ground detected on the world-aligned take is the one the import aligned to: Blender's floor
    _settings(bpy, use_ground_object=False)
    assert bpy.ops.smplx_fusion.ground_detect() == {"FINISHED"}
    ground = ground_object.ground_object_of(arm)
    assert ground.parent == root
    world = np.array(ground.matrix_world)
    np.testing.assert_allclose(world[:3, 2], (0.0, 0.0, 1.0), atol=1e-4)
    assert abs(world[2, 3]) < 1e-3
    assert bpy.ops.smplx_fusion.ground_lock() == {"FINISHED"}
    pts = _foot_points_world(bpy, mesh, np.arange(1, FRAMES + 1, 2))
    assert pts[..., 2].min() > -0.005  # nothing below Blender's floor after the lock


def test_world_aligned_take_reads_back_as_the_plain_import(blender, walk, model_path, fast_import):
    """Validation, fixes and the AMASS export read the take in its camera frame: after a world-aligned import (the
    rig under a take root) the read-back is the plain import's, and writing it back changes no key."""
    from blender_addon.common.readback import CurveBackup, read_take, seq_in_rig_frame, write_take

    bpy = blender
    arm, mesh = _import(bpy, walk["truth"], model_path)
    plain = read_take(arm, mesh)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    arm, mesh = _import(bpy, walk["truth"], model_path, world_align=True)
    assert arm.parent is not None
    aligned = read_take(arm, mesh)
    np.testing.assert_allclose(aligned.seq.transl, plain.seq.transl, atol=1e-6)
    np.testing.assert_allclose(aligned.seq.global_orient, plain.seq.global_orient, atol=1e-6)
    np.testing.assert_allclose(aligned.displayed_joints, plain.displayed_joints, atol=1e-6)
    before = _all_keys(arm, mesh)
    write_take(aligned, seq_in_rig_frame(aligned, aligned.seq), np.arange(FRAMES), CurveBackup())
    after = _all_keys(arm, mesh)
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_allclose(after[key], before[key], atol=2e-5, err_msg=str(key))


def test_camera_panel_depth_offset_keeps_the_take_root(blender, walk, model_path, fast_import):
    """The camera panel's depth offset moves the rig along the camera axis, relative to its take root: the
    read-back take moves away from the camera by that offset, whatever the root's placement."""
    from blender_addon.camera.adjust import apply_adjustments
    from blender_addon.common.readback import read_take

    bpy = blender
    arm, mesh = _import(bpy, walk["truth"], model_path, world_align=True)
    before = read_take(arm, mesh).seq.transl.copy()
    arm.smplx_fusion_camera.lock_to_footage = False
    arm.smplx_fusion_camera.depth_offset = 0.5
    apply_adjustments(arm)
    bpy.context.view_layer.update()
    after = read_take(arm, mesh).seq.transl
    np.testing.assert_allclose(after - before, np.broadcast_to([0.0, 0.0, 0.5], before.shape), atol=1e-5)
