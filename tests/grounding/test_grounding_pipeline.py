"""Grounding end to end on the walking and floating demo takes: skate and penetration drop, no false locks,
identity where nothing should change, frame ranges, estimator scores."""
from __future__ import annotations

import numpy as np
import pytest

from core.grounding import GroundPlane, foot_points, ground_sequence, lock_feet
from core.grounding.pipeline import estimate_ground


def _skate_mm(points, plane, contact):
    step = np.linalg.norm(plane.horizontal(np.diff(points, axis=0)), axis=-1).mean(axis=-1)  # (T-1, 2)
    both = contact[1:] & contact[:-1]
    return float(step[both].mean() * 1000.0)


def _same_pose(a, b):
    return (np.array_equal(a.body_pose, b.body_pose) and np.array_equal(a.transl, b.transl)
            and np.array_equal(a.global_orient, b.global_orient))


def test_walking_take_skate_and_penetration_drop(mannequin, grounding_takes):
    take = grounding_takes["walking"]
    truth_plane = GroundPlane.from_array(take.truth.plane)
    contact = take.truth.contact
    result = ground_sequence(take.estimate, mannequin, "auto")
    raw_pts = foot_points(take.estimate, mannequin)
    new_pts = foot_points(result.sequence, mannequin)
    raw_skate, new_skate = _skate_mm(raw_pts, truth_plane, contact), _skate_mm(new_pts, truth_plane, contact)
    raw_pen = -truth_plane.signed_distance(raw_pts).min() * 1000
    new_pen = -truth_plane.signed_distance(new_pts).min() * 1000
    assert new_skate < 0.2 * raw_skate
    assert raw_pen > 30 and new_pen < 10
    # contacts: agree with the truth on most frames
    detected = result.contact
    f1 = 2 * (detected & contact).sum() / (detected.sum() + contact.sum())
    assert f1 > 0.85
    # only legs and translation change
    changed_joints = np.flatnonzero(np.abs(result.sequence.body_pose - take.estimate.body_pose).max(axis=(0, 2)) > 0)
    assert set(changed_joints + 1) <= {1, 2, 4, 5, 7, 8}
    np.testing.assert_array_equal(result.sequence.global_orient, take.estimate.global_orient)
    assert "ground_plane" in result.sequence.extras and result.sequence.extras["foot_contact"].shape == contact.shape
    # the correction adds no jerk: the grounded root is no rougher than the raw one
    def roughness(transl):
        return np.abs(np.diff(transl @ truth_plane.normal, 2)).max()
    assert roughness(result.sequence.transl) <= roughness(take.estimate.transl)


def test_clean_sunk_walk_is_lifted_smoothly(mannequin, grounding_takes):
    """The true walk sunk 3 cm into the floor, with the true plane and contacts: the feet come back onto the
    floor, the planted feet stay planted, and the root rises without pops."""
    import copy

    take = grounding_takes["walking"]
    plane = GroundPlane.from_array(take.truth.plane)
    sunk = copy.deepcopy(take.truth.sequence)
    sunk.transl = sunk.transl - 0.03 * plane.normal
    lock = lock_feet(sunk, mannequin, take.truth.contact, plane)
    pts = foot_points(lock.sequence, mannequin)
    assert -plane.signed_distance(pts).min() < 1e-3
    assert _skate_mm(pts, plane, take.truth.contact) < 0.05
    steps = np.linalg.norm(np.diff(lock.root_shift, axis=0), axis=1)
    assert steps.max() < 2e-3
    np.testing.assert_allclose(lock.root_shift @ plane.normal, 0.03, atol=2e-3)
    np.testing.assert_allclose(lock.sequence.transl, take.truth.sequence.transl, atol=2e-3)


def test_fitted_plane_is_close_to_the_floor(mannequin, grounding_takes):
    take = grounding_takes["walking"]
    est = estimate_ground(take.estimate, mannequin)
    truth = GroundPlane.from_array(take.truth.plane)
    assert est.plane_source == "fitted"
    assert np.degrees(np.arccos(est.plane.normal @ truth.normal)) < 4.0
    # where the feet are, the fitted floor is within a centimetre of the true one
    pts = foot_points(take.truth.sequence, mannequin)[take.truth.contact]
    assert np.abs(est.plane.signed_distance(pts)).mean() < 0.01


def test_take_without_contacts_is_unchanged_in_auto(mannequin, grounding_takes):
    take = grounding_takes["floating"]
    result = ground_sequence(take.estimate, mannequin, "auto")
    assert result.lock is None and not result.contact.any()
    assert result.sequence is take.estimate
    assert _same_pose(result.sequence, take.estimate)


def test_mode_never_is_identity(mannequin, grounding_takes):
    take = grounding_takes["walking"]
    result = ground_sequence(take.estimate, mannequin, "never")
    assert result.sequence is take.estimate and result.estimate is None
    assert _same_pose(result.sequence, take.estimate)


