"""An estimator's betas (SMPL-X's shape space) are never applied to a built-in model; with SMPL-X's own file they are.

Issue 20: PIXIE's first 10 of 200 and SMPLer-X's 10 were applied to the built-in model "as they are", giving the
default avatar an arbitrary body. Each case writes the estimator's file in its exact layout and runs ``fuse``.
"""
from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from core.body.builtin import BUILTIN_REVISIONS, ensure_builtin_model
from core.body.model import load_body_model
from core.body.shape_space import SMPLX_SHAPE_SPACE, builtin_revision, choose_betas, model_shape_space
from core.cli import main as core_main
from core.contracts.fused_file import read_fused
from core.fusion.pipeline import FusionOptions, fuse
from core.io import read_body
from core.rotations import axis_angle_to_matrix


@pytest.fixture(scope="module")
def builtin_path(tmp_path_factory):
    """The built-in mannequin as the resolver makes it (its revision's folder)."""
    return ensure_builtin_model("neutral", tmp_path_factory.mktemp("builtin"), kind="mannequin")


@pytest.fixture(scope="module")
def smplx_path(builtin_path, tmp_path_factory):
    """A stand-in for the user's official ``SMPLX_NEUTRAL.npz``: the same layout, in a folder of the user's."""
    folder = tmp_path_factory.mktemp("my_smplx_models")
    return shutil.copy(builtin_path, folder / "SMPLX_NEUTRAL.npz")


def _write_smplerx(folder, frames, betas, rng):
    """``smplx/{frame:05}_0.npz`` + ``meta/{frame:05}_0.json`` as SMPLer-X ``main/inference.py`` writes them."""
    (folder / "smplx").mkdir(parents=True)
    (folder / "meta").mkdir()
    for f in frames:
        params = {"global_orient": np.array([[np.pi, 0.0, 0.0]], np.float32),
                  "body_pose": rng.normal(scale=0.2, size=(21, 3)).astype(np.float32),
                  "left_hand_pose": np.zeros((15, 3), np.float32), "right_hand_pose": np.zeros((15, 3), np.float32),
                  "jaw_pose": np.zeros((1, 3), np.float32), "leye_pose": np.zeros((1, 3)),
                  "reye_pose": np.zeros((1, 3)), "betas": betas[None].astype(np.float32),
                  "expression": np.zeros((1, 10), np.float32), "transl": np.array([[0.0, 0.2, 6.0]], np.float32)}
        np.savez(folder / "smplx" / f"{f:05}_0.npz", **params)
        bbox = [500.0, 100.0, 280.0, 500.0]
        meta = {"focal": [5000 / 192 * bbox[2], 5000 / 256 * bbox[3]],
                "princpt": [96 / 192 * bbox[2] + bbox[0], 128 / 256 * bbox[3] + bbox[1]], "bbox": bbox, "bbox_id": 0}
        (folder / "meta" / f"{f:05}_0.json").write_text(json.dumps(meta))
    return folder


def _write_pixie(folder, shape, rng):
    """``<name>/<name>_param.pkl``, pickle protocol 2, float32 (PIXIE ``demos/demo_fit_body.py``)."""
    f32 = np.float32
    rot = lambda n, s=0.2: axis_angle_to_matrix(rng.normal(scale=s, size=(n, 3))).astype(f32)  # noqa: E731
    codedict = {"body_cam": np.array([7.5, 0.02, 0.25], f32), "global_pose": rot(1), "partbody_pose": rot(17),
                "neck_pose": rot(1), "shape": shape.astype(f32), "exp": np.zeros(50, f32), "head_pose": rot(1),
                "jaw_pose": rot(1), "right_wrist_pose": rot(1), "right_hand_pose": rot(15),
                "left_wrist_pose": rot(1), "left_hand_pose": rot(15), "tex": np.zeros(50, f32),
                "light": np.zeros((9, 3), f32), "abs_head_pose": rot(1), "abs_right_wrist_pose": rot(1),
                "abs_left_wrist_pose": rot(1), "body_pose": rot(21), "bbox": np.array([210.0, 80.0, 530.0, 700.0])}
    (folder / "photo").mkdir(parents=True)
    path = folder / "photo" / "photo_param.pkl"
    with open(path, "wb") as fh:
        pickle.dump(codedict, fh, protocol=2)
    return path


