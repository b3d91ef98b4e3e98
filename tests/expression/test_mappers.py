"""Linear (closed form, Tikhonov, bounded), projection and learned mappers: exactness, bounds, file round trips."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import FusionError
from core.fusion.expression import fit_mapper
from core.fusion.expression.command import read_mapper
from core.fusion.expression.learned import LearnedMapper, TrainConfig, fold_network, train_learned
from core.fusion.expression.linear import fit_linear, fit_projection, linear_system, solve_bounded
from core.fusion.expression.mapping import FORMAT, FacePair, LinearFaceModel, mapper_inputs
from core.io.expression_mapper_file import MAPPER_FORMAT, MapperFileError, write_mapper


def _vertex_errors(pair: FacePair, coeffs: np.ndarray, e: np.ndarray, j: np.ndarray) -> np.ndarray:
    """(T,) weighted squared face error per frame."""
    err = pair.target_displacement(coeffs, j) - pair.source_displacement(e, j)
    return ((err ** 2).sum(-1) * pair.weights).sum(-1)


def test_closed_form_equals_vertex_least_squares(pair11, frames):
    e, j = frames
    mapper = fit_linear(pair11, 0.0)
    # the same solution by lstsq on the stacked, weighted vertex rows
    sw = np.sqrt(pair11.weights)[:, None, None]
    s = (pair11.target.dirs * sw).reshape(-1, 10)
    x = np.concatenate([pair11.source.dirs, pair11.source.jaw_fields() - pair11.target.jaw_fields()], axis=2)
    ref = np.linalg.lstsq(s, (x * sw).reshape(-1, x.shape[2]), rcond=None)[0]
    assert np.allclose(mapper.matrix, ref, rtol=1e-6, atol=1e-8)
    assert np.allclose(mapper.map(e, j), mapper_inputs(e, j, 50) @ ref.T, atol=1e-6)


def test_linear_recovers_a_source_that_is_a_linear_function_of_the_target(face11):
    """Sanity: a source built as the target's directions times a known matrix is mapped back exactly."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(10, 30))
    src = LinearFaceModel("lin", face11.template, np.einsum("nck,kj->ncj", face11.dirs, a))
    pair = FacePair(source=src, target=face11, weights=np.ones(face11.num_vertices),
                    landmark_index=np.zeros((0, 3), dtype=np.int64), landmark_bary=np.zeros((0, 3)))
    mapper = fit_linear(pair, 0.0)
    assert np.allclose(mapper.matrix[:, :30], a, atol=1e-6)
    e = rng.normal(size=(4, 30))
    assert pair.score(mapper.map(e), e, None)["vertex_mm"] < 1e-5


def test_projection_is_the_per_frame_optimum(pair11, frames):
    """Brute-force per-frame least squares on the posed faces agrees with the assembled normal equations, and no
    frame of the closed-form map does better."""
    e, j = frames
    proj = fit_projection(pair11)
    w = proj.map(e, j)
    k = pair11.target.num_coefficients
    sw = np.sqrt(pair11.weights)[:, None]
    y = pair11.source_displacement(e[:4], j[:4])
    for t in range(4):
        basis = np.vstack([np.zeros(k), np.eye(k)])
        d = pair11.target_displacement(basis, np.repeat(j[t:t + 1], k + 1, axis=0))
        design = ((d[1:] - d[0]) * sw).reshape(k, -1).T
        brute = np.linalg.lstsq(design, ((y[t] - d[0]) * sw).ravel(), rcond=None)[0]
        assert np.allclose(w[t], brute, atol=1e-6)
    linear = fit_linear(pair11, 0.0).map(e, j)
    assert (_vertex_errors(pair11, w, e, j) <= _vertex_errors(pair11, linear, e, j) * (1 + 1e-9)).all()


def test_bounded_solvers_agree_and_respect_bounds(pair_arkit, frames):
    e, j = frames
    mapper = fit_linear(pair_arkit, 0.0, bounded=True)
    rhs = mapper_inputs(e, j, 50) @ mapper.cross.T
    scipy_w = solve_bounded(mapper.gram, rhs, 0.0, 1.0, "lsq_linear")
    numpy_w = solve_bounded(mapper.gram, rhs, 0.0, 1.0, "numpy")
    for w in (scipy_w, numpy_w):
        assert w.min() >= 0.0 and w.max() <= 1.0

    def objective(w: np.ndarray) -> np.ndarray:
        return np.einsum("tk,kl,tl->t", w, mapper.gram, w) - 2.0 * (w * rhs).sum(1)

    scale = np.abs(objective(scipy_w)).max()
    assert np.abs(objective(scipy_w) - objective(numpy_w)).max() < 1e-9 * scale
    clipped = np.clip(mapper_inputs(e, j, 50) @ mapper.matrix.T, 0.0, 1.0)
    assert (objective(numpy_w) <= objective(clipped) + 1e-12 * scale).all()
    assert (objective(numpy_w) < objective(clipped) - 1e-6 * scale).any()  # clipping is not the bounded optimum


