"""Skin and eye materials: slots, per-face indices from the eye-joint skinning weights, subsurface skin, the UV
texture path, procedural fallback, re-applying, and refusals that change nothing."""
from __future__ import annotations

import numpy as np
import pytest

from core.body.model import load_body_model
from core.body.skeleton import JOINT_NAMES
from tests.hardening.operator_cases import data_snapshot

from .render_fixtures import avatar, mesh_look, no_correctives, write_png  # noqa: F401


def _eye_faces_from_model(model_path) -> np.ndarray:
    """Independent reference: faces whose three vertices are skinned (> 0.5) to the SMPL-X eye joints."""
    model = load_body_model(model_path)
    eye = model.skinning_weights[:, [JOINT_NAMES.index("left_eye_smplhf"),
                                     JOINT_NAMES.index("right_eye_smplhf")]].sum(axis=1) > 0.5
    return eye[model.faces].all(axis=1)


def _linked_from(material, socket_name: str) -> str:
    bsdf = material.node_tree.nodes["Principled BSDF"]
    links = bsdf.inputs[socket_name].links
    return links[0].from_node.bl_idname if links else ""


def test_eye_weights_read_in_bulk_match_the_model(avatar):
    from blender_addon.shots import body_regions

    weights = body_regions.vertex_group_weights(avatar.mesh, body_regions.EYE_GROUPS)
    model = load_body_model(avatar.model)
    columns = [JOINT_NAMES.index(name) for name in body_regions.EYE_GROUPS]
    np.testing.assert_allclose(weights, model.skinning_weights[:, columns], atol=1e-6)
    assert not any(mod.name.startswith("smplx_fusion_tmp") for mod in avatar.mesh.modifiers)
    assert not any(ng.name.startswith("smplx_fusion_tmp") for ng in avatar.bpy.data.node_groups)


def test_skin_and_eye_materials_are_assigned_per_face(avatar):
    bpy, mesh = avatar.bpy, avatar.mesh
    assert bpy.ops.smplx_fusion.apply_materials() == {"FINISHED"}
    slots = list(mesh.data.materials)
    assert [m.get("smplx_fusion_material") for m in slots] == ["skin", "eyes"]
    indices = np.empty(len(mesh.data.polygons), dtype=np.int32)
    mesh.data.polygons.foreach_get("material_index", indices)
    reference = _eye_faces_from_model(avatar.model)
    assert reference.sum() > 0
    assert int((indices == 1).sum()) == int(reference.sum())
    np.testing.assert_array_equal(indices == 1, reference)

    skin = slots[0].node_tree.nodes["Principled BSDF"]
    assert skin.inputs["Subsurface Weight"].default_value > 0.5
    assert skin.subsurface_method == "RANDOM_WALK_SKIN"
    radius = skin.inputs["Subsurface Radius"].default_value
    assert radius[0] > radius[1] > radius[2]  # red scatters furthest in skin
    eyes = slots[1].node_tree.nodes["Principled BSDF"]
    assert eyes.inputs["Coat Weight"].default_value > 0.5


def test_procedural_skin_varies_albedo_roughness_and_normal(avatar):
    bpy = avatar.bpy
    assert bpy.ops.smplx_fusion.apply_materials() == {"FINISHED"}
    skin = avatar.mesh.data.materials[0]
    assert _linked_from(skin, "Base Color") == "ShaderNodeValToRGB"
    assert _linked_from(skin, "Roughness") == "ShaderNodeMapRange"
    assert _linked_from(skin, "Normal") == "ShaderNodeBump"
    assert not any(n.bl_idname == "ShaderNodeTexImage" for n in skin.node_tree.nodes)


