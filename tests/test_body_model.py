"""Body-model loading: npz and pkl, v1.1 and 2020 layouts, genders, joints for betas, clear errors."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse

from core.body.builtin import resolve_model
from core.body.model import load_body_model, resolve_model_file
from core.body.skeleton import PARENTS
from core.errors import ModelFileError


def test_loads_v11_npz(model_path):
    model = load_body_model(model_path)
    assert model.variant == "smplx-v1.1" and model.gender == "neutral"
    assert model.v_template.shape == (10475, 3) and model.faces.shape[1] == 3
    assert model.joint_regressor.shape == (55, 10475)
    assert model.shape_dirs.shape == (10475, 3, 10) and model.expression_dirs.shape == (10475, 3, 10)
    assert model.pose_dirs.shape == (10475, 3, 486)
    assert model.left_hand_mean.shape == (15, 3) and np.abs(model.left_hand_mean).max() > 0.05
    np.testing.assert_array_equal(model.parents, PARENTS)


def test_folder_and_gender(model_dir):
    for gender in ("neutral", "male", "female"):
        model = load_body_model(model_dir, gender=gender)
        assert model.gender == gender
    assert not np.allclose(load_body_model(model_dir, "male").v_template,
                           load_body_model(model_dir, "female").v_template)
    with pytest.raises(ModelFileError, match="unknown gender"):
        resolve_model_file(model_dir, "robot")


def test_2020_layout(tmp_path):
    from core.mannequin import write_mannequin

    path = write_mannequin(tmp_path / "SMPLX_NEUTRAL.npz", variant="2020")
    model = load_body_model(path)
    assert model.variant == "smplx-2020"
    assert model.num_betas == 300 and model.num_expression == 100
    raw = np.load(path)["shapedirs"]
    np.testing.assert_array_equal(model.expression_dirs, raw[:, :, 300:400])


def test_official_style_pkl(tmp_path, model_path):
    """A pkl with a scipy CSC J_regressor and uint32 root parent, read through the restricted unpickler."""
    data = dict(np.load(model_path, allow_pickle=False))
    data["J_regressor"] = scipy.sparse.csc_matrix(data["J_regressor"])
    kintree = data["kintree_table"].astype(np.int64)
    kintree[0, 0] = 4294967295
    data["kintree_table"] = kintree
    path = tmp_path / "SMPLX_FEMALE.pkl"
    path.write_bytes(pickle.dumps(data, protocol=2))
    model = load_body_model(path)
    assert model.gender == "female" and model.parents[0] == -1
    reference = load_body_model(model_path)
    np.testing.assert_allclose(model.joint_regressor, reference.joint_regressor)


def test_joints_match_smplx_rest(model_path):
    """Regressed joints for betas and expression equal smplx's joints at zero pose."""
    import smplx
    import torch

    model = load_body_model(model_path)
    rng = np.random.default_rng(0)
    betas, expr = rng.normal(size=10), rng.normal(size=10)
    layer = smplx.SMPLX(model_path=str(model_path), use_pca=False, flat_hand_mean=True).double()
    with torch.no_grad():
        out = layer(betas=torch.tensor(betas[None]), expression=torch.tensor(expr[None]))
    # smplx stores float32
    np.testing.assert_allclose(model.rest_joints(betas, expr), out.joints[0, :55].numpy(), atol=1e-6)
    shift = model.expression_joint_offsets(expr[None])[0]
    np.testing.assert_allclose(model.rest_joints(betas) + shift, model.rest_joints(betas, expr), atol=1e-12)


@pytest.mark.parametrize("key, value, words", [
    ("v_template", None, "field 'v_template': missing key"),
    ("weights", np.ones((10475, 54)), r"field 'weights': expected shape \(10475, 55\)"),
    ("posedirs", np.zeros((10475, 3, 10)), r"field 'posedirs': expected shape \(10475, 3, 486\)"),
    ("kintree_table", np.zeros((2, 55), dtype=np.int64), "not SMPL-X's"),
    ("f", np.array([[0, 1, 99999]]), "face indices"),
    ("hands_meanl", np.zeros(44), "field 'hands_meanl'"),
])
def test_broken_model_names_the_key(tmp_path, model_path, key, value, words):
    data = dict(np.load(model_path, allow_pickle=False))
    if value is None:
        data.pop(key)
    else:
        data[key] = value
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    np.savez(path, **data)
    with pytest.raises(ModelFileError, match=words) as info:
        load_body_model(path)
    assert str(path) in str(info.value)


