"""The proof: every injected fault is flagged on exactly its frames, by the check meant for it; the clean take
raises no flag; and the fixes repair the faults, with MPJPE to the ground truth improving."""
from __future__ import annotations

import numpy as np
import pytest

from core.validate import fixes
from core.validate.run import run_checks

FIX_FOR = {"elbow_backwards": ["clamp_joint_limits"], "hand_through_torso": ["interpolate"],
           "legs_through_each_other": ["interpolate"], "glitch": ["interpolate"], "extreme_betas": ["clamp_betas"]}


def test_clean_take_raises_no_flag(suite_results):
    result = suite_results["clean"]
    assert not result.any_flags().any()
    assert result.checks["seams"].status == "unavailable" and "seam_wrist_global_body" in result.checks["seams"].note
    assert result.checks["reprojection"].status == "skipped"


@pytest.mark.parametrize("kind", ["elbow_backwards", "hand_through_torso", "legs_through_each_other", "glitch",
                                  "extreme_betas", "asymmetric_limbs"])
def test_fault_is_flagged_on_exactly_its_frames(suite, suite_results, kind):
    take, result = suite[kind], suite_results[kind]
    expected = np.zeros(result.num_frames, dtype=bool)
    expected[take.frames] = True
    assert np.array_equal(result.any_flags(), expected), kind
    for check in take.checks:
        assert np.array_equal(result.checks[check].flags, expected), check


def test_penetration_reports_the_parts_and_depth(suite, suite_results):
    take = suite["hand_through_torso"]
    check = suite_results["hand_through_torso"].checks["penetration"]
    worst = check.details["worst"][int(take.frames[0])]
    side = take.detail["side"]
    assert any(p.startswith(f"{side}_hand>") for p in worst["parts"])
    assert worst["depth_m"] > 0.04 and worst["vertices_inside"] > 50
    legs = suite_results["legs_through_each_other"].checks["penetration"]
    parts = legs.details["worst"][int(suite["legs_through_each_other"].frames[0])]["parts"]
    assert any(">right_" in p and p.startswith("left_") for p in parts)
    assert check.details["_vertex_depth"].shape == (10475,)


@pytest.mark.parametrize("kind", sorted(FIX_FOR))
def test_fixes_repair_and_mpjpe_improves(suite, suite_results, body_model, kind):
    take, before = suite[kind], suite_results[kind]
    seq = take.seq
    for name in FIX_FOR[kind]:
        seq, report = fixes.apply_fix(seq, body_model, name, fixes.suggested_frames(before, name))
        assert report.frames_changed and report.frames_selected >= len(report.frames_changed) or name == "clamp_betas"
    after = run_checks(seq, body_model, mesh="numpy", ground_truth=suite["clean"].seq, vertex_metrics=False)
    assert not after.any_flags().any()
    frames = take.frames
    mpjpe_before = before.metrics["per_frame_mm"]["mpjpe"][frames].mean()
    mpjpe_after = after.metrics["per_frame_mm"]["mpjpe"][frames].mean()
    assert mpjpe_after < 0.8 * mpjpe_before, (mpjpe_before, mpjpe_after)
