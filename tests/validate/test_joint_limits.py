"""Joint limits on swing and twist: the ROM table, mirroring, and the elbow that bends backwards."""
from __future__ import annotations

import numpy as np

from core.body.skeleton import JOINT_INDEX
from core.validate.joint_limits import angles_to_axis_angle, check_joint_limits, joint_angles, joint_frames
from core.validate.rom_table import ROM_TABLE


def test_table_rows_cite_sources_and_cover_body_jaw_and_hands(body_model):
    jf = joint_frames(body_model.rest_joints(np.zeros(10)))
    assert len(jf.names) == 2 * 8 + 6 + 2 * 15  # 8 limb joints per side, spine x3 / neck / head / jaw, 15 per hand
    assert all(row.source and row.meaning for row in ROM_TABLE)
    assert {"left_elbow", "right_elbow", "left_knee", "jaw", "right_thumb3", "neck"} <= set(jf.names)


def test_elbow_flexion_passes_and_hyperextension_fails(body_model):
    rest = body_model.rest_joints(np.zeros(10))
    jf = joint_frames(rest)
    pose = np.zeros((4, 55, 3))
    k_left, k_right = jf.names.index("left_elbow"), jf.names.index("right_elbow")
    # 120 deg flexion and 40 deg hyperextension on both sides, built from the table's own frames
    for frame, flex in ((0, 120.0), (1, -40.0)):
        ang = np.zeros((1, len(jf.names), 3))
        ang[0, [k_left, k_right], 0] = np.radians(flex)
        aa = angles_to_axis_angle(ang, jf)[0]
        pose[frame, jf.joints] = aa
    result = check_joint_limits(pose, rest, threshold_deg=5.0)
    assert not result.flags[0] and result.flags[1]
    assert result.details["worst"][1]["joint"] in ("left_elbow", "right_elbow")
    assert result.details["worst"][1]["component"] == "flex"
    assert np.isclose(result.scores[1], 30.0, atol=1e-6)  # 40 beyond 0, minus the 10 deg margin


def test_forward_flexion_is_negative_y_on_the_left_and_mirrored_on_the_right(body_model):
    """SMPL-X faces +Z with its left at +X: bending the left forearm forward is a rotation about -y."""
    jf = joint_frames(body_model.rest_joints(np.zeros(10)))
    pose = np.zeros((1, 55, 3))
    pose[0, JOINT_INDEX["left_elbow"]] = [0.0, -1.0, 0.0]
    pose[0, JOINT_INDEX["right_elbow"]] = [0.0, 1.0, 0.0]
    ang = np.degrees(joint_angles(pose, jf)[0])
    left, right = ang[jf.names.index("left_elbow")], ang[jf.names.index("right_elbow")]
    assert np.allclose(right, left, atol=1e-9)  # the mirror serves both sides
    assert abs(left[0] - np.degrees(1.0)) < 0.1 and np.all(np.abs(left[1:]) < 2.0)  # the bone is almost along x


def test_twist_is_measured_apart_from_swing(body_model):
    """A forearm roll of 60 deg is inside the pronation range; 140 deg is not, whatever the raw components."""
    rest = body_model.rest_joints(np.zeros(10))
    jf = joint_frames(rest)
    k = jf.names.index("left_elbow")
    axis = jf.frames[k, 0]
    pose = np.zeros((2, 55, 3))
    pose[0, JOINT_INDEX["left_elbow"]] = axis * np.radians(60.0)
    pose[1, JOINT_INDEX["left_elbow"]] = axis * np.radians(140.0)
    result = check_joint_limits(pose, rest, 5.0)
    assert list(result.flags) == [False, True]
    assert result.details["worst"][1]["component"] == "twist"


def test_clean_take_flexes_its_elbows_forward(body_model):
    """The clean take is within the table whatever sign the demo motion's elbows have (the committed demo motion
    bent them backwards: see core.validate.faults)."""
    from core.validate.faults import clean_take

    seq = clean_take(30).seq
    rest = body_model.rest_joints(seq.betas)
    assert not check_joint_limits(seq.full_pose(), rest, 5.0).flags.any()
    backwards = seq.full_pose()
    backwards[:, JOINT_INDEX["left_elbow"], 1] *= -1.0
    result = check_joint_limits(backwards, rest, 5.0)
    assert result.flags.all() and result.details["worst"][0]["joint"] == "left_elbow"
