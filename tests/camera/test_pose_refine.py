"""Pose refinement with the camera fit (``fit-camera --refine-pose``, on by default with 2D keypoints): the solver's
kinematics and gradient against numpy forward kinematics and central differences, the focal and translation it
recovers from a fused-like pose, what it writes, and the refusal without keypoints."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from core.body.model import load_body_model
from core.body.skeleton import JOINT_INDEX
from core.camera.evidence import build_evidence
from core.camera.fit import FitOptions, fit_camera
from core.camera.keypoints2d import read_keypoints2d, write_keypoints2d
from core.camera.points import NUM_POINTS, point_rig, posed_points, sequence_points
from core.camera.pose_refine import BODY_REFINE_JOINTS, RefineOptions, anchor_joints, refine_pose, refined_joint_set
from core.cli import main as core_main
from core.contracts.fused_file import read_fused
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from tests.camera.keypoint_takes import detector_keypoints


def _mpjpe_mm(joints: np.ndarray, true_joints: np.ndarray) -> float:
    """Mean distance of joints 1-21 (T, 55, 3) to the truth's, pelvis aligned (camera frame)."""
    return 1000.0 * float(np.mean(np.linalg.norm((joints[:, 1:22] - joints[:, :1])
                                                 - (true_joints[:, 1:22] - true_joints[:, :1]), axis=-1)))


@pytest.mark.parametrize("joints", ["body", "body+hands"])
def test_solver_kinematics_and_gradient(model_path, joints):
    """The solver's kinematics (points riding on their nearest corrected joint) puts the fit points where
    :func:`core.camera.points.posed_points` (joint by joint) puts them for the corrected pose, and its analytic
    gradient (the chains' Jacobian, through the exponential map's right Jacobian) matches central differences of
    the objective."""
    from core.camera.refine_solver import RefineProblem, RefineState, _Kinematics, _System, objective
    from core.demo_data.ground_truth import make_ground_truth

    model = load_body_model(model_path)
    gt = make_ground_truth(4, seed=3)
    pose = gt.full_pose()
    free = np.sort(refined_joint_set(joints))
    rig = point_rig(gt.betas, gt.expression, model, 4)
    rng = np.random.default_rng(0)
    corrections = rng.normal(0.0, 0.3, (4, free.shape[0], 3))
    uv = rng.normal(0.0, 5.0, (4, NUM_POINTS, 2)) + 640.0
    problem = RefineProblem(local_fused=axis_angle_to_matrix(pose), rest_joints=rig.rest_joints,
                            point_joint=rig.point_joint, point_offset=rig.point_offset, uv=uv,
                            weight=rng.uniform(0.1, 1.0, (4, NUM_POINTS)), centre=np.array([640.0, 360.0]), free=free,
                            prior=np.full(free.shape[0], 3.0), smooth_weight=1.0, transl_smooth_weight=0.1,
                            robust_px=10.0, transl_scale=np.full(4, 300.0), fit_focal=True)
    kin = _Kinematics(problem)
    corrected = pose.copy()
    corrected[:, free] = matrix_to_axis_angle(axis_angle_to_matrix(pose[:, free]) @ axis_angle_to_matrix(corrections))
    np.testing.assert_allclose(kin.pose(corrections)[0], posed_points(corrected, gt.betas, gt.expression,
                                                                      model).points, atol=1e-9)
    state = RefineState(delta=corrections, transl=gt.transl + 0.05, log_focal=float(np.log(1100.0)))
    system = _System(problem, state, kin)
    eps = 1e-6
    for name, index, column in (("transl", (1, 2), (1, 2)), ("delta", (2, free.shape[0] - 1, 0),
                                                          (2, 3 + 3 * (free.shape[0] - 1)))):
        up, down = (RefineState(delta=state.delta.copy(), transl=state.transl.copy(), log_focal=state.log_focal)
                    for _ in range(2))
        getattr(up, name)[index] += eps
        getattr(down, name)[index] -= eps
        numeric = (objective(problem, up) - objective(problem, down)) / (4 * eps)  # the system holds half
        assert system.g[column] == pytest.approx(numeric, rel=1e-5, abs=1e-4)  # differences of ~1e5: ~1e-5 noise
    up = RefineState(delta=state.delta, transl=state.transl, log_focal=state.log_focal + eps)
    down = RefineState(delta=state.delta, transl=state.transl, log_focal=state.log_focal - eps)
    assert system.gf == pytest.approx((objective(problem, up) - objective(problem, down)) / (4 * eps), rel=1e-5)


