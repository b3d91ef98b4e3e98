"""Fusion accuracy against ground truth: body-only, a naive copy-paste of the experts, and our fusion.

Runs ``core.demo_data`` (a known SMPL-X take plus SMPLer-X, EMOCA and WiLoR outputs in their native formats,
with noise, dropped frames, a mislabelled hand and a body outlier), reads them with ``core.io`` and fuses them
three ways. Every figure is computed here with the smplx forward pass on the licence-free model.
Run: ``.venv/bin/python bench/fusion_accuracy.py``. Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
"""
from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.model import load_body_model  # noqa: E402
from core.body.smplx_forward import smplx_forward  # noqa: E402
from core.contracts.fused_file import FusedSequence, read_fused  # noqa: E402
from core.demo_data import write_demo_data  # noqa: E402
from core.fusion.pipeline import FusionOptions, fuse  # noqa: E402
from core.io import read_body, read_face, read_hands  # noqa: E402
from core.rotations import matrix_to_axis_angle  # noqa: E402

FRAMES = 150


def smplx_joints_and_vertices(model_file: Path, seq: FusedSequence) -> tuple[np.ndarray, np.ndarray]:
    """(T, 127, 3) joints and (T, V, 3) vertices, metres, camera frame."""
    return smplx_forward(model_file, seq, num_betas=10, num_expression=10)


def hand_keypoint_indices(side: str) -> np.ndarray:
    """(21,) indices into smplx's 127 joints in OpenPose hand order (wrist, thumb..pinky with tips)."""
    from smplx.joint_names import JOINT_NAMES

    names = [f"{side}_wrist"]
    for finger in ("thumb", "index", "middle", "ring", "pinky"):
        names += [f"{side}_{finger}{k}" for k in (1, 2, 3)] + [f"{side}_{finger}"]
    return np.array([JOINT_NAMES.index(n) for n in names])


