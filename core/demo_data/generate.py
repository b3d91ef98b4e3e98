"""``write_demo_data``: a known ground-truth take and three estimators' outputs in their native formats.

Output folder layout (``out_dir``):
- ``ground_truth.fused.npz``: the truth, schema v1, hands flat-relative;
- ``smplerx/``: SMPLer-X ``smplx/*.npz`` + ``meta/*.json`` (:mod:`.write_smplerx`);
- ``emoca/``: EMOCA ``save_codes`` folders (:mod:`.write_emoca`) and ``face_bboxes.json``;
- ``wilor/``: WiLoR per-image dumps (:mod:`.write_wilor`);
- ``manifest.json``: paths, camera, conventions and the injected faults (:mod:`.manifest`);
- ``plate/``: the footage, the ground-truth skeleton drawn through the true camera into PNG frames, and its
  ``footage.json`` metadata (:mod:`.plate`), when ``plate=True``.

Everything is computed in whole-take arrays; the only per-frame loops write files. Deterministic in ``seed``:
one :class:`numpy.random.SeedSequence` is split into independent streams for the truth, the faults and each
estimator, so changing one estimator's noise never moves another's.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Union

import numpy as np

from ..body.model import load_body_model, resolve_model_file
from ..contracts.fused_file import write_fused
from .faults import no_faults, plan_faults
from .ground_truth import evaluate_ground_truth, make_ground_truth
from .manifest import MANIFEST_NAME, DemoDataManifest
from .noise import NoiseLevels
from .plate import PLATE_DIR, write_plate
from .write_emoca import make_emoca_output, write_emoca
from .write_smplerx import make_smplerx_output, write_smplerx
from .write_wilor import make_wilor_detections, write_wilor

GROUND_TRUTH_NAME = "ground_truth.fused.npz"
BODY_DIR, FACE_DIR, HANDS_DIR = "smplerx", "emoca", "wilor"
FACE_BBOX_NAME = "face_bboxes.json"
_OUTPUTS = (GROUND_TRUTH_NAME, BODY_DIR, FACE_DIR, HANDS_DIR, FACE_BBOX_NAME, MANIFEST_NAME, PLATE_DIR)


def _prepare(out_dir: Path) -> None:
    """Make ``out_dir``; clear a previous run's outputs there, refuse to overwrite anything else."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ours = (out_dir / MANIFEST_NAME).is_file()
    for name in _OUTPUTS:
        p = out_dir / name
        if not p.exists():
            continue
        if not ours:
            raise FileExistsError(f"{p}: exists and is not from an earlier demo-data run; choose an empty folder")
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()


def write_demo_data(out_dir: Union[str, Path], model_file: Union[str, Path], num_frames: int = 120,
                    seed: int = 0, *, noise_scale: float = 1.0, first_frame: int = 1,
                    inject_faults: bool = True, plate: bool = False) -> DemoDataManifest:
    """Write a ground-truth take and synthetic SMPLer-X, EMOCA and WiLoR outputs of it into ``out_dir``.

    Args:
        out_dir: target folder (created; a previous run's outputs there are replaced).
        model_file: an SMPL-X-layout model file (or a folder holding ``SMPLX_NEUTRAL.npz``), e.g. the built-in
            model from :func:`core.body.builtin.ensure_builtin_model`.
        num_frames: T, the take's length in frames (30 fps).
        seed: makes everything reproducible, byte for byte.
        noise_scale: multiplies every estimator error level (0: noise-free estimators; faults still apply).
        first_frame: footage number of the first frame, used in file names (SMPLer-X and ffmpeg start at 1).
        inject_faults: False writes no dropped frames, mislabel or outlier.
        plate: also write the footage (``plate/``, :func:`core.demo_data.plate.write_plate`).
    Returns:
        The :class:`DemoDataManifest` (also written as ``out_dir/manifest.json``).
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be at least 1, found {num_frames}")
    out_dir = Path(out_dir).resolve()
    model_path = resolve_model_file(model_file)
    model = load_body_model(model_path)
    gt_seed, fault_seed, body_seed, face_seed, hand_seed = np.random.SeedSequence(seed).spawn(5)
    noise = NoiseLevels().scaled(noise_scale)

    gt = make_ground_truth(num_frames, seed=gt_seed, model_variant=model.variant)
    w, h = (int(v) for v in gt.image_size)
    image_size = (w, h)
    geom = evaluate_ground_truth(gt, model_path, model.skinning_weights)
    frames = np.arange(num_frames, dtype=np.int64) + int(first_frame)
    plan = plan_faults(num_frames, first_frame, np.random.default_rng(fault_seed)) if inject_faults \
        else no_faults(num_frames)

    hands_mean = np.stack([model.left_hand_mean, model.right_hand_mean])
    body, outlier = make_smplerx_output(gt, geom, hands_mean, noise, np.random.default_rng(body_seed), image_size,
                                       plan.body_outlier)
    face = make_emoca_output(gt, geom, noise, np.random.default_rng(face_seed))
    hands, mislabel = make_wilor_detections(gt, geom, noise, np.random.default_rng(hand_seed), plan, image_size)
    for fault in plan.faults:
        if fault.kind == "body_outlier":
            fault.detail.update(outlier)
        elif fault.kind == "mislabeled_hand":
            fault.detail.update(mislabel)

    _prepare(out_dir)
    gt_path = write_fused(out_dir / GROUND_TRUTH_NAME, gt)
    body_dir = write_smplerx(out_dir / BODY_DIR, body, frames)
    face_dir, bbox_path = write_emoca(out_dir / FACE_DIR, out_dir / FACE_BBOX_NAME, face, frames,
                                      plan.face_present)
    hands_dir, pickled = write_wilor(out_dir / HANDS_DIR, hands, frames)
    if plate:
        write_plate(out_dir / PLATE_DIR, geom.joints, geom.hand_keypoints, gt.camera_K, image_size, frames, gt.fps)
    manifest = DemoDataManifest(
        out_dir=out_dir, ground_truth=gt_path, body=body_dir, face=face_dir, hands=hands_dir, face_bbox=bbox_path,
        faults=plan.faults, num_frames=num_frames, first_frame=int(first_frame), fps=float(gt.fps),
        image_size=image_size, camera_K=np.asarray(gt.camera_K).tolist(), model_file=str(model_path),
        seed=int(seed), noise_scale=float(noise_scale), hands_pickle_frames=pickled)
    manifest.write()
    return manifest
