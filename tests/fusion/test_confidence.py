"""Confidence weights: bounded ramps where an expert comes and goes, slerp blending, per-frame quality terms."""
from __future__ import annotations

import numpy as np

from core.fusion import confidence as C
from core.fusion import temporal as tp


def _availability():
    a = np.ones(120, dtype=bool)
    a[30:50] = False  # a long gap
    a[70] = False  # a one-frame dropout
    a[90:92] = True
    a[85:90] = False
    a[92:100] = False  # an isolated two-frame blip at 90-91
    return a


def test_missing_expert_ramps_smoothly():
    a = _availability()
    for ramp_frames in (4, 6, 10):
        w = C.availability_ramp(a, ramp_frames)
        h = ramp_frames // 2
        assert np.all(w[~a] == 0.0)  # never the expert where it is missing
        assert np.all((w >= 0) & (w <= 1))
        assert np.abs(np.diff(w)).max() <= 1.0 / (2 * h + 1) + 1e-12  # no pops
        assert np.allclose(w[:30 - 2 * h], 1.0) and np.allclose(w[50 + 2 * h:70 - 2 * h], 1.0)
        assert w[90:92].max() == 0.0  # runs shorter than the ramp are ignored


def test_expert_weight_stays_bounded_with_noisy_quality():
    rng = np.random.default_rng(0)
    a = _availability()
    quality = np.clip(0.8 + 0.2 * rng.standard_normal(a.size), 0, 1)
    w = C.expert_weight(a, quality, ramp_frames=6)
    assert np.all(w[~a] == 0.0) and np.all((w >= 0) & (w <= 1))
    assert np.abs(np.diff(w)).max() <= 1.0 / 7 + 1e-12
    assert np.all(w <= np.where(a, quality, 0) + 1e-12)  # never more than the frame's own quality
    dip = np.ones(a.size)
    dip[10] = 0.0  # one doubtful frame (a spike, a far detection) is ramped around, not averaged away
    wd = C.expert_weight(np.ones(a.size, dtype=bool), dip, ramp_frames=6)
    assert wd[10] == 0.0 and np.abs(np.diff(wd)).max() <= 1.0 / 7 + 1e-12
    hard = C.expert_weight(a, quality, ramp=False)  # the naive copy pops
    assert np.abs(np.diff(hard)).max() > 0.5


def test_slerp_blend_differs_from_axis_angle_lerp_for_large_angles():
    base = np.array([[0.0, 0.0, 2.8]])
    expert = np.array([[0.0, 0.0, -2.8]])  # 0.68 rad apart the short way round
    w = np.array([0.5])
    blended = C.blend_axis_angle(base, expert, w)
    # halfway along the short arc is pi about z; lerp of the vectors gives the identity instead
    assert np.isclose(tp.quaternion_angle(tp.axis_angle_to_quaternion(blended),
                                          tp.axis_angle_to_quaternion(np.array([[0, 0, np.pi]])))[0], 0.0, atol=1e-7)
    lerp = 0.5 * base + 0.5 * expert
    assert np.linalg.norm(lerp) < 1e-12
    # endpoints, per-joint broadcasting over (T, J)
    rng = np.random.default_rng(1)
    qa = tp.axis_angle_to_quaternion(rng.standard_normal((5, 15, 3)))
    qb = tp.axis_angle_to_quaternion(rng.standard_normal((5, 15, 3)))
    out = C.blend_quaternions(qa, qb, np.array([0, 1, 0.5, 0.25, 0]))
    assert np.allclose(np.abs(np.einsum("jk,jk->j", out[0], qa[0])), 1)
    assert np.allclose(np.abs(np.einsum("jk,jk->j", out[1], qb[1])), 1)
    assert np.allclose(C.blend_linear(np.zeros((3, 2)), np.ones((3, 2)), np.array([0, 0.5, 1]))[:, 0], [0, 0.5, 1])


def test_quality_terms():
    w = C.detection_weight(np.array([0.05, 0.3, 0.9, np.nan]), np.array([100, 100, 8, 100.0]), 4)
    assert w[0] == 0 and 0 < w[1] < 1 and w[2] == 0 and w[3] == 0
    assert np.allclose(C.detection_weight(None, None, 3), 1)
    assert np.allclose(C.detection_weight(np.array([0.6, 1.0]), np.array([64, 300.0]), 2), 1)
    ag = C.agreement_weight(np.array([0.0, 0.7, 1.25, 3.0, np.nan]))
    assert ag[0] == 1 and ag[1] == 1 and np.isclose(ag[2], np.exp(-0.5)) and ag[3] < 1e-4 and ag[4] == 1


def test_temporal_consistency_downweights_a_spike():
    t = np.arange(60)
    aa = np.stack([0.02 * t, 0 * t, 0 * t], 1).astype(float)
    aa[30] = [2.0, 1.0, 0.0]  # a one-frame flip
    q = tp.axis_angle_to_quaternion(aa)
    w = C.temporal_consistency_weight(q, np.ones(60, dtype=bool))
    assert w[30] < 0.01 and np.all(w[np.r_[0:29, 32:60]] > 0.99)


def test_part_confidence_and_segments():
    pc = C.part_confidence(np.ones(4), np.array([0, 0.5, 1, 2.0]), np.zeros(4))
    assert pc.shape == (4, 3) and pc.max() <= 1 and pc[3, 1] == 1
    assert C.missing_segments(np.array([1, 0, 0, 1, 0], dtype=bool)) == [[1, 2], [4, 4]]
    assert C.missing_segments(np.ones(3, dtype=bool)) == []
