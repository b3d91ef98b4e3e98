"""Rigid transforms, root poses between frames about the pelvis, and DPVO's pose order, against independent
implementations (the smplx forward pass, scipy's Rotation)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation
from world_writers import camera_body, random_rigid

from core.body.smplx_forward import smplx_forward
from core.contracts.fused_file import FusedSequence
from core.io.world.camera_trajectory import (
    camera_from_root_poses,
    dpvo_to_world_from_camera,
    invert_rigid,
    is_rigid,
    reframe_root,
    rotation_error_deg,
)
from core.io.world.pelvis import pelvis_rest
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle


def _seq(body: dict) -> FusedSequence:
    n = body["global_orient"].shape[0]
    z = np.zeros((n, 3))
    return FusedSequence(fps=30.0, gender="neutral", model_variant="smplx-v1.1", betas=body["betas"][0],
                         expression=np.zeros((n, 10)), global_orient=body["global_orient"],
                         body_pose=body["body_pose"], jaw_pose=z, leye_pose=z, reye_pose=z,
                         left_hand_pose=np.zeros((n, 15, 3)), right_hand_pose=np.zeros((n, 15, 3)),
                         transl=body["transl"], camera_K=np.eye(3), image_size=np.array([1280.0, 720.0]),
                         part_confidence=np.ones((n, 3)), valid=np.ones(n, bool))


def test_reframe_root_moves_the_whole_mesh_rigidly(model_path, world_model):
    rng = np.random.default_rng(0)
    body = camera_body(rng, 4)
    new_from_old = random_rigid(rng, 4)
    j0 = pelvis_rest(world_model, body["betas"])
    rot, transl = reframe_root(axis_angle_to_matrix(body["global_orient"]), body["transl"], j0, new_from_old)
    _, verts_old = smplx_forward(model_path, _seq(body))
    moved = replace(_seq(body), global_orient=matrix_to_axis_angle(rot), transl=transl)
    _, verts_new = smplx_forward(model_path, moved)
    expected = np.einsum("tij,tvj->tvi", new_from_old[:, :3, :3], verts_old) + new_from_old[:, None, :3, 3]
    np.testing.assert_allclose(verts_new, expected, atol=1e-7)  # axis-angle round trips: ~1e-8 m
    # turning about the origin instead of the pelvis is wrong by (I - Q) J0: centimetres
    rot0, transl0 = reframe_root(axis_angle_to_matrix(body["global_orient"]), body["transl"], np.zeros(3),
                                 new_from_old)
    assert np.abs(transl0 - transl).max() > 0.02


def test_camera_from_root_poses_inverts_reframe(world_model):
    rng = np.random.default_rng(1)
    body = camera_body(rng, 6)
    world_from_camera = random_rigid(rng, 6)
    j0 = pelvis_rest(world_model, body["betas"])
    r_cam = axis_angle_to_matrix(body["global_orient"])
    r_w, t_w = reframe_root(r_cam, body["transl"], j0, world_from_camera)
    got = camera_from_root_poses(r_w, t_w, r_cam, body["transl"], j0)
    np.testing.assert_allclose(got, world_from_camera, atol=1e-12)
    np.testing.assert_allclose(invert_rigid(got) @ got, np.broadcast_to(np.eye(4), got.shape), atol=1e-12)
    assert is_rigid(got).all()


def test_dpvo_order_is_translation_then_xyzw_camera_to_world():
    quarter_turn_z = Rotation.from_rotvec([0.0, 0.0, np.pi / 2])
    traj = np.array([[1.0, 2.0, 3.0, *quarter_turn_z.as_quat()]])  # scipy writes x, y, z, w
    pose = dpvo_to_world_from_camera(traj)[0]
    np.testing.assert_allclose(pose[:3, 3], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(pose[:3, :3] @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-12)  # x -> y
    flipped = dpvo_to_world_from_camera(np.array([[1.0, 2.0, 3.0, *np.roll(quarter_turn_z.as_quat(), 1)]]))[0]
    assert rotation_error_deg(flipped[:3, :3], pose[:3, :3]) > 1.0  # w-first would be a different rotation


def test_rotation_error_is_accurate_near_zero():
    a = axis_angle_to_matrix(np.array([[0.0, 0.0, 0.0]]))
    b = axis_angle_to_matrix(np.array([[0.0, np.radians(1e-5), 0.0]]))
    np.testing.assert_allclose(rotation_error_deg(a, b), [1e-5], rtol=1e-3)
