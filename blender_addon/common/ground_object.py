"""The ground plane object: a large square lying on the take's fitted ground, a Cycles shadow catcher.

One per avatar, found by the custom property :data:`OWNER_PROPERTY` (the armature's name). It is placed from a
camera-frame plane through the armature's transform (``ground_alignment.plane_to_world``), parented to the take
root after a world-aligned import, and read back the same way: moving or tilting the object moves the ground
that *Lock Feet* uses. The lighting preset ``FOOTAGE`` uses it as its shadow catcher instead of adding a floor.
"""
from __future__ import annotations

from typing import Optional

import bpy
import numpy as np
from mathutils import Matrix

from .ground_alignment import (
    camera_to_world,
    plane_from_world,
    plane_object_matrix,
    plane_of_object_matrix,
    plane_to_world,
)
from .take_root import take_root_of

#: Custom property on the ground object: the name of the armature it belongs to.
OWNER_PROPERTY = "smplx_fusion_ground"
#: Custom property on the ground object: the camera-frame plane (n, d) it was placed from.
PLANE_PROPERTY = "smplx_fusion_ground_plane"
GROUND_COLOR = (0.32, 0.33, 0.34, 1.0)


def ground_object_of(arm: Optional[bpy.types.Object]) -> Optional[bpy.types.Object]:
    """The avatar's ground plane object, or None."""
    if arm is None:
        return None
    return next((ob for ob in bpy.data.objects if ob.type == "MESH" and ob.get(OWNER_PROPERTY) == arm.name), None)


def half_size_m(anchor_cam: np.ndarray) -> float:
    """Half the square's side: well past the avatar and into the distance (as ``preview_stage.add_floor``)."""
    return 20.0 + 3.0 * float(np.linalg.norm(anchor_cam))


def _new_ground(name: str, half: float, collection: bpy.types.Collection) -> bpy.types.Object:
    me = bpy.data.meshes.new(name)
    me.from_pydata([(-half, -half, 0.0), (half, -half, 0.0), (half, half, 0.0), (-half, half, 0.0)], [],
                   [(0, 1, 2, 3)])
    mat = bpy.data.materials.new(name)
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = GROUND_COLOR
    me.materials.append(mat)
    ob = bpy.data.objects.new(name, me)
    collection.objects.link(ob)
    ob.is_shadow_catcher = True
    return ob


def place_ground_object(arm: bpy.types.Object, plane_cam: np.ndarray, anchor_cam: np.ndarray
                        ) -> tuple[bpy.types.Object, bool]:
    """Put the avatar's ground object on ``plane_cam`` (4,), centred under ``anchor_cam`` (3,) (camera frame);
    create it (in the armature's collection) when missing. Returns (object, created)."""
    object_world = np.array(arm.matrix_world, dtype=np.float64)
    plane_world = plane_to_world(plane_cam, object_world)
    anchor_world = (camera_to_world(object_world) @ np.append(anchor_cam, 1.0))[:3]
    ob = ground_object_of(arm)
    created = ob is None
    if created:
        collection = arm.users_collection[0] if arm.users_collection else bpy.context.scene.collection
        ob = _new_ground(f"{arm.name}-ground", half_size_m(anchor_cam), collection)
        ob[OWNER_PROPERTY] = arm.name
        root = take_root_of(arm)
        if root is not None:
            ob.parent = root
            ob.matrix_parent_inverse = Matrix.Identity(4)
    ob.matrix_world = Matrix(plane_object_matrix(plane_world, anchor_world).tolist())
    ob[PLANE_PROPERTY] = [float(v) for v in np.asarray(plane_cam, dtype=np.float64)]
    return ob, created


def plane_of_ground_object(ob: bpy.types.Object, arm: bpy.types.Object) -> np.ndarray:
    """(4,) camera-frame plane where the ground object lies now (the user may have moved it)."""
    return plane_from_world(plane_of_object_matrix(np.array(ob.matrix_world, dtype=np.float64)),
                            np.array(arm.matrix_world, dtype=np.float64))


__all__ = ["OWNER_PROPERTY", "PLANE_PROPERTY", "ground_object_of", "place_ground_object", "plane_of_ground_object",
           "half_size_m"]
