"""Round trips of core.rotations against scipy's Rotation (the independent implementation)."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core import rotations


@pytest.fixture
def rotvecs() -> np.ndarray:
    rng = np.random.default_rng(0)
    r = Rotation.random(500, random_state=1).as_rotvec()
    # include exact identity, tiny angles and angles near pi
    extra = np.array([[0, 0, 0], [1e-10, 0, 0], [0, 1e-7, 2e-7], [np.pi - 1e-9, 0, 0], [0, 0, -np.pi + 1e-6]])
    return np.concatenate([r, extra, rng.normal(scale=0.05, size=(20, 3))]).reshape(5, -1, 3)


def test_axis_angle_to_matrix_matches_scipy(rotvecs):
    ours = rotations.axis_angle_to_matrix(rotvecs)
    ref = Rotation.from_rotvec(rotvecs.reshape(-1, 3)).as_matrix().reshape(ours.shape)
    assert ours.shape == rotvecs.shape + (3,)
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_quaternion_matches_scipy_up_to_sign(rotvecs):
    mats = rotations.axis_angle_to_matrix(rotvecs)
    q = rotations.matrix_to_quaternion_wxyz(mats)
    ref = Rotation.from_matrix(mats.reshape(-1, 3, 3)).as_quat()  # x y z w
    ref = np.concatenate([ref[:, 3:], ref[:, :3]], 1).reshape(q.shape)
    sign = np.sign(np.sum(q * ref, axis=-1, keepdims=True))
    np.testing.assert_allclose(q, sign * ref, atol=1e-12)
    assert np.all(q[..., 0] >= 0)
    np.testing.assert_allclose(rotations.quaternion_wxyz_to_matrix(q), mats, atol=1e-12)


def test_axis_angle_round_trip(rotvecs):
    mats = rotations.axis_angle_to_matrix(rotvecs)
    back = rotations.matrix_to_axis_angle(mats)
    np.testing.assert_allclose(rotations.axis_angle_to_matrix(back), mats, atol=1e-10)
    small = np.linalg.norm(rotvecs, axis=-1) < np.pi - 1e-3
    np.testing.assert_allclose(back[small], rotvecs[small], atol=1e-9)


def test_continuous_quaternions_never_jump():
    angles = np.linspace(0, 4 * np.pi, 200)
    mats = rotations.axis_angle_to_matrix(np.stack([np.zeros_like(angles), angles % (2 * np.pi), 0 * angles], 1))
    q = rotations.matrix_to_quaternion_wxyz(mats, continuous=True)
    assert np.all(np.sum(q[1:] * q[:-1], axis=1) > 0.9)
    np.testing.assert_allclose(rotations.quaternion_wxyz_to_matrix(q), mats, atol=1e-12)


def test_mirror_is_m_r_m():
    aa = Rotation.random(50, random_state=3).as_rotvec()
    m = np.diag([-1.0, 1.0, 1.0])
    expected = m @ rotations.axis_angle_to_matrix(aa) @ m
    np.testing.assert_allclose(rotations.axis_angle_to_matrix(rotations.mirror_axis_angle_x(aa)), expected,
                               atol=1e-12)


def test_axis_angle_to_quaternion_and_product(rotvecs):
    q = rotations.axis_angle_to_quaternion_wxyz(rotvecs)
    np.testing.assert_allclose(rotations.quaternion_wxyz_to_matrix(q), rotations.axis_angle_to_matrix(rotvecs),
                               atol=1e-12)
    a, b = rotvecs[0], rotvecs[1]
    prod = rotations.quaternion_multiply(rotations.axis_angle_to_quaternion_wxyz(a),
                                         rotations.axis_angle_to_quaternion_wxyz(b))
    ref = (Rotation.from_rotvec(a) * Rotation.from_rotvec(b)).as_matrix()
    np.testing.assert_allclose(rotations.quaternion_wxyz_to_matrix(prod), ref, atol=1e-12)


def test_one_rotation_rodrigues_forms_match_scipy(rotvecs):
    vecs = rotvecs.reshape(-1, 3)
    mats = np.stack([rotations.rodrigues_matrix(v) for v in vecs])
    np.testing.assert_allclose(mats, Rotation.from_rotvec(vecs).as_matrix(), atol=1e-12)
    away_from_pi = np.linalg.norm(vecs, axis=-1) < np.pi - 1e-3
    back = np.stack([rotations.rodrigues_axis_angle(m) for m in mats[away_from_pi]])
    np.testing.assert_allclose(back, vecs[away_from_pi], atol=1e-7)