def test_joint_sets_and_anchors():
    body = refined_joint_set("body")
    assert sorted(body.tolist()) == BODY_REFINE_JOINTS.tolist()
    anchors = anchor_joints(np.array([JOINT_INDEX["left_index3"], JOINT_INDEX["jaw"], 7]), body)
    assert anchors.tolist() == [JOINT_INDEX["left_wrist"], JOINT_INDEX["head"], 7]


@pytest.fixture(scope="module")
def fused_like_take(model_path, tmp_path_factory):
    """1,000 frames of the demo's ground truth, a fused-like pose (every joint's rotation times exp(e), e ~ N(0,
    sigma^2 I) per frame as the body regressor's errors, then smoothed over time as the fusion does: about 1.8 deg
    per axis on the body, 4.6 deg on the wrists), and a detector's keypoints of the truth (2 px, 5 % missed)."""
    from core.demo_data.ground_truth import make_ground_truth
    from core.demo_data.noise import perturb_axis_angle
    from core.fusion.temporal import smooth_axis_angle

    model = load_body_model(model_path)
    frames = 1000
    truth = make_ground_truth(frames, seed=0)
    rng = np.random.default_rng(100)
    pose = truth.full_pose()
    sigma = np.full(55, 0.06)
    sigma[0], sigma[20:22], sigma[22:25] = 0.03, 0.15, 0.0
    noisy = np.stack([perturb_axis_angle(rng, pose[:, j], sigma[j]) for j in range(55)], axis=1)
    fp = smooth_axis_angle(noisy, truth.fps)
    fused = replace(truth, global_orient=fp[:, 0], body_pose=fp[:, 1:22], left_hand_pose=fp[:, 25:40],
                    right_hand_pose=fp[:, 40:55], transl=truth.transl + rng.normal(0.0, 0.05, (frames, 3)))
    path = write_keypoints2d(tmp_path_factory.mktemp("fused_like") / "kp.npz",
                             detector_keypoints(truth, model, rng, 2.0, 0.05), image_size=truth.image_size)
    points = sequence_points(fused, model)
    evidence = build_evidence(fused, points, model, keypoints2d=read_keypoints2d(path))
    return model, truth, fused, points, evidence


def test_refinement_recovers_focal_and_translation(fused_like_take):
    """The camera fit alone on the fused-like pose misses the focal by over 5 % (its errors bias it); refining the
    pose with it brings the focal within 2 % and the translation within 1 % of depth, and the refined pose is
    closer to the truth than the fused one (the issue's targets; ``bench/camera_fit.py`` measures the demo take).
    Measured here: focal 8.7 % -> 0.2 %, translation 8.4 % -> 0.3 %, MPJPE 25 -> 10 mm. Another seed of the same
    recipe (seed 1) ends 2.7 % off in focal: the refinement is not within target on every take."""
    model, truth, fused, points, evidence = fused_like_take
    focal_true = float(truth.camera_K[0, 0])
    fit = fit_camera(points, evidence, fused.transl, fused.camera_K, FitOptions(device="cpu"))
    assert abs(fit.focal_px / focal_true - 1.0) > 0.05, fit.focal_px
    rig = point_rig(fused.betas, fused.expression, model, fused.num_frames)
    refined = refine_pose(fused.full_pose(), rig, evidence, fit.focal_px, fit.transl_cam, fit.principal_point,
                          RefineOptions(device="cpu"))
    assert abs(refined.focal_px / focal_true - 1.0) <= 0.02, refined.focal_px
    depth_err = np.linalg.norm(refined.transl_cam - truth.transl, axis=1) / truth.transl[:, 2]
    assert np.median(depth_err) <= 0.01, np.median(depth_err)
    true_joints = sequence_points(truth, model).joints
    refined_joints = posed_points(refined.full_pose, fused.betas, fused.expression, model).joints
    assert _mpjpe_mm(refined_joints, true_joints) < 0.7 * _mpjpe_mm(points.joints, true_joints)
    # only the body joints move; the reprojection drops to about the keypoints' noise
    np.testing.assert_array_equal(refined.full_pose[:, 22:], fused.full_pose()[:, 22:])
    assert np.nanmean(refined.reproj_after_px) < 0.5 * np.nanmean(refined.reproj_before_px)


