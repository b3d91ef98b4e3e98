"""Several people in one clip, in Blender (issue 18): a 3-person clip imports as 3 avatars under one camera and one
take root, atomically and undoably; the panels and operators act on the active avatar (never silently on "the
first one"); the exports take the active avatar or every avatar, one file each, all or nothing.

The clip is written here the way ``python -m core fuse-clip`` writes it: ``<stem>.person<ID>.fused.npz`` per track
(schema v1 with a ``track_id`` extra, one shared ``camera_K`` / ``image_size`` and one shared ``ground_plane``) and
``<stem>.clip.json`` naming them. Each person stands at its own offset, which pins which avatar is which person
(a swap of files, tracks or labels moves a person by a metre).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.contracts.fused_file import read_fused, write_fused
from core.demo_data.motion import make_demo_sequence
from core.io import read_amass
from tests.hardening.operator_cases import data_snapshot, names_only

#: The floor n . x + d = 0 in the camera frame (n up = -y in OpenCV): 1.2 m below the camera.
FLOOR = np.array([0.0, -1.0, 0.0, 1.2])
#: track id -> (x, z) offset of that person in the camera frame, metres.
PEOPLE = {1: (-1.0, 0.0), 4: (0.0, 0.6), 7: (1.1, -0.3)}
FRAMES = 6


def _people_ids(bpy) -> tuple[list, list, list]:
    """(avatar armatures by track id, their body meshes, camera objects) in the scene."""
    from blender_addon.common.avatar import body_mesh_of, scene_avatars

    arms = scene_avatars(bpy.context.scene)
    return arms, [body_mesh_of(a) for a in arms], [ob for ob in bpy.context.scene.objects if ob.type == "CAMERA"]


@pytest.fixture
def clip(tmp_path) -> Path:
    """``trio.clip.json`` and three person files as fuse-clip writes them."""
    people = []
    for track, (dx, dz) in PEOPLE.items():
        seq = make_demo_sequence(num_frames=FRAMES)
        seq.transl = np.asarray(seq.transl) + np.array([dx, 0.0, dz])
        seq.extras["track_id"] = np.array(track)
        seq.extras["ground_plane"] = FLOOR.copy()
        name = f"trio.person{track}.fused.npz"
        write_fused(tmp_path / name, seq)
        people.append({"track_id": track, "file": name})
    path = tmp_path / "trio.clip.json"
    path.write_text(json.dumps({"stem": "trio", "people": people}))
    return path


@pytest.fixture
def trio(blender, clip, model_path):
    """The clip imported (one operator call)."""
    bpy = blender
    assert bpy.ops.smplx_fusion.import_clip(filepath=str(clip), model_path=str(model_path)) == {"FINISHED"}
    return bpy, clip.parent


def _select_only(bpy, *objects, active=None) -> None:
    for ob in bpy.context.view_layer.objects:
        ob.select_set(False)
    for ob in objects:
        ob.select_set(True)
    bpy.context.view_layer.objects.active = active


# --- the import -----------------------------------------------------------------------------------------------


def test_three_people_are_three_avatars_under_one_camera_and_one_root(trio):
    bpy, folder = trio
    from blender_addon.common.avatar import CAMERA_PROPERTY, TRACK_PROPERTY, camera_of

    arms, meshes, cameras = _people_ids(bpy)
    assert len(arms) == 3 and all(m is not None for m in meshes) and len(cameras) == 1
    assert len([ob for ob in bpy.data.objects if ob.type == "ARMATURE"]) == 3
    assert len([ob for ob in bpy.data.objects if ob.type == "MESH"]) == 3
    assert [int(a[TRACK_PROPERTY]) for a in arms] == sorted(PEOPLE)
    for arm, track in zip(arms, sorted(PEOPLE)):  # each avatar is named by its track id
        assert f"person{track}" in arm.name
        assert camera_of(arm) == cameras[0] and arm[CAMERA_PROPERTY] == cameras[0].name
    roots = {ob.parent for ob in (*arms, cameras[0])}
    assert len(roots) == 1
    root = roots.pop()
    assert root is not None and root.type == "EMPTY"
    assert len([ob for ob in bpy.data.objects if ob.type == "EMPTY"]) == 1
    np.testing.assert_allclose(root["smplx_fusion_ground_plane"], FLOOR)
    assert bpy.context.scene.camera == cameras[0]
    # the people stand where their files put them, relative to each other, in Blender's world
    bpy.context.scene.frame_set(1)
    pelvis = {int(a[TRACK_PROPERTY]): np.array(a.matrix_world @ a.pose.bones["pelvis"].head) for a in arms}
    for track, (dx, dz) in PEOPLE.items():
        cam_offset = np.array([dx - PEOPLE[1][0], 0.0, dz - PEOPLE[1][1]])  # camera frame, OpenCV axes
        world_offset = np.array(cameras[0].matrix_world.to_3x3()) \
            @ (cam_offset * np.array([1.0, -1.0, -1.0]))  # OpenCV -> Blender camera axes (x, -y, -z)
        np.testing.assert_allclose(pelvis[track] - pelvis[1], world_offset, atol=2e-3)


def test_the_clip_import_is_one_undo_step(blender, clip, model_path):
    bpy = blender
    from blender_addon.common.avatar import scene_avatars

    bpy.ops.ed.undo_push(message="before the clip")  # the first step of a fresh headless session
    assert bpy.ops.smplx_fusion.import_clip(filepath=str(clip), model_path=str(model_path)) == {"FINISHED"}
    assert len(scene_avatars(bpy.context.scene)) == 3
    bpy.ops.ed.undo_push(message="after the clip")
    bpy.ops.ed.undo()
    assert scene_avatars(bpy.context.scene) == []
    assert not [ob for ob in bpy.data.objects if ob.type in ("ARMATURE", "MESH", "CAMERA", "EMPTY")]
    bpy.ops.ed.redo()
    assert len(scene_avatars(bpy.context.scene)) == 3


def test_a_bad_person_file_names_it_and_leaves_nothing_half_imported(blender, clip, model_path):
    bpy = blender
    bad = clip.parent / "trio.person7.fused.npz"  # the last person: two avatars are built before it fails
    data = dict(np.load(bad, allow_pickle=False))
    data["body_pose"] = data["body_pose"][:, :20]
    np.savez(bad, **data)
    before = names_only(data_snapshot(bpy))
    with pytest.raises(RuntimeError, match=r"trio\.person7\.fused\.npz: field 'body_pose'"):
        bpy.ops.smplx_fusion.import_clip(filepath=str(clip), model_path=str(model_path))
    assert names_only(data_snapshot(bpy)) == before


# --- the active avatar ------------------------------------------------------------------------------------------


def test_the_panels_act_on_the_active_avatar_and_never_guess(trio):
    bpy, folder = trio
    from blender_addon.common.avatar import avatar_of, find_avatar
    from blender_addon.core.errors import FusionError

    arms, meshes, cameras = _people_ids(bpy)
    cam = cameras[0]
    for arm, mesh in zip(arms, meshes):  # the armature or its mesh, active: that person
        _select_only(bpy, mesh, active=mesh)
        assert find_avatar(bpy.context) == (arm, mesh)
        _select_only(bpy, arm, active=arm)
        assert find_avatar(bpy.context) == (arm, mesh)
    # the shared camera is nobody's in particular ...
    _select_only(bpy, cam, active=cam)
    assert avatar_of(cam) is None
    with pytest.raises(FusionError, match="select an imported SMPL-X avatar"):
        find_avatar(bpy.context, "to export")
    # ... unless exactly one of its people is selected with it
    _select_only(bpy, cam, arms[2], active=cam)
    assert avatar_of(cam) == arms[2] and find_avatar(bpy.context)[0] == arms[2]
    # no active object: the one avatar the selection belongs to, else an error (never "the first one")
    _select_only(bpy, meshes[1], active=None)
    assert find_avatar(bpy.context)[0] == arms[1]
    _select_only(bpy, meshes[0], meshes[1], active=None)
    with pytest.raises(FusionError, match="select an imported SMPL-X avatar"):
        find_avatar(bpy.context)
    _select_only(bpy, active=None)
    with pytest.raises(FusionError, match="select an imported SMPL-X avatar"):
        find_avatar(bpy.context)


def test_a_lone_avatar_still_owns_its_camera(blender, clip, model_path):
    bpy = blender
    from blender_addon.common.avatar import avatar_of, camera_of

    person = clip.parent / "trio.person4.fused.npz"
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(person), model_path=str(model_path)) == {"FINISHED"}
    arms, _, cameras = _people_ids(bpy)
    _select_only(bpy, active=None)
    assert camera_of(arms[0]) == cameras[0] and avatar_of(cameras[0]) == arms[0]


# --- exports: one avatar or all ------------------------------------------------------------------------------------


def test_export_one_takes_the_active_person(trio, tmp_path):
    bpy, folder = trio
    arms, meshes, _ = _people_ids(bpy)
    _select_only(bpy, meshes[1], active=meshes[1])  # person 4
    out = tmp_path / "out"
    out.mkdir()
    assert bpy.ops.smplx_fusion.export_amass(filepath=str(out / "one.npz")) == {"FINISHED"}
    assert sorted(p.name for p in out.iterdir()) == ["one.npz"]
    expected = read_fused(folder / "trio.person4.fused.npz").transl
    assert np.abs(read_amass(out / "one.npz").transl - expected).max() < 1e-5


def test_export_all_writes_one_file_per_person(trio, tmp_path):
    bpy, folder = trio
    arms, meshes, cameras = _people_ids(bpy)
    _select_only(bpy, cameras[0], active=cameras[0])  # no avatar selected: ALL needs none
    out = tmp_path / "out"
    out.mkdir()
    assert bpy.ops.smplx_fusion.export_amass(filepath=str(out / "trio.npz"), scope="ALL") == {"FINISHED"}
    assert sorted(p.name for p in out.iterdir()) == [f"trio.person{t}.npz" for t in sorted(PEOPLE)]
    for track in PEOPLE:
        expected = read_fused(folder / f"trio.person{track}.fused.npz").transl
        assert np.abs(read_amass(out / f"trio.person{track}.npz").transl - expected).max() < 1e-5
    # the user's selection and active object are as before
    assert bpy.context.view_layer.objects.active == cameras[0]
    assert [ob.name for ob in bpy.context.view_layer.objects if ob.select_get()] == [cameras[0].name]
    # through one of Blender's exporters too: three files, each with one skeleton
    assert bpy.ops.smplx_fusion.export_bvh(filepath=str(out / "trio.bvh"), scope="ALL") == {"FINISHED"}
    bvhs = sorted(out.glob("*.bvh"))
    assert [p.name for p in bvhs] == [f"trio.person{t}.bvh" for t in sorted(PEOPLE)]
    assert all(p.read_text().count("ROOT ") == 1 for p in bvhs)


def test_export_all_is_all_or_nothing(trio, tmp_path, monkeypatch):
    bpy, folder = trio
    out = tmp_path / "out"
    out.mkdir()
    # one person's file exists: nothing is written, and the error names that file
    (out / "trio.person4.npz").write_bytes(b"mine")
    with pytest.raises(RuntimeError, match=r"trio\.person4\.npz.*enable Overwrite"):
        bpy.ops.smplx_fusion.export_amass(filepath=str(out / "trio.npz"), scope="ALL")
    assert sorted(p.name for p in out.iterdir()) == ["trio.person4.npz"]
    assert (out / "trio.person4.npz").read_bytes() == b"mine"
    # the third avatar's export fails after two were written: none of them appears, no private folder is left
    from blender_addon.export import amass as export_amass

    real, calls = export_amass.export_amass, []

    def fail_on_the_third(arm, mesh, filepath, overwrite=False, progress=None):
        calls.append(filepath)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(arm, mesh, filepath, overwrite)

    monkeypatch.setattr(export_amass, "export_amass", fail_on_the_third)
    with pytest.raises(RuntimeError, match="disk full"):
        bpy.ops.smplx_fusion.export_amass(filepath=str(out / "trio.npz"), scope="ALL", overwrite=True)
    assert len(calls) == 3
    assert sorted(p.name for p in out.iterdir()) == ["trio.person4.npz"]
    assert (out / "trio.person4.npz").read_bytes() == b"mine"
    # with overwrite and no failure: all three, the user's file replaced
    monkeypatch.setattr(export_amass, "export_amass", real)
    assert bpy.ops.smplx_fusion.export_amass(filepath=str(out / "trio.npz"), scope="ALL",
                                             overwrite=True) == {"FINISHED"}
    assert sorted(p.name for p in out.iterdir()) == [f"trio.person{t}.npz" for t in sorted(PEOPLE)]
    assert read_amass(out / "trio.person4.npz").transl.shape == (FRAMES, 3)


def test_avatars_without_distinct_track_ids_are_labelled_by_name(blender, clip, model_path, tmp_path):
    bpy = blender
    person = clip.parent / "trio.person1.fused.npz"
    for _ in range(2):  # the same person twice, imported one by one: no track ids, two armature names
        assert bpy.ops.smplx_fusion.import_fused(filepath=str(person), model_path=str(model_path)) == {"FINISHED"}
    arms, _, _ = _people_ids(bpy)
    out = tmp_path / "out"
    out.mkdir()
    assert bpy.ops.smplx_fusion.export_amass(filepath=str(out / "x.npz"), scope="ALL") == {"FINISHED"}
    assert sorted(p.name for p in out.iterdir()) == sorted(f"x.{bpy.path.clean_name(a.name)}.npz" for a in arms)


# --- which files make the clip --------------------------------------------------------------------------------


def test_a_clip_is_its_summary_its_folder_or_its_person_files(blender, clip):
    from blender_addon.importing.clip_files import clip_people

    expected = ("trio", [(t, clip.parent / f"trio.person{t}.fused.npz") for t in sorted(PEOPLE)])
    assert clip_people([clip]) == expected
    assert clip_people([clip.parent]) == expected
    files = [clip.parent / f"trio.person{t}.fused.npz" for t in (7, 1, 4)]
    assert clip_people(files) == expected
    clip.unlink()  # a folder without a summary (what from-mcs writes): its person files
    assert clip_people([clip.parent]) == expected


def test_a_person_with_another_camera_is_refused_by_name(blender, clip):
    from blender_addon.core.errors import FusionError
    from blender_addon.importing.clip_files import clip_people

    other = clip.parent / "trio.person4.fused.npz"
    seq = read_fused(other)
    seq.camera_K = np.asarray(seq.camera_K) * np.array([[1.01], [1.01], [1.0]])  # a 1 % longer focal
    write_fused(other, seq)
    with pytest.raises(FusionError, match=r"trio\.person4\.fused\.npz: field 'camera_K': differs from "
                                          r"trio\.person1\.fused\.npz's"):
        clip_people([clip])


@pytest.mark.parametrize("case, words", [
    ("renamed", r"trio\.person9\.fused\.npz: field 'track_id': is 7, but the file is named person9"),
    ("twice", r"field 'track_id': person 4 appears twice"),
    ("two clips", r"the files belong to 2 clips \(duo, trio\)"),
    ("two summaries", r"holds 2 clip summaries"),
])
def test_an_inconsistent_pick_says_what_is_wrong(blender, clip, case, words):
    from blender_addon.core.errors import FusionError
    from blender_addon.importing.clip_files import clip_people

    folder = clip.parent
    picked = [folder / f"trio.person{t}.fused.npz" for t in (1, 4)]
    if case == "renamed":  # track 7's file under another person's name
        (folder / "trio.person7.fused.npz").rename(folder / "trio.person9.fused.npz")
        picked.append(folder / "trio.person9.fused.npz")
    elif case == "twice":
        (folder / "copy").mkdir()
        picked.append(Path(shutil.copy(folder / "trio.person4.fused.npz", folder / "copy")))
    elif case == "two clips":
        shutil.copyfile(folder / "trio.person7.fused.npz", folder / "duo.person7.fused.npz")
        picked.append(folder / "duo.person7.fused.npz")
    else:
        (folder / "other.clip.json").write_text(clip.read_text())
        picked = [folder]
    with pytest.raises(FusionError, match=words):
        clip_people(picked)


# --- the panels -------------------------------------------------------------------------------------------------


class _Layout:
    """Records what a panel's ``draw`` puts in its layout (no UI in background mode)."""

    def __init__(self) -> None:
        self.buttons: list[tuple[str, str, dict]] = []
        self.labels: list[str] = []

    def operator(self, idname: str, text: str = "", **_):
        props: dict = {}
        self.buttons.append((idname, text, props))

        class _Props:
            def __setattr__(self, key, value):
                props[key] = value

        return _Props()

    def label(self, text: str = "", **_) -> None:
        self.labels.append(text)

    def row(self, **_):
        return self

    def box(self):
        return self

    def column(self, **_):
        return self

    def prop(self, *args, **_) -> None:
        return None


