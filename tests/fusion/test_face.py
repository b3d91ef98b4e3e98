"""Face conventions: the jaw slice of EMOCA's posecode, the three expression routes, and the head orientation."""
from __future__ import annotations

import numpy as np
import pytest

from core.body import chains
from core.body.skeleton import NUM_JOINTS
from core.fusion import face as F
from core.rotations import axis_angle_to_matrix


@pytest.fixture(scope="session")
def builtin_model_path(tmp_path_factory):
    from core.body.builtin import ensure_builtin_model

    return ensure_builtin_model("neutral", tmp_path_factory.getbasetemp() / "fusion_builtin", kind="mannequin")


@pytest.fixture(scope="session")
def body_model(builtin_model_path):
    from core.body.model import load_body_model

    return load_body_model(builtin_model_path)


def test_jaw_is_the_second_half_of_posecode():
    glob = np.array([[0.1, -0.2, 0.05], [0.0, 0.3, 0.0]])
    jaw = np.array([[0.25, 0.01, -0.02], [0.4, 0.0, 0.0]])
    posecode = np.concatenate([glob, jaw], axis=1)  # EMOCA: [global 3, jaw 3]
    g, j = F.split_posecode(posecode)
    assert np.array_equal(j, jaw) and np.array_equal(g, glob)
    assert np.array_equal(F.emoca_jaw_to_smplx(j), jaw)
    assert not np.allclose(F.emoca_jaw_to_smplx(posecode[:, 0:3]), jaw)  # the other half is not the jaw
    with pytest.raises(ValueError):
        F.split_posecode(np.zeros((2, 3)))


def test_direct_route_copies_fifty_into_the_2020_model():
    rng = np.random.default_rng(0)
    flame = rng.standard_normal((5, 50))
    tr = F.choose_expression_transfer("auto", "smplx-2020", 100)
    assert tr.route == "direct"
    out = tr.apply(flame)
    assert out.shape == (5, 100) and np.array_equal(out[:, :50], flame) and not out[:, 50:].any()
    with pytest.raises(ValueError):
        F.choose_expression_transfer("direct", "smplx-v1.1", 10)


def test_truncation_route_for_v11_is_recorded():
    rng = np.random.default_rng(1)
    flame = rng.standard_normal((5, 50))
    tr = F.choose_expression_transfer("auto", "smplx-v1.1", 10)
    assert tr.route == "truncate" and "first 10" in tr.note
    assert np.array_equal(tr.apply(flame), flame[:, :10])
    with pytest.raises(ValueError):
        F.choose_expression_transfer("least_squares", "smplx-v1.1", 10)
    with pytest.raises(ValueError):
        F.choose_expression_transfer("learned", "smplx-v1.1", 10)


def test_least_squares_route_recovers_a_known_linear_map(body_model):
    """FLAME dirs built as SMPL-X dirs (at the corresponding vertices) times a known map A: the closed form gets A
    back, and the transferred expression reproduces the FLAME face vertices."""
    rng = np.random.default_rng(2)
    s = body_model.expression_dirs  # (V, 3, 10)
    ids = rng.choice(body_model.num_vertices, size=F.FLAME_NUM_VERTICES, replace=False)
    a_true = rng.standard_normal((10, 50))
    flame_dirs = np.einsum("vce,en->vcn", s[ids], a_true)
    tr = F.choose_expression_transfer("auto", body_model.variant, 10, s, flame_dirs, ids)
    assert tr.route == "least_squares" and tr.fit_residual < 1e-10
    assert np.allclose(tr.matrix, a_true, atol=1e-8)
    flame = rng.standard_normal((4, 50))
    face_flame = np.einsum("vcn,tn->tvc", flame_dirs, flame)
    face_smplx = np.einsum("vce,te->tvc", s[ids], tr.apply(flame))
    assert np.allclose(face_smplx, face_flame, atol=1e-10)
    # truncation on the same data is a worse fit
    trunc = np.einsum("vce,te->tvc", s[ids], F.truncate_transfer(10).apply(flame))
    assert np.abs(trunc - face_flame).max() > 1e-3
    # Tikhonov shrinks the map
    ridge = F.least_squares_transfer(flame_dirs, s, ids, tikhonov=1.0)
    assert np.linalg.norm(ridge.matrix) < np.linalg.norm(tr.matrix)
    with pytest.raises(ValueError):
        F.least_squares_transfer(flame_dirs, s, ids[:-1])


def test_flame_head_pose_becomes_the_local_head_rotation():
    """An upright person facing the camera (SMPL-X global_orient = pi about x in OpenCV) with a frontal face (EMOCA
    global pose = identity in its y-up frame) has an identity local head rotation. The y/z flip is needed; without it
    the head turns 180 degrees."""
    t = 3
    pose = np.zeros((t, NUM_JOINTS, 3))
    pose[:, 0] = [np.pi, 0, 0]
    local = axis_angle_to_matrix(pose)
    neck_g = chains.parent_global_rotmat(local, 15)
    frontal = np.broadcast_to(np.eye(3), (t, 3, 3))
    head = F.head_global_to_local(neck_g, F.flame_global_to_camera(frontal, "flame"))
    assert np.allclose(head, np.eye(3), atol=1e-12)
    unflipped = F.head_global_to_local(neck_g, F.flame_global_to_camera(frontal, "camera"))
    assert np.allclose(np.trace(unflipped, axis1=1, axis2=2), -1.0)  # a half turn
    # a nodding, turning body: the head's local rotation comes back exactly from its camera-frame rotation
    rng = np.random.default_rng(3)
    pose = 0.4 * rng.standard_normal((t, NUM_JOINTS, 3))
    pose[:, 0] += [np.pi, 0, 0]
    local = axis_angle_to_matrix(pose)
    glob = chains.global_rotmats(local)
    flame_global = F.FLAME_TO_OPENCV.T @ glob[:, 15]  # what EMOCA would report, in its y-up frame
    back = F.head_global_to_local(chains.parent_global_rotmat(local, 15),
                                  F.flame_global_to_camera(flame_global, "flame"))
    assert np.allclose(back, local[:, 15], atol=1e-12)
    wrong_chain = F.head_global_to_local(chains.chain_product(local, chains.chain_to(15)), glob[:, 15])
    assert not np.allclose(wrong_chain, local[:, 15], atol=1e-3)
    with pytest.raises(ValueError):
        F.flame_global_to_camera(frontal, "opengl")
