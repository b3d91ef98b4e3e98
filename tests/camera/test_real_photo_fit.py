"""Issue 20, the fit on one real-style photo whose estimated pose is far off its keypoints: PIXIE's pose moved onto
the built-in skeleton leaves a bent-over torso tens of degrees off (measured on the public photo: shoulders ~110 px
from OpenPose's). Each fix is pinned by a case that fails without it, on files written here: the photo and PIXIE
result of ``test_real_photo_fixes``, and detector keypoints of the same body with its spine bent further (what the
photo shows), in smplx joint order: knees, ankles, shoulders, elbows, wrists (no hips, neck, spine or collar: a
detector has none) and, where asked, nose, eyes and ears.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.body.model import load_body_model
from core.body.skeleton import JOINT_INDEX
from core.camera.conversions import intrinsics_matrix, project
from core.camera.fit_fused import FitRequest, fit_fused_file, report_json
from core.camera.keypoints2d import write_keypoints2d
from core.camera.points import POINT_GROUPS, sequence_points
from core.camera.refine_report import rotation_change_deg
from core.contracts.fused_file import read_fused
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from tests.camera.test_real_photo_fixes import PHOTO_SIZE, _fuse, photo  # noqa: F401  (the fixture)

J = JOINT_INDEX
DETECTED = [J[n] for n in ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_shoulder", "right_shoulder",
                           "left_elbow", "right_elbow", "left_wrist", "right_wrist")]
SPINE = [J["spine1"], J["spine2"], J["spine3"]]
COLLARS = [J["left_collar"], J["right_collar"]]
#: how much further the photo's torso is bent than the estimate's: 0.4 rad about x at each spine joint (69 deg)
BEND_RAD = 0.4


def _bent(seq, rad: float = BEND_RAD):
    """``seq`` with each spine joint's local rotation turned a further ``rad`` about its x axis (bending forward)."""
    body = seq.body_pose.copy()
    for j in SPINE:
        body[:, j - 1] = matrix_to_axis_angle(axis_angle_to_matrix(body[:, j - 1])
                                              @ axis_angle_to_matrix(np.array([rad, 0.0, 0.0])))
    return replace(seq, body_pose=body)


def _photo_keypoints(fused: Path, model_path, tmp_path: Path, head: bool) -> tuple[Path, np.ndarray]:
    """Detector keypoints (76 smplx keypoints, the undetected NaN) of the fused body bent further, through the
    fused file's own camera (PIXIE's, converted: where the public photo's face keypoints meet PIXIE's own mesh);
    and (22, 2) its body joints' pixels."""
    seq = _bent(read_fused(fused))
    pts = sequence_points(seq, load_body_model(model_path))
    K, transl = np.asarray(seq.camera_K_per_frame()[0]), seq.transl[0]  # the estimate's own camera
    joints_uv = project(pts.joints + transl, K)
    uv = np.full((1, 76, 2), np.nan)
    uv[:, DETECTED] = joints_uv[:, DETECTED]
    if head:  # nose, eyes, ears: smplx keypoints 55-59, the head points of the fit's layout
        uv[:, 55:60] = project(pts.points[:, POINT_GROUPS["head"]] + transl, K)
    return write_keypoints2d(tmp_path / "bent_keypoints.npz", uv, frame_ids=np.array([2])), joints_uv[0]


def _weighted(record: dict) -> tuple[float, float]:
    w = record["camera_fit_weighted_px"]
    return w["before"], w["after"]


def test_robust_scale_follows_the_starts_residuals():
    """The camera fit's Cauchy scale: the start's confidence-weighted median point distance, never below the
    nominal scale; a heavily weighted point counts as many (flipping the weights moves the median)."""
    from core.camera.evidence import Evidence
    from core.camera.fit_common import robust_scale_px

    points = np.zeros((1, 4, 3))
    points[..., 2] = 2.0  # four points on the optical axis, 2 m away: they land on the principal point
    K = intrinsics_matrix(1000.0, np.array([400.0, 300.0]))
    offsets = np.array([5.0, 20.0, 80.0, 200.0])
    uv = np.stack([400.0 + offsets, np.full(4, 300.0)], axis=-1)[None]
    heavy_small = Evidence(uv=uv, weight=np.array([[3.0, 1.0, 1.0, 0.5]]), image_size=np.array([800.0, 600.0]))
    heavy_large = replace(heavy_small, weight=np.array([[0.5, 1.0, 1.0, 3.0]]))
    assert robust_scale_px(points, heavy_small, np.zeros((1, 3)), K, 10.0) == pytest.approx(10.0)  # median 5 px
    assert robust_scale_px(points, heavy_large, np.zeros((1, 3)), K, 10.0) == pytest.approx(200.0)
    assert robust_scale_px(points, replace(heavy_small, weight=np.ones((1, 4))), np.zeros((1, 3)), K,
                           10.0) == pytest.approx(20.0)


