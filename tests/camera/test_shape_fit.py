"""The built-in model's own shape fitted to a 2D detector's keypoints (and 3D joints where a file carries them).

Synthetic takes of known shape (``core.demo_data.shape_takes``): a body drawn in the built-in model's shape space,
seen through a camera by a detector with pixel noise and misses, the pose as a regressor estimates it (noisy).
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from core.body.builtin import ensure_builtin_model
from core.body.limbs import LIMB_BONE_NAMES, LIMB_NAMES, limb_lengths
from core.body.model import load_body_model
from core.camera.fit_fused import FitRequest, fit_fused_file
from core.camera.keypoints2d import Keypoints2D, keypoints_as_points, write_keypoints2d
from core.camera.points import posed_points
from core.camera.shape_fit import ShapeFitOptions, fit_shape, limb_agreement_2d, linear_points
from core.contracts.fused_file import write_fused
from core.demo_data.camera import project_K
from core.demo_data.shape_takes import make_shape_take, true_joints

FRAMES = 60


@pytest.fixture(scope="module")
def builtin_path(tmp_path_factory):
    return ensure_builtin_model("neutral", tmp_path_factory.mktemp("builtin"), kind="mannequin")


@pytest.fixture(scope="module")
def model(builtin_path):
    return load_body_model(builtin_path)


def _points_evidence(take, image_size):
    t = take.truth.num_frames
    conf = np.where(np.isfinite(take.keypoints_uv).all(-1), 1.0, 0.0)
    kp = Keypoints2D(uv=take.keypoints_uv, confidence=conf, frame_ids=np.arange(t), image_size=None)
    return keypoints_as_points(kp, np.arange(t), image_size)


def _rest_limbs(model, betas):
    return limb_lengths(model.rest_joints(betas))


def test_truth_joints_match_smplx(model, builtin_path):
    """The synthetic take's joints against the smplx package's forward pass (an independent implementation)."""
    from core.body.smplx_forward import smplx_forward

    take = make_shape_take(model, 4, seed=5)
    joints, _ = smplx_forward(builtin_path, take.truth, num_betas=10, num_expression=10)
    assert np.abs(joints[:, :55] - true_joints(take.truth, model)).max() < 1e-5


def test_linear_points_are_the_posed_points(model):
    take = make_shape_take(model, 8, seed=1)
    betas = np.random.default_rng(2).normal(size=10)
    ref = posed_points(take.truth.full_pose(), betas, take.truth.expression, model).points[:, :64]
    base, dirs = linear_points(take.truth.full_pose(), take.truth.expression, model, 10)
    assert np.abs(base + np.einsum("btpc,b->tpc", dirs, betas) - ref).max() < 1e-9
    base, dirs = linear_points(take.truth.full_pose(), take.truth.expression, model, 4, betas)  # the rest held
    assert np.abs(base + np.einsum("btpc,b->tpc", dirs, betas[:4]) - ref).max() < 1e-9


def test_limb_agreement_convention(model):
    """rel = model / measured - 1: a body 10 % longer at the same place reads +0.10 on every limb."""
    take = make_shape_take(model, 6, seed=3, noise_px=0.0, missed=0.0)
    joints = take.joints_cam
    uv = project_K(joints, take.truth.camera_K)
    root = joints[:, :1]
    longer = root + 1.1 * (joints - root)
    weight = np.ones(uv.shape[:2])
    same = limb_agreement_2d(joints, take.truth.camera_K, uv, weight)
    more = limb_agreement_2d(longer, take.truth.camera_K, uv, weight)
    assert set(same) == set(LIMB_NAMES)
    for name in LIMB_NAMES:
        assert abs(same[name]["rel"]) < 1e-9
        assert more[name]["rel"] == pytest.approx(0.10, abs=0.02)  # perspective: the joints' depths shift a little


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shape_from_noisy_keypoints_within_3_percent(model, seed):
    take = make_shape_take(model, FRAMES, seed=seed, noise_px=2.0, missed=0.05, pose_noise_rad=0.03)
    uv, conf = _points_evidence(take, take.truth.image_size)
    truth = _rest_limbs(model, take.truth.betas)
    start_err = np.abs(_rest_limbs(model, np.zeros(10)) / truth - 1).max()
    fit = fit_shape(take.estimate.full_pose(), take.estimate.expression, model, uv, conf, take.truth.camera_K,
                    take.truth.transl)
    err = np.abs(_rest_limbs(model, fit.betas) / truth - 1)
    # the limb bones within 3 %; the torso and breadths (posed through the noisy spine and collars) within 5 %
    assert start_err > 0.04 and err[:len(LIMB_BONE_NAMES)].max() < 0.03 and err.max() < 0.05, \
        (start_err, dict(zip(LIMB_NAMES, err.round(4))))
    assert fit.reproj_px_after <= fit.reproj_px_before
    summary = fit.summary()
    assert set(summary["limb_agreement"]) == set(LIMB_NAMES)
    assert summary["limb_rel_err_max"] < 0.05 and summary["fitted_betas"] == 10


def test_size_from_3d_joints(model):
    """2D keypoints cannot tell a larger body further away from a smaller one nearer; an estimator's 3D joints
    (ExPose's) give the limbs in metres. With every translation 8 % too far, a 2D fit at that distance grows the body;
    with the 3D joints the fit keeps the true size and moves the body back to its true distance."""
    take = make_shape_take(model, FRAMES, seed=4, pose_noise_rad=0.0)
    uv, conf = _points_evidence(take, take.truth.image_size)
    truth = _rest_limbs(model, take.truth.betas)
    far = take.truth.transl * 1.08
    pose, expr, K = take.estimate.full_pose(), take.estimate.expression, take.truth.camera_K
    held = fit_shape(pose, expr, model, uv, conf, K, far, options=ShapeFitOptions(fit_translation=False))
    assert np.median(_rest_limbs(model, held.betas) / truth) > 1.05
    with_3d = fit_shape(pose, expr, model, uv, conf, K, far, joints3d=take.joints_cam)
    assert np.abs(_rest_limbs(model, with_3d.betas) / truth - 1).max() < 0.02
    assert with_3d.depth_scale == pytest.approx(1 / 1.08, rel=0.01)
    assert all(abs(v["rel_m"]) < 0.02 for v in with_3d.limbs.values())


def test_too_few_keypoints_leave_the_shape(model):
    take = make_shape_take(model, 4, seed=6)
    uv = np.full((4, 65, 2), np.nan)
    weight = np.zeros((4, 65))
    uv[0, :3], weight[0, :3] = 100.0, 1.0
    fit = fit_shape(take.estimate.full_pose(), None, model, uv, weight, take.truth.camera_K, take.truth.transl,
                    np.full(10, 0.5))
    assert fit.fitted_betas == 0 and np.allclose(fit.betas, 0.5) and "not fitted" in fit.notes[0]


def _write_take(tmp_path, model, seed):
    take = make_shape_take(model, FRAMES, seed=seed)
    fused = write_fused(tmp_path / "take.fused.npz", take.estimate)
    kp = write_keypoints2d(tmp_path / "keypoints.npz", take.keypoints_uv, image_size=take.truth.image_size)
    return take, fused, kp


def test_fit_camera_fits_the_builtin_shape(model, builtin_path, tmp_path):
    take, fused, kp = _write_take(tmp_path, model, seed=1)
    request = FitRequest(fused=str(fused), out=str(tmp_path / "fit.fused.npz"), keypoints2d=str(kp),
                         model=str(builtin_path), refine_pose=False, backend="scipy")
    outcome = fit_fused_file(request)
    record = json.loads(outcome.sequence.provenance)["camera_fit"]["shape_fit"]
    truth = _rest_limbs(model, take.truth.betas)
    err = np.abs(_rest_limbs(model, outcome.sequence.betas) / truth - 1)
    assert record["fitted"] and record["shape_space"].startswith("builtin:")
    assert err[:len(LIMB_BONE_NAMES)].max() < 0.03 and err.max() < 0.05, dict(zip(LIMB_NAMES, err.round(4)))
    assert np.allclose(record["betas"], outcome.sequence.betas, atol=1e-4)
    for name in LIMB_NAMES:
        entry = record["limb_agreement"][name]
        assert abs(entry["rel_after"]) < 0.05 and entry["frames"] > 0 and entry["measured_px"] > 0
    assert any("shape fitted on the built-in model" in n for n in outcome.fit.notes)


def test_fit_camera_keeps_smplx_betas(builtin_path, tmp_path):
    """With SMPL-X's own model file the estimator's betas stay as fused (nothing refitted)."""
    folder = tmp_path / "my_models"
    folder.mkdir()
    official = load_body_model(shutil.copy(builtin_path, folder / "SMPLX_NEUTRAL.npz"))
    take = make_shape_take(official, FRAMES, seed=2)
    betas = np.linspace(-1.0, 1.0, 10)
    from dataclasses import replace

    fused = write_fused(tmp_path / "take.fused.npz", replace(take.estimate, betas=betas))
    kp = write_keypoints2d(tmp_path / "keypoints.npz", take.keypoints_uv, image_size=take.truth.image_size)
    outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(tmp_path / "fit.fused.npz"), keypoints2d=str(kp),
                                        model=official.path, refine_pose=False, backend="scipy"))
    record = json.loads(outcome.sequence.provenance)["camera_fit"]["shape_fit"]
    assert record["fitted"] is False and "SMPL-X's own model" in record["reason"]
    assert np.allclose(outcome.sequence.betas, betas)


def test_estimate_joints3d_rows_and_layout(model):
    """An estimate's own 3D joints (ExPose: smplx's 144, invalid rows zeroed by the reader) land on the fused rows
    by frame id; rows not valid and other layouts give nothing."""
    from dataclasses import replace

    from core.camera.shape_fit import estimate_joints3d
    from core.contracts.estimates import BodyEstimate

    take = make_shape_take(model, 5, seed=7)
    seq = take.truth
    seq.extras["frame_ids"] = np.arange(10, 15)
    n = 3
    joints = np.zeros((n, 144, 3))
    joints[:, :55] = take.joints_cam[[1, 2, 4]]
    body = BodyEstimate(frame_ids=np.array([11, 12, 14]), global_orient=np.zeros((n, 3)),
                        body_pose=np.zeros((n, 21, 3)), left_hand_pose=np.zeros((n, 15, 3)),
                        right_hand_pose=np.zeros((n, 15, 3)), hand_pose_relative_to="flat", jaw_pose=np.zeros((n, 3)),
                        leye_pose=np.zeros((n, 3)), reye_pose=np.zeros((n, 3)), betas=np.zeros((n, 10)),
                        expression=np.zeros((n, 10)), transl=np.zeros((n, 3)), camera_K=np.eye(3), image_size=None,
                        bbox=None, score=None, valid=np.array([True, False, True]), joints_3d=joints,
                        joint_layout="smplx-144 (smplx joints 0-126 + 17 face contour; ExPose SMPLXLayer output)")
    out = estimate_joints3d(body, seq)
    assert out.shape == (5, 55, 3)
    assert np.allclose(out[1], take.joints_cam[1]) and np.allclose(out[4], take.joints_cam[4])
    assert np.isnan(out[[0, 2, 3]]).all()  # no row, an invalid row, no row
    assert estimate_joints3d(replace(body, joint_layout="coco-17"), seq) is None
    assert estimate_joints3d(replace(body, joints_3d=None), seq) is None


def test_pose_error_is_not_turned_into_a_body(model):
    """A pose far off the keypoints (a real photo before the pose is right) leaves the shape: the misfit is the
    pose's (a fit then pins betas at their bounds); a pose near them is fitted."""
    bad = make_shape_take(model, 10, seed=8, pose_noise_rad=0.4)
    uv, conf = _points_evidence(bad, bad.truth.image_size)
    fit = fit_shape(bad.estimate.full_pose(), None, model, uv, conf, bad.truth.camera_K, bad.truth.transl)
    assert fit.fitted_betas == 0 and not fit.betas.any() and "pose error" in fit.notes[0]
    assert fit.reproj_px_before > 0.05 * 500
    good = make_shape_take(model, 10, seed=8, pose_noise_rad=0.03)
    uv, conf = _points_evidence(good, good.truth.image_size)
    fit = fit_shape(good.estimate.full_pose(), None, model, uv, conf, good.truth.camera_K, good.truth.transl)
    assert fit.fitted_betas == 10 and np.abs(fit.betas).max() < 3.0
