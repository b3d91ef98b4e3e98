"""Grounding a world-grounded take in its world: a level floor normal to the known up axis, then back to the camera.

With a moving camera the floor is no single plane in the camera frame, so a schema-1.1 take is grounded in its
world (:func:`core.world.frames.take_in_world`) with ``known_up = world_up`` (:mod:`core.grounding.known_up`: the
floor's normal is gravity, only its height is fitted, and the estimate's slow height drift is taken out before the
feet are locked), then brought back to the camera frame (:func:`core.world.frames.take_in_camera`, exact). The
floor is written as the extra ``world_ground_plane`` (4,) ``(n, d)`` in the world frame (n = ``world_up``), and the
camera-frame ``ground_plane`` is not written (it would hold for one camera pose only). A ``world_ground_plane``
already in the file is used as the floor, as ``ground_plane`` is for a camera-frame take.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..body.model import BodyModel
from ..contracts.fused_file import FusedSequence
from ..errors import FusionError
from ..grounding.pipeline import GROUND_PLANE_KEY, GroundingParams, GroundingResult, ground_sequence
from ..grounding.plane import GroundPlane
from .frames import (
    WORLD_GROUND_PLANE_KEY,
    has_world,
    take_in_camera,
    take_in_world,
    world_from_camera_of,
    world_up_of,
)

__all__ = ["WorldGrounding", "world_floor_plane", "ground_world_take"]


@dataclass
class WorldGrounding:
    """A world take grounded.

    Attributes:
        sequence: the grounded take, camera frame, with ``world_ground_plane`` (when a floor was found).
        world_result: :class:`core.grounding.GroundingResult` of the world-frame take (its plane is the world's).
    """

    sequence: FusedSequence
    world_result: GroundingResult


def world_floor_plane(seq: FusedSequence) -> Optional[GroundPlane]:
    """The file's ``world_ground_plane`` (4,) as a :class:`GroundPlane`, or None. Raises FusionError on a bad one."""
    if WORLD_GROUND_PLANE_KEY not in seq.extras:
        return None
    plane = np.asarray(seq.extras[WORLD_GROUND_PLANE_KEY], dtype=np.float64)
    if plane.shape != (4,) or not np.isfinite(plane).all() or np.linalg.norm(plane[:3]) < 1e-9:
        raise FusionError(f"expected a finite (4,) plane with a non-zero normal, found shape {plane.shape}",
                          field=WORLD_GROUND_PLANE_KEY)
    return GroundPlane.from_array(plane)


def ground_world_take(seq: FusedSequence, model: BodyModel, mode: str = "auto",
                      params: Optional[GroundingParams] = None) -> WorldGrounding:
    """Ground a schema-1.1 take in its world frame with the known up axis, and return it in the camera frame.

    Args:
        seq: a take with ``world_from_camera`` (camera frame, as every fused file).
        model: its body model.
        mode: ``auto``, ``always`` or ``never`` (:func:`core.grounding.ground_sequence`).
        params: grounding settings (default :class:`GroundingParams`).
    Returns:
        :class:`WorldGrounding`; with no floor found (or mode ``never``) the take comes back unchanged.
    """
    if not has_world(seq):
        raise FusionError("ground_world_take needs a take with world_from_camera", field="world_from_camera")
    world_from_camera = world_from_camera_of(seq)
    up = world_up_of(seq)
    world = take_in_world(seq, model)
    result = ground_sequence(world, model, mode, plane=world_floor_plane(seq), params=params or GroundingParams(),
                             known_up=up)
    if result.estimate is None or result.estimate.plane is None:
        return WorldGrounding(seq, result)
    out = take_in_camera(result.sequence, world_from_camera, model, up)
    world_plane = np.asarray(out.extras.pop(GROUND_PLANE_KEY), dtype=np.float64)
    out.extras[WORLD_GROUND_PLANE_KEY] = world_plane
    if GROUND_PLANE_KEY in seq.extras:  # a camera-frame floor from an earlier grounding no longer applies
        out.extras.pop(GROUND_PLANE_KEY, None)
    try:
        provenance = json.loads(out.provenance)
    except ValueError:
        provenance = {}
    if isinstance(provenance, dict) and isinstance(provenance.get("grounding"), dict):
        provenance["grounding"]["frame"] = ("world (world_from_camera), known up axis "
                                            f"{[round(float(v), 6) for v in up]}; the floor is world_ground_plane")
        out.provenance = json.dumps(provenance, default=str)
    return WorldGrounding(out, result)