def test_camera_fit_far_from_its_keypoints_ends_closer(photo, model_path, tmp_path):  # noqa: F811
    """The camera fit alone, its start ~70 deg of torso bend off the keypoints and no focal given: it ends closer
    to the keypoints (confidence-weighted, what it fits) than the fused file's own camera, with its robust scale
    raised to the start's residual level and saying so (issue 20: 84 -> 178 px on the public photo at 10 px)."""
    fused, out = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused, "--footage", str(photo["png"])) == 0
    kp, _ = _photo_keypoints(fused, model_path, tmp_path, head=True)
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(out), keypoints2d=str(kp), refine_pose=False,
                                        footage=str(photo["png"]), backend="scipy"))
    before, after = _weighted(json.loads(read_fused(out).provenance)["camera_fit"])
    assert after < before, (before, after)
    assert any(n.startswith("robust loss scale") for n in outcome.fit.notes), outcome.fit.notes


def test_refinement_turns_the_torso_not_the_collars(photo, model_path, tmp_path):  # noqa: F811
    """``fit-camera --keypoints2d`` on the bent photo, no focal given: the refinement bends the spine towards the
    keypoints (both shoulders measure it, the collars held between), lands within 8 px (median over the detected
    joints) where the camera fit alone stays tens of px away, leaves the collars exactly at the estimate's, and the
    report carries the refinement's record per group."""
    fused, out, report = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz", tmp_path / "fit.json"
    assert _fuse(photo, model_path, fused, "--footage", str(photo["png"])) == 0
    kp, truth_uv = _photo_keypoints(fused, model_path, tmp_path, head=True)
    model = load_body_model(model_path)

    def median_px(path: Path) -> float:
        seq = read_fused(path)
        joints = sequence_points(seq, model).joints[0]
        uv = project(joints + seq.transl[0], np.asarray(seq.camera_K).reshape(3, 3))
        return float(np.median(np.linalg.norm(uv[DETECTED] - truth_uv[DETECTED], axis=-1)))

    camera_only = tmp_path / "camera_only.fused.npz"
    fit_fused_file(FitRequest(fused=str(fused), out=str(camera_only), keypoints2d=str(kp), refine_pose=False,
                              footage=str(photo["png"])))
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(out), keypoints2d=str(kp),
                                        footage=str(photo["png"])))
    assert median_px(camera_only) > 15.0
    assert median_px(out) <= 8.0, median_px(out)
    before, after = read_fused(fused), read_fused(out)
    pose_b = np.concatenate([before.global_orient[:, None], before.body_pose], axis=1)
    pose_a = np.concatenate([after.global_orient[:, None], after.body_pose], axis=1)
    change = rotation_change_deg(pose_b, pose_a)[0]
    assert change[COLLARS].max() == 0.0
    assert change[SPINE].max() > 5.0
    assert np.isin(SPINE, outcome.refinement.refined_joints).all()
    report.write_text(json.dumps(report_json(outcome)))
    record = json.loads(report.read_text())["pose_refinement"]
    assert record["unseen_joint_change_deg"] == 0.0 and not record["reverted"]
    groups = {g["group"]: g for g in record["groups"]}
    assert groups["torso"]["kept"] is True and groups["torso"]["max_change_deg"] > 5.0
    assert {"heldout_px_before", "heldout_px_after", "reason"} <= set(groups["left_arm"])
    # one image: a held-out figure that rose is recorded, not enforced (the in-sample rule decides), and says so
    for g in record["groups"]:
        if g["kept"] and g["heldout_px_before"] is not None and g["heldout_px_after"] > g["heldout_px_before"]:
            assert "not enforced on a single image" in g["reason"], g


def test_head_and_neck_hold_without_face_keypoints(photo, model_path, tmp_path):  # noqa: F811
    """The same photo with body keypoints only: the torso is corrected, the neck and head keep the estimate's
    rotation (at most 3 deg, here exactly), and the record says they were not corrected."""
    fused, out = tmp_path / "x.fused.npz", tmp_path / "fit.fused.npz"
    assert _fuse(photo, model_path, fused, "--footage", str(photo["png"])) == 0
    kp, _ = _photo_keypoints(fused, model_path, tmp_path, head=False)
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(out), keypoints2d=str(kp),
                                        footage=str(photo["png"])))
    before, after = read_fused(fused), read_fused(out)
    change = rotation_change_deg(before.body_pose, after.body_pose)[0]
    assert change[[J["neck"] - 1, J["head"] - 1]].max() <= 3.0
    assert not np.isin([J["neck"], J["head"]], outcome.refinement.refined_joints).any()
    assert np.isin(SPINE, outcome.refinement.refined_joints).all()
