"""The JSON report, the PNG plot, the command line, and the numpy-only path Blender uses."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.contracts.fused_file import read_fused, write_fused
from core.validate.plot_png import FLAG_BG, read_png, render
from core.validate.report import report_dict

ROOT = Path(__file__).resolve().parents[2]


def test_report_has_summary_checks_and_frames(suite_results):
    result = suite_results["glitch"]
    report = report_dict(result, source="x.npz")
    json.dumps(report, allow_nan=False)  # NaN written as null
    assert report["num_frames"] == 96 and len(report["frames"]) == 96
    assert report["summary"]["flagged_frame_list"] == result.any_flags().nonzero()[0].tolist()
    glitch_frame = report["summary"]["worst"][0]["frame"]
    assert "temporal" in report["frames"][glitch_frame]["flags"]
    assert report["checks"]["seams"]["status"] == "unavailable" and report["frames"][0]["scores"]["seams"] is None
    assert "accuracy_mm" in report["frames"][0]
    assert "_vertex_depth" not in json.dumps(report)


def test_plot_shades_flagged_frames_per_strip(suite_results, tmp_path):
    result = suite_results["elbow_backwards"]
    img = render(result, "test")
    from core.validate.plot_png import write_png

    back = read_png(write_png(tmp_path / "p.png", img))
    assert np.array_equal(back, img)
    flag_px = np.all(img == np.array(FLAG_BG, dtype=np.uint8), axis=-1)
    cols = np.flatnonzero(flag_px.any(axis=0))
    frames = result.checks["joint_limits"].flagged_frames
    width = img.shape[1] - 80 - 24
    lo, hi = 80 + frames[0] * width / 96, 80 + (frames[-1] + 1) * width / 96
    assert cols.min() >= int(lo) and cols.max() <= int(np.ceil(hi))  # red only over the flagged frames


def test_cli_validates_fixes_and_writes_report_plot_and_take(suite, tmp_path, model_path, capsys):
    take = suite["glitch"]
    src = write_fused(tmp_path / "take.fused.npz", take.seq)
    truth = write_fused(tmp_path / "truth.fused.npz", suite["clean"].seq)
    code = main(["validate", str(src), "--model", str(model_path), "--report", str(tmp_path / "r.json"),
                 "--plot", str(tmp_path / "r.png"), "--ground-truth", str(truth), "--mesh", "numpy",
                 "--fix", "interpolate", "--out", str(tmp_path / "fixed.fused.npz"), "--quiet",
                 "--threshold", "temporal=0.06"])
    out = capsys.readouterr().out
    assert code == 0 and "3 of 96 frames flagged" in out and "after fixes: 0 of 96" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["fixes"][0]["frames_changed"] == take.frames.tolist()
    assert report["info"]["thresholds"]["temporal_m"] == 0.06
    assert read_png(tmp_path / "r.png").shape[2] == 3
    fixed = read_fused(tmp_path / "fixed.fused.npz")
    assert json.loads(fixed.provenance)["validation_fixes"][0]["fix"] == "interpolate"


def test_cli_errors_are_one_line_with_the_field(tmp_path, suite, model_path, capsys):
    src = write_fused(tmp_path / "take.fused.npz", suite["clean"].seq)
    assert main(["validate", str(src), "--report", str(tmp_path / "r.json"), "--fix", "smooth"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["validate", str(src), "--report", str(tmp_path / "r.json"), "--threshold", "bogus=1"]) == 2
    assert "unknown threshold" in capsys.readouterr().err


def test_the_blender_path_needs_neither_scipy_nor_torch(tmp_path, suite, model_path):
    """Validation with the numpy backend and the numpy fixes import no scipy and no torch."""
    src = write_fused(tmp_path / "take.fused.npz", suite["elbow_backwards"].seq)
    code = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('scipy', 'torch', 'smplx'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
sys.path.insert(0, {str(ROOT)!r})
from core.body.model import load_body_model
from core.contracts.fused_file import read_fused
from core.validate.run import run_checks
from core.validate import fixes
seq = read_fused({str(src)!r})
model = load_body_model({str(model_path)!r})
result = run_checks(seq, model, mesh='numpy')
seq2, rep = fixes.apply_fix(seq, model, 'clamp_joint_limits', result.checks['joint_limits'].flagged_frames)
seq3, rep = fixes.apply_fix(seq2, model, 'interpolate', [5, 6])
print(int(result.any_flags().sum()), len(rep.frames_changed))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["15", "2"]


def test_frame_selection_parsing():
    from core.errors import FusionError
    from core.validate.command import parse_frames

    assert parse_frames("3-5, 9,4").tolist() == [3, 4, 5, 9]
    with pytest.raises(FusionError, match="--frames"):
        parse_frames("7-2")
