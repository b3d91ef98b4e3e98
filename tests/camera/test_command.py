"""``python -m core fit-camera``: what it writes, what it prints, and how it refuses bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main as core_main
from core.contracts.fused_file import read_fused

ROOT = Path(__file__).resolve().parents[2]


def test_fitted_file_and_summary(take, tmp_path, capsys):
    out, report = tmp_path / "fit.fused.npz", tmp_path / "fit.json"
    code = core_main(["fit-camera", str(take.fused), "--from-provenance", "--focal", "1100",
                      "--out", str(out), "--report", str(report), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "focal: 1100.00 px (user)" in printed and "reprojection error per frame (px): before" in printed
    seq = read_fused(out)
    assert seq.camera_K.shape == (3, 3)
    np.testing.assert_allclose(seq.camera_K, [[1100, 0, 640], [0, 1100, 360], [0, 0, 1]])
    provenance = json.loads(seq.provenance)["camera_fit"]
    assert provenance["focal_source"] == "user"
    assert set(provenance["evidence"]) == {"body", "hands", "face"}  # found through the provenance
    data = json.loads(report.read_text())
    assert len(data["reproj_px_after_per_frame"]) == seq.num_frames
    after = np.array(data["reproj_px_after_per_frame"], dtype=float)
    np.testing.assert_allclose(after, seq.extras["camera_reproj_px_after"], atol=1e-3)
    assert np.isfinite(after).all() and 0.0 < after.mean() < 50.0
    # the original is untouched
    assert read_fused(take.fused).camera_K.ndim == 3


def test_resized_footage_rescales_intrinsics(take, tmp_path):
    out = tmp_path / "half.fused.npz"
    assert core_main(["fit-camera", str(take.fused), "--footage", str(take.plate),
                      "--footage-size", "640", "360", "--out", str(out), "--quiet"]) == 0
    full = read_fused(take.fitted)
    half = read_fused(out)
    np.testing.assert_allclose(half.image_size, [640, 360])
    np.testing.assert_allclose(half.camera_K, np.diag([0.5, 0.5, 1.0]) @ full.camera_K, rtol=1e-9)


@pytest.mark.parametrize("extra, words", [
    (["--focal", "20"], "field 'focal_px'"),
    (["--footage", "/nonexistent/footage"], "footage not found"),
    (["--body", "/nonexistent/smplerx"], "/nonexistent/smplerx"),
])
def test_bad_input_exits_2_with_one_line(take, tmp_path, capsys, extra, words):
    out = tmp_path / "x.fused.npz"
    assert core_main(["fit-camera", str(take.fused), "--out", str(out), "--quiet", *extra]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], lines
    assert not out.exists()


def test_runs_as_a_module():
    """The sub-command is registered with the core's command line (``python -m core``)."""
    proc = subprocess.run([sys.executable, "-m", "core", "fit-camera", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "--footage" in proc.stdout and "--focal" in proc.stdout


def test_never_overwrites_without_asking(take, capsys):
    code = core_main(["fit-camera", str(take.fused), "--out", str(take.fitted), "--quiet"])
    assert code == 2
    assert "--overwrite" in capsys.readouterr().err
