"""Expression transfer: linear least squares against a learned MLP, per target, on held-out sequences.

Tests the research notes' claim that non-linear mappers (MLP/VAE) transfer FLAME expressions to a smaller SMPL-X
expression space 15-25 % better than linear projection.

* Source: the licence-free FLAME-layout face (``core/fusion/expression_source.py``: 5023 vertices, 50 PCA
  expression directions of a family that only partly overlaps the targets', its own jaw pivot, weights and
  correctives, partial vertex correspondence).
* Targets: the licence-free SMPL-X-layout model's faces, v1.1 (10 expression directions) and 2020 (100), both with
  their jaw bone; its facial actions as a [0, 1] rig (11, jaw bone kept); the 52 ARKit shapes (a [0, 1] rig with no
  jaw bone: the jaw must be shown by shapes).
* Methods: ``truncate`` / ``direct`` (the pipeline's coefficient copies: first 10 for v1.1, first 50 for 2020),
  ``linear`` (closed form, Tikhonov chosen on held-out frames; clipped on [0, 1] rigs), ``linear_bounded``
  (per-frame ``lsq_linear`` on [0, 1] rigs), ``projection`` (per-frame least squares on the exact posed faces: the
  lowest face vertex error any mapper of these inputs can reach), ``learned`` (the notes' MLP: Linear-BatchNorm-ReLU
  blocks, 64 units, dropout 0.1, >= 10k generated pairs with noise and interpolation, vertex + landmark +
  regularisation loss) and ``learned_residual`` (the same MLP learning a correction of the linear map).
* Scores on 8 held-out sequences x 150 frames (a different generator from the training frames): face vertex error
  (mm, mean over the front of the face), landmark error (mm, 51 landmarks), jitter (mm/frame^2: mean magnitude of
  the error's second difference; what the mapping adds to the motion's own acceleration).

Everything is computed in this run; nothing is cached. Run: ``.venv/bin/python bench/expression_transfer.py``.
Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.fusion.expression.arkit import arkit_from_smplx_face  # noqa: E402
from core.fusion.expression.learned import TrainConfig, train_learned  # noqa: E402
from core.fusion.expression.linear import fit_linear, fit_projection  # noqa: E402
from core.fusion.expression.mapping import DEFAULT_METHOD, face_model_from_arrays, facial_actions_model  # noqa: E402
from core.fusion.expression.source import build_flame_like_source, make_pair, sample_frames, sample_sequences  # noqa: E402
from core.mannequin import build_mannequin  # noqa: E402

SEQUENCES, FRAMES = 8, 150
TEST_SEED, VALIDATION_SEED = 2026, 11
#: Small enough for the two-minute budget on two CPU cores (eight networks); more epochs change little (README).
TRAIN = TrainConfig(samples=10000, epochs=8, train_vertices=400, validation=500, seed=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=TRAIN.epochs, help="training epochs (default: the bench's)")
    parser.add_argument("--samples", type=int, default=TRAIN.samples, help="generated training frames")
    parser.add_argument("--train-vertices", type=int, default=TRAIN.train_vertices,
                        help="face vertices in the training loss (0: all)")
    parser.add_argument("--threads", type=int, default=TRAIN.threads, help="torch CPU threads while training")
    args = parser.parse_args(argv)
    train = replace(TRAIN, epochs=args.epochs, samples=args.samples, train_vertices=args.train_vertices or None,
                    threads=args.threads)
    t_start = time.perf_counter()
    arrays11 = build_mannequin("v1.1", "neutral")
    arrays20 = build_mannequin("2020", "neutral")
    source = build_flame_like_source(arrays11)
    face11 = face_model_from_arrays(arrays11, "smplx_v1.1")
    face20 = face_model_from_arrays(arrays20, "smplx_2020")
    targets = [face11, face20, facial_actions_model(face11),
               arkit_from_smplx_face(face11, arrays11["v_template"], arrays11["J_regressor"])]
    test_e, test_j = sample_sequences(np.random.default_rng(TEST_SEED), SEQUENCES, FRAMES)
    test_e, test_j = test_e.reshape(-1, test_e.shape[-1]), test_j.reshape(-1, 3)
    validation = sample_frames(np.random.default_rng(VALIDATION_SEED), 200)
    try:
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        device = None

    rows, times, notes = [], {}, {}
    for target in targets:
        pair = make_pair(source, target).compact()
        methods = {}
        if target.name in ("smplx_v1.1", "smplx_2020"):
            k = target.num_coefficients
            copy = np.zeros((test_e.shape[0], k))
            n = min(k, test_e.shape[1])
            copy[:, :n] = test_e[:, :n]
            methods["truncate" if k < test_e.shape[1] else "direct"] = (lambda c=copy: c, 0.0)
        t0 = time.perf_counter()
        linear = fit_linear(pair, "auto", validation=validation)
        methods["linear"] = (lambda m=linear: m.map(test_e, test_j), time.perf_counter() - t0)
        notes[target.name] = {"linear_tikhonov": linear.tikhonov}
        if target.bounds is not None:
            t0 = time.perf_counter()
            bounded = fit_linear(pair, "auto", bounded=True, validation=validation)
            methods["linear_bounded"] = (lambda m=bounded: m.map(test_e, test_j), time.perf_counter() - t0)
            notes[target.name]["linear_bounded_tikhonov"] = bounded.tikhonov
        projection = fit_projection(pair, 0.0, solver="numpy")  # exact active set; same optimum as lsq_linear
        methods["projection"] = (lambda m=projection: m.map(test_e, test_j), 0.0)
        if device is not None:
            for residual in (False, True):
                t0 = time.perf_counter()
                learned = train_learned(pair, train, residual=residual, base=linear if residual else None)
                methods[learned.method] = (lambda m=learned: m.map(test_e, test_j), time.perf_counter() - t0)
        for method, (run, fit_s) in methods.items():
            t0 = time.perf_counter()
            coeffs = run()
            map_s = time.perf_counter() - t0
            score = pair.score(coeffs, test_e, test_j, sequence_length=FRAMES)
            rows.append({"target": target.name, "method": method, **{k: float(v) for k, v in score.items()}})
            times[f"{target.name}/{method}"] = {"fit_s": round(fit_s, 2), "map_s": round(map_s, 3)}

    def get(target: str, method: str) -> dict | None:
        return next((r for r in rows if r["target"] == target and r["method"] == method), None)

    learned_over_linear, residual_over_linear, best_ratio, headroom, default = {}, {}, {}, {}, {}
    for target in targets:
        name = target.name
        mine = [r for r in rows if r["target"] == name]
        default[name] = min(mine, key=lambda r: r["vertex_mm"])["method"]
        lin = get(name, "linear")
        best_linear = min((r["vertex_mm"] for r in mine if r["method"] in ("linear", "linear_bounded", "projection")))
        headroom[name] = round(100.0 * (1.0 - get(name, "projection")["vertex_mm"] / lin["vertex_mm"]), 2)
        if get(name, "learned") is not None:
            learned_over_linear[name] = round(get(name, "learned")["vertex_mm"] / lin["vertex_mm"], 4)
            residual_over_linear[name] = round(get(name, "learned_residual")["vertex_mm"] / lin["vertex_mm"], 4)
            best_learned = min(get(name, m)["vertex_mm"] for m in ("learned", "learned_residual"))
            best_ratio[name] = round(best_learned / best_linear, 4)
        else:
            learned_over_linear[name] = None

    print(f"Expression transfer: licence-free FLAME-layout source ({source.model.num_vertices} vertices, "
          f"{source.model.num_coefficients} directions) -> 4 targets; {SEQUENCES} held-out sequences x {FRAMES} "
          f"frames; face = {int(source.face_mask.sum())} front-of-face source vertices")
    print(f"learned: {train.blocks} x (Linear {train.hidden} - BatchNorm - ReLU - Dropout {train.dropout}), "
          f"{train.samples} generated frames, {train.epochs} epochs, loss on {train.train_vertices or 'all'} face "
          f"vertices, device {device or 'none (torch missing)'}")
    print(f"{'target':<16}{'method':<18}{'vertex mm':>10}{'landmark mm':>13}{'jitter':>9}{'fit s':>8}{'map s':>8}")
    for r in rows:
        tm = times[f"{r['target']}/{r['method']}"]
        flag = "  <- default" if default[r["target"]] == r["method"] else ""
        print(f"{r['target']:<16}{r['method']:<18}{r['vertex_mm']:>10.4f}{r['landmark_mm']:>13.4f}"
              f"{r['jitter']:>9.4f}{tm['fit_s']:>8.2f}{tm['map_s']:>8.3f}{flag}")
    print("learned / linear (vertex mm; < 1 means the MLP is better; 'linear' is the closed form, clipped on rigs):")
    for name in learned_over_linear:
        print(f"  {name:<16} learned {learned_over_linear[name]}  learned_residual {residual_over_linear.get(name)}"
              f"  best learned / best linear {best_ratio.get(name)}  projection headroom over linear "
              f"{headroom[name]} %")
    shipped = {name: default[name] == DEFAULT_METHOD for name in default}
    print(f"shipped default method: {DEFAULT_METHOD}; measured best per target: "
          + ", ".join(f"{k} {v}" for k, v in default.items())
          + ("" if all(shipped.values()) else "  <- MISMATCH: the shipped default is not the best here"))
    if device is None:
        print("learned: null (torch is not installed, so nothing could be trained)")
    total = time.perf_counter() - t_start
    print(f"total {total:.1f} s")
    out = {"bench": "expression_transfer",
           "rows": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
           "learned_over_linear": learned_over_linear, "learned_residual_over_linear": residual_over_linear,
           "best_learned_over_best_linear": best_ratio, "projection_headroom_pct": headroom, "default": default,
           "shipped_default": DEFAULT_METHOD, "shipped_default_is_best": shipped,
           "tikhonov": notes, "device": device, "train": {"samples": train.samples, "epochs": train.epochs},
           "frames": SEQUENCES * FRAMES, "seconds": round(total, 1)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
