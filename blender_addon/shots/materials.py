"""Skin and eye materials for the avatar's mesh.

- **Skin**: a Principled BSDF with subsurface scattering (random walk, red light travelling furthest, as in skin).
  With a texture (e.g. the official SMPL-X UV texture) an Image Texture node on the model's UV layout
  (``uv_layout.add_model_uv_map``) is the albedo. Without one the albedo is procedural: two skin tones mixed by
  large- and fine-scale noise in object space, with a slightly varying roughness and a fine bump for pores.
- **Eyes**: a glossy eyeball with a coated (wet) surface whose sclera / iris / pupil come from each vertex's angle
  to the eye's rest gaze (the point attribute ``smplx_eye_angle``, radians; the rest mesh looks along -Y), so the
  iris turns with the eye bone.
- **Mouth**: none; ``body_regions`` explains why the jaw weights do not give a clean mouth region.

Slot 0 is the skin, slot 1 the eyes; the faces' material indices are written with ``foreach_set``. Re-applying
replaces the add-on's own materials on that mesh (they are removed once nothing else uses them).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import bpy
import numpy as np

from ..core.errors import FusionError
from . import body_regions, uv_layout

__all__ = ["MATERIAL_TAG", "EYE_ANGLE_ATTRIBUTE", "PUPIL_ANGLE", "IRIS_ANGLE", "SKIN_LIGHT", "SKIN_DEEP",
           "SUBSURFACE_RADIUS", "SUBSURFACE_SCALE", "MaterialResult", "load_texture", "build_skin_material",
           "build_eye_material", "write_eye_angles", "apply_materials"]

MATERIAL_TAG = "smplx_fusion_material"
EYE_ANGLE_ATTRIBUTE = "smplx_eye_angle"
#: Angular radii (radians from the gaze axis) of the pupil and the iris on an eyeball: a 12 mm eyeball radius,
#: ~2 mm pupil and ~6 mm iris radius.
PUPIL_ANGLE, IRIS_ANGLE = 0.17, 0.52
#: Linear-light skin tones the procedural albedo mixes (a light and a deeper tone of the same skin).
SKIN_LIGHT = (0.74, 0.46, 0.34, 1.0)
SKIN_DEEP = (0.55, 0.30, 0.21, 1.0)
#: Subsurface mean free path per channel (scaled by SUBSURFACE_SCALE, metres): red travels furthest.
SUBSURFACE_RADIUS = (1.0, 0.35, 0.2)
SUBSURFACE_SCALE = 0.008


@dataclass
class MaterialResult:
    """What :func:`apply_materials` did.

    Attributes:
        skin, eyes: the new materials (slots 0 and 1; ``eyes`` is None when the mesh has no eye vertices).
        eye_faces: (F,) bool faces given the eye material.
        texture: the image used as the skin's albedo, or None (procedural).
    """

    skin: bpy.types.Material
    eyes: Optional[bpy.types.Material]
    eye_faces: np.ndarray
    texture: Optional[bpy.types.Image]


def _node(tree: bpy.types.NodeTree, kind: str, location: tuple[float, float], **inputs: object) -> bpy.types.Node:
    node = tree.nodes.new(kind)
    node.location = location
    for name, value in inputs.items():
        node.inputs[name.replace("_", " ")].default_value = value
    return node


def _ramp(tree: bpy.types.NodeTree, location: tuple[float, float],
          stops: list[tuple[float, tuple[float, float, float, float]]]) -> bpy.types.Node:
    ramp = tree.nodes.new("ShaderNodeValToRGB")
    ramp.location = location
    elements = ramp.color_ramp.elements
    while len(elements) > len(stops):
        elements.remove(elements[-1])
    while len(elements) < len(stops):
        elements.new(1.0)
    for element, (position, color) in zip(elements, stops):
        element.position, element.color = position, color
    return ramp


def _new_material(name: str, role: str) -> tuple[bpy.types.Material, bpy.types.Node]:
    mat = bpy.data.materials.new(name)
    mat[MATERIAL_TAG] = role
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    return mat, bsdf


def load_texture(path: Union[str, Path]) -> bpy.types.Image:
    """Load a skin texture image. Raises FusionError naming the path when it is missing or unreadable."""
    p = Path(bpy.path.abspath(str(path))).expanduser()
    if not p.is_file():
        raise FusionError("skin texture not found", path=p, field="skin_texture")
    try:
        image = bpy.data.images.load(str(p), check_existing=True)
    except RuntimeError as exc:
        raise FusionError(f"cannot read the image ({exc})", path=p, field="skin_texture") from None
    if image.size[0] == 0 or image.size[1] == 0:
        bpy.data.images.remove(image)
        raise FusionError("cannot read the image (empty or unsupported format)", path=p, field="skin_texture")
    return image


def build_skin_material(name: str, texture: Optional[bpy.types.Image] = None) -> bpy.types.Material:
    """Principled skin with subsurface scattering; ``texture`` (on the ``SMPL-X UV`` map) or procedural albedo."""
    mat, bsdf = _new_material(name, "skin")
    tree = mat.node_tree
    bsdf.inputs["Subsurface Weight"].default_value = 1.0
    bsdf.inputs["Subsurface Radius"].default_value = SUBSURFACE_RADIUS
    bsdf.inputs["Subsurface Scale"].default_value = SUBSURFACE_SCALE
    bsdf.inputs["Specular IOR Level"].default_value = 0.45
    bsdf.inputs["Sheen Weight"].default_value = 0.06
    bsdf.subsurface_method = "RANDOM_WALK_SKIN"
    coords = _node(tree, "ShaderNodeTexCoord", (-1300, 0))
    if texture is not None:
        uv = tree.nodes.new("ShaderNodeUVMap")
        uv.location, uv.uv_map = (-1000, 300), uv_layout.UV_MAP_NAME
        albedo = tree.nodes.new("ShaderNodeTexImage")
        albedo.location, albedo.image = (-750, 300), texture
        tree.links.new(uv.outputs["UV"], albedo.inputs["Vector"])
        tree.links.new(albedo.outputs["Color"], bsdf.inputs["Base Color"])
    else:
        blotches = _node(tree, "ShaderNodeTexNoise", (-1000, 350), Scale=6.0, Detail=4.0, Roughness=0.55)
        tree.links.new(coords.outputs["Object"], blotches.inputs["Vector"])
        tone = _ramp(tree, (-750, 350), [(0.3, SKIN_DEEP), (0.7, SKIN_LIGHT)])
        tree.links.new(blotches.outputs["Fac"], tone.inputs["Fac"])
        tree.links.new(tone.outputs["Color"], bsdf.inputs["Base Color"])
    # roughness: a little variation, slightly shinier where the fine noise is high (oilier skin)
    speckle = _node(tree, "ShaderNodeTexNoise", (-1000, 0), Scale=60.0, Detail=2.0)
    tree.links.new(coords.outputs["Object"], speckle.inputs["Vector"])
    rough = _node(tree, "ShaderNodeMapRange", (-750, 0), To_Min=0.55, To_Max=0.38)
    tree.links.new(speckle.outputs["Fac"], rough.inputs["Value"])
    tree.links.new(rough.outputs["Result"], bsdf.inputs["Roughness"])
    # pores: a fine bump
    pores = _node(tree, "ShaderNodeTexNoise", (-1000, -300), Scale=900.0, Detail=1.0)
    tree.links.new(coords.outputs["Object"], pores.inputs["Vector"])
    bump = _node(tree, "ShaderNodeBump", (-500, -300), Strength=0.12, Distance=0.0004)
    tree.links.new(pores.outputs["Fac"], bump.inputs["Height"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return mat


def build_eye_material(name: str, iris_color: tuple[float, float, float, float] = (0.09, 0.16, 0.22, 1.0)
                       ) -> bpy.types.Material:
    """Wet eyeball: sclera, iris and pupil from the ``smplx_eye_angle`` point attribute."""
    mat, bsdf = _new_material(name, "eyes")
    tree = mat.node_tree
    angle = tree.nodes.new("ShaderNodeAttribute")
    angle.location, angle.attribute_type, angle.attribute_name = (-900, 200), "GEOMETRY", EYE_ANGLE_ATTRIBUTE
    to_unit = _node(tree, "ShaderNodeMapRange", (-700, 200), From_Min=0.0, From_Max=np.pi)
    tree.links.new(angle.outputs["Fac"], to_unit.inputs["Value"])
    pupil, iris = PUPIL_ANGLE / np.pi, IRIS_ANGLE / np.pi
    dark = (0.01, 0.01, 0.012, 1.0)
    limbus = tuple(0.35 * c for c in iris_color[:3]) + (1.0,)
    sclera = (0.78, 0.74, 0.70, 1.0)
    colors = _ramp(tree, (-450, 200), [(pupil * 0.85, dark), (pupil * 1.15, iris_color),
                                       (iris * 0.9, limbus), (iris * 1.08, sclera)])
    tree.links.new(to_unit.outputs["Result"], colors.inputs["Fac"])
    tree.links.new(colors.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.25
    bsdf.inputs["Coat Weight"].default_value = 1.0
    bsdf.inputs["Coat Roughness"].default_value = 0.02
    bsdf.inputs["Subsurface Weight"].default_value = 0.15
    bsdf.inputs["Subsurface Scale"].default_value = 0.002
    return mat


def write_eye_angles(mesh_obj: bpy.types.Object, eye_vertices: np.ndarray) -> None:
    """``smplx_eye_angle`` point attribute: per eyeball vertex, its angle (radians) to that eye's rest gaze (-Y)
    about the eyeball's centre; pi elsewhere. ``eye_vertices`` (V,) bool."""
    me = mesh_obj.data
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3).astype(np.float64)
    angles = np.full(co.shape[0], np.pi, dtype=np.float32)
    eye_ids = np.flatnonzero(eye_vertices)
    if eye_ids.size:
        # two eyeballs: split at the midline (x = 0 in the rest frame, the body's sagittal plane)
        for side in (co[eye_ids, 0] < 0.0, co[eye_ids, 0] >= 0.0):
            ids = eye_ids[side]
            if ids.size == 0:
                continue
            offsets = co[ids] - co[ids].mean(axis=0)
            norms = np.linalg.norm(offsets, axis=1)
            cos = np.divide(-offsets[:, 1], norms, out=np.ones_like(norms), where=norms > 0)
            angles[ids] = np.arccos(np.clip(cos, -1.0, 1.0))
    attr = me.attributes.get(EYE_ANGLE_ATTRIBUTE)
    if attr is not None:
        me.attributes.remove(attr)
    me.attributes.new(EYE_ANGLE_ATTRIBUTE, "FLOAT", "POINT").data.foreach_set("value", angles)


