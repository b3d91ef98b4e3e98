"""2D evidence for the camera fit: where each estimator, through its own crop camera, says the points are.

Each estimator renders its own 3D output through its own camera, and that rendering is what it saw in the image:
- body (SMPLer-X / SMPLest-X ...): its joints 0-21 (its pose, its per-frame betas and expression) plus its
  ``transl`` through its per-frame virtual camera ``camera_K`` (focal 5000 on the 192 x 256 crop, scaled by the box);
- hands (WiLoR / HaMeR): ``pred_keypoints_3d`` plus ``cam_crop_to_full(pred_cam)`` through the full-image camera
  of focal ``5000 / 256 * max(W, H)`` at the image centre; ``tx`` is un-mirrored by the detection's own label
  (the flipped crop), each detection assigned to a side by label and proximity (:func:`core.fusion.hands.assign_hands`);
- face (EMOCA): the face position from the face box, or from the orthographic crop camera when it is given
  (:func:`core.camera.conversions.emoca_face_position`).
Without a body estimate the fused file's own per-frame camera (the body regressor's, as fused) stands in for it.
- 2D keypoints of a detector run on the footage (:mod:`core.camera.keypoints2d`), when given, replace the crop
  evidence of the groups they cover: they carry the real camera's perspective, which the crop cameras do not. When
  they cover the body, the face box's position is dropped too: it is no perspective projection of a model point
  (a box centre), and beside true-perspective keypoints its offset biases the focal (about half of the focal error
  of ``bench/camera_fit.py``'s keypoint fit before this rule).

Evidence is laid out like :mod:`core.camera.points` (65 points per frame): ``uv`` (T, 65, 2) pixels, NaN where
there is none, and ``weight`` (T, 65), 0 there. Group weights are spread over a group's points, so the body, each
hand and the face count as :data:`GROUP_WEIGHTS` per frame whatever their number of points.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from ..body.model import BodyModel
from ..contracts.estimates import BodyEstimate, FaceEstimate, HandDetections
from ..contracts.fused_file import FusedSequence
from ..fusion.hands import assign_hands, hand_pose_to_flat
from .conversions import (
    check_image_size,
    emoca_face_position,
    intrinsics_matrix,
    project,
    wilor_crop_to_full,
    wilor_full_focal,
)
from .errors import CameraError
from .keypoints2d import Keypoints2D, frame_rows, keypoints_as_points
from .points import NUM_POINTS, POINT_GROUPS, ModelPoints, posed_points

GROUP_WEIGHTS: dict[str, float] = {"body": 1.0, "left_hand": 0.5, "right_hand": 0.5, "face": 0.25, "head": 0.25,
                                   "feet": 0.25}
_HAND_GROUPS = ("left_hand", "right_hand")


@dataclass
class Evidence:
    """2D evidence for T frames in the :mod:`core.camera.points` layout.

    Attributes:
        uv: (T, 65, 2) pixels, NaN where there is no evidence.
        weight: (T, 65) >= 0, 0 where there is none.
        image_size: (2,) W, H of the image the pixels refer to.
        sources: group -> where its evidence came from.
        notes: decisions taken while reading (mirroring, missing boxes ...).
    """

    uv: np.ndarray
    weight: np.ndarray
    image_size: np.ndarray
    sources: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(self.uv.shape[0])

    def frames_with_evidence(self) -> np.ndarray:
        """(T,) bool: frames with at least one weighted point."""
        return (self.weight > 0).any(axis=1)


def fused_camera_evidence(seq: FusedSequence, points: ModelPoints) -> np.ndarray:
    """(T, 65, 2) the sequence's points through its own per-frame camera and translation."""
    return project(points.points + np.asarray(seq.transl, dtype=np.float64)[:, None], seq.camera_K_per_frame())


