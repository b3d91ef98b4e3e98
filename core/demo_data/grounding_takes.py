"""The grounding demo takes, truth and estimate, in memory and on disk.

``python -m core demo-data OUT_DIR --walking`` calls :func:`write_grounding_takes`, which writes

- ``OUT_DIR/walking/ground_truth.fused.npz``: the walk (:func:`core.demo_data.walking.make_walking_truth`),
  extras ``ground_plane`` (4,) and ``foot_contact`` (T, 2) bool (the true contacts);
- ``OUT_DIR/walking/estimate.fused.npz``: the same take with estimator-like errors
  (:func:`core.demo_data.grounding_noise.add_sliding_noise`): feet slide and, in a few stretches, sink;
- ``OUT_DIR/floating/ground_truth.fused.npz`` and ``estimate.fused.npz``: a take that never touches the floor;
- ``OUT_DIR/seated/ground_truth.fused.npz`` and ``estimate.fused.npz``: a person seated on an invisible stool, feet
  dangling, mostly still, 0.15 m or more above the floor (:func:`core.demo_data.seated.make_seated_truth`); no
  contacts either;
- ``OUT_DIR/grounding.json``: what was written, the noise levels and the sink frames.

The default demo take (``write_demo_data``) is not touched.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

from ..body.model import BodyModel, load_body_model, resolve_model_file
from ..contracts.fused_file import FusedSequence, write_fused
from .grounding_noise import SlidingNoise, add_sliding_noise
from .seated import make_seated_truth
from .walking import GroundTruthTake, make_floating_truth, make_walking_truth

GROUNDING_MANIFEST = "grounding.json"
TAKE_NAMES = ("walking", "floating", "seated")
TRUTH_NAME, ESTIMATE_NAME = "ground_truth.fused.npz", "estimate.fused.npz"


@dataclass
class GroundingTake:
    """One grounding take.

    Attributes:
        name: ``walking``, ``floating`` or ``seated``.
        truth: the :class:`GroundTruthTake` (sequence, contacts, plane, camera pose).
        estimate: the noisy take (no extras).
        sink_depth_m: (T,) how far the estimate was pushed below the truth along the floor normal.
    """

    name: str
    truth: GroundTruthTake
    estimate: FusedSequence
    sink_depth_m: np.ndarray


def make_grounding_takes(model: BodyModel, num_frames: int = 150, seed: int = 0,
                         noise: SlidingNoise = SlidingNoise()) -> dict[str, GroundingTake]:
    """The takes for ``model``: ``{"walking": ..., "floating": ..., "seated": ...}``; deterministic in ``seed``.

    The walking and floating takes draw from ``SeedSequence(seed).spawn(4)``; the seated take, added later, from
    ``SeedSequence([seed, 3]).spawn(2)``, so the first two are the same as before it existed.
    """
    walk_seed, walk_noise, float_seed, float_noise = np.random.SeedSequence(seed).spawn(4)
    seated_seed, seated_noise = np.random.SeedSequence([seed, 3]).spawn(2)
    out = {}
    for name, make, truth_seed, noise_seed in (("walking", make_walking_truth, walk_seed, walk_noise),
                                               ("floating", make_floating_truth, float_seed, float_noise),
                                               ("seated", make_seated_truth, seated_seed, seated_noise)):
        truth = make(model, num_frames, seed=int(truth_seed.generate_state(1)[0]))
        estimate, depth = add_sliding_noise(truth.sequence, truth.plane[:3], np.random.default_rng(noise_seed),
                                            noise)
        out[name] = GroundingTake(name, truth, estimate, depth)
    return out


def write_grounding_takes(out_dir: Union[str, Path], model_file: Union[str, Path], num_frames: int = 150,
                          seed: int = 0) -> dict[str, dict[str, Path]]:
    """Write the takes (``TAKE_NAMES``) under ``out_dir`` (see the module docstring); returns {take: {truth,
    estimate}} paths.

    A previous run's take folders are replaced; anything else already there is refused (FileExistsError).
    """
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    ours = (out_dir / GROUNDING_MANIFEST).is_file()
    for name in TAKE_NAMES:
        folder = out_dir / name
        if folder.exists():
            if not ours:
                raise FileExistsError(f"{folder}: exists and is not from an earlier demo-data --walking run")
            shutil.rmtree(folder)
    model = load_body_model(resolve_model_file(model_file))
    takes = make_grounding_takes(model, num_frames, seed)
    paths: dict[str, dict[str, Path]] = {}
    manifest: dict = {"schema": "smplx-fusion-grounding-demo/1", "seed": int(seed), "num_frames": int(num_frames),
                      "model_file": str(model.path), "noise": dataclasses.asdict(SlidingNoise()), "takes": {}}
    for name, take in takes.items():
        folder = out_dir / name
        truth = write_fused(folder / TRUTH_NAME, take.truth.sequence)
        estimate = write_fused(folder / ESTIMATE_NAME, take.estimate)
        paths[name] = {"truth": truth, "estimate": estimate}
        manifest["takes"][name] = {
            "truth": f"{name}/{TRUTH_NAME}", "estimate": f"{name}/{ESTIMATE_NAME}",
            "contact_frames": [int(v) for v in take.truth.contact.sum(axis=0)],
            "ground_plane": [float(v) for v in take.truth.plane],
            "sink_frames": [int(r) for r in np.flatnonzero(take.sink_depth_m > 0.005)],
            "max_sink_m": float(take.sink_depth_m.max())}
    (out_dir / GROUNDING_MANIFEST).write_text(json.dumps(manifest, indent=2))
    return paths


__all__ = ["GroundingTake", "make_grounding_takes", "write_grounding_takes", "GROUNDING_MANIFEST", "TAKE_NAMES"]
