"""``python -m core fit-camera``: one consistent camera (one focal, per-frame translations) for a fused file.

Registered by ``core/cli.py`` as a plug-in sub-command (``add_parser``). Exit codes follow the core's CLI: 0 done,
2 bad input (one line naming the file and field).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..progress import StageProgress


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fit-camera", help="one consistent camera for a fused file: one focal length, per-frame translations",
        description="Solve for one focal length (or take --focal / the footage metadata) and per-frame root "
                    "translations so that the fused joints reproject onto the 2D evidence of each estimator's "
                    "crop camera (body joints, hand keypoints, face position). Writes a fused file with "
                    "camera_K (3, 3), transl and image_size, and prints the reprojection error before and after. With "
                    "--keypoints2d the body pose is refined with the camera and written too (on by default; "
                    "--no-refine-pose).")
    p.add_argument("fused", help="the fused *.fused.npz")
    p.add_argument("--out", required=True, help="the fitted *.fused.npz to write")
    p.add_argument("--body", help="the body estimator's output (SMPLer-X / SMPLest-X / PIXIE ...)")
    p.add_argument("--person", type=int, default=None, help="person index where the body output holds several")
    p.add_argument("--hands", help="WiLoR / HaMeR dumps")
    p.add_argument("--face", help="EMOCA output")
    p.add_argument("--face-bbox", help="face boxes per frame (JSON), which EMOCA's save_codes does not keep")
    p.add_argument("--keypoints2d", help="2D keypoints of a detector run on the footage (npz/JSON: keypoints "
                                         "(T, J, 2) pixels in smplx joint order, confidence (T, J), optional "
                                         "frame_ids, image_size); they carry the real perspective, so the focal "
                                         "can be fitted")
    p.add_argument("--from-provenance", action="store_true",
                   help="use the estimator outputs named in the fused file's provenance (explicit paths win)")
    p.add_argument("--model", default=None, help="SMPL-X model (default: the provenance's, else the built-in one)")
    p.add_argument("--focal", type=float, default=None,
                   help="the focal length in pixels of the footage, used as given (skips fitting it); without it "
                        "the focal is fitted and kept when it lies within 0.5-3 image diagonals, else the default "
                        "field of view (focal = the image diagonal, 53.13 deg diagonal) is used, and said")
    p.add_argument("--footage", help="the footage: a frames folder (with an optional footage.json), the sidecar "
                                     "JSON itself, or a video file; gives the image size and focal when it can. "
                                     "Without any size (PIXIE saves none) the result stays flagged unknown")
    p.add_argument("--footage-size", type=float, nargs=2, metavar=("W", "H"),
                   help="the footage's size (W H); when the estimators ran on a resized copy, the same aspect "
                        "ratio (one uniform scale; another aspect ratio is refused, never stretched)")
    p.add_argument("--principal-point", type=float, nargs=2, metavar=("CX", "CY"),
                   help="principal point in footage pixels, used as given (default: the image centre)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="the torch fit's device")
    p.add_argument("--backend", default="auto", choices=("auto", "torch", "scipy"),
                   help="the camera fit (one focal + translations): torch (L-BFGS; CPU or CUDA) or scipy "
                        "(least_squares on the CPU; no torch needed); auto takes torch when it imports, else scipy. "
                        "The pose refinement is numpy either way")
    p.add_argument("--smooth", type=float, default=0.1, help="weight of the translation's temporal smoothness")
    p.add_argument("--refine-pose", action=argparse.BooleanOptionalAction, default=None,
                   help="also refine the body pose (global orient + 21 body joints, small corrections near the fused "
                        "pose, bone lengths kept) with the focal and translations against the 2D keypoints, and "
                        "write the refined pose. ON BY DEFAULT WITH --keypoints2d (the fused pose's errors "
                        "otherwise bias the focal: bench/camera_fit.py measures focal_rel_err against "
                        "focal_rel_err_no_refine); "
                        "--no-refine-pose keeps the fused pose. Refused without --keypoints2d: the crop cameras "
                        "carry no perspective to refine against")
    p.add_argument("--refine-joints", default="body", choices=("body", "body+hands"),
                   help="joints --refine-pose corrects: the body (default), or also the 30 finger joints (slower)")
    p.add_argument("--report", help="also write the summary and per-frame reprojection errors as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_fit_camera)


def run_fit_camera(args: argparse.Namespace) -> int:
    from .fit_fused import FitRequest, fit_fused_file, report_json

    request = FitRequest(fused=args.fused, out=args.out, body=args.body, hands=args.hands, face=args.face,
                         face_bbox=args.face_bbox, keypoints2d=args.keypoints2d, person=args.person,
                         from_provenance=args.from_provenance,
                         model=args.model, focal_px=args.focal, footage=args.footage,
                         footage_size=args.footage_size, principal_point=args.principal_point, device=args.device,
                         smooth_weight=args.smooth, backend=args.backend, refine_pose=args.refine_pose,
                         refine_joints=args.refine_joints, overwrite=args.overwrite)
    refining = args.refine_pose if args.refine_pose is not None else bool(args.keypoints2d)
    progress = StageProgress(total=6 if refining else 5, desc="fit-camera", quiet=args.quiet)
    try:
        outcome = fit_fused_file(request, progress)
    finally:
        progress.close()
    summary = report_json(outcome)
    if args.report:
        Path(args.report).write_text(json.dumps(summary, indent=1))
    fit = outcome.fit
    before, after = summary["reproj_px_before"], summary["reproj_px_after"]
    print(f"fitted one camera for {fit.transl_cam.shape[0]} frames -> {outcome.out}")
    k_written = outcome.sequence.camera_K_per_frame()[0]
    size_known = json.loads(outcome.sequence.provenance)["camera_fit"].get("image_size", {}).get("known", True)
    print(f"  focal: {k_written[0, 0]:.2f} px ({fit.focal_source}), principal point "
          f"({k_written[0, 2]:.1f}, {k_written[1, 2]:.1f}), image "
          f"{int(outcome.sequence.image_size[0])} x {int(outcome.sequence.image_size[1])}"
          f"{'' if size_known else ' (UNKNOWN: a placeholder; give --footage or --footage-size)'}")
    print(f"  reprojection error per frame (px): before mean {before['mean']} median {before['median']} "
          f"p95 {before['p95']}; after mean {after['mean']} median {after['median']} p95 {after['p95']}")
    evidence = json.loads(outcome.sequence.provenance)["camera_fit"]["evidence"]
    for group, source in evidence.items():
        print(f"  evidence, {group}: {source}")
    optimiser = "L-BFGS (torch)" if fit.backend == "torch" else "least_squares (scipy)"
    print(f"  grid best: focal {fit.grid_best[0]:.0f} px, scale {fit.grid_best[1]:.2f}; {optimiser} "
          f"{fit.iterations} evaluations on {fit.device}, {fit.seconds:.2f} s")
    if outcome.refinement is not None:
        refined = outcome.refinement.summary()
        print(f"  pose refined: {len(refined['refined_joints'])} joints, correction mean "
              f"{refined['correction_deg']['mean']} deg (p95 {refined['correction_deg']['p95']}), "
              f"{refined['iterations']} evaluations, {refined['seconds']:.2f} s; written to the fitted file")
    for note in fit.notes:
        print(f"  note: {note}")
    if args.report:
        print(f"  report: {args.report}")
    return 0
