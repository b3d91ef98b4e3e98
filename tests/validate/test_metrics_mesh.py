"""Accuracy metrics against scipy, and the batched torch / smplx mesh evaluation against smplx's forward pass."""
from __future__ import annotations

import numpy as np
from scipy.linalg import orthogonal_procrustes
from scipy.spatial.transform import Rotation

from core.body.posing import pose_skeleton, skin_vertices
from core.validate.mesh_eval import MeshEvaluator, lbs_flops_per_frame
from core.validate.metrics import acceleration_error, mpjpe, pa_mpjpe, per_vertex_error, similarity_align
from tests.smplx_reference import smplx_vertices


def test_pa_mpjpe_matches_scipy_procrustes_and_removes_similarity():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(5, 22, 3))
    rot = Rotation.random(5, random_state=1).as_matrix()
    pred = 1.3 * np.einsum("tab,tjb->tja", rot, gt) + rng.normal(size=(5, 1, 3)) + 0.01 * rng.normal(size=gt.shape)
    ours = similarity_align(pred, gt)
    for f in range(5):  # scipy, frame by frame
        p, g = pred[f] - pred[f].mean(0), gt[f] - gt[f].mean(0)
        r, s = orthogonal_procrustes(p, g)
        ref = p @ r * (s / (p ** 2).sum()) + gt[f].mean(0)
        assert np.allclose(ours[f], ref, atol=1e-10)
    assert pa_mpjpe(pred, gt).max() < 0.03 and mpjpe(pred, gt).min() > 0.5


def test_acceleration_and_vertex_errors():
    gt = np.cumsum(np.ones((6, 3, 3)), axis=0)
    pred = gt.copy()
    pred[3] += 0.01
    acc = acceleration_error(pred, gt, root=None)
    assert np.isnan(acc[0]) and np.isclose(acc[3], 2 * np.sqrt(3) * 0.01) and np.isclose(acc[1], 0.0)
    per_frame, per_vertex = per_vertex_error(pred, gt)
    assert np.isclose(per_frame[3], np.sqrt(3) * 0.01) and per_vertex.shape == (3,)


def test_mesh_evaluator_matches_smplx_forward(body_model, model_path, suite):
    seq = suite["hand_through_torso"].seq
    frames = np.arange(0, 96, 7)
    ref = smplx_vertices(model_path, seq, frames)
    evaluator = MeshEvaluator(body_model, device="cpu", dtype="float64", chunk_vertices=1500)
    ours = np.concatenate([b.vertices.numpy() for b in evaluator.batches(seq, batch_frames=5, frames=frames)])
    assert np.abs(ours - ref).max() < 1e-6  # smplx keeps the model's arrays in float32
    f32 = MeshEvaluator(body_model, device="cpu", dtype="float32").vertices(seq)[frames]
    assert np.abs(f32 - ref).max() < 5e-5
    numpy_lbs = skin_vertices(body_model, seq, pose_skeleton(seq, body_model), frames=frames)
    assert np.abs(numpy_lbs - ref).max() < 1e-6


def test_flop_count_is_dominated_by_the_pose_blendshapes(body_model):
    flops = lbs_flops_per_frame(body_model)
    assert flops["pose_blendshapes"] == 2 * 486 * 3 * 10475
    assert 0.9 < flops["pose_blendshapes"] / flops["total"] < 1.0
