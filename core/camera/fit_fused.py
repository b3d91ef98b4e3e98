"""Fit one camera to a fused file: read it and the estimators' outputs, build the evidence, fit, write the result.

Shared by the ``fit-camera`` command and the Blender add-on's re-fit (in-process there: with torch when it imports,
else on the scipy fit). The focal comes from, in order: the user (``focal_px``, footage pixels, used as given), the
footage metadata, the fit, and when the fitted focal leaves 0.5-3 image diagonals the default field of view
(:mod:`core.camera.footage_frame`, which also decides the pixels: the footage's size, never a guessed one). The
camera fit runs on torch or scipy (``backend``, :func:`core.camera.fit.fit_camera`); the pose refinement is numpy
only, so it runs in Blender's own Python too.

With 2D keypoints the pose is refined too by default (:mod:`core.camera.pose_refine`): the focal, translations and
small body-pose corrections are fitted together, and the refined pose is written into the fitted file (recorded in
its provenance under ``camera_fit.pose_refinement``). Without keypoints there is nothing to refine it against:
the crop cameras' evidence carries no perspective, so asking for it is refused.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ..contracts.fused_file import FusedSequence, image_size_known, read_fused, write_fused
from ..errors import FusionError
from .conversions import check_focal
from .errors import CameraError
from .evidence import build_evidence
from .fit_common import ImplausibleFocalError
from .footage import FootageInfo, read_footage
from .footage_frame import (
    FOCAL_SOURCE_DEFAULT,
    PixelFrame,
    default_field_of_view_deg,
    default_focal_px,
    plausible_focal_range,
    resolve_pixel_frame,
)
from .result import CameraFit, apply_to_sequence

Progress = Callable[[str], None]


@dataclass
class FitRequest:
    """What to fit and where to write it.

    Attributes:
        fused: the fused file; out: where the fitted file goes (may equal ``fused`` with ``overwrite``).
        body, hands, face, face_bbox: estimator outputs (paths) for the evidence; any may be None.
        keypoints2d: a 2D detector's keypoints on the footage (:mod:`core.camera.keypoints2d`): they carry the
            real camera's perspective and replace the crop evidence of the body and hands, so the focal can be fitted.
        person: the body output's person index where it holds several.
        from_provenance: take the estimator paths the fused file's provenance names (explicit paths win).
        model: SMPL-X model file / folder / ``builtin``; None takes the provenance's model, else the built-in one.
        focal_px: the user's focal (pixels of the output image); footage: frames folder / sidecar / video.
        footage_size: (W, H) of the footage when it differs from the estimators' images.
        principal_point: (cx, cy) in pixels of the output image; None: its centre.
        device, smooth_weight, max_iterations: fit settings.
        backend: the camera fit, ``"auto"`` (torch when it imports here, else scipy; scipy when the focal is fixed
            and no CUDA device is asked for), ``"torch"`` or ``"scipy"``.
        refine_pose: refine the body pose with the camera (:mod:`core.camera.pose_refine`); None: on exactly when
            ``keypoints2d`` is given; True without keypoints is refused.
        refine_joints: ``"body"`` (global orient + 21 body joints) or ``"body+hands"`` (also the fingers).
        overwrite: replace ``out`` when it exists.
    """

    fused: str
    out: str
    body: Optional[str] = None
    hands: Optional[str] = None
    face: Optional[str] = None
    face_bbox: Optional[str] = None
    keypoints2d: Optional[str] = None
    person: Optional[int] = None
    from_provenance: bool = False
    model: Optional[str] = None
    focal_px: Optional[float] = None
    footage: Optional[str] = None
    footage_size: Optional[Sequence[float]] = None
    principal_point: Optional[Sequence[float]] = None
    device: str = "auto"
    smooth_weight: float = 0.1
    max_iterations: int = 100
    backend: str = "auto"
    refine_pose: Optional[bool] = None
    refine_joints: str = "body"
    overwrite: bool = False


@dataclass
class FitOutcome:
    """What :func:`fit_fused_file` did: the fitted sequence, the fit, where it went and what it used, and the pose
    refinement when there was one (:class:`core.camera.pose_refine.PoseRefinement`; ``fit`` then carries the
    refined focal, translations and reprojection errors)."""

    sequence: FusedSequence
    fit: CameraFit
    out: Path
    inputs: dict = field(default_factory=dict)
    refinement: Optional[Any] = None


def _inputs(request: FitRequest, seq: FusedSequence) -> dict[str, Any]:
    """Estimator paths and model, explicit ones first, then the provenance's (when asked)."""
    chosen: dict[str, Any] = {"body": request.body, "hands": request.hands, "face": request.face,
                              "face_bbox": request.face_bbox, "model": request.model}
    try:
        prov = json.loads(seq.provenance or "{}").get("inputs", {}) or {}
    except ValueError:
        prov = {}
    if request.from_provenance:
        for key in ("body", "hands", "face"):
            src = prov.get(key) or {}
            if chosen[key] is None and isinstance(src, dict) and src.get("path") and Path(src["path"]).exists():
                chosen[key] = src["path"]
                if key == "face" and chosen["face_bbox"] is None and src.get("bbox") and Path(src["bbox"]).is_file():
                    chosen["face_bbox"] = src["bbox"]
    if chosen["model"] is None:
        model = prov.get("model") if isinstance(prov.get("model"), str) else None
        chosen["model"] = model if model and Path(model).exists() else "builtin"
    return chosen


