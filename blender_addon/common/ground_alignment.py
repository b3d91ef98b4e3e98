"""The ground plane between the fused file's camera frame and Blender's world, and the floor alignment. bpy-free.

A plane is a (4,) row ``(n, d)`` with ``n . x + d = 0`` and ``n`` a unit normal pointing up (``core.grounding``).
Planes map between frames by the transpose of the point map: for points ``x_world = M x_cam`` (homogeneous,
(4, 4)), ``plane_cam = M^T plane_world`` (then rescaled to a unit normal).

The take's camera frame reaches Blender's world through the armature object:
``M = armature.matrix_world @ C4`` with ``C4`` the homogeneous ``axes.CAMERA_TO_BLENDER`` (C = Rx(-90 deg)); in
the default import the armature's matrix is the identity, so ``M = C4``.

World alignment (:func:`floor_alignment`): one rigid transform ``W`` that puts the plane at Blender's z = 0 with
its normal on +Z. Its rotation is the smallest one taking the Blender-frame normal onto +Z (the camera keeps its
heading), its translation is along Z only (the camera stays above the origin, at its height over the floor).
Applied to a parent of both the rig and the camera, it moves the whole take rigidly: the camera sees the avatar
exactly as before.
"""
from __future__ import annotations

import numpy as np

from ..core.rotations import axis_angle_to_matrix
from .axes import CAMERA_TO_BLENDER

#: (4, 4) homogeneous ``CAMERA_TO_BLENDER``.
CAMERA_TO_BLENDER_4: np.ndarray = np.block([[CAMERA_TO_BLENDER, np.zeros((3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]])


def _unit_plane(plane: np.ndarray) -> np.ndarray:
    p = np.asarray(plane, dtype=np.float64).reshape(4)
    norm = float(np.linalg.norm(p[:3]))
    if not np.isfinite(p).all() or norm < 1e-12:
        raise ValueError("a plane needs a finite, non-zero normal")
    return p / norm


def camera_to_world(object_world: np.ndarray) -> np.ndarray:
    """(4, 4) map of camera-frame points to Blender world points for an armature at ``object_world`` (4, 4)."""
    return np.asarray(object_world, dtype=np.float64) @ CAMERA_TO_BLENDER_4


def plane_to_world(plane_cam: np.ndarray, object_world: np.ndarray) -> np.ndarray:
    """(4,) camera-frame plane -> (4,) Blender-world plane (unit normal, still pointing up)."""
    return _unit_plane(np.linalg.inv(camera_to_world(object_world)).T @ _unit_plane(plane_cam))


def plane_from_world(plane_world: np.ndarray, object_world: np.ndarray) -> np.ndarray:
    """(4,) Blender-world plane -> (4,) camera-frame plane (the inverse of :func:`plane_to_world`)."""
    return _unit_plane(camera_to_world(object_world).T @ _unit_plane(plane_world))


def rotation_onto_z(direction: np.ndarray) -> np.ndarray:
    """(3, 3) the smallest rotation taking the unit vector ``direction`` (3,) onto +Z."""
    v = np.asarray(direction, dtype=np.float64) / np.linalg.norm(direction)
    axis = np.cross(v, [0.0, 0.0, 1.0])
    sin, cos = float(np.linalg.norm(axis)), float(v[2])
    if sin < 1e-12:
        return np.eye(3) if cos > 0 else np.diag([1.0, -1.0, -1.0])  # already up, or upside down: half-turn about X
    return axis_angle_to_matrix(axis / sin * np.arctan2(sin, cos))


def floor_alignment(plane_cam: np.ndarray) -> np.ndarray:
    """(4, 4) rigid ``W`` taking the default import's Blender world to one where ``plane_cam`` (4,) is z = 0, +Z up.

    ``W`` rotates the plane's Blender-frame normal onto +Z (smallest rotation) and lifts by the plane's offset, so a
    point at signed height h above the floor ends at z = h.
    """
    plane = plane_to_world(plane_cam, np.eye(4))
    out = np.eye(4)
    out[:3, :3] = rotation_onto_z(plane[:3])
    out[2, 3] = plane[3]
    return out


def plane_object_matrix(plane_world: np.ndarray, anchor_world: np.ndarray) -> np.ndarray:
    """(4, 4) matrix of a plane object lying on ``plane_world`` (4,): local +Z on the normal, local X as close to
    world X as the plane allows, origin at ``anchor_world`` (3,) dropped onto the plane."""
    plane = _unit_plane(plane_world)
    normal = plane[:3]
    anchor = np.asarray(anchor_world, dtype=np.float64)
    origin = anchor - (normal @ anchor + plane[3]) * normal
    x_axis = np.array([1.0, 0.0, 0.0]) - normal[0] * normal
    if np.linalg.norm(x_axis) < 1e-6:
        x_axis = np.array([0.0, 1.0, 0.0]) - normal[1] * normal
    x_axis /= np.linalg.norm(x_axis)
    out = np.eye(4)
    out[:3, 0], out[:3, 1], out[:3, 2], out[:3, 3] = x_axis, np.cross(normal, x_axis), normal, origin
    return out


def plane_of_object_matrix(matrix_world: np.ndarray) -> np.ndarray:
    """(4,) Blender-world plane of a plane object at ``matrix_world`` (4, 4): its local z = 0, normal on local +Z."""
    m = np.asarray(matrix_world, dtype=np.float64)
    normal = np.linalg.inv(m[:3, :3]).T @ np.array([0.0, 0.0, 1.0])  # normals follow the inverse transpose
    normal /= np.linalg.norm(normal)
    return np.concatenate([normal, [-float(normal @ m[:3, 3])]])


__all__ = ["CAMERA_TO_BLENDER_4", "camera_to_world", "plane_to_world", "plane_from_world", "rotation_onto_z",
           "floor_alignment", "plane_object_matrix", "plane_of_object_matrix"]
