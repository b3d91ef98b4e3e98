"""The shared floor fixes people's relative depth: synthetic people on one floor, seen with known depth errors (a
per-person scale and a per-frame jitter along each pelvis's viewing ray, what a crop camera does), are put back
within 3 % of each other by :func:`core.fusion.clip.command.apply_shared_floor`."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from core.body.model import load_body_model
from core.body.posing import pose_skeleton
from core.demo_data.ground_truth import make_ground_truth
from core.demo_data.walking import camera_pose, floor_plane_camera, to_camera_frame
from core.fusion.clip.command import apply_shared_floor
from core.grounding.foot_points import foot_points
from core.rotations import axis_angle_to_matrix

T = 90
CV_TO_WORLD = np.diag([1.0, -1.0, -1.0])  # a level OpenCV camera's axes -> Y-up world
W2C = camera_pose(2.4, 24.0)  # 2.4 m up, pitched 24 degrees down
PLANE = floor_plane_camera(W2C)  # (n, d): n . x + d = 0, camera frame


def _person(model, seed: int, x: float, z: float):
    """A standing, gesturing person (camera frame) at world (x, ., z), every frame's lower sole on the floor."""
    gt = make_ground_truth(T, seed=seed, model_variant=model.variant)
    pelvis = model.rest_joints(np.asarray(gt.betas)[:model.num_betas])[0]
    orient, transl = to_camera_frame(CV_TO_WORLD @ axis_angle_to_matrix(gt.global_orient),
                                     np.tile([x, 1.0, z], (T, 1)), pelvis, W2C)
    seq = dataclasses.replace(gt, global_orient=orient, transl=transl, valid=np.ones(T, bool))
    n, d = PLANE[:3], PLANE[3]
    sole = foot_points(seq, model).mean(axis=2) @ n + d  # (T, 2) height of each sole above the floor
    return dataclasses.replace(seq, transl=transl - sole.min(axis=1)[:, None] * n)  # lower sole on the floor


def _pelvis(seq, model) -> np.ndarray:
    return pose_skeleton(seq, model).joints[:, 0]


def _slid(seq, model, k: np.ndarray):
    """The person moved to ``k`` (T,) times their pelvis's camera-frame position, along its ray."""
    rest = model.rest_joints(np.asarray(seq.betas)[:model.num_betas])[0]
    return dataclasses.replace(seq, transl=(np.asarray(seq.transl) + rest) * k[:, None] - rest)


def _relative_depth_err(est, truth) -> float:
    """Mean over frames and pairs of |(z_i - z_j) - (z_i - z_j)_true| / mean(z_true) (the bench's figure)."""
    errs = []
    for a in range(len(est)):
        for b in range(a + 1, len(est)):
            errs.append(np.abs((est[a] - est[b]) - (truth[a] - truth[b])) / (0.5 * (truth[a] + truth[b])))
    return float(np.mean(errs))


@pytest.fixture(scope="module")
def people(model_path):
    model = load_body_model(model_path)
    truth = [_person(model, 1, -0.9, -5.2), _person(model, 2, 0.6, -5.4), _person(model, 3, 0.2, -4.0)]
    rng = np.random.default_rng(7)
    bias = np.array([0.93, 1.0, 1.08])  # each person's own depth scale error
    jitter = [1.0 + rng.normal(0.0, 0.03, T) for _ in truth]  # and a different one on every frame
    seen = [_slid(gt, model, b * j) for gt, b, j in zip(truth, bias, jitter)]
    return model, truth, seen


def test_shared_floor_recovers_relative_depth_within_3_percent(people):
    model, truth, seen = people
    z_true = [_pelvis(gt, model)[:, 2] for gt in truth]
    z_seen = [_pelvis(s, model)[:, 2] for s in seen]
    before = _relative_depth_err(z_seen, z_true)
    assert before > 0.05  # the crop cameras' depths, as given
    result = SimpleNamespace(people=[SimpleNamespace(track_id=i, result=SimpleNamespace(sequence=s))
                                     for i, s in enumerate(seen)])
    report = apply_shared_floor(result, model)
    assert report["shared"] and report["members"] == [0, 1, 2]
    fixed = [p.result.sequence for p in result.people]
    z_fixed = [_pelvis(s, model)[:, 2] for s in fixed]
    assert _relative_depth_err(z_fixed, z_true) <= 0.03
    # frame by frame: every person's depth over the truth is one common factor (the floor cannot tell the
    # clip's overall scale), within 3 %
    ratio = np.stack([zf / zt for zf, zt in zip(z_fixed, z_true)])  # (P, T)
    assert np.max(np.abs(ratio / np.median(ratio, axis=0) - 1.0)) <= 0.03
    # the move is along each pelvis's ray: the pixel of the pelvis is kept
    for s, f in zip(seen, fixed):
        a, b = _pelvis(s, model), _pelvis(f, model)
        np.testing.assert_allclose(a[:, :2] / a[:, 2:], b[:, :2] / b[:, 2:], atol=1e-9)
    # the people stand on the shared plane: its normal is the floor's
    assert np.degrees(np.arccos(np.clip(np.dot(report["plane"][:3], PLANE[:3]), -1, 1))) < 3.0
    for f in fixed:
        np.testing.assert_allclose(np.asarray(f.extras["ground_plane"]), report["plane"], atol=1e-5)
