"""Grounding with a known up axis (core/grounding/known_up.py): a level floor and the estimate's height drift out."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from core.grounding import GroundPlane, foot_points, ground_sequence
from core.grounding.known_up import height_drift, level_plane, unit_up
from core.grounding.stance_points import StancePoints


def _drifting(take, drift_m: np.ndarray):
    """The clean walk with a slow drift of ``drift_m`` (T,) along the true floor normal."""
    plane = GroundPlane.from_array(take.truth.plane)
    seq = copy.deepcopy(take.truth.sequence)
    seq.transl = seq.transl + drift_m[:, None] * plane.normal[None]
    seq.extras = {}
    return seq, plane


def test_level_plane_is_normal_to_up_through_the_median():
    up = np.array([0.0, -2.0, 0.0])
    pts = np.array([[0.0, -0.1, 3.0], [1.0, -0.2, 4.0], [2.0, -0.3, 5.0]])
    plane = level_plane(pts, up)
    np.testing.assert_allclose(plane.normal, [0.0, -1.0, 0.0])
    np.testing.assert_allclose(plane.signed_distance(pts), [-0.1, 0.0, 0.1], atol=1e-12)  # heights are -y
    with pytest.raises(ValueError):
        unit_up(np.zeros(3))


def test_height_drift_follows_the_footprints_and_is_flat_without_change():
    plane = GroundPlane(normal=np.array([0.0, 0.0, 1.0]), offset=0.0)
    starts = np.arange(0, 300, 30)
    intervals = np.stack([starts, starts + 10], axis=1)
    centres = intervals.mean(axis=1)
    heights = 0.02 * np.sin(2 * np.pi * 0.2 * centres / 30.0)
    stance = StancePoints(points=np.stack([np.zeros_like(heights), np.zeros_like(heights), heights], axis=1),
                          foot=np.zeros(len(heights), dtype=np.int64), intervals=intervals,
                          glitch=np.zeros(300, dtype=bool), kept=np.zeros((300, 2), dtype=bool))
    drift = height_drift(stance, plane, 300, 30.0)
    truth = 0.02 * np.sin(2 * np.pi * 0.2 * np.arange(300) / 30.0)
    inner = slice(int(centres[0]), int(centres[-1]))
    assert np.abs(drift[inner] - truth[inner]).max() < 0.004
    flat = StancePoints(points=np.zeros((10, 3)), foot=stance.foot, intervals=intervals, glitch=stance.glitch,
                        kept=stance.kept)
    assert np.abs(height_drift(flat, plane, 300, 30.0)).max() < 1e-12


def test_known_up_removes_a_height_drift_that_a_fitted_floor_follows(mannequin, grounding_takes):
    """A slow vertical drift: the tilt-fitting floor is pulled off the true floor; with the up axis known the feet
    end on it (this fails if the drift is not taken out, or if it is added instead of removed)."""
    take = grounding_takes["walking"]
    t = take.truth.sequence.num_frames
    seconds = np.arange(t) / float(take.truth.sequence.fps)
    drift = 0.03 * np.sin(2 * np.pi * 0.15 * seconds) + 0.02 * seconds / seconds[-1]
    seq, plane = _drifting(take, drift - drift.mean())
    known = ground_sequence(seq, mannequin, "auto", known_up=plane.normal)
    assert known.estimate.height_drift is not None
    np.testing.assert_allclose(known.estimate.plane.normal, plane.normal, atol=1e-12)
    pts = foot_points(known.sequence, mannequin)
    contact = take.truth.contact
    heights = plane.signed_distance(pts[contact]).min(axis=-1)  # lowest point of each foot in true contact
    assert np.ptp(np.percentile(heights, [10, 90])) < 0.012
    assert -plane.signed_distance(pts).min() < 0.008
    recovered = known.estimate.height_drift - known.estimate.height_drift.mean()
    inner = slice(20, t - 20)
    assert np.abs(recovered[inner] - (drift - drift.mean())[inner]).max() < 0.012
    fitted = ground_sequence(seq, mannequin, "auto")
    fitted_pts = foot_points(fitted.sequence, mannequin)
    fitted_heights = plane.signed_distance(fitted_pts[contact]).min(axis=-1)
    assert np.ptp(np.percentile(fitted_heights, [10, 90])) > np.ptp(np.percentile(heights, [10, 90])) + 0.01
    assert known.summary()["up_axis"] == "known"


def test_known_up_keeps_rows_outside_the_frame_range(mannequin, grounding_takes):
    take = grounding_takes["walking"]
    t = take.truth.sequence.num_frames
    drift = 0.03 * np.sin(np.linspace(0, 2 * np.pi, t))
    seq, plane = _drifting(take, drift)
    result = ground_sequence(seq, mannequin, "auto", frames=slice(0, 40), known_up=plane.normal)
    np.testing.assert_array_equal(result.sequence.transl[60:], seq.transl[60:])
