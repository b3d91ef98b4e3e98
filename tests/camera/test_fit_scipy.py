"""The camera fit without torch (``core.camera.fit_scipy``): the same objective as the torch fit, what it recovers,
when it is chosen, and that pose refinement (numpy) runs where torch is missing (the command line, Blender's re-fit)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import least_squares

import core.camera.fit as camera_fit
from core.body.model import load_body_model
from core.camera.conversions import project
from core.camera.errors import CameraError
from core.camera.evidence import Evidence, build_evidence
from core.camera.fit import FitOptions, fit_camera, objective_at
from core.camera.fit_fused import FitRequest
from core.camera.fit_scipy import _Residuals, fit_camera_scipy, jacobian_sparsity, robust_factor
from core.camera.keypoints2d import read_keypoints2d, write_keypoints2d
from core.camera.points import NUM_POINTS, sequence_points
from core.contracts.fused_file import read_fused
from core.demo_data.ground_truth import make_ground_truth
from tests.camera.keypoint_takes import detector_keypoints
from tests.camera.test_fit import _virtual_cameras

ROOT = Path(__file__).resolve().parents[2]
#: Run the core with torch made unimportable (``sys.modules['torch'] = None``), as in Blender's own Python.
_NO_TORCH = "import sys; sys.modules['torch'] = None; from core.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def model(model_path):
    return load_body_model(model_path)


@pytest.fixture(scope="module")
def keypoint_take(model, tmp_path_factory):
    """A 60-frame ground truth seen by a 2D detector (2 px noise, 5 % missed; ``keypoint_takes``), its evidence
    through ``core.camera.keypoints2d``, and a start from per-frame crop cameras ~12x the true focal."""
    gt = make_ground_truth(60, seed=1)
    points = sequence_points(gt, model)
    uv = detector_keypoints(gt, model, np.random.default_rng(11), 2.0, 0.05)
    kp = read_keypoints2d(write_keypoints2d(tmp_path_factory.mktemp("kp") / "kp.npz", uv,
                                            frame_ids=np.arange(gt.num_frames), image_size=gt.image_size))
    evidence = build_evidence(gt, points, model, keypoints2d=kp)
    start, K_virt = _virtual_cameras(gt, points, np.random.default_rng(2))
    return gt, points, evidence, start, K_virt


def _small_problem(model, fit_focal: bool):
    rng = np.random.default_rng(3)
    gt = make_ground_truth(7, seed=5)
    points = sequence_points(gt, model)
    uv = project(points.points + gt.transl[:, None], gt.camera_K) + rng.normal(0.0, 3.0, (7, NUM_POINTS, 2))
    uv[2, :6] += 150.0  # outliers: the robust factor well away from 1
    weight = rng.uniform(0.0, 0.05, (7, NUM_POINTS)) * (rng.random((7, NUM_POINTS)) > 0.1)
    evidence = Evidence(uv=uv, weight=weight, image_size=gt.image_size)
    opts = FitOptions(focal_prior_px=1300.0 if fit_focal else None)
    res = _Residuals(points.points, points.points[:, 0], evidence, np.array([640.0, 360.0]), opts, fit_focal, 1000.0)
    x = res.pack(np.log(1250.0), rng.uniform(500.0, 800.0, (7, 2)), np.log(1250.0 / (gt.transl[:, 2] * 1.2)))
    return res, x


@pytest.mark.parametrize("fit_focal", [True, False])
def test_jacobian_is_the_residuals_derivative(model, fit_focal):
    """The analytic sparse Jacobian against central differences, and inside :func:`jacobian_sparsity`."""
    res, x = _small_problem(model, fit_focal)
    jac = res.jacobian(x).toarray()
    numeric = np.empty_like(jac)
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = 1e-6
        numeric[:, j] = (res.residuals(x + step) - res.residuals(x - step)) / 2e-6
    np.testing.assert_allclose(jac, numeric, atol=1e-6 * np.abs(jac).max())
    pattern = jacobian_sparsity(res.tt, res.t, True, fit_focal, fit_focal).toarray() > 0
    assert pattern.shape == jac.shape and not np.any((np.abs(numeric) > 0) & ~pattern)
    # each data row: its frame's three unknowns (+ log f), nothing else
    assert pattern[0].sum() == (4 if fit_focal else 3)


def test_residuals_carry_the_torch_objective(model):
    """0.5 |r|^2 is T / 2 times the torch objective, the robust factor h = sqrt(rho(q) / q) is smooth at 0, and
    ``least_squares`` with the finite-difference Jacobian on the same sparsity (``jac_sparsity``) lands where the
    analytic one does."""
    res, x = _small_problem(model, True)
    r = res.residuals(x)
    data = r[: 2 * res.tt.shape[0]].reshape(-1, 2)
    e = res._project(x)["e"]
    c2 = res.c2
    np.testing.assert_allclose((data ** 2).sum(-1), res.w0 * c2 * np.log1p((e ** 2).sum(-1) / c2), rtol=1e-10)
    q = np.array([0.0, 1e-6, 0.099, 0.101, 50.0, 1e4]) * c2
    h, dh = robust_factor(q, c2)
    np.testing.assert_allclose(h[1:] ** 2 * q[1:], c2 * np.log1p(q[1:] / c2), rtol=1e-12)
    assert h[0] == 1.0 and dh[0] == pytest.approx(-0.25 / c2)
    analytic = least_squares(res.residuals, x, jac=res.jacobian, method="trf", tr_solver="lsmr", x_scale="jac")
    sparse_fd = least_squares(res.residuals, x, jac="2-point", method="trf", tr_solver="lsmr", x_scale="jac",
                              jac_sparsity=jacobian_sparsity(res.tt, res.t, True, True, True))
    assert np.exp(analytic.x[-1]) == pytest.approx(np.exp(sparse_fd.x[-1]), rel=1e-4)


def test_scipy_fit_recovers_focal_and_agrees_with_torch(keypoint_take):
    """A detector's keypoints on a 60-frame take, a start from per-frame crop cameras: the scipy fit recovers the
    focal within 1 % and the translations within 1 % of depth, and agrees with the torch fit within 0.1 % focal;
    both reach the same objective (one objective, two optimisers)."""
    gt, points, evidence, start, K_virt = keypoint_take
    scipy_fit = fit_camera(points, evidence, start, K_virt, FitOptions(backend="scipy"))
    torch_fit = fit_camera(points, evidence, start, K_virt, FitOptions(backend="torch", device="cpu"))
    assert (scipy_fit.backend, scipy_fit.device, torch_fit.backend) == ("scipy", "cpu", "torch")
    focal_true = float(gt.camera_K[0, 0])
    assert abs(scipy_fit.focal_px / focal_true - 1.0) <= 0.01, scipy_fit.focal_px
    err = np.linalg.norm(scipy_fit.transl_cam - gt.transl, axis=1) / gt.transl[:, 2]
    assert np.median(err) <= 0.01 and err.max() <= 0.02, (np.median(err), err.max())
    assert abs(scipy_fit.focal_px / torch_fit.focal_px - 1.0) <= 1e-3, (scipy_fit.focal_px, torch_fit.focal_px)
    diff = np.linalg.norm(scipy_fit.transl_cam - torch_fit.transl_cam, axis=1) / torch_fit.transl_cam[:, 2]
    assert np.median(diff) <= 1e-3, np.median(diff)
    assert scipy_fit.loss_final == pytest.approx(torch_fit.loss_final, rel=1e-3)
    assert scipy_fit.grid_best == torch_fit.grid_best
    np.testing.assert_allclose(scipy_fit.reproj_after_px, torch_fit.reproj_after_px, atol=0.05)
    assert scipy_fit.summary()["backend"] == "scipy"


def test_scipy_loss_is_the_torch_objective(keypoint_take):
    """Without the frame-outlier pass the scipy fit's ``loss_final`` is the torch objective at its result."""
    gt, points, evidence, start, K_virt = keypoint_take
    fit = fit_camera_scipy(points, evidence, start, K_virt, FitOptions(frame_outlier_factor=0.0))
    assert fit.loss_final == pytest.approx(objective_at(points, evidence, fit.transl_cam, fit.focal_px), rel=1e-5)
    assert fit.loss_final < fit.loss_initial


