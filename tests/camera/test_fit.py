"""The camera fit: what it recovers, from which evidence, and what the estimators' crop cameras cannot tell it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.body.model import load_body_model
from core.camera.conversions import intrinsics_matrix, project
from core.camera.evidence import Evidence, build_evidence
from core.camera.fit import FitOptions, fit_camera, objective_at
from core.camera.points import NUM_POINTS, sequence_points
from core.contracts.fused_file import read_fused
from core.demo_data.ground_truth import make_ground_truth

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model(model_path):
    return load_body_model(model_path)


def _virtual_cameras(gt, points, rng):
    """Per-frame crop cameras like SMPLer-X's (focal ~13,000 px, principal point at a jittered box centre) and
    the translations that show the pelvis at its true pixel and size in them."""
    t = gt.num_frames
    K_true = gt.camera_K_per_frame()
    pelvis = points.points[:, 0] + gt.transl
    uv = project(pelvis[:, None], K_true)[:, 0]
    f_virt = rng.uniform(12000.0, 14000.0, t)
    c_virt = uv + rng.normal(0.0, 20.0, (t, 2))
    K_virt = intrinsics_matrix(f_virt, c_virt)
    z = pelvis[:, 2] * f_virt / K_true[:, 0, 0]
    xy = (uv - c_virt) / f_virt[:, None] * z[:, None]
    return np.concatenate([xy, z[:, None]], 1) - points.points[:, 0], K_virt


@pytest.mark.parametrize("backend", ["torch", "scipy"])
def test_recovers_focal_and_translation_from_perspective_evidence(model, backend):
    """Ground truth with a known focal, 2D evidence carrying the true perspective (0.5 px noise), a start from
    per-frame crop cameras: focal within 2 %, translation within 1 % of depth (either fit)."""
    rng = np.random.default_rng(0)
    gt = make_ground_truth(60, seed=1)
    points = sequence_points(gt, model)
    uv = project(points.points + gt.transl[:, None], gt.camera_K) + rng.normal(0.0, 0.5, (60, NUM_POINTS, 2))
    evidence = Evidence(uv=uv, weight=np.full((60, NUM_POINTS), 1.0 / NUM_POINTS), image_size=gt.image_size)
    start, K_virt = _virtual_cameras(gt, points, rng)
    fit = fit_camera(points, evidence, start, K_virt, FitOptions(backend=backend))
    assert fit.backend == backend
    focal_true = float(gt.camera_K[0, 0])
    assert abs(fit.focal_px / focal_true - 1.0) <= 0.02, fit.focal_px
    err = np.linalg.norm(fit.transl_cam - gt.transl, axis=1) / gt.transl[:, 2]
    assert np.median(err) <= 0.01 and err.max() <= 0.02, (np.median(err), err.max())
    assert np.nanmean(fit.reproj_after_px) < 1.0 < np.nanmean(fit.reproj_before_px)
    # the start was a per-frame virtual camera 10x too far: the grid found the right region first
    assert 0.5 * focal_true < fit.grid_best[0] < 2.0 * focal_true


def test_estimator_crop_cameras_with_footage_focal(take, model):
    """From the estimators' own crop-camera outputs (core.demo_data, noise-free regressors, per-frame boxes) and the
    footage's focal: the translation within 1 % of depth, and one camera for the sequence."""
    fitted = read_fused(take.fitted)
    truth = read_fused(take.data.ground_truth)
    assert fitted.camera_K.shape == (3, 3)
    np.testing.assert_allclose(fitted.camera_K, truth.camera_K, rtol=1e-9)
    err = np.linalg.norm(fitted.transl - truth.transl, axis=1) / truth.transl[:, 2]
    assert np.median(err) <= 0.01, np.median(err)
    before = fitted.extras["camera_reproj_px_before"]
    after = fitted.extras["camera_reproj_px_after"]
    assert before.shape == after.shape == (fitted.num_frames,)
    # the body regressor's virtual camera put the take at ~40 m; the fitted one at the true depth
    fused = read_fused(take.fused)
    assert np.median(fused.transl[:, 2]) > 5 * np.median(truth.transl[:, 2])


