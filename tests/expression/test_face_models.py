"""Face models, the FLAME-layout source and the scoring: shapes, exactness against smplx, honesty properties."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.fusion.expression.arkit import front_face_mask, head_frame
from core.fusion.expression.mapping import (
    FacePair,
    LinearFaceModel,
    face_model_from_arrays,
    head_region,
    jaw_features,
    mapper_inputs,
)
from core.fusion.expression.source import (
    NUM_VERTICES,
    build_flame_like_source,
    face_model_from_flame_arrays,
    make_pair,
    sample_frames,
    sample_sequences,
)
from core.rotations import axis_angle_to_matrix

from .conftest import flame_layout_arrays


def test_jaw_features_are_vec_r_minus_identity():
    jaw = np.array([[0.3, 0.0, 0.0], [0.0, 0.0, 0.0], [0.1, -0.2, 0.05]])
    phi = jaw_features(jaw)
    assert phi.shape == (3, 9)
    assert np.allclose(phi.reshape(3, 3, 3) + np.eye(3), axis_angle_to_matrix(jaw))
    assert not phi[1].any()
    x = mapper_inputs(np.ones((3, 4)), jaw, 6)  # zero-padded expression, then the 9 jaw features
    assert x.shape == (3, 15) and np.array_equal(x[:, 4:6], np.zeros((3, 2))) and np.allclose(x[:, 6:], phi)


def test_smplx_face_matches_the_smplx_forward_pass(model_path, face11):
    """Expression and jaw on the licence-free v1.1 model: our face displacement equals smplx's vertices minus its
    rest face, the jaw joint regressed from the expression-shaped mesh included."""
    import smplx
    import torch

    rng = np.random.default_rng(0)
    t = 3
    expr = rng.normal(0.0, 1.0, (t, 10))
    jaw = np.array([[0.35, 0.02, -0.01], [0.1, -0.05, 0.03], [0.0, 0.0, 0.0]])
    layer = smplx.SMPLX(model_path=str(model_path), use_pca=False, flat_hand_mean=True, num_betas=10,
                        num_expression_coeffs=10, batch_size=t).double()
    with torch.no_grad():
        posed = layer(expression=torch.tensor(expr), jaw_pose=torch.tensor(jaw)).vertices.numpy()
        rest = layer(expression=torch.zeros(t, 10, dtype=torch.float64)).vertices.numpy()
    ours = face11.displacement(expr, jaw)
    theirs = (posed - rest)[:, face11.mesh_ids]
    assert np.abs(theirs).max() > 5e-3  # the jaw really moved the face
    assert np.allclose(ours, theirs, atol=1e-9)


def test_jaw_fields_are_the_linear_part(face11, source):
    """Without pose correctives (the licence-free SMPL-X face) the jaw is exactly linear in vec(R - I); with them
    (the source) only the jaw rotating its own correctives remains, a small second-order term."""
    jaw = np.array([[0.4, 0.05, -0.02]])
    lin = np.einsum("nck,tk->tnc", face11.jaw_fields(), jaw_features(jaw))
    full = face11.displacement(np.zeros((1, 10)), jaw)
    assert np.abs(full).max() > 5e-3 and np.allclose(full, lin, atol=1e-12)
    m = source.model
    lin = np.einsum("nck,tk->tnc", m.jaw_fields(), jaw_features(jaw))
    full = m.displacement(np.zeros((1, 50)), jaw)
    second = np.abs(full - lin).max()
    assert 0.0 < second < 0.1 * np.abs(full).max()


def test_source_layout_and_correspondence(source, arrays11):
    m = source.model
    assert m.template.shape == (NUM_VERTICES, 3) and m.dirs.shape == (NUM_VERTICES, 3, 50)
    region = head_region(arrays11["weights"])
    n_exact = int(source.exact.sum())
    assert n_exact == region.size and source.exact[:n_exact].all()
    verts = arrays11["v_template"]
    assert np.array_equal(m.template[:n_exact], verts[source.vertex_ids[:n_exact]])
    # the extra vertices sit a third of a head edge away from the vertex they are matched to
    gap = np.linalg.norm(m.template[n_exact:] - verts[source.vertex_ids[n_exact:]], axis=1)
    assert gap.min() > 0 and gap.max() < 0.02
    assert np.isin(source.vertex_ids, region).all()
    assert np.unique(source.vertex_ids).size < NUM_VERTICES  # several source vertices share an SMPL-X vertex
    assert source.exact[source.landmark_vertices].all()
    assert source.face_mask.sum() > 1000 and 0.99 < source.explained_variance <= 1.0


def test_source_is_deterministic(source, arrays11):
    again = build_flame_like_source(arrays11)
    assert np.array_equal(again.model.dirs, source.model.dirs)
    assert np.array_equal(again.model.jaw_pose_dirs, source.model.jaw_pose_dirs)
    assert np.array_equal(again.vertex_ids, source.vertex_ids)


def _span_residual(target_dirs: np.ndarray, source_dirs: np.ndarray, mask: np.ndarray) -> float:
    s = target_dirs[mask].reshape(-1, target_dirs.shape[2])
    f = source_dirs[mask].reshape(-1, source_dirs.shape[2])
    coef = np.linalg.lstsq(s, f, rcond=None)[0]
    return float(np.linalg.norm(s @ coef - f) / np.linalg.norm(f))


def test_source_is_not_a_linear_function_of_a_target(source, face11, face20):
    """The honesty condition: the source's directions lie partly outside every target's span, so no map is exact,
    and partly inside (the shared actions), so the targets can show some of it."""
    for target, low, high in ((face11, 0.4, 0.95), (face20, 0.2, 0.9)):
        pair = make_pair(source, target)
        res = _span_residual(pair.target.dirs, pair.source.dirs, pair.weights > 0)
        assert low < res < high, (target.name, res)


def test_source_face_has_bilinear_expression_jaw_coupling(pair11):
    rng = np.random.default_rng(4)
    e, j = sample_frames(rng, 5)
    j[:, 0] = 0.3
    src = pair11.source
    both = src.displacement(e, j)
    apart = src.displacement(e, None) + src.displacement(np.zeros_like(e), j)
    coupling = np.linalg.norm(both - apart, axis=-1).max()
    assert coupling > 5e-4  # the jaw rotates the expression-displaced mesh: not additive


def test_flame_file_layout_reads_back(source):
    """The reader for real FLAME files, on the source written in FLAME's layout (300 + 100 shapedirs columns,
    posedirs 36, weights over 5 joints, the jaw regressed from 4 vertices)."""
    m = source.model
    arrays = flame_layout_arrays(source)
    reg, shapedirs = arrays["J_regressor"], arrays["shapedirs"]
    flame = face_model_from_flame_arrays(arrays, source.vertex_ids)
    assert np.allclose(flame.jaw_joint, m.jaw_joint, atol=1e-9)
    # a regressed joint moves with the expression of the vertices it is regressed from
    moving = replace(m, jaw_joint_dirs=np.einsum("v,vck->ck", reg[2], m.dirs))
    e, j = sample_frames(np.random.default_rng(5), 3)
    assert np.allclose(flame.displacement(e, j), moving.displacement(e, j), atol=1e-6)
    with pytest.raises(ValueError, match="columns"):
        face_model_from_flame_arrays({**arrays, "shapedirs": shapedirs[:, :, :320]}, source.vertex_ids)


def test_sequences_are_smooth_and_plausible():
    e, j = sample_sequences(np.random.default_rng(1), 3, 90)
    assert e.shape == (3, 90, 50) and j.shape == (3, 90, 3)
    assert (j[..., 0] >= 0).all() and j[..., 0].max() < 0.6
    step = np.abs(np.diff(e, axis=1)).mean()
    spread = np.abs(e - e.mean(axis=1, keepdims=True)).mean()
    assert step < 0.3 * spread  # eased keyframes plus small noise: frame-to-frame change well under the range


def test_head_frame_matches_the_model_layout(arrays11):
    from core.fusion.expression.arkit import HEAD_LOCAL_LEFT_EYE
    from core.mannequin.body import build_body
    from core.mannequin.layout import HEAD_LOCAL_JOINTS, proportions_for

    assert tuple(HEAD_LOCAL_JOINTS["left_eye_smplhf"]) == HEAD_LOCAL_LEFT_EYE
    layout = build_body(proportions_for("neutral")).layout
    anchor, scale = head_frame(arrays11["v_template"], arrays11["J_regressor"])
    assert np.allclose(anchor, layout.head_anchor, atol=1e-6) and abs(scale - layout.head_scale) < 1e-6
    local = (arrays11["v_template"] - anchor) / scale
    assert 800 < front_face_mask(local).sum() < 4000


def test_score_is_zero_for_a_perfect_map_and_measures_offsets(source):
    model = source.model
    pair = FacePair(source=model, target=model, weights=source.face_mask.astype(float),
                    landmark_index=source.landmark_vertices, landmark_bary=source.landmark_bary)
    e, j = sample_sequences(np.random.default_rng(3), 2, 20)
    e, j = e.reshape(-1, 50), j.reshape(-1, 3)
    s = pair.score(e, e, j, sequence_length=20)
    assert s["vertex_mm"] < 1e-9 and s["landmark_mm"] < 1e-9 and s["jitter"] < 1e-9
    bumped = e.copy()
    bumped[::2, 0] += 1.0  # every other frame: an error that flips sign frame to frame is pure jitter
    worse = pair.score(bumped, e, j, sequence_length=20)
    assert worse["vertex_mm"] > 0.1 and worse["jitter"] > worse["vertex_mm"]


def test_face_model_checks_shapes():
    with pytest.raises(ValueError):
        LinearFaceModel("bad", np.zeros((4, 3)), np.zeros((5, 3, 2)))
    with pytest.raises(ValueError, match="jaw bone"):
        LinearFaceModel("bad", np.zeros((4, 3)), np.zeros((4, 3, 2)), jaw_weights=np.zeros(4))


def test_2020_target_has_its_100_directions(face20, arrays20):
    assert face20.num_coefficients == 100 and face20.has_jaw_bone
    assert face_model_from_arrays(arrays20, "x").num_coefficients == 100
