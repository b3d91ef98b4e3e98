"""Grounding a take in one call: find the ground and the contacts, then lock the feet.

Modes: ``auto`` (detected contacts: hysteresis and duration rules; a take where no ground shows is left
unchanged), ``always`` (every low, slow foot frame is locked; without detected contacts the ground is taken at
the feet's lowest level over the take, a low percentile of each frame's lowest foot point, so that hardly any
frame is pushed up out of a floor that was only guessed), ``never`` (the take is returned unchanged).

A plane that most frames' feet sink through (``max_below_fraction`` of the frames deeper than ``below_depth_m``)
is no floor, however well footprints fit it: a take whose feet never touch the ground (a jump, a person hanging
or kicking in the air) can still have a few slow, low moments that line up. Such a plane is dropped: mode
``auto`` then leaves the take unchanged, mode ``always`` falls back to the lowest level.

Dangling feet (:func:`core.grounding.contacts.dangling_feet`: toes down from a bent knee, as a seated person's feet
hang) are no evidence of a floor in either mode: they are no plane candidates, no footprints, and in mode ``auto``
no contacts. Mode ``always`` still locks them where they are low and slow on the floor found without them (that is
its meaning): on a seated take that floor is the feet's lowest level, so the frames near it are locked (their
jitter taken out, their lowest point put on that level) and no foot is drawn down to a plane through the feet.

Finding the ground: a first plane is fitted by RANSAC (:func:`core.grounding.plane.fit_ground_plane`) to the heel
and toe points of each frame's lower foot where that foot is slow, and contacts are detected on it. Then, a few
times: the contacts give one footprint each, after the estimator's glitches (short stretches where the body sinks
into the floor) are taken out (:mod:`core.grounding.stance_points`); the plane is refitted to the footprints with a
robust loss and a prior tying its normal to the body's mean up direction, weak for a forward lean and strong for a
sideways one (:mod:`core.grounding.plane_prior`); and contacts are detected again on it. A ``ground_plane`` extra in
the file (or a plane passed in) is used as given instead.

What a single plane cannot do: a monocular estimate that drifts slowly in depth puts its footprints on a floor that
is tilted and offset by the drift's trend and mean over the take. The fit follows them (it cannot tell a drift from
a sloping floor), so the grounded feet sit on the estimate's floor, which is off the true one by that trend.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..body.model import BodyModel
from ..body.posing import pose_skeleton
from ..contracts.fused_file import FusedSequence
from .contacts import ContactDetection, ContactParams, dangling_feet, detect_contacts
from .foot_lock import LockParams, LockResult, frame_mask, lock_feet
from .foot_points import ANKLE, HIP, KNEE, body_forward_direction, body_up_direction, foot_points
from .known_up import height_drift, level_plane, unit_up
from .plane import GroundPlane, fit_ground_plane
from .plane_prior import fit_plane_with_prior, lean_prior_precision
from .stance_points import StanceParams, StancePoints, stance_points

MODES = ("auto", "always", "never")
GROUND_PLANE_KEY = "ground_plane"
CONTACT_SCORES_KEY = "contact_scores"
FOOT_CONTACT_KEY = "foot_contact"


@dataclass(frozen=True)
class GroundingParams:
    """Settings of the whole step.

    Attributes:
        contact: :class:`ContactParams`.
        lock: :class:`LockParams`.
        stance: :class:`StanceParams` (footprints and glitch rejection).
        plane_inlier_m: RANSAC inlier distance of the first plane fit.
        min_plane_frames: fewer candidate contact frames than this: no ground is found (mode ``auto``).
        max_tilt_deg: largest angle between the first plane's normal and the body's up direction.
        prior_sagittal_deg: standard deviation of the up prior for a forward or backward tilt (body lean).
        prior_frontal_deg: its standard deviation for a sideways tilt.
        footprint_sigma_m: the least height uncertainty granted one footprint (the floor of the fit's robust
            scale): a monocular estimate drifts in depth by more than this between steps, and without it a handful
            of footprints that happen to agree would claim a precision they do not have and outweigh the prior.
        refinements: footprint refits after the first plane.
        lowest_percentile: mode ``always`` without a fitted floor: the floor is at this percentile of the frames'
            lowest foot point (a few frames' glitches may sink below it; the median would put half of them under).
        max_below_fraction: a fitted plane that more than this share of the frames' lowest foot points lie
            ``below_depth_m`` or deeper beneath is no floor (see the module docstring).
        below_depth_m: see ``max_below_fraction``.
    """

    contact: ContactParams = field(default_factory=ContactParams)
    lock: LockParams = field(default_factory=LockParams)
    stance: StanceParams = field(default_factory=StanceParams)
    plane_inlier_m: float = 0.02
    min_plane_frames: int = 8
    max_tilt_deg: float = 30.0
    prior_sagittal_deg: float = 5.0
    prior_frontal_deg: float = 1.0
    footprint_sigma_m: float = 0.005
    refinements: int = 3
    lowest_percentile: float = 2.0
    max_below_fraction: float = 0.5
    below_depth_m: float = 0.02


@dataclass
class GroundEstimate:
    """The ground and contacts of a take (nothing changed yet).

    Attributes:
        plane: the ground, or None when none was found (mode ``auto`` on a take without contacts).
        detection: the contact detection on that plane, or None without a plane.
        plane_source: ``fitted``, ``file`` (the ``ground_plane`` extra), ``given``, ``lowest`` (mode ``always``
            without contacts: the feet's usual lowest level) or ``none``.
        stance: the footprints the fitted plane went through (None unless ``plane_source`` is ``fitted``).
        height_drift: (T,) metres the estimate drifted above the level floor along the known up axis
            (:mod:`core.grounding.known_up`); None unless the up axis was given and the floor fitted.
    """

    plane: Optional[GroundPlane]
    detection: Optional[ContactDetection]
    plane_source: str
    stance: Optional[StancePoints] = None
    height_drift: Optional[np.ndarray] = None

    @property
    def contact(self) -> np.ndarray:
        """(T, 2) bool contacts (all False without a detection)."""
        return self.detection.contact if self.detection is not None else np.zeros((0, 2), dtype=bool)


@dataclass
class GroundingResult:
    """What :func:`ground_sequence` did.

    Attributes:
        sequence: the grounded take (the input itself, unchanged, in mode ``never`` or without a ground).
        mode: the mode used.
        estimate: the :class:`GroundEstimate` (None in mode ``never``).
        lock: the :class:`LockResult` (None when nothing was locked).
        contact: (T, 2) bool contacts that were locked.
    """

    sequence: FusedSequence
    mode: str
    estimate: Optional[GroundEstimate]
    lock: Optional[LockResult]
    contact: np.ndarray

    def summary(self) -> dict[str, Any]:
        """Counts and distances for people and provenance: contacts per foot, plane, foot and root shifts (mm)."""
        out: dict[str, Any] = {"mode": self.mode}
        if self.estimate is None:
            out["note"] = "grounding off"
            return out
        plane = self.estimate.plane
        out["plane_source"] = self.estimate.plane_source
        if self.estimate.height_drift is not None:
            drift = self.estimate.height_drift * 1000.0
            out["up_axis"] = "known"
            out["height_drift_mm"] = {"min": round(float(drift.min()), 2), "max": round(float(drift.max()), 2)}
        out["ground_plane"] = None if plane is None else [round(float(v), 6) for v in plane.as_array()]
        if self.estimate.stance is not None:
            out["footprints"] = int(self.estimate.stance.points.shape[0])
            out["glitch_frames"] = int(self.estimate.stance.glitch.sum())
        from .contacts import mask_intervals

        for f, name in enumerate(("left", "right")):
            runs = mask_intervals(self.contact[:, f]) if self.contact.size else np.zeros((0, 2))
            out[f"{name}_contacts"] = int(len(runs))
            out[f"{name}_contact_frames"] = int(self.contact[:, f].sum()) if self.contact.size else 0
        if self.lock is None:
            out["note"] = "no ground contact found; the take is unchanged" if plane is None else "nothing to lock"
            return out
        changed = self.lock.changed
        foot = self.lock.foot_shift_m * 1000.0
        root = np.linalg.norm(self.lock.root_shift, axis=1) * 1000.0
        out["changed_frames"] = int(changed.sum())
        out["foot_shift_mm"] = {"mean": _mean(foot[changed].ravel()), "max": _max(foot.ravel())}
        out["root_shift_mm"] = {"mean": _mean(root[changed]), "max": _max(root)}
        out["pushed_frames"] = int(self.lock.pushed.any(axis=1).sum())
        out["unreached_frames"] = int((~self.lock.reached).any(axis=1).sum())
        return out


def _mean(values: np.ndarray) -> float:
    return round(float(values.mean()), 2) if values.size else 0.0


def _max(values: np.ndarray) -> float:
    return round(float(values.max()), 2) if values.size else 0.0


def plane_from_extras(seq: FusedSequence) -> Optional[GroundPlane]:
    """The take's ``ground_plane`` extra as a :class:`GroundPlane`, or None when it has none."""
    if GROUND_PLANE_KEY not in seq.extras:
        return None
    return GroundPlane.from_array(seq.extras[GROUND_PLANE_KEY])


def contact_scores_from_extras(seq: FusedSequence) -> Optional[np.ndarray]:
    """The take's ``contact_scores`` extra, (T, 2) in [0, 1], or None."""
    scores = seq.extras.get(CONTACT_SCORES_KEY)
    return None if scores is None else np.asarray(scores, dtype=np.float64)


def _contact_points_in(points: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """(T, 2, 3, 3) foot points and (T, 2) contacts -> (N, 3) the heel and toe points of feet in contact."""
    return points[contact].reshape(-1, 3)


def _lowest_level(points: np.ndarray, up: np.ndarray, percentile: float) -> GroundPlane:
    """A plane normal to ``up`` (3,) at the ``percentile`` of the per-frame lowest of ``points`` (T, 2, 3, 3)."""
    lowest = (points.reshape(points.shape[0], -1, 3) @ up).min(axis=1)
    lowest = lowest[np.isfinite(lowest)]  # frames without a finite pose say nothing about the floor
    return GroundPlane(normal=up, offset=-float(np.percentile(lowest, percentile)) if lowest.size else 0.0)


def _contact_rows(points: np.ndarray, plane: GroundPlane, band_m: float = 0.02) -> np.ndarray:
    """(T, 2) bool: feet whose lowest point is within ``band_m`` of ``plane`` (the first plane's inliers)."""
    height = plane.signed_distance(points).min(axis=2)  # (T, 2)
    return np.abs(height) <= band_m


def below_fraction(points: np.ndarray, plane: GroundPlane, depth_m: float) -> float:
    """Share of the frames whose lowest foot point (of ``points``, (T, 2, 3, 3)) is ``depth_m`` or more below
    ``plane``."""
    lowest = plane.signed_distance(points.reshape(points.shape[0], -1, 3)).min(axis=1)  # (T,)
    return float(np.mean(lowest <= -depth_m)) if lowest.size else 0.0


def _is_floor(points: np.ndarray, plane: Optional[GroundPlane], params: GroundingParams) -> bool:
    """False for a plane that most frames' feet sink through (see the module docstring)."""
    return plane is not None and below_fraction(points, plane, params.below_depth_m) <= params.max_below_fraction


def _initial_plane(points: np.ndarray, up: np.ndarray, fps: float, params: GroundingParams,
                   dangling: Optional[np.ndarray] = None) -> Optional[GroundPlane]:
    """A first plane through the candidates: each frame's lower foot where it is slow and not ``dangling``
    ((T, 2) bool; None if too few)."""
    from .contacts import contact_points, savgol_derivative

    pts = contact_points(points)  # (T, 2, 2, 3)
    speed = np.linalg.norm(savgol_derivative(pts, params.contact.window, fps), axis=-1).min(axis=2)  # (T, 2)
    height = (pts @ up).min(axis=2)  # (T, 2)
    lower = height <= height.min(axis=1, keepdims=True) + 1e-9
    candidate = lower & (speed < params.contact.speed_mps)
    if dangling is not None:
        candidate &= ~dangling
    if candidate.any(axis=1).sum() < params.min_plane_frames:
        return None
    return fit_ground_plane(_contact_points_in(points, candidate), up, 1.5 * params.plane_inlier_m,
                            params.max_tilt_deg)


def estimate_ground(seq: FusedSequence, model: BodyModel, mode: str = "auto",
                    contact_scores: Optional[np.ndarray] = None, plane: Optional[GroundPlane] = None,
                    params: GroundingParams = GroundingParams(),
                    foot_points_cam: Optional[np.ndarray] = None,
                    known_up: Optional[np.ndarray] = None) -> GroundEstimate:
    """The ground plane and the feet's contacts, without changing anything.

    Args:
        seq: the take (camera frame).
        model: its body model.
        mode: ``auto`` or ``always`` (see the module docstring).
        contact_scores: optional (T, 2) estimator contact scores in [0, 1]; defaults to the ``contact_scores``
            extra of ``seq``.
        plane: a known ground; defaults to the ``ground_plane`` extra of ``seq``; else fitted.
        foot_points_cam: (T, 2, 3, 3) when already computed.
        known_up: (3,) gravity's up axis in the take's frame when an estimator gives it: the floor is then level
            (normal = this axis, only its height fitted) and the footprints' slow height change is returned as
            ``height_drift`` (:mod:`core.grounding.known_up`). None: the floor's tilt is fitted too.
    Returns:
        :class:`GroundEstimate`.
    """
    if mode not in ("auto", "always"):
        raise ValueError(f"estimate_ground needs mode auto or always, not {mode!r}")
    skel = pose_skeleton(seq, model)
    pts = foot_points(seq, model, skel) if foot_points_cam is None else foot_points_cam
    scores = contact_scores if contact_scores is not None else contact_scores_from_extras(seq)
    fps = float(seq.fps)
    up = body_up_direction(skel) if known_up is None else unit_up(known_up)
    legs = np.stack([skel.joints[:, HIP], skel.joints[:, KNEE], skel.joints[:, ANKLE]], axis=2)  # (T, 2, 3, 3)
    dangling = dangling_feet(legs, skel.local_rot[:, ANKLE], skel.global_rot[:, ANKLE], up, params.contact)
    final_rule = dangling if mode == "auto" else None  # mode always locks every low, slow foot
    source = "given"
    if plane is None:
        plane = plane_from_extras(seq)
        source = "file"
    if plane is not None:
        return GroundEstimate(plane, detect_contacts(pts, plane, fps, mode, params.contact, scores, final_rule),
                              source)

    prior = lean_prior_precision(up, body_forward_direction(skel), params.prior_sagittal_deg,
                                 params.prior_frontal_deg)
    found = _initial_plane(pts, up, fps, params, dangling)
    if found is not None and known_up is not None:  # level: keep the first plane's height, not its tilt
        found = level_plane(pts[_contact_rows(pts, found)].reshape(-1, 3), up) or found
    if not _is_floor(pts, found, params):
        found = None
    provisional = found if found is not None else _lowest_level(pts, up, params.lowest_percentile)
    detection = detect_contacts(pts, provisional, fps, mode, params.contact, scores, dangling)
    stance = None
    for _ in range(params.refinements):  # footprints of the contacts -> plane -> contacts again
        if found is None or detection.contact.any(axis=1).sum() < params.min_plane_frames:
            break
        prints = stance_points(pts, detection.contact, found, fps, params.stance)
        fitted = fit_plane_with_prior(prints.points, up, prior, initial=found,
                                      scale_floor_m=params.footprint_sigma_m) if known_up is None else \
            level_plane(prints.points, up)
        if fitted is None:
            break
        found, stance = fitted, prints
        detection = detect_contacts(pts, found, fps, mode, params.contact, scores, dangling)
    if _is_floor(pts, found, params) and detection.contact.any(axis=1).sum() >= params.min_plane_frames:
        if mode == "always":
            detection = detect_contacts(pts, found, fps, mode, params.contact, scores)
        drift = None
        if known_up is not None and stance is not None:
            drift = height_drift(stance, found, pts.shape[0], fps)
            level = pts - drift[:, None, None, None] * up  # the feet with the drift taken out
            detection = detect_contacts(level, found, fps, mode, params.contact, scores,
                                        dangling if mode == "auto" else None)
        return GroundEstimate(found, detection, "fitted", stance, drift)
    if mode == "always":
        lowest = _lowest_level(pts, up, params.lowest_percentile)
        return GroundEstimate(lowest, detect_contacts(pts, lowest, fps, mode, params.contact, scores), "lowest")
    return GroundEstimate(None, None, "none")


def ground_sequence(seq: FusedSequence, model: BodyModel, mode: str = "auto",
                    contact_scores: Optional[np.ndarray] = None, plane: Optional[GroundPlane] = None,
                    frames: Optional[Union[np.ndarray, Sequence[int], slice]] = None,
                    params: GroundingParams = GroundingParams(),
                    known_up: Optional[np.ndarray] = None) -> GroundingResult:
    """Detect contacts, find the ground, lock the feet, keep them out of the floor.

    Args:
        seq: the take (camera frame).
        model: its body model.
        mode: ``auto``, ``always`` or ``never``.
        contact_scores: optional (T, 2) estimator contact scores (else the file's ``contact_scores`` extra).
        plane: a known ground (else the file's ``ground_plane`` extra, else fitted).
        frames: rows that may change (None: all); see :func:`core.grounding.foot_lock.lock_feet`.
        params: :class:`GroundingParams`.
        known_up: (3,) gravity's up axis in the take's frame, when an estimator gives it: a level floor, and the
            estimate's slow height drift along it taken out of ``transl`` before the feet are locked (see
            :func:`estimate_ground`).
    Returns:
        :class:`GroundingResult`. The new take carries the extras ``ground_plane`` (4,) and ``foot_contact``
        (T, 2) bool, and a ``grounding`` entry in its provenance.
    """
    if mode not in MODES:
        raise ValueError(f"grounding mode must be one of {', '.join(MODES)}, not {mode!r}")
    t = seq.num_frames
    if mode == "never":
        return GroundingResult(seq, mode, None, None, np.zeros((t, 2), dtype=bool))
    estimate = estimate_ground(seq, model, mode, contact_scores, plane, params, known_up=known_up)
    if estimate.plane is None:
        return GroundingResult(seq, mode, estimate, None, np.zeros((t, 2), dtype=bool))
    if estimate.height_drift is not None:
        seq = copy.copy(seq)
        drift = estimate.height_drift * frame_mask(frames, t)  # only rows that may change
        seq.transl = seq.transl - drift[:, None] * estimate.plane.normal[None]
    contact = estimate.detection.contact & frame_mask(frames, t)[:, None]
    lock = lock_feet(seq, model, contact, estimate.plane, frames, params.lock)
    out = lock.sequence
    out.extras = dict(out.extras)
    out.extras[GROUND_PLANE_KEY] = estimate.plane.as_array()
    out.extras[FOOT_CONTACT_KEY] = contact.copy()
    result = GroundingResult(out, mode, estimate, lock, contact)
    try:
        provenance = json.loads(out.provenance)
    except ValueError:
        provenance = {}
    if not isinstance(provenance, dict):
        provenance = {"previous": provenance}
    provenance["grounding"] = result.summary()
    out.provenance = json.dumps(provenance, default=str)
    return result


def summary_lines(result: GroundingResult) -> list[str]:
    """Human-readable lines: contacts found, the plane, and how far the feet and the root moved."""
    s = result.summary()
    if result.estimate is None:
        return [f"grounding: mode {result.mode}, the take is unchanged"]
    lines = [f"grounding: mode {result.mode}, ground plane {s['plane_source']}"
             + ("" if s["ground_plane"] is None else f" (n, d) = {s['ground_plane']}")]
    lines.append(f"  contacts: left {s['left_contacts']} ({s['left_contact_frames']} frames), "
                 f"right {s['right_contacts']} ({s['right_contact_frames']} frames)")
    if result.lock is None:
        lines.append(f"  {s['note']}")
        return lines
    lines.append(f"  feet moved: mean {s['foot_shift_mm']['mean']:.1f} mm, max {s['foot_shift_mm']['max']:.1f} mm; "
                 f"root moved: mean {s['root_shift_mm']['mean']:.1f} mm, max {s['root_shift_mm']['max']:.1f} mm "
                 f"({s['changed_frames']} frames changed, {s['pushed_frames']} lifted out of the floor, "
                 f"{s['unreached_frames']} out of the legs' reach)")
    return lines


__all__ = ["MODES", "GROUND_PLANE_KEY", "CONTACT_SCORES_KEY", "FOOT_CONTACT_KEY", "GroundingParams",
           "GroundEstimate", "GroundingResult", "plane_from_extras", "below_fraction", "contact_scores_from_extras",
           "estimate_ground", "ground_sequence", "summary_lines"]
