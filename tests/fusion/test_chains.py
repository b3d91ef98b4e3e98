"""Kinematic chains: chain constants, global rotations and joint positions against smplx's own kinematics."""
from __future__ import annotations

import numpy as np
import pytest

from core.body import chains
from core.body.skeleton import HEAD_CHAIN, LEFT_WRIST_CHAIN, NUM_JOINTS, PARENTS, RIGHT_WRIST_CHAIN
from core.rotations import axis_angle_to_matrix


@pytest.fixture(scope="session")
def builtin_model_path(tmp_path_factory):
    from core.body.builtin import ensure_builtin_model

    return ensure_builtin_model("neutral", tmp_path_factory.getbasetemp() / "fusion_builtin", kind="mannequin")


def _random_full_pose(rng, t, scale=0.5):
    pose = scale * rng.standard_normal((t, NUM_JOINTS, 3))
    pose[:, 0] = [np.pi, 0.0, 0.0] + 0.3 * rng.standard_normal((t, 3))  # upright in the OpenCV camera
    return pose


def test_chains_match_the_design_constants():
    assert chains.chain_to(20) == LEFT_WRIST_CHAIN == (0, 3, 6, 9, 13, 16, 18, 20)
    assert chains.chain_to(21) == RIGHT_WRIST_CHAIN == (0, 3, 6, 9, 14, 17, 19, 21)
    assert chains.chain_to(15) == HEAD_CHAIN
    assert chains.ancestors(20) == (0, 3, 6, 9, 13, 16, 18)  # stops at the elbow
    assert chains.ancestors(15) == (0, 3, 6, 9, 12)  # stops at the neck
    assert list(chains.closure([20])) == sorted(LEFT_WRIST_CHAIN)


def test_global_rotations_compose_parent_then_child():
    rng = np.random.default_rng(0)
    pose = _random_full_pose(rng, 7)
    local = axis_angle_to_matrix(pose)
    glob = chains.global_rotmats(local)
    for j in range(1, NUM_JOINTS):  # reference: one joint, one frame at a time
        assert np.allclose(glob[:, j], glob[:, PARENTS[j]] @ local[:, j])
    elbow = chains.parent_global_rotmat(local, 20)
    assert np.allclose(elbow, glob[:, 18])
    assert np.allclose(chains.chain_product(local, LEFT_WRIST_CHAIN), glob[:, 20])
    # a subset computes the same values, and leaves what it did not need undefined
    sub = chains.full_pose_to_global_rotmats(pose, joints=[21])
    assert np.allclose(sub[:, 21], glob[:, 21]) and np.isnan(sub[:, 20]).all()
    # local <-> global round trip
    assert np.allclose(chains.global_to_local(glob[:, 18], glob[:, 20]), local[:, 20])
    assert np.allclose(chains.local_to_global(glob[:, 18], local[:, 20]), glob[:, 20])


def test_kinematics_match_smplx(builtin_model_path):
    """Global rotations against ``smplx.lbs.batch_rigid_transform``; positions (+ transl) against the smplx forward
    pass on the built-in model, with shape and expression that move the joints."""
    import smplx
    import torch
    from smplx.lbs import batch_rigid_transform

    from core.body.model import load_body_model

    rng = np.random.default_rng(1)
    t = 4
    model = load_body_model(builtin_model_path)
    pose = _random_full_pose(rng, t)
    betas = rng.standard_normal((t, 10))
    expr = rng.standard_normal((t, 10))
    transl = rng.standard_normal((t, 3))
    rest = model.rest_joints(betas, expr)  # (T, 55, 3)
    local = axis_angle_to_matrix(pose)

    # smplx's rigid transform chain: the rotation block of each transform is the joint's global rotation
    _, rel = batch_rigid_transform(torch.tensor(local), torch.tensor(rest), torch.tensor(PARENTS), dtype=torch.float64)
    ref_glob = rel[:, :, :3, :3].numpy()
    glob, pos = chains.forward_kinematics(local, rest)
    assert np.allclose(glob, ref_glob, atol=1e-10)

    layer = smplx.SMPLX(str(builtin_model_path), use_pca=False, flat_hand_mean=True, num_betas=10,
                        num_expression_coeffs=10, batch_size=t).double()

    def tt(a):
        return torch.tensor(np.ascontiguousarray(a).reshape(t, -1), dtype=torch.float64)

    with torch.no_grad():
        out = layer(betas=tt(betas), expression=tt(expr), global_orient=tt(pose[:, 0]), body_pose=tt(pose[:, 1:22]),
                    jaw_pose=tt(pose[:, 22]), leye_pose=tt(pose[:, 23]), reye_pose=tt(pose[:, 24]),
                    left_hand_pose=tt(pose[:, 25:40]), right_hand_pose=tt(pose[:, 40:55]), transl=tt(transl))
    ref_joints = out.joints[:, :NUM_JOINTS].numpy()
    assert np.allclose(pos + transl[:, None], ref_joints, atol=1e-6)

    # the subset version (dict of per-joint arrays) agrees on the wrists and the head
    sub_g, sub_p = chains.forward_kinematics_subset({j: local[:, j] for j in range(NUM_JOINTS)}, rest, [20, 21, 15])
    for j in (20, 21, 15, 18):
        assert np.allclose(sub_g[j], ref_glob[:, j], atol=1e-10)
        assert np.allclose(sub_p[j] + transl, ref_joints[:, j], atol=1e-6)
