"""Several people in one clip: identities, each person's hands and face, per-person accuracy, relative depth, speed.

The clip is ``python -m core demo-data OUT --people 3`` (:mod:`core.demo_data.multi_person`): a handshake pair and a
walker who crosses in front, leaves and comes back; SMPLer-X's ``bbox_id`` is a per-frame rank that swaps. It is
written to a temporary folder and read back with the readers, then fused with ``fuse-clip``'s own function
(:func:`core.fusion.clip.command.fuse_clip_files`) with the shared focal set to the true one (what ``fit-camera``
recovers; see ``bench/camera_fit.py``). Figures, all measured in this run against the clip's ground truth:

* ``id_switches``: for each true person, how often the track holding their detection changes between the frames
  they are seen (a gap followed by the same track is not a switch); the per-frame rank's switches beside it;
* ``hand_assignment`` / ``face_assignment``: the share of hand (person and side) and face detections given to the
  right person's track (unclaimed counts as wrong);
* ``body_mpjpe_mm`` / ``hand_mpjpe_mm``: {``alone``: each person fused by themselves from clean inputs (their own
  body rows, hands with their true sides, their own faces), ``together``: the clip pipeline's track of that person};
  body joints 0-21 pelvis-aligned, hand joints (wrist + 15) wrist-aligned, frames both cover;
* ``relative_depth_err``: {``no_floor``, ``shared_floor``}: mean over frames and pairs of people seen together of
  ``|(z_i - z_j) - (z_i - z_j)_true| / mean(z_true)``, pelvis depths, before and after the shared floor;
  ``shared_floor_mean_shape``: the same with the model's mean body instead of the people's own shape (what a real
  SMPL-X estimate gives on the built-in model, whose shape space it does not share): the floor sets a person's depth
  from the height of their pelvis above their feet, so a body whose legs are a few centimetres off is off by that
  over the camera's height above the pelvis;
* ``person_frames_per_s``: fused person-frames (frames a person is seen) per second of ``fuse_clip`` (tracking,
  assignment and per-track fusion, files already read), on the clip tiled to ``SPEED_FRAMES`` frames (each repeat
  a new stretch of frames: the walker jumps back, a new track each time), best of ``REPEATS``; side by side, in
  this run: ``fuse_span="clip"`` (each track fused over the whole clip, as before), the single-person pipeline on
  the same tracks one at a time, and the single-person bench's own case (``bench/fusion_speed.py``: one person,
  10,000 frames, the default pipeline), which bounds what per-track fusion can reach on this machine.

The demo's synthetic estimator writes its betas in the built-in model's own shape space (it posed this model), so
they are applied (``estimator_betas="apply"``, as ``bench/fusion_accuracy.py`` does); a real estimator's SMPL-X
betas never are on a built-in model (``core/body/shape_space.py``).

Run: ``.venv/bin/python bench/multi_person.py``. Last line: one JSON object (DESIGN.md section 4).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.model import load_body_model  # noqa: E402
from core.body.posing import pose_skeleton  # noqa: E402
from core.body.skeleton import LEFT_HAND, RIGHT_HAND  # noqa: E402
from core.contracts.estimates import BodyEstimate  # noqa: E402
from core.contracts.fused_file import FusedSequence, read_fused  # noqa: E402
from core.demo_data.multi_person import write_multi_person_demo  # noqa: E402
from core.fusion.clip import ClipOptions, flatten_faces, fuse_clip, gather_faces, to_shared_camera  # noqa: E402
from core.fusion.clip.command import apply_shared_floor  # noqa: E402
from core.fusion.pipeline import FusionOptions, fuse  # noqa: E402
from core.io import read_bodies, read_faces, read_hands  # noqa: E402

PEOPLE = 3
FRAMES = 120
SPEED_FRAMES = 2400
REPEATS = 3


def _take(est: Any, rows: np.ndarray, n: int, **changes: Any) -> Any:
    out = dict(changes)
    for f in dataclasses.fields(est):
        v = getattr(est, f.name)
        if f.name not in out and isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == n:
            out[f.name] = v[rows]
    return dataclasses.replace(est, **out)


def _truth_body_rows(bodies: list, rank: np.ndarray, first_frame: int) -> list[list[tuple[int, int]]]:
    """Per true person: [(body index, row)] of their detections, by the rank table the writer used."""
    by_id = {int(b.person_id): i for i, b in enumerate(bodies)}
    out = []
    for p in range(rank.shape[0]):
        rows = []
        for t in np.flatnonzero(rank[p] >= 0).tolist():
            bi = by_id[int(rank[p, t])]
            r = int(np.searchsorted(bodies[bi].frame_ids, t + first_frame))
            rows.append((bi, r))
        out.append(rows)
    return out


def _person_body(bodies: list, rows: list[tuple[int, int]]) -> BodyEstimate:
    """One person's body estimate from (body index, row) pairs (frame order)."""
    first = bodies[rows[0][0]]
    n = len(first.frame_ids)
    out = {}
    for f in dataclasses.fields(first):
        v = getattr(first, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == n:
            out[f.name] = np.stack([np.asarray(getattr(bodies[b], f.name))[r] for b, r in rows])
    return dataclasses.replace(first, **out, person_id=None)


def _joints(seq: FusedSequence, model: Any) -> np.ndarray:
    return pose_skeleton(seq, model).joints


def _mpjpe(est: FusedSequence, est_frames: np.ndarray, truth: FusedSequence, model: Any, first_frame: int
           ) -> tuple[float, float, int]:
    """Body (pelvis-aligned, joints 0-21) and hand (wrist-aligned) MPJPE in mm on frames both have, and the count."""
    t_frames = np.arange(truth.num_frames) + first_frame
    common = np.intersect1d(est_frames[np.asarray(est.valid)], t_frames[np.asarray(truth.valid)])
    je = _joints(est, model)[np.searchsorted(est_frames, common)]
    jt = _joints(truth, model)[np.searchsorted(t_frames, common)]
    body = np.linalg.norm((je[:, :22] - je[:, :1]) - (jt[:, :22] - jt[:, :1]), axis=-1).mean() * 1000
    errs = []
    for wrist, hand in ((20, LEFT_HAND), (21, RIGHT_HAND)):
        idx = [wrist] + list(range(hand.start, hand.stop))
        errs.append(np.linalg.norm((je[:, idx] - je[:, wrist:wrist + 1]) - (jt[:, idx] - jt[:, wrist:wrist + 1]),
                                   axis=-1).mean() * 1000)
    return float(body), float(np.mean(errs)), int(common.size)


def _pelvis_depth(seq: FusedSequence, frames: np.ndarray, model: Any) -> dict[int, float]:
    z = _joints(seq, model)[:, 0, 2]
    return {int(f): float(v) for f, v, ok in zip(frames, z, np.asarray(seq.valid)) if ok}


def _relative_depth(est: dict[int, dict[int, float]], truth: dict[int, dict[int, float]]) -> float:
    errs = []
    people = sorted(est)
    for a_i, a in enumerate(people):
        for b in people[a_i + 1:]:
            for f in set(est[a]) & set(est[b]) & set(truth[a]) & set(truth[b]):
                d_est = est[a][f] - est[b][f]
                d_true = truth[a][f] - truth[b][f]
                errs.append(abs(d_est - d_true) / (0.5 * (truth[a][f] + truth[b][f])))
    return float(np.mean(errs)) if errs else float("nan")


def main() -> int:
    model_file = ensure_builtin_model()
    model = load_body_model(model_file)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        man = write_multi_person_demo(Path(tmp) / "clip", model_file, people=PEOPLE, num_frames=FRAMES, seed=0)
        t_demo = time.perf_counter() - t0
        bodies = read_bodies(man["body"])
        faces = read_faces(man["face"], bbox=man["face_bbox"])
        hands = read_hands(man["hands"])
        truth = [read_fused(p) for p in man["truth"]]
    first = int(man["first_frame"])
    rank = np.asarray(man["rank"])
    focal = float(np.asarray(man["camera_K"])[0, 0])
    opts = ClipOptions(focal_px=focal, fusion=FusionOptions(estimator_betas="apply"))  # see the docstring

    # together: the clip pipeline
    t0 = time.perf_counter()
    result = fuse_clip(bodies, faces, hands, model, opts)
    t_clip = time.perf_counter() - t0
    before_floor = [copy.deepcopy(p.result.sequence) for p in result.people]
    floor = apply_shared_floor(result, model)

    # identities: the track of each true person's detection per frame
    det_track = {}
    for k, (bi, row) in enumerate(result.detection_person.tolist()):
        det_track[(bi, row)] = int(result.tracking.track_of_detection[k])
    truth_rows = _truth_body_rows(bodies, rank, first)
    switches, rank_switches, track_to_person = 0, 0, {}
    for p, rows in enumerate(truth_rows):
        seq_tracks = [det_track.get(r, -1) for r in rows]
        switches += sum(1 for a, b in zip(seq_tracks, seq_tracks[1:]) if a != b)
        ranks = rank[p][rank[p] >= 0]
        rank_switches += int(np.count_nonzero(np.diff(ranks)))
        ids, counts = np.unique(seq_tracks, return_counts=True)
        for tid, c in zip(ids.tolist(), counts.tolist()):
            if c > track_to_person.get(tid, (0, -1))[0]:
                track_to_person[tid] = (c, p)
    person_of_track = {tid: p for tid, (c, p) in track_to_person.items()}
    index_person = [person_of_track.get(pf.track_id, -1) for pf in result.people]

    # hands: truth by frame and box centre
    hand_truth = man["hand_truth"]
    hf = np.asarray(hands.frame_ids)
    hc = np.asarray(hands.box_center)
    right_hand = 0
    for k in range(hf.shape[0]):
        cands = hand_truth[str(int(hf[k]))]
        c = min(cands, key=lambda e: float(np.hypot(*(np.asarray(e["box_center"]) - hc[k]))))
        pi, side = int(result.hands.person[k]), int(result.hands.side[k])
        right_hand += int(pi >= 0 and index_person[pi] == c["person"] and side == c["side"])
    hand_acc = right_hand / max(hf.shape[0], 1)

    # faces: truth by EMOCA folder name
    f_frame, f_idx, _, _ = flatten_faces(faces)
    right_face = 0
    for k in range(f_frame.shape[0]):
        key = f"{int(f_frame[k]):06d}_{int(faces[f_idx[k]].source.get('face_index') or 0):03d}"
        pi = int(result.faces.person[k])
        right_face += int(pi >= 0 and index_person[pi] == man["face_truth"][key])
    face_acc = right_face / max(f_frame.shape[0], 1)

    # alone: each person from their own clean inputs, in the same shared camera
    rest0 = model.rest_joints(np.zeros(model.num_betas))
    alone, together = [], []
    hand_person = np.array([min(hand_truth[str(int(hf[k]))],
                                key=lambda e: float(np.hypot(*(np.asarray(e["box_center"]) - hc[k]))))["person"]
                            for k in range(hf.shape[0])])
    hand_side = np.array([min(hand_truth[str(int(hf[k]))],
                              key=lambda e: float(np.hypot(*(np.asarray(e["box_center"]) - hc[k]))))["side"]
                          for k in range(hf.shape[0])])
    face_person = {}
    for i, fe in enumerate(faces):
        for r, fr in enumerate(np.asarray(fe.frame_ids).tolist()):
            key = f"{int(fr):06d}_{int(fe.source.get('face_index') or 0):03d}"
            if key in man["face_truth"] and fe.valid[r]:
                face_person.setdefault(man["face_truth"][key], []).append((i, r))
    for p in range(PEOPLE):
        body_p = to_shared_camera(_person_body(bodies, truth_rows[p]), result.camera_K, rest0[0])
        rows = np.flatnonzero(hand_person == p)
        hands_p = _take(hands, rows, hf.shape[0], is_right=hand_side[rows] == 1)
        sel = face_person.get(p, [])
        face_p = gather_faces(faces, np.array([s[0] for s in sel]), np.array([s[1] for s in sel])) if sel else None
        res = fuse(body_p, face_p, hands_p, model, opts.fusion)
        alone.append(_mpjpe(res.sequence, res.frame_ids, truth[p], model, first))
        k = index_person.index(p) if p in index_person else None
        together.append(_mpjpe(result.people[k].result.sequence, result.people[k].result.frame_ids, truth[p],
                               model, first) if k is not None else (float("nan"),) * 2 + (0,))

    # relative depth between people, pelvis depths, before and after the shared floor
    t_frames = np.arange(FRAMES) + first
    true_z = {p: _pelvis_depth(truth[p], t_frames, model) for p in range(PEOPLE)}
    est_before, est_after = {}, {}
    for k, pf in enumerate(result.people):
        p = index_person[k]
        if p < 0:
            continue
        est_before[p] = _pelvis_depth(before_floor[k], pf.result.frame_ids, model)
        est_after[p] = _pelvis_depth(pf.result.sequence, pf.result.frame_ids, model)
    ratio = {p: [float(np.median([e[f] / true_z[p][f] for f in e if f in true_z[p]])) for e in (est_before[p],
                                                                                                   est_after[p])]
             for p in est_before}
    rel_no_floor = _relative_depth(est_before, true_z)
    rel_shared = _relative_depth(est_after, true_z) if floor.get("shared") else None
    # the same with the model's mean body (the estimate's betas not applied)
    mean_shape = fuse_clip(bodies, faces, hands, model, ClipOptions(focal_px=focal))
    floor_mean = apply_shared_floor(mean_shape, model)
    est_mean = {person_of_track[pf.track_id]: _pelvis_depth(pf.result.sequence, pf.result.frame_ids, model)
                for pf in mean_shape.people if person_of_track.get(pf.track_id, -1) >= 0}  # tracking ignores betas
    rel_mean_shape = _relative_depth(est_mean, true_z) if floor_mean.get("shared") and len(est_mean) > 1 else None

    # speed: the clip tiled in time (each repeat a new stretch of frames), files already read
    reps = SPEED_FRAMES // FRAMES
    tiled_bodies = [_tile(b, reps, FRAMES) for b in bodies]
    tiled_hands = _tile(hands, reps, FRAMES)
    tiled_faces = [_tile(f, reps, FRAMES) for f in faces]
    before_opts = dataclasses.replace(opts, fuse_span="clip")
    runs: dict[str, list] = {"after": [], "before": [], "baseline": []}
    speed_res = None
    for _ in range(REPEATS):  # interleaved, best of each: the machine is shared
        t0, c0 = time.perf_counter(), time.process_time()
        speed_res = fuse_clip(tiled_bodies, tiled_faces, tiled_hands, model, opts)
        runs["after"].append((time.perf_counter() - t0, time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        fuse_clip(tiled_bodies, tiled_faces, tiled_hands, model, before_opts)
        runs["before"].append((time.perf_counter() - t0, time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        for p in speed_res.people:  # the single-person pipeline on the same bodies (own span), one at a time
            fuse(_own_span(p.body), None, None, model, opts.fusion)
        runs["baseline"].append((time.perf_counter() - t0, time.process_time() - c0))
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
    person_frames = sum(int(np.count_nonzero(p.result.sequence.valid)) for p in speed_res.people)  # seen only
    t_speed, c_speed = best["after"]
    pfps = person_frames / t_speed
    single_fps, single_cpu_fps, single_note = _single_person_speed()

    body_alone = float(np.mean([a[0] for a in alone]))
    body_together = float(np.mean([t[0] for t in together]))
    hand_alone = float(np.mean([a[1] for a in alone]))
    hand_together = float(np.mean([t[1] for t in together]))
    print(f"Multi-person clip: {PEOPLE} people ({', '.join(man['roles'])}), {FRAMES} frames, demo written in "
          f"{t_demo:.1f} s; shared focal {focal:.0f} px (the true one, as fit-camera finds it)")
    print(f"{'figure':<34} {'value':>14}   note")
    print("-" * 90)
    print(f"{'id_switches (tracks)':<34} {switches:>14d}   per-frame rank (bbox_id) switches: {rank_switches}")
    print(f"{'tracks':<34} {len(result.people):>14d}   re-identified: {len(result.tracking.reidentified)}")
    print(f"{'hand_assignment':<34} {hand_acc:>14.4f}   {hf.shape[0]} detections (person and side)")
    print(f"{'face_assignment':<34} {face_acc:>14.4f}   {f_frame.shape[0]} detections")
    print(f"{'body_mpjpe_mm alone / together':<34} {body_alone:>6.2f} / {body_together:>5.2f}   "
          f"ratio {body_together / body_alone:.3f} (target <= 1.05)")
    print(f"{'hand_mpjpe_mm alone / together':<34} {hand_alone:>6.2f} / {hand_together:>5.2f}   "
          f"ratio {hand_together / hand_alone:.3f} (target <= 1.05)")
    print(f"{'relative_depth_err no floor':<34} {rel_no_floor:>14.4f}   per-person depth biases "
          f"{[round(b, 3) for b in man['depth_bias']]}")
    shared_txt = f"{rel_shared:.4f}" if rel_shared is not None else "null"
    print(f"{'relative_depth_err shared floor':<34} {shared_txt:>14}   floor: {floor.get('reason', 'shared by')} "
          f"{floor.get('members', '')} median scales {floor.get('depth_scales', '')} (target <= 0.03)")
    mean_txt = f"{rel_mean_shape:.4f}" if rel_mean_shape is not None else "null"
    print(f"{'  with the mean body shape':<34} {mean_txt:>14}   the people's legs a few cm off: the floor's depth "
          f"is off by that over the camera's height above the pelvis")
    print(f"{'depth / true depth per person':<34} {'':>14}   before floor "
          f"{[round(ratio[p][0], 3) for p in sorted(ratio)]}, after {[round(ratio[p][1], 3) for p in sorted(ratio)]}")
    print(f"{'person_frames_per_s':<34} {pfps:>14,.0f}   {person_frames} person-frames, {len(speed_res.people)} "
          f"tracks in {t_speed:.2f} s wall, {c_speed:.2f} s CPU ({person_frames / c_speed:,.0f} per CPU s; clip "
          f"x{reps}; best of {REPEATS})")
    for key, label, note in (("before", "  before: tracks over whole clip", "fuse_span='clip', as before"),
                             ("baseline", "  fuse() body only, per track", "single-person pipeline, no hands/face")):
        w, c = best[key]
        print(f"{label:<34} {person_frames / w:>14,.0f}   {note}: {w:.2f} s wall, {c:.2f} s CPU "
              f"({person_frames / c:,.0f} per CPU s)")
    print(f"{'  single person (fusion_speed)':<34} {single_fps:>14,.0f}   {single_note} "
          f"({single_cpu_fps:,.0f} per CPU s); {FRAMES}-frame clip alone: {t_clip:.3f} s")
    out = {"bench": "multi_person", "people": PEOPLE, "frames": FRAMES, "id_switches": switches,
           "rank_switches": rank_switches, "hand_assignment": round(hand_acc, 5), "face_assignment": round(face_acc, 5),
           "body_mpjpe_mm": {"alone": round(body_alone, 3), "together": round(body_together, 3)},
           "hand_mpjpe_mm": {"alone": round(hand_alone, 3), "together": round(hand_together, 3)},
           "relative_depth_err": {"no_floor": round(rel_no_floor, 5),
                                  "shared_floor": None if rel_shared is None else round(rel_shared, 5),
                                  "shared_floor_mean_shape": None if rel_mean_shape is None
                                  else round(rel_mean_shape, 5)},
           "relative_depth_note": None if rel_shared is not None else floor.get("reason"),
           "person_frames_per_s": round(pfps, 1), "person_frames_per_cpu_s": round(person_frames / c_speed, 1),
           "person_frames_per_s_before": round(person_frames / best["before"][0], 1),
           "person_frames_per_cpu_s_before": round(person_frames / best["before"][1], 1),
           "baseline_fuse_body_only_frames_per_s": round(person_frames / best["baseline"][0], 1),
           "single_person_frames_per_s": round(single_fps, 1),
           "single_person_frames_per_cpu_s": round(single_cpu_fps, 1),
           "depth_ratio_per_person": {str(p): [round(v, 4) for v in ratio[p]] for p in sorted(ratio)}}
    print(json.dumps(out))
    return 0


def _own_span(body: BodyEstimate) -> BodyEstimate:
    """The track's body without the invalid rows ``fuse_clip`` adds at the clip's first and last frame."""
    valid = np.flatnonzero(np.asarray(body.valid, dtype=bool))
    rows = np.arange(valid[0], valid[-1] + 1)
    return _take(body, rows, len(body.frame_ids))


def _single_person_speed() -> tuple[float, float, str]:
    """``bench/fusion_speed.py``'s case in this process: (frames/s wall, frames/s CPU, a note), best of 2."""
    import fusion_speed as fs  # bench/fusion_speed.py

    from core.demo_data import write_demo_data
    from core.io import read_body, read_face

    with tempfile.TemporaryDirectory() as tmp:
        model_file = ensure_builtin_model("neutral", Path(tmp) / "models", kind="mannequin")
        model = load_body_model(model_file)
        man = write_demo_data(Path(tmp) / "data", model_file, num_frames=120, seed=1)
        body = fs.tile_per_frame(read_body(man.body), fs.FRAMES)
        face = fs.tile_per_frame(read_face(man.face, bbox=man.face_bbox), fs.FRAMES)
        hands = fs.tile_detections(read_hands(man.hands), fs.FRAMES)
    fuse(body, face, hands, model, FusionOptions())  # warm-up
    best_w, best_c = np.inf, np.inf
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        fuse(body, face, hands, model, FusionOptions())
        best_w, best_c = min(best_w, time.perf_counter() - t0), min(best_c, time.process_time() - c0)
    return fs.FRAMES / best_w, fs.FRAMES / best_c, f"one person, {fs.FRAMES} frames, default pipeline"


def _tile(est: Any, reps: int, period: int) -> Any:
    """``est`` repeated ``reps`` times in time, frame ids shifted by ``period`` each time."""
    n = len(est.frame_ids)
    rows = np.tile(np.arange(n), reps)
    frames = np.asarray(est.frame_ids)[rows] + np.repeat(np.arange(reps) * period, n)
    return _take(est, rows, n, frame_ids=frames.astype(np.int64))


if __name__ == "__main__":
    sys.exit(main())
