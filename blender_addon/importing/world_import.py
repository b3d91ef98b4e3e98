"""The world import of a schema-1.1 take (``world_from_camera``): the camera flies its path, the avatar walks the
world on a level floor at z = 0. The math is :mod:`..common.world_camera` (bpy-free); this module writes it.

* The camera object is keyed per frame (location and quaternion rotation, sign-continuous) with the bulk F-curve
  writer, into the action it already has (the reprojection-error curve) or a new one; its data (lens, shifts) and
  its background plate are those of a plain import, so the footage follows the camera.
* The rig is built from :func:`..common.world_camera.rig_take` by the importer (the armature object stays at the
  identity).
* The armature and the camera record the placement: :data:`WORLD_PROPERTY` (JSON: ``blender_from_world`` (4, 4),
  the floor's height and source, ``world_up``); a second person imported onto the same camera keeps its world.
"""
from __future__ import annotations

import json
from typing import Optional

import bpy
import numpy as np

from ..common import animation
from ..common.world_camera import WORLD_PROPERTY, WorldPlacement, camera_matrices, world_placement
from ..core.body.model import BodyModel
from ..core.contracts.fused_file import FusedSequence
from ..core.rotations import make_quaternions_continuous, matrix_to_quaternion_wxyz

__all__ = ["WORLD_PROPERTY", "placement_for", "animate_camera_path", "record_placement"]

_GROUP = "Camera path"


def placement_for(seq: FusedSequence, model: BodyModel, cam_obj: Optional[bpy.types.Object]) -> WorldPlacement:
    """The take's placement; a camera that already flies a world path (another person of the clip) keeps its
    ``blender_from_world``, so every avatar shares one world."""
    recorded = cam_obj.get(WORLD_PROPERTY) if cam_obj is not None else None
    level = json.loads(recorded)["blender_from_world"] if recorded else None
    return world_placement(seq, model, level)


def animate_camera_path(cam_obj: bpy.types.Object, placement: WorldPlacement, first_frame: int) -> None:
    """Key ``cam_obj``'s location and rotation (quaternion) on every frame from ``first_frame`` along the take's
    trajectory in Blender's world (:func:`..common.world_camera.camera_matrices`); the object has no parent.
    A camera already keyed along a path (a shared camera) is left as it is."""
    if cam_obj.get(WORLD_PROPERTY):
        return
    matrices = camera_matrices(placement)
    quat = make_quaternions_continuous(matrix_to_quaternion_wxyz(matrices[:, :3, :3]))
    location = matrices[:, :3, 3]
    cam_obj.rotation_mode = "QUATERNION"
    cam_obj.location = location[0].tolist()
    cam_obj.rotation_quaternion = quat[0].tolist()
    adt = cam_obj.animation_data
    if adt is not None and adt.action is not None and adt.action_slot is not None:
        action, slot = adt.action, adt.action_slot  # the reprojection curve's: one action for the object
    else:
        action = bpy.data.actions.new(f"{cam_obj.name}-path")
        slot = animation.new_slot(action, "OBJECT", cam_obj.name)
    specs = [("location", k, _GROUP) for k in range(3)] + [("rotation_quaternion", k, _GROUP) for k in range(4)]
    frames = first_frame + np.arange(matrices.shape[0], dtype=np.float32)
    animation.write_fcurves(action, slot, specs, frames, np.concatenate([location, quat], axis=1))
    animation.assign_action(cam_obj, action, slot)
    record_placement(cam_obj, placement)


def record_placement(arm_obj: bpy.types.Object, placement: WorldPlacement) -> None:
    """Write :data:`WORLD_PROPERTY` on the armature (and the same on its camera, after :func:`animate_camera_path`)."""
    arm_obj[WORLD_PROPERTY] = json.dumps({
        "blender_from_world": placement.blender_from_world.tolist(),
        "world_up": placement.world_up.tolist(),
        "floor_height_m": placement.floor_height,
        "floor_source": placement.floor_source,
    })
