"""A world-grounded take (schema 1.1: ``world_from_camera``, ``world_up``) in its gravity-aligned world.

Modules:

* :mod:`.frames`  the take re-expressed in the world and back (the root turned about the pelvis J0), and a level
                  Z-up display frame of that world (floor at z = 0) for Blender and exports;
* :mod:`.ground`  grounding in the world with the known up axis, the result back in the camera frame.
"""
from __future__ import annotations

from .frames import (
    WORLD_GROUND_PLANE_KEY,
    has_world,
    level_from_world,
    pelvis_joint,
    reframe_take,
    take_in_camera,
    take_in_world,
    world_from_camera_of,
    world_up_of,
)
from .ground import WorldGrounding, ground_world_take, world_floor_plane

__all__ = ["WORLD_GROUND_PLANE_KEY", "has_world", "level_from_world", "pelvis_joint", "reframe_take",
           "take_in_camera", "take_in_world", "world_from_camera_of", "world_up_of", "WorldGrounding",
           "ground_world_take", "world_floor_plane"]