def test_no_torch_picks_scipy(keypoint_take, monkeypatch):
    """Where torch does not import, ``fit_camera`` (backend ``auto``) runs the scipy fit; asking for torch there
    is a ``CameraError`` naming the backend."""
    gt, points, evidence, start, K_virt = keypoint_take
    monkeypatch.setattr(camera_fit, "torch_available", lambda: False)
    fit = fit_camera(points, evidence, start, K_virt, FitOptions(focal_px=float(gt.camera_K[0, 0])))
    assert fit.backend == "scipy" and fit.focal_px == gt.camera_K[0, 0]
    with pytest.raises(CameraError, match="'backend'.*needs torch"):
        fit_camera(points, evidence, start, K_virt, FitOptions(backend="torch"))
    with pytest.raises(CameraError, match="unknown camera-fit backend"):
        fit_camera(points, evidence, start, K_virt, FitOptions(backend="jax"))


def _run_without_torch(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _NO_TORCH, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_fit_camera_command_without_torch(take, tmp_path):
    """``python -m core fit-camera`` in a Python without torch: the camera fit runs on scipy and gives the torch
    fit's translations (``take.fitted``, same footage focal)."""
    data = take.data
    inputs = ["--body", str(data.body), "--face", str(data.face), "--face-bbox", str(data.face_bbox), "--hands",
              str(data.hands), "--model", str(take.model)]
    out = tmp_path / "scipy.fused.npz"
    done = _run_without_torch(["fit-camera", str(take.fused), *inputs, "--footage", str(take.plate), "--out",
                               str(out), "--quiet"])
    assert done.returncode == 0, done.stderr
    assert "least_squares (scipy)" in done.stdout
    fitted, by_torch = read_fused(out), read_fused(take.fitted)
    assert json.loads(fitted.provenance)["camera_fit"]["backend"] == "scipy"
    assert json.loads(by_torch.provenance)["camera_fit"]["backend"] == "torch"
    np.testing.assert_allclose(fitted.camera_K, by_torch.camera_K)
    diff = np.linalg.norm(fitted.transl - by_torch.transl, axis=1) / by_torch.transl[:, 2]
    assert np.median(diff) <= 1e-3, np.median(diff)

    assert "Traceback" not in done.stderr


def test_refine_pose_runs_without_torch(model, keypoint_take, tmp_path, monkeypatch):
    """Pose refinement is numpy only: with torch made unimportable (as in Blender's own Python) ``check_runnable``
    lets it through and ``refine_pose`` gives exactly what it gives with torch present (no torch path to differ)."""
    from core.camera.fit_fused import check_runnable
    from core.camera.points import point_rig
    from core.camera.pose_refine import RefineOptions, refine_pose

    gt, points, evidence, start, K_virt = keypoint_take
    fit = fit_camera(points, evidence, start, K_virt, FitOptions(backend="scipy"))
    rig = point_rig(gt.betas, gt.expression, model, gt.num_frames)
    opts = RefineOptions(max_iterations=4, holdout_iterations=2)
    pose = gt.full_pose().copy()
    pose[:, 16:20] += 0.15  # the arms off by ~8 deg per axis: something for the refinement to correct
    with_torch = refine_pose(pose, rig, evidence, fit.focal_px, fit.transl_cam, fit.principal_point, opts)
    monkeypatch.setattr(camera_fit, "torch_available", lambda: False)
    monkeypatch.setitem(sys.modules, "torch", None)
    check_runnable(FitRequest(fused="unused", out=str(tmp_path / "o.npz"), keypoints2d="kp.npz", refine_pose=True))
    without = refine_pose(pose, rig, evidence, fit.focal_px, fit.transl_cam, fit.principal_point, opts)
    assert without.refined_joints.size > 0 and np.nanmean(without.reproj_after_px) <= np.nanmean(
        without.reproj_before_px)
    np.testing.assert_allclose(without.full_pose, with_torch.full_pose)
    np.testing.assert_allclose(without.focal_px, with_torch.focal_px)


def test_blender_refit_without_torch(blender, take, monkeypatch):
    """Blender's own Python (no torch) and no 'Python with torch': the re-fit runs in Blender on scipy, gives the
    torch fit's camera, and the button's tooltip says so; a re-fit that refines the pose takes the same route."""
    bpy = blender
    import blender_addon.core.camera.fit as addon_fit
    from blender_addon.camera import refit
    from blender_addon.camera.ops import SMPLX_FUSION_OT_camera_refit
    from blender_addon.common.avatar import camera_of
    from blender_addon.core.errors import FusionError as AddonFusionError  # the add-on's copy of core

    monkeypatch.setattr(addon_fit, "torch_available", lambda: False)
    assert refit.fit_route("AUTO", None) == "scipy" and refit.fit_route("IN_PROCESS", None) == "scipy"
    assert refit.fit_route("SUBPROCESS", None) == "subprocess"
    tooltip = SMPLX_FUSION_OT_camera_refit.description(bpy.context, type("P", (), {"mode": "AUTO"})())
    assert "scipy" in tooltip and "pose refinement" in tooltip

    assert bpy.ops.smplx_fusion.import_fused(filepath=str(take.fused), model_path=str(take.model)) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    arm.smplx_fusion_camera.footage = str(take.plate)
    assert bpy.ops.smplx_fusion.camera_refit(mode="AUTO") == {"FINISHED"}
    seq, by_torch = read_fused(arm["smplx_fusion_source"]), read_fused(take.fitted)
    assert json.loads(seq.provenance)["camera_fit"]["backend"] == "scipy"
    np.testing.assert_allclose(seq.camera_K, by_torch.camera_K)
    diff = np.linalg.norm(seq.transl - by_torch.transl, axis=1) / by_torch.transl[:, 2]
    assert np.median(diff) <= 1e-3, np.median(diff)
    assert camera_of(arm).data.animation_data.action is None  # one camera

    for mode in ("AUTO", "IN_PROCESS"):  # pose refinement (numpy) no longer asks for torch on any route
        assert refit.fit_route(mode, None, refine_pose=True) == "scipy"
    assert AddonFusionError is not None


def test_auto_takes_scipy_when_the_focal_is_fixed(take, tmp_path):
    """A fixed focal leaves only the translations: ``--backend auto`` solves them with scipy (no torch import) and
    lands on the torch fit's translations."""
    from core.cli import main as core_main

    data = take.data
    out = tmp_path / "auto.fused.npz"
    assert core_main(["fit-camera", str(take.fused), "--body", str(data.body), "--hands", str(data.hands), "--face",
                      str(data.face), "--face-bbox", str(data.face_bbox), "--model", str(take.model), "--footage",
                      str(take.plate), "--out", str(out), "--quiet"]) == 0
    fitted, by_torch = read_fused(out), read_fused(take.fitted)
    assert json.loads(fitted.provenance)["camera_fit"]["backend"] == "scipy"
    np.testing.assert_allclose(fitted.camera_K, by_torch.camera_K)
    diff = np.linalg.norm(fitted.transl - by_torch.transl, axis=1) / by_torch.transl[:, 2]
    assert np.median(diff) <= 1e-3, np.median(diff)
