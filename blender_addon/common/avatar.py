"""The one way to find an imported avatar: its armature, body mesh and camera, from whatever the user selected.

An import writes ``smplx_fusion_source`` on the armature and its mesh and ``smplx_fusion_camera`` (the camera's
name) on the armature (:mod:`..importing.importer`). Every panel and operator goes through these functions.
"""
from __future__ import annotations

from typing import Optional

import bpy

from ..core.errors import FusionError

__all__ = ["SOURCE_PROPERTY", "CAMERA_PROPERTY", "TRACK_PROPERTY", "is_avatar", "avatar_of", "avatar_meshes",
           "body_mesh_of", "camera_of", "active_avatar", "find_avatar", "avatar_or_none", "scene_avatars"]

#: On the armature and its body mesh: the fused file the avatar was imported from.
SOURCE_PROPERTY = "smplx_fusion_source"
#: On the armature: the name of the camera object made for the take.
CAMERA_PROPERTY = "smplx_fusion_camera"
#: On the armature of one person of a multi-person clip: the person's track id (int).
TRACK_PROPERTY = "smplx_fusion_track_id"


def is_avatar(obj: Optional[bpy.types.Object]) -> bool:
    """True for the armature of an imported avatar."""
    return obj is not None and obj.type == "ARMATURE" and SOURCE_PROPERTY in obj


def avatar_of(obj: Optional[bpy.types.Object]) -> Optional[bpy.types.Object]:
    """The avatar's armature for ``obj``: the armature itself, its mesh (or any object parented under it), or its
    camera; ``None`` when ``obj`` belongs to no imported avatar.

    A camera shared by several avatars (the people of one clip) is nobody's in particular: it gives the one of
    them that is selected, else ``None`` (never silently the first one)."""
    if obj is not None and obj.type == "CAMERA":
        owners = [ob for ob in bpy.data.objects if is_avatar(ob) and ob.get(CAMERA_PROPERTY) == obj.name]
        if len(owners) > 1:
            owners = [ob for ob in owners if ob.select_get()]
        return owners[0] if len(owners) == 1 else None
    while obj is not None and not is_avatar(obj):
        obj = obj.parent
    return obj


def avatar_meshes(arm: bpy.types.Object) -> list[bpy.types.Object]:
    """The avatar's skinned meshes that carry shape keys (children of the armature)."""
    return [ob for ob in arm.children if ob.type == "MESH" and ob.data.shape_keys is not None]


def body_mesh_of(arm: bpy.types.Object) -> Optional[bpy.types.Object]:
    """The avatar's skinned body mesh: the child mesh with shape keys (the import makes exactly one)."""
    return next(iter(avatar_meshes(arm)), None)


def camera_of(arm: bpy.types.Object) -> Optional[bpy.types.Object]:
    """The camera object the import made for the avatar's take, if it still exists (and is still a camera)."""
    name = arm.get(CAMERA_PROPERTY)
    cam = bpy.data.objects.get(name) if name else None
    return cam if cam is not None and cam.type == "CAMERA" else None


def active_avatar(context: bpy.types.Context) -> bpy.types.Object:
    """The avatar the active object belongs to (no fallback to the scene's only avatar, unlike
    :func:`find_avatar`); raises ``FusionError`` saying what to select."""
    arm = avatar_of(context.active_object)
    if arm is None:
        raise FusionError("select an imported SMPL-X avatar (its armature, mesh or camera) first")
    return arm


def scene_avatars(scene: bpy.types.Scene) -> list[bpy.types.Object]:
    """Every imported avatar's armature in ``scene``, by track id (people of a clip) and then by name."""
    avatars = [ob for ob in scene.objects if is_avatar(ob)]
    return sorted(avatars, key=lambda ob: (int(ob.get(TRACK_PROPERTY, -1)), ob.name))


def find_avatar(context: bpy.types.Context, purpose: str = "") -> tuple[bpy.types.Object, bpy.types.Object]:
    """(armature, body mesh) of the avatar the active object belongs to, else of the one avatar the selected
    objects belong to, else of the scene's only avatar; with several avatars it never guesses.

    Raises ``FusionError`` saying what to select ``purpose`` (e.g. "to validate") when there is no avatar, several
    and none selected, or the avatar has lost its body mesh.
    """
    arm = avatar_of(context.active_object)
    if arm is None:
        selected = {avatar_of(ob) for ob in context.scene.objects if ob.select_get()} - {None}
        avatars = list(selected) if selected else [ob for ob in context.scene.objects if is_avatar(ob)]
        if len(avatars) != 1:
            what = f" {purpose}" if purpose else ""
            raise FusionError(f"select an imported SMPL-X avatar (its armature, body mesh or camera){what}"
                              if avatars else "no imported SMPL-X avatar in this scene (File > Import > Fused "
                                              "SMPL-X first)", field="active object")
        arm = avatars[0]
    mesh = body_mesh_of(arm)
    if mesh is None:
        raise FusionError(f"the avatar '{arm.name}' has no body mesh with shape keys", path=arm.name, field="mesh")
    return arm, mesh


def avatar_or_none(context: bpy.types.Context) -> Optional[tuple[bpy.types.Object, bpy.types.Object]]:
    """:func:`find_avatar`'s (armature, body mesh), or ``None`` where it would raise (no avatar to work on)."""
    try:
        return find_avatar(context)
    except FusionError:
        return None
