"""``python -m core fuse-clip``: every person of a clip, one fused file per track, one camera, one floor.

    python -m core fuse-clip --body SMPLERX_OR_PHALP [--face EMOCA --face-bbox BOXES.json] [--hands WILOR]
        --out-dir DIR [--stem NAME] [--focal PX] [--image-size W H] [--floor auto|never] [--model ...]
        [--overwrite] [--quiet]

Writes ``DIR/<stem>.person<ID>.fused.npz`` per track (schema v1 plus ``track_id``) and ``DIR/<stem>.clip.json``
(the files, the shared camera, the shared floor, tracking and assignment reports), and prints a summary.
:func:`fuse_clip_files` is the same without files (the bench's entry). Exit codes as for every command.

The floor (``--floor auto``, :func:`apply_shared_floor`): the floor's up is the people's (their grounding plane,
:func:`core.grounding.pipeline.estimate_ground`, where it agrees with their body's up; else their body's up); when
two or more people stand on one floor (:func:`core.fusion.clip.shared_floor.shared_plane`), every person on it is
moved along their pelvis's viewing ray, frame by frame, so that their lower foot stands on the shared plane, which
fixes their relative depth, and the plane is written as their ``ground_plane``. The report gives each person's
median factor and its range.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import fields
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ...body.model import BodyModel
from ...errors import FusionError
from ...progress import StageProgress
from .people import ClipOptions, ClipResult, fuse_clip
from .shared_floor import feet_level, frame_depth_scales, rescale_translation, shared_plane

FLOOR_MODES = ("auto", "never")
#: Which feet set a person's depth on each frame (see :func:`apply_shared_floor`).
FEET_RULES = ("lower_foot", "contacts")
FEET_RULE = "lower_foot"
#: A foot's level: the mean of its points or its lowest point (:func:`core.fusion.clip.shared_floor.feet_level`).
SOLE = "mean"


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Degrees between two (3,) directions."""
    c = float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def _rows_of(skel: Any, rows: np.ndarray) -> Any:
    """The posed skeleton on some frames only (``joints``, ``global_rot``, ``local_rot`` are (T, ...))."""
    return dataclasses.replace(skel, **{f.name: getattr(skel, f.name)[rows] for f in dataclasses.fields(skel)
                                        if isinstance(getattr(skel, f.name), np.ndarray)
                                        and getattr(skel, f.name).shape[:1] == rows.shape})


