"""Corrections the user can ask for, each returning a new take and a report of what it changed and by how much.

Nothing here runs unless called: the CLI applies a fix only with ``--fix``, the Blender panel only from its fix
buttons (undoable there). Every function takes the take and a frame selection and returns ``(new_take, report)``;
frames outside the selection are returned bit for bit.

* :func:`clamp_joint_limits`: every tabled joint that leaves its range inside the selection is pulled back with a
  soft limit: swing and twist components pass unchanged up to ``soft_deg`` before a limit, and are squashed with
  a tanh knee beyond, so no value ends beyond the limit and the curve stays continuous.
* :func:`interpolate_frames`: the selected frames are replaced by SLERP (rotations, per joint) and linear
  interpolation (translation, expression) between the nearest unselected frames on either side.
* :func:`resmooth`: the zero-phase filter of the fusion (``core.fusion.temporal``, needs scipy) runs again over the
  selection with context on both sides, cross-faded in over ``ramp`` frames at the selection's edges.
* :func:`clamp_betas`: shape coefficients beyond +-``sigma`` are pulled back with the same soft limit.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from ..body.model import BodyModel
from ..body.posing import truncated_coefficients, with_full_pose
from ..body.skeleton import JOINT_NAMES
from ..contracts.fused_file import FusedSequence
from ..fusion import temporal as ft
from .joint_limits import JointFrames, angles_to_axis_angle, joint_angles, joint_frames, violations
from .result import ValidationResult

FIX_NAMES = ("clamp_joint_limits", "interpolate", "smooth", "clamp_betas")


@dataclass
class FixReport:
    """What a fix changed.

    Attributes:
        fix: the fix's name.
        frames_selected: how many frames were selected.
        frames_changed: the frames whose values changed.
        max_rotation_change_deg: the largest change of one joint rotation.
        mean_rotation_change_deg: the mean change over changed (frame, joint) pairs.
        max_translation_change_m: the largest change of ``transl``.
        joints: joint name -> largest change (degrees), for the joints that changed.
        details: fix-specific figures.
    """

    fix: str
    frames_selected: int
    frames_changed: list[int]
    max_rotation_change_deg: float = 0.0
    mean_rotation_change_deg: float = 0.0
    max_translation_change_m: float = 0.0
    joints: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"fix": self.fix, "frames_selected": self.frames_selected, "frames_changed": self.frames_changed,
                "max_rotation_change_deg": round(self.max_rotation_change_deg, 4),
                "mean_rotation_change_deg": round(self.mean_rotation_change_deg, 4),
                "max_translation_change_m": round(self.max_translation_change_m, 6),
                "joints": {k: round(v, 3) for k, v in self.joints.items()}, "details": self.details}

    def summary(self) -> str:
        return (f"{self.fix}: {len(self.frames_changed)} of {self.frames_selected} frames changed, rotations by up "
                f"to {self.max_rotation_change_deg:.1f} deg (mean {self.mean_rotation_change_deg:.1f}) on "
                f"{len(self.joints)} joints, translation by up to {1000 * self.max_translation_change_m:.1f} mm")


def selection(num_frames: int, frames: Optional[Sequence[int]] = None) -> np.ndarray:
    """(F,) sorted unique frame indices inside the take (all frames when None)."""
    if frames is None:
        return np.arange(num_frames, dtype=np.int64)
    sel = np.unique(np.asarray(frames, dtype=np.int64).reshape(-1))
    return sel[(sel >= 0) & (sel < num_frames)]


def soft_clamp(values: np.ndarray, lower: np.ndarray, upper: np.ndarray, soft: float) -> np.ndarray:
    """Identity on ``[lower + soft, upper - soft]``, a tanh knee beyond that never passes the limits (broadcast)."""
    v = np.asarray(values, dtype=np.float64)
    s = np.maximum(np.minimum(soft, 0.5 * (upper - lower)), 1e-12)
    hi_knee, lo_knee = upper - s, lower + s
    out = np.where(v > hi_knee, hi_knee + s * np.tanh((v - hi_knee) / s), v)
    return np.where(v < lo_knee, lo_knee - s * np.tanh((lo_knee - v) / s), out)


def _report(fix: str, before: FusedSequence, after: FusedSequence, selected: int, **details: Any) -> FixReport:
    p0, p1 = before.full_pose(), after.full_pose()
    edited = np.any(p0 != p1, axis=-1)  # (T, 55): rewritten values only (unchanged ones are bit-identical)
    change = np.where(edited, np.degrees(ft.quaternion_angle(ft.axis_angle_to_quaternion(p0),
                                                             ft.axis_angle_to_quaternion(p1))), 0.0)
    dtr = np.linalg.norm(after.transl - before.transl, axis=-1)
    changed = np.flatnonzero(edited.any(axis=1) | (dtr > 0) |
                             (np.abs(after.expression - before.expression).max(axis=1, initial=0.0) > 0))
    if not np.array_equal(after.betas, before.betas):
        changed = np.arange(before.num_frames)
    moved = edited
    joints = {JOINT_NAMES[j]: float(change[:, j].max()) for j in np.flatnonzero(moved.any(axis=0))}
    return FixReport(fix=fix, frames_selected=int(selected), frames_changed=[int(f) for f in changed],
                     max_rotation_change_deg=float(change.max(initial=0.0)),
                     mean_rotation_change_deg=float(change[moved].mean()) if moved.any() else 0.0,
                     max_translation_change_m=float(dtr.max(initial=0.0)), joints=joints, details=dict(details))


def clamp_joint_limits(seq: FusedSequence, model: BodyModel, frames: Optional[Sequence[int]] = None,
                       soft_deg: float = 4.0) -> tuple[FusedSequence, FixReport]:
    """Pull every joint that leaves the ROM table inside ``frames`` back within it (soft limit ``soft_deg``)."""
    sel = selection(seq.num_frames, frames)
    betas, _ = truncated_coefficients(seq, model)
    jf = joint_frames(model.rest_joints(betas))
    pose = seq.full_pose()
    ang = joint_angles(pose[sel], jf)  # (F, K, 3)
    bad = violations(ang, jf).max(axis=(0, 2), initial=0.0) > 0.0  # (K,) joints out of range in the selection
    if sel.size and bad.any():
        k = np.flatnonzero(bad)
        lim = jf.limits_rad[k]
        clamped = soft_clamp(ang[:, k], lim[..., 0], lim[..., 1], np.radians(soft_deg))
        sub = JointFrames(joints=jf.joints[k], names=tuple(jf.names[i] for i in k), mirrored=jf.mirrored[k],
                          frames=jf.frames[k], limits_rad=lim, rows=tuple(jf.rows[i] for i in k))
        new_aa = angles_to_axis_angle(clamped, sub)
        moved = np.abs(clamped - ang[:, k]).max(axis=2) > 1e-12  # (F, k): only values that change are rewritten
        block = pose[sel][:, jf.joints[k]]
        pose[np.ix_(sel, jf.joints[k])] = np.where(moved[..., None], new_aa, block)
    out = with_full_pose(seq, pose)
    return out, _report("clamp_joint_limits", seq, out, sel.size, soft_deg=soft_deg,
                        joints_out_of_range=[jf.names[i] for i in np.flatnonzero(bad)])


def interpolate_frames(seq: FusedSequence, frames: Sequence[int]) -> tuple[FusedSequence, FixReport]:
    """Replace ``frames`` by SLERP / linear interpolation between the nearest other frames (held at the ends)."""
    sel = selection(seq.num_frames, frames)
    keep = np.ones(seq.num_frames, dtype=bool)
    keep[sel] = False
    if not keep.any() or sel.size == 0:
        return copy.deepcopy(seq), _report("interpolate", seq, seq, sel.size,
                                           note="nothing to interpolate from" if sel.size else "no frames")
    quat = ft.make_continuous(ft.axis_angle_to_quaternion(seq.full_pose()))
    filled = ft.fill_gaps_quaternion(quat, keep)
    pose = seq.full_pose()
    pose[sel] = ft.quaternion_to_axis_angle(filled[sel])
    out = with_full_pose(seq, pose)
    out.transl = seq.transl.copy()
    out.transl[sel] = ft.fill_gaps_linear(seq.transl, keep)[sel]
    out.expression = seq.expression.copy()
    if seq.expression.shape[1]:
        out.expression[sel] = ft.fill_gaps_linear(seq.expression, keep)[sel]
    gaps = _segments(sel)
    return out, _report("interpolate", seq, out, sel.size, gaps=[[int(a), int(b)] for a, b in gaps])


def _segments(frames: np.ndarray) -> list[tuple[int, int]]:
    """Sorted frames -> [(first, last)] runs of consecutive frames."""
    if frames.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(frames) > 1)
    starts = np.concatenate([[frames[0]], frames[breaks + 1]])
    ends = np.concatenate([frames[breaks], [frames[-1]]])
    return list(zip(starts.tolist(), ends.tolist()))


def resmooth(seq: FusedSequence, frames: Sequence[int], spec: Optional[ft.SmoothingSpec] = None,
             ramp: int = 4) -> tuple[FusedSequence, FixReport]:
    """Run the fusion's zero-phase smoothing again over ``frames`` (each run of consecutive frames), using the
    whole take as context, and cross-fade it in over ``ramp`` frames inside each run's edges (needs scipy)."""
    spec = spec or ft.SmoothingSpec()
    sel = selection(seq.num_frames, frames)
    quat = ft.make_continuous(ft.axis_angle_to_quaternion(seq.full_pose()))
    smooth_q = ft.smooth_quaternions(quat, seq.fps, spec)
    smooth_t = ft.smooth_translation(seq.transl, seq.fps, spec)
    weight = np.zeros(seq.num_frames)
    for a, b in _segments(sel):
        idx = np.arange(a, b + 1)
        r = max(0, min(int(ramp), (b - a) // 2))
        w = np.ones(idx.size)
        if r:
            edge = (np.arange(r) + 1.0) / (r + 1.0)
            w[:r] = edge
            w[-r:] = np.minimum(w[-r:], edge[::-1])
        weight[idx] = w
    q = ft.slerp(quat, smooth_q, weight[:, None])
    pose = seq.full_pose()
    pose[sel] = ft.quaternion_to_axis_angle(q[sel])
    out = with_full_pose(seq, pose)
    out.transl = seq.transl.copy()
    out.transl[sel] = ((1.0 - weight[:, None]) * seq.transl + weight[:, None] * smooth_t)[sel]
    return out, _report("smooth", seq, out, sel.size, method=spec.method, cutoff_hz=spec.cutoff_hz, ramp=ramp)


def clamp_betas(seq: FusedSequence, sigma: float = 3.0, soft: float = 0.3) -> tuple[FusedSequence, FixReport]:
    """Pull shape coefficients beyond +-``sigma`` back inside (soft limit ``soft`` sigmas)."""
    out = copy.deepcopy(seq)
    b = np.asarray(seq.betas, dtype=np.float64)
    out_of_range = np.abs(b) > sigma
    out.betas = np.where(out_of_range, soft_clamp(b, -sigma, sigma, soft), b)
    report = _report("clamp_betas", seq, out, seq.num_frames, sigma=sigma,
                     betas={f"beta{k:03d}": [round(float(b[k]), 3), round(float(out.betas[k]), 3)]
                            for k in np.flatnonzero(out_of_range)})
    return out, report


def apply_fix(seq: FusedSequence, model: BodyModel, name: str, frames: Optional[Sequence[int]] = None,
              **options: Any) -> tuple[FusedSequence, FixReport]:
    """Run the fix called ``name`` (:data:`FIX_NAMES`) on ``frames`` (all when None)."""
    if name == "clamp_joint_limits":
        return clamp_joint_limits(seq, model, frames, **options)
    if name == "interpolate":
        return interpolate_frames(seq, selection(seq.num_frames, frames))
    if name == "smooth":
        return resmooth(seq, selection(seq.num_frames, frames), **options)
    if name == "clamp_betas":
        return clamp_betas(seq, **options)
    raise ValueError(f"unknown fix '{name}' (expected one of {', '.join(FIX_NAMES)})")


def suggested_frames(result: ValidationResult, name: str) -> np.ndarray:
    """The frames a fix would target from a validation: joint-limit flags for the clamp, temporal and
    penetration flags for interpolation, temporal flags for smoothing, every frame for the betas clamp."""
    checks = result.checks
    if name == "clamp_joint_limits":
        return checks["joint_limits"].flagged_frames
    if name == "interpolate":
        return np.flatnonzero(checks["temporal"].flags | checks["penetration"].flags)
    if name == "smooth":
        return checks["temporal"].flagged_frames
    if name == "clamp_betas":
        return np.arange(result.num_frames) if checks["shape"].flags.any() else np.zeros(0, dtype=np.int64)
    raise ValueError(f"unknown fix '{name}'")


__all__ = ["with_full_pose", "FIX_NAMES", "FixReport", "selection", "soft_clamp", "clamp_joint_limits",
           "interpolate_frames",
           "resmooth", "clamp_betas", "apply_fix", "suggested_frames"]
