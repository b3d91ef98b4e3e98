"""Body regions from the skinning weights the avatar's mesh carries as vertex groups (one per smplx joint).

Vertex groups have no bulk read in Blender 5.0.1 (they are not in ``Mesh.attributes``, and ``VertexGroup.weight``
reads one vertex at a time), so the weights are read through a temporary Geometry Nodes modifier: a *Named
Attribute* node sees vertex groups as float attributes, a *Store Named Attribute* node copies them into generic
point attributes of the evaluated mesh, and ``foreach_get`` reads those. The modifier and its node group are
removed again; the mesh is not changed.

Regions:
- **eyes**: vertices skinned to ``left_eye_smplhf`` / ``right_eye_smplhf`` (weight > 0.5). On SMPL-X and on the
  project's models these are exactly the two eyeballs (checked: mannequin 2 x 90 vertices, all at weight 1; built-in
  model 2 x 72 at 0.97-1; no other vertex has eye weight).
- **no mouth region**: the jaw group covers the chin's and lower face's skin as much as the lips (mannequin: 387
  vertices fully on the jaw, chin included; built-in model: none above 0.99, 1,010 with some jaw weight), and neither
  model has an inner-mouth cavity, so a threshold on jaw weights would paint skin, not a mouth. The skin material
  covers the lips.
"""
from __future__ import annotations

import bpy
import numpy as np

__all__ = ["EYE_GROUPS", "vertex_group_weights", "eye_vertex_mask", "face_vertex_indices", "eye_face_mask"]

EYE_GROUPS = ("left_eye_smplhf", "right_eye_smplhf")
_TMP_PREFIX = "smplx_fusion_tmp_"


def _reader_group(names: tuple[str, ...]) -> bpy.types.NodeTree:
    ng = bpy.data.node_groups.new(f"{_TMP_PREFIX}weights", "GeometryNodeTree")
    ng.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    ng.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    socket = ng.nodes.new("NodeGroupInput").outputs[0]
    for name in names:
        read = ng.nodes.new("GeometryNodeInputNamedAttribute")
        read.data_type = "FLOAT"
        read.inputs["Name"].default_value = name
        store = ng.nodes.new("GeometryNodeStoreNamedAttribute")
        store.data_type, store.domain = "FLOAT", "POINT"
        store.inputs["Name"].default_value = _TMP_PREFIX + name
        ng.links.new(socket, store.inputs["Geometry"])
        ng.links.new(read.outputs["Attribute"], store.inputs["Value"])
        socket = store.outputs["Geometry"]
    ng.links.new(socket, ng.nodes.new("NodeGroupOutput").inputs[0])
    return ng


def vertex_group_weights(mesh_obj: bpy.types.Object, names: tuple[str, ...]) -> np.ndarray:
    """(V, len(names)) float32 weights of the named vertex groups (0 where a vertex is not in a group).

    Raises KeyError naming a group the mesh lacks.
    """
    missing = [n for n in names if n not in mesh_obj.vertex_groups]
    if missing:
        raise KeyError(f"the mesh '{mesh_obj.name}' has no vertex group '{missing[0]}'")
    ng = _reader_group(names)
    others = [(mod, mod.show_viewport) for mod in mesh_obj.modifiers]
    mod = mesh_obj.modifiers.new(f"{_TMP_PREFIX}weights", "NODES")
    n = len(mesh_obj.data.vertices)
    try:
        for other, _ in others:  # read on the mesh itself (a topology-changing modifier would renumber vertices)
            other.show_viewport = False
        mod.node_group = ng
        evaluated = mesh_obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        me = evaluated.to_mesh()
        try:
            out = np.empty((len(names), n), dtype=np.float32)
            for k, name in enumerate(names):
                me.attributes[_TMP_PREFIX + name].data.foreach_get("value", out[k])
        finally:
            evaluated.to_mesh_clear()
    finally:
        mesh_obj.modifiers.remove(mod)
        bpy.data.node_groups.remove(ng)
        for other, shown in others:
            other.show_viewport = shown
    return out.T


def eye_vertex_mask(mesh_obj: bpy.types.Object) -> np.ndarray:
    """(V,) bool: eyeball vertices (eye-joint weight > 0.5)."""
    return vertex_group_weights(mesh_obj, EYE_GROUPS).sum(axis=1) > 0.5


def face_vertex_indices(mesh_obj: bpy.types.Object) -> np.ndarray:
    """(F, 3) int vertex indices of the mesh's triangles (the avatar's mesh is all triangles).

    Raises ValueError for a mesh with other polygons.
    """
    me = mesh_obj.data
    sizes = np.empty(len(me.polygons), dtype=np.int32)
    me.polygons.foreach_get("loop_total", sizes)
    if sizes.size and np.any(sizes != 3):
        raise ValueError(f"the mesh '{mesh_obj.name}' is not all triangles")
    starts = np.empty(len(me.polygons), dtype=np.int32)
    me.polygons.foreach_get("loop_start", starts)
    corners = np.empty(len(me.loops), dtype=np.int32)
    me.loops.foreach_get("vertex_index", corners)
    return corners[starts[:, None] + np.arange(3)]


def eye_face_mask(mesh_obj: bpy.types.Object) -> np.ndarray:
    """(F,) bool: faces whose three vertices are all eyeball vertices."""
    return eye_vertex_mask(mesh_obj)[face_vertex_indices(mesh_obj)].all(axis=1)
