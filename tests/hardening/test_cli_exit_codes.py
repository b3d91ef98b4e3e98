"""``python -m core``: exit code 0 on success, 2 with one line on stderr for bad input (through ``fuse``, for a bad
input of every kind), 1 for an internal error with the traceback only under ``--debug``; a failed run never
leaves a half-written output."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.cli import main

from .fuzz_kit import W
from .operator_cases import _evil_pickle, _prepare_fuse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, model_path) -> dict:
    """The demo estimators' outputs, and broken copies of each kind of input."""
    tmp = tmp_path_factory.mktemp("cli")
    good = _prepare_fuse(tmp, model_path)
    bad: dict = {}
    # body: a truncated SMPLer-X frame
    body = tmp / "bad_body"
    shutil.copytree(good["body"], body)
    first = sorted((body / "smplx").glob("*.npz"))[0]
    first.write_bytes(first.read_bytes()[:300])
    bad["body truncated"] = ({"body": str(body)}, first)
    bad["body missing"] = ({"body": str(tmp / "nowhere")}, tmp / "nowhere")
    evil = _evil_pickle(tmp / "pixie" / "clip_frame00001" / "clip_frame00001_param.pkl", tmp / "PWNED")
    bad["body malicious pickle"] = ({"body": str(evil.parent.parent)}, evil)
    # face: an EMOCA exp.npy cut short; face boxes that are not JSON
    face = tmp / "bad_face"
    shutil.copytree(good["face"], face)
    exp = sorted(face.glob("*/exp.npy"))[1]
    exp.write_bytes(exp.read_bytes()[:100])
    bad["face truncated"] = ({"face": str(face)}, exp)
    boxes = tmp / "boxes.json"
    boxes.write_text('{"1": [0, 0, 10')
    bad["face boxes not JSON"] = ({"face_bbox": str(boxes)}, boxes)
    # hands: is_right = 2 in one WiLoR dump; NaN in another
    hands = tmp / "bad_hands"
    shutil.copytree(good["hands"], hands)
    dump = sorted(p for p in hands.iterdir() if p.suffix in (".npz", ".pkl"))[0]
    data = W.flatten_wilor(W.wilor_out(np.random.default_rng(0), right=[2.0]))
    np.savez(dump.with_suffix(".npz"), **data)
    if dump.suffix != ".npz":
        dump.unlink()
    bad["hands is_right = 2"] = ({"hands": str(hands)}, dump.with_suffix(".npz"))
    # model: a truncated npz, a malicious pkl
    model = tmp / "model" / "SMPLX_NEUTRAL.npz"
    model.parent.mkdir()
    model.write_bytes(Path(model_path).read_bytes()[:5000])
    bad["model truncated"] = ({"model_path": str(model)}, model)
    evil_model = _evil_pickle(tmp / "evil_model" / "SMPLX_NEUTRAL.pkl", tmp / "PWNED")
    bad["model malicious pickle"] = ({"model_path": str(evil_model)}, evil_model)
    return {"good": good, "bad": bad, "tmp": tmp}


def _argv(kw: dict, out: Path, *extra: str) -> list[str]:
    argv = ["fuse", "--body", kw["body"], "--face", kw["face"], "--face-bbox", kw["face_bbox"],
            "--hands", kw["hands"], "--model", kw["model_path"], "--out", str(out), "--quiet"]
    return argv + list(extra)


def test_bad_input_of_every_kind_exits_2_with_one_line(inputs, tmp_path, capsys):
    for label, (change, culprit) in inputs["bad"].items():
        kw = dict(inputs["good"], **change)
        out = tmp_path / f"{label.replace(' ', '_')}.fused.npz"
        code = main(_argv(kw, out))
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2, (label, err)
        assert len(err) == 1 and err[0].startswith("error: ") and str(culprit) in err[0], (label, err)
        assert "Traceback" not in err[0] and not out.exists(), label
    assert not (inputs["tmp"] / "PWNED").exists()


def test_existing_output_is_refused_and_kept(inputs, tmp_path, capsys):
    out = tmp_path / "mine.fused.npz"
    out.write_bytes(b"the user's file")
    assert main(_argv(inputs["good"], out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0] and out.read_bytes() == b"the user's file"


def test_success_exits_0_and_internal_errors_exit_1(inputs, tmp_path, capsys, monkeypatch):
    out = tmp_path / "ok.fused.npz"
    assert main(_argv(inputs["good"], out)) == 0
    captured = capsys.readouterr()
    assert out.is_file() and f"-> {out}" in captured.out

    import core.fusion.pipeline as pipeline

    def boom(*args, **kwargs):
        raise ZeroDivisionError("simulated bug in fusion")

    monkeypatch.setattr(pipeline, "fuse", boom)
    out2 = tmp_path / "bug.fused.npz"
    assert main(_argv(inputs["good"], out2)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error: ZeroDivisionError: simulated bug in fusion" in err[0]
    assert "--debug" in err[0] and not out2.exists()
    assert main(["--debug"] + _argv(inputs["good"], out2)) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "ZeroDivisionError" in err and not out2.exists()


def test_a_failed_write_leaves_no_half_written_file(inputs, tmp_path, capsys, monkeypatch):
    """The disk fills up halfway through the archive: --out keeps the previous file and no temporary is left."""
    out = tmp_path / "take.fused.npz"
    assert main(_argv(inputs["good"], out)) == 0
    previous = out.read_bytes()
    capsys.readouterr()
    real_savez = np.savez

    def half_then_fail(file, **arrays):
        real_savez(file, **dict(list(arrays.items())[:3]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", half_then_fail)
    assert main(_argv(inputs["good"], out, "--overwrite")) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_bytes() == previous and sorted(p.name for p in tmp_path.iterdir()) == ["take.fused.npz"]


def test_exit_codes_of_the_real_process(inputs, tmp_path):
    """The same codes as a process exit status: 2 for bad input, 1 (traceback only with --debug) for a bug."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    kw = dict(inputs["good"], **inputs["bad"]["hands is_right = 2"][0])
    proc = subprocess.run([sys.executable, "-m", "core"] + _argv(kw, tmp_path / "x.fused.npz"), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""
    assert "field 'right'" in proc.stderr and "Traceback" not in proc.stderr
    script = textwrap.dedent("""
        import sys
        import core.fusion.pipeline as pipeline
        def boom(*a, **k):
            raise KeyError("simulated bug")
        pipeline.fuse = boom
        from core.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    for debug in (False, True):
        argv = (["--debug"] if debug else []) + _argv(inputs["good"], tmp_path / "y.fused.npz")
        proc = subprocess.run([sys.executable, "-c", script] + argv, cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 1 and ("Traceback" in proc.stderr) == debug, proc.stderr
        assert "internal error: KeyError" in proc.stderr and not (tmp_path / "y.fused.npz").exists()


def test_info_reports_a_refused_or_broken_fused_file_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.fused.npz"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0]
    json.dumps(err)  # plain text
