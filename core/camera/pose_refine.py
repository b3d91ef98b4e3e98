"""Pose refinement against 2D keypoints: the focal, the per-frame translations and small per-frame corrections of
the body pose, fitted together (SMPLify-style, light), and only where the evidence sees them.

Why: the fused pose's joints are a few centimetres off in depth, and the camera fit reads the focal from the
perspective of exactly that depth structure, so those errors bias the focal (errors in the variables). Fitting the
pose too, with a prior that keeps it near the fused one, treats the true pose as an unknown measured twice (by the
fusion, by the 2D detector) instead of as exact; the shared focal then no longer absorbs the pose's errors.

Never worse than the estimator:
- **only what the evidence sees moves.** A joint is corrected only where the keypoints measure one of the bones its
  rotation turns (:func:`core.camera.refine_groups.seen_joints`); the others (the collars and spine under OpenPose
  or COCO keypoints, the neck and head without face keypoints, the wrists without hand keypoints) keep the
  estimator's rotation exactly. Seen joints carry the prior ``w_ref noise_px^2 |delta|^2 / sigma^2``;
- **held-out check per group.** The keypoints are split into ``holdout_folds`` folds (within each joint group,
  alternating along the chain and over frames, :func:`core.camera.refine_groups.holdout_masks`); a fold is
  refined without its keypoints and judged on them (a take solves one fold, a single image every fold). A group
  (:data:`core.camera.refine_groups.JOINT_GROUPS`) whose held-out keypoints end further away than at the start
  is reverted to the estimator's rotations (a group without corrections of its own that ends worse reverts the
  corrected group above it), and the check runs again until no group ends worse through a correction (a group
  with nothing corrected on its chain can still move with the refitted translations: its record says so);
- **one image** (a photo): holding out half of a dozen keypoints leaves the joints above them undetermined, so a
  single image holds out one keypoint per group per fold, records the held-out figures, and enforces the in-sample
  rule instead: a group whose own keypoints end further away (confidence-weighted) than at the start is reverted
  and the rest solved again;
- **the fit's own error never rises.** After the final refinement on all keypoints, if the mean reprojection error
  (each keypoint counted once, or weighted by confidence as fitted) is above the camera fit's, the whole refinement
  is reverted (the camera fit's focal, translations and the fused pose are kept) and the record says so.

Far starts (issue 20: PIXIE's pose on the built-in skeleton, a bent-over torso ~40 deg off): the Cauchy scale starts
at the start's weighted median residual (:func:`core.camera.fit_common.robust_scale_px`; at the nominal 10 px a
keypoint 100 px away barely pulls) and the prior's spread widens by the same factor (at most
``max_prior_widening``); the final solve then returns to the nominal scale from there (graduated), so a keypoint
that still disagrees (a misdetection) is let go instead of bending the rest.

Solver (:mod:`core.camera.refine_solver`): Levenberg-Marquardt with an analytic Jacobian over the kinematic
chains, batched over frames, numpy only; objective as there (Cauchy data term, the prior, the corrections'
frame-to-frame smoothness, the camera fit's translation smoothness), the focal shared by all frames.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import numpy as np

from ..body.skeleton import JOINT_INDEX, NUM_JOINTS
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .conversions import intrinsics_matrix
from .errors import CameraError
from .evidence import Evidence
from .fit_common import frame_outlier_weights, robust_scale_px
from .points import ModelPoints, PointRig, rig_points
from .refine_groups import (
    GROUP_NAMES,
    JOINT_GROUPS,
    PARENT_GROUP,
    holdout_masks,
    joint_group_index,
    point_groups,
    seen_joints,
)
from .refine_report import GroupCheck, rotation_change_deg, weighted_mean_px
from .refine_solver import RefineProblem, RefineState, pixels, solve
from .result import reprojection_errors, weighted_reprojection_errors

#: Joints a ``"body"`` refinement may correct: ``global_orient`` (0) and the 21 body joints.
BODY_REFINE_JOINTS = np.arange(22)
#: The 30 finger joints (left then right), added by ``"body+hands"``.
FINGER_JOINTS = np.arange(25, 55)
_WRISTS = (JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"])


@dataclass
class RefineOptions:
    """Settings of :func:`refine_pose`.

    Attributes:
        joints: ``"body"`` (global orient + 21 body joints) or ``"body+hands"`` (also the 30 finger joints): the
            joints that may be corrected where the evidence sees them.
        body_sigma_rad: the prior's spread of the fused pose's error per rotation axis, body joints (radians).
        wrist_sigma_rad: the same for the wrists (fused from the hand expert's global orientation: larger).
        finger_sigma_rad: the same for the finger joints (with ``"body+hands"``).
        noise_px: the 2D keypoints' noise per coordinate (pixels), which weighs the data against the prior.
        smooth_weight: weight of the corrections' frame-to-frame change, relative to the prior.
        robust_px: the Cauchy loss's scale (pixels).
        robust_from_start: raise it to the start's weighted median residual where that is larger
            (:func:`core.camera.fit_common.robust_scale_px`), and widen the prior's spreads by the same factor (at
            most ``max_prior_widening``): a start that far from its keypoints is a pose off by more than the
            nominal spread (a pose transferred from another body model); the final solve then returns to
            ``robust_px`` from where the wide one ended (graduated), with the widened prior.
        transl_smooth_weight: the camera fit's translation smoothness weight.
        frame_outlier_factor: with the focal refined, frames whose mean residual at the start exceeds this many
            times the median frame's are down-weighted, as in the camera fit
            (:func:`core.camera.fit_common.frame_outlier_weights`); 0 turns it off.
        fit_focal: refine the focal too (False keeps the camera fit's, e.g. a user's focal).
        max_iterations: Levenberg-Marquardt linearisations of the final refinement, at most.
        holdout_iterations: the same for each held-out fold's refinement.
        holdout_folds: folds of the held-out check (2 or more; 0 turns the check off). A take solves the first
            only: each keypoint is held out on every other frame, so one solve already judges every group on every
            keypoint (half the frames each), at half the cost. A single image holds out one keypoint of each group
            per fold (as many folds as the largest group has keypoints): half of a bent body's dozen keypoints
            leave its orientation undetermined, so half-and-half folds would judge a guess.
        device, cpu_threads: kept for callers of the torch version; the solver is numpy on the CPU.
    """

    joints: str = "body"
    body_sigma_rad: float = 0.035
    wrist_sigma_rad: float = 0.08
    finger_sigma_rad: float = 0.05
    noise_px: float = 2.0
    smooth_weight: float = 1.0
    robust_px: float = 10.0
    robust_from_start: bool = True
    max_prior_widening: float = 4.0
    transl_smooth_weight: float = 0.1
    frame_outlier_factor: float = 3.0
    fit_focal: bool = True
    max_iterations: int = 10
    holdout_iterations: int = 3
    holdout_folds: int = 2
    device: str = "auto"
    cpu_threads: Optional[int] = 1


@dataclass
class PoseRefinement:
    """What :func:`refine_pose` produced.

    Attributes:
        full_pose: (T, 55, 3) axis-angle, the refined pose (hands flat-relative, camera frame).
        focal_px: the refined focal; transl_cam: (T, 3) the refined translations (metres, camera frame).
        refined_joints: (K,) the joints corrected (seen by the evidence, in a kept group);
            correction_rad: (T, K) the angle of each correction.
        reproj_before_px, reproj_after_px: (T,) mean reprojection error per frame at the start (the camera fit's
            camera and the fused pose) and after.
        loss_initial, loss_final: the objective at the start and the end; iterations: linearisations, all solves.
        device: where it ran; seconds: wall time; notes: decisions for the report.
        groups: per joint group, the held-out check (:class:`core.camera.refine_report.GroupCheck`).
        seen_joints: (55,) bool, joints the evidence sees in some frame.
        unseen_joint_change_deg: the largest rotation change at joints the evidence sees in no frame (degrees).
        gap_change_deg: the largest change of a seen joint on a frame where its evidence is missing (carried over
            from the neighbouring frames by the smoothness), degrees.
        reverted: True where the whole refinement was reverted (the fit's reprojection error would have risen).
    """

    full_pose: np.ndarray
    focal_px: float
    transl_cam: np.ndarray
    refined_joints: np.ndarray
    correction_rad: np.ndarray
    reproj_before_px: np.ndarray
    reproj_after_px: np.ndarray
    loss_initial: float
    loss_final: float
    iterations: int
    device: str
    seconds: float
    notes: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    seen_joints: np.ndarray = field(default_factory=lambda: np.zeros(NUM_JOINTS, dtype=bool))
    unseen_joint_change_deg: float = 0.0
    gap_change_deg: float = 0.0
    reverted: bool = False

    def summary(self) -> dict[str, Any]:
        """JSON-able summary for the provenance and reports."""
        deg = np.degrees(self.correction_rad) if self.correction_rad.size else np.zeros(1)

        def mean(a: np.ndarray) -> Optional[float]:
            a = a[np.isfinite(a)]
            return round(float(a.mean()), 3) if a.size else None

        return {"refined_joints": [int(j) for j in self.refined_joints], "focal_px": round(self.focal_px, 3),
                "correction_deg": {"mean": round(float(deg.mean()), 3), "p95": round(float(np.percentile(deg, 95)), 3),
                                   "max": round(float(deg.max()), 3)},
                "reproj_px_before": mean(self.reproj_before_px), "reproj_px_after": mean(self.reproj_after_px),
                "loss_initial": self.loss_initial, "loss_final": self.loss_final, "iterations": self.iterations,
                "device": self.device, "seconds": round(self.seconds, 4), "notes": list(self.notes),
                "groups": [g.summary() for g in self.groups],
                "seen_joints": [int(j) for j in np.flatnonzero(self.seen_joints)],
                "unseen_joint_change_deg": round(float(self.unseen_joint_change_deg), 4),
                "gap_change_deg": round(float(self.gap_change_deg), 4), "reverted": bool(self.reverted)}


def tree_level_order(joints: np.ndarray) -> np.ndarray:
    """``joints`` sorted by depth in the SMPL-X tree (stable: index order within a level)."""
    from ..body.skeleton import PARENTS

    depth = np.zeros(NUM_JOINTS, dtype=np.int64)
    for j in range(1, NUM_JOINTS):
        depth[j] = depth[PARENTS[j]] + 1
    joints = np.asarray(joints, dtype=np.int64)
    return joints[np.argsort(depth[joints], kind="stable")]


def refined_joint_set(joints: str) -> np.ndarray:
    """(K,) joint indices that ``"body"`` or ``"body+hands"`` may correct, in tree-level order."""
    if joints == "body":
        return tree_level_order(BODY_REFINE_JOINTS)
    if joints == "body+hands":
        return tree_level_order(np.concatenate([BODY_REFINE_JOINTS, FINGER_JOINTS]))
    raise CameraError(f"unknown joint set '{joints}' (expected body or body+hands)", field="joints")


def anchor_joints(point_joint: np.ndarray, refined: np.ndarray) -> np.ndarray:
    """(P,) for each point, its joint or the nearest ancestor of it that is refined (e.g. the wrist for a finger)."""
    from ..body.skeleton import PARENTS

    keep = np.zeros(NUM_JOINTS, dtype=bool)
    keep[refined] = True
    out = np.asarray(point_joint, dtype=np.int64).copy()
    while not keep[out].all():
        out = np.where(keep[out], out, PARENTS[out])
    return out


def _sigmas(joints: np.ndarray, opts: RefineOptions) -> np.ndarray:
    """(K,) the prior's spread per joint."""
    sigma = np.full(joints.shape[0], float(opts.body_sigma_rad))
    sigma[np.isin(joints, _WRISTS)] = float(opts.wrist_sigma_rad)
    sigma[np.isin(joints, FINGER_JOINTS)] = float(opts.finger_sigma_rad)
    if not np.all(np.isfinite(sigma) & (sigma > 0)):
        raise CameraError("expected positive prior spreads (radians)", field="sigma_rad")
    return sigma


def refine_pose(full_pose: np.ndarray, rig: PointRig, evidence: Evidence, focal_px: float, transl_cam: np.ndarray,
                principal_point: np.ndarray, options: Optional[RefineOptions] = None) -> PoseRefinement:
    """Refine the pose, the translations and (optionally) the focal against the 2D evidence (see the module notes).

    Args:
        full_pose: (T, 55, 3) axis-angle, the fused pose (hands flat-relative).
        rig: its :class:`PointRig` (:func:`core.camera.points.point_rig` of the sequence's betas and expression).
        evidence: the 2D evidence (2D keypoints; :func:`core.camera.evidence.build_evidence`), T frames.
        focal_px, transl_cam: the camera fit's focal and (T, 3) translations to start from.
        principal_point: (2,) pixels.
        options: :class:`RefineOptions`.
    Returns:
        :class:`PoseRefinement`. Raises :class:`CameraError` on unusable input or a diverged fit. numpy only: it runs
        without torch (Blender's own Python).
    """
    return _refine(full_pose, rig, evidence, float(focal_px), transl_cam, principal_point,
                   options or RefineOptions())


@dataclass
class _Setup:
    """The arrays every solve of one refinement shares."""

    local_fused: np.ndarray
    rig: PointRig
    used: np.ndarray          # (P,) the points observed in some frame
    uv: np.ndarray            # (T, P, 2)
    weight: np.ndarray        # (T, P)
    centre: np.ndarray
    prior_all: np.ndarray     # (55,) prior weight per joint (0 where never corrected)
    transl_scale: np.ndarray  # (T,)
    opts: RefineOptions

    def problem(self, free: np.ndarray, weight: np.ndarray) -> RefineProblem:
        return RefineProblem(local_fused=self.local_fused, rest_joints=self.rig.rest_joints,
                             point_joint=self.rig.point_joint[self.used], point_offset=self.rig.point_offset[self.used],
                             uv=self.uv, weight=weight, centre=self.centre, free=free, prior=self.prior_all[free],
                             smooth_weight=float(self.opts.smooth_weight),
                             transl_smooth_weight=float(self.opts.transl_smooth_weight),
                             robust_px=float(self.opts.robust_px), transl_scale=self.transl_scale,
                             fit_focal=bool(self.opts.fit_focal))


def _pixel_distance(setup: _Setup, free: np.ndarray, state: RefineState) -> np.ndarray:
    """(T, P) distance of each used point to its keypoint at ``state``."""
    return np.linalg.norm(pixels(setup.problem(free, setup.weight), state) - setup.uv, axis=-1)


def _start(free: np.ndarray, transl: np.ndarray, focal_px: float) -> RefineState:
    return RefineState(delta=np.zeros((transl.shape[0], free.shape[0], 3)), transl=transl.copy(),
                       log_focal=float(np.log(focal_px)))


def _refine(full_pose: np.ndarray, rig: PointRig, evidence: Evidence, focal_px: float, transl_cam: np.ndarray,
            principal_point: np.ndarray, opts: RefineOptions) -> PoseRefinement:
    started = time.perf_counter()
    pose = np.asarray(full_pose, dtype=np.float64)
    t = pose.shape[0]
    transl0 = np.asarray(transl_cam, dtype=np.float64)
    if pose.shape != (t, NUM_JOINTS, 3) or evidence.num_frames != t or transl0.shape != (t, 3):
        raise CameraError(f"pose, evidence and translations disagree on the number of frames ({t}, "
                          f"{evidence.num_frames}, {transl0.shape[0]})", field="full_pose")
    if not (np.all(np.isfinite(pose)) and np.all(np.isfinite(transl0))):
        raise CameraError("expected a finite pose and translations to refine", field="full_pose")
    weight_all = np.where(np.isfinite(evidence.uv).all(axis=-1), np.asarray(evidence.weight, dtype=np.float64), 0.0)
    if not (weight_all > 0).any():
        raise CameraError("no frame has any 2D evidence to refine the pose against", field="evidence")
    candidates = refined_joint_set(opts.joints)
    sigma = _sigmas(candidates, opts)
    seen = seen_joints(weight_all, rig.point_joint, rig.point_offset)                           # (T, 55)
    seen_any = seen.any(axis=0)
    used = np.flatnonzero((weight_all > 0).any(axis=0))
    centre = np.asarray(principal_point, dtype=np.float64)
    notes: list[str] = []
    base_robust_px = float(opts.robust_px)
    if opts.robust_from_start:  # the Cauchy scale at the start's residual level (as the camera fit's)
        scale = robust_scale_px(_points(rig, pose), evidence, transl0, intrinsics_matrix(focal_px, centre),
                                opts.robust_px)
        if scale > opts.robust_px:
            # a start that far from its keypoints says the estimator's pose is off by more than its nominal
            # spread too (a pose transferred from another body model): the prior widens with it, up to a limit
            widen = min(scale / float(opts.robust_px), float(opts.max_prior_widening))
            sigma = sigma * widen
            notes.append(f"pose refinement: robust loss scale {scale:.1f} px (the start's median residual); the "
                         f"pose prior's spread widened {widen:.2f}x with it")
            opts = replace(opts, robust_px=scale)
    if opts.fit_focal and opts.frame_outlier_factor > 0 and t >= 3:
        # as the camera fit: frames whose 3D does not match their 2D at all (a regressor outlier smeared over its
        # neighbours) are down-weighted, else the shared focal absorbs them where their pose cannot be corrected
        pts0 = _points(rig, pose)
        down = frame_outlier_weights(ModelPoints(points=pts0, joints=pts0[:, :0]), evidence, transl0, focal_px,
                                     centre, float(opts.frame_outlier_factor))
        if down is not None:
            weight_all = weight_all * down[0][:, None]
            notes.append("pose refinement: " + down[1])
    w_ref = float(weight_all[weight_all > 0].mean())
    prior_all = np.zeros(NUM_JOINTS)
    prior_all[candidates] = w_ref * float(opts.noise_px) ** 2 / sigma ** 2
    root_z = transl0[:, 2] + rig.rest_joints[:, 0, 2]
    setup = _Setup(local_fused=axis_angle_to_matrix(pose), rig=rig, used=used,
                   uv=np.nan_to_num(evidence.uv[:, used]), weight=weight_all[:, used], centre=centre,
                   prior_all=prior_all, transl_scale=focal_px / np.maximum(root_z, 1e-3), opts=opts)
    group_of_joint = joint_group_index()
    pt_groups = point_groups(rig.point_joint, rig.point_offset)[used]
    free_all = np.sort(candidates[seen_any[candidates]])
    iterations = 0
    frozen: set[str] = set()
    check: dict[str, dict[str, Any]] = {}
    fold_states: list[RefineState] = []
    folds = int(opts.holdout_folds)
    if t == 1 and folds >= 2:  # one image: hold out one keypoint of each group per fold (see holdout_folds)
        folds = max(folds, int(np.bincount(pt_groups[(setup.weight > 0).any(axis=0)]).max(initial=0)))
    free = free_all
    if folds >= 2 and free_all.size:
        masks = holdout_masks(setup.weight, pt_groups, folds)                                   # (F, T, P)
        dist_before = _pixel_distance(setup, free_all[:0], _start(free_all[:0], transl0, focal_px))
        for _ in range(len(GROUP_NAMES)):  # each pass reverts at least one group, or ends the loop
            free = np.array([j for j in free_all if GROUP_NAMES[group_of_joint[j]] not in frozen], dtype=np.int64)
            if not free.size:
                break
            sums = np.zeros((len(GROUP_NAMES), 4))  # weighted sums before, weight, after, count
            fold_states = []
            for held in (masks if t == 1 else masks[:1]):  # see holdout_folds
                result = solve(setup.problem(free, setup.weight * ~held), _start(free, transl0, focal_px),
                               max_iterations=opts.holdout_iterations)
                iterations += result.iterations
                fold_states.append(result.state)
                dist_after = _pixel_distance(setup, free, result.state)
                for g in range(len(GROUP_NAMES)):
                    mask = held & (pt_groups == g)[None]
                    before_sum, wsum = weighted_mean_px(dist_before, setup.weight, mask)
                    after_sum, _ = weighted_mean_px(dist_after, setup.weight, mask)
                    sums[g] += (before_sum, wsum, after_sum, int(mask.sum()))
            revert: set[str] = set()
            for g, name in enumerate(GROUP_NAMES):  # a reverted group still judged: ending worse, its parent goes
                has_free = name not in frozen and bool(np.isin(free, JOINT_GROUPS[name]).any())
                before = sums[g, 0] / sums[g, 1] if sums[g, 1] > 0 else None
                after = sums[g, 2] / sums[g, 1] if sums[g, 1] > 0 else None
                check.setdefault(name, {}).update(before=before, after=after, count=int(sums[g, 3]))
                if before is None or after <= before:
                    continue
                culprit: Optional[str] = name
                while culprit is not None and (culprit in frozen or not np.isin(free, JOINT_GROUPS[culprit]).any()):
                    culprit = PARENT_GROUP.get(culprit)
                if culprit is None:  # nothing corrected on its chain: the translations and focal moved it
                    check[name]["camera"] = (f"nothing corrected on its chain, the camera's refit moved its held-out "
                                             f"keypoints ({before:.2f} -> {after:.2f} px)")
                    continue
                revert.add(culprit)
                why = "its held-out keypoints" if culprit == name and has_free else f"the held-out keypoints of {name}"
                check.setdefault(culprit, {})["reason"] = (f"reverted: {why} ended further away ({before:.2f} -> "
                                                           f"{after:.2f} px)")
            if t == 1 and revert:  # one image: recorded, not enforced; the in-sample check below decides
                for name in revert:
                    why = check[name].pop("reason", "held-out keypoints ended further away").removeprefix("reverted: ")
                    check[name]["single_image"] = why
                revert = set()
            if not revert:
                break
            frozen |= revert
            notes.append("pose refinement: reverted " + ", ".join(sorted(revert)) + " (held-out keypoints ended "
                         "further away than at the start)")
        free = np.array([j for j in free_all if GROUP_NAMES[group_of_joint[j]] not in frozen], dtype=np.int64)
    start = _start(free, transl0, focal_px)
    if fold_states and all(s.delta.shape == start.delta.shape for s in fold_states):
        start = RefineState(delta=np.mean([s.delta for s in fold_states], axis=0),
                            transl=np.mean([s.transl for s in fold_states], axis=0),
                            log_focal=float(np.mean([s.log_focal for s in fold_states])) if opts.fit_focal
                            else start.log_focal)
    final = solve(setup.problem(free, setup.weight), start, max_iterations=opts.max_iterations,
                  reference=_start(free, transl0, focal_px))
    iterations += final.iterations
    if opts.robust_from_start and setup.opts.robust_px > base_robust_px:
        # graduated: the start's scale brought every keypoint's pull to bear; from there, the nominal scale lets
        # the few that still disagree (a misdetection) go instead of bending the rest towards them
        coarse = final
        fine_setup = replace(setup, opts=replace(setup.opts, robust_px=base_robust_px))
        final = solve(fine_setup.problem(free, setup.weight), coarse.state, max_iterations=opts.max_iterations)
        iterations += final.iterations
        final = replace(final, loss_initial=coarse.loss_initial)
    if t == 1 and free.size:
        free, final, extra = _single_image_group_check(setup, free, final, pt_groups, transl0, focal_px, frozen,
                                                       check, notes, base_robust_px)
        iterations += extra
    loss_initial = final.loss_initial
    state = final.state
    if not (np.isfinite(final.loss_final) and np.all(np.isfinite(state.transl)) and np.all(np.isfinite(state.delta))):
        raise CameraError("the pose refinement diverged (non-finite result); check the 2D keypoints",
                          field="full_pose")
    focal = float(np.exp(state.log_focal)) if opts.fit_focal else focal_px  # a given focal stays exactly as given
    refined = pose.copy()
    if free.size:
        local = setup.local_fused[:, free] @ axis_angle_to_matrix(state.delta)
        refined[:, free] = matrix_to_axis_angle(local)
    before = reprojection_errors(_points(rig, pose), transl0, intrinsics_matrix(focal_px, centre), evidence)
    after = reprojection_errors(_points(rig, refined), state.transl, intrinsics_matrix(focal, centre), evidence)
    reverted = False
    transl = state.transl
    # both figures: each keypoint counted once, and weighted as fitted (confidence and group weight)
    w_before = weighted_reprojection_errors(_points(rig, pose), transl0, intrinsics_matrix(focal_px, centre), evidence)
    w_after = weighted_reprojection_errors(_points(rig, refined), state.transl, intrinsics_matrix(focal, centre),
                                           evidence)
    if np.nanmean(after) > np.nanmean(before) or np.nanmean(w_after) > np.nanmean(w_before) + 1e-9:
        notes.append(f"pose refinement reverted: the mean reprojection error would have risen "
                     f"({np.nanmean(before):.2f} -> {np.nanmean(after):.2f} px; weighted by confidence "
                     f"{np.nanmean(w_before):.2f} -> {np.nanmean(w_after):.2f} px); the camera fit's focal, "
                     f"translations and the fused pose are kept")
        reverted, refined, focal, transl, after = True, pose.copy(), focal_px, transl0.copy(), before.copy()
        for name in GROUP_NAMES:
            if np.isin(free, JOINT_GROUPS[name]).any():
                frozen.add(name)
                check.setdefault(name, {})["reason"] = "reverted with the whole refinement (the error would have risen)"
        free = free[:0]
    change = rotation_change_deg(pose, refined)                                                  # (T, 55)
    unseen = ~seen_any
    unseen_change = float(change[:, unseen].max()) if unseen.any() else 0.0
    gap = ~seen & seen_any[None]
    gap_change = float(change[gap].max()) if gap.any() else 0.0
    groups = _group_checks(check, frozen, free, seen_any, change)
    correction = np.radians(change[:, free])
    return PoseRefinement(full_pose=refined, focal_px=focal, transl_cam=transl, refined_joints=free,
                          correction_rad=correction, reproj_before_px=before, reproj_after_px=after,
                          loss_initial=loss_initial, loss_final=final.loss_final, iterations=iterations, device="cpu",
                          seconds=time.perf_counter() - started, notes=notes, groups=groups, seen_joints=seen_any,
                          unseen_joint_change_deg=unseen_change, gap_change_deg=gap_change, reverted=reverted)


def _single_image_group_check(setup: _Setup, free: np.ndarray, final: Any, pt_groups: np.ndarray,
                              transl0: np.ndarray, focal_px: float, frozen: set, check: dict, notes: list,
                              base_robust_px: float) -> tuple[np.ndarray, Any, int]:
    """One image: a group whose own keypoints end further away (weighted mean, in-sample) than at the start is
    reverted and the rest solved again, until none does. Returns the free joints, the final solve, iterations."""
    group_of_joint = joint_group_index()
    dist_before = _pixel_distance(setup, free[:0], _start(free[:0], transl0, focal_px))
    iterations = 0
    for _ in range(len(GROUP_NAMES)):
        dist_after = _pixel_distance(setup, free, final.state)
        revert = []
        for g, name in enumerate(GROUP_NAMES):
            if not np.isin(free, JOINT_GROUPS[name]).any():
                continue
            mask = np.broadcast_to((pt_groups == g)[None], dist_before.shape)
            b_sum, wsum = weighted_mean_px(dist_before, setup.weight, mask)
            a_sum, _ = weighted_mean_px(dist_after, setup.weight, mask)
            if wsum > 0 and a_sum > b_sum:
                revert.append(name)
                check.setdefault(name, {})["reason"] = (f"reverted: its keypoints ended further away "
                                                        f"({b_sum / wsum:.2f} -> {a_sum / wsum:.2f} px)")
        if not revert:
            break
        frozen |= set(revert)
        notes.append("pose refinement: reverted " + ", ".join(revert) + " (its keypoints ended further away than at "
                     "the start)")
        free = np.array([j for j in free if GROUP_NAMES[group_of_joint[j]] not in frozen], dtype=np.int64)
        start = _start(free, transl0, focal_px)
        fine = replace(setup, opts=replace(setup.opts, robust_px=base_robust_px))
        coarse = solve(setup.problem(free, setup.weight), start, max_iterations=setup.opts.max_iterations)
        final = solve(fine.problem(free, setup.weight), coarse.state, max_iterations=setup.opts.max_iterations)
        final = replace(final, loss_initial=coarse.loss_initial)
        iterations += coarse.iterations + final.iterations
    return free, final, iterations


def _group_checks(check: dict, frozen: set, free: np.ndarray, seen_any: np.ndarray,
                  change: np.ndarray) -> list[GroupCheck]:
    """Per group, the record of the held-out check (see :class:`GroupCheck`)."""
    out = []
    for name in GROUP_NAMES:
        joints = np.asarray(JOINT_GROUPS[name], dtype=np.int64)
        corrected = joints[np.isin(joints, free)]
        info = check.get(name, {})
        if name in frozen:
            kept: Optional[bool] = False
            reason = info.get("reason", "reverted")
        elif corrected.size:
            kept, reason = True, "kept: its held-out keypoints did not end further away"
            if info.get("single_image"):
                reason = (f"kept: its keypoints did not end further away; held-out: {info['single_image']} (recorded, "
                          f"not enforced on a single image, see RefineOptions.holdout_folds)")
            elif info.get("before") is None:
                reason = "kept: no held-out check (no held-out keypoints in this group)"
        else:
            kept = None
            reason = info.get("reason") or ("nothing corrected: no evidence sees its joints"
                                            if not seen_any[joints].any() else "nothing corrected")
        if info.get("camera") and info.get("after") is not None and info["after"] > info["before"]:
            reason = f"{reason}; {info['camera']}"
        out.append(GroupCheck(name=name, corrected_joints=corrected.tolist(), heldout_points=int(info.get("count", 0)),
                              heldout_px_before=info.get("before"), heldout_px_after=info.get("after"),
                              max_change_deg=float(change[:, joints].max()) if change.size else 0.0, kept=kept,
                              reason=reason))
    return out


def _points(rig: PointRig, full_pose: np.ndarray) -> np.ndarray:
    """(T, 65, 3) the rig's points for a pose (numpy forward kinematics)."""
    from ..body.chains import forward_kinematics

    rots, pos = forward_kinematics(axis_angle_to_matrix(full_pose), rig.rest_joints)
    return rig_points(rig, rots, pos)


__all__ = ["BODY_REFINE_JOINTS", "FINGER_JOINTS", "RefineOptions", "PoseRefinement", "refined_joint_set",
           "refine_pose", "anchor_joints", "tree_level_order"]
