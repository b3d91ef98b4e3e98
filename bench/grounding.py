"""Grounding against ground truth: foot skate, floor penetration, contact F1, MPJPE cost, false locks.

Takes (``core.demo_data.grounding_takes``, procedural mannequin): a walk with exact contacts on a known floor,
seen by a camera pitched 12 degrees down, with estimator-like errors (per-frame jitter of the root and every
joint, a slow drift, three stretches that sink 3-5 cm into the floor); and a take that never touches the floor.
Five seeds each. ``raw`` is the noisy estimate; ``ours`` is ``core.grounding.ground_sequence(mode="auto")``.
Every figure is measured here with the smplx package's forward pass (independent of core's numpy skinning):

* skate: mean horizontal speed (in the true floor plane) of the heel, big-toe and small-toe points of feet that
  are in true contact on two consecutive frames, mm per frame;
* penetration: the deepest foot point below the true floor over all frames and seeds, mm;
* contact_f1: detected against true contacts, per foot and frame, pooled over seeds;
* mpjpe_cost_pct: how much grounding raises the body joints' MPJPE (joints 0-21, camera frame, no alignment)
  against the truth, relative to raw (negative: it lowers it);
* false_lock_frames: frames with any lock on the floating takes.

Run: ``.venv/bin/python bench/grounding.py``. Last line: one JSON object (DESIGN.md section 4).
"""
from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body_model import load_body_model  # noqa: E402
from core.builtin_model import ensure_builtin_model  # noqa: E402
from core.demo_data.grounding_takes import make_grounding_takes  # noqa: E402
from core.fused_file import FusedSequence  # noqa: E402
from core.grounding import GroundPlane, ground_sequence  # noqa: E402
from core.validate.posing import EXTRA_JOINT_ORDER  # noqa: E402

SEEDS = (0, 1, 2, 3, 4)
FRAMES = 150
FOOT_NAMES = (("LHeel", "LBigToe", "LSmallToe"), ("RHeel", "RBigToe", "RSmallToe"))


def smplx_points(model_file: Path, seq: FusedSequence) -> tuple[np.ndarray, np.ndarray]:
    """(T, 22, 3) body joints and (T, 2, 3, 3) foot points (heel, big toe, small toe), smplx forward pass."""
    import smplx
    import torch

    t = seq.num_frames
    with contextlib.redirect_stdout(io.StringIO()):
        layer = smplx.SMPLX(model_path=str(model_file), use_pca=False, flat_hand_mean=True, num_betas=10,
                            num_expression_coeffs=10, batch_size=t).double()

    def tensor(a: np.ndarray) -> "torch.Tensor":
        return torch.tensor(np.asarray(a).reshape(t, -1), dtype=torch.float64)

    with torch.no_grad():
        out = layer(betas=tensor(np.tile(seq.betas[:10], (t, 1))), global_orient=tensor(seq.global_orient),
                    body_pose=tensor(seq.body_pose), left_hand_pose=tensor(seq.left_hand_pose),
                    right_hand_pose=tensor(seq.right_hand_pose), jaw_pose=tensor(seq.jaw_pose),
                    leye_pose=tensor(seq.leye_pose), reye_pose=tensor(seq.reye_pose),
                    expression=tensor(seq.expression[:, :10]), transl=tensor(seq.transl))
    joints = out.joints.numpy()
    feet = np.stack([np.stack([joints[:, 55 + EXTRA_JOINT_ORDER.index(n)] for n in side], axis=1)
                     for side in FOOT_NAMES], axis=1)
    return joints[:, :22], feet


def skate_steps(feet: np.ndarray, plane: GroundPlane, contact: np.ndarray) -> np.ndarray:
    """Horizontal per-frame displacements (m) of the foot points of feet in contact on both frames."""
    step = np.linalg.norm(plane.horizontal(np.diff(feet, axis=0)), axis=-1)  # (T-1, 2, 3)
    both = contact[1:] & contact[:-1]
    return step[both].ravel()


