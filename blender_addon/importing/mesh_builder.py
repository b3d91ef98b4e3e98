"""The skinned mesh: vertices and faces from numpy, vertex groups from the weights, shape keys in bulk."""
from __future__ import annotations

import bpy
import numpy as np

from ..common.axes import model_to_blender
from ..core.body.model import BodyModel
from ..core.body.skeleton import JOINT_NAMES

__all__ = ["SLIDER_LIMIT", "build_mesh", "add_vertex_groups", "add_shape_keys", "add_armature_modifier"]

#: Blender's hard limit on shape-key sliders; SMPL-X coefficients are often negative.
SLIDER_LIMIT = 10.0


def build_mesh(name: str, model: BodyModel, collection: bpy.types.Collection) -> bpy.types.Object:
    """Mesh object with the model's template (Blender rest frame), faces and smooth shading."""
    me = bpy.data.meshes.new(name)
    verts = model_to_blender(model.v_template).astype(np.float32)
    faces = model.faces.astype(np.int32)
    me.vertices.add(verts.shape[0])
    me.vertices.foreach_set("co", verts.ravel())
    me.loops.add(faces.size)
    me.loops.foreach_set("vertex_index", faces.ravel())
    me.polygons.add(faces.shape[0])
    me.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    me.polygons.foreach_set("use_smooth", np.ones(faces.shape[0], dtype=bool))
    me.update()
    me.validate(clean_customdata=False)
    obj = bpy.data.objects.new(name, me)
    collection.objects.link(obj)
    return obj


def add_vertex_groups(obj: bpy.types.Object, weights: np.ndarray) -> None:
    """One vertex group per joint (smplx names) from (V, 55) skinning weights, exact values.

    ``VertexGroup.add`` takes one weight per call, so vertices are grouped by their exact weight value.
    """
    for j, joint_name in enumerate(JOINT_NAMES):
        vg = obj.vertex_groups.new(name=joint_name)
        column = weights[:, j]
        nonzero = np.flatnonzero(column > 0.0)
        if nonzero.size == 0:
            continue
        values, inverse = np.unique(column[nonzero], return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(values.size + 1))
        for k, value in enumerate(values):
            vg.add(nonzero[order[bounds[k]:bounds[k + 1]]].tolist(), float(value), "REPLACE")


def add_shape_keys(obj: bpy.types.Object, prefix: str, directions: np.ndarray,
                   values: np.ndarray | None = None) -> list[bpy.types.ShapeKey]:
    """Add ``<prefix>000``... keys, one per column of (V, 3, K) model-frame ``directions``.

    Sliders are opened to +-10 so that negative coefficients play back unclamped. ``values`` (K,) sets static
    values (e.g. the betas); it is clipped to the slider range.
    """
    if obj.data.shape_keys is None:
        obj.shape_key_add(name="Basis", from_mix=False)
    basis = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
    obj.data.shape_keys.key_blocks[0].points.foreach_get("co", basis)
    offsets = model_to_blender(np.moveaxis(directions, 2, 0))  # (K, V, 3)
    keys = []
    for k in range(offsets.shape[0]):
        kb = obj.shape_key_add(name=f"{prefix}{k:03d}", from_mix=False)
        kb.slider_min = -SLIDER_LIMIT
        kb.slider_max = SLIDER_LIMIT
        kb.points.foreach_set("co", basis + offsets[k].astype(np.float32).ravel())
        if values is not None and k < len(values):
            kb.value = float(np.clip(values[k], -SLIDER_LIMIT, SLIDER_LIMIT))
        keys.append(kb)
    return keys


def add_armature_modifier(obj: bpy.types.Object, arm_obj: bpy.types.Object) -> None:
    """Parent ``obj`` to the armature and deform it with plain linear blend skinning (as smplx does)."""
    obj.parent = arm_obj
    mod = obj.modifiers.new(name="Armature", type="ARMATURE")
    mod.object = arm_obj
    mod.use_vertex_groups = True
    mod.use_bone_envelopes = False
    mod.use_deform_preserve_volume = False
