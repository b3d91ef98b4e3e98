"""Fusion speed: the vectorised pipeline on 10,000 frames against the same pipeline called frame by frame.

Inputs are the demo data's SMPLer-X, EMOCA and WiLoR outputs (read with ``core.io``) tiled to 10,000 frames in
memory, so file reading is not timed. ``frames_per_s`` is the whole default pipeline (hands, face, confidence,
SO(3) smoothing). The comparison runs both sides with smoothing off (a single frame cannot be smoothed):
``fuse`` on all frames at once against a Python loop calling ``fuse`` on one frame at a time, timed on a
subset of frames (its per-frame cost is constant). Run: ``.venv/bin/python bench/fusion_speed.py``.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.model import load_body_model  # noqa: E402
from core.demo_data import write_demo_data  # noqa: E402
from core.fusion.pipeline import FusionOptions, fuse  # noqa: E402
from core.io import read_body, read_face, read_hands  # noqa: E402

FRAMES = 10_000
LOOP_FRAMES = 300


def _take_rows(est: Any, rows: np.ndarray, frame_ids: np.ndarray) -> Any:
    """A copy of a per-row estimate with rows ``rows`` and new ``frame_ids``."""
    n = len(est.frame_ids)
    changes = {}
    for f in dataclasses.fields(est):
        value = getattr(est, f.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
            changes[f.name] = value[rows]
    changes["frame_ids"] = frame_ids
    return dataclasses.replace(est, **changes)


def tile_per_frame(est: Any, frames: int) -> Any:
    """Repeat a per-frame estimate (one row per frame) to ``frames`` rows with frame ids 1..frames."""
    rows = np.arange(frames) % len(est.frame_ids)
    return _take_rows(est, rows, np.arange(1, frames + 1, dtype=np.int64))


def tile_detections(hands: Any, frames: int) -> Any:
    """Repeat hand detections so that frame f gets the detections of source frame (f - 1) % T + 1."""
    src_frames = np.asarray(hands.frame_ids)
    period = int(src_frames.max() - src_frames.min() + 1)
    reps = int(np.ceil(frames / period))
    rows = np.tile(np.arange(len(src_frames)), reps)
    new_ids = (src_frames - src_frames.min())[rows] + 1 + np.repeat(np.arange(reps) * period, len(src_frames))
    keep = new_ids <= frames
    return _take_rows(hands, rows[keep], new_ids[keep].astype(np.int64))


def slice_frame(est: Any, frame: int) -> Any:
    rows = np.flatnonzero(np.asarray(est.frame_ids) == frame)
    return _take_rows(est, rows, np.asarray(est.frame_ids)[rows])


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="smplx_fusion_speed_"))
    model_file = ensure_builtin_model("neutral", work / "models", kind="mannequin")
    model = load_body_model(model_file)
    manifest = write_demo_data(work / "data", model_file, num_frames=120, seed=1)
    body = tile_per_frame(read_body(manifest.body), FRAMES)
    face = tile_per_frame(read_face(manifest.face, bbox=manifest.face_bbox), FRAMES)
    hands = tile_detections(read_hands(manifest.hands), FRAMES)

    default = FusionOptions()
    unsmoothed = FusionOptions(smooth=False)
    fuse(body, face, hands, model, default)  # warm-up (imports scipy's filters once)
    full_s = best_of(lambda: fuse(body, face, hands, model, default))
    vector_s = best_of(lambda: fuse(body, face, hands, model, unsmoothed))

    frames = np.arange(1, LOOP_FRAMES + 1)
    per_frame = [(slice_frame(body, f), slice_frame(face, f), slice_frame(hands, f)) for f in frames]

    def loop() -> None:
        for b, fc, h in per_frame:
            fuse(b, fc, h, model, unsmoothed)

    loop_s = best_of(loop, repeats=1)
    frames_per_s = FRAMES / full_s
    vector_fps = FRAMES / vector_s
    loop_fps = LOOP_FRAMES / loop_s
    print(f"fusion speed, {FRAMES} frames (body + face + {len(hands.frame_ids)} hand detections)")
    print(f"{'case':<58}{'seconds':>9}{'frames/s':>12}")
    print(f"{'whole default pipeline (with SO(3) smoothing), 10k frames':<58}{full_s:>9.3f}{frames_per_s:>12.0f}")
    print(f"{'vectorised, smoothing off, 10k frames':<58}{vector_s:>9.3f}{vector_fps:>12.0f}")
    label = f"per-frame Python loop, smoothing off, {LOOP_FRAMES} frames"
    print(f"{label:<58}{loop_s:>9.3f}{loop_fps:>12.0f}")
    print(f"speedup (vectorised / per-frame loop, same options): {vector_fps / loop_fps:.0f}x; "
          f"targets >= 20,000 frames/s and >= 50x")
    print(json.dumps({"bench": "fusion_speed", "frames": FRAMES, "frames_per_s": round(frames_per_s, 1),
                      "frames_per_s_unsmoothed": round(vector_fps, 1), "loop_frames_per_s": round(loop_fps, 1),
                      "loop_frames_timed": LOOP_FRAMES, "speedup": round(vector_fps / loop_fps, 1)}))


if __name__ == "__main__":
    main()
