"""A static-camera take on a known floor, filmed again by a moving camera in a y-up world (schema 1.1).

The grounding bench's takes (:mod:`.grounding_takes`) are seen by one fixed camera above a known floor
``n . x + d = 0``. This module puts that camera's frame (the *static* frame) in a gravity-aligned world, y up and the
floor at y = 0 (``world_from_static``: the floor normal onto +y, the floor's height onto 0), and films the take
with a camera that pans about the up axis and dollies sideways and forwards (``static_from_camera`` per frame). The
result is what a world-grounded estimator would give for that take: the body in each frame's camera frame plus
``world_from_camera`` and ``world_up``, with the true floor known exactly (y = 0). Every pose is moved about the
pelvis J0 (:func:`core.body.rigid_frames.reframe_take`), so the body is the same rigid body in every frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.model import BodyModel
from ..body.rigid_frames import invert_rigid, reframe_take, rigid
from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix

__all__ = ["MovingFilm", "world_from_static_frame", "film_with_moving_camera"]

Y_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class MovingFilm:
    """A take filmed by the moving camera.

    Attributes:
        sequence: the camera-frame take with ``world_from_camera`` (T, 4, 4) and ``world_up`` (+y).
        static_from_camera: (T, 4, 4) each camera pose in the original static camera's frame.
        world_from_static: (4, 4) the static frame in the y-up world (the true floor at y = 0).
    """

    sequence: FusedSequence
    static_from_camera: np.ndarray
    world_from_static: np.ndarray


def world_from_static_frame(floor_static: np.ndarray) -> np.ndarray:
    """(4, 4) the static frame in a y-up world where the floor ``floor_static`` (4,) ``(n, d)`` is y = 0: rows
    (x, y, z) of the rotation are (n x z_s, n, x_s x n) made orthonormal, the translation puts the floor at 0."""
    plane = np.asarray(floor_static, dtype=np.float64).reshape(4)
    scale = float(np.linalg.norm(plane[:3]))
    normal, offset = plane[:3] / scale, plane[3] / scale
    forward = np.array([0.0, 0.0, 1.0]) - normal[2] * normal  # the static camera's view, levelled
    forward /= np.linalg.norm(forward)
    rot = np.stack([np.cross(normal, forward), normal, forward])
    return rigid(rot, np.array([0.0, offset, 0.0]))


def film_with_moving_camera(seq_static: FusedSequence, floor_static: np.ndarray, model: BodyModel,
                            pan_deg: float = 20.0, dolly_m: float = 0.6) -> MovingFilm:
    """``seq_static`` (its camera fixed; the floor ``floor_static`` (4,) in its frame) filmed by a moving camera.

    The camera pans ``pan_deg`` back and forth about the floor normal and dollies ``dolly_m`` sideways and half of
    it forwards (sines of different periods over the take), starting at the static camera's pose.
    """
    t = np.linspace(0.0, 1.0, seq_static.num_frames)
    world_from_static = world_from_static_frame(floor_static)
    normal_static = world_from_static[1, :3]  # the world's up in the static frame
    side = world_from_static[0, :3]
    forward = world_from_static[2, :3]
    pan = np.radians(pan_deg) * np.sin(2.0 * np.pi * 0.8 * t)
    rot = axis_angle_to_matrix(pan[:, None] * normal_static[None])
    pos = dolly_m * (np.sin(2.0 * np.pi * t)[:, None] * side + 0.5 * (1.0 - np.cos(np.pi * t))[:, None] * forward)
    static_from_camera = rigid(rot, pos)
    seq = reframe_take(seq_static, invert_rigid(static_from_camera), model)
    seq.extras.pop("ground_plane", None)  # the static floor holds for the static camera only
    seq.extras["world_from_camera"] = world_from_static[None] @ static_from_camera
    seq.extras["world_up"] = Y_UP.copy()
    return MovingFilm(seq, static_from_camera, world_from_static)
