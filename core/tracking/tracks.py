"""Linking per-frame person detections into tracks.

A whole-body regressor run with several people (SMPLer-X ``--multi_person``) writes one file per frame and
detection, ``smplx/{frame:05}_{bbox_id}.npz``, where ``bbox_id`` is the detection's rank in that frame (NMS order),
not an identity: when two people cross, the ranks swap. :func:`link_detections` turns such rows into tracks.

Per frame, in frame order, every live track is compared with every detection of the frame and one optimal
one-to-one assignment is solved (``scipy.optimize.linear_sum_assignment``). The cost of a (track, detection) pair is
a weighted mean of the terms that both sides have:

* **box**: ``1 - IoU`` of the detection's box and the track's last box moved on by its last step; its weight
  decays with the frames since the track was last seen (``box_decay_frames``), as a stale box says little;
* **root**: the 3D distance (metres, camera frame) between the detection's root and the track's predicted root
  (last root plus ``velocity_smoothing`` times its last step per frame, times the gap), divided by
  ``root_scale_m``; this is what keeps two people apart when their
  boxes overlap while crossing at different depths;
* **pose**: the RMS difference of the body pose vectors (axis-angle, radians), divided by ``pose_scale_rad``;
* **shape**: the RMS difference of the shape coefficients (betas), divided by ``shape_scale``; shape is the cue
  that re-identifies a person after a gap, when position and box have moved on.

**Gating.** A pair is impossible when the root moved farther than ``root_gate_m + max_speed_mps * gap / fps``, or
(without roots) when the boxes do not overlap on consecutive frames; a pair whose cost exceeds ``max_cost`` is
refused after the assignment. **Births**: a detection no live track takes starts a new track. **Deaths**: a track
not seen for more than ``max_gap_frames`` frames ends. **Re-identification**: a track unseen for 2 to
``max_gap_frames`` frames may still take a detection; that is recorded as a re-identification.

**Speed.** Frames where every row continues exactly one row of the previous frame beyond doubt (mutual cheapest
pair with a clear margin, same count, no gap) are found for the whole clip at once (:func:`_easy_links`) and
only extend their tracks; the solver runs on the other frames (crossings, births, deaths, returns), and forcing it
on every frame gives the same tracks (a test pins this).

**Estimator ids.** Where the estimator tracks people itself (4D-Humans / PHALP ``tid``), its ids are kept as they
are (``id_source = "estimator"``); nothing is re-linked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy.optimize import linear_sum_assignment

_BIG = 1e6


@dataclass(frozen=True)
class PersonDetections:
    """N person detections of one clip, any number per frame.

    Attributes:
        frame_ids: (N,) int64 footage frame of each detection.
        box_xyxy: (N, 4) x0, y0, x1, y1 pixels, or None.
        root_cam: (N, 3) the body root (pelvis) in the camera frame, metres (OpenCV), or None.
        pose_aa: (N, K) body pose as flattened axis-angle (e.g. 21 x 3 joints), radians, or None.
        shape: (N, B) shape coefficients (betas), or None.
        track_ids: (N,) int64 the estimator's own track id per detection (-1: none), or None.
    """

    frame_ids: np.ndarray
    box_xyxy: Optional[np.ndarray] = None
    root_cam: Optional[np.ndarray] = None
    pose_aa: Optional[np.ndarray] = None
    shape: Optional[np.ndarray] = None
    track_ids: Optional[np.ndarray] = None

    @property
    def count(self) -> int:
        return int(np.asarray(self.frame_ids).reshape(-1).shape[0])


@dataclass(frozen=True)
class TrackingOptions:
    """Weights, scales and gates of :func:`link_detections` (see the module docstring).

    Attributes:
        box_weight, root_weight, pose_weight, shape_weight: weights of the cost terms.
        root_scale_m, pose_scale_rad, shape_scale: the value of each term's raw distance that costs 1.
        box_decay_frames: the box term's weight is ``box_weight * exp(-(gap - 1) / box_decay_frames)``.
        root_gate_m, max_speed_mps, fps: the root gate, ``root_gate_m + max_speed_mps * gap / fps`` metres.
        max_cost: the largest accepted pair cost.
        max_gap_frames: the longest gap a track survives (re-identification window).
        velocity_smoothing: the share of the track's last step (per frame) carried into the prediction.
        easy_margin: a frame skips the solver when each row and its predecessor are each other's cheapest pair by
            at least this cost margin (see :func:`_easy_links`).
        use_estimator_ids: keep the estimator's own track ids where every detection has one.
    """

    box_weight: float = 1.0
    root_weight: float = 1.5
    pose_weight: float = 0.5
    shape_weight: float = 1.0
    root_scale_m: float = 0.5
    pose_scale_rad: float = 0.35
    shape_scale: float = 0.5
    box_decay_frames: float = 3.0
    root_gate_m: float = 0.6
    max_speed_mps: float = 3.0
    fps: float = 30.0
    max_cost: float = 1.5
    max_gap_frames: int = 45
    velocity_smoothing: float = 0.5
    easy_margin: float = 0.3
    use_estimator_ids: bool = True


@dataclass
class TrackResult:
    """What :func:`link_detections` found.

    Attributes:
        track_of_detection: (N,) int64 track id of each detection (ids 0, 1, ... in order of birth, or the
            estimator's own ids).
        id_source: ``"linked"`` or ``"estimator"``.
        births: ``[{"track", "frame"}]`` one per track, its first frame.
        deaths: ``[{"track", "frame"}]`` for tracks that ended (last frame seen) before the clip's last frame.
        reidentified: ``[{"track", "last_seen", "frame", "gap"}]`` a track that took a detection again after
            ``gap`` > 1 frames.
        cost: (N,) the accepted pair cost of each detection (NaN for births and estimator ids).
    """

    track_of_detection: np.ndarray
    id_source: str
    births: list = field(default_factory=list)
    deaths: list = field(default_factory=list)
    reidentified: list = field(default_factory=list)
    cost: Optional[np.ndarray] = None

    @property
    def track_ids(self) -> np.ndarray:
        """(K,) the distinct track ids, sorted."""
        return np.unique(self.track_of_detection)

    def rows_of(self, track_id: int) -> np.ndarray:
        """(n,) detection rows of one track, in their input order."""
        return np.flatnonzero(self.track_of_detection == int(track_id))

    def summary(self) -> dict:
        return {"tracks": int(self.track_ids.shape[0]), "id_source": self.id_source,
                "births": len(self.births), "deaths": len(self.deaths),
                "reidentified": [dict(r) for r in self.reidentified]}


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair: (A, 4), (B, 4) x0, y0, x1, y1 -> (A, B) in [0, 1]."""
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(1, -1, 4)
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0.0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0.0, None)
    inter = iw * ih
    area_a = np.clip(a[..., 2] - a[..., 0], 0.0, None) * np.clip(a[..., 3] - a[..., 1], 0.0, None)
    area_b = np.clip(b[..., 2] - b[..., 0], 0.0, None) * np.clip(b[..., 3] - b[..., 1], 0.0, None)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _rows(value: Optional[np.ndarray], n: int, width: int, name: str) -> Optional[np.ndarray]:
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    try:
        arr = arr.reshape(n, width) if width > 0 else arr.reshape(n, -1)
    except ValueError:
        raise ValueError(f"{name}: expected {n} rows, found shape {tuple(np.shape(value))}") from None
    return arr


