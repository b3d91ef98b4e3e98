"""Pose feature and the compact corrective basis against smplx's own pose blendshapes."""
import numpy as np
import torch
from smplx.lbs import batch_rodrigues

from core.body.correctives import compact_basis, full_basis, pose_feature
from core.body.model import load_body_model


def test_pose_feature_matches_smplx():
    rng = np.random.default_rng(0)
    full_pose = rng.normal(scale=0.6, size=(4, 55, 3))
    rot = batch_rodrigues(torch.tensor(full_pose.reshape(-1, 3))).view(4, 55, 3, 3)
    ref = (rot[:, 1:] - torch.eye(3)).reshape(4, -1).numpy()
    np.testing.assert_allclose(pose_feature(full_pose), ref, atol=1e-6)


def test_compact_basis_reproduces_offsets(model_path):
    model = load_body_model(model_path)
    rng = np.random.default_rng(1)
    feature = pose_feature(rng.normal(scale=0.8, size=(16, 55, 3)))
    full = np.einsum("tk,vck->tvc", feature, model.pose_dirs)
    basis = compact_basis(model.pose_dirs, tolerance_m=1e-5)
    assert 0 < basis.directions.shape[2] < 486
    approx = np.einsum("tk,vck->tvc", feature @ basis.feature_to_weight, basis.directions)
    assert np.abs(approx - full).max() <= 1e-5
    assert basis.max_error_m <= 1e-5
    assert np.abs(feature @ basis.feature_to_weight).max() <= 10.0  # within Blender's shape-key slider limit
    exact = full_basis(model.pose_dirs)
    np.testing.assert_allclose(np.einsum("tk,vck->tvc", feature @ exact.feature_to_weight, exact.directions), full)
