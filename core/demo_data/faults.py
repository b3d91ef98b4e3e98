"""Which frames the synthetic estimators get wrong, chosen from a seeded stream and recorded in the manifest.

Faults (``Fault.kind``):
- ``face_missing``: isolated frames with no EMOCA folder and no face box (the face detector found nothing).
- ``hand_missing``: isolated frames where one hand has no WiLoR detection (``detail['sides']`` per frame).
- ``occlusion_gap``: a short run of consecutive frames with no face folder, no face box and no WiLoR file.
- ``mislabeled_hand``: one detection in one frame whose ``is_right`` is flipped (its geometry is still that of
  the true side): ``detail`` has ``detection_index`` (row in that frame's batch), ``true_side``, ``written_is_right``.
- ``body_outlier``: one NaN-free SMPLer-X frame that is grossly wrong (body turned, limbs off, depth off).

Every fault lists ``rows`` (ground-truth rows, 0-based) and ``frames`` (footage frame numbers, the numbers in
the file names: ``row + first_frame``). No two faults share a row, so detection can be scored per frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

SIDES = ("left", "right")


@dataclass
class Fault:
    """One injected fault. ``rows`` are ground-truth rows; ``frames`` the footage frame numbers of those rows."""

    kind: str
    part: str
    rows: list[int]
    frames: list[int]
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "part": self.part, "rows": list(self.rows), "frames": list(self.frames),
                "detail": self.detail}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Fault":
        return cls(kind=str(data["kind"]), part=str(data["part"]), rows=[int(r) for r in data["rows"]],
                   frames=[int(f) for f in data["frames"]], detail=dict(data.get("detail", {})))


@dataclass
class FaultPlan:
    """Per-row masks the writers apply (T rows).

    Attributes:
        face_present: (T,) bool, False where EMOCA writes nothing for the frame.
        hand_present: (T, 2) bool, left / right detection exists.
        mislabeled: (row, side index 0 = left / 1 = right) of the detection whose flag is flipped, or None.
        body_outlier: row of the grossly wrong body frame, or None.
        faults: the records for the manifest.
    """

    face_present: np.ndarray
    hand_present: np.ndarray
    mislabeled: Optional[tuple[int, int]]
    body_outlier: Optional[int]
    faults: list[Fault]


def no_faults(num_frames: int) -> FaultPlan:
    """A plan with every part present in every frame."""
    return FaultPlan(face_present=np.ones(num_frames, bool), hand_present=np.ones((num_frames, 2), bool),
                     mislabeled=None, body_outlier=None, faults=[])


def plan_faults(num_frames: int, first_frame: int, rng: np.random.Generator) -> FaultPlan:
    """Choose fault rows for a take of ``num_frames`` rows.

    A gap of ``min(6, T // 6)`` frames (at least 2, else none) lies in the second half; three face drops, three
    single-hand drops, one mislabeled hand and one body outlier fall on distinct rows away from the gap and the
    first and last two rows. Faults that no longer fit a short take are left out (and so not recorded).
    """
    t = num_frames
    plan = no_faults(t)
    used = np.zeros(t, bool)
    used[:2] = True
    used[max(t - 2, 0):] = True

    def frames_of(rows: list[int]) -> list[int]:
        return [int(r) + first_frame for r in rows]

    gap_len = min(6, t // 6)
    if gap_len >= 2 and t - 2 - gap_len >= t // 2:
        start = int(rng.integers(t // 2, t - 2 - gap_len + 1))
        rows = list(range(start, start + gap_len))
        plan.face_present[rows] = False
        plan.hand_present[rows] = False
        used[max(start - 1, 0):start + gap_len + 1] = True
        plan.faults.append(Fault("occlusion_gap", "face+hands", rows, frames_of(rows),
                                 {"missing": ["face folder", "face box", "WiLoR file"]}))

    free = [int(r) for r in rng.permutation(np.flatnonzero(~used))]

    def take(n: int) -> list[int]:
        n = min(n, len(free))
        rows = sorted(free[:n])
        del free[:n]
        return rows

    rows = take(3)
    if rows:
        plan.face_present[rows] = False
        plan.faults.append(Fault("face_missing", "face", rows, frames_of(rows),
                                 {"missing": ["face folder", "face box"]}))
    rows = take(3)
    if rows:
        sides = rng.integers(0, 2, len(rows))
        plan.hand_present[rows, sides] = False
        plan.faults.append(Fault("hand_missing", "hands", rows, frames_of(rows),
                                 {"sides": [SIDES[s] for s in sides]}))
    rows = take(1)
    if rows:
        plan.mislabeled = (rows[0], int(rng.integers(0, 2)))
        # detection_index and written_is_right are filled in by the WiLoR writer, which orders the batch
        plan.faults.append(Fault("mislabeled_hand", "hands", rows, frames_of(rows),
                                 {"true_side": SIDES[plan.mislabeled[1]]}))
    rows = take(1)
    if rows:
        plan.body_outlier = rows[0]
        plan.faults.append(Fault("body_outlier", "body", rows, frames_of(rows), {}))
    return plan
