"""Scale and depth offset: place the avatar relative to its camera from the Camera panel's settings.

With **Lock to footage** on (default), both act as a uniform scale about the camera centre, which keeps every point
on its pixel (a depth offset becomes the scale that moves the mean depth by that much), and the camera's transform
is locked; off, the depth offset slides the avatar along the view axis and the camera is free.
"""
from __future__ import annotations

import bpy
from mathutils import Matrix, Vector

from ..common import camera_builder
from ..common.avatar import camera_of

__all__ = ["MEAN_DEPTH_PROPERTY", "apply_adjustments"]

#: On the armature: the take's median camera-frame depth (metres), written by the import and by a re-fit.
MEAN_DEPTH_PROPERTY = "smplx_fusion_mean_depth"


def apply_adjustments(arm: bpy.types.Object) -> None:
    """Place the avatar relative to its camera from the panel's scale / depth offset / lock settings."""
    props = arm.smplx_fusion_camera
    cam = camera_of(arm)
    centre = cam.matrix_world.translation.copy() if cam is not None else Vector((0.0, 0.0, 0.0))
    forward = (cam.matrix_world.to_3x3() @ Vector((0.0, 0.0, -1.0))).normalized() if cam is not None \
        else Vector((0.0, 1.0, 0.0))
    mean_depth = max(float(arm.get(MEAN_DEPTH_PROPERTY, 1.0)), 1e-3)
    if props.lock_to_footage:
        scale = props.scale * (mean_depth + props.depth_offset) / mean_depth
        shift = Vector((0.0, 0.0, 0.0))
    else:
        scale = props.scale
        shift = forward * props.depth_offset
    scale = max(scale, 1e-4)
    # the adjustment is a similarity about the camera centre in the world, applied to the rig's own placement (its
    # take root's after a world-aligned import, else the identity)
    base = arm.parent.matrix_world @ arm.matrix_parent_inverse if arm.parent is not None else Matrix.Identity(4)
    arm.matrix_world = (Matrix.Translation(centre + shift) @ Matrix.Scale(scale, 4) @ Matrix.Translation(-centre)
                        @ base)
    if cam is not None:
        camera_builder.lock_transform(cam, props.lock_to_footage)
