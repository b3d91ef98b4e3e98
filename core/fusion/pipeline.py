"""``fuse``: a body estimate, an optional face expert and an optional hand expert -> one fused SMPL-X sequence.

Stages (each vectorised over frames; loops run over joints or sides only):

1. timeline   body rows placed on a frame-id timeline (gaps filled and marked invalid); body hands made flat-relative;
              invalid frames filled by slerp / linear interpolation between valid neighbours.
2. shape      one ``betas`` for the sequence (robust mean over valid frames) where the estimate's betas live in the
              model's shape space (SMPL-X's own files); on a built-in model the model's mean body, the estimate's
              betas recorded (:mod:`core.body.shape_space`; ``fit-camera --keypoints2d`` fits the model's own).
3. hands      body wrists projected into the image; detections assigned per side by label and proximity, mislabeled
              ones swapped and reported; left hands mirrored back; camera-frame wrists made local to the elbow;
              optional robust Kabsch refinement of the wrist on the keypoints; per-frame weights; slerp blend.
4. face       EMOCA jaw copied, expression mapped (direct / least squares / truncate), optional head orientation;
              per-frame weights; blend.
5. smooth     zero-phase filtering of all 55 joint rotations (sign-continuous quaternions), translation, expression;
              the filter's lag measured.
6. assemble   axis-angle, ``part_confidence``, provenance JSON, report.

Each stage is one private function, called in this order by :func:`fuse`: ``_timeline``, ``_shape``,
``_fuse_hands``, ``_fuse_face``, ``_smooth``, ``_assemble`` (``_body_chain`` sets up the seams between stages 2 and 3).
The frames of face and hands are matched to the body's by frame id. Rotations stay unit quaternions (w, x, y, z)
from stage 1 to 6.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from typing import Any, Optional

import numpy as np

from ..body import chains, shape_space
from ..body.model import BodyModel
from ..body.skeleton import JOINT_INDEX, LEFT_HAND, NUM_JOINTS, RIGHT_HAND, SMPLX_EXTRA_VERTEX_IDS
from ..contracts.estimates import BodyEstimate, FaceEstimate, HandDetections
from ..contracts.fused_file import IMAGE_SIZE_KNOWN_KEY, PART_WEIGHTS_KEY, SCHEMA, FusedSequence
from ..errors import FusionError
from ..progress import ProgressFn
from . import confidence, temporal
from . import face as face_mod
from . import hands as hands_mod

_HAND_SLICES = (LEFT_HAND, RIGHT_HAND)
_HEAD, _NECK, _JAW = JOINT_INDEX["head"], JOINT_INDEX["neck"], JOINT_INDEX["jaw"]
_STAGES = ("timeline", "shape", "hands", "face", "smooth", "assemble")


@dataclass
class FusionOptions:
    """Switches and tuning of :func:`fuse`. Every field is recorded in the provenance (arrays by shape only).

    Attributes:
        smooth: zero-phase temporal smoothing of rotations, translation (and expression).
        smoothing_method: ``"butterworth"`` (``filtfilt``) or ``"savgol"``.
        cutoff_hz, filter_order: Butterworth cut-off (Hz) and per-pass order.
        savgol_window, savgol_polyorder: Savitzky-Golay window (frames) and order.
        smooth_expression: also filter the expression coefficients.
        confidence_blend: weight experts per frame and ramp fallbacks over ``ramp_frames``; False copies an expert
            wherever it is present (hard switch).
        ramp_frames: length of the fade between an expert and the body's own estimate, frames.
        swap_hands: detect detections labelled with the wrong side and reassign them.
        swap_mode: ``"relabel"`` (the flag was wrong; use the detection for the side it sits at) or ``"discard"``.
        hand_gate: farthest a hand box centre may be from its wrist, in box sizes.
        wrist_median_frames: running-median window (frames) on the body's projected wrists before hands are
            assigned, so one outlier body frame cannot swap a correctly labelled pair; 1 turns it off.
        swap_ratio: a swap needs the other wrist closer than this fraction of the labelled wrist's distance.
        refine_wrists: refine each expert wrist rotation by a robust Kabsch fit of SMPL-X's hand joints (posed with
            the expert's fingers) onto the expert's 3D keypoints (needs ``keypoints_3d``).
        refine_loss, refine_iterations: ``"huber"`` or ``"tukey"``, and the number of re-weighting iterations.
        use_face: take jaw and expression from the face expert.
        fuse_head: also take the head's orientation from the face expert (off by default: see ``face_axes``).
        face_axes: frame of EMOCA's global pose: ``"flame"`` (y up, EMOCA's own; flipped to OpenCV) or ``"camera"``.
        head_weight: scale of the face weight for the head orientation.
        expression_route: ``"auto"``, ``"direct"``, ``"least_squares"``, ``"truncate"``, ``"mapper"`` (or the
            mapper's method name); ``"auto"`` takes ``expression_mapper`` when given.
        expression_mapper: a fitted :class:`core.fusion.expression.mapping.ExpressionMapper` to this model's
            expression (it also reads the face expert's jaw), e.g. ``core.fusion.expression.command.read_mapper(path)``;
            None keeps the routes above.
        flame_expression_dirs: (5023, 3, 50) FLAME expression blendshapes, for least squares.
        flame_vertex_ids: (5023,) ``SMPL-X__FLAME_vertex_ids.npy``, for least squares.
        expression_tikhonov: ridge weight for least squares.
        betas_method: ``"huber"``, ``"median"`` or ``"mean"``.
        estimator_betas: ``"auto"``: the estimate's betas are used only where they live in the output model's shape
            space (:mod:`core.body.shape_space`: SMPL-X's own files), else the model's mean body (zeros) is written,
            for ``fit-camera --keypoints2d`` to fit (:mod:`core.camera.shape_fit`); ``"apply"``: used on any model
            (an estimate made with this very model, e.g. a synthetic one); ``"zero"``: never.
        fps: frame rate; None takes ``body.source["fps"]``, else 30 (reported).
        fill_frame_gaps: output every frame id from the body's first to its last (missing ones invalid, interpolated).
        min_hand_box_px, full_hand_box_px: hand box sizes weighted 0 and 1.
        min_face_box_px, full_face_box_px: the same for the face box (its larger side).
        min_body_box_px, full_body_box_px: the same for the body box (its larger side).
        score_zero, score_full: detection scores weighted 0 and 1 (experts are trusted fully above ``score_full``).
        agreement_free, agreement_tolerance: reprojection agreement is 1 up to ``agreement_free`` box sizes between
            the expert's box centre and the body's projected joint, then falls as a Gaussian of ``agreement_tolerance``.
        spike_threshold_rad: deviation of a rotation from its neighbours' midpoint that halves its weight.
    """

    smooth: bool = True
    smoothing_method: str = "butterworth"
    cutoff_hz: float = 5.0
    filter_order: int = 2
    savgol_window: int = 9
    savgol_polyorder: int = 2
    smooth_expression: bool = True
    confidence_blend: bool = True
    ramp_frames: int = 6
    swap_hands: bool = True
    swap_mode: str = "relabel"
    hand_gate: float = 1.5
    wrist_median_frames: int = 5
    swap_ratio: float = 0.5
    refine_wrists: bool = False
    refine_loss: str = "huber"
    refine_iterations: int = 5
    use_face: bool = True
    fuse_head: bool = False
    face_axes: str = "flame"
    head_weight: float = 1.0
    expression_route: str = "auto"
    flame_expression_dirs: Optional[np.ndarray] = None
    flame_vertex_ids: Optional[np.ndarray] = None
    expression_tikhonov: float = 0.0
    expression_mapper: Optional[Any] = None
    betas_method: str = "huber"
    estimator_betas: str = "auto"
    fps: Optional[float] = None
    fill_frame_gaps: bool = True
    min_hand_box_px: float = 16.0
    full_hand_box_px: float = 64.0
    min_face_box_px: float = 24.0
    full_face_box_px: float = 80.0
    min_body_box_px: float = 32.0
    full_body_box_px: float = 128.0
    score_zero: float = 0.1
    score_full: float = 0.5
    agreement_free: float = 0.75
    agreement_tolerance: float = 0.5
    spike_threshold_rad: float = 0.3

    def smoothing_spec(self) -> temporal.SmoothingSpec:
        return temporal.SmoothingSpec(method=self.smoothing_method if self.smooth else "none",
                                      cutoff_hz=self.cutoff_hz, order=self.filter_order,
                                      window=self.savgol_window, polyorder=self.savgol_polyorder)

    def as_json(self) -> dict:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = f"array{tuple(np.shape(v))}" if isinstance(v, np.ndarray) else v
        return out


@dataclass
class FusionResult:
    """What :func:`fuse` returns.

    Attributes:
        sequence: the fused sequence (schema v1: flat-relative hands, provenance, ``valid``, ``part_confidence``).
        report: summary for a CLI: frames, swaps, fallbacks, smoothing lag, counts per part, timings.
        weights: per-frame blend weights (T,) by name: ``body``, ``face``, ``left_hand``, ``right_hand``.
        frame_ids: (T,) footage frame of each output row.
    """

    sequence: FusedSequence
    report: dict
    weights: dict = field(default_factory=dict)
    frame_ids: Optional[np.ndarray] = None


# --------------------------------------------------------------------------------------------------------------


def _rows(arr: Any, n: int, trailing: tuple, name: str, source: str) -> np.ndarray:
    a = np.asarray(arr, dtype=np.float64)
    try:
        return a.reshape((n,) + trailing)
    except ValueError:
        raise FusionError(f"expected {n} rows of shape {trailing}, found {tuple(a.shape)}",
                          path=source, field=name) from None


def _source_name(src: dict, default: str) -> str:
    for key in ("path", "file", "files"):
        if key in src:
            v = src[key]
            return str(v[0] if isinstance(v, (list, tuple)) and v else v)
    return default


def _match_rows(frame_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``frame_ids`` (sorted) holding each of ``ids``: ``(row, matched)``, both (N,)."""
    t = frame_ids.shape[0]
    row = np.searchsorted(frame_ids, ids)
    row_c = np.clip(row, 0, t - 1)
    matched = (row < t) & (frame_ids[row_c] == ids)
    return row_c, matched


def _rotmat_to_axis_angle(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 3) axis-angle."""
    return temporal.quaternion_to_axis_angle(temporal.matrix_to_quaternion(rotmat))


def _finite_rows(*arrays: np.ndarray) -> np.ndarray:
    ok = np.ones(arrays[0].shape[0], dtype=bool)
    for a in arrays:
        ok &= np.all(np.isfinite(a.reshape(a.shape[0], -1)), axis=1)
    return ok


def _fk_points_in_wrist_frame(finger_rotmats: np.ndarray, side: int, rest_joints: np.ndarray,
                              rest_vertices: Optional[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """SMPL-X hand joints (OpenPose order) posed with ``finger_rotmats`` (N, 15, 3, 3), wrist at the origin with the
    identity rotation: (N, 21, 3) points and (21,) weights."""
    n = finger_rotmats.shape[0]
    first = (LEFT_HAND, RIGHT_HAND)[side].start
    wrist = hands_mod.WRIST_JOINTS[side]
    local = {first + k: finger_rotmats[:, k] for k in range(15)}
    rots, pos = chains.forward_kinematics_subset(local, rest_joints, range(first, first + 15), root=wrist)
    g = np.empty((n, NUM_JOINTS, 3, 3))  # only the hand's joints are written and read
    p = np.empty((n, NUM_JOINTS, 3))
    for j, r in rots.items():
        g[:, j] = r
        p[:, j] = pos[j]
    return hands_mod.hand_joint_targets(g, p, side, rest_vertices, rest_joints, SMPLX_EXTRA_VERTEX_IDS)



# ------------------------------------------------------------------------------------------------ the pipeline


def fuse(body: BodyEstimate, face: Optional[FaceEstimate], hands: Optional[HandDetections], model: BodyModel,
         options: Optional[FusionOptions] = None, *, progress: Optional[ProgressFn] = None) -> FusionResult:
    """Fuse a body estimate with optional face and hand experts into one SMPL-X sequence.

    Args:
        body: the whole-body estimate (T_b rows, sorted unique ``frame_ids``); defines the output frames.
        face: EMOCA codes, rows matched to the body by frame id, or None.
        hands: WiLoR / HaMeR detections (any number per frame), or None.
        model: the SMPL-X model the output drives (hand means, expression dirs, rest joints).
        options: :class:`FusionOptions` (defaults when None).
        progress: called as ``progress(done, total, stage)`` after each stage.
    Returns:
        :class:`FusionResult`. Raises :class:`FusionError` on inputs it cannot use.
    """
    opts = options or FusionOptions()
    clock = _StageClock(progress)
    notes: list[str] = []  # the provenance's conventions, in stage order

    track = _timeline(body, model, opts, notes)
    clock.done("timeline")
    shape = _shape(track, model, opts, notes, body.model_variant)
    clock.done("shape")
    chain = _body_chain(track, shape)
    hands_fused = _fuse_hands(hands, track, shape, chain, opts, notes)
    clock.done("hands")
    face_fused = _fuse_face(face, track, chain, model, opts, notes)
    clock.done("face")
    smoothing = _smooth(track, body, opts, notes)
    clock.done("smooth")
    weights = {**hands_fused.weights, "face": face_fused.weight}
    seq, part_conf = _assemble(track, shape, chain, weights, body, face, hands, model, opts, notes, face_fused,
                               smoothing)
    clock.done("assemble")
    report = _report(track, weights, part_conf, hands_fused, face_fused, smoothing, clock.timings)
    report["shape"] = {k: v for k, v in shape.record.items() if k != "estimator_betas"}
    return FusionResult(sequence=seq, report=report, weights=weights, frame_ids=track.frame_ids)


class _StageClock:
    """Wall time of each of :data:`_STAGES` (seconds, ``timings``), and ``progress(done, total, stage)`` calls."""

    def __init__(self, progress: Optional[ProgressFn]) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.clock = time.perf_counter()
        self.count = 0

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self.clock, 6)
        self.clock = now
        self.count += 1
        if self.progress is not None:
            self.progress(self.count, len(_STAGES), name)


@dataclass
class _Track:
    """The sequence on the output timeline (T frames, T_b body rows); stages 3-5 update it in place.

    Attributes:
        body_src: the body's source name (for errors).
        frame_ids: (T,) int64 footage frame of each output row.
        rows: (T_b,) output row of each body row.
        body_valid: (T_b,) bool, body rows that are valid and finite.
        valid: (T,) bool, output frames with a valid body row.
        quat: (T, 55, 4) local joint rotations (w, x, y, z), gaps filled by slerp.
        transl: (T, 3) root translation, camera frame.
        camera_K: (T, 3, 3) the body estimator's intrinsics.
        expression: (T, E) the model's expression coefficients.
        betas_rows: (T_b, B) the body's per-row betas.
        filled: number of output frames without a valid body row.
        hands_predicted: False where the body estimator predicts no hands (its hands are replaced by an expert).
    """

    body_src: str
    frame_ids: np.ndarray
    rows: np.ndarray
    body_valid: np.ndarray
    valid: np.ndarray
    quat: np.ndarray
    transl: np.ndarray
    camera_K: np.ndarray
    expression: np.ndarray
    betas_rows: np.ndarray
    filled: int
    hands_predicted: bool = True

    @property
    def num_frames(self) -> int:
        return int(self.frame_ids.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.rows.shape[0])


@dataclass
class _Shape:
    """Stage 2: ``betas`` (B,), ``rest_vertices`` (V, 3) and ``rest_joints`` (55, 3) of the sequence's one shape."""

    betas: np.ndarray
    rest_vertices: np.ndarray
    rest_joints: np.ndarray
    record: dict = field(default_factory=dict)


@dataclass
class _Chain:
    """The body's own chain at the seams, before any expert, and the seam rotations recorded for core.validate.seams.

    Attributes:
        glob: joint -> (T, 3, 3) global rotations of the wrist and head chains (elbows, wrists, neck, head...).
        pos: joint -> (T, 3) their positions, root at the origin.
        wrist_body, wrist_expert: (T, 2, 3) global wrist axis-angle (camera frame) of the body estimate and of the
            hand expert (NaN where that source has no estimate).
        head_body, head_face: (T, 3) the same for the head, body estimate and face expert.
    """

    glob: dict[int, np.ndarray]
    pos: dict[int, np.ndarray]
    wrist_body: np.ndarray
    wrist_expert: np.ndarray
    head_body: np.ndarray
    head_face: np.ndarray


@dataclass
class _HandsFused:
    """Stage 3: ``weights`` (T,) per side (``left_hand``, ``right_hand``), the report's ``hands`` entry, swaps."""

    weights: dict[str, np.ndarray]
    report: dict[str, Any]
    swaps: list[dict]


@dataclass
class _FaceFused:
    """Stage 4: the face weight (T,), the report's ``face`` entry and the expression transfer used (or None)."""

    weight: np.ndarray
    report: dict[str, Any]
    transfer: Optional[face_mod.ExpressionTransfer]


@dataclass
class _Smoothing:
    """Stage 5: the frame rate and where it came from, the filter, and its measured lag (frames)."""

    fps: float
    fps_source: str
    spec: temporal.SmoothingSpec
    lag: float


def _timeline(body: BodyEstimate, model: BodyModel, opts: FusionOptions, notes: list[str]) -> _Track:
    """Stage 1: the body's T_b rows on a T-frame timeline of frame ids (gaps filled and marked invalid), hands made
    flat-relative, expression sized to the model's E, invalid frames filled by slerp / linear interpolation."""
    body_src = _source_name(body.source or {}, "body")
    body_ids = np.asarray(body.frame_ids, dtype=np.int64).reshape(-1)
    tb = body_ids.shape[0]
    if tb == 0:
        raise FusionError("the body estimate has no frames", path=body_src, field="frame_ids")
    if tb > 1 and np.any(np.diff(body_ids) <= 0):
        bad = int(np.flatnonzero(np.diff(body_ids) <= 0)[0]) + 1
        raise FusionError(f"frame ids must be sorted and unique (row {bad})", path=body_src, field="frame_ids",
                          frame=int(body_ids[bad]))
    if opts.fill_frame_gaps:
        frame_ids = np.arange(body_ids[0], body_ids[-1] + 1, dtype=np.int64)
        rows = body_ids - body_ids[0]
    else:
        frame_ids = body_ids.copy()
        rows = np.arange(tb)
    t = frame_ids.shape[0]

    go = _rows(body.global_orient, tb, (3,), "global_orient", body_src)
    bp = _rows(body.body_pose, tb, (21, 3), "body_pose", body_src)
    jaw = _rows(body.jaw_pose, tb, (3,), "jaw_pose", body_src)
    leye = _rows(body.leye_pose, tb, (3,), "leye_pose", body_src)
    reye = _rows(body.reye_pose, tb, (3,), "reye_pose", body_src)
    lh = _rows(body.left_hand_pose, tb, (15, 3), "left_hand_pose", body_src)
    rh = _rows(body.right_hand_pose, tb, (15, 3), "right_hand_pose", body_src)
    tr = _rows(body.transl, tb, (3,), "transl", body_src)
    cam_k = np.asarray(body.camera_K, dtype=np.float64)
    cam_k = np.broadcast_to(cam_k, (tb, 3, 3)) if cam_k.shape == (3, 3) else _rows(cam_k, tb, (3, 3), "camera_K",
                                                                                   body_src)
    expr_b = np.asarray(body.expression, dtype=np.float64).reshape(tb, -1)
    betas_b = np.asarray(body.betas, dtype=np.float64)
    betas_b = np.broadcast_to(betas_b, (tb, betas_b.shape[-1])) if betas_b.ndim == 1 else betas_b.reshape(tb, -1)
    try:
        lh = hands_mod.hand_pose_to_flat(lh, model.left_hand_mean, body.hand_pose_relative_to)
        rh = hands_mod.hand_pose_to_flat(rh, model.right_hand_mean, body.hand_pose_relative_to)
    except ValueError as exc:
        raise FusionError(str(exc), path=body_src, field="hand_pose_relative_to") from None
    if body.hand_pose_relative_to == "mean":
        notes.append("body hands: mean-relative -> flat-relative, hands_mean added in axis-angle "
                     "(smplx SMPLX.forward: full_pose += pose_mean)")
    else:
        notes.append("body hands: already flat-relative, copied")

    n_expr = model.num_expression
    if expr_b.shape[1] != n_expr:
        notes.append(f"body expression: {expr_b.shape[1]} coefficients, model has {n_expr}: "
                     f"{'truncated' if expr_b.shape[1] > n_expr else 'zero-padded'}")
    if body.model_variant != model.variant:
        notes.append(f"body estimate drives {body.model_variant}, output model is {model.variant}: "
                     f"pose copied; shape and expression coefficients are not converted between variants")

    full_b = np.concatenate([go[:, None], bp, jaw[:, None], leye[:, None], reye[:, None], lh, rh], axis=1)
    body_valid = np.asarray(body.valid, dtype=bool).reshape(tb) & _finite_rows(full_b, tr, cam_k)
    if not body_valid.any():
        raise FusionError("no valid body frame", path=body_src, field="valid")
    valid = np.zeros(t, dtype=bool)
    valid[rows] = body_valid

    quat = np.zeros((t, NUM_JOINTS, 4))
    quat[..., 0] = 1.0
    quat[rows] = temporal.axis_angle_to_quaternion(np.where(body_valid[:, None, None], full_b, 0.0))
    transl = np.zeros((t, 3))
    transl[rows] = np.where(body_valid[:, None], tr, 0.0)
    k_all = np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
    k_all[rows] = np.where(body_valid[:, None, None], cam_k, np.eye(3))
    expression = np.zeros((t, n_expr))
    ne = min(n_expr, expr_b.shape[1])
    expression[rows, :ne] = np.where(body_valid[:, None], np.nan_to_num(expr_b[:, :ne]), 0.0)
    filled = int(t - valid.sum())
    if filled:
        quat = temporal.fill_gaps_quaternion(quat, valid)
        transl = temporal.fill_gaps_linear(transl, valid)
        k_all = temporal.fill_gaps_linear(k_all, valid)
        expression = temporal.fill_gaps_linear(expression, valid)
        notes.append(f"timeline: {filled} missing / invalid body frames filled (slerp, linear), valid=False")
    return _Track(body_src=body_src, frame_ids=frame_ids, rows=rows, body_valid=body_valid, valid=valid, quat=quat,
                  transl=transl, camera_K=k_all, expression=expression, betas_rows=betas_b, filled=filled,
                  hands_predicted=bool(getattr(body, "hands_predicted", True)))


def _shape(track: _Track, model: BodyModel, opts: FusionOptions, notes: list[str],
           estimate_variant: str = "smplx-v1.1") -> _Shape:
    """Stage 2: one ``betas`` (B,) for the sequence, a robust mean of the (T_b, B) rows over the valid ones where
    they live in the model's shape space (else the model's mean body, zeros: ``FusionOptions.estimator_betas``), and
    the rest vertices (V, 3) and joints (55, 3) of that shape; ``record`` says which and why (provenance ``shape``)."""
    estimate = temporal.robust_betas(track.betas_rows, track.body_valid, method=opts.betas_method)
    applied, record = shape_space.choose_betas(opts.estimator_betas, estimate_variant, model)
    record["estimator_betas"] = [round(float(b), 6) for b in estimate]
    betas = estimate if applied else np.zeros(model.num_betas)
    notes.append(f"betas: one shape per sequence, {opts.betas_method} over {int(track.body_valid.sum())} valid frames"
                 + ("" if applied else f"; not applied: {record['reason']}"))
    rest_vertices = model.shaped_vertices(betas)
    rest_joints = model.joint_regressor @ rest_vertices  # (55, V) @ (V, 3): BLAS, ~5x an unoptimised einsum
    return _Shape(betas=betas, rest_vertices=rest_vertices, rest_joints=rest_joints, record=record)


def _body_chain(track: _Track, shape: _Shape) -> _Chain:
    """The body's chain rotations (local -> global, (T, 3, 3) each) for the wrists and the head, before any expert,
    and the body's seam rotations (T, 2, 3) wrists and (T, 3) head; the experts' seams start as NaN."""
    quat, valid, t = track.quat, track.valid, track.num_frames
    chain_joints = chains.closure(hands_mod.ELBOW_JOINTS + (_NECK,))
    local = {int(j): m for j, m in zip(chain_joints,
                                       np.moveaxis(temporal.quaternion_to_matrix(quat[:, chain_joints]), 1, 0))}
    local[hands_mod.WRIST_JOINTS[0]] = temporal.quaternion_to_matrix(quat[:, hands_mod.WRIST_JOINTS[0]])
    local[hands_mod.WRIST_JOINTS[1]] = temporal.quaternion_to_matrix(quat[:, hands_mod.WRIST_JOINTS[1]])
    local[_HEAD] = temporal.quaternion_to_matrix(quat[:, _HEAD])
    glob, pos = chains.forward_kinematics_subset(local, shape.rest_joints, hands_mod.WRIST_JOINTS + (_HEAD,))
    # per-source global rotations at the seams (camera frame, axis-angle, NaN where that source has no estimate),
    # recorded for core.validate.seams
    chain = _Chain(glob=glob, pos=pos, wrist_body=np.full((t, 2, 3), np.nan), wrist_expert=np.full((t, 2, 3), np.nan),
                   head_body=np.full((t, 3), np.nan), head_face=np.full((t, 3), np.nan))
    for side, wrist_joint in enumerate(hands_mod.WRIST_JOINTS):
        chain.wrist_body[valid, side] = _rotmat_to_axis_angle(glob[wrist_joint][valid])
    chain.head_body[valid] = _rotmat_to_axis_angle(glob[_HEAD][valid])
    return chain


def _fuse_hands(hands: Optional[HandDetections], track: _Track, shape: _Shape, chain: _Chain, opts: FusionOptions,
                notes: list[str]) -> _HandsFused:
    """Stage 3: the hand detections (N rows) assigned per side to the body's projected wrists (mislabeled ones
    swapped), left hands mirrored back, camera-frame wrists made local to the elbow, optionally refined on the
    keypoints, weighted per frame and slerp-blended into ``track.quat``'s wrists and fingers (T, 16, 4) per side;
    ``chain.wrist_expert`` (T, 2, 3) is filled where an expert hand is used."""
    t = track.num_frames
    quat, transl, k_all, frame_ids = track.quat, track.transl, track.camera_K, track.frame_ids
    glob, pos = chain.glob, chain.pos
    weights: dict[str, np.ndarray] = {"left_hand": np.zeros(t), "right_hand": np.zeros(t)}
    hand_report: dict[str, Any] = {"detections": 0}
    swaps: list[dict] = []
    if hands is not None and np.asarray(hands.frame_ids).size:
        hsrc = _source_name(hands.source or {}, "hands")
        n = int(np.asarray(hands.frame_ids).size)
        det_go = _rows(hands.global_orient, n, (3, 3), "global_orient", hsrc)
        det_hp = _rows(hands.hand_pose, n, (15, 3, 3), "hand_pose", hsrc)
        det_kp = None if hands.keypoints_3d is None else _rows(hands.keypoints_3d, n, (21, 3), "keypoints_3d", hsrc)
        det_ok = _finite_rows(det_go, det_hp, _rows(hands.box_center, n, (2,), "box_center", hsrc))
        wrist_cam = np.stack([pos[j] for j in hands_mod.WRIST_JOINTS], axis=1) + transl[:, None]
        wrist_px = hands_mod.project_points(wrist_cam, k_all)
        if opts.wrist_median_frames > 1 and t >= opts.wrist_median_frames:
            # a running median over time keeps one outlier body frame (e.g. turned round) from swapping hands
            from scipy.ndimage import median_filter

            wrist_px = median_filter(wrist_px, size=(opts.wrist_median_frames, 1, 1), mode="nearest")
        det_frames = np.asarray(hands.frame_ids, dtype=np.int64).reshape(n)
        det_frames_usable = np.where(det_ok, det_frames, np.iinfo(np.int64).min)  # unusable rows never match
        assign = hands_mod.assign_hands(frame_ids, det_frames_usable, hands.is_right, hands.box_center,
                                        hands.box_size, hands.score, wrist_px, gate=opts.hand_gate,
                                        swap=opts.swap_hands, swap_ratio=opts.swap_ratio, swap_mode=opts.swap_mode)
        swaps = assign.swaps
        det_quality = confidence.detection_weight(hands.score, hands.box_size, n, opts.min_hand_box_px,
                                                  opts.full_hand_box_px, opts.score_zero, opts.score_full)
        notes.append("hands: left rows (by assigned side) mirrored back, M R M with M = diag(-1, 1, 1) on the "
                     "wrist and all 15 finger rotations, keypoints x -> -x (WiLoR/HaMeR flip left crops)")
        notes.append("hands: local wrist = G_elbow^T @ R_wrist_cam, G_elbow along 0-3-6-9-13-16-18 (left) / "
                     "0-3-6-9-14-17-19 (right) (FrankMocap copy_and_paste g2l, PIXIE pose_abs2rel)")
        swap_text = f"on, {opts.swap_mode}" if opts.swap_hands else "off"
        notes.append(f"hands: assigned by label and proximity to the projected body wrist "
                     f"(gate {opts.hand_gate} box sizes); swaps {swap_text}")
        hand_report.update({"detections": n, "unmatched_detections": assign.unmatched_detections,
                            "gated_out": assign.gated_out, "discarded_swaps": assign.discarded_swaps,
                            "unusable_rows": int(np.count_nonzero(~det_ok))})
        refine_report: dict[str, Any] = {}
        for side in (hands_mod.LEFT, hands_mod.RIGHT):
            name = hands_mod.SIDE_NAMES[side]
            idx = assign.detection_index[:, side]
            avail = idx >= 0
            sel = idx[avail]
            wrist_j = hands_mod.WRIST_JOINTS[side]
            if sel.size == 0:
                hand_report[f"{name}_used"] = 0
                continue
            is_left = np.full(sel.shape[0], side == hands_mod.LEFT)
            # the one un-mirroring: det_go / det_hp / det_kp are as predicted (core.io.wilor), all leave in the camera
            g_cam, fingers, keypoints_cam = hands_mod.unmirror_hand(det_go[sel], det_hp[sel], is_left,
                                                                    None if det_kp is None else det_kp[sel])
            chain.wrist_expert[avail, side] = _rotmat_to_axis_angle(g_cam)
            quality = det_quality[sel] * confidence.agreement_weight(assign.distance[avail, side],
                                                                     opts.agreement_free, opts.agreement_tolerance)
            if opts.refine_wrists and keypoints_cam is not None:
                src, src_w = _fk_points_in_wrist_frame(fingers, side, shape.rest_joints, shape.rest_vertices)
                fit = hands_mod.robust_similarity(src, keypoints_cam, np.broadcast_to(src_w, src.shape[:2]),
                                                  loss=opts.refine_loss, iterations=opts.refine_iterations)
                hand_size = np.linalg.norm(src[:, 9] - src[:, 0], axis=-1)  # wrist -> middle MCP
                rel = fit.rms / np.maximum(fit.scale * hand_size, 1e-6)
                delta = temporal.quaternion_angle(temporal.matrix_to_quaternion(fit.rotation),
                                                  temporal.matrix_to_quaternion(g_cam))
                usable = (np.all(np.isfinite(keypoints_cam), axis=-1) & (src_w > 0)).sum(axis=1) >= 4
                delta = np.where(usable, delta, 0.0)
                g_cam = np.where(usable[:, None, None], fit.rotation, g_cam)  # too few keypoints: keep the expert's
                quality = quality * np.where(usable, np.exp(-0.5 * (rel / 0.25) ** 2), 1.0)
                refine_report[name] = {"frames": int(usable.sum()),
                                       "median_rel_rms": float(np.median(rel[usable])) if usable.any() else None,
                                       "median_rotation_change_deg": float(np.degrees(np.median(delta))),
                                       "max_rotation_change_deg": float(np.degrees(delta.max()))}
            elbow_g = glob[hands_mod.ELBOW_JOINTS[side]][avail]
            local_wrist_rotmat = hands_mod.wrist_global_to_local(elbow_g, g_cam)
            q_wrist = quat[:, wrist_j].copy()
            q_wrist[avail] = temporal.matrix_to_quaternion(local_wrist_rotmat)
            q_fingers = quat[:, _HAND_SLICES[side]].copy()
            q_fingers[avail] = temporal.matrix_to_quaternion(fingers)
            q_global = np.zeros((t, 4))
            q_global[:, 0] = 1.0
            q_global[avail] = temporal.matrix_to_quaternion(g_cam)
            q_full = np.zeros(t)
            q_full[avail] = quality
            if opts.confidence_blend:  # off: the expert as it is wherever present (no spike or quality weights)
                q_full *= confidence.temporal_consistency_weight(q_global, avail, opts.spike_threshold_rad)
            w = confidence.expert_weight(avail, q_full if opts.confidence_blend else None, opts.ramp_frames,
                                         ramp=opts.confidence_blend)
            quat[:, wrist_j] = confidence.blend_quaternions(quat[:, wrist_j], q_wrist, w)
            # a body without predicted hands (GVHMR's mean hand, SMPL's none) holds no finger evidence: where the
            # expert sees the hand its fingers replace the body's outright (ramps only towards unseen frames)
            w_fingers = w if track.hands_predicted else np.where(avail & (q_full > 0), 1.0, w)
            quat[:, _HAND_SLICES[side]] = confidence.blend_quaternions(quat[:, _HAND_SLICES[side]], q_fingers,
                                                                       w_fingers)
            weights[f"{name}_hand"] = w
            hand_report[f"{name}_used"] = int(avail.sum())
        if opts.refine_wrists:
            hand_report["refinement"] = refine_report if det_kp is not None else "no keypoints_3d: skipped"
            if det_kp is not None:
                notes.append(f"hands: wrist refined by robust ({opts.refine_loss}) Kabsch/Umeyama of SMPL-X "
                             f"hand joints (expert fingers) onto the expert keypoints")
    return _HandsFused(weights=weights, report=hand_report, swaps=swaps)


def _fuse_face(face: Optional[FaceEstimate], track: _Track, chain: _Chain, model: BodyModel, opts: FusionOptions,
               notes: list[str]) -> _FaceFused:
    """Stage 4: the face expert's rows matched to the T frames by frame id; its jaw (T, 4) blended into
    ``track.quat``, its expression mapped to the model's E coefficients and blended into ``track.expression``
    (T, E), optionally its head orientation into ``track.quat``'s head; ``chain.head_face`` (T, 3) filled."""
    t = track.num_frames
    quat, frame_ids = track.quat, track.frame_ids
    weight = np.zeros(t)
    face_report: dict[str, Any] = {"rows": 0}
    transfer: Optional[face_mod.ExpressionTransfer] = None
    if face is not None and opts.use_face and np.asarray(face.frame_ids).size:
        fsrc = _source_name(face.source or {}, "face")
        nf = int(np.asarray(face.frame_ids).size)
        f_ids = np.asarray(face.frame_ids, dtype=np.int64).reshape(nf)
        f_expr = np.asarray(face.expression, dtype=np.float64).reshape(nf, -1)
        f_jaw = _rows(face.jaw_pose, nf, (3,), "jaw_pose", fsrc)
        f_glob = _rows(face.global_pose, nf, (3,), "global_pose", fsrc)
        f_row, f_match = _match_rows(frame_ids, f_ids)
        f_ok = f_match & np.asarray(face.valid, dtype=bool).reshape(nf) & _finite_rows(f_expr, f_jaw, f_glob)
        r = f_row[f_ok]
        avail = np.zeros(t, dtype=bool)
        avail[r] = True
        transfer = face_mod.choose_expression_transfer(
            opts.expression_route, model.variant, model.num_expression, model.expression_dirs,
            opts.flame_expression_dirs, opts.flame_vertex_ids, opts.expression_tikhonov, mapper=opts.expression_mapper)
        quality_rows = np.ones(r.shape[0])
        if face.bbox is not None:
            bbox = _rows(face.bbox, nf, (4,), "bbox", fsrc)[f_ok]
            size = np.maximum(bbox[:, 2] - bbox[:, 0], bbox[:, 3] - bbox[:, 1])
            quality_rows = quality_rows * confidence.smoothstep(np.nan_to_num(size), opts.min_face_box_px,
                                                                opts.full_face_box_px)
            head_px = hands_mod.project_points((chain.pos[_HEAD] + track.transl)[r][:, None], track.camera_K[r])[:, 0]
            centre = 0.5 * (bbox[:, :2] + bbox[:, 2:])
            dist = np.linalg.norm(centre - head_px, axis=-1) / np.maximum(size, 1.0)
            quality_rows = quality_rows * confidence.agreement_weight(dist, opts.agreement_free,
                                                                      opts.agreement_tolerance)
        chain.head_face[r] = _rotmat_to_axis_angle(face_mod.flame_global_to_camera(
            temporal.quaternion_to_matrix(temporal.axis_angle_to_quaternion(f_glob[f_ok])), opts.face_axes))
        q_jaw_face = quat[:, _JAW].copy()
        q_jaw_face[r] = temporal.axis_angle_to_quaternion(face_mod.emoca_jaw_to_smplx(f_jaw[f_ok]))
        quality = np.zeros(t)
        quality[r] = quality_rows
        if opts.confidence_blend:  # off: the expert as it is wherever present (no spike or quality weights)
            quality *= confidence.temporal_consistency_weight(q_jaw_face, avail, opts.spike_threshold_rad)
        w = confidence.expert_weight(avail, quality if opts.confidence_blend else None, opts.ramp_frames,
                                     ramp=opts.confidence_blend)
        quat[:, _JAW] = confidence.blend_quaternions(quat[:, _JAW], q_jaw_face, w)
        expr_face = track.expression.copy()
        expr_face[r] = transfer.apply(f_expr[f_ok], f_jaw[f_ok])
        track.expression = confidence.blend_linear(track.expression, expr_face, w)
        notes.append("face: jaw = EMOCA posecode[3:6] copied to SMPL-X jaw_pose")
        notes.append(f"face: expression route '{transfer.route}': {transfer.note}")
        if opts.fuse_head:
            r_head_cam = face_mod.flame_global_to_camera(
                temporal.quaternion_to_matrix(temporal.axis_angle_to_quaternion(f_glob[f_ok])), opts.face_axes)
            local_head = face_mod.head_global_to_local(chain.glob[_NECK][r], r_head_cam)
            q_head = quat[:, _HEAD].copy()
            q_head[r] = temporal.matrix_to_quaternion(local_head)
            quat[:, _HEAD] = confidence.blend_quaternions(quat[:, _HEAD], q_head,
                                                          np.clip(w * opts.head_weight, 0.0, 1.0))
            notes.append(f"face: head local = G_neck^T @ R_head_cam along 0-3-6-9-12 (PIXIE pose_abs2rel); "
                         f"EMOCA global pose axes '{opts.face_axes}'"
                         + (" -> OpenCV via diag(1, -1, -1) (EMOCA negates y, z after batch_orth_proj)"
                            if opts.face_axes == "flame" else ""))
        weight = w
        face_report = {"rows": nf, "used": int(avail.sum()), "unmatched_rows": int(np.count_nonzero(~f_match)),
                       "expression_route": transfer.route}
    elif face is not None:
        face_report = {"rows": int(np.asarray(face.frame_ids).size), "used": 0, "note": "use_face is off"}
    return _FaceFused(weight=weight, report=face_report, transfer=transfer)


def _smooth(track: _Track, body: BodyEstimate, opts: FusionOptions, notes: list[str]) -> _Smoothing:
    """Stage 5: zero-phase filtering of ``track.quat`` (T, 55, 4) (sign-continuous), ``track.transl`` (T, 3) and
    ``track.expression`` (T, E) at the sequence's frame rate, and the filter's lag measured."""
    spec = opts.smoothing_spec()
    fps = opts.fps if opts.fps else (body.source or {}).get("fps")
    fps_source = "options" if opts.fps else ("body source" if fps else "default")
    fps = float(fps) if fps else 30.0
    lag = 0.0
    if spec.method != "none":
        track.quat = temporal.smooth_quaternions(track.quat, fps, spec)
        track.transl = temporal.smooth_translation(track.transl, fps, spec)
        if opts.smooth_expression:
            track.expression = temporal.smooth_array(track.expression, fps, spec)
        lag = temporal.measure_lag(lambda x: temporal.smooth_array(x, fps, spec),
                                   period=max(fps, 8.0), length=max(256, int(8 * fps)))
        detail = (f"cut-off {opts.cutoff_hz:g} Hz, order {opts.filter_order} x2 (filtfilt)"
                  if spec.method == "butterworth" else f"window {opts.savgol_window}, order {opts.savgol_polyorder}")
        notes.append(f"temporal: zero-phase {spec.method} ({detail}) on sign-continuous quaternions of all 55 "
                     f"joints, translation{', expression' if opts.smooth_expression else ''}; "
                     f"measured lag {lag:+.3f} frames at {fps:g} fps")
    return _Smoothing(fps=fps, fps_source=fps_source, spec=spec, lag=lag)


def _assemble(track: _Track, shape: _Shape, chain: _Chain, weights: dict[str, np.ndarray], body: BodyEstimate,
              face: Optional[FaceEstimate], hands: Optional[HandDetections], model: BodyModel, opts: FusionOptions,
              notes: list[str], face_fused: _FaceFused, smoothing: _Smoothing) -> tuple[FusedSequence, np.ndarray]:
    """Stage 6: the body's own weight (T,) added to ``weights`` (as ``body``); the fused sequence (axis-angle
    (T, 55, 3) split into its parts, provenance JSON, seams and part weights (T, 4) in the extras) and the
    ``part_confidence`` (T, 3) of body, face and hands."""
    t, tb, rows, valid = track.num_frames, track.num_rows, track.rows, track.valid
    frame_ids, k_all, transfer = track.frame_ids, track.camera_K, face_fused.transfer
    full_aa = temporal.quaternion_to_axis_angle(track.quat)
    body_quality = np.ones(t)
    if body.score is not None:
        sc = np.zeros(t)
        sc[rows] = confidence.smoothstep(np.nan_to_num(np.asarray(body.score, dtype=np.float64).reshape(tb)),
                                         opts.score_zero, opts.score_full)
        body_quality *= sc
    if body.bbox is not None:
        bb = np.asarray(body.bbox, dtype=np.float64).reshape(tb, 4)
        sz = np.zeros(t)
        sz[rows] = np.nan_to_num(np.maximum(bb[:, 2] - bb[:, 0], bb[:, 3] - bb[:, 1]))
        body_quality *= confidence.smoothstep(sz, opts.min_body_box_px, opts.full_body_box_px)
    w_body = confidence.expert_weight(valid, body_quality, opts.ramp_frames, ramp=opts.confidence_blend)
    weights["body"] = w_body
    hands_w = 0.5 * (weights["left_hand"] + weights["right_hand"])
    part_conf = confidence.part_confidence(w_body, weights["face"], hands_w)

    image_size = body.image_size
    size_source = "body"
    if image_size is None and hands is not None and hands.image_size is not None:
        image_size, size_source = hands.image_size, "hands"
    if image_size is None:  # no input says it: a placeholder consistent with K, flagged unknown (issue 20)
        k0 = k_all[int(np.argmax(valid))]
        image_size, size_source = np.array([2.0 * k0[0, 2], 2.0 * k0[1, 2]]), "unknown"
        notes.append("image size: no input gives it; image_size is a placeholder (the body camera's principal point "
                     "x 2), flagged unknown; give the footage (fuse --footage / --image-size, or fit-camera --footage)")
    image_size = np.asarray(image_size, dtype=np.float64).reshape(2)
    world_extras = _world_extras(track, body, notes)  # before the provenance: its note belongs there

    provenance = {
        "producer": "core.fusion.pipeline.fuse", "schema": SCHEMA,
        "inputs": {"body": body.source or {}, "face": (face.source or {}) if face is not None else None,
                   "hands": (hands.source or {}) if hands is not None else None, "model": model.path},
        "model": {"variant": model.variant, "gender": model.gender, "num_expression": model.num_expression},
        "body_variant": body.model_variant, "shape": shape.record,
        "frames": {"first": int(frame_ids[0]), "last": int(frame_ids[-1]), "count": t, "filled": track.filled},
        "conventions": notes,
        "expression_transfer": None if transfer is None else {"route": transfer.route, "note": transfer.note},
        "options": opts.as_json(),
        "fps_source": smoothing.fps_source, "image_size_source": size_source,
    }
    seq = FusedSequence(
        fps=smoothing.fps, gender=model.gender, model_variant=model.variant, betas=shape.betas,
        expression=track.expression, global_orient=full_aa[:, 0], body_pose=full_aa[:, 1:22],
        jaw_pose=full_aa[:, _JAW], leye_pose=full_aa[:, 23], reye_pose=full_aa[:, 24],
        left_hand_pose=full_aa[:, LEFT_HAND], right_hand_pose=full_aa[:, RIGHT_HAND], transl=track.transl,
        camera_K=k_all, image_size=image_size, part_confidence=part_conf, valid=valid,
        provenance=json.dumps(provenance, default=str),
        extras={"frame_ids": frame_ids,
                "seam_wrist_global_body": chain.wrist_body,
                "seam_wrist_global_expert": chain.wrist_expert,
                "seam_head_global_body": chain.head_body,
                "seam_head_global_face": chain.head_face,
                PART_WEIGHTS_KEY: np.stack([weights["body"], weights["face"], weights["left_hand"],
                                            weights["right_hand"]], axis=1)},
    )
    if body.person_id is not None:
        seq.extras["track_id"] = np.array(int(body.person_id))
    seq.extras.update(world_extras)
    if size_source == "unknown":
        seq.extras[IMAGE_SIZE_KNOWN_KEY] = np.array(False)
    return seq, part_conf


def _world_extras(track: _Track, body: BodyEstimate, notes: list[str]) -> dict[str, np.ndarray]:
    """Schema 1.1: the body's per-row ``world_from_camera`` (T_b, 4, 4) on the T output frames (frames without a
    valid body row take the nearest valid row's camera) and ``world_up`` (3,); empty for camera-only bodies."""
    world_rows = getattr(body, "world_from_camera", None)
    if world_rows is None:
        return {}
    world_rows = np.asarray(world_rows, dtype=np.float64).reshape(track.num_rows, 4, 4)
    ok = track.body_valid & np.isfinite(world_rows).all(axis=(1, 2))
    if not ok.any():
        return {}
    world = np.broadcast_to(np.eye(4), (track.num_frames, 4, 4)).copy()
    have = np.zeros(track.num_frames, dtype=bool)
    world[track.rows[ok]] = world_rows[ok]
    have[track.rows[ok]] = True
    idx = np.flatnonzero(have)
    nearest = idx[np.clip(np.searchsorted(idx, np.arange(track.num_frames)), 0, idx.size - 1)]
    prev = idx[np.clip(np.searchsorted(idx, np.arange(track.num_frames)) - 1, 0, idx.size - 1)]
    pick = np.where(np.abs(np.arange(track.num_frames) - prev) <= np.abs(nearest - np.arange(track.num_frames)),
                    prev, nearest)
    world[~have] = world[pick[~have]]
    up = getattr(body, "world_up", None)
    up = np.array([0.0, 1.0, 0.0]) if up is None else np.asarray(up, dtype=np.float64).reshape(3)
    notes.append("world (schema 1.1): the body's world_from_camera carried per frame (fusion stays in the camera "
                 "frame; a camera-frame point x is R x + p in the world), gaps take the nearest frame's camera")
    return {"world_from_camera": world, "world_up": up / np.linalg.norm(up)}


def _report(track: _Track, weights: dict[str, np.ndarray], part_conf: np.ndarray, hands_fused: _HandsFused,
            face_fused: _FaceFused, smoothing: _Smoothing, timings: dict[str, float]) -> dict:
    """The CLI's summary of a fused take: frames, swaps, fallbacks (segments on the body's own estimate, per
    (T,) weight), smoothing lag, counts per part, mean part confidence (of (T, 3)), timings."""
    frame_ids, valid = track.frame_ids, track.valid

    def fallback(w: np.ndarray) -> dict:
        missing = w <= 0.0
        segs = confidence.missing_segments(~missing)
        return {"frames_on_body_estimate": int(missing.sum()), "partial_frames": int(((w > 0) & (w < 1)).sum()),
                "segments": [[int(frame_ids[a]), int(frame_ids[b])] for a, b in segs[:50]],
                "segment_count": len(segs)}

    transfer = face_fused.transfer
    return {
        "frames": track.num_frames, "first_frame": int(frame_ids[0]), "last_frame": int(frame_ids[-1]),
        "body_rows": track.num_rows, "valid_frames": int(valid.sum()), "filled_frames": track.filled,
        "fps": smoothing.fps, "fps_source": smoothing.fps_source,
        "swaps": hands_fused.swaps, "swap_count": len(hands_fused.swaps),
        "fallbacks": {"face": fallback(weights["face"]), "left_hand": fallback(weights["left_hand"]),
                      "right_hand": fallback(weights["right_hand"])},
        "smoothing": {"method": smoothing.spec.method, "lag_frames": smoothing.lag},
        "counts": {"body": int(valid.sum()), "face": face_fused.report, "hands": hands_fused.report},
        "mean_part_confidence": {p: float(part_conf[:, i].mean()) for i, p in enumerate(("body", "face", "hands"))},
        "expression_route": None if transfer is None else transfer.route,
        "timings_s": timings,
    }


__all__ = ["FusionOptions", "FusionResult", "fuse"]
