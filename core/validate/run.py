"""Run every check on a take: ``run_checks(seq, model, ...) -> ValidationResult``.

What is evaluated: the fused parameters posed by the model (numpy forward kinematics for the skeleton; for the
mesh, torch + smplx in batches when available, else numpy LBS of the vertices the checks need). Optional inputs:
the joints as displayed (a rig read back from Blender), 2D evidence, and a ground truth for accuracy metrics.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..body.model import BodyModel
from ..body.posing import PosedSkeleton, pose_skeleton, skin_vertices, smplx_output_points, truncated_coefficients
from ..body.skeleton import JOINT_INDEX, JOINT_NAMES
from ..contracts.fused_file import PART_WEIGHTS_KEY, FusedSequence
from ..progress import ProgressFn
from ..rotations import matrix_to_axis_angle
from . import metrics
from .joint_limits import check_joint_limits
from .penetration import check_penetration, fit_body_parts, merge_depths, penetration_depths
from .reprojection import Evidence2D, check_reprojection
from .result import CHECK_NAMES, Thresholds, ValidationResult
from .seams import check_seams
from .shape import check_shape
from .symmetry import check_symmetry
from .temporal import check_temporal


def part_weights(seq: FusedSequence) -> dict[str, np.ndarray]:
    """Per-part expert weights for source switches: the ``part_weights`` extra when present, else the face and
    hands columns of ``part_confidence``."""
    w = seq.extras.get(PART_WEIGHTS_KEY)
    if w is not None and np.shape(w) == (seq.num_frames, 4):
        w = np.asarray(w, dtype=np.float64)
        return {"face": w[:, 1], "left_hand": w[:, 2], "right_hand": w[:, 3]}
    conf = np.asarray(seq.part_confidence, dtype=np.float64)
    return {"face": conf[:, 1], "hands": conf[:, 2]}


def frame_ids(seq: FusedSequence) -> np.ndarray:
    ids = seq.extras.get("frame_ids")
    if ids is not None and np.shape(ids) == (seq.num_frames,):
        return np.asarray(ids, dtype=np.int64)
    return np.arange(seq.num_frames, dtype=np.int64)


def choose_mesh_backend(mesh: str) -> str:
    """``"auto"`` -> ``"torch"`` when torch and smplx import, else ``"numpy"``."""
    if mesh == "auto":
        from .mesh_eval import torch_available

        return "torch" if torch_available() else "numpy"
    if mesh not in ("torch", "numpy"):
        raise ValueError(f"unknown mesh backend '{mesh}' (expected auto, torch or numpy)")
    return mesh


def _mesh_vertices(model: BodyModel, seq: FusedSequence, skeleton: PosedSkeleton, backend: str, device: str,
                   pose_correctives: bool, vertex_ids: Optional[np.ndarray], frames: np.ndarray,
                   evaluator: Any) -> np.ndarray:
    if backend == "torch":
        import torch

        ids = None if vertex_ids is None else torch.as_tensor(vertex_ids, device=evaluator.device)
        batch = next(evaluator.batches(seq, batch_frames=len(frames), frames=frames))
        v = batch.vertices if ids is None else batch.vertices[:, ids]
        return v.double().cpu().numpy()
    return skin_vertices(model, seq, skeleton, vertex_ids, pose_correctives, frames)


def run_checks(seq: FusedSequence, model: BodyModel, thresholds: Optional[Thresholds] = None, *,
               evidence: Optional[Evidence2D] = None, ground_truth: Optional[FusedSequence] = None,
               displayed_joints: Optional[np.ndarray] = None, mesh: str = "auto", device: str = "auto",
               pose_correctives: bool = True, chunk_frames: int = 256, vertex_metrics: bool = True,
               progress: Optional[ProgressFn] = None) -> ValidationResult:
    """Validate one take.

    Args:
        seq: the fused take.
        model: its body model.
        thresholds: flag thresholds (defaults when None).
        evidence: optional 2D keypoints (reprojection is skipped without).
        ground_truth: optional true take of the same frames (accuracy metrics).
        displayed_joints: (T, 55, 3) camera-frame joints as displayed (e.g. a Blender rig read back); they replace
            the model's posed joints for the symmetry and temporal checks.
        mesh: ``"auto"``, ``"torch"`` (smplx, batched, CUDA when present) or ``"numpy"`` (LBS of the needed
            vertices only).
        device: torch device (``"auto"``: CUDA when present).
        pose_correctives: include pose blendshapes in the mesh (as smplx does, and Blender's rig when imported
            with pose correctives).
        chunk_frames: frames per mesh batch.
        vertex_metrics: with a ground truth, also the per-vertex error (a full-mesh pass over both takes).
        progress: called as ``progress(done, total, message)``.
    """
    th = thresholds or Thresholds()
    t = seq.num_frames
    total = 9
    step = 0

    def tick(message: str) -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(step, total, message)

    backend = choose_mesh_backend(mesh)
    evaluator = None
    dev_used = "cpu"
    if backend == "torch":
        from .mesh_eval import MeshEvaluator

        evaluator = MeshEvaluator(model, device=device, pose_correctives=pose_correctives)
        dev_used = evaluator.device
    betas, _ = truncated_coefficients(seq, model)
    skeleton = pose_skeleton(seq, model)
    tick("posed skeleton")
    checks = {}
    checks["joint_limits"] = check_joint_limits(seq.full_pose(), model.rest_joints(betas), th.joint_limits_deg)
    tick("joint limits")
    checks["shape"] = check_shape(seq.betas, t, th.shape_sigma)
    tick("shape")
    if displayed_joints is not None:
        shown = np.asarray(displayed_joints, dtype=np.float64)
        if shown.shape != (t, len(JOINT_NAMES), 3):
            raise ValueError(f"displayed_joints: expected ({t}, 55, 3), found {shown.shape}")
        checks["symmetry"] = check_symmetry(shown, th.symmetry_pct, "displayed skeleton")
    else:
        checks["symmetry"] = check_symmetry(skeleton.rest_joints, th.symmetry_pct, "model's shaped rest skeleton")
    tick("symmetry")

    parts = fit_body_parts(model, betas)
    chunks = []
    for s in range(0, t, chunk_frames):
        fr = np.arange(s, min(t, s + chunk_frames))
        qv = _mesh_vertices(model, seq, skeleton, backend, dev_used, pose_correctives, parts.query_ids, fr,
                            evaluator)
        chunks.append(penetration_depths(parts, qv, skeleton.global_rot[fr], skeleton.joints[fr]))
    mesh_note = (f"smplx LBS in torch on {dev_used}" if backend == "torch" else "numpy LBS") + \
        (" with pose correctives" if pose_correctives else " without pose correctives")
    checks["penetration"] = check_penetration(parts, merge_depths(chunks), model.num_vertices, th.penetration_m,
                                              mesh_note)
    tick("penetration")

    fused_global = {"left_wrist": matrix_to_axis_angle(skeleton.global_rot[:, JOINT_INDEX["left_wrist"]]),
                    "right_wrist": matrix_to_axis_angle(skeleton.global_rot[:, JOINT_INDEX["right_wrist"]]),
                    "head": matrix_to_axis_angle(skeleton.global_rot[:, JOINT_INDEX["head"]])}
    checks["seams"] = check_seams(seq.extras, fused_global, t, th.seams_deg)
    tick("seams")
    joints = skeleton.joints if displayed_joints is None else np.asarray(displayed_joints, dtype=np.float64)
    checks["temporal"] = check_temporal(joints, seq.fps, th.temporal_m,
                                        part_weights=part_weights(seq))
    tick("temporal")
    points = None
    names = None
    if evidence is not None:
        points = smplx_output_points(model, seq, skeleton, evidence.joint_index, pose_correctives)
        names = [_output_joint_name(int(i)) for i in evidence.joint_index]
    checks["reprojection"] = check_reprojection(points, seq.camera_K_per_frame(), evidence, t, th.reprojection_px,
                                                joint_names=names)
    tick("reprojection")
    result_metrics: dict[str, Any] = {}
    if ground_truth is not None:
        result_metrics = accuracy(seq, ground_truth, model, skeleton, backend, evaluator, pose_correctives,
                                  chunk_frames, displayed_joints, vertex_metrics)
    tick("accuracy")
    info = {"mesh_backend": backend, "device": dev_used, "pose_correctives": pose_correctives,
            "model": model.path, "model_variant": model.variant, "thresholds": th.as_dict()}
    return ValidationResult(num_frames=t, fps=float(seq.fps), frame_ids=frame_ids(seq),
                            checks={name: checks[name] for name in CHECK_NAMES}, metrics=result_metrics, info=info)


def _output_joint_name(index: int) -> str:
    from ..body.posing import EXTRA_JOINT_ORDER

    if index < len(JOINT_NAMES):
        return JOINT_NAMES[index]
    if index < len(JOINT_NAMES) + len(EXTRA_JOINT_ORDER):
        return EXTRA_JOINT_ORDER[index - len(JOINT_NAMES)]
    return f"landmark{index - len(JOINT_NAMES) - len(EXTRA_JOINT_ORDER):02d}"


def accuracy(seq: FusedSequence, ground_truth: FusedSequence, model: BodyModel, skeleton: PosedSkeleton,
             backend: str, evaluator: Any, pose_correctives: bool, chunk_frames: int,
             displayed_joints: Optional[np.ndarray] = None, vertex_metrics: bool = True) -> dict[str, Any]:
    """MPJPE, PA-MPJPE and acceleration error on the 22 body joints (root-aligned), per-vertex error (full
    mesh), in millimetres, each with its per-frame series (``per_frame_mm``)."""
    if ground_truth.num_frames != seq.num_frames:
        return {"error": f"ground truth has {ground_truth.num_frames} frames, the take {seq.num_frames}"}
    gt_skeleton = pose_skeleton(ground_truth, model)
    body = slice(0, 22)
    pred = skeleton.joints if displayed_joints is None else np.asarray(displayed_joints, dtype=np.float64)
    pred, ref = pred[:, body], gt_skeleton.joints[:, body]
    per_frame = {"mpjpe": metrics.mpjpe(pred, ref), "pa_mpjpe": metrics.pa_mpjpe(pred - pred[:, :1],
                                                                               ref - ref[:, :1]),
                 "accel_error": metrics.acceleration_error(pred, ref)}
    if vertex_metrics:
        vertex_frames = np.zeros(seq.num_frames)
        for s in range(0, seq.num_frames, chunk_frames):
            fr = np.arange(s, min(seq.num_frames, s + chunk_frames))
            v = _mesh_vertices(model, seq, skeleton, backend, "", pose_correctives, None, fr, evaluator)
            g = _mesh_vertices(model, ground_truth, gt_skeleton, backend, "", pose_correctives, None, fr,
                               evaluator)
            vertex_frames[fr] = metrics.per_vertex_error(v, g)[0]
        per_frame["vertex_error"] = vertex_frames
    out: dict[str, Any] = {name: metrics.summary_mm(series) for name, series in per_frame.items()}
    out["accel_error"]["unit"] = "mm/frame^2"
    out["per_frame_mm"] = {name: series * 1000.0 for name, series in per_frame.items()}
    return out


__all__ = ["PART_WEIGHTS_KEY", "part_weights", "frame_ids", "choose_mesh_backend", "run_checks", "accuracy"]
