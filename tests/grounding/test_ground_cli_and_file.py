"""``python -m core ground`` (exit codes, --overwrite, summary), ``demo-data --walking``, ``fuse --ground`` parsing,
and the fused file's grounding extras (round trip; malformed values name the field)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from core.cli import build_parser, main
from core.contracts.fused_file import read_fused, write_fused
from core.errors import FusedFileError


@pytest.fixture(scope="module")
def walking_files(tmp_path_factory, model_path):
    out = tmp_path_factory.mktemp("grounding_demo")
    assert main(["demo-data", str(out), "--walking", "--model", str(model_path)]) == 0
    return out


def test_demo_data_walking_writes_both_takes(walking_files):
    truth = read_fused(walking_files / "walking" / "ground_truth.fused.npz")
    assert truth.extras["ground_plane"].shape == (4,) and truth.extras["foot_contact"].any()
    floating = read_fused(walking_files / "floating" / "ground_truth.fused.npz")
    assert not floating.extras["foot_contact"].any()
    assert (walking_files / "grounding.json").is_file()
    assert not (walking_files / "smplerx").exists()  # the default take is not written with --walking


def test_ground_cli_exit_codes_overwrite_and_summary(walking_files, model_path, tmp_path, capsys):
    src = walking_files / "walking" / "estimate.fused.npz"
    out = tmp_path / "grounded.fused.npz"
    args = ["ground", str(src), "--out", str(out), "--model", str(model_path), "--quiet"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "contacts: left" in text and "feet moved: mean" in text and "root moved" in text
    grounded = read_fused(out)
    assert grounded.extras["ground_plane"].shape == (4,)
    assert grounded.extras["foot_contact"].shape == (grounded.num_frames, 2)
    assert "grounding" in grounded.provenance
    before = out.stat().st_mtime_ns
    assert main(args) == 2  # exists, no --overwrite
    err = capsys.readouterr().err
    assert "--out" in err and "overwrite" in err and len(err.strip().splitlines()) == 1
    assert out.stat().st_mtime_ns == before
    assert main(args + ["--overwrite", "--mode", "never"]) == 0
    same = read_fused(out)
    np.testing.assert_array_equal(same.body_pose, read_fused(src).body_pose)
    assert main(["ground", str(tmp_path / "missing.npz"), "--out", str(tmp_path / "x.npz"),
                 "--model", str(model_path), "--quiet"]) == 2
    capsys.readouterr()


def test_ground_cli_on_floating_take_changes_nothing(walking_files, model_path, tmp_path, capsys):
    src = walking_files / "floating" / "estimate.fused.npz"
    out = tmp_path / "floating.fused.npz"
    assert main(["ground", str(src), "--out", str(out), "--model", str(model_path), "--quiet"]) == 0
    assert "unchanged" in capsys.readouterr().out
    a, b = read_fused(src), read_fused(out)
    np.testing.assert_array_equal(a.body_pose, b.body_pose)
    np.testing.assert_array_equal(a.transl, b.transl)


def test_fuse_parser_has_ground_option():
    parser = build_parser()
    args = parser.parse_args(["fuse", "--body", "b", "--out", "o.npz"])
    assert args.ground == "never"
    args = parser.parse_args(["fuse", "--body", "b", "--out", "o.npz", "--ground", "auto"])
    assert args.ground == "auto"
    with pytest.raises(SystemExit):
        parser.parse_args(["fuse", "--body", "b", "--out", "o.npz", "--ground", "maybe"])


def test_fused_file_round_trip_with_and_without_ground_plane(grounding_takes, tmp_path):
    seq = copy.deepcopy(grounding_takes["walking"].estimate)
    assert "ground_plane" not in seq.extras
    write_fused(tmp_path / "plain.npz", seq)
    assert "ground_plane" not in read_fused(tmp_path / "plain.npz").extras
    plane = grounding_takes["walking"].truth.plane
    seq.extras = {"ground_plane": plane, "contact_scores": np.full((seq.num_frames, 2), 0.5),
                  "foot_contact": np.zeros((seq.num_frames, 2), dtype=bool)}
    write_fused(tmp_path / "plane.npz", seq)
    back = read_fused(tmp_path / "plane.npz")
    np.testing.assert_array_equal(back.extras["ground_plane"], plane)
    np.testing.assert_array_equal(back.extras["contact_scores"], 0.5)


@pytest.mark.parametrize("key, value, words", [
    ("ground_plane", np.zeros(3), "shape (4,)"),
    ("ground_plane", np.array([0.0, -2.0, 0.0, 1.0]), "unit length"),
    ("ground_plane", np.array([0.0, -1.0, 0.0, np.nan]), "NaN"),
    ("ground_plane", np.array(["a", "b", "c", "d"]), "shape (4,)"),
    ("contact_scores", np.full((3, 2), 0.5), "shape"),
    ("contact_scores", None, "[0, 1]"),
    ("foot_contact", None, "booleans"),
])
def test_malformed_grounding_extras_name_the_field(grounding_takes, tmp_path, key, value, words):
    seq = copy.deepcopy(grounding_takes["walking"].estimate)
    t = seq.num_frames
    if value is None:
        value = np.full((t, 2), 1.5) if key == "contact_scores" else np.ones((t, 2))
    seq.extras = {key: value}
    path = tmp_path / "bad.npz"
    np.savez(path, **{**_payload(seq), key: value})
    with pytest.raises(FusedFileError) as info:
        read_fused(path)
    message = str(info.value)
    assert f"field '{key}'" in message and words in message and str(path) in message
    assert "\n" not in message


def _payload(seq):
    from core.contracts.fused_file import to_arrays

    clean = copy.deepcopy(seq)
    clean.extras = {}
    return to_arrays(clean)