def test_eye_angle_attribute_marks_the_pupil_in_front(avatar):
    """The pupil (smallest angle) of each eye is the eyeball's most forward (-Y in the rest mesh) vertex."""
    from blender_addon.shots.materials import EYE_ANGLE_ATTRIBUTE

    bpy, mesh = avatar.bpy, avatar.mesh
    assert bpy.ops.smplx_fusion.apply_materials() == {"FINISHED"}
    n = len(mesh.data.vertices)
    angles = np.empty(n, dtype=np.float32)
    mesh.data.attributes[EYE_ANGLE_ATTRIBUTE].data.foreach_get("value", angles)
    co = np.empty(n * 3, dtype=np.float32)
    mesh.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    eye = angles < np.pi - 1e-6
    assert eye.sum() == 180  # the mannequin's two 90-vertex eyeballs
    for side in (co[:, 0] < 0, co[:, 0] >= 0):
        ids = np.flatnonzero(eye & side)
        assert ids.size == 90
        assert ids[np.argmin(angles[ids])] == ids[np.argmin(co[ids, 1])]


def test_uv_texture_is_loaded_and_mapped_on_the_model_layout(avatar, tmp_path):
    bpy, mesh = avatar.bpy, avatar.mesh
    texture = write_png(bpy, tmp_path / "smplx_texture.png", (0.8, 0.5, 0.4, 1.0), size=(16, 16))
    assert bpy.ops.smplx_fusion.apply_materials(skin_texture=str(texture)) == {"FINISHED"}
    skin = mesh.data.materials[0]
    images = [n for n in skin.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage"]
    assert len(images) == 1 and _linked_from(skin, "Base Color") == "ShaderNodeTexImage"
    image = images[0].image
    assert bpy.path.abspath(image.filepath) == str(texture) and tuple(image.size) == (16, 16)
    assert image.has_data
    uv_node = images[0].inputs["Vector"].links[0].from_node
    assert uv_node.uv_map == "SMPL-X UV"
    # the UVs per corner are the model file's vt[ft], corner by corner
    data = np.load(avatar.model)
    expected = data["vt"][data["ft"]].reshape(-1, 2)
    uv = np.empty(len(mesh.data.loops) * 2, dtype=np.float32)
    mesh.data.uv_layers["SMPL-X UV"].uv.foreach_get("vector", uv)
    np.testing.assert_allclose(uv.reshape(-1, 2), expected, atol=1e-6)


def test_reapplying_replaces_the_materials(avatar, tmp_path):
    bpy, mesh = avatar.bpy, avatar.mesh
    assert bpy.ops.smplx_fusion.apply_materials() == {"FINISHED"}
    texture = write_png(bpy, tmp_path / "t.png", (0.5, 0.4, 0.3, 1.0))
    assert bpy.ops.smplx_fusion.apply_materials(skin_texture=str(texture)) == {"FINISHED"}
    assert bpy.ops.smplx_fusion.apply_materials() == {"FINISHED"}
    ours = [m for m in bpy.data.materials if m.get("smplx_fusion_material")]
    assert len(ours) == 2 and set(ours) == set(mesh.data.materials) and len(mesh.data.materials) == 2
    assert not any(n.bl_idname == "ShaderNodeTexImage" for n in mesh.data.materials[0].node_tree.nodes)


@pytest.mark.parametrize("problem", ["missing texture", "model without UVs"])
def test_refused_input_changes_nothing(avatar, tmp_path, problem):
    bpy, mesh = avatar.bpy, avatar.mesh
    if problem == "missing texture":
        kwargs, message = {"skin_texture": str(tmp_path / "nope.png")}, "skin texture not found"
    else:
        data = dict(np.load(avatar.model))
        del data["vt"]
        no_uv = tmp_path / "no_uv" / "SMPLX_NEUTRAL.npz"
        no_uv.parent.mkdir()
        np.savez(no_uv, **data)
        mesh["smplx_fusion_model"] = str(no_uv)
        kwargs, message = {"skin_texture": str(write_png(bpy, tmp_path / "t.png", (1, 1, 1, 1)))}, "field 'vt'"
    before, look = data_snapshot(bpy), mesh_look(mesh)
    with pytest.raises(RuntimeError, match=message):
        bpy.ops.smplx_fusion.apply_materials(**kwargs)
    assert data_snapshot(bpy) == before and mesh_look(mesh) == look


def test_materials_need_an_avatar(blender):
    with pytest.raises(RuntimeError, match="select an imported SMPL-X avatar"):
        blender.ops.smplx_fusion.apply_materials()
