"""What an export covers, and leaving the scene as it was: the avatar's armature and body mesh (found by
:func:`..common.avatar.find_avatar`), selected only for the duration of the exporter call.

Blender's FBX and glTF exporters pick objects by selection and bake over the scene's frame range, so for the call
the avatar's armature and mesh are the only selected objects, the armature is active, the mode is Object mode and
the scene's frame range is the take's. Afterwards the selection, the active object, the mode, the frame range and
the current frame are put back exactly, also when the exporter fails.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import bpy

from ..common.animation import FIRST_FRAME
from ..core.errors import FusionError

__all__ = ["take_frames", "only_avatar_selected"]


def take_frames(arm: bpy.types.Object) -> tuple[int, int]:
    """(first, last) Blender frame of the imported take (frame i of the file is ``FIRST_FRAME + i``)."""
    count = int(arm.get("smplx_fusion_frames", 0))
    if count < 1:
        raise FusionError("the avatar records no frame count (import it again)", path=arm.name,
                          field="smplx_fusion_frames")
    return FIRST_FRAME, FIRST_FRAME + count - 1


@contextmanager
def only_avatar_selected(context: bpy.types.Context, arm: bpy.types.Object,
                         mesh: bpy.types.Object) -> Iterator[None]:
    """Select exactly ``arm`` and ``mesh`` (``arm`` active, Object mode, scene range = the take) for the block."""
    view_layer, scene = context.view_layer, context.scene
    selected = [ob for ob in view_layer.objects if ob.select_get()]
    active = view_layer.objects.active
    mode = active.mode if active is not None else "OBJECT"
    frames = (scene.frame_start, scene.frame_end, scene.frame_current, scene.frame_subframe)
    first, last = take_frames(arm)
    if mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    try:
        for ob in selected:
            ob.select_set(False)
        for ob in (arm, mesh):
            if ob.name not in view_layer.objects:
                raise FusionError("is not in the current view layer", path=ob.name, field="object")
            ob.select_set(True)
            if not ob.select_get():
                raise FusionError("cannot be selected (hidden or disabled): unhide it to export", path=ob.name,
                                  field="object")
        view_layer.objects.active = arm
        scene.frame_start, scene.frame_end = first, last
        yield
    finally:
        for ob in view_layer.objects:
            if ob.select_get():
                ob.select_set(False)
        for ob in selected:
            ob.select_set(True)
        view_layer.objects.active = active
        scene.frame_start, scene.frame_end = frames[0], frames[1]
        scene.frame_set(frames[2], subframe=frames[3])
        if mode != "OBJECT" and active is not None:
            bpy.ops.object.mode_set(mode=mode)