def test_tikhonov_auto_takes_the_best_held_out_value(pair11, validation):
    mapper = fit_linear(pair11, "auto", validation=validation)
    sel = mapper.selection
    assert mapper.tikhonov == min(sel, key=sel.get) and len(sel) >= 3
    assert np.linalg.norm(fit_linear(pair11, 0.1).matrix) < np.linalg.norm(fit_linear(pair11, 0.0).matrix)
    with pytest.raises(ValueError, match="validation"):
        fit_linear(pair11, "auto")
    with pytest.raises(ValueError, match="bounds"):
        fit_linear(pair11, 0.0, bounded=True)


def test_fold_network_matches_torch_eval():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(7, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(16, 16), torch.nn.BatchNorm1d(16),
                              torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 5))
    for bn in (net[1], net[5]):  # non-trivial running statistics
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    net.eval()
    x = torch.randn(11, 7)
    with torch.no_grad():
        ref = net(x).double().numpy()
    weights, biases = fold_network(net)
    z = x.double().numpy()
    for w, b in zip(weights[:-1], biases[:-1]):
        z = np.maximum(z @ w.T + b, 0.0)
    assert np.allclose(z @ weights[-1].T + biases[-1], ref, atol=1e-5)


TINY = TrainConfig(hidden=16, blocks=2, samples=400, epochs=2, batch=128, train_vertices=120, validation=100,
                   seed=3)


def test_learned_mapper_trains_and_runs_in_numpy(pair_actions, frames, tmp_path):
    pytest.importorskip("torch")
    e, j = frames
    mapper = train_learned(pair_actions, TINY)
    assert isinstance(mapper, LearnedMapper) and mapper.method == "learned"
    w = mapper.map(e, j)
    assert w.shape == (e.shape[0], 11) and w.min() >= 0.0 and w.max() <= 1.0  # sigmoid output on a [0, 1] rig
    hist = mapper.training["history"]
    assert len(hist) == 2 and mapper.training["best_validation_vertex_mm"] == min(h["validation_vertex_mm"]
                                                                                 for h in hist)
    assert mapper.training["device"] in ("cpu", "cuda:0", "cuda")
    back = read_mapper(write_mapper(mapper, tmp_path / "learned.npz"))
    assert np.allclose(back.map(e, j), w, atol=1e-12) and back.training["residual"] is False


def test_residual_mapper_never_ends_worse_than_its_linear_base(pair11, frames):
    pytest.importorskip("torch")
    mapper = train_learned(pair11, TINY, residual=True)
    hist = mapper.training["history"]
    assert hist[0]["epoch"] == 0  # the linear base itself is the first candidate
    assert mapper.training["best_validation_vertex_mm"] <= hist[0]["validation_vertex_mm"]
    assert mapper.base is not None and mapper.method == "learned_residual"


@pytest.mark.parametrize("method", ["linear", "linear_bounded", "projection"])
def test_linear_mappers_round_trip_through_npz(pair_actions, frames, tmp_path, method):
    e, j = frames
    mapper = fit_mapper(pair_actions, method)
    path = write_mapper(mapper, tmp_path / method)
    assert path.name == f"{method}.npz" and not list(tmp_path.glob(".*.tmp"))  # atomic: no temporary left
    back = read_mapper(path)
    assert back.method == method and back.target == "facial_actions" and back.bounds == (0.0, 1.0)
    assert back.target_names == mapper.target_names
    assert np.allclose(back.map(e, j), mapper.map(e, j), atol=1e-9)
    assert repr(back).startswith(f"<{method} expression mapper")


def test_read_mapper_refuses_other_files_naming_file_and_field(tmp_path, pair_actions):
    assert FORMAT == MAPPER_FORMAT  # the format the mappers write is the one the reader expects
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(MapperFileError, match=r"x\.npz: field 'header'.*not an expression-mapper file"):
        read_mapper(tmp_path / "x.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FusionError, match=r"junk\.npz"):
        read_mapper(tmp_path / "junk.npz")
    with pytest.raises(MapperFileError, match=r"nowhere\.npz.*not found"):
        read_mapper(tmp_path / "nowhere.npz")
    good = dict(np.load(write_mapper(fit_mapper(pair_actions, "linear"), tmp_path / "good.npz")))
    np.savez(tmp_path / "cut.npz", **{k: v for k, v in good.items() if k != "gram"})
    with pytest.raises(MapperFileError, match=r"cut\.npz: field 'gram': missing"):
        read_mapper(tmp_path / "cut.npz")
    np.savez(tmp_path / "other.npz", **{**good, "header": np.array('{"format": "something/2"}')})
    with pytest.raises(MapperFileError, match=r"field 'header.format'.*something/2"):
        read_mapper(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="unknown expression mapper method"):
        fit_mapper(None, "vae")  # type: ignore[arg-type]


def test_linear_system_shapes(pair_arkit):
    gram, cross = linear_system(pair_arkit)
    assert gram.shape == (52, 52) and cross.shape == (52, 59)
    assert np.allclose(gram, gram.T)
