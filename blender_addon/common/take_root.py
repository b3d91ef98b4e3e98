"""World-aligned import: one empty, the take root, parents the rig and the camera and puts the floor at z = 0.

The root's matrix is :func:`ground_alignment.floor_alignment` of the take's ground plane: the file's
``ground_plane`` extra, else one estimated from the feet (``core.grounding.estimate_ground``, mode ``auto``, then
``always``, the feet's usual lowest level, when no contact shows). The rig and the camera keep their own
transforms (identity and the footage camera's), so the camera sees the avatar exactly as in a plain import and no
key is rewritten; moving or rotating the root moves the whole take.
"""
from __future__ import annotations

from typing import Iterable

import bpy
from mathutils import Matrix

from ..core.body.model import BodyModel
from ..core.contracts.fused_file import FusedSequence
from ..core.errors import FusionError
from ..core.grounding import GroundPlane, estimate_ground
from ..core.grounding.pipeline import GROUND_PLANE_KEY, plane_from_extras
from .ground_alignment import floor_alignment

#: Custom property on the armature naming its take root (present only after a world-aligned import).
TAKE_ROOT_PROPERTY = "smplx_fusion_take_root"
#: Custom property on the root: where its plane came from (``file``, ``fitted`` or ``lowest``) and the plane.
PLANE_SOURCE_PROPERTY = "smplx_fusion_plane_source"
PLANE_PROPERTY = "smplx_fusion_ground_plane"


def ground_for_alignment(seq: FusedSequence, model: BodyModel, path: str = "") -> tuple[GroundPlane, str]:
    """The take's ground (camera frame) and its source: the file's ``ground_plane``, else estimated."""
    try:
        plane = plane_from_extras(seq)
    except ValueError as exc:
        raise FusionError(str(exc), path=path or None, field=GROUND_PLANE_KEY) from exc
    if plane is not None:
        return plane, "file"
    estimate = estimate_ground(seq, model, "auto")
    if estimate.plane is None:
        estimate = estimate_ground(seq, model, "always")
    return estimate.plane, estimate.plane_source


def add_take_root(name: str, plane: GroundPlane, source: str, children: Iterable[bpy.types.Object],
                  collection: bpy.types.Collection) -> bpy.types.Object:
    """An empty ``<name>-root`` aligned so that ``plane`` is Blender's floor, parenting ``children``."""
    root = bpy.data.objects.new(f"{name}-root", None)
    root.empty_display_type = "PLAIN_AXES"
    collection.objects.link(root)
    root.matrix_world = Matrix(floor_alignment(plane.as_array()).tolist())
    root[PLANE_SOURCE_PROPERTY] = source
    root[PLANE_PROPERTY] = [float(v) for v in plane.as_array()]
    for ob in children:
        ob.parent = root
        ob.matrix_parent_inverse = Matrix.Identity(4)
        if ob.type == "ARMATURE":
            ob[TAKE_ROOT_PROPERTY] = root.name
    return root


def take_root_of(arm: bpy.types.Object) -> "bpy.types.Object | None":
    """The armature's take root, or None (plain import)."""
    name = arm.get(TAKE_ROOT_PROPERTY)
    root = bpy.data.objects.get(name) if name else None
    return root if root is not None and arm.parent == root else None


__all__ = ["TAKE_ROOT_PROPERTY", "PLANE_SOURCE_PROPERTY", "PLANE_PROPERTY", "ground_for_alignment",
           "add_take_root", "take_root_of"]
