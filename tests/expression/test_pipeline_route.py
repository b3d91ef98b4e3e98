"""The fused pipeline's ``mapper`` expression route: chosen, recorded, and applied with the face expert's jaw."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from core.errors import FusionError
from core.estimates import BodyEstimate, FaceEstimate
from core.fusion import face as F
from core.fusion.expression_map import add_parser, face_model_from_body_model, fit_mapper, load_mapper
from core.fusion.expression_source import make_pair, sample_sequences
from core.fusion.pipeline import FusionOptions, fuse

from .conftest import flame_layout_arrays

K = np.array([[1000.0, 0.0, 640.0], [0.0, 1000.0, 360.0], [0.0, 0.0, 1.0]])


@pytest.fixture(scope="module")
def body_model(model_path):
    from core.body_model import load_body_model

    return load_body_model(model_path)


@pytest.fixture(scope="module")
def mapper(source, body_model):
    return fit_mapper(make_pair(source, face_model_from_body_model(body_model)), "linear")


def test_route_selection_with_a_mapper(mapper):
    tr = F.choose_expression_transfer("auto", "smplx-v1.1", 10, mapper=mapper)
    assert tr.route == "mapper" and "linear mapper" in tr.note and tr.mapper is mapper
    assert F.choose_expression_transfer("linear", "smplx-v1.1", 10, mapper=mapper).route == "mapper"
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
    assert res.report["expression_route"] == "mapper"
    prov = json.loads(seq.provenance)
    assert prov["expression_transfer"]["route"] == "mapper"
    assert "linear expression mapper" in prov["options"]["expression_mapper"]
    assert np.allclose(seq.expression, mapper.map(e, j), atol=1e-9)
    assert np.allclose(seq.jaw_pose, j, atol=1e-6)
    default = fuse(body, face, None, body_model, FusionOptions(fps=30.0, smooth=False, confidence_blend=False))
    assert default.report["expression_route"] == "truncate"  # nothing changes without a mapper


def test_cli_subcommands_write_files(tmp_path, model_path, source):
    from core.demo_motion import make_demo_sequence
    from core.fused_file import write_fused

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=10))
    args = parser.parse_args(["arkit", str(fused), "--model", str(model_path), "--method", "linear_bounded"])
    assert args.handler(args) == 0
    header = (tmp_path / "take.arkit.csv").read_text().splitlines()[0].split(",")
    assert len(header) == 54 and header[:3] == ["frame", "time_s", "eyeBlinkLeft"]
    doc = json.loads((tmp_path / "take.arkit.json").read_text())
    assert len(doc["weights"]) == 10 and doc["provenance"]["method"] == "linear_bounded"
    # a FLAME file (here the licence-free source in FLAME's layout) and its vertex ids
    np.savez(tmp_path / "flame.npz", **flame_layout_arrays(source))
    np.save(tmp_path / "ids.npy", source.vertex_ids)
    out = tmp_path / "mapper.npz"
    args = parser.parse_args(["expression-mapper", "--out", str(out), "--model", str(model_path), "--method",
                              "linear", "--target", "facial_actions", "--flame", str(tmp_path / "flame.npz"),
                              "--flame-ids", str(tmp_path / "ids.npy")])
    assert args.handler(args) == 0
    m = load_mapper(out)
    assert m.method == "linear" and m.target == "facial_actions" and m.num_target == 11 and m.num_source == 50
    args = parser.parse_args(["expression-mapper", "--out", str(out), "--model", str(model_path), "--flame",
                              str(tmp_path / "flame.npz")])
    with pytest.raises(FusionError, match="flame-ids"):
        args.handler(args)
