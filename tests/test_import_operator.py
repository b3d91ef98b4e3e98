"""The import operator as a user meets it: clear errors, an untouched scene on failure, no overwrites, undo."""
from __future__ import annotations

import numpy as np
import pytest

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence


def id_snapshot(bpy) -> set[tuple[str, str]]:
    out = set()
    for attr in ("objects", "meshes", "armatures", "actions", "cameras", "collections", "shape_keys",
                 "materials", "images", "lights"):
        out |= {(attr, idb.name) for idb in getattr(bpy.data, attr)}
    return out


def scene_settings(bpy) -> tuple:
    s = bpy.context.scene
    return (s.frame_start, s.frame_end, s.render.fps, s.render.fps_base, s.render.resolution_x,
            s.render.resolution_y, s.camera)


@pytest.fixture
def demo_file(tmp_path):
    return write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=8))


def test_bad_fused_file_reports_field_and_leaves_scene(blender, tmp_path, model_path, demo_file):
    bpy = blender
    data = dict(np.load(demo_file, allow_pickle=False))
    data["body_pose"] = data["body_pose"][:, :20]
    bad = tmp_path / "bad.fused.npz"
    np.savez(bad, **data)
    before, settings = id_snapshot(bpy), scene_settings(bpy)
    with pytest.raises(RuntimeError, match=r"field 'body_pose'.*expected shape \(8, 21, 3\)"):
        bpy.ops.smplx_fusion.import_fused(filepath=str(bad), model_path=str(model_path))
    assert id_snapshot(bpy) == before and scene_settings(bpy) == settings


@pytest.mark.parametrize("breakage, words", [
    ({"weights": "drop"}, "field 'weights': missing key"),
    ({"shapedirs": np.zeros((10475, 3, 5))}, "field 'shapedirs'"),
    ({"J_regressor": np.zeros((55, 100))}, r"field 'J_regressor': expected shape \(55, 10475\)"),
    ({"v_template": "nan"}, "field 'v_template': contains NaN"),
])
def test_bad_model_reports_key_and_leaves_scene(blender, tmp_path, model_path, demo_file, breakage, words):
    bpy = blender
    data = dict(np.load(model_path, allow_pickle=False))
    for key, value in breakage.items():
        if isinstance(value, str) and value == "drop":
            data.pop(key)
        elif isinstance(value, str) and value == "nan":
            data[key] = data[key].copy()
            data[key][5, 1] = np.nan
        else:
            data[key] = value
    bad_model = tmp_path / "SMPLX_NEUTRAL.npz"
    np.savez(bad_model, **data)
    before, settings = id_snapshot(bpy), scene_settings(bpy)
    with pytest.raises(RuntimeError, match=words):
        bpy.ops.smplx_fusion.import_fused(filepath=str(demo_file), model_path=str(bad_model))
    assert id_snapshot(bpy) == before and scene_settings(bpy) == settings


def test_failure_halfway_rolls_back_everything(blender, model_path, demo_file, monkeypatch):
    """A crash after the armature, mesh and action exist still leaves no orphan data-blocks behind."""
    bpy = blender
    from blender_addon.common import camera_builder

    def explode(*args, **kwargs):
        raise ValueError("simulated crash while building the camera")

    monkeypatch.setattr(camera_builder, "build_camera", explode)
    before, settings = id_snapshot(bpy), scene_settings(bpy)
    with pytest.raises(RuntimeError, match="simulated crash"):
        bpy.ops.smplx_fusion.import_fused(filepath=str(demo_file), model_path=str(model_path))
    assert id_snapshot(bpy) == before and scene_settings(bpy) == settings


def test_existing_objects_are_never_overwritten(blender, model_path, demo_file):
    bpy = blender
    mine = bpy.data.objects.new("take", None)
    bpy.context.scene.collection.objects.link(mine)
    mine["precious"] = 42
    for _ in range(2):
        assert bpy.ops.smplx_fusion.import_fused(filepath=str(demo_file), model_path=str(model_path)) \
            == {"FINISHED"}
    assert bpy.data.objects["take"].get("precious") == 42
    armatures = [ob for ob in bpy.data.objects if ob.type == "ARMATURE"]
    assert len(armatures) == 2 and len({ob.name for ob in armatures}) == 2


def test_undo_restores_previous_state(blender, model_path, demo_file):
    bpy = blender
    keep = bpy.data.objects.new("keep", None)
    bpy.context.scene.collection.objects.link(keep)
    bpy.ops.ed.undo_push(message="before import")
    before = id_snapshot(bpy)
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(demo_file), model_path=str(model_path)) == {"FINISHED"}
    assert id_snapshot(bpy) != before
    bpy.ops.ed.undo_push(message="after import")
    bpy.ops.ed.undo()
    assert id_snapshot(bpy) == before
    assert "keep" in bpy.data.objects


def test_builtin_model_is_the_default(blender, demo_file):
    """With no model configured the built-in realistic licence-free model is generated once and used."""
    bpy = blender
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(demo_file)) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    assert "anny" in arm["smplx_fusion_model"]
    mesh = next(ob for ob in arm.children if ob.type == "MESH")
    assert len(mesh.data.vertices) == 13524