def apply_shared_floor(result: ClipResult, model: BodyModel, max_angle_deg: float = 10.0,
                       min_contact_frames: int = 10, sole: str = SOLE, feet_rule: str = FEET_RULE) -> dict[str, Any]:
    """Share one floor between the people of a clip and put everyone on it, frame by frame (in place); the report.

    1. **Up**: each person's up is their grounding plane's normal (:func:`core.grounding.pipeline.estimate_ground`,
       mode ``always``, when fitted through at least ``min_contact_frames`` contact frames and within
       ``max_angle_deg`` of their body's up) or else their body's mean pelvis-to-neck direction. A depth error
       slides a person along their viewing rays, which leaves their orientation alone but tilts a plane fitted
       through their sliding feet, so the people's body up (weighted by their seen frames) is the reference: a
       person whose up is within ``max_angle_deg`` of it stands on the shared floor, and the shared normal is the
       weighted mean of those people's ups.
    2. **Level**: each member's feet level along the normal (:func:`feet_level`); the shared offset is their median
       (the floor cannot tell the clip's overall scale: the people's median keeps it).
    3. **Depth, frame by frame**: every member moves along their pelvis's viewing ray by the factor that puts their
       feet on the shared floor on that frame (:func:`frame_depth_scales`): ``feet_rule`` ``lower_foot``: the lower
       foot on every frame (a standing or walking person always has one down; depth errors do not change which);
       ``contacts``: the grounding step's contacts.
    """
    from ...body.posing import pose_skeleton
    from ...grounding.foot_points import body_up_direction, foot_points
    from ...grounding.pipeline import estimate_ground

    if feet_rule not in FEET_RULES:
        raise ValueError(f"feet_rule must be one of {', '.join(FEET_RULES)}, not {feet_rule!r}")
    planes, contacts, feet, ups, seen = [], [], [], [], []
    for person in result.people:
        seq = person.result.sequence
        skel = pose_skeleton(seq, model)
        pts = foot_points(seq, model, skel)
        est = estimate_ground(seq, model, "always", foot_points_cam=pts)
        contact = est.contact if est.detection is not None else np.zeros((seq.num_frames, 2), bool)
        enough = est.plane_source == "fitted" and int(contact.any(axis=1).sum()) >= min_contact_frames
        planes.append(est.plane.as_array() if enough and est.plane is not None else None)
        contacts.append(contact)
        feet.append(pts)  # (T, 2, 3, 3): heel, big and small toe of each foot
        valid_rows = np.asarray(seq.valid, dtype=bool)
        ups.append(body_up_direction(_rows_of(skel, valid_rows)) if valid_rows.any() else None)
        seen.append(float(valid_rows.sum()))
    report: dict[str, Any] = {"per_person_planes": [None if p is None else [round(float(v), 5) for v in p]
                                                    for p in planes],
                              "per_person_up": [None if u is None else [round(float(v), 5) for v in u] for u in ups]}
    have_up = [u is not None for u in ups]
    if sum(have_up) < 2:
        report.update({"shared": False, "reason": "fewer than two people seen"})
        return report
    reference = np.sum([u * w for u, w, h in zip(ups, seen, have_up) if h], axis=0)
    # each person's up: their fitted floor where it agrees with their body, else their body's up
    directions = [None if u is None else
                  np.concatenate([pl[:3] if pl is not None and _angle_deg(pl[:3], u) <= max_angle_deg else u, [0.0]])
                  for pl, u in zip(planes, ups)]
    plane, members = shared_plane(directions, seen, max_angle_deg, reference=reference)
    if plane is None:
        report["shared"] = False
        report["reason"] = "fewer than two people stand on one floor"
        return report
    normal = plane[:3]
    pelvis_rest = [model.rest_joints(np.asarray(p.result.sequence.betas)[:model.num_betas])[0] for p in result.people]
    pelvis = [np.asarray(p.result.sequence.transl, dtype=np.float64) + r for p, r in zip(result.people, pelvis_rest)]
    valid = [np.asarray(p.result.sequence.valid, dtype=bool) for p in result.people]
    rule = [None if feet_rule == "lower_foot" else c for c in contacts]
    levels = [feet_level(normal, f[v], pel[v], None if c is None else c[v], sole) if on and v.any() else None
              for on, f, pel, c, v in zip(members, feet, pelvis, rule, valid)]
    known = [lv for lv in levels if lv is not None]
    if len(known) < 2:
        report.update({"shared": False, "reason": "fewer than two people with feet on the floor"})
        return report
    plane = np.concatenate([normal, [float(np.median(known))]])
    scales: list = []
    spread: list = []
    for person, level, pts, pel, c, v, rest in zip(result.people, levels, feet, pelvis, rule, valid, pelvis_rest):
        seq = person.result.sequence
        if level is None:
            scales.append(None)
            spread.append(None)
            continue
        s = frame_depth_scales(plane, pel, pts, c, v, sole=sole)  # (T,): a crop camera's depth error jitters
        scales.append(round(float(np.median(s[v])) if v.any() else 1.0, 6))
        spread.append([round(float(np.min(s[v])), 4), round(float(np.max(s[v])), 4)] if v.any() else None)
        extras = dict(seq.extras)
        extras["ground_plane"] = plane.copy()
        person.result.sequence = dataclasses.replace(seq, transl=rescale_translation(seq.transl, rest, s),
                                                     extras=extras)
    report.update({"shared": True, "plane": [round(float(v), 6) for v in plane],
                   "members": [int(p.track_id) for p, on in zip(result.people, members) if on],
                   "depth_scales": scales, "depth_scale_range": spread})
    return report


def fuse_clip_files(bodies: list, faces: Optional[list], hands: Any, model: BodyModel, options: ClipOptions,
                    floor: str = "auto") -> tuple[ClipResult, dict[str, Any]]:
    """:func:`core.fusion.clip.people.fuse_clip`, then the shared floor (``floor`` auto) or not (never)."""
    if floor not in FLOOR_MODES:
        raise FusionError(f"expected one of {', '.join(FLOOR_MODES)}, found {floor!r}", field="--floor")
    result = fuse_clip(bodies, faces, hands, model, options)
    floor_report = (apply_shared_floor(result, model) if floor == "auto"
                    else {"shared": False, "reason": "--floor never"})
    result.report["floor"] = floor_report
    return result, floor_report


def _fusion_options(args: argparse.Namespace) -> Any:
    from ..pipeline import FusionOptions

    known = {f.name for f in fields(FusionOptions)}
    wanted = {"smooth": args.smooth, "fps": args.fps}
    return FusionOptions(**{k: v for k, v in wanted.items() if k in known and v is not None})


def person_path(out_dir: Path, stem: str, track_id: int) -> Path:
    """``<out_dir>/<stem>.person<ID>.fused.npz``."""
    return out_dir / f"{stem}.person{int(track_id)}.fused.npz"