def hand_mpjpe_mm(joints: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """Wrist-aligned hand MPJPE over both hands and the frames in ``mask`` (T, 2)."""
    errors = []
    for s, side in enumerate(("left", "right")):
        idx = hand_keypoint_indices(side)
        ours = joints[:, idx] - joints[:, idx[:1]]
        ref = gt[:, idx] - gt[:, idx[:1]]
        errors.append(np.linalg.norm(ours - ref, axis=-1)[mask[:, s]])
    return float(np.concatenate(errors).mean() * 1000.0)


def procrustes_aligned(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T, J, 3) ``pred`` after a per-frame similarity fit onto ``gt`` (scipy's orthogonal Procrustes + scale)."""
    from scipy.linalg import orthogonal_procrustes

    out = np.empty_like(pred)
    for f in range(pred.shape[0]):  # evaluation only, 150 frames
        p, g = pred[f] - pred[f].mean(0), gt[f] - gt[f].mean(0)
        rot, scale_sum = orthogonal_procrustes(p, g)
        out[f] = p @ rot * (scale_sum / (p ** 2).sum()) + gt[f].mean(0)
    return out


def body_metrics(joints: np.ndarray, gt: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    body = slice(0, 22)
    pred = joints[:, body] - joints[:, :1]
    ref = gt[:, body] - gt[:, :1]
    mpjpe = np.linalg.norm(pred - ref, axis=-1)[valid].mean() * 1000.0
    pa = np.linalg.norm(procrustes_aligned(pred, ref) - ref, axis=-1)[valid].mean() * 1000.0
    # root-aligned, as in the video-HMR literature (a depth jump of the root would swamp the limbs)
    acc_pred = pred[2:] - 2 * pred[1:-1] + pred[:-2]
    acc_gt = ref[2:] - 2 * ref[1:-1] + ref[:-2]
    trio = valid[2:] & valid[1:-1] & valid[:-2]
    accel = np.linalg.norm(acc_pred - acc_gt, axis=-1)[trio].mean() * 1000.0
    return {"mpjpe": float(mpjpe), "pa_mpjpe": float(pa), "accel": float(accel)}


def face_vertex_mm(model_file: Path, gt: FusedSequence, seq: FusedSequence, face_mask: np.ndarray,
                   gt_vertices: np.ndarray, valid: np.ndarray) -> float:
    """Face-vertex error of ``seq``'s jaw and expression, everything else from the ground truth."""
    probe = copy.deepcopy(gt)
    probe.jaw_pose = seq.jaw_pose
    probe.expression = seq.expression[:, :gt.expression.shape[1]]
    _, verts = smplx_joints_and_vertices(model_file, probe)
    return float(np.linalg.norm(verts[:, face_mask] - gt_vertices[:, face_mask], axis=-1)[valid].mean() * 1000.0)


def naive_copy(body_only: FusedSequence, hands, frame_ids: np.ndarray) -> FusedSequence:
    """Copy-paste the experts: the hand's camera-frame wrist rotation as the local wrist, fingers unmirrored,
    each side taken by its ``is_right`` label as written (no mirroring, no chain correction, no swap)."""
    seq = copy.deepcopy(body_only)
    row_of = {int(f): r for r, f in enumerate(frame_ids)}
    wrist_aa = matrix_to_axis_angle(hands.global_orient)
    fingers_aa = matrix_to_axis_angle(hands.hand_pose)
    for det in range(len(hands.frame_ids)):  # evaluation-only baseline, a few hundred detections
        row = row_of.get(int(hands.frame_ids[det]))
        if row is None:
            continue
        right = bool(hands.is_right[det])
        seq.body_pose[row, 20 if right else 19] = wrist_aa[det]
        (seq.right_hand_pose if right else seq.left_hand_pose)[row] = fingers_aa[det]
    return seq


def expert_hands(gt: FusedSequence, hands, frame_ids: np.ndarray) -> tuple[FusedSequence, np.ndarray]:
    """The hand expert's own prediction placed with oracle knowledge (true side, correct mirroring, ground-truth
    body chain): what the expert alone gets right. Returns the sequence and the (T, 2) mask of covered frames."""
    from core.body.chains import full_pose_to_global_rotmats
    from core.fusion.hands import mirror_rotmat

    seq = copy.deepcopy(gt)
    mask = np.zeros((gt.num_frames, 2), dtype=bool)
    glob = full_pose_to_global_rotmats(gt.full_pose())
    row_of = {int(f): r for r, f in enumerate(frame_ids)}
    for det in range(len(hands.frame_ids)):
        row = row_of.get(int(hands.frame_ids[det]))
        if row is None:
            continue
        gt_wrists = glob[row, [20, 21]]
        go, hp = hands.global_orient[det], hands.hand_pose[det]
        # the true side is the one whose ground-truth wrist rotation the (un)mirrored prediction matches
        candidates = [(0, mirror_rotmat(go), mirror_rotmat(hp)), (1, go, hp)]
        side, go_side, hp_side = min(candidates, key=lambda c: np.linalg.norm(c[1] - gt_wrists[c[0]]))
        local = glob[row, 18 + side].T @ go_side
        seq.body_pose[row, 19 + side] = matrix_to_axis_angle(local)
        (seq.right_hand_pose if side else seq.left_hand_pose)[row] = matrix_to_axis_angle(hp_side)
        mask[row, side] = True
    return seq, mask


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="smplx_fusion_accuracy_"))
    model_file = ensure_builtin_model("neutral", work / "models", kind="mannequin")
    model = load_body_model(model_file)
    manifest = write_demo_data(work / "data", model_file, num_frames=FRAMES, seed=0)
    gt = read_fused(manifest.ground_truth)
    body = read_body(manifest.body)
    face = read_face(manifest.face, bbox=manifest.face_bbox)
    hands = read_hands(manifest.hands)

    # the demo's synthetic estimator writes its betas in this very model's shape space (it posed this model), so
    # they are applied; a real estimator's SMPL-X betas never are on a built-in model (core/body/shape_space.py)
    same_space = "apply"
    runs = {
        "body_only_raw": fuse(body, None, None, model, FusionOptions(smooth=False, estimator_betas=same_space)),
        "ours_unsmoothed": fuse(body, face, hands, model, FusionOptions(smooth=False, estimator_betas=same_space)),
        "ours": fuse(body, face, hands, model, FusionOptions(estimator_betas=same_space)),
    }
    frame_ids = runs["ours"].sequence.extras.get("frame_ids", np.arange(FRAMES) + 1)
    for name, result in runs.items():
        assert result.sequence.num_frames == gt.num_frames, name
    seqs = {name: r.sequence for name, r in runs.items()}
    seqs["naive_copy"] = naive_copy(seqs["body_only_raw"], hands, np.asarray(frame_ids))
    expert_seq, expert_mask = expert_hands(gt, hands, np.asarray(frame_ids))
    seqs["expert"] = expert_seq

    gt_joints, gt_verts = smplx_joints_and_vertices(model_file, gt)
    joints = {name: smplx_joints_and_vertices(model_file, s)[0] for name, s in seqs.items()}
    valid = gt.valid.copy()
    hand_mask = expert_mask & valid[:, None]

    hand = {name: hand_mpjpe_mm(joints[name], gt_joints, hand_mask)
            for name in ("body_only_raw", "naive_copy", "expert", "ours")}
    hand_all = {name: hand_mpjpe_mm(joints[name], gt_joints, np.repeat(valid[:, None], 2, 1))
                for name in ("body_only_raw", "ours")}
    body_raw = body_metrics(joints["body_only_raw"], gt_joints, valid)
    body_unsmoothed = body_metrics(joints["ours_unsmoothed"], gt_joints, valid)
    body_ours = body_metrics(joints["ours"], gt_joints, valid)
    face_mask = np.abs(model.expression_dirs).max(axis=(1, 2)) > 1e-6
    face = {name: face_vertex_mm(model_file, gt, seqs[key], face_mask, gt_verts, valid)
            for name, key in (("body_only", "body_only_raw"), ("ours", "ours"))}

    print(f"fusion accuracy on {FRAMES} synthetic frames (SMPLer-X + EMOCA + WiLoR native outputs, with faults)")
    print(f"{'metric':<46}{'body-only':>11}{'naive':>9}{'expert':>9}{'ours':>9}")
    print(f"{'hand MPJPE, wrist-aligned, expert frames (mm)':<46}{hand['body_only_raw']:>11.2f}"
          f"{hand['naive_copy']:>9.2f}{hand['expert']:>9.2f}{hand['ours']:>9.2f}")
    print(f"{'hand MPJPE, all frames (mm)':<46}{hand_all['body_only_raw']:>11.2f}{'':>9}{'':>9}"
          f"{hand_all['ours']:>9.2f}")
    print(f"{'face vertex error (mm)':<46}{face['body_only']:>11.2f}{'':>9}{'':>9}{face['ours']:>9.2f}")
    print(f"{'body MPJPE (mm)':<46}{body_raw['mpjpe']:>11.2f}{'':>9}{'':>9}{body_ours['mpjpe']:>9.2f}")
    print(f"{'body PA-MPJPE (mm)':<46}{body_raw['pa_mpjpe']:>11.2f}{'':>9}{'':>9}{body_ours['pa_mpjpe']:>9.2f}")
    label = "acceleration error, root-aligned (mm/frame^2)"
    print(f"{label:<46}{body_raw['accel']:>11.2f}{'':>9}{'':>9}{body_ours['accel']:>9.2f}")
    print(f"smoothing alone: accel {body_unsmoothed['accel']:.2f} -> {body_ours['accel']:.2f} mm/frame^2, "
          f"MPJPE {body_unsmoothed['mpjpe']:.2f} -> {body_ours['mpjpe']:.2f} mm")
    print(f"targets: hands ours <= 0.6 x body-only ({hand['ours'] / hand['body_only_raw']:.2f}) and <= 1.1 x "
          f"expert ({hand['ours'] / hand['expert']:.2f}); accel ours <= 0.5 x raw "
          f"({body_ours['accel'] / body_raw['accel']:.2f}); body MPJPE ours <= 1.02 x raw "
          f"({body_ours['mpjpe'] / body_raw['mpjpe']:.3f})")
    print(json.dumps({
        "bench": "fusion_accuracy", "frames": FRAMES,
        "hand_mpjpe_mm": {"body_only": round(hand["body_only_raw"], 3), "naive_copy": round(hand["naive_copy"], 3),
                          "expert": round(hand["expert"], 3), "ours": round(hand["ours"], 3)},
        "hand_mpjpe_all_frames_mm": {"body_only": round(hand_all["body_only_raw"], 3),
                                     "ours": round(hand_all["ours"], 3)},
        "body_mpjpe_mm": {"raw": round(body_raw["mpjpe"], 3), "ours": round(body_ours["mpjpe"], 3)},
        "body_pa_mpjpe_mm": {"raw": round(body_raw["pa_mpjpe"], 3), "ours": round(body_ours["pa_mpjpe"], 3)},
        "accel_error": {"raw": round(body_raw["accel"], 3), "ours": round(body_ours["accel"], 3),
                        "ours_unsmoothed": round(body_unsmoothed["accel"], 3)},
        "face_vertex_mm": {"body_only": round(face["body_only"], 3), "ours": round(face["ours"], 3)},
        "swaps_reported": len(runs["ours"].report.get("swaps", [])),
    }))


if __name__ == "__main__":
    main()
