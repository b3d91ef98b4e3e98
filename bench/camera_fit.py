"""Camera fit on a 1,000-frame take: speed on the CPU (and CUDA where present) and accuracy against the truth.

A synthetic take (``core.demo_data``: 1280 x 720, focal 1100 px, the usual estimator noise and faults) goes through
the real path: native SMPLer-X / EMOCA / WiLoR files -> readers -> ``fuse`` -> 2D evidence from each estimator's
crop camera -> ``fit_camera`` (grid over focal 1,000-20,000 px and scale 0.5-3.0, then L-BFGS). Each fit is run
once and timed alone (evidence built beforehand; torch and scipy imported and warmed on a 10-frame fit first).

Rows of the table:
- ``2D kp + pose refine``: a 2D detector's keypoints on the footage (the true projections of the ground-truth joints
  and fingertips, 2 px Gaussian noise, 5 % missed), read through ``core.camera.keypoints2d``, the focal fitted, then
  the pose refined with the focal and translations (``core.camera.pose_refine``): what ``fit-camera --keypoints2d``
  does by default, and what ``focal_rel_err`` / ``transl_rel_err`` / ``reproj_px_*`` report; ``refine_s`` is the
  refinement's own time;
- ``2D keypoints``: the same keypoints, the camera fit alone on the fused pose (``--no-refine-pose``):
  ``focal_rel_err_no_refine`` / ``transl_rel_err_no_refine``, and ``cpu_s`` (the plain focal + translation fit);
- ``2D keypoints (scipy)``: the same problem through the fit without torch (``core.camera.fit_scipy``, what Blender's
  own Python runs; ``fit-camera --backend scipy``): ``scipy_s`` beside ``cpu_s``, ``scipy_focal_rel_err`` /
  ``scipy_transl_rel_err`` against the truth, and ``scipy_torch_focal_rel_diff`` = |f_scipy / f_torch - 1| (the two
  fits minimise the same objective, so this is the optimisers' disagreement, not an accuracy);
- ``2D kp + face box``: the camera fit alone with the face box's position kept beside the keypoints, as before the
  evidence dropped it (``focal_rel_err_kp_with_face_box``: why it is dropped);
- ``openpose_style`` / ``coco_style`` (``cases``): the same take's keypoints where those detectors put them
  (``core.demo_data.detector_keypoints``: hips on the thigh's side, OpenPose's neck and MidHip at the mid-points
  of the shoulders and hips, nose, eyes, ears, toes and heels at smplx's mesh vertices posed by the skinning, the
  same noise and misses), written as an OpenPose ``--write_json`` folder and as rtmlib's COCO-WholeBody npz and read
  through ``read_keypoints2d`` as ``fit-camera --keypoints2d`` reads them; the fit ignores the detectors' hips,
  neck and MidHip (``core.io.keypoint_layouts``). ``cases`` = {name: focal / translation error and reprojection
  after the default pipeline (fit + refine), and ``*_no_refine`` for the camera fit alone}, ``smplx_joints`` being
  the ``2D kp + pose refine`` row; ``openpose_style_head_feet``: the OpenPose case with the fit's ``head`` (nose,
  eyes, ears) and ``feet`` (toes, heels) points in the evidence too, added here while ``build_evidence`` passes only
  the body and hand groups of 2D keypoints (absent from ``cases`` once it passes them itself);
- ``crop only``: the focal fitted from the crop-camera evidence alone (``focal_rel_err_crop_only``; it cannot
  carry the focal, ``tests/camera/test_identifiability.py``);
- ``footage focal``: the focal taken from the footage metadata, translations fitted to the crop-camera evidence
  (``transl_rel_err_given_focal``).
Errors: focal |f / f_true - 1|; translation median over frames of |t - t_true| / z_true; reprojection mean pixels
over frames of the mean distance to the evidence; body MPJPE the mean distance of joints 1-21 to the ground truth's
with the pelvis aligned (camera frame, so the global orientation counts), fused vs refined pose.

    .venv/bin/python bench/camera_fit.py      # last line: one JSON object
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

FRAMES = 1000
KEYPOINT_NOISE_PX = 2.0
KEYPOINT_MISSED = 0.05
HEAD_FEET_WEIGHT = 0.25  # per frame, each of the head and feet groups (the body counts 1, each hand 0.5)


def _fit_row(name, fit, truth, focal_true, seconds):
    err = np.linalg.norm(fit.transl_cam - truth.transl, axis=1) / truth.transl[:, 2]
    return {"row": name, "focal_px": round(fit.focal_px, 2), "focal_rel_err": round(abs(fit.focal_px / focal_true - 1),
                                                                                    5),
            "transl_rel_err": round(float(np.median(err)), 5),
            "reproj_px_before": round(float(np.nanmean(fit.reproj_before_px)), 3),
            "reproj_px_after": round(float(np.nanmean(fit.reproj_after_px)), 3),
            "seconds": round(seconds, 3), "evaluations": fit.iterations, "device": fit.device}


def _refine_row(name, refined, fit, truth, focal_true, seconds):
    err = np.linalg.norm(refined.transl_cam - truth.transl, axis=1) / truth.transl[:, 2]
    return {"row": name, "focal_px": round(refined.focal_px, 2),
            "focal_rel_err": round(abs(refined.focal_px / focal_true - 1), 5),
            "transl_rel_err": round(float(np.median(err)), 5),
            "reproj_px_before": round(float(np.nanmean(fit.reproj_before_px)), 3),
            "reproj_px_after": round(float(np.nanmean(refined.reproj_after_px)), 3),
            "seconds": round(seconds, 3), "evaluations": fit.iterations + refined.iterations,
            "device": refined.device}


def _transl_diff(a, b):
    """Median over frames of |t_a - t_b| / z_b."""
    return float(np.median(np.linalg.norm(a.transl_cam - b.transl_cam, axis=1) / b.transl_cam[:, 2]))


def _body_mpjpe_mm(joints, true_joints):
    """Mean distance (mm) of joints 1-21 (T, 55, 3) to the truth's, each with its pelvis at the origin."""
    a = joints[:, 1:22] - joints[:, :1]
    b = true_joints[:, 1:22] - true_joints[:, :1]
    return 1000.0 * float(np.mean(np.linalg.norm(a - b, axis=-1)))