def refines_pose(request: FitRequest) -> bool:
    """Whether :func:`fit_fused_file` refines the pose for ``request``: as asked, else exactly with 2D keypoints."""
    return bool(request.keypoints2d) if request.refine_pose is None else bool(request.refine_pose)


def check_runnable(request: FitRequest) -> None:
    """Refuse, before anything is read, what cannot run: pose refinement without 2D keypoints, a backend that does
    not exist or is missing. Raises :class:`core.errors.FusionError` naming what is needed."""
    from .fit import choose_backend

    if request.refine_pose and not request.keypoints2d:
        raise FusionError("pose refinement needs --keypoints2d: the estimators' crop cameras carry no perspective "
                          "to refine the pose against", field="--refine-pose")
    choose_backend(request.backend)  # the pose refinement is numpy: it runs wherever the camera fit does


def fit_fused_file(request: FitRequest, progress: Optional[Progress] = None) -> FitOutcome:
    """Fit and write; see :class:`FitRequest`. Raises :class:`core.errors.FusionError` on bad input, and before
    reading anything when this Python cannot run the request (:func:`check_runnable`)."""
    from ..body.builtin import resolve_model
    from ..body.model import load_body_model
    from ..io import read_body, read_face, read_hands
    from .fit import FitOptions, fit_camera
    from .keypoints2d import read_keypoints2d
    from .points import sequence_points
    from .shape_fit import fit_builtin_shape

    say = progress or (lambda message: None)
    out = Path(request.out)
    if out.exists() and not request.overwrite:
        raise FusionError("the output exists; pass --overwrite to replace it", path=out, field="--out")
    check_runnable(request)
    refine = refines_pose(request)
    seq = read_fused(request.fused)
    inputs = _inputs(request, seq)
    model = load_body_model(resolve_model(inputs["model"], seq.gender), seq.gender)
    say("read the fused file and the model")
    body = read_body(inputs["body"], person_id=request.person) if inputs["body"] else None
    hands = read_hands(inputs["hands"]) if inputs["hands"] else None
    face = read_face(inputs["face"], bbox=inputs["face_bbox"]) if inputs["face"] else None
    keypoints = read_keypoints2d(request.keypoints2d) if request.keypoints2d else None
    say("read the estimators' outputs")

    footage: Optional[FootageInfo] = read_footage(request.footage) if request.footage else None
    frame = _pixel_frame(seq, body, hands, keypoints, footage, request)
    notes: list[str] = list(frame.notes)
    image_size = frame.evidence_size
    if keypoints is not None and keypoints.image_size is not None and \
            abs((keypoints.image_size[0] / keypoints.image_size[1]) / (image_size[0] / image_size[1]) - 1) > 0.005:
        raise CameraError(f"the keypoints are for {keypoints.image_size[0]:g} x {keypoints.image_size[1]:g} images "
                          f"but the fit's are {image_size[0]:g} x {image_size[1]:g} ({frame.source}): different "
                          f"aspect ratios", path=keypoints.path, field="image_size")

    focal_px, source = None, "fit"
    if request.focal_px is not None:  # footage pixels, used as given
        focal_px, source = float(frame.to_evidence(float(check_focal(request.focal_px)))), "user"
    elif footage is not None and footage.focal_px is not None:
        meta_size = footage.image_size if footage.image_size is not None else frame.footage_size
        focal_px = float(frame.to_evidence(footage.focal_px * float(frame.footage_size[0] / meta_size[0])))
        source = "footage metadata"
    principal = None
    if request.principal_point is not None:  # footage pixels, used as given
        principal = frame.to_evidence(np.asarray(request.principal_point, dtype=np.float64).reshape(2))

    points = sequence_points(seq, model)
    evidence = build_evidence(seq, points, model, body=body, hands=hands, face=face, image_size=image_size,
                              keypoints2d=keypoints)
    if body is None and hands is None and face is None and keypoints is None:
        notes.append("no estimator outputs: the evidence is the fused file's own per-frame camera, so a fitted "
                     "focal follows the body regressor's virtual camera; give the focal or footage metadata for a "
                     "physical camera")
    if focal_px is None and keypoints is None:
        notes.append("the focal was fitted to crop-camera evidence, which does not determine it (the estimators "
                     "render through near-orthographic virtual cameras); give --focal, footage metadata or "
                     "--keypoints2d from a 2D detector for a physical focal")
    say("built the 2D evidence")
    backend = request.backend
    if backend == "auto" and focal_px is not None and request.device != "cuda":
        # a fixed focal leaves the per-frame translations only: scipy solves them without importing torch, which
        # alone costs more than the solve (bench/clip_speed.py; within 0.6 mm of the torch fit on its clip)
        backend = "scipy"
    options = FitOptions(focal_px=focal_px, focal_source=source, principal_point=principal,
                         smooth_weight=request.smooth_weight, max_iterations=request.max_iterations,
                         device=request.device, backend=backend)
    if focal_px is None:  # the grid searches the plausible range only (footage_frame's rule)
        options.focal_range_px = plausible_focal_range(image_size)
    fit = _fit_or_default(points, evidence, seq, options, image_size)
    fit.notes = notes + evidence.notes + fit.notes
    weighted = _weighted_before_after(points, evidence, seq, fit)
    if weighted["after"] is not None and weighted["before"] is not None and weighted["after"] > weighted["before"]:
        fit.notes.append(f"the camera fit ends further from the keypoints than the fused file's own camera "
                         f"(confidence-weighted mean {weighted['before']:.2f} -> {weighted['after']:.2f} px): the "
                         f"fused pose and the evidence disagree beyond what one camera can reconcile")
    say("fitted the camera")
    seq, fit, shape_record = fit_builtin_shape(seq, model, evidence, fit, options, body=body)  # built-in model only
    inputs["keypoints2d"] = request.keypoints2d
    record = {"inputs": {k: (str(v) if v is not None else None) for k, v in inputs.items()},
              "evidence": evidence.sources,
              "footage": None if footage is None else {"path": str(footage.path), "notes": footage.notes},
              "image_size": {"evidence": frame.evidence_size.tolist(), "written": frame.footage_size.tolist(),
                             "known": frame.known, "source": frame.source},
              "options": {k: v for k, v in asdict(options).items() if k not in ("focal_px",)},
              "shape_fit": shape_record, "camera_fit_weighted_px": weighted}
    refinement = None
    if refine:
        seq_in = seq
        seq, fit, refinement = _refine(seq_in, fit, model, evidence, request, fixed_focal=fit.focal_source != "fit")
        lo, hi = plausible_focal_range(image_size)
        if fit.focal_source == "fit" and not lo <= fit.focal_px <= hi:  # the refinement left the range: default
            options.focal_px, options.focal_source = default_focal_px(image_size), FOCAL_SOURCE_DEFAULT
            base = fit_camera(points, evidence, seq_in.transl, seq_in.camera_K, options)
            base.notes = fit.notes + [f"the pose refinement's focal {fit.focal_px:.0f} px left the plausible range "
                                      f"{lo:.0f}-{hi:.0f} px: refined again at the {_default_text(image_size)}"]
            seq, fit, refinement = _refine(seq_in, base, model, evidence, request, fixed_focal=True)
        record["pose_refinement"] = refinement.summary()
        say("refined the pose")
    fitted = apply_to_sequence(seq, fit, footage_size=frame.footage_size, record=record,
                               image_size_known=frame.known,
                               given_focal_px=request.focal_px if fit.focal_source == "user" else None,
                               given_principal_point=request.principal_point)
    write_fused(out, fitted)
    say("written")
    return FitOutcome(sequence=fitted, fit=fit, out=out, inputs=inputs, refinement=refinement)


