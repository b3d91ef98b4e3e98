"""Ground-plane fit under outliers, and contact detection's hysteresis."""
from __future__ import annotations

import numpy as np
import pytest

from core.grounding.contacts import hysteresis, mask_intervals, savgol_derivative
from core.grounding.plane import GroundPlane, fit_ground_plane


def _known_plane(rng):
    normal = np.array([0.05, -0.96, -0.25])
    normal /= np.linalg.norm(normal)
    return normal, 1.4


@pytest.mark.parametrize("outlier_share", [0.0, 0.3, 0.45])
def test_plane_fit_recovers_known_plane_under_outliers(outlier_share):
    rng = np.random.default_rng(1)
    normal, d = _known_plane(rng)
    n = 400
    # points on the plane over a 4 m x 2 m patch in front of the camera, 5 mm noise
    u = np.cross(normal, [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    on = -d * normal + np.outer(rng.uniform(-2, 2, n), v) + np.outer(rng.uniform(4, 6, n), u) * 0.5
    on += rng.normal(0, 0.005, (n, 1)) * normal
    k = int(outlier_share * n)
    # outliers: feet sinking 3-10 cm or lifted 5-30 cm
    on[:k] += np.outer(np.concatenate([-rng.uniform(0.03, 0.1, k // 2), rng.uniform(0.05, 0.3, k - k // 2)]),
                       normal)
    plane = fit_ground_plane(on, up_hint=np.array([0.0, -1.0, 0.0]))
    angle = np.degrees(np.arccos(np.clip(plane.normal @ normal, -1, 1)))
    assert angle < 0.5
    clean = on[k:]
    assert np.abs(plane.signed_distance(clean)).mean() < 0.006  # the clean points lie on it (5 mm noise)
    assert abs(np.mean(plane.signed_distance(clean))) < 0.002
    assert plane.normal @ np.array([0.0, -1.0, 0.0]) > 0  # up, towards the body
    assert plane.num_inliers >= n - k - 5


def test_plane_fit_of_a_line_uses_the_up_hint():
    """Points along one line (a person standing still) cannot tilt the plane sideways: the up hint decides."""
    rng = np.random.default_rng(2)
    pts = np.stack([rng.uniform(-1, 1, 100), np.full(100, 1.2), np.full(100, 5.0)], axis=1)
    up = np.array([0.0, -0.9, -0.3])
    up /= np.linalg.norm(up)
    plane = fit_ground_plane(pts, up)
    assert abs(plane.normal @ np.array([1.0, 0.0, 0.0])) < 1e-6  # perpendicular to the line
    assert plane.normal @ up > 0.999
    np.testing.assert_allclose(plane.signed_distance(pts), 0.0, atol=1e-9)


def test_plane_array_round_trip():
    plane = GroundPlane.from_array(np.array([0.0, -2.0, 0.0, 3.0]))
    np.testing.assert_allclose(plane.as_array(), [0.0, -1.0, 0.0, 1.5])
    assert plane.signed_distance(np.array([0.0, 1.0, 4.0])) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        GroundPlane.from_array(np.zeros(4))


def test_hysteresis_removes_flicker_and_short_blips():
    p = np.array([0.1, 0.7, 0.5, 0.4, 0.3, 0.5, 0.7, 0.2, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.7, 0.7, 0.7, 0.7, 0.1])
    out = hysteresis(p[:, None], on=0.6, off=0.35, min_frames=3, max_gap_frames=2)[:, 0]
    # 1-3 stay on (>= off), 4 drops (< off), 5 stays off (not > on), 6 on again, gap 4-5 closed
    np.testing.assert_array_equal(out[:8], [0, 1, 1, 1, 1, 1, 1, 0])
    assert not out[10]  # a single frame above 'on' is too short
    np.testing.assert_array_equal(mask_intervals(out), [[1, 7], [14, 18]])


def test_savgol_derivative_of_a_line_is_exact():
    x = np.arange(20, dtype=float)[:, None] * np.array([0.01, -0.02, 0.0])
    v = savgol_derivative(x, 7, fps=30.0)
    np.testing.assert_allclose(v[3:-3], np.broadcast_to([0.3, -0.6, 0.0], (14, 3)), atol=1e-12)