def main() -> int:
    import torch

    from core.body.model import load_body_model
    from core.camera.conversions import project
    from core.camera.evidence import Evidence, build_evidence, sequence_frame_ids
    from core.camera.fit import FitOptions, fit_camera, objective_at
    from core.camera.keypoints2d import (
        SMPLX_EXTRA_KEYPOINTS,
        keypoints_as_points,
        read_keypoints2d,
        write_keypoints2d,
    )
    from core.camera.points import POINT_GROUPS, point_rig, posed_points, sequence_points
    from core.camera.pose_refine import RefineOptions, refine_pose
    from core.cli import main as core_main
    from core.contracts.fused_file import read_fused
    from core.demo_data import write_demo_data
    from core.demo_data.detector_keypoints import (
        coco_wholebody_style,
        openpose_style,
        write_openpose_folder,
        write_rtmlib_npz,
    )
    from core.io import read_body, read_face, read_hands
    from core.mannequin import write_mannequin_set

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="camera_fit_bench_") as tmp:
        tmp_dir = Path(tmp)
        write_mannequin_set(tmp_dir / "model", variant="v1.1")
        model_file = tmp_dir / "model" / "SMPLX_NEUTRAL.npz"
        data = write_demo_data(tmp_dir / "data", model_file, num_frames=FRAMES, seed=0)
        fused_path = tmp_dir / "take.fused.npz"
        with contextlib.redirect_stdout(io.StringIO()):  # the fuse summary is not this bench's output
            code = core_main(["fuse", "--body", str(data.body), "--face", str(data.face), "--face-bbox",
                              str(data.face_bbox), "--hands", str(data.hands), "--model", str(model_file),
                              "--out", str(fused_path), "--quiet"])
        if code != 0:
            raise SystemExit(f"fuse failed with exit code {code}")
        prepared_s = time.perf_counter() - started
        model = load_body_model(model_file)
        seq = read_fused(fused_path)
        truth = read_fused(data.ground_truth)
        focal_true = float(truth.camera_K[0, 0])
        t0 = time.perf_counter()
        points = sequence_points(seq, model)
        evidence = build_evidence(seq, points, model, body=read_body(data.body), hands=read_hands(data.hands),
                                  face=read_face(data.face, bbox=data.face_bbox))
        evidence_s = time.perf_counter() - t0

        # a 2D detector's keypoints (smplx joint order + fingertips) through the true camera, 2 px noise, 5 % missed
        rng = np.random.default_rng(7)
        truth_pts = sequence_points(truth, model)
        kp3d = np.full((FRAMES, 76, 3), np.nan)
        kp3d[:, :55] = truth_pts.joints
        for side, group in (("left", "left_hand"), ("right", "right_hand")):
            for row, tip in zip((4, 8, 12, 16, 20), ("thumb", "index", "middle", "ring", "pinky")):
                column = 55 + SMPLX_EXTRA_KEYPOINTS.index(f"{side}_{tip}")
                kp3d[:, column] = truth_pts.points[:, POINT_GROUPS[group]][:, row]
        kp_uv = project(kp3d + truth.transl[:, None], truth.camera_K) + rng.normal(0.0, KEYPOINT_NOISE_PX,
                                                                                    (FRAMES, 76, 2))
        kp_uv[rng.random((FRAMES, 76)) < KEYPOINT_MISSED] = np.nan
        keypoints = read_keypoints2d(write_keypoints2d(tmp_dir / "keypoints2d.npz", kp_uv,
                                                       frame_ids=data.first_frame + np.arange(FRAMES),
                                                       image_size=truth.image_size))
        kp_evidence = build_evidence(seq, points, model, body=read_body(data.body), hands=read_hands(data.hands),
                                     face=read_face(data.face, bbox=data.face_bbox), keypoints2d=keypoints)

        # warm torch up (kernels, allocator) on a few frames: not timed
        small = type(points)(points=points.points[:10], joints=points.joints[:10])
        small_ev = Evidence(uv=kp_evidence.uv[:10], weight=kp_evidence.weight[:10], image_size=evidence.image_size)
        fit_camera(small, small_ev, seq.transl[:10], seq.camera_K[:10], FitOptions(max_iterations=5, device="cpu"))
        fit_camera(small, small_ev, seq.transl[:10], seq.camera_K[:10], FitOptions(max_iterations=5, backend="scipy"))
        rig = point_rig(seq.betas, seq.expression, model, FRAMES)

        def refine(fit, device):
            """The pose refinement from a camera fit, as ``fit-camera --keypoints2d`` runs it: (result, seconds)."""
            if device == "cuda":
                torch.cuda.synchronize()
            t_start = time.perf_counter()
            result = refine_pose(seq.full_pose(), rig, kp_evidence, fit.focal_px, fit.transl_cam,
                                 fit.principal_point, RefineOptions(device=device))
            if device == "cuda":
                torch.cuda.synchronize()
            return result, time.perf_counter() - t_start

        rows = []
        t0 = time.perf_counter()
        cpu = fit_camera(points, kp_evidence, seq.transl, seq.camera_K, FitOptions(device="cpu"))
        cpu_s = time.perf_counter() - t0
        refined, refine_s = refine(cpu, "cpu")
        rows.append(_refine_row("2D kp + pose refine (cpu)", refined, cpu, truth, focal_true, cpu_s + refine_s))
        rows.append(_fit_row("2D keypoints (cpu)", cpu, truth, focal_true, cpu_s))
        t0 = time.perf_counter()
        scipy_fit = fit_camera(points, kp_evidence, seq.transl, seq.camera_K, FitOptions(backend="scipy"))
        scipy_s = time.perf_counter() - t0
        rows.append(_fit_row("2D keypoints (scipy)", scipy_fit, truth, focal_true, scipy_s))
        cuda_s, refine_cuda_s = None, None
        cuda_note = "no CUDA device on this machine (torch.cuda.is_available() is False)"
        if torch.cuda.is_available():
            fit_camera(small, small_ev, seq.transl[:10], seq.camera_K[:10], FitOptions(max_iterations=5,
                                                                                          device="cuda"))
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            gpu = fit_camera(points, kp_evidence, seq.transl, seq.camera_K, FitOptions(device="cuda"))
            torch.cuda.synchronize()
            cuda_s = time.perf_counter() - t0
            cuda_note = torch.cuda.get_device_name(0)
            rows.append(_fit_row("2D keypoints (cuda)", gpu, truth, focal_true, cuda_s))
            refined_gpu, refine_cuda_s = refine(gpu, "cuda")
            rows.append(_refine_row("2D kp + pose refine (cuda)", refined_gpu, gpu, truth, focal_true,
                                    cuda_s + refine_cuda_s))
        with_face = Evidence(uv=kp_evidence.uv.copy(), weight=kp_evidence.weight.copy(), image_size=evidence.image_size)
        face = POINT_GROUPS["face"]
        with_face.uv[:, face], with_face.weight[:, face] = evidence.uv[:, face], evidence.weight[:, face]
        t0 = time.perf_counter()
        old = fit_camera(points, with_face, seq.transl, seq.camera_K, FitOptions(device="cpu"))
        rows.append(_fit_row("2D kp + face box (cpu)", old, truth, focal_true, time.perf_counter() - t0))
        t0 = time.perf_counter()
        crop = fit_camera(points, evidence, seq.transl, seq.camera_K, FitOptions(device="cpu"))
        rows.append(_fit_row("crop only (cpu)", crop, truth, focal_true, time.perf_counter() - t0))
        t0 = time.perf_counter()
        known = fit_camera(points, evidence, seq.transl, seq.camera_K,
                           FitOptions(focal_px=focal_true, focal_source="footage metadata", device="cpu"))
        rows.append(_fit_row("footage focal (cpu)", known, truth, focal_true, time.perf_counter() - t0))
        t0 = time.perf_counter()
        oracle = fit_camera(truth_pts, kp_evidence, seq.transl, seq.camera_K, FitOptions(device="cpu"))
        rows.append(_fit_row("2D kp, true 3D (cpu)", oracle, truth, focal_true, time.perf_counter() - t0))
        # detector-style keypoints (core.demo_data.detector_keypoints): hips, neck and MidHip where OpenPose and
        # COCO-WholeBody put them, head and feet at the mesh's vertices, written in each tool's own file and read
        # back through read_keypoints2d; the fit-camera --keypoints2d default (camera fit, then pose refinement)
        case_rng = np.random.default_rng(11)
        kp_frames = data.first_frame + np.arange(FRAMES)
        op_parts = openpose_style(truth, model, case_rng, KEYPOINT_NOISE_PX, KEYPOINT_MISSED)
        wb_uv, wb_score = coco_wholebody_style(truth, model, case_rng, KEYPOINT_NOISE_PX, KEYPOINT_MISSED)
        case_files = {"openpose_style": write_openpose_folder(tmp_dir / "openpose", op_parts, kp_frames),
                      "coco_style": write_rtmlib_npz(tmp_dir / "rtmlib.npz", wb_uv, wb_score, kp_frames)}
        case_rows = {"smplx_joints": "2D kp + pose refine (cpu)"}
        case_read_s = {}
        for case, case_path in case_files.items():
            t0 = time.perf_counter()
            case_kp = read_keypoints2d(case_path)
            case_read_s[case] = time.perf_counter() - t0
            case_ev = build_evidence(seq, points, model, body=read_body(data.body), hands=read_hands(data.hands),
                                     face=read_face(data.face, bbox=data.face_bbox), keypoints2d=case_kp)
            t0 = time.perf_counter()
            case_fit = fit_camera(points, case_ev, seq.transl, seq.camera_K, FitOptions(device="cpu"))
            case_fit_s = time.perf_counter() - t0
            case_refined = refine_pose(seq.full_pose(), rig, case_ev, case_fit.focal_px, case_fit.transl_cam,
                                       case_fit.principal_point, RefineOptions(device="cpu"))
            case_rows[case] = f"{case} + refine"
            rows.append(_refine_row(case_rows[case], case_refined, case_fit, truth, focal_true,
                                    time.perf_counter() - t0))
            rows.append(_fit_row(f"{case} (cpu)", case_fit, truth, focal_true, case_fit_s))
        # the OpenPose case with the head (nose, eyes, ears) and feet (toes, heels) points in the evidence as well,
        # each group weighted HEAD_FEET_WEIGHT per frame, where build_evidence does not pass those groups itself:
        # what the fit gains from them (the points exist in core.camera.points; evidence.py decides what is used)
        op_kp = read_keypoints2d(case_files["openpose_style"])
        hf_ev = build_evidence(seq, points, model, body=read_body(data.body), hands=read_hands(data.hands),
                               face=read_face(data.face, bbox=data.face_bbox), keypoints2d=op_kp)
        head_feet_note = "build_evidence passes the head and feet groups itself: the openpose_style case has them"
        if "head" not in hf_ev.sources:
            head_feet_note = (f"head and feet groups added in this bench ({HEAD_FEET_WEIGHT:g} per group and frame); "
                              "build_evidence passes body and hands only")
            kp_uv, kp_conf = keypoints_as_points(op_kp, sequence_frame_ids(seq), hf_ev.image_size)
            for group in ("head", "feet"):
                sl = POINT_GROUPS[group]
                seen = kp_conf[:, sl] > 0
                hf_ev.uv[:, sl] = np.where(seen[..., None], kp_uv[:, sl], np.nan)
                hf_ev.weight[:, sl] = np.where(seen, kp_conf[:, sl] * HEAD_FEET_WEIGHT / (sl.stop - sl.start), 0.0)
            t0 = time.perf_counter()
            hf_fit = fit_camera(points, hf_ev, seq.transl, seq.camera_K, FitOptions(device="cpu"))
            hf_fit_s = time.perf_counter() - t0
            hf_refined = refine_pose(seq.full_pose(), rig, hf_ev, hf_fit.focal_px, hf_fit.transl_cam,
                                     hf_fit.principal_point, RefineOptions(device="cpu"))
            case_rows["openpose_style_head_feet"] = "openpose+head/feet+refine"
            rows.append(_refine_row(case_rows["openpose_style_head_feet"], hf_refined, hf_fit, truth, focal_true,
                                    time.perf_counter() - t0))
            rows.append(_fit_row("openpose+head/feet (cpu)", hf_fit, truth, focal_true, hf_fit_s))
        loss_truth = objective_at(points, evidence, truth.transl, focal_true)
        refined_points = posed_points(refined.full_pose, seq.betas, seq.expression, model)
        mpjpe_fused = _body_mpjpe_mm(points.joints, truth_pts.joints)
        mpjpe_refined = _body_mpjpe_mm(refined_points.joints, truth_pts.joints)

    print(f"camera fit, {FRAMES} frames, 1280 x 720, true focal {focal_true:.0f} px "
          f"(data + fuse {prepared_s:.1f} s, points + evidence {evidence_s:.2f} s, not in the fit times)")
    print(f"{'row':<28}{'focal px':>10}{'focal err':>11}{'transl err':>12}{'reproj before':>15}"
          f"{'reproj after':>14}{'seconds':>9}{'evals':>7}")
    for r in rows:
        print(f"{r['row']:<28}{r['focal_px']:>10.1f}{r['focal_rel_err']:>11.4f}{r['transl_rel_err']:>12.4f}"
              f"{r['reproj_px_before']:>15.2f}{r['reproj_px_after']:>14.2f}{r['seconds']:>9.2f}{r['evaluations']:>7}")
    scipy_diff = abs(scipy_fit.focal_px / cpu.focal_px - 1.0)
    print(f"scipy vs torch, same problem: {scipy_s:.2f} s vs {cpu_s:.2f} s on the cpu ({cpu_s / scipy_s:.1f}x), focal "
          f"{scipy_fit.focal_px:.2f} vs {cpu.focal_px:.2f} px (relative difference {scipy_diff:.2e}), translations "
          f"differ by {_transl_diff(scipy_fit, cpu):.2e} of depth (median)")
    print(f"cuda: {'%.2f s' % cuda_s if cuda_s is not None else 'null'} ({cuda_note})")
    print(f"pose refinement: {refine_s:.2f} s on the cpu ({refined.iterations} evaluations, mean correction "
          f"{np.degrees(refined.correction_rad.mean()):.2f} deg); body MPJPE against the ground truth "
          f"{mpjpe_fused:.1f} mm fused -> {mpjpe_refined:.1f} mm refined")
    print(f"crop only: objective at the true camera {loss_truth:.2f} vs at its fit {crop.loss_final:.2f}: the "
          f"crop-camera evidence prefers the wrong focal (near the regressor's virtual one)")
    print("2D kp + face box: the face box's centre beside the keypoints (the evidence before it was dropped): it is "
          "no perspective projection of a model point, and it pulls the focal")
    print("2D kp, true 3D: the same keypoints with the ground truth's 3D instead of the fused one; the gap to the "
          "'2D keypoints' row is the fused pose's error (errors-in-variables), which the pose refinement takes out")
    by_name = {r["row"]: r for r in rows}
    cases = {case: {k: by_name[row][k] for k in ("focal_rel_err", "transl_rel_err", "reproj_px_after")}
             for case, row in case_rows.items()}
    for case, plain_row in (("smplx_joints", "2D keypoints (cpu)"), ("openpose_style", "openpose_style (cpu)"),
                            ("coco_style", "coco_style (cpu)"),
                            ("openpose_style_head_feet", "openpose+head/feet (cpu)")):
        if case not in cases:
            continue
        cases[case]["focal_rel_err_no_refine"] = by_name[plain_row]["focal_rel_err"]
        cases[case]["transl_rel_err_no_refine"] = by_name[plain_row]["transl_rel_err"]
    print("cases (fit-camera --keypoints2d default): smplx_joints = keypoints on SMPL-X's joints; openpose_style = "
          "an OpenPose BODY_25 + hands + face folder, coco_style = rtmlib's COCO-WholeBody 133 npz, both with hips, "
          "neck and MidHip where those detectors put them (ignored by the fit) and head and feet on the mesh; "
          f"read in {', '.join(f'{k} {v:.2f} s' for k, v in case_read_s.items())}; openpose_style_head_feet: "
          f"{head_feet_note}")
    head, plain = by_name["2D kp + pose refine (cpu)"], by_name["2D keypoints (cpu)"]
    scipy_row = by_name["2D keypoints (scipy)"]
    result = {"bench": "camera_fit", "frames": FRAMES, "cpu_s": round(cpu_s, 3), "cases": cases,
              "cuda_s": None if cuda_s is None else round(cuda_s, 3), "cuda_note": cuda_note,
              "focal_rel_err": head["focal_rel_err"], "transl_rel_err": head["transl_rel_err"],
              "reproj_px_before": head["reproj_px_before"], "reproj_px_after": head["reproj_px_after"],
              "pipeline": "fit-camera --keypoints2d default: camera fit, then pose refinement",
              "refine_s": round(refine_s, 3),
              "refine_cuda_s": None if refine_cuda_s is None else round(refine_cuda_s, 3),
              "focal_rel_err_no_refine": plain["focal_rel_err"], "transl_rel_err_no_refine": plain["transl_rel_err"],
              "scipy_s": round(scipy_s, 3), "scipy_focal_rel_err": scipy_row["focal_rel_err"],
              "scipy_transl_rel_err": scipy_row["transl_rel_err"],
              "scipy_torch_focal_rel_diff": float(f"{scipy_diff:.3g}"), "scipy_evaluations": scipy_fit.iterations,
              "body_mpjpe_mm_fused": round(mpjpe_fused, 2), "body_mpjpe_mm_refined": round(mpjpe_refined, 2),
              "evidence": f"2D keypoints, {KEYPOINT_NOISE_PX:g} px noise, {KEYPOINT_MISSED:.0%} missed",
              "focal_px": head["focal_px"], "focal_true_px": focal_true,
              "focal_rel_err_kp_with_face_box": by_name["2D kp + face box (cpu)"]["focal_rel_err"],
              "focal_rel_err_crop_only": by_name["crop only (cpu)"]["focal_rel_err"],
              "transl_rel_err_crop_only": by_name["crop only (cpu)"]["transl_rel_err"],
              "transl_rel_err_given_focal": by_name["footage focal (cpu)"]["transl_rel_err"],
              "focal_rel_err_true_3d": by_name["2D kp, true 3D (cpu)"]["focal_rel_err"],
              "transl_rel_err_true_3d": by_name["2D kp, true 3D (cpu)"]["transl_rel_err"],
              "objective_at_truth_crop_only": round(loss_truth, 3),
              "objective_at_fit_crop_only": round(crop.loss_final, 3), "evidence_s": round(evidence_s, 3)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