def _weighted_before_after(points: Any, evidence: Any, seq: FusedSequence, fit: CameraFit) -> dict[str, Any]:
    """The camera fit's confidence-weighted mean reprojection error (all frames) at the fused file's own camera and
    after: what the fit minimises, each point weighted as fitted."""
    from .conversions import intrinsics_matrix
    from .result import weighted_reprojection_errors

    def mean(errors: np.ndarray) -> Optional[float]:
        return round(float(np.nanmean(errors)), 3) if np.isfinite(errors).any() else None

    before = weighted_reprojection_errors(points.points, seq.transl, seq.camera_K_per_frame(), evidence)
    after = weighted_reprojection_errors(points.points, fit.transl_cam,
                                         intrinsics_matrix(fit.focal_px, fit.principal_point), evidence)
    return {"before": mean(before), "after": mean(after)}


def _pixel_frame(seq: FusedSequence, body: Any, hands: Any, keypoints: Any, footage: Optional[FootageInfo],
                 request: FitRequest) -> PixelFrame:
    """The fit's pixels (:func:`core.camera.footage_frame.resolve_pixel_frame`) from what each input says."""
    def said(est: Any, what: str) -> tuple[Optional[np.ndarray], str]:
        size = None if est is None else getattr(est, "image_size", None)
        return size, what

    estimators = [said(body, "the body estimator's file"), said(hands, "the hand expert's file"),
                  (seq.image_size if image_size_known(seq) else None, "the fused file")]
    footages = [(request.footage_size, "--footage-size"),
                (None if footage is None else footage.image_size, f"--footage {request.footage}"),
                said(keypoints, "the 2D keypoint file")]
    return resolve_pixel_frame(seq.image_size, estimators, footages)


