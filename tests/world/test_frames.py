"""A fused take in its world and back (core/world/frames.py), checked with the smplx package's forward pass."""
from __future__ import annotations

import numpy as np
import pytest

from core.body.rigid_frames import invert_rigid, rigid
from core.body.smplx_forward import smplx_forward
from core.demo_data.motion import make_demo_sequence
from core.errors import FusionError
from core.rotations import axis_angle_to_matrix
from core.world import level_from_world, take_in_camera, take_in_world, world_from_camera_of, world_up_of


def _trajectory(t: int) -> np.ndarray:
    """(T, 4, 4) a camera that pans, tilts and dollies in a y-up world, 1.5 m above its origin."""
    s = np.linspace(0.0, 1.0, t)
    rotvec = np.stack([0.1 * np.sin(3 * s), 0.4 * s, 0.05 * np.cos(2 * s)], axis=1)
    flip = np.diag([1.0, -1.0, -1.0])  # OpenCV y down -> y up world, looking along -z
    rot = axis_angle_to_matrix(rotvec) @ flip
    return rigid(rot, np.stack([0.8 * s, 1.5 + 0.1 * s, -0.3 * s], axis=1))


@pytest.fixture()
def world_take():
    seq = make_demo_sequence(num_frames=6)
    seq.extras = dict(seq.extras, world_from_camera=_trajectory(6), world_up=np.array([0.0, 1.0, 0.0]))
    assert np.abs(seq.expression).max() > 0  # J0 moves with the expression: the test covers it
    return seq


def _homogeneous(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    return np.einsum("tij,tkj->tki", transform[:, :3, :3], points) + transform[:, None, :3, 3]


def test_world_copy_is_the_camera_body_moved_by_world_from_camera(world_take, model_path, world_model):
    world = take_in_world(world_take, world_model)
    joints_cam, verts_cam = smplx_forward(model_path, world_take)
    joints_w, verts_w = smplx_forward(model_path, world)
    w = world_from_camera_of(world_take)
    np.testing.assert_allclose(joints_w, _homogeneous(joints_cam, w), atol=1e-6)
    np.testing.assert_allclose(verts_w, _homogeneous(verts_cam, w), atol=1e-6)
    # the convention pinned: the inverse trajectory (world_to_camera read as camera_to_world) is wrong by metres
    assert np.abs(joints_w - _homogeneous(joints_cam, invert_rigid(w))).max() > 0.5
    assert "world_from_camera" not in world.extras and "ground_plane" not in world.extras
    np.testing.assert_array_equal(world.body_pose, world_take.body_pose)


def test_world_and_back_is_exact(world_take, world_model):
    back = take_in_camera(take_in_world(world_take, world_model), world_from_camera_of(world_take), world_model,
                          world_up_of(world_take))
    np.testing.assert_allclose(axis_angle_to_matrix(back.global_orient), axis_angle_to_matrix(world_take.global_orient),
                               atol=1e-10)
    np.testing.assert_allclose(back.transl, world_take.transl, atol=1e-10)
    np.testing.assert_array_equal(back.extras["world_from_camera"], world_take.extras["world_from_camera"])


def test_level_frame_puts_up_on_z_the_floor_at_zero_and_the_first_camera_on_y():
    traj = _trajectory(5)
    for up, turn in ((np.array([0.0, 1.0, 0.0]), np.eye(3)),
                     (np.array([0.0, 0.0, 1.0]), axis_angle_to_matrix(np.array([np.pi / 2, 0.0, 0.0])))):
        w = traj.copy()
        w[:, :3, :3] = turn @ traj[:, :3, :3]  # the same camera in a world whose up is ``up``
        w[:, :3, 3] = traj[:, :3, 3] @ turn.T
        level = level_from_world(w, up, floor_height=0.25)
        np.testing.assert_allclose(level[:3, :3] @ up, [0.0, 0.0, 1.0], atol=1e-12)
        cam0 = level[:3, :3] @ w[0, :3, 3] + level[:3, 3]
        np.testing.assert_allclose(cam0, [0.0, 0.0, 1.5 - 0.25], atol=1e-12)  # above the origin, over the floor
        view = level[:3, :3] @ w[0, :3, 2]  # the first camera's +z (OpenCV forward)
        assert view[1] > 0.9 and abs(view[0]) < 1e-12  # looks along +Y, as a plain import's camera
        floor_point = 0.25 * up + np.array([3.0, -2.0, 7.0]) - (np.array([3.0, -2.0, 7.0]) @ up) * up
        assert abs((level[:3, :3] @ floor_point + level[:3, 3])[2]) < 1e-12


def test_a_take_without_world_is_refused(world_model):
    with pytest.raises(FusionError, match="world_from_camera"):
        take_in_world(make_demo_sequence(num_frames=3), world_model)