class _State:
    """What the linker knows of every track so far (K tracks), read off the rows each track took.

    The box and root velocities are the last step of the track (last two rows); the shape is the mean of all its
    rows (an identity, not a state). Easy frames (:func:`_easy_links`) only extend ``last_row``; everything else is
    recomputed from the rows when a frame needs the assignment.
    """

    def __init__(self) -> None:
        self.last_row = np.zeros(0, dtype=np.int64)
        self.prev_row = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)

    @property
    def count(self) -> int:
        return int(self.last_row.shape[0])

    def add(self, rows: np.ndarray) -> np.ndarray:
        first = self.count
        self.last_row = np.concatenate([self.last_row, rows])
        self.prev_row = np.concatenate([self.prev_row, np.full(rows.shape[0], -1, dtype=np.int64)])
        self.alive = np.concatenate([self.alive, np.ones(rows.shape[0], dtype=bool)])
        return np.arange(first, first + rows.shape[0])

    def extend(self, tracks: np.ndarray, rows: np.ndarray) -> None:
        self.prev_row[tracks] = self.last_row[tracks]
        self.last_row[tracks] = rows


def _pair_costs(d: dict[str, np.ndarray], shape_mean: np.ndarray, last: np.ndarray, prev: np.ndarray, frame: int,
                rows: np.ndarray, have: dict[str, bool], opts: TrackingOptions) -> np.ndarray:
    """(L, M) cost of L live tracks (their last rows ``last`` and the rows before, ``prev``, -1: none) x the frame's
    rows ``rows``; ``_BIG`` where gated out. ``d``: the detections' arrays by name; ``shape_mean``: (L, B)."""
    frames = d["frames"]
    gap = (frame - frames[last]).astype(np.float64)  # (L,)
    has_prev = prev >= 0
    p0 = np.maximum(prev, 0)
    step = np.where(has_prev, np.maximum(frames[last] - frames[p0], 1), 1).astype(np.float64)[:, None]
    num = np.zeros((last.shape[0], rows.shape[0]))
    den = np.zeros((last.shape[0], 1))
    gated = np.zeros(num.shape, dtype=bool)
    if have["box"]:
        box = d["box"]
        vel = np.where(has_prev[:, None], (box[last] - box[p0]) / step, 0.0)
        pred_box = box[last] + opts.velocity_smoothing * vel * gap[:, None]
        iou = box_iou(pred_box, box[rows])
        w = opts.box_weight * np.exp(-(gap - 1.0) / max(opts.box_decay_frames, 1e-6))[:, None]
        num += w * (1.0 - iou)
        den += w
        if not have["root"]:
            gated |= (iou <= 0.0) & (gap[:, None] <= 1.0)
    if have["root"]:
        root = d["root"]
        vel = np.where(has_prev[:, None], (root[last] - root[p0]) / step, 0.0)
        pred_root = root[last] + opts.velocity_smoothing * vel * np.minimum(gap, 5.0)[:, None]
        d_pred = np.linalg.norm(pred_root[:, None] - root[rows][None], axis=-1)
        d_last = np.linalg.norm(root[last][:, None] - root[rows][None], axis=-1)
        dist = np.minimum(d_pred, d_last)
        gate = opts.root_gate_m + opts.max_speed_mps * gap / max(opts.fps, 1e-6)
        gated |= dist > gate[:, None]
        num += opts.root_weight * dist / opts.root_scale_m
        den += opts.root_weight
    if have["pose"]:
        diff = d["pose"][last][:, None] - d["pose"][rows][None]
        num += opts.pose_weight * np.sqrt(np.mean(diff * diff, axis=-1)) / opts.pose_scale_rad
        den += opts.pose_weight
    if have["shape"]:
        diff = shape_mean[:, None] - d["shape"][rows][None]
        num += opts.shape_weight * np.sqrt(np.mean(diff * diff, axis=-1)) / opts.shape_scale
        den += opts.shape_weight
    cost = num / np.maximum(den, 1e-12)
    return np.where(gated, _BIG, cost)


