"""Fixes change only what was asked, by the amounts they report."""
from __future__ import annotations

import numpy as np

from core.validate import fixes
from core.validate.joint_limits import check_joint_limits


def test_soft_clamp_is_identity_inside_monotone_and_never_beyond():
    x = np.linspace(-3.0, 3.0, 601)
    y = fixes.soft_clamp(x, -1.0, 1.0, 0.2)
    inside = np.abs(x) <= 0.8
    assert np.array_equal(y[inside], x[inside])
    assert np.all(np.diff(y) >= 0) and y.max() < 1.0 and y.min() > -1.0


def test_clamp_touches_only_the_selected_frames_and_the_bad_joint(suite, body_model):
    take = suite["elbow_backwards"]
    selected = take.frames[:5]
    fixed, report = fixes.clamp_joint_limits(take.seq, body_model, selected)
    before, after = take.seq.full_pose(), fixed.full_pose()
    others = np.setdiff1d(np.arange(take.seq.num_frames), selected)
    assert np.array_equal(before[others], after[others])  # bit for bit
    assert report.frames_changed == selected.tolist() and list(report.joints) == [take.detail["side"] + "_elbow"]
    assert 30.0 < report.max_rotation_change_deg < 60.0
    rest = body_model.rest_joints(take.seq.betas)
    assert not check_joint_limits(after, rest, 0.0).flags[selected].any()
    assert check_joint_limits(after, rest, 5.0).flags[take.frames[5:]].all()


def test_interpolation_rebuilds_the_glitch_from_its_neighbours(suite):
    take, clean = suite["glitch"], suite["clean"].seq
    fixed, report = fixes.interpolate_frames(take.seq, take.frames)
    assert report.frames_changed == take.frames.tolist() and report.details["gaps"] == [[int(take.frames[0]),
                                                                                         int(take.frames[-1])]]
    from tests.validate.conftest import rotation_angles

    err_before = rotation_angles(take.seq.full_pose()[take.frames], clean.full_pose()[take.frames]).max()
    err_after = rotation_angles(fixed.full_pose()[take.frames], clean.full_pose()[take.frames]).max()
    assert err_after < 0.25 * err_before


def test_resmooth_reduces_jitter_only_inside_the_range(suite):
    seq = suite["clean"].seq
    rng = np.random.default_rng(0)
    noisy = fixes.with_full_pose(seq, seq.full_pose() + rng.normal(scale=0.03, size=seq.full_pose().shape))
    fixed, report = fixes.resmooth(noisy, np.arange(20, 60))
    second = lambda p: np.abs(np.diff(p, 2, axis=0)).mean()  # noqa: E731
    assert second(fixed.full_pose()[24:56]) < 0.5 * second(noisy.full_pose()[24:56])
    assert np.array_equal(fixed.full_pose()[:20], noisy.full_pose()[:20])
    assert np.array_equal(fixed.full_pose()[60:], noisy.full_pose()[60:])
    assert report.details["method"] == "butterworth" and report.frames_changed[0] == 20


def test_betas_clamp_reports_old_and_new_values(suite):
    take = suite["extreme_betas"]
    fixed, report = fixes.clamp_betas(take.seq, sigma=3.0)
    k = take.detail["component"]
    assert 2.7 < fixed.betas[k] < 3.0 and np.array_equal(np.delete(fixed.betas, k), np.delete(take.seq.betas, k))
    assert report.details["betas"][f"beta{k:03d}"][0] == round(take.detail["sigma"], 3)


def test_a_fix_on_no_frames_changes_nothing(suite, body_model):
    """A range with no flagged frame (Validation > Fix, only flagged) selects no frame: a no-op, not an error."""
    seq = suite["clean"].seq
    for name in ("clamp_joint_limits", "interpolate", "smooth"):
        out, report = fixes.apply_fix(seq, body_model, name, [])
        assert report.frames_selected == 0 and list(report.frames_changed) == [], name
        np.testing.assert_array_equal(out.full_pose(), seq.full_pose())
        np.testing.assert_array_equal(out.transl, seq.transl)