def body_crop_evidence(body: BodyEstimate, model: BodyModel, frame_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The body estimator's joints 0-21 through its own per-frame camera.

    Returns:
        ``uv`` (T, 22, 2) pixels (NaN on frames without a valid body row) and ``score`` (T,) in [0, 1].
    """
    n = int(np.asarray(body.frame_ids).size)
    t = int(np.asarray(frame_ids).size)
    lh = hand_pose_to_flat(np.asarray(body.left_hand_pose).reshape(n, 15, 3), model.left_hand_mean,
                           body.hand_pose_relative_to)
    rh = hand_pose_to_flat(np.asarray(body.right_hand_pose).reshape(n, 15, 3), model.right_hand_mean,
                           body.hand_pose_relative_to)
    full = np.concatenate([np.asarray(a, dtype=np.float64).reshape(n, -1, 3) for a in (
        body.global_orient, body.body_pose, body.jaw_pose, body.leye_pose, body.reye_pose)] + [lh, rh], axis=1)
    betas = np.asarray(body.betas, dtype=np.float64)
    betas = np.broadcast_to(betas, (n, betas.shape[-1])) if betas.ndim == 1 else betas.reshape(n, -1)
    ok = np.asarray(body.valid, dtype=bool).reshape(n) & np.all(np.isfinite(full.reshape(n, -1)), axis=1) \
        & np.all(np.isfinite(np.asarray(body.transl).reshape(n, 3)), axis=1) & np.all(np.isfinite(betas), axis=1)
    k = np.broadcast_to(np.asarray(body.camera_K, dtype=np.float64), (n, 3, 3))
    ok &= np.all(np.isfinite(k.reshape(n, 9)), axis=1)
    clean = lambda a: np.where(ok.reshape((n,) + (1,) * (a.ndim - 1)), a, 0.0)  # noqa: E731
    expr = np.asarray(body.expression, dtype=np.float64).reshape(n, -1)
    pts = posed_points(clean(full), clean(betas), clean(np.nan_to_num(expr)), model).points[:, POINT_GROUPS["body"]]
    k_safe = np.where(ok[:, None, None], k, np.eye(3))
    uv_rows = project(pts + clean(np.asarray(body.transl, dtype=np.float64).reshape(n, 3))[:, None], k_safe)
    row, matched = frame_rows(frame_ids, body.frame_ids)
    use = matched & ok
    uv = np.full((t, 22, 2), np.nan)
    uv[row[use]] = uv_rows[use]
    score = np.zeros(t)
    s = np.ones(n) if body.score is None else np.clip(np.nan_to_num(np.asarray(body.score, dtype=np.float64)), 0, 1)
    score[row[use]] = s[use]
    return uv, score


def hand_crop_evidence(hands: HandDetections, frame_ids: np.ndarray, image_size: np.ndarray,
                       wrist_px: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each hand expert's keypoints through its own full-image camera.

    Args:
        hands: the detections (rotations and ``pred_cam`` as predicted, see
            :class:`core.contracts.estimates.HandDetections`).
        frame_ids: (T,) output frames; image_size: (W, H).
        wrist_px: (T, 2, 2) the body's projected (left, right) wrists, for the side assignment.
    Returns:
        ``uv`` (T, 42, 2) (left then right, OpenPose order), ``score`` (T, 2), notes.
    """
    t = int(np.asarray(frame_ids).size)
    uv = np.full((t, 2, 21, 2), np.nan)
    score = np.zeros((t, 2))
    notes: list[str] = []
    if hands.keypoints_3d is None:
        return uv.reshape(t, 42, 2), score, ["hands: no keypoints_3d in the dumps; no hand evidence"]
    n = int(np.asarray(hands.frame_ids).size)
    centre = np.asarray(hands.box_center, dtype=np.float64).reshape(n, 2)
    size = np.asarray(hands.box_size, dtype=np.float64).reshape(n)
    ok = np.all(np.isfinite(centre), axis=1) & np.isfinite(size) & (size > 0) \
        & np.all(np.isfinite(np.asarray(hands.pred_cam).reshape(n, 3)), axis=1) \
        & np.all(np.isfinite(np.asarray(hands.keypoints_3d).reshape(n, -1)), axis=1)
    det_frames = np.where(ok, np.asarray(hands.frame_ids, dtype=np.int64), np.iinfo(np.int64).min)
    assign = assign_hands(frame_ids, det_frames, hands.is_right, centre, size, hands.score, wrist_px)
    det = assign.detection_index.reshape(-1)
    rows = np.repeat(np.arange(t), 2)
    side = np.tile(np.array([0, 1]), t)
    have = det >= 0
    det, rows, side = det[have], rows[have], side[have]
    if det.size == 0:
        return uv.reshape(t, 42, 2), score, ["hands: no detection matched a frame and a side"]
    is_right = np.asarray(hands.is_right, dtype=bool)[det]
    multiplier = np.where(is_right, 1.0, -1.0)  # demo.py: the flipped crop's x, by the detection's own label
    cam = np.asarray(hands.pred_cam, dtype=np.float64)[det].copy()
    cam[:, 1] *= multiplier
    # keypoints as predicted (core.io.wilor: left rows still mirrored, the reader flips back dumps that saved them
    # un-mirrored), so the same label-driven un-mirroring as tx
    kp = np.asarray(hands.keypoints_3d, dtype=np.float64)[det].copy()
    kp[..., 0] *= multiplier[:, None]
    transl = wilor_crop_to_full(cam, centre[det], size[det], image_size)
    k_full = intrinsics_matrix(wilor_full_focal(image_size), np.asarray(image_size, dtype=np.float64) / 2.0)
    uv[rows, side] = project(kp + transl[:, None], k_full)
    det_score = np.ones(n) if hands.score is None else np.clip(np.nan_to_num(np.asarray(hands.score)), 0.0, 1.0)
    score[rows, side] = det_score[det]
    if assign.swaps:
        notes.append(f"hands: {len(assign.swaps)} detection(s) used for the other side than labelled")
    return uv.reshape(t, 42, 2), score, notes


def face_crop_evidence(face: FaceEstimate, frame_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """The face expert's face position per frame: ``uv`` (T, 2) (NaN where none), ``present`` (T,) bool, a note."""
    t = int(np.asarray(frame_ids).size)
    uv = np.full((t, 2), np.nan)
    if face.bbox is None:
        return uv, np.zeros(t, dtype=bool), ("face: no face boxes given (EMOCA's save_codes keeps none); "
                                             "no face evidence")
    n = int(np.asarray(face.frame_ids).size)
    bbox = np.asarray(face.bbox, dtype=np.float64).reshape(n, 4)
    cam = None if face.cam is None else np.asarray(face.cam, dtype=np.float64).reshape(n, 3)
    ok = np.asarray(face.valid, dtype=bool).reshape(n) & np.all(np.isfinite(bbox), axis=1)
    if cam is not None:
        ok &= np.all(np.isfinite(cam), axis=1)
    safe_box = np.where(ok[:, None], bbox, np.array([0.0, 0.0, 1.0, 1.0]))
    safe_cam = None if cam is None else np.where(ok[:, None], cam, np.array([1.0, 0.0, 0.0]))
    pos = emoca_face_position(safe_box, safe_cam)
    row, matched = frame_rows(frame_ids, face.frame_ids)
    use = matched & ok
    uv[row[use]] = pos[use]
    present = np.zeros(t, dtype=bool)
    present[row[use]] = True
    how = "the orthographic crop camera placed by the face box" if cam is not None else "the face box centre"
    return uv, present, f"face: position from {how}"


def sequence_frame_ids(seq: FusedSequence) -> np.ndarray:
    """(T,) footage frame of each row: the file's ``frame_ids`` extra when present, else 0 .. T-1."""
    ids = seq.extras.get("frame_ids")
    if ids is not None and np.asarray(ids).shape == (seq.num_frames,):
        return np.asarray(ids, dtype=np.int64)
    return np.arange(seq.num_frames, dtype=np.int64)


def _frames_text(ids: np.ndarray) -> str:
    ids = np.unique(np.asarray(ids, dtype=np.int64).reshape(-1))
    if ids.size == 0:
        return "no frames"
    if ids.size == 1:
        return f"frame {int(ids[0])}"
    return f"{ids.size} frames {int(ids[0])}-{int(ids[-1])}"


def match_frames(frame_ids: np.ndarray, ids: np.ndarray, what: str, where: object) -> tuple[np.ndarray, Optional[str]]:
    """The frame ids of another input's rows, matched to the take's ``frame_ids`` (T,).

    A file for one image matches a one-frame take whatever its number (a photo's name says frame 2, a keypoint file
    written for it says 0): its rows all take the take's frame, and a note says so. Otherwise the ids must meet the
    take's: none in common is an error naming both (``what`` at ``where`` and the fused take's frames).

    Returns:
        ``(ids (N,) int64, note or None)``.
    """
    take = np.asarray(frame_ids, dtype=np.int64).reshape(-1)
    rows = np.asarray(ids, dtype=np.int64).reshape(-1)
    if rows.size == 0:
        return rows, None
    own = np.unique(rows)
    if take.size == 1 and own.size == 1:
        if own[0] == take[0]:
            return rows, None
        return np.full(rows.shape, take[0]), (f"{what}: one image ({_frames_text(own)}) matched to the take's one "
                                              f"frame ({_frames_text(take)})")
    if not np.isin(own, take).any():
        raise CameraError(f"{what} has {_frames_text(own)} and the fused take {_frames_text(take)}: no frame in "
                          f"common (give the files of the same footage, or number them alike)",
                          path=where, field="frame_ids")
    return rows, None


def _where(source: Optional[dict]) -> Optional[str]:
    return (source or {}).get("path") if isinstance(source, dict) else None


def build_evidence(seq: FusedSequence, points: ModelPoints, model: BodyModel, *,
                   body: Optional[BodyEstimate] = None, hands: Optional[HandDetections] = None,
                   face: Optional[FaceEstimate] = None, image_size: Optional[np.ndarray] = None,
                   group_weights: Optional[dict] = None, keypoints2d: Optional[Keypoints2D] = None) -> Evidence:
    """All the 2D evidence for ``seq`` (see the module notes).

    Args:
        seq: the fused sequence; points: its :func:`core.camera.points.sequence_points`.
        body, hands, face: the estimators' outputs (any may be None).
        image_size: (W, H) of the estimators' images; default the fused file's.
        group_weights: per-frame weight of each group (default :data:`GROUP_WEIGHTS`).
        keypoints2d: a 2D detector's keypoints (:mod:`core.camera.keypoints2d`); where they cover a group (body,
            a hand) they replace the crop-camera evidence of that group, each point weighted by its confidence;
            when they cover the body the face box's position is not used (see the module notes).
    Returns:
        :class:`Evidence`.
    """
    weights = dict(GROUP_WEIGHTS if group_weights is None else group_weights)
    size = check_image_size(seq.image_size if image_size is None else image_size)
    t = seq.num_frames
    frame_ids = sequence_frame_ids(seq)
    uv = np.full((t, NUM_POINTS, 2), np.nan)
    w = np.zeros((t, NUM_POINTS))
    sources: dict[str, str] = {}
    notes: list[str] = []

    def put(group: str, values: np.ndarray, frame_weight: np.ndarray) -> None:
        """Fill a group: values (T, n, 2), frame_weight (T,) per frame or (T, n) per point."""
        sl = POINT_GROUPS[group]
        n_pts = sl.stop - sl.start
        finite = np.all(np.isfinite(values), axis=-1)
        fw = frame_weight[:, None] if frame_weight.ndim == 1 else frame_weight
        uv[:, sl] = np.where(finite[..., None], values, np.nan)
        w[:, sl] = np.where(finite, fw * weights.get(group, 0.0) / n_pts, 0.0)

    fused_uv = fused_camera_evidence(seq, points)
    valid = np.asarray(seq.valid, dtype=bool)
    if body is not None:
        ids, note = match_frames(frame_ids, body.frame_ids, "the body estimate", _where(body.source))
        body = replace(body, frame_ids=ids)
        notes += [note] if note else []
        body_uv, body_score = body_crop_evidence(body, model, frame_ids)
        put("body", body_uv, body_score)
        sources["body"] = "the body estimator's joints through its per-frame crop camera"
        if not np.isfinite(body_uv).any():
            raise CameraError(f"no valid body row on the fused take's {_frames_text(frame_ids)}",
                              path=_where(body.source), field="frame_ids")
    else:
        put("body", fused_uv[:, POINT_GROUPS["body"]], valid.astype(np.float64))
        sources["body"] = "the fused file's per-frame camera and translation (the body regressor's)"
    if hands is not None:
        ids, note = match_frames(frame_ids, hands.frame_ids, "the hand detections", _where(hands.source))
        hands = replace(hands, frame_ids=ids)
        notes += [note] if note else []
        wrist_px = fused_uv[:, [POINT_GROUPS["left_hand"].start, POINT_GROUPS["right_hand"].start]]
        hand_uv, hand_score, hand_notes = hand_crop_evidence(hands, frame_ids, size, wrist_px)
        for i, g in enumerate(_HAND_GROUPS):
            put(g, hand_uv[:, 21 * i:21 * (i + 1)], hand_score[:, i])
        sources["hands"] = "the hand expert's keypoints through its full-image camera (cam_crop_to_full)"
        notes += hand_notes
    if face is not None:
        ids, note = match_frames(frame_ids, face.frame_ids, "the face estimate", _where(face.source))
        face = replace(face, frame_ids=ids)
        notes += [note] if note else []
        face_uv, present, note = face_crop_evidence(face, frame_ids)
        put("face", face_uv[:, None], present.astype(np.float64))
        sources["face"] = note.removeprefix("face: ")
        notes.append(note)
    if keypoints2d is not None:
        name = keypoints2d.path.name if keypoints2d.path is not None else "2D keypoints"
        ids, note = match_frames(frame_ids, keypoints2d.frame_ids, f"the 2D keypoints {name}", keypoints2d.path)
        keypoints2d = replace(keypoints2d, frame_ids=ids)
        notes += [note] if note else []
        # with several people in the file, each row takes the one whose box overlaps the body estimate's most
        reference_uv = body_uv if body is not None else fused_uv[:, POINT_GROUPS["body"]]
        kp_uv, kp_conf = keypoints_as_points(keypoints2d, frame_ids, size, reference_uv=reference_uv)
        for group in ("body", "head", "feet", "left_hand", "right_hand"):
            sl = POINT_GROUPS[group]
            if not (kp_conf[:, sl] > 0).any():
                continue
            put(group, kp_uv[:, sl], kp_conf[:, sl])
            sources[group] = f"2D keypoints ({name}), the real camera's perspective"
        if not (kp_conf > 0).any():
            raise CameraError(f"no confident keypoint on the fused take's {_frames_text(frame_ids)}",
                              path=keypoints2d.path, field="keypoints")
        if "face" in sources and (kp_conf[:, POINT_GROUPS["body"]] > 0).any():
            # the face box centre is not the projection of a model point through the real camera; beside true
            # perspective keypoints its offset pulls the focal (measured: bench/camera_fit.py), so it goes
            sl = POINT_GROUPS["face"]
            uv[:, sl], w[:, sl] = np.nan, 0.0
            sources["face"] = f"not used: the 2D keypoints ({name}) carry the real perspective, the face box does not"
            notes.append("face: the face box's position is not used beside 2D keypoints (it is no perspective "
                         "projection of a model point, and its offset biases the focal)")
    return Evidence(uv=uv, weight=w, image_size=size, sources=sources, notes=notes)


__all__ = ["GROUP_WEIGHTS", "Evidence", "fused_camera_evidence", "body_crop_evidence",
           "hand_crop_evidence", "face_crop_evidence", "sequence_frame_ids", "match_frames", "build_evidence"]
