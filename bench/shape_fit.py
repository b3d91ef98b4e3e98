"""The built-in model's own body shape, fitted to a 2D detector's keypoints: limb lengths against the truth.

Takes of known shape (``core.demo_data.shape_takes``): a body drawn in the built-in model's own shape space (unit
variance betas), a 120-frame motion seen by a 1280 x 720 camera of focal 1100 px at about 3.4 m, a detector's 2D
keypoints of the true joints (2 px Gaussian noise, 5 % missed), and the pose as a regressor estimates it (0.03 rad
Gaussian noise on every joint's axis-angle). Each take starts from the model's mean body (betas 0), as ``fuse`` now
writes it on a built-in model. Cases:

- ``mean_body``: no fit (what the fused file holds before ``fit-camera``);
- ``2d_distance_known``: :func:`core.camera.shape_fit.fit_shape` with the true translations held (the shape alone);
- ``fit_camera``: ``fit-camera --keypoints2d`` as it runs (camera fit, shape fit, camera refit; focal fitted; no pose
  refinement; scipy backend);
- ``fit_camera_focal_given``: the same with ``--focal 1100``;
- ``fit_camera_mean_body``: ``fit-camera`` without the shape step (the same model file copied outside the built-in
  models' folder, so it is taken as SMPL-X's own): the camera fitted to the mean body, for the focal side by side;
- ``2d_plus_3d``: the shape fit with an estimator's 3D joints too (ExPose-like: the true joints), translations held
  8 % too far: the 3D joints give the size in metres.

Errors are relative rest-pose lengths of the eight limb bones (upper arms, forearms, thighs, shins) and, separately,
of all eleven segments (plus the torso and the shoulder and hip breadths), each take's largest, then the median and
the worst over takes. Through one camera a body's size and distance trade off, so the 2D cases' absolute size rests
on the shape prior (the mean body): ``scale_aligned`` divides out one common factor per take (the proportions).
Target (issue 20): limb lengths within 3 % of the truth.

Run: ``.venv/bin/python bench/shape_fit.py``. Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
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
from core.body.limbs import LIMB_BONE_NAMES, limb_lengths  # noqa: E402
from core.body.model import load_body_model  # noqa: E402
from core.camera.fit_fused import FitRequest, fit_fused_file  # noqa: E402
from core.camera.keypoints2d import Keypoints2D, keypoints_as_points, write_keypoints2d  # noqa: E402
from core.camera.shape_fit import ShapeFitOptions, fit_shape  # noqa: E402
from core.contracts.fused_file import write_fused  # noqa: E402
from core.demo_data.shape_takes import make_shape_take  # noqa: E402

FRAMES = 120
SEEDS = (0, 1, 2)
TARGET = 0.03
N_LIMBS = len(LIMB_BONE_NAMES)
CASES = ("mean_body", "2d_distance_known", "fit_camera", "fit_camera_focal_given", "fit_camera_mean_body",
         "2d_plus_3d")


def _errors(model, betas: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Largest relative error over the limb bones and over all segments, absolute and with one common scale out."""
    ratio = limb_lengths(model.rest_joints(betas)) / truth
    aligned = ratio / np.median(ratio)
    return {"limbs": float(np.abs(ratio[:N_LIMBS] - 1).max()), "segments": float(np.abs(ratio - 1).max()),
            "limbs_aligned": float(np.abs(aligned[:N_LIMBS] - 1).max()),
            "segments_aligned": float(np.abs(aligned - 1).max())}


def _take_cases(model, model_path: Path, plain_path: Path, seed: int, work: Path) -> dict[str, dict]:
    take = make_shape_take(model, FRAMES, seed=seed)
    truth = limb_lengths(model.rest_joints(take.truth.betas))
    t = take.truth.num_frames
    conf = np.where(np.isfinite(take.keypoints_uv).all(-1), 1.0, 0.0)
    uv, weight = keypoints_as_points(Keypoints2D(uv=take.keypoints_uv, confidence=conf, frame_ids=np.arange(t),
                                                 image_size=None), np.arange(t), take.truth.image_size)
    pose, expr, K = take.estimate.full_pose(), take.estimate.expression, take.truth.camera_K
    out: dict[str, dict] = {"mean_body": {**_errors(model, np.zeros(model.num_betas), truth), "seconds": 0.0}}

    start = time.perf_counter()
    fit = fit_shape(pose, expr, model, uv, weight, K, take.truth.transl, options=ShapeFitOptions(fit_translation=False))
    out["2d_distance_known"] = {**_errors(model, fit.betas, truth), "seconds": time.perf_counter() - start}

    fused = write_fused(work / f"take{seed}.fused.npz", take.estimate)
    kp = write_keypoints2d(work / f"keypoints{seed}.npz", take.keypoints_uv, image_size=take.truth.image_size)
    for name, focal, path in (("fit_camera", None, model_path), ("fit_camera_focal_given", float(K[0, 0]), model_path),
                              ("fit_camera_mean_body", None, plain_path)):
        start = time.perf_counter()
        outcome = fit_fused_file(FitRequest(fused=str(fused), out=str(work / f"{name}{seed}.fused.npz"),
                                            keypoints2d=str(kp), model=str(path), focal_px=focal,
                                            refine_pose=False, backend="scipy", overwrite=True))
        record = json.loads(outcome.sequence.provenance)["camera_fit"]["shape_fit"]
        out[name] = {**_errors(model, outcome.sequence.betas, truth), "seconds": time.perf_counter() - start,
                     "focal_px": outcome.fit.focal_px, "focal_rel_err": abs(outcome.fit.focal_px / K[0, 0] - 1.0),
                     "limb_agreement_2d_max": record.get("limb_rel_err_max")}

    start = time.perf_counter()
    fit = fit_shape(pose, expr, model, uv, weight, K, take.truth.transl * 1.08, joints3d=take.joints_cam)
    out["2d_plus_3d"] = {**_errors(model, fit.betas, truth), "seconds": time.perf_counter() - start}
    return out