def _easy_links(d: dict[str, np.ndarray], have: dict[str, bool], starts: np.ndarray, stops: np.ndarray,
                uniq: np.ndarray, opts: TrackingOptions) -> np.ndarray:
    """(F,) per frame group (sorted order), whether every row continues exactly one row of the previous frame
    beyond doubt, and (N,) that row (``pred``, sorted positions; -1 where not easy).

    Vectorised over all consecutive frame pairs at once: a frame is easy when it directly follows the previous
    one, has as many rows, and every row and its predecessor are each other's cheapest pair (the cost of
    :func:`_pair_costs` without velocity) with a clear margin to the second cheapest on both sides. Only the other
    frames need the assignment solver.
    """
    f = uniq.shape[0]
    n = d["frames"].shape[0]
    easy = np.zeros(f, dtype=bool)
    pred = np.full(n, -1, dtype=np.int64)
    if f < 2:
        return easy, pred
    counts = stops - starts
    cand = np.flatnonzero((uniq[1:] == uniq[:-1] + 1) & (counts[1:] == counts[:-1])) + 1  # frame groups
    if cand.size == 0:
        return easy, pred
    m = counts[cand]
    # every (row in the frame, row in the previous frame) pair of the candidate frames
    reps = m * m
    g = np.repeat(np.arange(cand.size), reps)
    k = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    mm = m[g]
    cur = starts[cand][g] + k // mm
    prv = starts[cand - 1][g] + k % mm
    num = np.zeros(cur.shape[0])
    den = 0.0
    gated = np.zeros(cur.shape[0], dtype=bool)
    if have["box"]:
        b1, b0 = d["box"][cur], d["box"][prv]
        iw = np.clip(np.minimum(b1[:, 2], b0[:, 2]) - np.maximum(b1[:, 0], b0[:, 0]), 0.0, None)
        ih = np.clip(np.minimum(b1[:, 3], b0[:, 3]) - np.maximum(b1[:, 1], b0[:, 1]), 0.0, None)
        inter = iw * ih
        union = np.prod(np.clip(b1[:, 2:] - b1[:, :2], 0, None), 1) + \
            np.prod(np.clip(b0[:, 2:] - b0[:, :2], 0, None), 1) - inter
        num += opts.box_weight * (1.0 - np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0))
        den += opts.box_weight
    if have["root"]:
        dist = np.linalg.norm(d["root"][cur] - d["root"][prv], axis=-1)
        gated |= dist > opts.root_gate_m * 0.5
        num += opts.root_weight * dist / opts.root_scale_m
        den += opts.root_weight
    if have["pose"]:
        diff = d["pose"][cur] - d["pose"][prv]
        num += opts.pose_weight * np.sqrt(np.mean(diff * diff, axis=-1)) / opts.pose_scale_rad
        den += opts.pose_weight
    if have["shape"]:
        diff = d["shape"][cur] - d["shape"][prv]
        num += opts.shape_weight * np.sqrt(np.mean(diff * diff, axis=-1)) / opts.shape_scale
        den += opts.shape_weight
    cost = np.where(gated, _BIG, num / max(den, 1e-12))
    margin = opts.easy_margin
    ok_frame = np.ones(cand.size, dtype=bool)
    best_prev = np.full(n, -1, dtype=np.int64)
    for side_rows, other in ((cur, prv), (prv, cur)):  # each row's cheapest partner, and the margin
        order = np.lexsort((cost, side_rows))
        sr, c, o = side_rows[order], cost[order], other[order]
        first = np.flatnonzero(np.r_[True, sr[1:] != sr[:-1]])
        second = first + 1
        has_second = np.r_[first[1:], sr.shape[0]] > second
        c2 = np.where(has_second, c[np.minimum(second, sr.shape[0] - 1)], np.inf)
        clear = (c[first] <= opts.max_cost * 0.5) & (c2 - c[first] >= margin)
        rows_here = sr[first]
        bad_groups = np.unique(g[order][first][~clear])
        ok_frame[bad_groups] = False
        if side_rows is cur:
            best_prev[rows_here] = o[first]
        else:
            best_next = np.full(n, -1, dtype=np.int64)
            best_next[rows_here] = o[first]
    mutual = np.zeros(cur.shape[0], dtype=bool)
    sel = best_prev[cur] == prv
    mutual[sel] = best_next[prv[sel]] == cur[sel]
    # a frame is easy when each of its rows has a mutual, clear predecessor
    mutual_rows = np.bincount(g[mutual], minlength=cand.size)
    ok_frame &= mutual_rows == m
    easy[cand[ok_frame]] = True
    rows_ok = np.isin(g, np.flatnonzero(ok_frame)) & mutual
    pred[cur[rows_ok]] = prv[rows_ok]
    return easy, pred


