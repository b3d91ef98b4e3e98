"""``fuse --no-confidence`` takes the experts as they are (issue 20): wherever a hand or face expert is present its
weight is exactly 1, also on a fast real turn that the temporal spike weight would have cut (before: the wrist fell
back towards the body there)."""
from __future__ import annotations

import numpy as np

from core.body import chains
from core.contracts.fused_file import PART_WEIGHTS_KEY
from core.fusion.pipeline import FusionOptions, fuse
from core.rotations import axis_angle_to_matrix
from tests.fusion.test_pipeline import Case, body_model, builtin_model_path  # noqa: F401 (fixtures)

SPIKE_FRAME = 40


def _spiked_case(model) -> Case:
    """The pipeline test's take with the right hand's wrist turned 90 degrees on one frame (a fast real turn)."""
    case = Case(model, t=90, left_gap=(60, 70), swapped=(80, 80))
    hands = case.hands
    rows = np.flatnonzero((hands.frame_ids == SPIKE_FRAME + 1000) & hands.is_right)
    assert rows.size == 1
    hands.global_orient[rows] = axis_angle_to_matrix(np.array([0.0, 0.0, np.pi / 2])) @ hands.global_orient[rows]
    return case


def test_no_confidence_copies_the_experts_wherever_present(body_model):  # noqa: F811 (fixture)
    case = _spiked_case(body_model)
    opts = FusionOptions(fps=30.0, smooth=False, confidence_blend=False)
    result = fuse(case.body, case.face, case.hands, body_model, opts)
    weights = result.sequence.extras[PART_WEIGHTS_KEY]  # (T, 4) body, face, left hand, right hand
    present_left = ~np.isin(np.arange(case.t), np.arange(*case.left_gap))
    np.testing.assert_array_equal(weights[:, 3], 1.0)                 # right hand everywhere, the spike too
    np.testing.assert_array_equal(weights[:, 2], present_left.astype(float))  # left: 1 present, 0 in its gap
    np.testing.assert_array_equal(weights[:, 1], 1.0)                 # face everywhere
    # the spiked frame carries the expert's wrist as it is: the fused global right wrist is the expert's, turn included
    seq = result.sequence
    glob, _ = chains.forward_kinematics(axis_angle_to_matrix(seq.full_pose()), body_model.rest_joints(seq.betas))
    expert = axis_angle_to_matrix(seq.extras["seam_wrist_global_expert"][:, 1])
    turn = np.degrees(np.arccos(np.clip((np.trace(glob[:, 21].transpose(0, 2, 1) @ expert, axis1=1, axis2=2) - 1) / 2,
                                        -1.0, 1.0)))
    assert turn[SPIKE_FRAME] < 1e-3 and np.nanmax(turn) < 1e-3, turn[SPIKE_FRAME]
    # with confidence on, the spike frame's weight is cut (the rule --no-confidence turns off)
    on = fuse(case.body, case.face, case.hands, body_model, FusionOptions(fps=30.0, smooth=False))
    assert on.sequence.extras[PART_WEIGHTS_KEY][SPIKE_FRAME, 3] < 0.5