def run_fuse_clip(args: argparse.Namespace) -> int:
    from ...body.builtin import resolve_model
    from ...body.model import load_body_model
    from ...contracts.fused_file import write_fused
    from ...fileio.atomic_write import write_text_atomically
    from ...io import read_bodies, read_faces, read_hands

    out_dir = Path(args.out_dir)
    stem = args.stem
    progress = StageProgress(total=4, desc="fuse-clip", quiet=args.quiet)
    try:
        bodies = read_bodies(args.body)
        faces = read_faces(args.face, bbox=args.face_bbox) if args.face else None
        hands = read_hands(args.hands) if args.hands else None
        progress.step("read")
        gender = args.gender or "neutral"
        model = load_body_model(resolve_model(args.model, gender), gender)
        options = ClipOptions(focal_px=args.focal, image_size=args.image_size,
                              min_track_rows=args.min_track_frames, fusion=_fusion_options(args))
        progress.step("model loaded")
        result, floor_report = fuse_clip_files(bodies, faces, hands, model, options, args.floor)
        progress.step("fused")
        paths = [person_path(out_dir, stem, p.track_id) for p in result.people]
        clip_json = out_dir / f"{stem}.clip.json"
        existing = [p for p in paths + [clip_json] if p.exists()]
        if existing and not args.overwrite:
            raise FusionError("the output exists; pass --overwrite to replace it", path=existing[0], field="--out-dir")
        out_dir.mkdir(parents=True, exist_ok=True)
        for person, path in zip(result.people, paths):
            write_fused(path, person.result.sequence)
        summary = {"stem": stem, "people": [{"track_id": p.track_id, "file": path.name}
                                            for p, path in zip(result.people, paths)],
                   "camera_K": result.camera_K.tolist(), "image_size": result.image_size.tolist(),
                   "inputs": {"body": str(args.body), "face": args.face, "face_bbox": args.face_bbox,
                              "hands": args.hands}, "report": result.report}
        write_text_atomically(clip_json, json.dumps(summary, indent=1, default=str))
        progress.step("written")
    finally:
        progress.close()
    print(f"fused {len(result.people)} people -> {out_dir}")
    print(f"  camera: focal {result.camera_K[0, 0]:.1f} px ({result.focal_source}), image {result.image_size.tolist()}")
    tr = result.tracking.summary()
    print(f"  tracking: {tr['tracks']} tracks ({tr['id_source']}), {len(tr['reidentified'])} re-identified, "
          f"{len(result.dropped_tracks)} dropped as too short")
    for p, path in zip(result.people, paths):
        seq = p.result.sequence
        print(f"  person {p.track_id}: {path.name}  frames {int(p.result.frame_ids[0])}-{int(p.result.frame_ids[-1])}"
              f"  valid {int(seq.valid.sum())}/{seq.num_frames}  hands {p.hand_rows.size}  face rows {p.face_rows}")
    for name, part in (("hands", result.hands), ("faces", result.faces)):
        if part is not None:
            s = part.summary()
            print(f"  {name}: {s['assigned']}/{s['detections']} assigned, {s['relabelled']} relabelled, "
                  f"{s['unclaimed']} unclaimed (reported in {clip_json.name})")
    if floor_report.get("shared"):
        print(f"  floor: shared by people {floor_report['members']}, plane {floor_report['plane']}, "
              f"depth scales {floor_report['depth_scales']}")
    else:
        print(f"  floor: not shared ({floor_report.get('reason')})")
    print(f"  clip: {clip_json}")
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``fuse-clip`` on the core CLI (picked up by ``core.cli``)."""
    p = subparsers.add_parser("fuse-clip", help="fuse every person of a clip: one fused file per track, one camera, "
                                                "one floor")
    p.add_argument("--body", required=True, help="SMPLer-X / SMPLest-X output (every bbox_id) or a 4D-Humans / "
                                                 "PHALP results .pkl (tracks kept)")
    p.add_argument("--face", help="EMOCA output (every face index)")
    p.add_argument("--face-bbox", help="face boxes per frame and face (JSON)")
    p.add_argument("--hands", help="WiLoR / HaMeR dumps")
    p.add_argument("--model", default="builtin", help="SMPL-X model file or folder, or 'builtin'")
    p.add_argument("--gender", default=None, choices=("neutral", "male", "female"))
    p.add_argument("--out-dir", required=True, help="folder for <stem>.person<ID>.fused.npz and <stem>.clip.json")
    p.add_argument("--stem", default="clip", help="file name stem (default: clip)")
    p.add_argument("--focal", type=float, default=None,
                   help="the shared focal in pixels (fit-camera's); default sqrt(W^2 + H^2)")
    p.add_argument("--image-size", type=float, nargs=2, metavar=("W", "H"), default=None,
                   help="the footage size where the inputs do not say it")
    p.add_argument("--floor", default="auto", choices=FLOOR_MODES,
                   help="auto: share the ground plane of people on one floor (fixes relative depth); never: off")
    p.add_argument("--min-track-frames", type=int, default=5, help="drop tracks shorter than this (default 5)")
    p.add_argument("--fps", type=float, default=None, help="frame rate where the inputs do not say")
    p.add_argument("--no-smooth", dest="smooth", action="store_false", help="skip temporal smoothing")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_fuse_clip)


__all__ = ["FLOOR_MODES", "apply_shared_floor", "fuse_clip_files", "person_path", "run_fuse_clip", "add_parser"]
