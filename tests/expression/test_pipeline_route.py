"""The fused pipeline's expression routes: chosen (auto: mapper > projection from FLAME > direct > truncate),
recorded with the reason, applied with the face expert's jaw; the fuse command's --flame / --expression-mapper."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from core.cli import main
from core.contracts.estimates import BodyEstimate, FaceEstimate
from core.errors import FusionError
from core.fusion import face as F
from core.fusion.expression import fit_mapper
from core.fusion.expression.command import add_parser, read_mapper
from core.fusion.expression.mapping import face_model_from_body_model
from core.fusion.expression.source import face_model_from_flame_arrays, make_pair, sample_sequences
from core.fusion.pipeline import FusionOptions, fuse

from .conftest import flame_layout_arrays

K = np.array([[1000.0, 0.0, 640.0], [0.0, 1000.0, 360.0], [0.0, 0.0, 1.0]])


@pytest.fixture(scope="module")
def body_model(model_path):
    from core.body.model import load_body_model

    return load_body_model(model_path)


@pytest.fixture(scope="module")
def mapper(source, body_model):
    return fit_mapper(make_pair(source, face_model_from_body_model(body_model)), "linear")


def test_route_selection_with_a_mapper(mapper):
    tr = F.choose_expression_transfer("auto", "smplx-v1.1", 10, mapper=mapper)
    assert tr.route == "linear" and "linear mapper" in tr.note and tr.mapper is mapper
    assert tr.note.startswith("auto: an expression mapper was given")
    assert F.choose_expression_transfer("linear", "smplx-v1.1", 10, mapper=mapper).route == "linear"
    assert F.choose_expression_transfer("mapper", "smplx-v1.1", 10, mapper=mapper).route == "linear"
    assert F.choose_expression_transfer("truncate", "smplx-v1.1", 10, mapper=mapper).route == "truncate"
    with pytest.raises(ValueError, match="needs an expression mapper"):
        F.choose_expression_transfer("projection", "smplx-v1.1", 10)
    with pytest.raises(ValueError, match="does not match"):
        F.choose_expression_transfer("learned", "smplx-v1.1", 10, mapper=mapper)
    with pytest.raises(ValueError, match="outputs 10"):
        F.choose_expression_transfer("mapper", "smplx-2020", 100, mapper=mapper)
    e = np.random.default_rng(0).normal(size=(3, 50))
    jaw = np.array([[0.3, 0.0, 0.0]] * 3)
    assert np.allclose(tr.apply(e, jaw), mapper.map(e, jaw))
    assert not np.allclose(tr.apply(e, jaw), tr.apply(e, None))  # the jaw matters to this route


def test_fuse_uses_the_mapper_with_the_face_jaw(mapper, body_model):
    t = 40
    n = np.arange(t)
    e, j = sample_sequences(np.random.default_rng(5), 1, t)
    e, j = e[0], j[0]
    body = BodyEstimate(
        frame_ids=n, global_orient=np.tile([np.pi, 0.0, 0.0], (t, 1)), body_pose=np.zeros((t, 21, 3)),
        left_hand_pose=np.zeros((t, 15, 3)), right_hand_pose=np.zeros((t, 15, 3)), hand_pose_relative_to="flat",
        jaw_pose=np.zeros((t, 3)), leye_pose=np.zeros((t, 3)), reye_pose=np.zeros((t, 3)),
        betas=np.zeros((t, 10)), expression=np.zeros((t, 10)), transl=np.tile([0.0, 0.1, 3.0], (t, 1)),
        camera_K=np.broadcast_to(K, (t, 3, 3)).copy(), image_size=np.array([1280.0, 720.0]), bbox=None, score=None,
        valid=np.ones(t, dtype=bool), source={"path": "clip.smplerx.npz"})
    face = FaceEstimate(frame_ids=n, expression=e, jaw_pose=j, global_pose=np.zeros((t, 3)),
                        shape=np.zeros((t, 100)), cam=None, bbox=None, valid=np.ones(t, dtype=bool),
                        source={"path": "clip.emoca/", "format": "emoca (codes)"})
    opts = FusionOptions(fps=30.0, smooth=False, confidence_blend=False, expression_mapper=mapper)
    res = fuse(body, face, None, body_model, opts)
    seq = res.sequence
    assert res.report["expression_route"] == "linear"
    prov = json.loads(seq.provenance)
    assert prov["expression_transfer"]["route"] == "linear"
    assert "linear expression mapper" in prov["options"]["expression_mapper"]
    assert np.allclose(seq.expression, mapper.map(e, j), atol=1e-9)
    assert np.allclose(seq.jaw_pose, j, atol=1e-6)
    default = fuse(body, face, None, body_model, FusionOptions(fps=30.0, smooth=False, confidence_blend=False))
    assert default.report["expression_route"] == "truncate"  # nothing changes without a mapper


def test_auto_takes_projection_when_the_flame_model_is_given(source, body_model):
    """auto: mapper > projection (the FLAME model and its ids) > least squares (blendshapes alone) > direct >
    truncate; explicit projection / linear are built from FLAME; least squares stays available explicitly."""
    flame = face_model_from_flame_arrays(flame_layout_arrays(source), source.vertex_ids)
    smplx_face = face_model_from_body_model(body_model)
    args = ("smplx-v1.1", 10, body_model.expression_dirs)
    tr = F.choose_expression_transfer("auto", *args, flame_face=flame, smplx_face=smplx_face)
    assert tr.route == "projection" and tr.mapper.method == "projection"
    assert tr.reason.startswith("auto: the FLAME model and its vertex ids were given") and tr.note.startswith(tr.reason)
    assert F.choose_expression_transfer("linear", *args, flame_face=flame, smplx_face=smplx_face).route == "linear"
    ls = F.choose_expression_transfer("least_squares", *args, flame_face=flame, smplx_face=smplx_face)
    assert ls.route == "least_squares" and ls.mapper is None and ls.matrix.shape == (10, 50)
    only_dirs = F.choose_expression_transfer("auto", *args, flame.dirs, flame.mesh_ids)
    assert only_dirs.route == "least_squares" and "no jaw" in only_dirs.reason
    assert F.choose_expression_transfer("auto", "smplx-v1.1", 10).route == "truncate"
    with pytest.raises(ValueError, match="--flame"):
        F.choose_expression_transfer("projection", *args)
    with pytest.raises(ValueError, match="needs an expression mapper"):
        F.choose_expression_transfer("learned", *args, flame_face=flame, smplx_face=smplx_face)


# ----------------------------------------------------------------------------- the fuse command
T_CLI = 40


@pytest.fixture(scope="module")
def take(tmp_path_factory, source):
    """A still AMASS body and EMOCA codes (a FLAME-layout expression sequence with its jaw), the licence-free
    FLAME-layout source written as a FLAME file (.npz) and its SMPL-X vertex ids (.npy)."""
    folder = tmp_path_factory.mktemp("flame_take")
    e, j = sample_sequences(np.random.default_rng(21), 1, T_CLI)
    e, j = e[0], j[0]
    np.savez(folder / "body.npz", poses=np.zeros((T_CLI, 165)), trans=np.tile([0.0, 0.1, 3.0], (T_CLI, 1)),
             betas=np.zeros(10), gender=np.array("neutral"), mocap_frame_rate=np.array(30.0))
    np.savez(folder / "codes.npz", expcode=e, posecode=np.concatenate([np.zeros((T_CLI, 3)), j], axis=1),
             shapecode=np.zeros((T_CLI, 100)))
    np.savez(folder / "flame.npz", **flame_layout_arrays(source))
    np.save(folder / "ids.npy", source.vertex_ids)
    return {"dir": folder, "expression": e, "jaw": j}


def _fuse(take, model_path, out_name, *extra):
    out = take["dir"] / out_name
    argv = ["fuse", "--body", str(take["dir"] / "body.npz"), "--face", str(take["dir"] / "codes.npz"),
            "--model", str(model_path), "--out", str(out), "--overwrite", "--no-smooth", "--no-confidence",
            "--quiet", *extra]
    return main(argv), out


def test_fuse_with_flame_files_picks_projection_and_beats_truncation(take, model_path, source, body_model,
                                                                    capsys):
    from core.contracts.fused_file import read_fused

    rc, out = _fuse(take, model_path, "flame.fused.npz", "--flame", str(take["dir"] / "flame.npz"),
                    "--flame-ids", str(take["dir"] / "ids.npy"))
    printed = capsys.readouterr().out
    assert rc == 0
    assert "expression route: projection (auto: the FLAME model and its vertex ids were given" in printed
    seq = read_fused(out)
    prov = json.loads(seq.provenance)
    assert prov["expression_transfer"]["route"] == "projection"
    assert "flame.npz" in prov["expression_transfer"]["note"]  # the recorded note names the FLAME file and why
    assert "the FLAME model and its vertex ids were given" in prov["expression_transfer"]["note"]
    rc, out_trunc = _fuse(take, model_path, "trunc.fused.npz")
    assert rc == 0 and "expression_route: truncate" in capsys.readouterr().out
    trunc = read_fused(out_trunc)
    assert json.loads(trunc.provenance)["expression_transfer"]["route"] == "truncate"
    # score both against the face the codes show, on the front of the face (as bench/expression_transfer.py)
    pair = make_pair(source, face_model_from_body_model(body_model))
    e, j = take["expression"], take["jaw"]
    assert np.allclose(seq.jaw_pose, j, atol=1e-6)
    ours = pair.score(seq.expression, e, j)["vertex_mm"]
    truncated = pair.score(trunc.expression, e, j)["vertex_mm"]
    assert np.allclose(trunc.expression, e[:, :10], atol=1e-6)
    assert ours < 0.7 * truncated, (ours, truncated)


def test_fuse_uses_a_saved_mapper_and_refuses_bad_files(take, model_path, capsys):
    from core.contracts.fused_file import read_fused

    mapper_file = take["dir"] / "mapper.npz"
    rc = main(["expression-mapper", "--out", str(mapper_file), "--model", str(model_path), "--method", "linear",
               "--flame", str(take["dir"] / "flame.npz"), "--flame-ids", str(take["dir"] / "ids.npy")])
    assert rc == 0 and mapper_file.is_file()
    mapper = read_mapper(mapper_file)
    rc, out = _fuse(take, model_path, "mapper.fused.npz", "--expression-mapper", str(mapper_file))
    assert rc == 0 and "expression route: linear (auto: an expression mapper was given" in capsys.readouterr().out
    seq = read_fused(out)
    assert json.loads(seq.provenance)["expression_transfer"]["route"] == "linear"
    assert np.allclose(seq.expression, mapper.map(take["expression"], take["jaw"]), atol=1e-6)
    # the same mapper named explicitly; a route the mapper is not: refused before fusing
    assert _fuse(take, model_path, "mapper2.fused.npz", "--expression-mapper", str(mapper_file),
                 "--expression-route", "linear")[0] == 0
    capsys.readouterr()
    rc, out = _fuse(take, model_path, "bad_route.fused.npz", "--expression-mapper", str(mapper_file),
                    "--expression-route", "projection")
    assert rc == 2 and "does not match the given mapper" in capsys.readouterr().err and not out.exists()
    # a file that is not a mapper: exit 2, one line naming the file and the field
    (take["dir"] / "bad.npz").write_bytes(b"PK\x03\x04 not really")
    rc, out = _fuse(take, model_path, "bad.fused.npz", "--expression-mapper", str(take["dir"] / "bad.npz"))
    err = capsys.readouterr().err
    assert rc == 2 and "bad.npz" in err and len(err.strip().splitlines()) == 1 and not out.exists()
    np.savez(take["dir"] / "nomapper.npz", matrix=np.zeros((10, 59)))
    rc, _ = _fuse(take, model_path, "bad.fused.npz", "--expression-mapper", str(take["dir"] / "nomapper.npz"))
    err = capsys.readouterr().err
    assert rc == 2 and "nomapper.npz: field 'header'" in err
    # --flame without --flame-ids; ids of another mesh
    rc, _ = _fuse(take, model_path, "bad.fused.npz", "--flame", str(take["dir"] / "flame.npz"))
    assert rc == 2 and "--flame-ids" in capsys.readouterr().err
    np.save(take["dir"] / "far_ids.npy", np.full(5023, 20000))
    rc, _ = _fuse(take, model_path, "bad.fused.npz", "--flame", str(take["dir"] / "flame.npz"), "--flame-ids",
                  str(take["dir"] / "far_ids.npy"))
    err = capsys.readouterr().err
    assert rc == 2 and "far_ids.npy: field 'vertex_ids'" in err


def test_flame_reader_names_file_and_field(tmp_path, source):
    from core.errors import ModelFileError
    from core.io.flame_model import read_flame, read_flame_model

    arrays = flame_layout_arrays(source)
    np.savez(tmp_path / "noexp.npz", **{**arrays, "shapedirs": arrays["shapedirs"][:, :, :320]})
    with pytest.raises(ModelFileError, match=r"noexp\.npz: field 'shapedirs': expected >= 350 columns"):
        read_flame_model(tmp_path / "noexp.npz")
    np.savez(tmp_path / "nojaw.npz", **{k: v for k, v in arrays.items() if k != "weights"})
    with pytest.raises(ModelFileError, match=r"nojaw\.npz: field 'weights': missing"):
        read_flame_model(tmp_path / "nojaw.npz")
    np.savez(tmp_path / "flame.npz", **arrays)
    np.save(tmp_path / "short.npy", source.vertex_ids[:100])
    with pytest.raises(ModelFileError, match=r"short\.npy: field 'vertex_ids': expected 5023 ids"):
        read_flame(tmp_path / "flame.npz", tmp_path / "short.npy")
    np.save(tmp_path / "ids.npy", source.vertex_ids)
    read, ids = read_flame(tmp_path / "flame.npz", tmp_path / "ids.npy", 10475)
    assert np.array_equal(ids, source.vertex_ids) and read["J_regressor"].shape == (5, 5023)
    # the smplx layout of posedirs, (36, 3N), reads the same
    flat = arrays["posedirs"].reshape(5023 * 3, 36).T
    np.savez(tmp_path / "flat.npz", **{**arrays, "posedirs": flat})
    assert np.allclose(read_flame_model(tmp_path / "flat.npz")["posedirs"], read["posedirs"])


def test_cli_subcommands_write_files(tmp_path, model_path, source):
    from core.contracts.fused_file import write_fused
    from core.demo_data.motion import make_demo_sequence

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=10))
    args = parser.parse_args(["arkit", str(fused), "--model", str(model_path), "--method", "linear_bounded"])
    assert args.handler(args) == 0
    header = (tmp_path / "take.arkit.csv").read_text().splitlines()[0].split(",")
    assert len(header) == 54 and header[:3] == ["frame", "time_s", "eyeBlinkLeft"]
    doc = json.loads((tmp_path / "take.arkit.json").read_text())
    assert len(doc["weights"]) == 10 and doc["provenance"]["method"] == "linear_bounded"
    assert doc["provenance"]["shapes"] == "procedural"
    with pytest.raises(FusionError, match=r"take\.arkit\.csv: field '--out': the output exists"):
        args.handler(args)  # never overwritten silently
    args = parser.parse_args(["arkit", str(fused), "--model", str(model_path), "--overwrite"])
    assert args.handler(args) == 0
    # a FLAME file (here the licence-free source in FLAME's layout) and its vertex ids
    np.savez(tmp_path / "flame.npz", **flame_layout_arrays(source))
    np.save(tmp_path / "ids.npy", source.vertex_ids)
    out = tmp_path / "mapper.npz"
    args = parser.parse_args(["expression-mapper", "--out", str(out), "--model", str(model_path), "--method",
                              "linear", "--target", "facial_actions", "--flame", str(tmp_path / "flame.npz"),
                              "--flame-ids", str(tmp_path / "ids.npy")])
    assert args.handler(args) == 0
    m = read_mapper(out)
    assert m.method == "linear" and m.target == "facial_actions" and m.num_target == 11 and m.num_source == 50
    with pytest.raises(FusionError, match="the output exists"):
        args.handler(args)
    args = parser.parse_args(["expression-mapper", "--out", str(tmp_path / "m2.npz"), "--model", str(model_path),
                              "--flame", str(tmp_path / "flame.npz")])
    with pytest.raises(FusionError, match="flame-ids"):
        args.handler(args)
