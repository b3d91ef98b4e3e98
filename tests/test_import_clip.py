"""Importing a clip of several people in Blender: one avatar each, one camera, one take root, atomic, undoable."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence

FLOOR = np.array([0.0, -1.0, 0.0, 1.1])  # n . x + d = 0 in the camera frame, n up: the floor 1.1 m below the camera


def _ids(bpy) -> set[tuple[str, str]]:
    out = set()
    for attr in ("objects", "meshes", "armatures", "actions", "cameras", "collections", "shape_keys"):
        out |= {(attr, idb.name) for idb in getattr(bpy.data, attr)}
    return out


@pytest.fixture
def clip_file(tmp_path):
    """What fuse-clip writes: two people (tracks 0 and 5) in one camera, on one floor, and the clip summary."""
    people = []
    for track, dx in ((0, -0.6), (5, 0.7)):
        seq = make_demo_sequence(num_frames=6)
        seq.transl = np.asarray(seq.transl) + np.array([dx, 0.0, 0.3 * track / 5])
        seq.extras["track_id"] = np.array(track)
        seq.extras["ground_plane"] = FLOOR.copy()
        name = f"duo.person{track}.fused.npz"
        write_fused(tmp_path / name, seq)
        people.append({"track_id": track, "file": name})
    path = tmp_path / "duo.clip.json"
    path.write_text(json.dumps({"stem": "duo", "people": people}))
    return path


def test_every_person_is_an_avatar_under_one_camera_and_one_root(blender, model_path, clip_file):
    bpy = blender
    cameras_before = {ob.name for ob in bpy.data.objects if ob.type == "CAMERA"}
    assert bpy.ops.smplx_fusion.import_clip(filepath=str(clip_file), model_path=str(model_path)) == {"FINISHED"}
    from blender_addon.common.avatar import CAMERA_PROPERTY, find_avatar, is_avatar

    arms = sorted((ob for ob in bpy.data.objects if is_avatar(ob)), key=lambda ob: ob["smplx_fusion_track_id"])
    assert [ob["smplx_fusion_track_id"] for ob in arms] == [0, 5]
    new_cams = [ob for ob in bpy.data.objects if ob.type == "CAMERA" and ob.name not in cameras_before]
    assert len(new_cams) == 1
    assert {ob[CAMERA_PROPERTY] for ob in arms} == {new_cams[0].name}
    roots = {ob.parent for ob in arms} | {new_cams[0].parent}
    assert len(roots) == 1 and next(iter(roots)).type == "EMPTY"
    root = next(iter(roots))
    np.testing.assert_allclose(root["smplx_fusion_ground_plane"], FLOOR)
    # the panels work on the active avatar: each person is found as itself
    for arm in arms:
        bpy.context.view_layer.objects.active = arm
        assert find_avatar(bpy.context)[0] == arm
    # the two people stand apart in the world, as in the files (0.6 m left, 0.7 m right)
    bpy.context.scene.frame_set(1)
    xs = [arm.matrix_world.translation.x + arm.pose.bones["pelvis"].head.x for arm in arms]
    assert xs[1] - xs[0] == pytest.approx(1.3, abs=0.05)


def test_clip_import_is_undoable(blender, model_path, clip_file):
    bpy = blender
    bpy.ops.ed.undo_push(message="before clip")
    before = _ids(bpy)
    assert bpy.ops.smplx_fusion.import_clip(filepath=str(clip_file), model_path=str(model_path)) == {"FINISHED"}
    assert _ids(bpy) != before
    bpy.ops.ed.undo_push(message="after clip")
    bpy.ops.ed.undo()
    assert _ids(bpy) == before


def test_a_missing_person_file_leaves_the_scene_untouched(blender, model_path, clip_file):
    bpy = blender
    data = json.loads(clip_file.read_text())
    data["people"].append({"track_id": 9, "file": "duo.person9.fused.npz"})
    bad = clip_file.with_name("bad.clip.json")
    bad.write_text(json.dumps(data))
    before = _ids(bpy)
    with pytest.raises(RuntimeError, match=r"field 'people'.*person9"):
        bpy.ops.smplx_fusion.import_clip(filepath=str(bad), model_path=str(model_path))
    assert _ids(bpy) == before


def test_every_person_of_a_clip_exports_one_file_each(blender, model_path, clip_file, tmp_path):
    """Exports take the active avatar or all of them: scope ALL writes <stem>.person<ID> per person."""
    bpy = blender
    assert bpy.ops.smplx_fusion.import_clip(filepath=str(clip_file), model_path=str(model_path)) == {"FINISHED"}
    out = tmp_path / "export" / "duo.npz"
    out.parent.mkdir()
    assert bpy.ops.smplx_fusion.export_amass(filepath=str(out), scope="ALL") == {"FINISHED"}
    written = sorted(p.name for p in out.parent.iterdir())
    assert any("person0" in n for n in written) and any("person5" in n for n in written)
