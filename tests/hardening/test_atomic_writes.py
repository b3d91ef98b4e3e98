"""Outputs are written atomically: a temporary file in the same folder, flushed, then renamed over the target.

Covers every writer of user-facing outputs outside the demo data: ``write_fused`` (``fuse``) and
``write_amass`` (``export-amass``), both through ``core.fileio.atomic_write.save_npz_atomic``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.contracts.fused_file import read_fused, write_fused
from core.demo_data.motion import make_demo_sequence
from core.export.amass import write_amass
from core.fileio.atomic_write import save_npz_atomic

WRITERS = {"write_fused": write_fused, "write_amass": write_amass}


@pytest.fixture
def seq():
    return make_demo_sequence(num_frames=5)


def _fail_halfway(monkeypatch):
    real = np.savez

    def half_then_fail(file, **arrays):
        real(file, **dict(list(arrays.items())[:2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", half_then_fail)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_failure_halfway_leaves_the_previous_file_and_no_temporary(writer, seq, tmp_path, monkeypatch):
    target = tmp_path / "out.npz"
    target.write_bytes(b"previous version")
    _fail_halfway(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        WRITERS[writer](target, seq)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]
    target.unlink()
    with pytest.raises(OSError):
        WRITERS[writer](target, seq)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_success_replaces_the_file_whole_with_the_usual_permissions(writer, seq, tmp_path):
    target = tmp_path / "sub" / "out.npz"
    WRITERS[writer](target, seq)
    WRITERS[writer](target, seq)  # replacing an existing file
    with np.load(target, allow_pickle=False) as data:
        assert ("poses" if writer == "write_amass" else "body_pose") in data.files
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["out.npz"]


def test_export_amass_command_is_atomic(seq, tmp_path, monkeypatch, capsys):
    fused = write_fused(tmp_path / "take.fused.npz", seq)
    out = tmp_path / "take_amass.npz"
    assert main(["export-amass", str(fused), str(out)]) == 0
    previous = out.read_bytes()
    _fail_halfway(monkeypatch)
    assert main(["export-amass", str(fused), str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.fused.npz", "take_amass.npz"]
    assert read_fused(fused).num_frames == 5


def test_save_npz_atomic_round_trips(tmp_path):
    arrays = {"a": np.arange(6.0).reshape(2, 3), "s": np.array("text")}
    path = save_npz_atomic(tmp_path / "x.npz", arrays)
    with np.load(path, allow_pickle=False) as data:
        np.testing.assert_array_equal(data["a"], arrays["a"])
        assert str(data["s"]) == "text"
    assert Path(path) == tmp_path / "x.npz"