def test_mode_always_finds_the_walks_stances_like_auto(mannequin, grounding_takes):
    """On a walk every planted foot is low and slow: ``always`` (no hysteresis, no minimum length) and ``auto``
    (detected contacts) agree on at least 90 % of each other's contact frames. Not a superset: hysteresis
    extends auto's contacts by a frame or two where the foot is already rising."""
    take = grounding_takes["walking"]
    auto = ground_sequence(take.estimate, mannequin, "auto")
    always = ground_sequence(take.estimate, mannequin, "always")
    both = (auto.contact & always.contact).sum()
    assert both >= 0.9 * auto.contact.sum() and both >= 0.9 * always.contact.sum()
    with pytest.raises(ValueError):
        ground_sequence(take.estimate, mannequin, "sometimes")


def test_frame_range_leaves_other_frames_untouched(mannequin, grounding_takes):
    take = grounding_takes["walking"]
    est = estimate_ground(take.estimate, mannequin)
    lock = lock_feet(take.estimate, mannequin, est.contact, est.plane, frames=slice(40, 90))
    outside = np.r_[0:40, 90:take.estimate.num_frames]
    np.testing.assert_array_equal(lock.sequence.body_pose[outside], take.estimate.body_pose[outside])
    np.testing.assert_array_equal(lock.sequence.transl[outside], take.estimate.transl[outside])
    assert lock.changed[45:85].any()
    # eased at the range's edges: the first and last rows of the range move a small share of the most
    most = np.abs(lock.root_shift).max()
    assert np.abs(lock.root_shift[[40, 89]]).max() < 0.15 * most


def test_estimator_scores_are_one_more_input(mannequin, grounding_takes):
    take = grounding_takes["walking"]
    scores = take.truth.contact.astype(float)
    with_scores = estimate_ground(take.estimate, mannequin, contact_scores=scores, plane=GroundPlane.from_array(
        take.truth.plane))
    without = estimate_ground(take.estimate, mannequin, plane=GroundPlane.from_array(take.truth.plane))
    def f1(d):
        return 2 * (d & take.truth.contact).sum() / (d.sum() + take.truth.contact.sum())
    assert f1(with_scores.contact) > f1(without.contact)
    assert with_scores.plane_source == "given"


def test_free_straight_legs_are_left_alone(mannequin, grounding_takes):
    """No lock, no plane: nothing needs changing, so nothing changes, however straight the legs (the reach
    limit applies to locked or pushed feet only, and never below the leg's own extension)."""
    seq = grounding_takes["walking"].truth.sequence
    straight = seq.body_pose.copy()
    straight[:, [3, 4]] = [-0.1, 0.0, 0.0]  # both knees slightly over-straightened
    seq = type(seq)(**{**seq.__dict__, "body_pose": straight})
    lock = lock_feet(seq, mannequin, np.zeros((seq.num_frames, 2), dtype=bool), None, frames=slice(10, 20))
    assert not lock.changed.any()
    np.testing.assert_array_equal(lock.sequence.transl, seq.transl)
    np.testing.assert_array_equal(lock.sequence.body_pose, seq.body_pose)


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_mode_always_without_a_floor_barely_moves_a_floating_take(mannequin, seed):
    """Mode ``always`` on a take that never touches the floor (seeds 2 and 4 have a few slow, low kicks that line up
    into a plane): the guessed floor lies under the feet of all but a few frames, so the push out of it is small and
    rare. Before the floor test the footprints' plane (or the median level) sat above half the frames and lifted
    feet by up to 250 mm on 135 of 150 frames."""
    from core.demo_data.grounding_takes import make_grounding_takes
    from core.grounding.pipeline import below_fraction

    take = make_grounding_takes(mannequin, num_frames=150, seed=seed)["floating"]
    result = ground_sequence(take.estimate, mannequin, "always")
    assert result.estimate.plane_source == "lowest"
    pts = foot_points(take.estimate, mannequin)
    assert below_fraction(pts, result.estimate.plane, 0.0) <= 0.03
    assert result.lock is not None
    assert result.lock.pushed.any(axis=1).mean() <= 0.03
    assert float(result.lock.foot_shift_m.max()) < 0.03


def test_below_fraction_counts_frames_under_the_plane():
    from core.grounding.pipeline import below_fraction

    heights = np.linspace(-0.1, 0.9, 11)  # one frame per height; every foot point of a frame at that height
    pts = np.zeros((11, 2, 3, 3))
    pts[..., 1] = heights[:, None, None]
    floor = GroundPlane(normal=np.array([0.0, 1.0, 0.0]), offset=0.0)
    assert below_fraction(pts, floor, 0.02) == pytest.approx(1 / 11)
    raised = GroundPlane(normal=np.array([0.0, 1.0, 0.0]), offset=-0.45)  # y = 0.45
    assert below_fraction(pts, raised, 0.02) == pytest.approx(6 / 11)  # -0.1 ... 0.4
