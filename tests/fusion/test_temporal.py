"""Temporal processing: quaternion helpers against scipy, smoothing strength and fidelity, lag, robust shape."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.fusion import temporal as tp

FPS = 30.0


def _random_aa(rng, shape, max_angle=np.pi * 0.99):
    axis = rng.standard_normal(shape + (3,))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    return axis * rng.uniform(0.0, max_angle, shape + (1,))


def _xyzw_to_wxyz(q):
    return np.concatenate([q[..., 3:], q[..., :3]], axis=-1)


def _same_rotation(qa, qb, atol=1e-9):
    return np.all(np.abs(np.abs(np.einsum("...i,...i->...", qa, qb)) - 1.0) < atol)


def test_quaternion_conversions_match_scipy():
    rng = np.random.default_rng(0)
    aa = _random_aa(rng, (200,))
    aa[:3] = [[0, 0, 0], [1e-9, 0, 0], [np.pi, 0, 0]]
    ref = Rotation.from_rotvec(aa)
    q = tp.axis_angle_to_quaternion(aa)
    assert _same_rotation(q, _xyzw_to_wxyz(ref.as_quat()))
    assert np.allclose(tp.quaternion_to_matrix(q), ref.as_matrix(), atol=1e-12)
    q_from_m = tp.matrix_to_quaternion(ref.as_matrix())
    assert np.all(q_from_m[:, 0] >= 0)
    assert _same_rotation(q_from_m, q, atol=1e-12)
    back = tp.quaternion_to_axis_angle(q)
    assert np.allclose(Rotation.from_rotvec(back).as_matrix(), ref.as_matrix(), atol=1e-9)
    assert np.allclose(back[3:], aa[3:], atol=1e-9)  # angles < pi come back unchanged


def test_quaternion_multiply_is_matrix_product():
    rng = np.random.default_rng(1)
    a, b = _random_aa(rng, (50,)), _random_aa(rng, (50,))
    qa, qb = tp.axis_angle_to_quaternion(a), tp.axis_angle_to_quaternion(b)
    ref = Rotation.from_rotvec(a).as_matrix() @ Rotation.from_rotvec(b).as_matrix()
    assert np.allclose(tp.quaternion_to_matrix(tp.quaternion_multiply(qa, qb)), ref, atol=1e-12)
    assert np.allclose(tp.quaternion_to_matrix(tp.quaternion_multiply(qa, tp.quaternion_conjugate(qa))),
                       np.eye(3), atol=1e-12)


def test_slerp_is_geodesic_and_takes_the_short_arc():
    rng = np.random.default_rng(2)
    q0 = tp.axis_angle_to_quaternion(_random_aa(rng, (20,)))
    q1 = tp.axis_angle_to_quaternion(_random_aa(rng, (20,)))
    mid = tp.slerp(q0, q1, np.full(20, 0.5))
    total = tp.quaternion_angle(q0, q1)
    assert np.allclose(tp.quaternion_angle(q0, mid), 0.5 * total, atol=1e-9)
    assert np.allclose(tp.quaternion_angle(mid, q1), 0.5 * total, atol=1e-9)
    assert _same_rotation(tp.slerp(q0, -q1, np.full(20, 0.5)), mid)  # sign of q1 does not matter
    assert _same_rotation(tp.slerp(q0, q1, np.zeros(20)), q0)
    assert _same_rotation(tp.slerp(q0, q1, np.ones(20)), q1)


def test_make_continuous_removes_sign_flips():
    rng = np.random.default_rng(3)
    aa = np.cumsum(0.05 * rng.standard_normal((100, 4, 3)), axis=0)
    q = tp.axis_angle_to_quaternion(aa)
    flipped = q * rng.choice([-1.0, 1.0], size=(100, 4, 1))
    cont = tp.make_continuous(flipped)
    dots = np.einsum("tjk,tjk->tj", cont[1:], cont[:-1])
    assert np.all(dots > 0)
    assert _same_rotation(cont, q)


def test_fill_gaps_interpolates_on_the_sphere():
    q = tp.axis_angle_to_quaternion(np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1.2], [0, 0, 1.2]]))
    valid = np.array([True, True, False, True, True])
    filled = tp.fill_gaps_quaternion(q, valid)
    assert np.allclose(tp.quaternion_to_axis_angle(filled[2]), [0, 0, 0.6], atol=1e-12)
    lin = tp.fill_gaps_linear(np.arange(5.0)[:, None] ** 2, np.array([False, True, False, True, False]))
    assert np.allclose(lin[:, 0], [1, 1, 5, 9, 9])


def _accel(x):
    return np.abs(np.diff(x, n=2, axis=0)).mean()


@pytest.mark.parametrize("method", ["butterworth", "savgol"])
def test_smoothing_reduces_noise_acceleration_and_keeps_a_clean_sine(method):
    rng = np.random.default_rng(4)
    spec = tp.SmoothingSpec(method=method)
    n = 600
    t = np.arange(n)
    # rotations: a clean, slow motion (1 Hz at 30 fps, amplitude 0.6 rad) per joint, plus jitter
    phase = rng.uniform(0, 2 * np.pi, (1, 8, 3))
    clean = 0.6 * np.sin(2 * np.pi * t[:, None, None] / FPS + phase)
    noisy = clean + 0.03 * rng.standard_normal(clean.shape)
    smoothed = tp.smooth_axis_angle(noisy, FPS, spec)
    assert _accel(smoothed) <= 0.5 * _accel(noisy)
    # on the clean signal, the filter moves it by < 2 % of its amplitude (away from the two ends)
    kept = tp.smooth_axis_angle(clean, FPS, spec)
    core = slice(30, -30)
    assert np.abs(kept[core] - clean[core]).max() < 0.02 * 0.6
    # translation, through the same filter
    transl = np.stack([np.sin(2 * np.pi * t / 60.0), np.cos(2 * np.pi * t / 45.0), 3 + 0 * t], 1)
    noisy_t = transl + 0.01 * rng.standard_normal(transl.shape)
    assert _accel(tp.smooth_translation(noisy_t, FPS, spec)) <= 0.5 * _accel(noisy_t)
    assert np.abs(tp.smooth_translation(transl, FPS, spec)[core] - transl[core]).max() < 0.02


def test_zero_phase_filters_have_no_lag_and_a_causal_one_does():
    for spec in (tp.SmoothingSpec("butterworth"), tp.SmoothingSpec("savgol")):
        lag = tp.measure_lag(lambda x, s=spec: tp.smooth_array(x, FPS, s))
        assert abs(lag) < 0.05, (spec.method, lag)
    causal = tp.measure_lag(lambda x: tp.causal_butterworth(x, FPS, 5.0))
    assert causal > 1.0  # the same filter run one way trails its input
    shift = tp.measure_lag(lambda x: np.roll(x, 3, axis=0))
    assert abs(shift - 3.0) < 1e-3  # the measurement itself: a known delay of 3 frames


def test_short_sequences_pass_through():
    x = np.random.default_rng(5).standard_normal((4, 3))
    assert np.allclose(tp.smooth_array(x, FPS, tp.SmoothingSpec("butterworth")), x)
    assert tp.smooth_array(x, FPS, tp.SmoothingSpec("savgol")).shape == x.shape


def test_robust_betas_ignores_outlier_frames():
    rng = np.random.default_rng(6)
    truth = rng.standard_normal(10)
    betas = truth + 0.05 * rng.standard_normal((200, 10))
    betas[::10] += 5.0  # 10 % wild frames
    valid = np.ones(200, dtype=bool)
    valid[1] = False
    betas[1] = np.nan
    mean_err = np.abs(tp.robust_betas(betas, valid, "mean") - truth).max()
    for method in ("huber", "median"):
        err = np.abs(tp.robust_betas(betas, valid, method) - truth).max()
        assert err < 0.1 and err < 0.25 * mean_err, (method, err, mean_err)
