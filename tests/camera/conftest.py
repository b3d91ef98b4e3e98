"""Shared camera-test data: a short synthetic take, its estimators' outputs (with footage), fused and fitted."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

T = 24


@dataclass
class FittedTake:
    """A demo take through ``fuse`` and ``fit-camera``: paths of every stage."""

    data: object          # core.demo_data.DemoDataManifest
    fused: Path           # the body regressor's per-frame cameras, as fused
    fitted: Path          # one camera, the footage's focal
    plate: Path           # the footage folder
    model: Path


def _fuse_and_fit(folder: Path, model_path: Path, noise_scale: float) -> FittedTake:
    from core.cli import main as core_main
    from core.demo_data import write_demo_data
    from core.demo_data.plate import plate_folder

    data = write_demo_data(folder / "estimators", model_path, num_frames=T, seed=3, noise_scale=noise_scale,
                           plate=True)
    fused, fitted = folder / "take.fused.npz", folder / "take.camera.fused.npz"
    inputs = ["--body", str(data.body), "--face", str(data.face), "--face-bbox", str(data.face_bbox), "--hands",
              str(data.hands), "--model", str(model_path)]
    assert core_main(["fuse", *inputs, "--out", str(fused), "--quiet"]) == 0
    plate = plate_folder(data.out_dir)
    # the torch fit, explicitly: with the footage's (fixed) focal, backend auto would take scipy
    assert core_main(["fit-camera", str(fused), *inputs, "--footage", str(plate), "--out", str(fitted),
                      "--backend", "torch", "--quiet"]) == 0
    return FittedTake(data=data, fused=fused, fitted=fitted, plate=plate, model=model_path)


@pytest.fixture(scope="session")
def take(tmp_path_factory, model_path) -> FittedTake:
    """Noise-free estimators: their crop cameras and per-frame boxes as usual, faults (a dropped face, a mislabelled
    hand, a body outlier frame) still injected. ``bench/camera_fit.py`` measures the noisy case."""
    return _fuse_and_fit(tmp_path_factory.mktemp("camera_take"), model_path, 0.0)
