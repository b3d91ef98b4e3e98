"""Hands and faces to the right person: one optimal one-to-one assignment per frame.

Hand experts (WiLoR / HaMeR) and face experts (EMOCA) detect parts, not people. With several people in a frame
each detection must go to one person (and, for hands, one side), and no person side may take two detections.
This generalises the single-person rule of :func:`core.fusion.hands.assign_hands` (label plus proximity to the
body's projected wrist) to every person at once:

* **Slots.** Per frame, every person present offers two hand slots (left and right wrist, projected into the image)
  and one face slot (the projected head).
* **Cost** of a hand detection for a slot: the distance from its box centre to the slot's wrist in box sizes, plus
  ``label_cost`` when its left/right label names the other side (a label can be wrong, so this is a penalty, not a
  rule), plus ``direction_weight * (1 - cos) / 2``, where ``cos`` is the agreement between the hand's own direction
  (wrist towards the fingers, camera frame) and the slot's forearm (elbow towards wrist). The direction decides
  what distance cannot: in a handshake two right hands sit at the same pixel, but each points away from its own
  elbow. A face detection's cost is its box centre's distance to the projected head, in face-box sizes.
* **Gate.** A slot farther than ``gate`` box sizes is not a candidate.
* **Assignment.** Per frame, the minimum-cost one-to-one assignment (``scipy.optimize.linear_sum_assignment``).
  Where every detection's cheapest slot is distinct the row minima already are that optimum, so the solver runs only
  on frames with a conflict.
* **Unclaimed** detections (no slot within the gate, or a better detection took the slot) are reported with the
  reason, never guessed.

With one person this reduces to label plus proximity, as before. Arrays in, arrays out; no files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

_BIG = 1e6

#: The hand's direction (wrist towards the fingers) in its own rest frame, right hand: the SMPL-X / MANO right arm
#: lies along -x in the T-pose. A left hand, once un-mirrored, points along +x.
RIGHT_HAND_REST_DIRECTION = np.array([-1.0, 0.0, 0.0])


@dataclass(frozen=True)
class AssignmentOptions:
    """Costs and gate of :func:`assign_hands_to_people` / :func:`assign_faces_to_people`.

    Attributes:
        gate: farthest a detection may be from its slot, in its box sizes.
        label_cost: added when a hand's label names the other side.
        direction_weight: weight of the hand-direction disagreement ``(1 - cos) / 2`` (0 turns it off).
    """

    gate: float = 1.5
    label_cost: float = 0.5
    direction_weight: float = 1.0


@dataclass
class PartAssignment:
    """Which person (and side) each of N detections went to.

    Attributes:
        person: (N,) int64 index into the people given (-1: unclaimed).
        side: (N,) int64 0 left / 1 right for hands, 0 for faces (-1: unclaimed).
        cost: (N,) the accepted cost (NaN: unclaimed).
        relabelled: (N,) bool, a hand assigned to the side its label does not name.
        unclaimed: ``[{"frame", "detection", "reason"}]``, reason ``"no person within the gate"`` or
            ``"a closer detection took the slot"``.
        solved_frames: frames that needed the assignment solver (a conflict).
    """

    person: np.ndarray
    side: np.ndarray
    cost: np.ndarray
    relabelled: np.ndarray
    unclaimed: list = field(default_factory=list)
    solved_frames: int = 0

    def rows_of(self, person: int) -> np.ndarray:
        """(n,) detection rows assigned to ``person``."""
        return np.flatnonzero(self.person == int(person))

    def summary(self) -> dict:
        n = int(self.person.shape[0])
        return {"detections": n, "assigned": int(np.count_nonzero(self.person >= 0)),
                "relabelled": int(np.count_nonzero(self.relabelled)), "unclaimed": len(self.unclaimed),
                "unclaimed_first": self.unclaimed[:20], "solved_frames": self.solved_frames}


def hand_direction_cam(global_orient_rotmat: np.ndarray, is_right: np.ndarray,
                       keypoints_3d: Optional[np.ndarray] = None) -> np.ndarray:
    """Each hand detection's direction, wrist towards the fingers, in the camera frame: (N, 3) unit vectors.

    From the 3D keypoints (wrist 0 to middle knuckle 9) when given, else from the wrist rotation and the rest
    direction. Rows are as predicted (left rows mirrored, see :mod:`core.fusion.hands`); the mirror is undone by the
    row's label: x negated for the keypoints, ``M R M`` for the rotation (so ``R @ -x`` mirrored).

    Args:
        global_orient_rotmat: (N, 3, 3) as predicted; is_right: (N,) labels; keypoints_3d: (N, 21, 3) or None.
    """
    right = np.asarray(is_right, dtype=bool).reshape(-1)
    if keypoints_3d is not None:
        kp = np.asarray(keypoints_3d, dtype=np.float64)
        d = kp[:, 9] - kp[:, 0]
    else:
        rot = np.asarray(global_orient_rotmat, dtype=np.float64).reshape(-1, 3, 3)
        d = rot @ RIGHT_HAND_REST_DIRECTION
    d = np.where(right[:, None], d, d * np.array([-1.0, 1.0, 1.0]))
    norm = np.linalg.norm(d, axis=-1, keepdims=True)
    return np.where(norm > 1e-9, d / np.where(norm > 1e-9, norm, 1.0), np.nan)


def _person_rows(person_frame_ids: Sequence[np.ndarray], det_frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, P) row of each detection's frame in each person's timeline, and whether the person has that frame."""
    p = len(person_frame_ids)
    row = np.zeros((det_frames.shape[0], p), dtype=np.int64)
    present = np.zeros((det_frames.shape[0], p), dtype=bool)
    for i, ids in enumerate(person_frame_ids):  # people, not frames
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size == 0:
            continue
        r = np.clip(np.searchsorted(ids, det_frames), 0, ids.size - 1)
        row[:, i] = r
        present[:, i] = ids[r] == det_frames
    return row, present


