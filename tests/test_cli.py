"""``python -m core``: exit codes and one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence

ROOT = Path(__file__).resolve().parents[1]


def run_core(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_info_and_export(tmp_path):
    fused = write_fused(tmp_path / "a.fused.npz", make_demo_sequence(num_frames=5))
    out = run_core("info", str(fused))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["frames"] == 5
    amass = tmp_path / "a_amass.npz"
    out = run_core("export-amass", str(fused), str(amass))
    assert out.returncode == 0, out.stderr
    assert np.load(amass)["poses"].shape == (5, 165)


def test_bad_input_exit_code_2_one_line(tmp_path):
    bad = tmp_path / "bad.fused.npz"
    bad.write_bytes(b"nonsense")
    out = run_core("info", str(bad))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in out.stderr
