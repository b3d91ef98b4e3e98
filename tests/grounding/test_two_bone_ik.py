"""Leg IK: the ankle lands exactly on its target, the knee bends forward, the foot keeps its orientation; checked
with the smplx package's own forward pass (an implementation independent of core's numpy chains)."""
from __future__ import annotations

import numpy as np

from core.body.posing import pose_skeleton
from core.body.smplx_forward import smplx_forward
from core.grounding.foot_points import ANKLE, HIP, KNEE
from core.grounding.two_bone_ik import leg_ik, shortest_arc
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle


def _smplx_joints(model_path, seq):
    return smplx_forward(model_path, seq, num_betas=10, num_expression=10)[0]


def _solve_to(seq, model, targets, foot_rot):
    """Run leg_ik for both legs of ``seq`` towards ``targets`` (T, 2, 3); returns the new take and results."""
    skel = pose_skeleton(seq, model)
    rest = skel.rest_joints
    out = seq.__class__(**{**seq.__dict__})
    body = seq.body_pose.copy()
    results = []
    for f in range(2):
        res = leg_ik(skel.global_rot[:, 0], skel.local_rot[:, HIP[f]], skel.local_rot[:, KNEE[f]],
                     skel.joints[:, HIP[f]], rest[:, KNEE[f]] - rest[:, HIP[f]], rest[:, ANKLE[f]] - rest[:, KNEE[f]],
                     targets[:, f], foot_rot[:, f])
        body[:, HIP[f] - 1] = matrix_to_axis_angle(res.hip_local)
        body[:, KNEE[f] - 1] = matrix_to_axis_angle(res.knee_local)
        body[:, ANKLE[f] - 1] = matrix_to_axis_angle(res.ankle_local)
        results.append(res)
    out.body_pose = body
    return out, skel, results


def test_ankle_lands_on_target_and_knee_bends_forward(mannequin, model_path, grounding_takes):
    seq = grounding_takes["walking"].estimate
    model = mannequin
    skel = pose_skeleton(seq, model)
    rng = np.random.default_rng(3)
    t = seq.num_frames
    # targets: each ankle moved by up to 6 cm in a random direction (within reach on this take)
    targets = skel.joints[:, ANKLE] + rng.uniform(-0.06, 0.06, (t, 2, 3))
    rest = skel.rest_joints
    reach = 0.97 * (np.linalg.norm(rest[:, KNEE] - rest[:, HIP], axis=-1)
                    + np.linalg.norm(rest[:, ANKLE] - rest[:, KNEE], axis=-1))  # (T, 2)
    leg = targets - skel.joints[:, HIP]
    length = np.linalg.norm(leg, axis=-1)
    targets = skel.joints[:, HIP] + leg * np.minimum(1.0, reach / length)[..., None]
    foot_rot = skel.global_rot[:, ANKLE] @ axis_angle_to_matrix(rng.normal(0, 0.1, (t, 2, 3)))
    new, _, results = _solve_to(seq, model, targets, foot_rot)
    assert all(r.reached.all() for r in results)
    joints = _smplx_joints(model_path, new)
    np.testing.assert_allclose(joints[:, ANKLE], targets, atol=1e-6)
    # the foot has the requested orientation (core FK of the new pose)
    new_skel = pose_skeleton(new, model)
    np.testing.assert_allclose(new_skel.global_rot[:, ANKLE], foot_rot, atol=1e-6)
    # the knee bends the anatomical way: forward of the hip-ankle line, along the pelvis' forward axis
    forward = new_skel.global_rot[:, 0][:, :, 2]  # (T, 3) the body's facing direction
    for f in range(2):
        hip, knee, ankle = joints[:, HIP[f]], joints[:, KNEE[f]], joints[:, ANKLE[f]]
        axis = (ankle - hip) / np.linalg.norm(ankle - hip, axis=1, keepdims=True)
        off_line = (knee - hip) - np.einsum("tc,tc->t", knee - hip, axis)[:, None] * axis
        assert (np.einsum("tc,tc->t", off_line, forward) > 0).all()
        assert (results[f].knee_flexion > 0).all()


def test_straight_leg_bends_forward_not_backward(mannequin, model_path, grounding_takes):
    """A straight leg asked to shorten has two mirror solutions; the knee must come out in front."""
    seq = grounding_takes["walking"].truth.sequence
    t = seq.num_frames
    straight = seq.__class__(**{**seq.__dict__})
    body = seq.body_pose.copy()
    for f in range(2):
        body[:, HIP[f] - 1] = 0.0
        body[:, KNEE[f] - 1] = 0.0
        body[:, ANKLE[f] - 1] = 0.0
    straight.body_pose = body
    skel = pose_skeleton(straight, mannequin)
    up = skel.joints[:, 0] - skel.joints[:, ANKLE[0]]
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    targets = skel.joints[:, ANKLE] + 0.1 * up[:, None]  # 10 cm shorter
    new, _, results = _solve_to(straight, mannequin, targets, skel.global_rot[:, ANKLE])
    joints = _smplx_joints(model_path, new)
    np.testing.assert_allclose(joints[:, ANKLE], targets, atol=1e-6)
    forward = skel.global_rot[:, 0][:, :, 2]
    knee_forward = np.einsum("tc,tc->t", joints[:, KNEE[0]] - skel.joints[:, KNEE[0]], forward)
    assert (knee_forward > 0.01).all()
    assert np.allclose(new.global_orient, seq.global_orient) and t == new.num_frames


def test_unreachable_target_points_the_leg_and_reports():
    """Far targets: not reached, but the leg points straight at them."""
    t = 4
    eye = np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
    thigh, shin = np.array([0.0, -0.4, 0.0]), np.array([0.0, -0.4, 0.0])
    hip = np.zeros((t, 3))
    target = np.array([[0.0, -2.0, 0.0], [0.3, -1.0, 0.2], [0.0, -0.9, 0.0], [1.0, 0.0, 0.0]])
    res = leg_ik(eye, eye, eye, hip, thigh, shin, target, eye)
    assert not res.reached.any()
    g = res.hip_local @ res.knee_local
    ankle = hip + np.einsum("tab,b->ta", res.hip_local, thigh) + np.einsum("tab,b->ta", g, shin)
    direction = target / np.linalg.norm(target, axis=1, keepdims=True)
    np.testing.assert_allclose(ankle / np.linalg.norm(ankle, axis=1, keepdims=True), direction, atol=1e-6)


def test_shortest_arc_against_scipy():
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    r = shortest_arc(a, b)
    ref, _ = zip(*[Rotation.align_vectors(b[i:i + 1], a[i:i + 1]) for i in range(50)])
    np.testing.assert_allclose(r, np.stack([x.as_matrix() for x in ref]), atol=1e-9)