def apply_materials(mesh_obj: bpy.types.Object, texture_path: Union[str, Path, None] = None,
                    model_path: Union[str, Path, None] = None) -> MaterialResult:
    """Skin (slot 0) and eye (slot 1) materials on the avatar's mesh, face indices set in bulk.

    ``texture_path``: an albedo image on the model's UV layout (read from ``model_path``, default the mesh's
    ``smplx_fusion_model``). The mesh's previous slots are replaced; the add-on's own previous materials are
    removed once nothing uses them. Raises FusionError for a missing texture or a model file without UVs (checked
    before anything changes).
    """
    texture = None
    model = model_path or mesh_obj.get("smplx_fusion_model")
    if texture_path:
        if not model:
            raise FusionError("the mesh does not name its body model, needed for the texture's UV layout",
                              field="smplx_fusion_model")
        uv_layout.read_model_uvs(model)  # check before changing anything
        texture = load_texture(texture_path)
    has_eye_groups = all(g in mesh_obj.vertex_groups for g in body_regions.EYE_GROUPS)
    eye_vertices = body_regions.eye_vertex_mask(mesh_obj) if has_eye_groups else \
        np.zeros(len(mesh_obj.data.vertices), dtype=bool)
    eye_faces = eye_vertices[body_regions.face_vertex_indices(mesh_obj)].all(axis=1)
    skin = build_skin_material(f"{mesh_obj.name}-skin", texture)
    eyes = build_eye_material(f"{mesh_obj.name}-eyes") if eye_faces.any() else None
    # everything is built: now change the mesh
    if texture is not None:
        uv_layout.add_model_uv_map(mesh_obj, model)
    if eyes is not None:
        write_eye_angles(mesh_obj, eye_vertices)
    old = [m for m in mesh_obj.data.materials if m is not None and m.get(MATERIAL_TAG)]
    mesh_obj.data.materials.clear()
    mesh_obj.data.materials.append(skin)
    if eyes is not None:
        mesh_obj.data.materials.append(eyes)
    mesh_obj.data.polygons.foreach_set("material_index", eye_faces.astype(np.int32))
    mesh_obj.data.update()
    unused = [m for m in old if m.users == 0]
    if unused:
        bpy.data.batch_remove(unused)
    return MaterialResult(skin=skin, eyes=eyes, eye_faces=eye_faces, texture=texture)