def link_detections(detections: PersonDetections, options: Optional[TrackingOptions] = None) -> TrackResult:
    """Link N person detections into tracks (see the module docstring).

    Args:
        detections: the clip's detections (any order; at least ``frame_ids`` and one of box / root).
        options: :class:`TrackingOptions` (defaults when None).
    Returns:
        :class:`TrackResult`.
    """
    opts = options or TrackingOptions()
    frames_in = np.asarray(detections.frame_ids, dtype=np.int64).reshape(-1)
    n = frames_in.shape[0]
    if n == 0:
        return TrackResult(track_of_detection=np.zeros(0, dtype=np.int64), id_source="linked", cost=np.zeros(0))
    if detections.track_ids is not None and opts.use_estimator_ids:
        ids = np.asarray(detections.track_ids, dtype=np.int64).reshape(-1)
        if ids.shape[0] != n:
            raise ValueError(f"track_ids: expected {n} rows, found {ids.shape[0]}")
        if np.all(ids >= 0):
            return _estimator_tracks(frames_in, ids)
    raw = {"box": _rows(detections.box_xyxy, n, 4, "box_xyxy"), "root": _rows(detections.root_cam, n, 3, "root_cam"),
           "pose": _rows(detections.pose_aa, n, 0, "pose_aa"), "shape": _rows(detections.shape, n, 0, "shape")}
    if raw["box"] is None and raw["root"] is None:
        raise ValueError("linking needs boxes or roots")
    have = {k: v is not None for k, v in raw.items()}
    order = np.argsort(frames_in, kind="stable")  # work in frame order; map back at the end
    width = {"box": 4, "root": 3, "pose": 0, "shape": 0}
    d = {k: (np.nan_to_num(v[order]) if v is not None else np.zeros((n, width[k]))) for k, v in raw.items()}
    d["frames"] = frames_in[order]
    uniq, starts = np.unique(d["frames"], return_index=True)
    stops = np.append(starts[1:], n)
    easy, pred = _easy_links(d, have, starts, stops, uniq, opts)

    out = np.full(n, -1, dtype=np.int64)
    cost_out = np.full(n, np.nan)
    state = _State()
    shapes = _ShapeMeans(d["shape"].shape[1])
    births: list[dict] = []
    deaths: list[dict] = []
    reid: list[dict] = []
    anchor = _chain_anchors(pred)
    run_end = _easy_run_ends(easy)
    uniq_l, starts_l, stops_l = uniq.tolist(), starts.tolist(), stops.tolist()
    gi = 0
    while gi < uniq.shape[0]:  # frames that need the solver, one at a time; runs of easy frames at once
        if easy[gi]:  # every row continues its predecessor's track: the whole run takes its anchors' tracks
            ge = int(run_end[gi])
            run = np.arange(starts_l[gi], stops_l[ge])
            out[run] = out[anchor[run]]
            rows_last = np.arange(starts_l[ge], stops_l[ge])
            tracks = out[rows_last]
            state.prev_row[tracks] = pred[rows_last]
            state.last_row[tracks] = rows_last
            gi = ge + 1
            continue
        frame, a, b = uniq_l[gi], starts_l[gi], stops_l[gi]
        gi += 1
        rows = np.arange(a, b)
        last_frames = d["frames"][state.last_row] if state.count else np.zeros(0, dtype=np.int64)
        ended = np.flatnonzero(state.alive & (frame - last_frames > opts.max_gap_frames))
        deaths.extend({"track": int(k), "frame": int(last_frames[k])} for k in ended.tolist())
        state.alive[ended] = False
        live = np.flatnonzero(state.alive)
        taken = np.zeros(rows.shape[0], dtype=bool)
        if live.size:
            shape_mean = (shapes.means(d["shape"], out, a, live, state.count) if have["shape"]
                          else np.zeros((live.size, 0)))
            cost = _pair_costs(d, shape_mean, state.last_row[live], state.prev_row[live], frame, rows, have, opts)
            ti, di = linear_sum_assignment(cost)
            ok = cost[ti, di] <= opts.max_cost
            ti, di = ti[ok], di[ok]
            tracks = live[ti]
            gaps = frame - d["frames"][state.last_row[tracks]]
            for k, g in zip(tracks.tolist(), gaps.tolist()):
                if g > 1:
                    reid.append({"track": k, "last_seen": int(frame - g), "frame": int(frame), "gap": int(g)})
            out[rows[di]] = tracks
            cost_out[rows[di]] = cost[ti, di]
            state.extend(tracks, rows[di])
            taken[di] = True
        new = rows[~taken]
        if new.size:
            ids = state.add(new)
            out[new] = ids
            births.extend({"track": int(k), "frame": int(frame)} for k in ids.tolist())
    last = int(d["frames"][-1])
    if state.count:
        last_frames = d["frames"][state.last_row]
        for k in np.flatnonzero(state.alive).tolist():
            if last_frames[k] < last:
                deaths.append({"track": k, "frame": int(last_frames[k])})
    track_of = np.empty(n, dtype=np.int64)
    track_of[order] = out
    cost_in = np.empty(n)
    cost_in[order] = cost_out
    return TrackResult(track_of_detection=track_of, id_source="linked", births=births, deaths=deaths,
                       reidentified=reid, cost=cost_in)