def _default_text(image_size: np.ndarray) -> str:
    return (f"default field of view ({default_field_of_view_deg(image_size):.2f} deg diagonal: focal "
            f"{default_focal_px(image_size):.1f} px = the image diagonal)")


def _fit_or_default(points: Any, evidence: Any, seq: FusedSequence, options: Any, image_size: np.ndarray) -> CameraFit:
    """The camera fit; when the focal is fitted and ends outside the plausible range (or runs off towards the
    orthographic limit), the fit again at the default field of view, saying so (``focal_source``)."""
    from .fit import fit_camera

    if options.focal_px is not None:
        return fit_camera(points, evidence, seq.transl, seq.camera_K, options)
    lo, hi = plausible_focal_range(image_size)
    try:
        fit = fit_camera(points, evidence, seq.transl, seq.camera_K, options)
        if lo <= fit.focal_px <= hi:
            return fit
        why = f"the fitted focal {fit.focal_px:.0f} px lies outside the plausible {lo:.0f}-{hi:.0f} px"
    except ImplausibleFocalError as exc:
        why = f"the focal fit ran off ({exc.problem})"
    fixed = replace(options, focal_px=default_focal_px(image_size), focal_source=FOCAL_SOURCE_DEFAULT)
    fit = fit_camera(points, evidence, seq.transl, seq.camera_K, fixed)
    fit.notes = [f"{why}; plausible: {lo:.0f}-{hi:.0f} px (0.5-3 image diagonals). The evidence does not "
                 f"determine the focal, so the {_default_text(image_size)} is used"] + fit.notes
    return fit