def _draw(panel_class, context) -> _Layout:
    from types import SimpleNamespace

    layout = _Layout()
    fake = SimpleNamespace(layout=layout)
    for name in dir(panel_class):  # the panel's own helpers, bound to the stand-in
        if name.startswith("_draw"):
            setattr(fake, name, getattr(panel_class, name).__get__(fake))
    panel_class.draw(fake, context)
    return layout


def test_the_panels_offer_the_clip_import_and_every_avatar_exports(trio):
    bpy, folder = trio
    from blender_addon.export.panel import SMPLX_FUSION_PT_export
    from blender_addon.importing.panel import SMPLX_FUSION_PT_main

    arms, meshes, cameras = _people_ids(bpy)
    _select_only(bpy, meshes[2], active=meshes[2])
    main = _draw(SMPLX_FUSION_PT_main, bpy.context)
    assert "smplx_fusion.import_clip" in [b[0] for b in main.buttons]
    assert main.labels[0] == f"{arms[2].name} (person 7)"
    export = _draw(SMPLX_FUSION_PT_export, bpy.context)
    every = [(b[0], b[1]) for b in export.buttons if b[2].get("scope") == "ALL"]
    assert {op for op, _ in every} == {f"smplx_fusion.export_{k}" for k in ("fbx", "gltf", "usd", "bvh", "amass")}
    assert "Every avatar (3), one file each" in export.labels
    assert f"{arms[2].name}: {FRAMES} frames" in export.labels  # the one-avatar exports act on person 7
    # the shared camera active: no single avatar, but the every-avatar exports are still offered
    _select_only(bpy, cameras[0], active=cameras[0])
    export = _draw(SMPLX_FUSION_PT_export, bpy.context)
    assert len([b for b in export.buttons if b[2].get("scope") == "ALL"]) == 5
    assert not [b for b in export.buttons if "scope" not in b[2]]


def test_a_folder_or_picked_person_files_import_without_the_summary(blender, clip, model_path):
    """from-mcs writes person files and no .clip.json: picking them (or their folder) imports the clip."""
    folder = clip.parent
    clip.unlink()
    files = [{"name": f"trio.person{t}.fused.npz"} for t in PEOPLE]
    assert blender.ops.smplx_fusion.import_clip(directory=str(folder), files=files,
                                                model_path=str(model_path)) == {"FINISHED"}
    tracks = sorted(ob.get("smplx_fusion_track_id") for ob in blender.data.objects if ob.type == "ARMATURE")
    assert tracks == sorted(PEOPLE)
    blender.ops.wm.read_factory_settings(use_empty=True)
    assert blender.ops.smplx_fusion.import_clip(filepath=str(folder), model_path=str(model_path)) == {"FINISHED"}
    assert len([ob for ob in blender.data.objects if ob.type == "ARMATURE"]) == len(PEOPLE)