def test_shape_spaces(builtin_path, smplx_path):
    builtin, official = load_body_model(builtin_path), load_body_model(smplx_path)
    assert builtin_revision(builtin.path) == BUILTIN_REVISIONS["mannequin"]
    assert model_shape_space(builtin) == f"builtin:{BUILTIN_REVISIONS['mannequin']}"
    assert model_shape_space(official) == SMPLX_SHAPE_SPACE and builtin_revision(official.path) is None
    assert choose_betas("auto", "smplx-2020", official)[0] and not choose_betas("auto", "smplx-v1.1", builtin)[0]
    assert choose_betas("apply", "smplx-v1.1", builtin)[0] and not choose_betas("zero", "smplx-v1.1", official)[0]
    with pytest.raises(ValueError, match="estimator_betas"):
        choose_betas("as-is", "smplx-v1.1", builtin)


def test_smplerx_betas_not_applied_to_the_builtin_model(builtin_path, smplx_path, tmp_path):
    rng = np.random.default_rng(0)
    betas = np.array([1.5, -1.0, 0.8, 0.0, 0.5, -0.7, 0.3, 0.9, -1.2, 0.4])
    body = read_body(_write_smplerx(tmp_path / "smplerx", [1, 2, 3], betas, rng))
    builtin = load_body_model(builtin_path)
    res = fuse(body, None, None, builtin, FusionOptions(fps=30.0))
    seq = res.sequence
    prov = json.loads(seq.provenance)
    # the built-in model's own mean body; today's code wrote the estimator's betas here
    assert seq.betas.shape == (builtin.num_betas,) and not seq.betas.any()
    assert not prov["shape"]["applied"] and prov["shape"]["estimate_space"] == SMPLX_SHAPE_SPACE
    assert np.allclose(prov["shape"]["estimator_betas"], betas, atol=1e-5)
    assert "mean nothing in the model's" in prov["shape"]["reason"] and res.report["shape"]["applied"] is False
    assert any("not applied" in note for note in prov["conventions"])

    # with SMPL-X's own file the estimator's betas are used as before
    official = load_body_model(smplx_path)
    seq_smplx = fuse(body, None, None, official, FusionOptions(fps=30.0)).sequence
    assert np.allclose(seq_smplx.betas, betas, atol=1e-5)
    assert json.loads(seq_smplx.provenance)["shape"]["applied"] is True

    # asked for: an estimate made with this very model keeps its betas
    applied = fuse(body, None, None, builtin, FusionOptions(fps=30.0, estimator_betas="apply")).sequence
    assert np.allclose(applied.betas, betas, atol=1e-5)


def test_pixie_200_betas_on_the_builtin_model_through_the_command(builtin_path, tmp_path, capsys):
    """PIXIE drives SMPL-X 2020 (200 of its 300 shape components): ``fuse --model mannequin`` writes the built-in
    model's mean body, records PIXIE's 200 betas and says why; ``--model`` the user's SMPL-X keeps them."""
    rng = np.random.default_rng(1)
    shape = rng.normal(size=200)
    pkl = _write_pixie(tmp_path / "pixie", shape, rng)
    out = tmp_path / "photo.fused.npz"
    assert core_main(["fuse", "--body", str(pkl), "--model", str(builtin_path), "--out", str(out), "--quiet"]) == 0
    summary = capsys.readouterr().out
    seq = read_fused(out)
    prov = json.loads(seq.provenance)
    assert seq.betas.shape == (10,) and not seq.betas.any()
    assert len(prov["shape"]["estimator_betas"]) == 200
    assert np.allclose(prov["shape"]["estimator_betas"], shape, atol=1e-5)
    assert "shape:" in summary and "mean nothing" in summary