def _refine(seq: FusedSequence, fit: CameraFit, model: Any, evidence: Any, request: FitRequest,
            fixed_focal: bool) -> tuple[FusedSequence, CameraFit, Any]:
    """Refine pose, translations and (unless given) the focal from the camera fit; the sequence with the refined
    pose, the fit with the refined camera, and the refinement."""
    from .points import point_rig
    from .pose_refine import RefineOptions, refine_pose

    options = RefineOptions(joints=request.refine_joints, fit_focal=not fixed_focal, device=request.device,
                            transl_smooth_weight=request.smooth_weight)
    rig = point_rig(seq.betas, seq.expression, model, seq.num_frames)
    refinement = refine_pose(seq.full_pose(), rig, evidence, fit.focal_px, fit.transl_cam, fit.principal_point,
                             options)
    pose = refinement.full_pose
    refined = replace(seq, global_orient=pose[:, 0].copy(), body_pose=pose[:, 1:22].copy(),
                      left_hand_pose=pose[:, 25:40].copy(), right_hand_pose=pose[:, 40:55].copy())
    summary = refinement.summary()
    note = (f"pose refined against the 2D keypoints ({len(refinement.refined_joints)} joints, mean correction "
            f"{summary['correction_deg']['mean']:.2f} deg): focal {fit.focal_px:.1f} -> {refinement.focal_px:.1f} px, "
            f"reprojection {summary['reproj_px_before']} -> {summary['reproj_px_after']} px; the refined pose is "
            f"written; joints without evidence changed at most {summary['unseen_joint_change_deg']:.2f} deg")
    if refinement.reverted:
        note = (f"pose refinement reverted: it would have raised the reprojection error; the camera fit's focal "
                f"{fit.focal_px:.1f} px, translations and the fused pose are written")
    focal = fit.focal_px if fixed_focal else refinement.focal_px  # a fixed focal stays exactly as given
    refit = replace(fit, focal_px=focal, transl_cam=refinement.transl_cam,
                    reproj_after_px=refinement.reproj_after_px, loss_final=refinement.loss_final,
                    iterations=fit.iterations + refinement.iterations, seconds=fit.seconds + refinement.seconds,
                    notes=fit.notes + [note] + refinement.notes)
    return refined, refit, refinement


def report_json(outcome: FitOutcome) -> dict[str, Any]:
    """The fit's summary plus per-frame reprojection errors (before, after), JSON-able."""
    def clean(a: np.ndarray) -> list:
        return [None if not np.isfinite(v) else round(float(v), 4) for v in a]

    summary = outcome.fit.summary()
    summary["out"] = str(outcome.out)
    summary["reproj_px_before_per_frame"] = clean(outcome.fit.reproj_before_px)
    summary["reproj_px_after_per_frame"] = clean(outcome.fit.reproj_after_px)
    summary["grid"] = {"focal_px": [round(float(v), 3) for v in outcome.fit.grid_focal_px],
                       "loss": [round(float(v), 5) for v in outcome.fit.grid_loss]}
    # the pose refinement's record (per group: held-out figures, kept or reverted, largest change), or None
    summary["pose_refinement"] = None if outcome.refinement is None else outcome.refinement.summary()
    return summary


__all__ = ["FitRequest", "FitOutcome", "fit_fused_file", "refines_pose", "check_runnable", "report_json"]
