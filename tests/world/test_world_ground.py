"""Grounding a world take in its world (core/world/ground.py): a drifting walk filmed by a moving camera."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from core.body.posing import EXTRA_JOINT_ORDER
from core.body.rigid_frames import reframe_take
from core.body.smplx_forward import smplx_forward
from core.demo_data.moving_grounding import film_with_moving_camera
from core.grounding import GroundPlane, ground_sequence
from core.grounding.command import ground_fused
from core.world import WORLD_GROUND_PLANE_KEY, ground_world_take

FEET = ("LHeel", "LBigToe", "LSmallToe", "RHeel", "RBigToe", "RSmallToe")


def _feet_height(model_path, seq, plane: GroundPlane) -> np.ndarray:
    joints, _ = smplx_forward(model_path, seq, num_betas=10, num_expression=10)
    feet = joints[:, [55 + EXTRA_JOINT_ORDER.index(n) for n in FEET]]
    return plane.signed_distance(feet)


@pytest.fixture(scope="module")
def filmed(walking_take, world_model):
    return film_with_moving_camera(walking_take.estimate, walking_take.truth.plane, world_model)


def test_the_film_keeps_the_body_and_puts_the_floor_at_y0(filmed, walking_take, world_model, model_path):
    """The moving camera sees the same body: back in the static frame it is the estimate again."""
    back = reframe_take(filmed.sequence, filmed.static_from_camera, world_model)
    np.testing.assert_allclose(back.transl, walking_take.estimate.transl, atol=1e-9)
    plane = GroundPlane.from_array(walking_take.truth.plane)
    camera_height = filmed.world_from_static[1, 3]  # the static camera's origin in the world: y = d
    assert camera_height == pytest.approx(plane.offset)
    assert np.abs(filmed.sequence.transl - walking_take.estimate.transl).max() > 0.1  # the camera really moves


def test_world_grounding_matches_static_known_up_grounding(filmed, walking_take, world_model, model_path):
    grounded = ground_world_take(filmed.sequence, world_model, "auto")
    out = grounded.sequence
    assert "ground_plane" not in out.extras and out.extras["foot_contact"].any()
    floor = out.extras[WORLD_GROUND_PLANE_KEY]
    np.testing.assert_allclose(floor[:3], [0.0, 1.0, 0.0], atol=1e-12)  # level: its normal is world_up
    np.testing.assert_array_equal(out.extras["world_from_camera"], filmed.sequence.extras["world_from_camera"])
    # the same grounding as in the static frame with the up axis known: the same contacts and floor, the same
    # body within a millimetre (the leg IK's numerics run in another frame)
    plane = GroundPlane.from_array(walking_take.truth.plane)
    static = ground_sequence(walking_take.estimate, world_model, "auto", known_up=plane.normal)
    assert (static.contact == grounded.world_result.contact).mean() > 0.98
    back = reframe_take(out, filmed.static_from_camera, world_model)
    joints_back, _ = smplx_forward(model_path, back)
    joints_static, _ = smplx_forward(model_path, static.sequence)
    assert np.linalg.norm(joints_back[:, :22] - joints_static[:, :22], axis=-1).mean() < 1e-3
    # against the true floor (y = 0 in the world): the drift is out, the feet are on it within millimetres
    raw = _feet_height(model_path, walking_take.estimate, plane).min()
    ours = _feet_height(model_path, back, plane).min()
    assert raw < -0.02 and ours > -0.006
    assert abs(floor[3]) < 0.01  # the fitted floor is the true one (y = 0) within a centimetre


def test_ground_command_uses_the_world_for_a_world_take(filmed, world_model):
    seq, lines = ground_fused(copy.deepcopy(filmed.sequence), world_model, "auto")
    assert WORLD_GROUND_PLANE_KEY in seq.extras and "ground_plane" not in seq.extras
    assert any("world frame" in line for line in lines)
    plain = copy.deepcopy(filmed.sequence)
    for key in ("world_from_camera", "world_up"):
        plain.extras.pop(key)
    seq2, lines2 = ground_fused(plain, world_model, "auto")  # schema 1: the camera frame, as before
    assert "ground_plane" in seq2.extras and not any("world frame" in line for line in lines2)