def test_unreadable_files(tmp_path):
    garbage = tmp_path / "SMPLX_NEUTRAL.npz"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelFileError, match="not a readable"):
        load_body_model(garbage)
    with pytest.raises(ModelFileError, match="not found"):
        load_body_model(tmp_path / "missing.npz")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelFileError, match="no SMPLX_NEUTRAL"):
        load_body_model(empty)
    other = tmp_path / "model.obj"
    other.write_text("v 0 0 0")
    with pytest.raises(ModelFileError, match="unsupported"):
        load_body_model(other)


def test_builtin_model_resolution(tmp_path):
    from core.body.builtin import BUILTIN_NAMES

    path = resolve_model("mannequin", "female", cache_dir=tmp_path)
    assert path.name == "SMPLX_FEMALE.npz" and path.is_file() and "mannequin" in str(path)
    assert load_body_model(path).gender == "female"
    # an empty setting and "builtin" mean the realistic licence-free model (generated in tests/anny_model)
    assert BUILTIN_NAMES[""] == BUILTIN_NAMES["builtin"] == "anny"


def _compressed_model(tmp_path, model_path, **changes):
    """The mannequin re-saved with deflated members (as the built-in model is written), with ``changes``."""
    data = dict(np.load(model_path, allow_pickle=False))
    data.update(changes)
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    np.savez_compressed(path, **data)
    return path, data


def test_large_compressed_posedirs_read_on_first_use(tmp_path, model_path, monkeypatch):
    """A large deflated ``posedirs`` (the built-in model's) is inflated only when ``pose_dirs`` is first used, and
    then equals the file's; pickling a model reads it first."""
    from core.fileio import safe_pickle

    monkeypatch.setattr(safe_pickle, "DEFER_MIN_BYTES", 1 << 20)
    rng = np.random.default_rng(1)
    path, data = _compressed_model(tmp_path, model_path,
                                   posedirs=rng.normal(scale=1e-3, size=(10475, 3, 486)).astype(np.float32))
    model = load_body_model(path)
    assert callable(model.__dict__["_pose_dirs_held"])  # not read yet
    np.testing.assert_array_equal(model.pose_dirs, data["posedirs"].astype(np.float64))
    assert model.pose_dirs.dtype == np.float64 and isinstance(model.__dict__["_pose_dirs_held"], np.ndarray)
    again = pickle.loads(pickle.dumps(load_body_model(path)))
    np.testing.assert_array_equal(again.pose_dirs, model.pose_dirs)


def test_deferred_posedirs_keeps_every_check(tmp_path, model_path, monkeypatch):
    """Deferred or not, a wrong shape is refused at load (from the member's header) and NaN when the data is read,
    naming the file and the field."""
    from core.fileio import safe_pickle

    monkeypatch.setattr(safe_pickle, "DEFER_MIN_BYTES", 1 << 20)
    path, _ = _compressed_model(tmp_path, model_path, posedirs=np.zeros((10475, 3, 480)))
    with pytest.raises(ModelFileError, match=r"field 'posedirs': expected shape \(10475, 3, 486\)"):
        load_body_model(path)
    broken = np.zeros((10475, 3, 486))
    broken[7, 1, 300] = np.nan
    path, _ = _compressed_model(tmp_path, model_path, posedirs=broken)
    model = load_body_model(path)
    with pytest.raises(ModelFileError, match="field 'posedirs': contains NaN or Inf") as info:
        _ = model.pose_dirs
    assert str(path) in str(info.value)
    monkeypatch.setattr(safe_pickle, "DEFER_MIN_BYTES", 1 << 40)  # small members are checked at load, as always
    with pytest.raises(ModelFileError, match="field 'posedirs': contains NaN or Inf"):
        load_body_model(path)