def test_crop_cameras_alone_do_not_pin_the_focal(take, model):
    """Why the focal comes from the user or the footage: each estimator renders its own 3D through a near-orthographic
    crop camera, so the objective is lower at a wrong focal than at the true camera (flat, biased valley)."""
    from core.io import read_body, read_face, read_hands

    data = take.data
    seq = read_fused(take.fused)
    truth = read_fused(data.ground_truth)
    points = sequence_points(seq, model)
    evidence = build_evidence(seq, points, model, body=read_body(data.body), hands=read_hands(data.hands),
                              face=read_face(data.face, bbox=data.face_bbox))
    fit = fit_camera(points, evidence, seq.transl, seq.camera_K)
    at_truth = objective_at(points, evidence, truth.transl, float(truth.camera_K[0, 0]))
    assert fit.loss_final < at_truth
    assert abs(fit.focal_px / truth.camera_K[0, 0] - 1.0) > 0.1
    # the fit still finds one camera that reprojects better than the per-frame virtual cameras did
    assert np.nanmean(fit.reproj_after_px) < np.nanmean(fit.reproj_before_px)


@pytest.mark.parametrize("backend", ["torch", "scipy"])
def test_robust_to_outliers_and_smooth_in_time(model, backend):
    rng = np.random.default_rng(4)
    gt = make_ground_truth(40, seed=2)
    points = sequence_points(gt, model)
    K = gt.camera_K
    uv = project(points.points + gt.transl[:, None], K) + rng.normal(0.0, 1.5, (40, NUM_POINTS, 2))
    uv[7, :10] += 300.0  # a detector gone wrong on ten points of one frame
    weight = np.full((40, NUM_POINTS), 1.0 / NUM_POINTS)
    evidence = Evidence(uv=uv, weight=weight, image_size=gt.image_size)
    options = dict(focal_px=float(K[0, 0]), focal_source="user", backend=backend)
    rough = fit_camera(points, evidence, gt.transl * [1, 1, 1.2], K, FitOptions(smooth_weight=0.0, **options))
    smooth = fit_camera(points, evidence, gt.transl * [1, 1, 1.2], K, FitOptions(smooth_weight=5.0, **options))
    err = np.linalg.norm(rough.transl_cam - gt.transl, axis=1) / gt.transl[:, 2]
    assert err[7] < 0.01, "the Cauchy loss ignores the 300 px outliers"

    def jerk(t):
        return np.abs(np.diff(t, 2, axis=0)).mean()

    assert jerk(smooth.transl_cam) < 0.5 * jerk(rough.transl_cam)


def test_camera_package_needs_neither_torch_nor_scipy():
    """Everything but the fit imports and runs with numpy alone (no torch, no scipy); the scipy fit imports
    without torch."""
    code = (
        "import sys\n"
        "sys.modules['torch'] = None; sys.modules['scipy'] = None\n"
        "import numpy as np\n"
        "import core, core.camera\n"
        "from core.camera import blender_camera, conversions, evidence, footage, points, result, fit_fused, fit\n"
        "from core.camera import command\n"
        "K = conversions.intrinsics_matrix(1100.0, [640.0, 360.0])\n"
        "print(blender_camera.blender_camera_settings(K, (1280, 720)).lens_mm[0])\n"
        "assert not fit.torch_available()\n"
        "del sys.modules['scipy']\n"
        "from core.camera import fit_scipy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip()) == pytest.approx(1100 * 36 / 1280)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu(model):
    gt = make_ground_truth(30, seed=1)
    points = sequence_points(gt, model)
    uv = project(points.points + gt.transl[:, None], gt.camera_K)
    evidence = Evidence(uv=uv, weight=np.full((30, NUM_POINTS), 1.0 / NUM_POINTS), image_size=gt.image_size)
    cpu = fit_camera(points, evidence, gt.transl * 1.1, gt.camera_K, FitOptions(device="cpu"))
    gpu = fit_camera(points, evidence, gt.transl * 1.1, gt.camera_K, FitOptions(device="cuda"))
    assert gpu.device == "cuda"
    assert gpu.focal_px == pytest.approx(cpu.focal_px, rel=1e-3)
