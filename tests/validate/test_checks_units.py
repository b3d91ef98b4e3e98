"""Unit behaviour of the checks: temporal localisation, seams, reprojection, symmetry, shape, penetration volumes."""
from __future__ import annotations

import numpy as np

from core.body.posing import pose_skeleton, smplx_output_points
from core.body.skeleton import JOINT_INDEX
from core.validate.penetration import fit_body_parts, slab_depth
from core.validate.reprojection import Evidence2D, check_reprojection, project
from core.validate.seams import check_seams
from core.validate.shape import check_shape
from core.validate.symmetry import check_symmetry
from core.validate.temporal import check_temporal, outlier_scores, source_switches


def _smooth_track(t=80, j=55, seed=0):
    rng = np.random.default_rng(seed)
    time = np.arange(t)[:, None, None] / 30.0
    amp, freq, phase = rng.uniform(0.05, 0.3, (1, j, 3)), rng.uniform(0.2, 1.5, (1, j, 3)), rng.uniform(0, 6, (1, j, 3))
    return amp * np.sin(2 * np.pi * freq * time + phase)


def test_glitches_flag_their_own_frames_and_steps_do_not():
    p = _smooth_track()
    p[20:23] += np.random.default_rng(1).normal(scale=0.2, size=(3, 55, 3))  # 3-frame glitch
    p[40:41] += 0.15  # single-frame spike
    p[55:] += np.array([0.3, 0.0, 0.0])  # a step that stays: not an outlier
    result = check_temporal(p, 30.0, 0.05)
    assert result.flagged_frames.tolist() == [20, 21, 22, 40]
    # the acceleration spikes spill onto clean neighbours, which is why they do not flag
    accel = set(result.details["acceleration_mps2"]["outlier_frames"])
    assert {19, 23} & accel


def test_clean_smooth_motion_scores_far_below_threshold():
    """Up to 0.3 m at 1.5 Hz: the extrapolation error is about jerk / fps^3 = 9 mm at most."""
    scores, _ = outlier_scores(_smooth_track(t=200))
    assert scores.max() < 0.01


def test_source_switches_are_listed_with_direction():
    w = np.r_[np.ones(10), np.zeros(5), np.ones(5)]
    events = source_switches({"left_hand": w})
    assert [(e["frame"], e["to"]) for e in events] == [(10, "body estimate"), (15, "expert")]


def test_seams_unavailable_without_extras_and_measured_with_them():
    t = 6
    assert check_seams({}, {}, t, 45.0).status == "unavailable"
    body = np.zeros((t, 2, 3))
    expert = np.zeros((t, 2, 3))
    expert[2, 0] = [0.0, np.radians(60.0), 0.0]  # left wrist disagrees by 60 deg on frame 2
    expert[4] = np.nan  # no detection on frame 4
    extras = {"seam_wrist_global_body": body, "seam_wrist_global_expert": expert}
    result = check_seams(extras, {"left_wrist": np.zeros((t, 3))}, t, 45.0)
    assert result.status == "ok" and result.flagged_frames.tolist() == [2]
    assert np.isclose(result.scores[2], 60.0) and np.isnan(result.scores[4])
    assert result.details["missing"] == ["head"]
    assert result.details["seams"]["left_wrist"]["frames_with_expert"] == t - 1


def test_reprojection_zero_on_exact_keypoints_and_flags_offsets(body_model, suite):
    seq = suite["clean"].seq
    skeleton = pose_skeleton(seq, body_model)
    index = np.array([0, 16, 18, 20, 55, 62, 80])  # joints, a vertex joint (nose) and a face landmark
    pts = smplx_output_points(body_model, seq, skeleton, index)
    kp = project(pts, seq.camera_K_per_frame())
    kp[10:12] += 40.0  # frames 10 and 11 off by 56 px
    conf = np.ones(kp.shape[:2])
    conf[:, -1] = 0.0  # the landmark is not seen
    ev = Evidence2D.from_arrays(kp, conf, index)
    result = check_reprojection(pts, seq.camera_K_per_frame(), ev, seq.num_frames, 30.0)
    assert result.flagged_frames.tolist() == [10, 11]
    assert np.nanmax(np.delete(result.scores, [10, 11])) < 1e-6
    assert check_reprojection(None, seq.camera_K_per_frame(), None, seq.num_frames, 30.0).status == "skipped"


def test_output_points_match_smplx_joints(body_model, suite, model_path):
    """Joints 0-126 as smplx returns them: body joints, vertex joints and landmarks (float64 forward pass)."""
    import smplx
    import torch

    seq = suite["glitch"].seq
    frames = np.arange(0, 96, 19)
    t = len(frames)
    layer = smplx.SMPLX(str(model_path), use_pca=False, flat_hand_mean=True, batch_size=t).double()

    def tensor(a):
        return torch.tensor(np.asarray(a)[frames].reshape(t, -1), dtype=torch.float64)

    with torch.no_grad():
        out = layer(betas=torch.tensor(np.tile(seq.betas, (t, 1))), global_orient=tensor(seq.global_orient),
                    body_pose=tensor(seq.body_pose), left_hand_pose=tensor(seq.left_hand_pose),
                    right_hand_pose=tensor(seq.right_hand_pose), jaw_pose=tensor(seq.jaw_pose),
                    leye_pose=tensor(seq.leye_pose), reye_pose=tensor(seq.reye_pose),
                    expression=tensor(seq.expression), transl=tensor(seq.transl))
    ours = smplx_output_points(body_model, seq, pose_skeleton(seq, body_model), np.arange(127))[frames]
    assert np.abs(ours - out.joints.numpy()).max() < 1e-6


def test_symmetry_and_shape_scores():
    joints = np.zeros((3, 55, 3))
    for name, x in (("left_elbow", 0.4), ("left_wrist", 0.65), ("right_elbow", -0.4), ("right_wrist", -0.65)):
        joints[:, JOINT_INDEX[name], 0] = x
    joints[2, JOINT_INDEX["left_wrist"], 0] = 0.70  # left forearm 20% longer on frame 2
    result = check_symmetry(joints, 4.0, "test")
    assert result.flagged_frames.tolist() == [2] and result.details["worst"][2]["limb"] == "forearm"
    shape = check_shape(np.array([0.5, -3.5, 1.0]), 4, 3.0)
    assert shape.flags.all() and shape.details["components_out"] == [1]


def test_volumes_hold_their_own_centre_and_not_the_air(body_model):
    parts = fit_body_parts(body_model, np.zeros(10))
    rest = body_model.rest_joints(np.zeros(10))
    spine2 = parts.volumes["spine2"]
    centre = (rest[JOINT_INDEX["spine2"]] + rest[JOINT_INDEX["spine3"]]) / 2 + np.array([0.0, 0.0, 0.02])
    assert slab_depth(spine2, centre - rest[spine2.joint]) > 0.05
    assert slab_depth(spine2, centre + np.array([0.0, 0.0, 0.3]) - rest[spine2.joint]) == 0.0
    assert not any(mask.any() for mask in parts.excluded.values())  # nothing touches in the T-pose