def _summary(rows: list[dict]) -> dict:
    """Median and worst over takes of each error, the median time."""
    keys = ("limbs", "segments", "limbs_aligned", "segments_aligned")
    out = {f"{k}_rel_err_median": round(float(np.median([r[k] for r in rows])), 4) for k in keys}
    out.update({f"{k}_rel_err_worst": round(float(np.max([r[k] for r in rows])), 4) for k in keys})
    out["seconds"] = round(float(np.median([r["seconds"] for r in rows])), 3)
    if "focal_px" in rows[0]:
        out["focal_px"] = [round(r["focal_px"], 1) for r in rows]
        out["focal_rel_err_median"] = round(float(np.median([r["focal_rel_err"] for r in rows])), 4)
        out["limb_agreement_2d_max"] = [r["limb_agreement_2d_max"] for r in rows]
    return out


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="smplx_fusion_shape_fit_"))
    results: dict[str, dict] = {case: {} for case in CASES}
    for kind in ("mannequin", "anny"):
        started = time.perf_counter()
        model_path = ensure_builtin_model("neutral", kind=kind)  # the user's cache (generated once)
        model = load_body_model(model_path)
        plain = work / f"{kind}_outside" / "SMPLX_NEUTRAL.npz"
        plain.parent.mkdir()
        shutil.copy(model_path, plain)
        print(f"{kind}: model ready in {time.perf_counter() - started:.1f} s ({model_path})", flush=True)
        rows = [_take_cases(model, model_path, plain, seed, work) for seed in SEEDS]
        for case in CASES:
            results[case][kind] = _summary([r[case] for r in rows])

    print(f"\nlargest relative rest-length error per take (median / worst over {len(SEEDS)} takes of {FRAMES} frames); "
          f"target: limb bones within {TARGET:.0%}")
    head = f"{'case':<24}{'model':<11}{'limbs':>15}{'all segments':>16}{'limbs, scale out':>19}{'s':>8}"
    print(head)
    print("-" * len(head))
    for case in CASES:
        for kind, s in results[case].items():
            print(f"{case:<24}{kind:<11}"
                  f"{s['limbs_rel_err_median']:>7.2%} /{s['limbs_rel_err_worst']:>6.2%}"
                  f"{s['segments_rel_err_median']:>8.2%} /{s['segments_rel_err_worst']:>6.2%}"
                  f"{s['limbs_aligned_rel_err_median']:>10.2%} /{s['limbs_aligned_rel_err_worst']:>6.2%}"
                  f"{s['seconds']:>8.2f}")
    for kind in ("mannequin", "anny"):
        print(f"fitted focal ({kind}, true 1100 px): with the shape step {results['fit_camera'][kind]['focal_px']}, "
              f"on the mean body {results['fit_camera_mean_body'][kind]['focal_px']} (median error "
              f"{results['fit_camera'][kind]['focal_rel_err_median']:.1%} vs "
              f"{results['fit_camera_mean_body'][kind]['focal_rel_err_median']:.1%})")
    print("2D cases: one camera cannot tell a larger body further away from a smaller one nearer, so their absolute "
          "size rests on the shape prior; 'scale out' is the proportions. 2d_plus_3d: 3D joints give the size.")
    meets = {case: {kind: s["limbs_rel_err_worst"] <= TARGET for kind, s in results[case].items()} for case in CASES}
    print(json.dumps({"bench": "shape_fit", "frames": FRAMES, "takes": len(SEEDS), "target_limb_rel_err": TARGET,
                      "cases": results, "limbs_within_target": meets}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
