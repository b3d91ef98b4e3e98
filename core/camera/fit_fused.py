"""Fit one camera to a fused file: read it and the estimators' outputs, build the evidence, fit, write the result.

Shared by the ``fit-camera`` command and the Blender add-on's re-fit (in-process there: with torch when it imports,
else on the scipy fit). The focal comes from, in order: the user (``focal_px``), the footage metadata, the fit. The
camera fit runs on torch or scipy (``backend``, :func:`core.camera.fit.fit_camera`); pose refinement needs torch,
and without it :func:`fit_fused_file` says so (:data:`core.camera.errors.POSE_REFINEMENT_NEEDS_TORCH`) before it
reads anything.

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

from ..contracts.fused_file import FusedSequence, read_fused, write_fused
from ..errors import FusionError
from .conversions import check_focal, check_image_size, rescale_pixels
from .errors import POSE_REFINEMENT_NEEDS_TORCH, CameraError
from .evidence import build_evidence
from .footage import FootageInfo, read_footage
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
        backend: the camera fit, ``"auto"`` (torch when it imports here, else scipy), ``"torch"`` or ``"scipy"``.
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
    """Refuse, before anything is read, what this Python cannot run: pose refinement without torch, a backend that
    does not exist or is missing. Raises :class:`core.errors.FusionError` naming what is needed."""
    from .fit import choose_backend, torch_available

    if request.refine_pose and not request.keypoints2d:
        raise FusionError("pose refinement needs --keypoints2d: the estimators' crop cameras carry no perspective "
                          "to refine the pose against", field="--refine-pose")
    if refines_pose(request) and not torch_available():
        hint = "" if request.refine_pose else " (or pass --no-refine-pose to fit the camera alone)"
        raise CameraError(POSE_REFINEMENT_NEEDS_TORCH + hint, field="--refine-pose")
    choose_backend(request.backend)


def fit_fused_file(request: FitRequest, progress: Optional[Progress] = None) -> FitOutcome:
    """Fit and write; see :class:`FitRequest`. Raises :class:`core.errors.FusionError` on bad input, and before
    reading anything when this Python cannot run the request (:func:`check_runnable`)."""
    from ..body.builtin import resolve_model
    from ..body.model import load_body_model
    from ..io import read_body, read_face, read_hands
    from .fit import FitOptions, fit_camera
    from .keypoints2d import read_keypoints2d
    from .points import sequence_points

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

    image_size = check_image_size(seq.image_size)
    for est in (body, hands):
        if est is not None and est.image_size is not None:
            image_size = check_image_size(est.image_size)
            break
    footage: Optional[FootageInfo] = read_footage(request.footage) if request.footage else None
    out_size = image_size
    if request.footage_size is not None:
        out_size = check_image_size(request.footage_size, "footage_size")
    elif footage is not None and footage.image_size is not None:
        out_size = footage.image_size
    notes: list[str] = []
    if abs(out_size[0] / out_size[1] - image_size[0] / image_size[1]) > 0.01 * image_size[0] / image_size[1]:
        notes.append(f"the footage ({out_size[0]:g} x {out_size[1]:g}) and the estimators' images "
                     f"({image_size[0]:g} x {image_size[1]:g}) differ in aspect ratio: pixels rescaled per axis")
    to_evidence = image_size / out_size  # output-image pixels -> estimator-image pixels

    focal_px, source = None, "fit"
    if request.focal_px is not None:
        focal_px, source = float(check_focal(request.focal_px)) * float(to_evidence[0]), "user"
    elif footage is not None and footage.focal_px is not None:
        meta_size = footage.image_size if footage.image_size is not None else out_size
        focal_px, source = footage.focal_px * float(image_size[0] / meta_size[0]), "footage metadata"
    principal = None
    if request.principal_point is not None:
        principal = rescale_pixels(np.asarray(request.principal_point, dtype=np.float64), out_size, image_size)

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
    options = FitOptions(focal_px=focal_px, focal_source=source, principal_point=principal,
                         smooth_weight=request.smooth_weight, max_iterations=request.max_iterations,
                         device=request.device, backend=request.backend)
    fit = fit_camera(points, evidence, seq.transl, seq.camera_K, options)
    fit.notes = notes + evidence.notes + fit.notes
    say("fitted the camera")
    inputs["keypoints2d"] = request.keypoints2d
    record = {"inputs": {k: (str(v) if v is not None else None) for k, v in inputs.items()},
              "evidence": evidence.sources,
              "footage": None if footage is None else {"path": str(footage.path), "notes": footage.notes},
              "options": {k: v for k, v in asdict(options).items() if k not in ("focal_px",)}}
    refinement = None
    if refine:
        seq, fit, refinement = _refine(seq, fit, model, evidence, request, fixed_focal=focal_px is not None)
        record["pose_refinement"] = refinement.summary()
        say("refined the pose")
    fitted = apply_to_sequence(seq, fit, footage_size=out_size, record=record)
    write_fused(out, fitted)
    say("written")
    return FitOutcome(sequence=fitted, fit=fit, out=out, inputs=inputs, refinement=refinement)


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
            f"written")
    refit = replace(fit, focal_px=refinement.focal_px, transl_cam=refinement.transl_cam,
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
    return summary


__all__ = ["FitRequest", "FitOutcome", "fit_fused_file", "refines_pose", "check_runnable", "report_json"]
