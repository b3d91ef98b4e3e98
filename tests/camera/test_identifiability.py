"""Why the focal cannot come from the estimators' crop cameras: two ground truths, focal f and 2 f (depths scaled
so each frame's pelvis keeps its pixel and apparent size), give body crop-camera evidence that no camera fit can
tell apart, while true-perspective 2D keypoints of the same two takes differ clearly.

The evidence is made by the real path: ``core.demo_data`` writes each estimator's native files from the ground
truth (noise-free, so only the cameras differ), the readers read them, ``build_evidence`` projects each through its
own crop camera. The measure is the profile of the fit: for each candidate focal, the per-frame translations that
best reproject the true 3D points onto the evidence (linear least squares, iterated), and the RMS residual left.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.body.model import load_body_model
from core.camera.conversions import intrinsics_matrix, project
from core.camera.evidence import Evidence, build_evidence
from core.camera.fit import irls_translations
from core.camera.points import POINT_GROUPS, sequence_points
from core.camera.result import reprojection_errors
from core.demo_data.camera import intrinsics
from core.demo_data.faults import no_faults
from core.demo_data.ground_truth import IMAGE_SIZE, evaluate_ground_truth, make_ground_truth
from core.demo_data.noise import NoiseLevels
from core.demo_data.write_emoca import make_emoca_output, write_emoca
from core.demo_data.write_smplerx import make_smplerx_output, write_smplerx
from core.demo_data.write_wilor import make_wilor_detections, write_wilor
from core.io import read_body, read_face, read_hands

FRAMES = 48
FOCAL_GRID = np.array([550.0, 1100.0, 2200.0, 4400.0, 13000.0])
F0 = 1100.0


def _with_focal(gt, factor: float, pelvis_rel: np.ndarray):
    """The same take seen with focal ``factor * f``: each pelvis ``factor`` times deeper, at the same pixel."""
    transl = gt.transl.copy()
    transl[:, 2] = factor * (transl[:, 2] + pelvis_rel[:, 2]) - pelvis_rel[:, 2]
    return replace(gt, transl=transl, camera_K=intrinsics(factor * float(gt.camera_K[0, 0]), IMAGE_SIZE))


def _crop_evidence(gt, model, model_path, folder):
    """Noise-free estimator files of ``gt`` through the readers and ``build_evidence``: (Evidence, true 2D)."""
    geom = evaluate_ground_truth(gt, model_path, model.skinning_weights)
    noise = NoiseLevels().scaled(0.0)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(11).spawn(3)]
    hands_mean = np.stack([model.left_hand_mean, model.right_hand_mean])
    body, _ = make_smplerx_output(gt, geom, hands_mean, noise, streams[0], IMAGE_SIZE)
    face = make_emoca_output(gt, geom, noise, streams[1])
    plan = no_faults(gt.num_frames)
    hands, _ = make_wilor_detections(gt, geom, noise, streams[2], plan, IMAGE_SIZE)
    frames = np.arange(gt.num_frames) + 1
    write_smplerx(folder / "smplerx", body, frames)
    write_emoca(folder / "emoca", folder / "face_bboxes.json", face, frames, plan.face_present)
    write_wilor(folder / "wilor", hands, frames)
    seq = replace(gt, extras={"frame_ids": frames})
    points = sequence_points(seq, model)
    evidence = build_evidence(seq, points, model, body=read_body(folder / "smplerx"),
                              hands=read_hands(folder / "wilor"),
                              face=read_face(folder / "emoca", bbox=folder / "face_bboxes.json"))
    return evidence, project(points.points + gt.transl[:, None], gt.camera_K), points


def _profile(points, uv, weight, start) -> np.ndarray:
    """(len(FOCAL_GRID),) RMS reprojection residual (px) after the best per-frame translations at each focal."""
    centre = np.array(IMAGE_SIZE, dtype=np.float64) / 2.0
    ev = Evidence(uv=uv, weight=weight, image_size=np.array(IMAGE_SIZE, dtype=np.float64))
    out = []
    for f in FOCAL_GRID:
        transl = irls_translations(points.points, ev, f, centre, start * [1.0, 1.0, f / F0], robust_px=1e6,
                                   iterations=8)
        err = reprojection_errors(points.points, transl, intrinsics_matrix(f, centre), ev)
        out.append(np.sqrt(np.nanmean(err ** 2)))
    return np.array(out)


@pytest.fixture(scope="module")
def two_takes(model_path, tmp_path_factory):
    model = load_body_model(model_path)
    gt = make_ground_truth(FRAMES, seed=1)
    pelvis_rel = evaluate_ground_truth(gt, model_path, model.skinning_weights).rel_joints[:, 0]
    folder = tmp_path_factory.mktemp("identifiability")
    takes = {}
    for factor in (1.0, 2.0):
        truth = _with_focal(gt, factor, pelvis_rel)
        ev, true_uv, points = _crop_evidence(truth, model, model_path, folder / f"x{factor:g}")
        takes[factor] = (truth, ev, true_uv, points)
    return takes


def test_focal_is_not_identifiable_from_crop_cameras(two_takes):
    """The body regressor's crop-camera evidence is the same, to a twentieth of a pixel after the per-frame fit,
    whether the true focal is 1100 or 2200 px, and at either truth it is explained best by the virtual camera's
    ~13,000 px, not by the true focal. The same two takes' true 2D keypoints are told apart by over a pixel."""
    (t1, ev1, uv1, pts), (_, ev2, uv2, _) = two_takes[1.0], two_takes[2.0]
    body = np.zeros_like(ev1.weight)
    body[:, POINT_GROUPS["body"]] = ev1.weight[:, POINT_GROUPS["body"]]
    assert (body[:, :22] > 0).all()
    crop1 = _profile(pts, ev1.uv, body, t1.transl)
    crop2 = _profile(pts, ev2.uv, body, t1.transl)
    true1 = _profile(pts, uv1, body, t1.transl)
    true2 = _profile(pts, uv2, body, t1.transl)
    i1, i2 = int(np.flatnonzero(FOCAL_GRID == F0)[0]), int(np.flatnonzero(FOCAL_GRID == 2 * F0)[0])
    # crop evidence: identical profiles for the two truths (the evidence does not know the true focal)
    assert np.max(np.abs(crop1 - crop2)) < 0.1, (crop1, crop2)
    # ... and both are lowest at the virtual camera's focal, far from either truth, with pixels to spare at the truth
    assert np.argmin(crop1) == np.argmin(crop2) == len(FOCAL_GRID) - 1
    assert crop1[i1] > 1.0 > 0.2 > crop1[-1]
    # true-perspective keypoints: each truth is fitted exactly at its own focal, and the two differ by over a pixel
    assert true1[i1] < 1e-3 and true2[i2] < 1e-3
    assert true2[i1] > 0.7 and true1[i2] > 0.7
    # at the two candidate truths the true 2D tells them apart 20 times more clearly than the crop evidence does
    at = [i1, i2]
    assert np.min(np.abs(true1 - true2)[at]) > 20 * np.max(np.abs(crop1 - crop2)[at])


def test_part_experts_add_too_little_to_pin_the_focal(two_takes):
    """All crop evidence together (body, both hands' cam_crop_to_full, the face box): the hands' and face's anchors
    keep some parallax, but at the true focal the residual stays over a pixel and a wrong focal fits better."""
    (t1, ev1, _, pts), (_, ev2, _, _) = two_takes[1.0], two_takes[2.0]
    crop1 = _profile(pts, ev1.uv, ev1.weight, t1.transl)
    crop2 = _profile(pts, ev2.uv, ev2.weight, t1.transl)
    i1, i2 = int(np.flatnonzero(FOCAL_GRID == F0)[0]), int(np.flatnonzero(FOCAL_GRID == 2 * F0)[0])
    assert FOCAL_GRID[np.argmin(crop1)] >= 4 * F0 and FOCAL_GRID[np.argmin(crop2)] >= 2 * (2 * F0)
    assert crop1[i1] > 1.0 and crop2[i2] > 0.5
    assert crop1.min() < 0.7 * crop1[i1]