@pytest.fixture(scope="module")
def noisy_take(model_path, tmp_path_factory):
    """120 frames of the demo estimators with their usual noise, fused, and a detector's keypoints of the truth."""
    from core.demo_data import write_demo_data

    folder = tmp_path_factory.mktemp("refine_take")
    data = write_demo_data(folder / "estimators", model_path, num_frames=120, seed=0)
    fused = folder / "take.fused.npz"
    assert core_main(["fuse", "--body", str(data.body), "--face", str(data.face), "--face-bbox",
                      str(data.face_bbox), "--hands", str(data.hands), "--model", str(model_path), "--out",
                      str(fused), "--quiet"]) == 0
    truth = read_fused(data.ground_truth)
    uv = detector_keypoints(truth, load_body_model(model_path), np.random.default_rng(3), 2.0, 0.05)
    kp = write_keypoints2d(folder / "kp.npz", uv, frame_ids=np.arange(truth.num_frames) + data.first_frame,
                           image_size=truth.image_size)
    return data, fused, kp


def test_fit_camera_writes_the_refined_pose(noisy_take, model_path, tmp_path, capsys):
    """With --keypoints2d the refinement is on by default: the written file passes ``read_fused``, carries the
    refined body pose (hands, jaw, eyes and expression as fused) and records it in the provenance; its body is
    closer to the truth than the fused one. ``--no-refine-pose`` keeps the fused pose as it was."""
    data, fused_path, kp = noisy_take
    model = load_body_model(model_path)
    out, plain = tmp_path / "refined.fused.npz", tmp_path / "plain.fused.npz"
    assert core_main(["fit-camera", str(fused_path), "--from-provenance", "--keypoints2d", str(kp), "--out",
                      str(out), "--quiet"]) == 0
    assert "pose refined" in capsys.readouterr().out
    assert core_main(["fit-camera", str(fused_path), "--from-provenance", "--keypoints2d", str(kp),
                      "--no-refine-pose", "--out", str(plain), "--quiet"]) == 0
    fused, refined, kept, truth = (read_fused(p) for p in (fused_path, out, plain, data.ground_truth))
    record = json.loads(refined.provenance)["camera_fit"]["pose_refinement"]
    # keypoints on every body joint: all but the feet and the head (nothing they carry is observed) are corrected
    assert record["refined_joints"] == [j for j in range(22) if j not in (10, 11, 15)]
    assert record["correction_deg"]["mean"] > 0 and record["unseen_joint_change_deg"] == 0.0
    assert {g["group"] for g in record["groups"]} >= {"torso", "left_arm", "right_leg", "head"}
    for group in record["groups"]:
        if group["kept"]:
            assert group["heldout_px_after"] <= group["heldout_px_before"], group
    assert "pose_refinement" not in json.loads(kept.provenance)["camera_fit"]
    np.testing.assert_array_equal(kept.body_pose, fused.body_pose)
    assert np.abs(refined.body_pose - fused.body_pose).max() > 1e-3
    for name in ("left_hand_pose", "right_hand_pose", "jaw_pose", "leye_pose", "reye_pose", "expression", "betas"):
        np.testing.assert_allclose(getattr(refined, name), getattr(fused, name), atol=1e-12, err_msg=name)
    true_joints = sequence_points(truth, model).joints
    assert _mpjpe_mm(sequence_points(refined, model).joints, true_joints) \
        < _mpjpe_mm(sequence_points(fused, model).joints, true_joints)


def test_refine_pose_refused_without_keypoints(noisy_take, tmp_path, capsys):
    """Crop evidence carries no perspective: ``--refine-pose`` without ``--keypoints2d`` exits 2 with one line
    naming the flag, and writes nothing."""
    _, fused_path, _ = noisy_take
    out = tmp_path / "never.fused.npz"
    assert core_main(["fit-camera", str(fused_path), "--from-provenance", "--refine-pose", "--out", str(out),
                      "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--refine-pose" in err and "--keypoints2d" in err and len(err.splitlines()) == 1
    assert not out.exists()
