"""Lighting presets: each creates what it says (lights aimed at the avatar, floor, world), re-applying replaces
rather than duplicates, the HDRIs are Blender's own, and a refused preset changes nothing."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.hardening.operator_cases import data_snapshot

from .render_fixtures import avatar, no_correctives, write_png  # noqa: F401

PRESETS = ("STUDIO", "HDRI", "FOOTAGE")


def _lighting_objects(bpy) -> list:
    coll = bpy.data.collections.get("SMPL-X Lighting")
    return list(coll.objects) if coll is not None else []


def _mesh_centre(bpy, mesh) -> np.ndarray:
    from blender_addon.shots.preview_stage import evaluated_world_points

    points = evaluated_world_points(mesh, bpy.context.evaluated_depsgraph_get())
    return (points.min(axis=0) + points.max(axis=0)) / 2.0


def _aim_error_deg(ob, target: np.ndarray) -> float:
    m = np.array(ob.matrix_world)
    forward = -m[:3, 2] / np.linalg.norm(m[:3, 2])
    to_target = target - m[:3, 3]
    cos = forward @ to_target / np.linalg.norm(to_target)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def test_blenders_studio_hdris_are_found():
    from blender_addon.shots import lighting

    names = lighting.hdri_names()
    assert {"city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset"} <= set(names)
    assert lighting.hdri_path("studio").suffix == ".exr"


def test_studio_three_point(avatar):
    bpy = avatar.bpy
    assert bpy.ops.smplx_fusion.apply_lighting(preset="STUDIO") == {"FINISHED"}
    bpy.context.view_layer.update()
    objects = {ob.name: ob for ob in _lighting_objects(bpy)}
    assert set(objects) == {"key light", "fill light", "rim light", "floor"}
    centre = _mesh_centre(bpy, avatar.mesh)
    cam = np.array(avatar.camera.matrix_world.translation)
    for name in ("key light", "fill light", "rim light"):
        light = objects[name]
        assert light.data.type == "AREA" and light.data.energy > 0
        assert _aim_error_deg(light, centre) < 10.0  # aimed at the avatar (at 0.1 of its height above the centre)
        assert light.location.z > centre[2]
    # key and fill on the camera's side of the avatar, rim behind it
    to_cam = (cam - centre)[:2] / np.linalg.norm((cam - centre)[:2])
    side = [float((np.array(objects[n].location)[:2] - centre[:2]) @ to_cam) for n in
            ("key light", "fill light", "rim light")]
    assert side[0] > 0 and side[1] > 0 and side[2] < 0
    assert objects["key light"].data.energy > objects["fill light"].data.energy
    assert not objects["floor"].is_shadow_catcher
    assert bpy.context.scene.world.get("smplx_fusion_lighting")


def test_hdri_world_uses_blenders_file(avatar):
    from blender_addon.shots import lighting

    bpy = avatar.bpy
    assert bpy.ops.smplx_fusion.apply_lighting(preset="HDRI", hdri="courtyard", hdri_rotation=0.5) == {"FINISHED"}
    world = bpy.context.scene.world
    env = [n for n in world.node_tree.nodes if n.bl_idname == "ShaderNodeTexEnvironment"]
    assert len(env) == 1 and tuple(env[0].image.size) == (1024, 512)  # loads: Blender ships 1024 x 512
    assert Path(bpy.path.abspath(env[0].image.filepath)) == lighting.hdri_path("courtyard")
    assert world.node_tree.nodes["Background"].inputs["Color"].links[0].from_node == env[0]
    mapping = next(n for n in world.node_tree.nodes if n.bl_idname == "ShaderNodeMapping")
    assert mapping.inputs["Rotation"].default_value[2] == pytest.approx(0.5)
    assert _lighting_objects(bpy) == []


def test_footage_matched_light_shadow_catcher_and_ambient(avatar, tmp_path):
    from blender_addon.common import plate

    bpy = avatar.bpy
    colour = (0.2, 0.4, 0.6, 1.0)
    footage = write_png(bpy, tmp_path / "still.png", colour)
    plate.set_plate(bpy.context.scene, avatar.camera, str(footage))
    bpy.context.view_layer.objects.active = avatar.armature
    assert bpy.ops.smplx_fusion.apply_lighting(preset="FOOTAGE") == {"FINISHED"}
    objects = {ob.name: ob for ob in _lighting_objects(bpy)}
    assert set(objects) == {"soft light", "floor"}
    floor = objects["floor"]
    assert floor.is_shadow_catcher
    from blender_addon.shots.preview_stage import evaluated_world_points

    lowest = evaluated_world_points(avatar.mesh, bpy.context.evaluated_depsgraph_get())[:, 2].min()
    assert floor.location.z == pytest.approx(lowest, abs=1e-5)  # at the feet
    background = bpy.context.scene.world.node_tree.nodes["Background"].inputs["Color"].default_value
    # the PNG's sRGB values come back linear: compare with Blender's own conversion of the plate image
    image = next(bg.image for bg in avatar.camera.data.background_images)
    px = np.empty(len(image.pixels), dtype=np.float32)
    image.pixels.foreach_get(px)
    np.testing.assert_allclose(background[:3], px.reshape(-1, 4)[:, :3].mean(axis=0), atol=1e-4)
    assert background[2] > background[1] > background[0]  # blue plate, blue ambient


@pytest.mark.parametrize("second", PRESETS)
@pytest.mark.parametrize("first", PRESETS)
def test_reapplying_replaces_rather_than_duplicates(avatar, first, second):
    bpy = avatar.bpy

    def counts() -> dict:
        return {k: len(getattr(bpy.data, k)) for k in ("objects", "lights", "worlds", "collections", "meshes",
                                                        "materials")}

    assert bpy.ops.smplx_fusion.apply_lighting(preset=second) == {"FINISHED"}
    alone = counts()
    names_alone = sorted(ob.name for ob in _lighting_objects(bpy))
    assert bpy.ops.smplx_fusion.apply_lighting(preset=first) == {"FINISHED"}
    assert bpy.ops.smplx_fusion.apply_lighting(preset=second) == {"FINISHED"}
    assert counts() == alone
    assert sorted(ob.name for ob in _lighting_objects(bpy)) == names_alone  # no ".001" copies
    assert len([c for c in bpy.data.collections if c.get("smplx_fusion_lighting")]) == 1


def test_unknown_hdri_changes_nothing(avatar):
    bpy = avatar.bpy
    assert bpy.ops.smplx_fusion.apply_lighting(preset="STUDIO") == {"FINISHED"}
    before, world = data_snapshot(bpy), bpy.context.scene.world.name
    with pytest.raises(RuntimeError, match="no such studio HDRI"):
        bpy.ops.smplx_fusion.apply_lighting(preset="HDRI", hdri="moon")
    assert data_snapshot(bpy) == before and bpy.context.scene.world.name == world
