"""The tracker: a crossing that swaps per-frame ranks, a gap, a birth and a death, estimator ids kept."""
from __future__ import annotations

import numpy as np
import pytest

from core.tracking import PersonDetections, TrackingOptions, box_iou, link_detections


def _crossing(frames: int = 40, seed: int = 0):
    """Two people walking past each other at different depths; rows written in a per-frame rank order that
    swaps at random (like SMPLer-X's bbox_id), so the rank says nothing about identity."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)
    x = np.stack([-1.5 + 3.0 * t / (frames - 1), 1.5 - 3.0 * t / (frames - 1)], axis=1)  # (T, 2) they cross
    z = np.array([3.0, 4.2])
    roots = np.stack([x, np.zeros_like(x) + 0.1, np.broadcast_to(z, x.shape)], axis=-1)  # (T, 2, 3)
    f = 1000.0
    u = 640 + f * roots[..., 0] / roots[..., 2]
    half_w = f * 0.3 / roots[..., 2]
    half_h = f * 0.9 / roots[..., 2]
    boxes = np.stack([u - half_w, 360 - half_h, u + half_w, 360 + half_h], axis=-1)
    poses = np.stack([np.full((frames, 63), 0.1), np.full((frames, 63), -0.2)], axis=1)
    shapes = np.stack([np.full((frames, 10), 0.8), np.full((frames, 10), -0.6)], axis=1)
    truth = np.tile([0, 1], (frames, 1))
    swap = rng.random(frames) < 0.5
    order = np.where(swap[:, None], [1, 0], [0, 1])  # rank -> person
    pick = lambda a: np.take_along_axis(a, order.reshape(frames, 2, *([1] * (a.ndim - 2))), axis=1)  # noqa: E731
    dets = PersonDetections(frame_ids=np.repeat(t, 2), box_xyxy=pick(boxes).reshape(-1, 4),
                            root_cam=pick(roots).reshape(-1, 3), pose_aa=pick(poses).reshape(-1, 63),
                            shape=pick(shapes).reshape(-1, 10))
    return dets, np.take_along_axis(truth, order, axis=1).reshape(-1), swap


def _switches(tracks: np.ndarray, truth: np.ndarray) -> int:
    """Detections whose track is not the majority track of their true person."""
    wrong = 0
    for p in np.unique(truth):
        ids, counts = np.unique(tracks[truth == p], return_counts=True)
        wrong += int(counts.sum() - counts.max())
    return wrong


def test_box_iou_against_hand_computed_values():
    a = np.array([[0, 0, 10, 10], [0, 0, 2, 2]])
    b = np.array([[5, 5, 15, 15], [20, 20, 30, 30]])
    iou = box_iou(a, b)
    assert iou[0, 0] == pytest.approx(25.0 / 175.0)
    assert iou[0, 1] == 0.0 and iou[1, 1] == 0.0
    assert box_iou(a, a)[0, 0] == pytest.approx(1.0)


def test_crossing_with_swapping_ranks_keeps_identities():
    dets, truth, swap = _crossing()
    assert swap.any() and (~swap).any()  # the rank really swaps
    rank_as_id = np.tile([0, 1], dets.count // 2)
    assert _switches(rank_as_id, truth) > 5  # the rank alone would swap bodies
    res = link_detections(dets)
    assert res.id_source == "linked"
    assert res.track_ids.tolist() == [0, 1]
    assert _switches(res.track_of_detection, truth) == 0
    # one track per person
    assert len({int(res.track_of_detection[truth == p][0]) for p in (0, 1)}) == 2


def test_crossing_at_same_box_needs_the_3d_root():
    """At the crossing the boxes overlap; with boxes alone and a flipped velocity the pair is ambiguous, the 3D
    root (different depths) is not."""
    dets, truth, _ = _crossing()
    res = link_detections(PersonDetections(frame_ids=dets.frame_ids, box_xyxy=dets.box_xyxy,
                                           root_cam=dets.root_cam))
    assert _switches(res.track_of_detection, truth) == 0


def test_gap_is_reidentified_and_birth_and_death_reported():
    dets, truth, _ = _crossing(frames=60)
    frames = np.asarray(dets.frame_ids)
    # person 0 vanishes for frames 20..31 (12 frames); person 2 is born at frame 10 and dies at frame 40
    keep = ~((truth == 0) & (frames >= 20) & (frames < 32))
    extra_t = np.arange(10, 41)
    extra = PersonDetections(frame_ids=extra_t, box_xyxy=np.tile([[100, 100, 200, 400]], (extra_t.size, 1)),
                             root_cam=np.tile([[-2.5, 0.1, 5.0]], (extra_t.size, 1)),
                             pose_aa=np.zeros((extra_t.size, 63)), shape=np.zeros((extra_t.size, 10)))
    cat = PersonDetections(
        frame_ids=np.concatenate([frames[keep], extra.frame_ids]),
        box_xyxy=np.concatenate([dets.box_xyxy[keep], extra.box_xyxy]),
        root_cam=np.concatenate([dets.root_cam[keep], extra.root_cam]),
        pose_aa=np.concatenate([dets.pose_aa[keep], extra.pose_aa]),
        shape=np.concatenate([dets.shape[keep], extra.shape]))
    true_all = np.concatenate([truth[keep], np.full(extra_t.size, 2)])
    res = link_detections(cat)
    assert _switches(res.track_of_detection, true_all) == 0
    assert res.track_ids.size == 3
    t0 = int(res.track_of_detection[true_all == 0][0])
    t2 = int(res.track_of_detection[true_all == 2][0])
    assert [r for r in res.reidentified if r["track"] == t0] == [
        {"track": t0, "last_seen": 19, "frame": 32, "gap": 13}]
    assert {"track": t2, "frame": 10} in res.births
    assert {"track": t2, "frame": 40} in res.deaths


def test_gap_longer_than_the_window_is_a_new_track():
    dets, truth, _ = _crossing(frames=60)
    frames = np.asarray(dets.frame_ids)
    keep = ~((truth == 0) & (frames >= 10) & (frames < 30))
    res = link_detections(PersonDetections(frame_ids=frames[keep], box_xyxy=dets.box_xyxy[keep],
                                           root_cam=dets.root_cam[keep], shape=dets.shape[keep]),
                          TrackingOptions(max_gap_frames=10))
    assert res.track_ids.size == 3  # person 0 came back after 20 frames > 10: a new identity
    assert not res.reidentified


def test_estimator_ids_are_kept_as_they_are():
    dets, truth, _ = _crossing()
    tid = np.where(truth == 0, 7, 3)
    res = link_detections(PersonDetections(frame_ids=dets.frame_ids, box_xyxy=dets.box_xyxy, track_ids=tid))
    assert res.id_source == "estimator"
    np.testing.assert_array_equal(res.track_of_detection, tid)
    off = link_detections(PersonDetections(frame_ids=dets.frame_ids, box_xyxy=dets.box_xyxy, track_ids=tid,
                                           root_cam=dets.root_cam), TrackingOptions(use_estimator_ids=False))
    assert off.id_source == "linked"


def test_frames_that_skip_the_solver_give_the_solvers_answer():
    """Easy frames (each row's predecessor mutual and clear) skip linear_sum_assignment; forcing the solver on
    every frame (an impossible margin) gives the same tracks."""
    dets, truth, _ = _crossing(frames=80, seed=4)
    fast = link_detections(dets)
    slow = link_detections(dets, TrackingOptions(easy_margin=1e9))
    np.testing.assert_array_equal(fast.track_of_detection, slow.track_of_detection)
    assert _switches(fast.track_of_detection, truth) == 0