def _chain_anchors(pred: np.ndarray) -> np.ndarray:
    """(N,) for each row, the first row of its chain of easy predecessors (``pred``, -1: none), found by pointer
    doubling: a row of an easy frame continues the track of the row its chain starts from, a row of the frame just
    before the run of easy frames (itself the row where ``pred`` is -1)."""
    up = np.where(pred >= 0, pred, np.arange(pred.shape[0]))
    while True:  # log2(longest run) passes
        nxt = up[up]
        if np.array_equal(nxt, up):
            return up
        up = nxt


def _easy_run_ends(easy: np.ndarray) -> np.ndarray:
    """(F,) for each frame group that starts a run of easy frames, the run's last group (-1 elsewhere)."""
    f = easy.shape[0]
    begin = easy & ~np.r_[False, easy[:-1]]
    end = easy & ~np.r_[easy[1:], False]
    out = np.full(f, -1, dtype=np.int64)
    out[np.flatnonzero(begin)] = np.flatnonzero(end)
    return out


class _ShapeMeans:
    """Each track's mean shape over the rows it took, summed incrementally (rows are added once, in frame order)."""

    def __init__(self, width: int) -> None:
        self.sums = np.zeros((0, width))
        self.counts = np.zeros(0)
        self.done = 0

    def means(self, shape: np.ndarray, assigned: np.ndarray, upto: int, live: np.ndarray, count: int) -> np.ndarray:
        """(L, B) for the ``live`` tracks, after adding rows ``done..upto`` (``assigned``: their tracks)."""
        if self.sums.shape[0] < count:
            grow = count - self.sums.shape[0]
            self.sums = np.concatenate([self.sums, np.zeros((grow, self.sums.shape[1]))])
            self.counts = np.concatenate([self.counts, np.zeros(grow)])
        new = np.arange(self.done, upto)
        k = assigned[new]
        for col in range(self.sums.shape[1]):  # shape coefficients, not rows
            self.sums[:, col] += np.bincount(k, weights=shape[new, col], minlength=self.sums.shape[0])
        self.counts += np.bincount(k, minlength=self.sums.shape[0])
        self.done = upto
        return self.sums[live] / np.maximum(self.counts[live], 1.0)[:, None]


def _estimator_tracks(frames: np.ndarray, ids: np.ndarray) -> TrackResult:
    """The estimator's own ids, with births, deaths and gaps read off them."""
    births, deaths, reid = [], [], []
    last = int(frames.max())
    for k in np.unique(ids).tolist():
        f = np.unique(frames[ids == k])
        births.append({"track": int(k), "frame": int(f[0])})
        if f[-1] < last:
            deaths.append({"track": int(k), "frame": int(f[-1])})
        steps = np.diff(f)
        for i in np.flatnonzero(steps > 1).tolist():
            reid.append({"track": int(k), "last_seen": int(f[i]), "frame": int(f[i + 1]), "gap": int(steps[i])})
    return TrackResult(track_of_detection=ids.copy(), id_source="estimator", births=births, deaths=deaths,
                       reidentified=reid, cost=np.full(frames.shape[0], np.nan))


__all__ = ["PersonDetections", "TrackingOptions", "TrackResult", "box_iou", "link_detections"]
