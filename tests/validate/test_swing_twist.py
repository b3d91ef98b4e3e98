"""Swing-twist decomposition about a bone axis: exact inverse, pure swings and twists, against scipy."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from core.fusion.temporal import axis_angle_to_quaternion, quaternion_to_matrix
from core.validate.swing_twist import compose, decompose, orthonormal_frame


def _frame(axis=(1.0, 0.2, 0.1)):
    return orthonormal_frame(np.array([axis]), np.array([[0.0, -1.0, 0.0]]), np.array([[0.0, 0.0, 1.0]]))


def test_frame_is_orthonormal_and_keeps_hint_directions():
    f = _frame()[0]
    assert np.allclose(f @ f.T, np.eye(3), atol=1e-12)
    assert f[1] @ np.array([0.0, -1.0, 0.0]) > 0.9 and f[2] @ np.array([0.0, 0.0, 1.0]) > 0.9


def test_pure_twist_and_pure_swing_are_separated():
    fr = _frame()
    a, f, e = fr[0]
    twist_only = axis_angle_to_quaternion(a * 0.7)[None, None]
    assert np.allclose(decompose(twist_only, fr)[0, 0], [0.0, 0.0, 0.7], atol=1e-12)
    swing_only = axis_angle_to_quaternion(f * 0.5 + e * -0.3)[None, None]
    assert np.allclose(decompose(swing_only, fr)[0, 0], [0.5, -0.3, 0.0], atol=1e-12)


def test_twist_matches_scipy_projection_of_the_bone_frame():
    """The twist is the rotation about the bone axis that remains after the swing that aligns the axis."""
    rng = np.random.default_rng(3)
    fr = _frame()
    a = fr[0, 0]
    rot = Rotation.from_rotvec(rng.normal(scale=0.8, size=(50, 3)))
    angles = decompose(axis_angle_to_quaternion(rot.as_rotvec())[:, None], fr)[:, 0]
    swing = Rotation.from_rotvec(angles[:, 0:1] * fr[0, 1] + angles[:, 1:2] * fr[0, 2])
    twist = swing.inv() * rot  # q = swing * twist
    tv = twist.as_rotvec()
    assert np.allclose(np.cross(tv, a), 0.0, atol=1e-9)  # a rotation about the bone axis only
    assert np.allclose(tv @ a, angles[:, 2], atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-2.5, 2.5, allow_nan=False), min_size=3, max_size=3))
def test_compose_inverts_decompose(vec):
    fr = _frame((0.3, -1.0, 0.2))
    q = axis_angle_to_quaternion(np.array(vec))[None, None]
    back = compose(decompose(q, fr), fr)
    assert np.allclose(quaternion_to_matrix(back), quaternion_to_matrix(q), atol=1e-10)
