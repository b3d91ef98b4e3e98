"""A clip with several people: one camera, tracks, each person's own hands and face, one fused sequence per track.

:func:`fuse_clip` takes every person a body estimator saw (one :class:`BodyEstimate` per person index: SMPLer-X's
per-frame rank ``bbox_id``, or PHALP's track id), every face and every hand detection, and:

1. **one camera**: every body row is moved into one shared pinhole camera ``K`` (focal ``focal_px``, principal
   point at the image centre) with :func:`core.camera.conversions.convert_translation`, which keeps the pelvis's
   pixel and apparent size (depth scales by ``f_shared / f_row``). Without a focal from ``fit-camera`` the shared
   focal is CLIFF's estimate for an unknown camera, ``sqrt(W^2 + H^2)`` (a 53 degree diagonal field of view;
   CLIFF ``demo.py`` ``estimate_focal_length``). SMPLer-X's crop cameras change with every box, so without this
   step their depths are not even comparable between frames;
2. **tracks**: the rows are linked by :func:`core.tracking.link_detections` (box overlap, 3D root distance in the
   shared camera, pose and shape similarity); an estimator's own track ids (PHALP) are kept;
3. **hands and faces**: per frame one optimal one-to-one assignment of the detections to every track's projected
   wrists (with forearm directions) and heads (:mod:`core.fusion.assignment`); unclaimed detections are reported;
4. **fusion**: :func:`core.fusion.pipeline.fuse` per track, with that track's body rows, its hands (relabelled to
   the side they were assigned) and its face rows; the sequence carries ``track_id``. Every track's sequence spans
   the whole clip (row i is the same footage frame in every file), ``valid`` False where the person is not seen.
   Each track is fused over its own first to last frame and then padded to the clip (held values, ``valid`` and
   confidences off), so a person seen for a second in a long clip costs a second.

Speed: the per-row work is done once for all rows of all people (the shared camera, the stacked rows each track
indexes, the wrists and heads the assignment needs); tracking solves only the ambiguous frames; the per-track
fusion is the single-person pipeline, vectorised over the track's frames.

The shared floor (the grounding step's plane, which fixes the people's relative depth) is applied afterwards by the
command (:mod:`core.fusion.clip.command`, :mod:`core.fusion.clip.shared_floor`). Arrays in, arrays out; no files.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from ...body import chains
from ...body.model import BodyModel
from ...body.skeleton import JOINT_INDEX
from ...camera.conversions import convert_translation, project
from ...contracts.estimates import BodyEstimate, FaceEstimate, HandDetections
from ...contracts.fused_file import PART_WEIGHTS_KEY
from ...errors import FusionError
from ...tracking import PersonDetections, TrackingOptions, TrackResult, link_detections
from .. import hands as hands_mod
from ..assignment import (
    AssignmentOptions,
    PartAssignment,
    assign_faces_to_people,
    assign_hands_to_people,
    hand_direction_cam,
)
from ..pipeline import FusionOptions, FusionResult, fuse

_HEAD = JOINT_INDEX["head"]
#: Estimator formats whose person index is a real track (kept as is).
TRACKING_FORMATS = ("phalp",)


@dataclass
class ClipOptions:
    """Settings of :func:`fuse_clip`.

    Attributes:
        focal_px: the shared focal in pixels (``fit-camera``'s); None: ``sqrt(W^2 + H^2)``.
        image_size: (W, H) when no input says it.
        min_track_rows: tracks with fewer body rows are dropped (reported), e.g. a one-frame false detection.
        fuse_span: ``track``: each track is fused over its own frames and its result padded to the clip's
            (``valid`` False outside); ``clip``: each track is fused over the whole clip (the same frames and
            outputs, slower: a short track costs the whole clip; kept for comparison).
        tracking, assignment, fusion: the stages' own options.
    """

    focal_px: Optional[float] = None
    image_size: Optional[Sequence[float]] = None
    min_track_rows: int = 5
    fuse_span: str = "track"
    tracking: TrackingOptions = field(default_factory=TrackingOptions)
    assignment: AssignmentOptions = field(default_factory=AssignmentOptions)
    fusion: FusionOptions = field(default_factory=FusionOptions)


@dataclass
class PersonFusion:
    """One track's fusion: its id, its body rows in the shared camera, the rows of the experts it got, the result."""

    track_id: int
    body: BodyEstimate
    hand_rows: np.ndarray
    face_rows: int
    result: FusionResult


@dataclass
class ClipResult:
    """What :func:`fuse_clip` returns.

    Attributes:
        people: one :class:`PersonFusion` per kept track, by track id.
        camera_K: (3, 3) the shared camera; image_size: (2,) W, H; focal_source: where its focal came from.
        tracking: the :class:`TrackResult` over all body rows; detection_person: (N_rows, 2) (body index, row) of
            each tracked row, in the tracker's order.
        hands, faces: the :class:`PartAssignment` of hand and face detections (None without them); their
            ``person`` indexes ``people``.
        dropped_tracks: ``[{"track", "rows"}]`` tracks shorter than ``min_track_rows``.
        report: a JSON-able summary.
    """

    people: list
    camera_K: np.ndarray
    image_size: np.ndarray
    focal_source: str
    tracking: TrackResult
    detection_person: np.ndarray
    hands: Optional[PartAssignment] = None
    faces: Optional[PartAssignment] = None
    dropped_tracks: list = field(default_factory=list)
    report: dict = field(default_factory=dict)


def _take(est: Any, rows: np.ndarray, n: int, **changes: Any) -> Any:
    """A copy of a per-row dataclass with the rows ``rows`` of every (n, ...) array field."""
    out = dict(changes)
    for f in dataclasses.fields(est):
        if f.name in out:
            continue
        value = getattr(est, f.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
            out[f.name] = value[rows]
    return dataclasses.replace(est, **out)


def _image_size(bodies: Sequence[BodyEstimate], hands: Optional[HandDetections], opts: ClipOptions) -> np.ndarray:
    if opts.image_size is not None:
        return np.asarray(opts.image_size, dtype=np.float64).reshape(2)
    for b in bodies:
        if b.image_size is not None:
            return np.asarray(b.image_size, dtype=np.float64).reshape(2)
    if hands is not None and hands.image_size is not None:
        return np.asarray(hands.image_size, dtype=np.float64).reshape(2)
    raise FusionError("no image size in the inputs: the shared camera needs it (give --image-size W H)",
                      field="image_size")


def shared_camera(image_size: np.ndarray, focal_px: Optional[float]) -> tuple[np.ndarray, str]:
    """(3, 3) K of the clip's one camera and where its focal came from."""
    w, h = (float(v) for v in image_size)
    if focal_px is not None:
        if not (np.isfinite(focal_px) and focal_px > 0):
            raise FusionError(f"the focal must be a positive number of pixels, found {focal_px}", field="focal_px")
        f, src = float(focal_px), "given (fit-camera)"
    else:
        f, src = float(np.hypot(w, h)), "default sqrt(W^2 + H^2) (CLIFF's unknown-camera estimate)"
    return np.array([[f, 0.0, w / 2.0], [0.0, f, h / 2.0], [0.0, 0.0, 1.0]]), src


def to_shared_camera(body: BodyEstimate, camera_K: np.ndarray, pelvis_rest: np.ndarray) -> BodyEstimate:
    """The body with every valid row's translation moved into ``camera_K`` (pelvis pixel and apparent size kept)."""
    n = int(np.asarray(body.frame_ids).shape[0])
    transl = np.asarray(body.transl, dtype=np.float64).reshape(n, 3).copy()
    k_from = np.broadcast_to(np.asarray(body.camera_K, dtype=np.float64), (n, 3, 3))
    ok = np.asarray(body.valid, dtype=bool).reshape(n) & (transl[:, 2] + pelvis_rest[2] > 1e-6)
    if ok.any():
        transl[ok] = convert_translation(transl[ok], np.broadcast_to(pelvis_rest, (int(ok.sum()), 3)), k_from[ok],
                                         camera_K)
    src = dict(body.source or {})
    src["shared_camera"] = "translation converted to the clip's camera (pelvis pixel and apparent size kept)"
    return dataclasses.replace(body, transl=transl, camera_K=np.broadcast_to(camera_K, (n, 3, 3)).copy(),
                               valid=np.asarray(body.valid, dtype=bool) & (ok | ~np.asarray(body.valid, bool)),
                               source=src)


def _points(body: BodyEstimate, rest_joints: np.ndarray, camera_K: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: projected (left, right) wrists (n, 2, 2), unit forearm directions (n, 2, 3), projected head (n, 2)."""
    return _row_points(body.global_orient, body.body_pose, body.transl, body.valid, rest_joints, camera_K)


def _row_points(global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray, valid: np.ndarray,
                rest_joints: np.ndarray, camera_K: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_points` of n rows given as arrays: (n, 3) axis-angle, (n, 21, 3), (n, 3) metres, (n,) bool."""
    n = int(np.asarray(valid).reshape(-1).shape[0])
    full = np.concatenate([np.asarray(global_orient).reshape(n, 1, 3),
                           np.asarray(body_pose).reshape(n, 21, 3)], axis=1)
    wanted = hands_mod.WRIST_JOINTS + (_HEAD,)
    need = chains.closure(wanted)
    local_all = chains.full_pose_local_rotmats(np.concatenate([full, np.zeros((n, 33, 3))], axis=1), need)
    local = {int(j): local_all[:, int(j)] for j in need}
    _, pos = chains.forward_kinematics_subset(local, rest_joints, wanted)
    transl = np.asarray(transl, dtype=np.float64).reshape(n, 3)
    wrists = np.stack([pos[j] for j in hands_mod.WRIST_JOINTS], axis=1) + transl[:, None]
    elbows = np.stack([pos[j] for j in hands_mod.ELBOW_JOINTS], axis=1) + transl[:, None]
    head = pos[_HEAD] + transl
    fore = wrists - elbows
    fore /= np.maximum(np.linalg.norm(fore, axis=-1, keepdims=True), 1e-9)
    wrist_px = project(wrists, camera_K)
    head_px = project(head[:, None], camera_K)[:, 0]
    bad = ~np.asarray(valid, dtype=bool).reshape(n)
    wrist_px[bad] = np.nan
    head_px[bad] = np.nan
    return wrist_px, fore, head_px


def flatten_faces(faces: Sequence[FaceEstimate]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(M,) frame, face-list index, row and (M, 4) box of every valid face row that has a box."""
    fr, fi, rr, bx = [], [], [], []
    for i, face in enumerate(faces):
        n = int(np.asarray(face.frame_ids).shape[0])
        if face.bbox is None or n == 0:
            continue
        ok = np.asarray(face.valid, dtype=bool).reshape(n) & np.all(np.isfinite(np.asarray(face.bbox)), axis=1)
        rows = np.flatnonzero(ok)
        fr.append(np.asarray(face.frame_ids, dtype=np.int64)[rows])
        fi.append(np.full(rows.size, i, dtype=np.int64))
        rr.append(rows)
        bx.append(np.asarray(face.bbox, dtype=np.float64)[rows])
    if not fr:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4))
    return np.concatenate(fr), np.concatenate(fi), np.concatenate(rr), np.concatenate(bx)


def gather_faces(faces: Sequence[FaceEstimate], sel_face: np.ndarray, sel_row: np.ndarray) -> Optional[FaceEstimate]:
    """One :class:`FaceEstimate` from rows of several (sorted by frame; one per frame by construction)."""
    if sel_face.size == 0:
        return None
    frames = _gather(faces, "frame_ids", sel_face, sel_row).astype(np.int64)
    order = np.argsort(frames, kind="stable")
    sel_face, sel_row, frames = sel_face[order], sel_row[order], frames[order]
    first = faces[int(sel_face[0])]
    src = dict(first.source or {})
    src["assigned_from_face_indices"] = sorted({str(faces[i].source.get("face_index", i))
                                                for i in np.unique(sel_face).tolist()})
    return FaceEstimate(frame_ids=frames, expression=_gather(faces, "expression", sel_face, sel_row),
                        jaw_pose=_gather(faces, "jaw_pose", sel_face, sel_row),
                        global_pose=_gather(faces, "global_pose", sel_face, sel_row),
                        shape=_gather(faces, "shape", sel_face, sel_row), cam=_gather(faces, "cam", sel_face, sel_row),
                        bbox=_gather(faces, "bbox", sel_face, sel_row), valid=np.ones(frames.shape[0], dtype=bool),
                        source=src)


def fuse_clip(bodies: Sequence[BodyEstimate], faces: Optional[Sequence[FaceEstimate]],
              hands: Optional[HandDetections], model: BodyModel, options: Optional[ClipOptions] = None) -> ClipResult:
    """Fuse every person of a clip (see the module docstring).

    Args:
        bodies: one estimate per person index of the body estimator (ranks or tracks).
        faces: every face estimate of the face expert (one per face index), or None.
        hands: every hand detection, or None.
        model: the body model of the output.
        options: :class:`ClipOptions`.
    Returns:
        :class:`ClipResult`. Raises :class:`FusionError` when nothing can be fused.
    """
    opts = options or ClipOptions()
    if opts.fuse_span not in ("track", "clip"):
        raise FusionError(f"fuse_span must be track or clip, found {opts.fuse_span!r}", field="fuse_span")
    if not bodies:
        raise FusionError("no body estimate: nothing to fuse", field="body")
    size = _image_size(bodies, hands, opts)
    camera_K, focal_source = shared_camera(size, opts.focal_px)
    rest0 = model.rest_joints(np.zeros(model.num_betas))
    pelvis = rest0[0]
    moved = [to_shared_camera(b, camera_K, pelvis) for b in bodies]

    # 2. one row per valid body row, linked into tracks
    owner, frames, boxes, roots, poses, shapes, tids = [], [], [], [], [], [], []
    have_box = all(b.bbox is not None for b in moved)
    estimator_ids = all((b.source or {}).get("format") in TRACKING_FORMATS and b.person_id is not None
                        for b in moved)
    for i, b in enumerate(moved):
        rows = np.flatnonzero(np.asarray(b.valid, dtype=bool))
        owner.append(np.stack([np.full(rows.size, i), rows], axis=1))
        frames.append(np.asarray(b.frame_ids, dtype=np.int64)[rows])
        if have_box:
            boxes.append(np.asarray(b.bbox, dtype=np.float64)[rows])
        roots.append(np.asarray(b.transl, dtype=np.float64)[rows] + pelvis)
        poses.append(np.asarray(b.body_pose, dtype=np.float64).reshape(-1, 63)[rows])
        betas = np.asarray(b.betas, dtype=np.float64)
        betas = np.broadcast_to(betas, (len(b.frame_ids), betas.shape[-1])) if betas.ndim == 1 else betas
        shapes.append(np.pad(betas[rows, :10], ((0, 0), (0, max(0, 10 - betas.shape[1])))))
        tids.append(np.full(rows.size, -1 if b.person_id is None else int(b.person_id)))
    detection_person = np.concatenate(owner).astype(np.int64)
    if detection_person.shape[0] == 0:
        raise FusionError("no valid body row in any person", field="valid")
    dets = PersonDetections(frame_ids=np.concatenate(frames), box_xyxy=np.concatenate(boxes) if have_box else None,
                            root_cam=np.concatenate(roots), pose_aa=np.concatenate(poses),
                            shape=np.concatenate(shapes),
                            track_ids=np.concatenate(tids) if estimator_ids else None)
    tracking = link_detections(dets, opts.tracking)

    # 3. per-track bodies: every body index's rows stacked once, each track a fancy index into them
    stacked, offsets = _stack_rows(moved)
    track_bodies: list[tuple[int, BodyEstimate]] = []
    track_rows: list[np.ndarray] = []  # each kept track's rows in ``stacked`` (frame order)
    dropped = []
    for tid in tracking.track_ids.tolist():
        sel = tracking.rows_of(tid)
        if sel.size < opts.min_track_rows:
            dropped.append({"track": int(tid), "rows": int(sel.size)})
            continue
        src_body, src_row = detection_person[sel, 0], detection_person[sel, 1]
        order = np.argsort(dets.frame_ids[sel], kind="stable")
        src_body, src_row = src_body[order], src_row[order]
        body = _track_body(moved, src_body, src_row, int(tid), tracking.id_source, stacked, offsets)
        track_bodies.append((int(tid), body))
        track_rows.append(offsets[src_body] + src_row)
    if not track_bodies:
        raise FusionError(f"every track is shorter than {opts.min_track_rows} frames", field="valid")

    clip_first, clip_last = int(dets.frame_ids.min()), int(dets.frame_ids.max())
    own_bodies = [b for _, b in track_bodies]  # fused over their own span, padded to the clip's afterwards
    track_bodies = [(tid, _pad_to(b, clip_first, clip_last)) for tid, b in track_bodies]
    frame_lists = [np.asarray(b.frame_ids, dtype=np.int64) for b in own_bodies]
    if all(stacked.get(k) is not None for k in ("global_orient", "body_pose", "transl", "valid")):
        # wrists, forearms and heads of every body row at once, then each track's rows
        every = _row_points(stacked["global_orient"], stacked["body_pose"], stacked["transl"], stacked["valid"],
                            rest0, camera_K)
        points = [tuple(a[rows] for a in every) for rows in track_rows]
    else:
        points = [_points(b, rest0, camera_K) for b in own_bodies]

    hand_assign = None
    hand_rows_of: list[np.ndarray] = [np.zeros(0, np.int64)] * len(track_bodies)
    if hands is not None and np.asarray(hands.frame_ids).size:
        nh = int(np.asarray(hands.frame_ids).size)
        go = np.asarray(hands.global_orient, dtype=np.float64).reshape(nh, 3, 3)
        kp = None if hands.keypoints_3d is None else np.asarray(hands.keypoints_3d, dtype=np.float64).reshape(nh, 21, 3)
        direction = hand_direction_cam(go, hands.is_right, kp)
        hand_assign = assign_hands_to_people(hands.frame_ids, hands.is_right, hands.box_center, hands.box_size,
                                             frame_lists, [p[0] for p in points], direction, [p[1] for p in points],
                                             opts.assignment)
        hand_rows_of = [hand_assign.rows_of(i) for i in range(len(track_bodies))]

    face_assign = None
    face_sel: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, np.int64), np.zeros(0, np.int64))] * len(track_bodies)
    if faces:
        f_frame, f_idx, f_row, f_box = flatten_faces(faces)
        face_assign = assign_faces_to_people(f_frame, f_box, frame_lists, [p[2] for p in points], opts.assignment)
        face_sel = [(f_idx[face_assign.rows_of(i)], f_row[face_assign.rows_of(i)]) for i in range(len(track_bodies))]

    people = []
    for i, (tid, body) in enumerate(track_bodies):
        hand_p = None
        rows = hand_rows_of[i]
        if hands is not None and rows.size:
            nh = int(np.asarray(hands.frame_ids).size)
            hand_p = _take(hands, rows, nh, is_right=hand_assign.side[rows] == 1)
            hand_p.source = dict(hands.source or {}, assigned_to_track=tid,
                                 relabelled=int(np.count_nonzero(hand_assign.relabelled[rows])))
        face_p = gather_faces(faces, *face_sel[i]) if faces else None
        result = None
        if opts.fuse_span == "track":
            result = _pad_result(fuse(own_bodies[i], face_p, hand_p, model, opts.fusion), clip_first, clip_last)
        if result is None:  # a timeline that is not one row per footage frame: fuse the padded body instead
            result = fuse(body, face_p, hand_p, model, opts.fusion)
        result.sequence.extras["track_id"] = np.array(tid)
        people.append(PersonFusion(track_id=tid, body=body, hand_rows=rows,
                                   face_rows=0 if face_p is None else int(face_p.frame_ids.shape[0]), result=result))
    report = {
        "people": len(people), "image_size": [float(v) for v in size],
        "camera": {"focal_px": float(camera_K[0, 0]), "focal_source": focal_source},
        "tracking": tracking.summary(), "dropped_tracks": dropped,
        "hands": None if hand_assign is None else hand_assign.summary(),
        "faces": None if face_assign is None else face_assign.summary(),
        "tracks": [{"track_id": p.track_id, "frames": int(p.result.sequence.num_frames),
                    "first_frame": int(p.result.frame_ids[0]), "last_frame": int(p.result.frame_ids[-1]),
                    "hand_detections": int(p.hand_rows.size), "face_rows": p.face_rows} for p in people],
    }
    return ClipResult(people=people, camera_K=camera_K, image_size=size, focal_source=focal_source,
                      tracking=tracking, detection_person=detection_person, hands=hand_assign, faces=face_assign,
                      dropped_tracks=dropped, report=report)


def _gather(sources: Sequence[Any], name: str, src: np.ndarray, row: np.ndarray) -> Optional[np.ndarray]:
    """``getattr(sources[src[k]], name)[row[k]]`` for every k, vectorised per source; None if a source lacks it."""
    vals = {int(i): getattr(sources[int(i)], name) for i in np.unique(src)}
    if any(v is None for v in vals.values()):
        return None
    vals = {i: np.asarray(v) for i, v in vals.items()}
    first = next(iter(vals.values()))
    out = np.empty((src.shape[0],) + first.shape[1:], dtype=first.dtype)
    for i, v in vals.items():  # sources, not rows
        mask = src == i
        out[mask] = v[row[mask]]
    return out


def _pad_to(body: BodyEstimate, first: int, last: int) -> BodyEstimate:
    """The body with an invalid row at the clip's ``first`` and ``last`` frame where it has none, so that every
    track's fused file spans the whole clip (frame i of every file is the same footage frame; ``valid`` is False
    where the person is not seen)."""
    ids = np.asarray(body.frame_ids, dtype=np.int64)
    n = ids.shape[0]
    rows = ([0] if ids[0] > first else []) + list(range(n)) + ([n - 1] if ids[-1] < last else [])
    if len(rows) == n:
        return body
    rows_a = np.asarray(rows)
    new_ids = ids[rows_a].copy()
    valid = np.asarray(body.valid, dtype=bool)[rows_a].copy()
    if ids[0] > first:
        new_ids[0], valid[0] = first, False
    if ids[-1] < last:
        new_ids[-1], valid[-1] = last, False
    return _take(body, rows_a, n, frame_ids=new_ids, valid=valid)


#: Per-frame fields of a :class:`FusedSequence` (``camera_K`` only when (T, 3, 3)).
_SEQUENCE_FRAME_FIELDS = ("expression", "global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose",
                          "left_hand_pose", "right_hand_pose", "transl", "camera_K", "part_confidence", "valid")
#: Extras that are not per frame, whatever their length.
_STATIC_EXTRAS = ("ground_plane", "world_up", "track_id")


def _pad_result(result: FusionResult, first: int, last: int) -> Optional[FusionResult]:
    """The fusion of a track's own span with rows added at the clip's ``first`` to ``last`` frame where the track
    has none (so that frame i of every file is the same footage frame): ``valid`` False, confidences and weights 0,
    every other per-frame value held from the track's nearest frame (what filling an unseen end gives). Fusing the
    person's own span only keeps a short track from costing the whole clip. None when the result's frames are not
    one row per footage frame (the caller then fuses a padded body)."""
    ids = np.asarray(result.frame_ids if result.frame_ids is not None
                     else result.sequence.extras.get("frame_ids"), dtype=np.int64).reshape(-1)
    n = ids.shape[0]
    if n == 0 or not np.array_equal(ids, ids[0] + np.arange(n)) or ids[0] < first or ids[-1] > last:
        return None
    before, after = int(ids[0]) - first, last - int(ids[-1])
    if before == 0 and after == 0:
        return result
    rows = np.concatenate([np.zeros(before, np.int64), np.arange(n), np.full(after, n - 1, np.int64)])
    pad = np.ones(rows.shape[0], dtype=bool)
    pad[before:before + n] = False
    seq = result.sequence
    changes: dict[str, Any] = {}
    for name in _SEQUENCE_FRAME_FIELDS:
        value = np.asarray(getattr(seq, name))
        if value.ndim >= 1 and value.shape[0] == n and not (name == "camera_K" and value.ndim == 2):
            changes[name] = value[rows]  # fancy indexing copies
    changes["valid"][pad] = False
    changes["part_confidence"][pad] = 0.0
    frame_ids = np.arange(first, last + 1, dtype=np.int64)
    extras = {}
    for key, value in seq.extras.items():
        v = np.asarray(value)
        if key not in _STATIC_EXTRAS and v.ndim >= 1 and v.shape[0] == n:
            v = v[rows]
            if key == PART_WEIGHTS_KEY:
                v[pad] = 0.0
        extras[key] = v
    extras["frame_ids"] = frame_ids
    try:
        provenance = json.loads(seq.provenance)
        provenance.setdefault("frames", {}).update({"first": first, "last": last, "count": int(rows.shape[0]),
                                                    "padded_to_clip": int(pad.sum())})
        changes["provenance"] = json.dumps(provenance, default=str)
    except (TypeError, ValueError):
        pass
    weights = {}
    for key, w in result.weights.items():
        w = np.asarray(w)
        weights[key] = np.where(pad, 0.0, w[rows]) if w.ndim == 1 and w.shape[0] == n else w
    report = dict(result.report, frames=int(rows.shape[0]), first_frame=first, last_frame=last,
                  padded_to_clip=int(pad.sum()))
    return FusionResult(sequence=dataclasses.replace(seq, **changes, extras=extras), report=report,
                        weights=weights, frame_ids=frame_ids)


def _stack_rows(moved: Sequence[BodyEstimate]) -> tuple[dict[str, Optional[np.ndarray]], np.ndarray]:
    """Every per-row field of the body estimates stacked (rows of estimate i at ``offsets[i]``...), and (len,)
    ``offsets``; a field that some estimate lacks or that does not stack is None (gathered per track instead)."""
    counts = np.array([int(np.asarray(b.frame_ids).shape[0]) for b in moved], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    stacked: dict[str, Optional[np.ndarray]] = {}
    for f in dataclasses.fields(moved[0]):
        values = [getattr(b, f.name) for b in moved]
        if not all(isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == c for v, c in zip(values, counts)):
            stacked[f.name] = None
            continue
        if f.name == "betas" and np.ndim(values[0]) == 1:
            stacked[f.name] = None
            continue
        try:
            stacked[f.name] = np.concatenate(values)
        except ValueError:  # trailing shapes differ
            stacked[f.name] = None
    return stacked, offsets


def _track_body(moved: Sequence[BodyEstimate], src_body: np.ndarray, src_row: np.ndarray, track_id: int,
                id_source: str, stacked: Optional[dict[str, Optional[np.ndarray]]] = None,
                offsets: Optional[np.ndarray] = None) -> BodyEstimate:
    """One track's body estimate from rows of several per-index estimates (sorted by frame); ``stacked`` and
    ``offsets`` (:func:`_stack_rows`) make each field one fancy index."""
    first = moved[int(src_body[0])]
    n = int(np.asarray(first.frame_ids).shape[0])
    rows = None if offsets is None else offsets[src_body] + src_row
    out: dict[str, Any] = {}
    for f in dataclasses.fields(first):
        value = getattr(first, f.name)
        if f.name == "betas" and np.ndim(value) == 1:
            out[f.name] = np.asarray(value)
        elif isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
            every = None if stacked is None else stacked.get(f.name)
            out[f.name] = every[rows] if every is not None else _gather(moved, f.name, src_body, src_row)
    src = dict(first.source or {})
    src["track"] = {"track_id": track_id, "id_source": id_source,
                    "from_person_ids": sorted({int(moved[b].person_id) for b in np.unique(src_body).tolist()
                                               if moved[b].person_id is not None})}
    return dataclasses.replace(first, **out, person_id=track_id, source=src)


__all__ = ["ClipOptions", "ClipResult", "PersonFusion", "TRACKING_FORMATS", "flatten_faces", "gather_faces",
           "shared_camera", "to_shared_camera", "fuse_clip"]