def main() -> int:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_grounding_") as tmp:
        model_file = ensure_builtin_model("neutral", Path(tmp) / "models", kind="mannequin")
        model = load_body_model(model_file)
        skate = {"raw": [], "ours": []}
        deepest = {"raw": 0.0, "ours": 0.0}
        mpjpe = {"raw": [], "ours": []}
        tp = detected = true = 0
        false_lock = 0
        rows = []
        ground_s = 0.0
        for seed in SEEDS:
            takes = make_grounding_takes(model, FRAMES, seed)
            walk = takes["walking"]
            plane = GroundPlane.from_array(walk.truth.plane)
            contact = walk.truth.contact
            tick = time.perf_counter()
            result = ground_sequence(walk.estimate, model, "auto")
            ground_s += time.perf_counter() - tick
            truth_joints, _ = smplx_points(model_file, walk.truth.sequence)
            row = {"seed": seed}
            for name, seq in (("raw", walk.estimate), ("ours", result.sequence)):
                joints, feet = smplx_points(model_file, seq)
                steps = skate_steps(feet, plane, contact)
                skate[name].append(steps)
                depth = max(0.0, -float(plane.signed_distance(feet).min()))
                deepest[name] = max(deepest[name], depth)
                err = np.linalg.norm(joints - truth_joints, axis=-1)
                mpjpe[name].append(err.ravel())
                row[name] = (steps.mean() * 1000, depth * 1000, err.mean() * 1000)
            found = result.contact
            tp += int((found & contact).sum())
            detected += int(found.sum())
            true += int(contact.sum())
            row["f1"] = 2 * (found & contact).sum() / max(found.sum() + contact.sum(), 1)
            floating = takes["floating"]
            tick = time.perf_counter()
            float_result = ground_sequence(floating.estimate, model, "auto")
            ground_s += time.perf_counter() - tick
            locks = 0 if float_result.lock is None else int((float_result.lock.lock_weight > 0).any(axis=1).sum())
            row["false"] = locks
            false_lock += locks
            rows.append(row)

    skate_raw = float(np.concatenate(skate["raw"]).mean() * 1000)
    skate_ours = float(np.concatenate(skate["ours"]).mean() * 1000)
    mpjpe_raw = float(np.concatenate(mpjpe["raw"]).mean() * 1000)
    mpjpe_ours = float(np.concatenate(mpjpe["ours"]).mean() * 1000)
    f1 = 2 * tp / max(detected + true, 1)
    cost = 100.0 * (mpjpe_ours - mpjpe_raw) / mpjpe_raw
    print(f"grounding: {len(SEEDS)} seeds x (walk {FRAMES} frames + floating {FRAMES} frames), procedural mannequin, "
          f"measured with the smplx forward pass")
    print(f"{'seed':>4} | {'skate raw':>9} {'ours':>6} mm/frame | {'penetr. raw':>11} {'ours':>6} mm | "
          f"{'MPJPE raw':>9} {'ours':>6} mm | {'F1':>5} | false locks")
    for r in rows:
        print(f"{r['seed']:>4} | {r['raw'][0]:9.2f} {r['ours'][0]:6.2f}          | {r['raw'][1]:11.1f} "
              f"{r['ours'][1]:6.1f}    | {r['raw'][2]:9.1f} {r['ours'][2]:6.1f}    | {r['f1']:5.3f} | {r['false']}")
    print(f"pooled: skate {skate_raw:.2f} -> {skate_ours:.2f} mm/frame ({skate_ours / skate_raw:.3f}x, target <= 0.2x); "
          f"deepest point below the floor {deepest['raw'] * 1000:.1f} -> {deepest['ours'] * 1000:.1f} mm "
          f"(target <= 5); contact F1 {f1:.3f} (target >= 0.9); MPJPE {mpjpe_raw:.1f} -> {mpjpe_ours:.1f} mm, "
          f"cost {cost:+.2f} % (target <= 2); false lock frames {false_lock} (target 0)")
    print(f"grounding itself: {ground_s:.2f} s for {2 * len(SEEDS) * FRAMES} frames; whole run "
          f"{time.perf_counter() - start:.1f} s")
    print(json.dumps({"bench": "grounding",
                      "skate_mm_per_frame": {"raw": round(skate_raw, 3), "ours": round(skate_ours, 3)},
                      "penetration_mm": {"raw": round(deepest["raw"] * 1000, 2), "ours": round(deepest["ours"] * 1000, 2)},
                      "contact_f1": round(f1, 4), "mpjpe_cost_pct": round(cost, 3),
                      "false_lock_frames": false_lock, "seeds": len(SEEDS), "frames_per_take": FRAMES}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