def _solve(det_frames: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Per frame one-to-one assignment of detections (rows) to slots (columns, ``_BIG`` = impossible).

    Returns ``(slot, lost, solved)``: (N,) chosen slot or -1, (N,) bool a candidate that lost its slot, and the
    number of frames that needed the solver.
    """
    n, s = cost.shape
    slot = np.full(n, -1, dtype=np.int64)
    lost = np.zeros(n, dtype=bool)
    if n == 0 or s == 0:
        return slot, lost, 0
    best = np.argmin(cost, axis=1)
    feasible = cost[np.arange(n), best] < _BIG
    key = det_frames * s + best
    # a conflict: two feasible detections of one frame want the same slot
    k_sorted = np.sort(key[feasible])
    dup_keys = np.unique(k_sorted[1:][k_sorted[1:] == k_sorted[:-1]])
    conflict_frames = np.unique(dup_keys // s) if dup_keys.size else np.zeros(0, dtype=np.int64)
    in_conflict = np.isin(det_frames, conflict_frames)
    easy = feasible & ~in_conflict
    slot[easy] = best[easy]
    order = np.argsort(det_frames, kind="stable")
    lo = np.searchsorted(det_frames[order], conflict_frames, side="left")
    hi = np.searchsorted(det_frames[order], conflict_frames, side="right")
    for a, b in zip(lo.tolist(), hi.tolist()):  # only frames where two detections want one slot
        rows = np.sort(order[a:b])
        sub = cost[rows]
        cols = np.flatnonzero((sub < _BIG).any(axis=0))
        ri, ci = linear_sum_assignment(sub[:, cols])
        ok = sub[ri, cols[ci]] < _BIG
        slot[rows[ri[ok]]] = cols[ci[ok]]
        cand = (sub < _BIG).any(axis=1)
        lost[rows] = cand & (slot[rows] < 0)
    return slot, lost, int(conflict_frames.size)


def assign_hands_to_people(det_frame_ids: np.ndarray, det_is_right: np.ndarray, det_box_center: np.ndarray,
                           det_box_size: np.ndarray, person_frame_ids: Sequence[np.ndarray],
                           wrist_px: Sequence[np.ndarray], det_direction_cam: Optional[np.ndarray] = None,
                           forearm_direction_cam: Optional[Sequence[np.ndarray]] = None,
                           options: Optional[AssignmentOptions] = None) -> PartAssignment:
    """Assign N hand detections to P people's wrists (see the module docstring).

    Args:
        det_frame_ids: (N,) frame of each detection; det_is_right: (N,) labels as predicted.
        det_box_center: (N, 2) pixels; det_box_size: (N,) pixels.
        person_frame_ids: P arrays (T_p,) sorted frame ids of each person.
        wrist_px: P arrays (T_p, 2, 2) projected (left, right) wrists, pixels (NaN: unknown).
        det_direction_cam: (N, 3) each hand's direction (:func:`hand_direction_cam`), or None.
        forearm_direction_cam: P arrays (T_p, 2, 3) unit elbow-to-wrist directions, camera frame, or None.
        options: :class:`AssignmentOptions`.
    Returns:
        :class:`PartAssignment` with ``side`` 0 left / 1 right.
    """
    opts = options or AssignmentOptions()
    frames = np.asarray(det_frame_ids, dtype=np.int64).reshape(-1)
    n, p = frames.shape[0], len(person_frame_ids)
    label = np.asarray(det_is_right, dtype=bool).reshape(n).astype(np.int64)
    center = np.asarray(det_box_center, dtype=np.float64).reshape(n, 2)
    size = np.maximum(np.nan_to_num(np.asarray(det_box_size, dtype=np.float64).reshape(n), nan=1.0), 1.0)
    row, present = _person_rows(person_frame_ids, frames)
    cost = np.full((n, p, 2), _BIG)
    use_direction = opts.direction_weight > 0 and det_direction_cam is not None and forearm_direction_cam is not None
    direction = np.asarray(det_direction_cam, dtype=np.float64).reshape(n, 3) if use_direction else None
    for i in range(p):  # people, not frames: each step is vectorised over the detections of the person's frames
        k = np.flatnonzero(present[:, i])
        w = np.asarray(wrist_px[i], dtype=np.float64)[row[k, i]]  # (K, 2, 2)
        dist = np.linalg.norm(center[k, None] - w, axis=-1) / size[k, None]  # (K, 2)
        c = dist + opts.label_cost * (np.arange(2)[None] != label[k, None])
        if use_direction:
            fa = np.asarray(forearm_direction_cam[i], dtype=np.float64)[row[k, i]]  # (K, 2, 3)
            cos = np.einsum("nc,nsc->ns", direction[k], fa)
            c = c + opts.direction_weight * np.nan_to_num(0.5 * (1.0 - cos), nan=0.0)
        ok = np.isfinite(dist) & (dist <= opts.gate)
        cost[k, i] = np.where(ok, c, _BIG)
    flat = cost.reshape(n, 2 * p)
    slot, lost, solved = _solve(frames, flat)
    got = slot >= 0
    person = np.where(got, slot // 2, -1)
    side = np.where(got, slot % 2, -1)
    chosen = np.where(got, flat[np.arange(n), np.maximum(slot, 0)], np.nan)
    relabelled = got & (side != label)
    return PartAssignment(person=person, side=side, cost=chosen, relabelled=relabelled,
                          unclaimed=_unclaimed(frames, got, lost), solved_frames=solved)


def assign_faces_to_people(det_frame_ids: np.ndarray, det_box_xyxy: np.ndarray,
                           person_frame_ids: Sequence[np.ndarray], head_px: Sequence[np.ndarray],
                           options: Optional[AssignmentOptions] = None) -> PartAssignment:
    """Assign N face detections to P people's projected heads, one face per person and frame.

    Args:
        det_frame_ids: (N,); det_box_xyxy: (N, 4) face boxes, pixels.
        person_frame_ids: P arrays (T_p,); head_px: P arrays (T_p, 2) projected heads (NaN: unknown).
    Returns:
        :class:`PartAssignment` (``side`` 0 where assigned).
    """
    opts = options or AssignmentOptions()
    frames = np.asarray(det_frame_ids, dtype=np.int64).reshape(-1)
    n, p = frames.shape[0], len(person_frame_ids)
    box = np.asarray(det_box_xyxy, dtype=np.float64).reshape(n, 4)
    center = 0.5 * (box[:, :2] + box[:, 2:])
    size = np.maximum(np.nan_to_num(np.max(box[:, 2:] - box[:, :2], axis=1), nan=1.0), 1.0)
    row, present = _person_rows(person_frame_ids, frames)
    cost = np.full((n, p), _BIG)
    for i in range(p):  # people, not frames
        k = np.flatnonzero(present[:, i])
        h = np.asarray(head_px[i], dtype=np.float64)[row[k, i]]
        dist = np.linalg.norm(center[k] - h, axis=-1) / size[k]
        cost[k, i] = np.where(np.isfinite(dist) & (dist <= opts.gate), dist, _BIG)
    slot, lost, solved = _solve(frames, cost)
    got = slot >= 0
    return PartAssignment(person=np.where(got, slot, -1), side=np.where(got, 0, -1),
                          cost=np.where(got, cost[np.arange(n), np.maximum(slot, 0)], np.nan),
                          relabelled=np.zeros(n, dtype=bool), unclaimed=_unclaimed(frames, got, lost),
                          solved_frames=solved)


def _unclaimed(frames: np.ndarray, got: np.ndarray, lost: np.ndarray) -> list[dict]:
    out = []
    for r in np.flatnonzero(~got).tolist():  # reporting only
        out.append({"frame": int(frames[r]), "detection": int(r),
                    "reason": "a closer detection took the slot" if lost[r] else "no person within the gate"})
    return out


__all__ = ["AssignmentOptions", "PartAssignment", "RIGHT_HAND_REST_DIRECTION", "hand_direction_cam",
           "assign_hands_to_people", "assign_faces_to_people"]
