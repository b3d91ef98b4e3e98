"""Atomic operators: a failure halfway leaves the scene exactly as before, undo after success restores it, the
user's own data-blocks are never overwritten, and a refused pickle is reported in the UI with nothing changed.

Every case of ``operator_cases.OPERATOR_CASES`` runs through every test; the comparison is over *all*
``bpy.data`` collections (objects, meshes, armatures, actions, cameras, collections, materials, shape keys,
images, node groups, ...), by name and ``session_uid``, plus the scene settings the operators touch.

The pose-corrective basis (an SVD of ``posedirs`` taking seconds per import) is switched off here: these tests
are about which data-blocks exist, not about correctives.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .operator_cases import OPERATOR_CASES, created_by, data_snapshot, names_only, scene_state

CASES = pytest.mark.parametrize("case", OPERATOR_CASES, ids=[c.name for c in OPERATOR_CASES])

#: How a user's own data-block of each kind is made (collections the operators create).
CONSTRUCTORS = {
    "objects": lambda bpy, name: bpy.data.objects.new(name, None),
    "meshes": lambda bpy, name: bpy.data.meshes.new(name),
    "armatures": lambda bpy, name: bpy.data.armatures.new(name),
    "actions": lambda bpy, name: bpy.data.actions.new(name),
    "cameras": lambda bpy, name: bpy.data.cameras.new(name),
    "collections": lambda bpy, name: bpy.data.collections.new(name),
    "materials": lambda bpy, name: bpy.data.materials.new(name),
    "images": lambda bpy, name: bpy.data.images.new(name, 4, 4),
    "lights": lambda bpy, name: bpy.data.lights.new(name, "POINT"),
    "worlds": lambda bpy, name: bpy.data.worlds.new(name),
    "node_groups": lambda bpy, name: bpy.data.node_groups.new(name, "ShaderNodeTree"),
    "texts": lambda bpy, name: bpy.data.texts.new(name),
}


@pytest.fixture
def no_correctives(monkeypatch):
    from blender_addon.importing import importer

    monkeypatch.setattr(importer, "corrective_basis", lambda model, mode: None)


@pytest.fixture
def user_scene(blender, no_correctives):
    """A scene the user has worked on: an object with a custom property, their camera, their frame range."""
    bpy = blender
    mesh = bpy.data.meshes.new("mine")
    mine = bpy.data.objects.new("mine", mesh)
    bpy.context.scene.collection.objects.link(mine)
    mine["precious"] = 42
    mine.location = (1.0, 2.0, 3.0)
    cam = bpy.data.objects.new("my camera", bpy.data.cameras.new("my camera"))
    bpy.context.scene.collection.objects.link(cam)
    scene = bpy.context.scene
    scene.camera = cam
    scene.frame_start, scene.frame_end, scene.frame_current = 10, 20, 12
    scene.render.fps, scene.render.resolution_x, scene.render.resolution_y = 25, 800, 600
    return bpy


def _user_untouched(bpy) -> bool:
    mine = bpy.data.objects.get("mine")
    return mine is not None and mine.get("precious") == 42 and tuple(mine.location) == (1.0, 2.0, 3.0) \
        and mine.data.name == "mine" and bpy.context.scene.camera.name == "my camera"


@CASES
def test_failure_halfway_leaves_the_scene_exactly_as_before(case, user_scene, tmp_path, model_path, monkeypatch):
    bpy = user_scene
    kwargs = case.prepare(tmp_path, model_path)
    before, state = data_snapshot(bpy), scene_state(bpy)
    case.break_halfway(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated failure"):
        case.call(bpy, kwargs)
    assert data_snapshot(bpy) == before
    assert scene_state(bpy) == state and _user_untouched(bpy)


@CASES
def test_undo_after_success_restores_the_previous_state(case, user_scene, tmp_path, model_path):
    bpy = user_scene
    kwargs = case.prepare(tmp_path, model_path)
    bpy.ops.ed.undo_push(message="before")
    before, state = names_only(data_snapshot(bpy)), scene_state(bpy)
    assert case.call(bpy, kwargs) == {"FINISHED"}
    after = names_only(data_snapshot(bpy))
    made = {coll for coll in after if after[coll] - before.get(coll, frozenset())}
    assert {"objects", "meshes", "armatures", "actions", "collections"} <= made, made
    bpy.ops.ed.undo_push(message="after")  # headless, undo needs this step (BLENDER5_NOTES.md section 8)
    bpy.ops.ed.undo()
    assert names_only(data_snapshot(bpy)) == before
    assert scene_state(bpy) == state and _user_untouched(bpy)


@CASES
def test_the_users_data_blocks_with_the_same_names_are_never_touched(case, blender, no_correctives, tmp_path,
                                                                     model_path):
    bpy = blender
    kwargs = case.prepare(tmp_path, model_path)
    before = data_snapshot(bpy)
    if case.learn is not None:
        case.learn(bpy, kwargs, tmp_path, model_path)
    else:
        assert case.call(bpy, kwargs) == {"FINISHED"}
    names = created_by(before, data_snapshot(bpy))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        bpy.ops.smplx_fusion.import_fused.get_rna_type()
    except (AttributeError, KeyError):
        import blender_addon

        blender_addon.register()
    mine = {}
    for coll, coll_names in names.items():
        if coll in CONSTRUCTORS:
            for name in coll_names:
                idb = CONSTRUCTORS[coll](bpy, name)
                idb["users_own"] = name
                if coll == "objects":
                    bpy.context.scene.collection.objects.link(idb)
                mine[(coll, name)] = idb.session_uid
    assert {"objects", "meshes", "armatures", "actions", "collections"} <= {c for c, _ in mine}
    assert case.call(bpy, kwargs) == {"FINISHED"}
    for (coll, name), uid in mine.items():
        idb = getattr(bpy.data, coll).get(name)
        assert idb is not None and idb.session_uid == uid and idb.get("users_own") == name, (coll, name)
    assert all(getattr(bpy.data, coll).get(name).users == 0 or coll == "objects"
               for coll, name in mine if coll in ("meshes", "armatures", "actions", "cameras"))
    made_again = created_by({k: frozenset() for k in names}, data_snapshot(bpy))
    for coll, coll_names in names.items():
        assert len(made_again.get(coll, ())) >= 2 * len(coll_names) or coll not in CONSTRUCTORS, coll


@CASES
def test_a_refused_pickle_is_reported_in_the_ui_and_changes_nothing(case, user_scene, tmp_path, model_path):
    bpy = user_scene
    marker = tmp_path / "PWNED"
    kwargs = case.poison(case.prepare(tmp_path, model_path), tmp_path, marker)
    before, state = data_snapshot(bpy), scene_state(bpy)
    with pytest.raises(RuntimeError, match=r"refused to load class 'posix\.system'"):
        case.call(bpy, kwargs)
    assert not marker.exists()
    assert data_snapshot(bpy) == before and scene_state(bpy) == state and _user_untouched(bpy)
    assert not Path(kwargs.get("output", tmp_path / "none")).exists()
