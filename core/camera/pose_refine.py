"""Pose refinement against 2D keypoints: the focal, the per-frame translations and small per-frame corrections of
the body pose, fitted together (SMPLify-style, light).

Why: the fused pose's joints are a few centimetres off in depth, and the camera fit reads the focal from the
perspective of exactly that depth structure, so those errors bias the focal (errors in the variables). Fitting the
pose too, with a prior that keeps it near the fused one, treats the true pose as an unknown measured twice (by the
fusion, by the 2D detector) instead of as exact; the shared focal then no longer absorbs the pose's errors.

Model (torch, imported inside the functions; CUDA when present; every step batched over frames):
- local rotations ``R_tj = R_fused_tj @ exp([delta_tj]x)`` for the refined joints (``global_orient`` and the 21
  body joints; optionally the 30 finger joints), the others as fused;
- forward kinematics of the model's rest skeleton (:class:`core.camera.points.PointRig`, shape and expression
  per frame), so bone lengths stay fixed by construction; the 65 fit points ride on it as in
  :mod:`core.camera.points`;
- the translation parametrised as in :mod:`core.camera.fit` (pelvis pixel and pixels per metre at the pelvis),
  focal shared by all frames.

Objective, averaged over frames (pixels squared), a MAP estimate under Gaussian errors:
``sum_p w_tp rho(|pi(P_tp(delta) + t_t) - uv_tp|^2)`` (Cauchy ``rho`` as in the camera fit)
``+ w_ref noise_px^2 sum_j |delta_tj|^2 / sigma_j^2`` (the fused pose's error per axis, radians: the prior)
``+ w_ref noise_px^2 smooth_weight sum_j |delta_tj - delta_t-1,j|^2 / sigma_j^2`` (corrections vary slowly)
``+`` the camera fit's translation smoothness,
with ``w_ref`` the mean weight of an evidence point, so the prior weighs against the data as the keypoint noise
(``noise_px``) and the fused pose's errors (``sigma_j``) say. Optimised by L-BFGS in two stages: the pose and
translations at the camera fit's focal, then everything together.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..body.skeleton import JOINT_INDEX, NUM_JOINTS, PARENTS
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from . import fit
from .conversions import intrinsics_matrix
from .errors import POSE_REFINEMENT_NEEDS_TORCH, CameraError
from .evidence import Evidence
from .points import PointRig, rig_points
from .result import reprojection_errors

#: Joints a ``"body"`` refinement corrects: ``global_orient`` (0) and the 21 body joints.
BODY_REFINE_JOINTS = np.arange(22)
#: The 30 finger joints (left then right), added by ``"body+hands"``.
FINGER_JOINTS = np.arange(25, 55)
_WRISTS = (JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"])


@dataclass
class RefineOptions:
    """Settings of :func:`refine_pose`.

    Attributes:
        joints: ``"body"`` (global orient + 21 body joints) or ``"body+hands"`` (also the 30 finger joints).
        body_sigma_rad: the prior's spread of the fused pose's error per rotation axis, body joints (radians).
        wrist_sigma_rad: the same for the wrists (fused from the hand expert's global orientation: larger).
        finger_sigma_rad: the same for the finger joints (with ``"body+hands"``).
        noise_px: the 2D keypoints' noise per coordinate (pixels), which weighs the data against the prior.
        smooth_weight: weight of the corrections' frame-to-frame change, relative to the prior (1.0: body MPJPE
            11.3 -> 10.4 mm on three 1,000-frame demo takes, focal unchanged within 0.2 %).
        robust_px: the Cauchy loss's scale (pixels).
        transl_smooth_weight: the camera fit's translation smoothness weight.
        fit_focal: refine the focal too (False keeps the camera fit's, e.g. a user's focal).
        max_iterations: L-BFGS function evaluations per stage, at most.
        pose_stage_first: first refine pose and translations at the camera fit's focal, then everything (False:
            everything at once).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``; cpu_threads: torch threads on the CPU (None: torch's).
    """

    joints: str = "body"
    body_sigma_rad: float = 0.035
    wrist_sigma_rad: float = 0.08
    finger_sigma_rad: float = 0.05
    noise_px: float = 2.0
    smooth_weight: float = 1.0
    robust_px: float = 10.0
    transl_smooth_weight: float = 0.1
    fit_focal: bool = True
    max_iterations: int = 150
    pose_stage_first: bool = True
    device: str = "auto"
    cpu_threads: Optional[int] = 1


@dataclass
class PoseRefinement:
    """What :func:`refine_pose` produced.

    Attributes:
        full_pose: (T, 55, 3) axis-angle, the refined pose (hands flat-relative, camera frame).
        focal_px: the refined focal; transl_cam: (T, 3) the refined translations (metres, camera frame).
        refined_joints: (K,) the joints corrected; correction_rad: (T, K) the angle of each correction.
        reproj_before_px, reproj_after_px: (T,) mean reprojection error per frame at the start (the camera fit's
            camera and the fused pose) and after.
        loss_initial, loss_final: the objective at the start and the end; iterations: L-BFGS evaluations.
        device: where it ran; seconds: wall time; notes: decisions for the report.
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

    def summary(self) -> dict[str, Any]:
        """JSON-able summary for the provenance and reports."""
        deg = np.degrees(self.correction_rad)

        def mean(a: np.ndarray) -> Optional[float]:
            a = a[np.isfinite(a)]
            return round(float(a.mean()), 3) if a.size else None

        return {"refined_joints": [int(j) for j in self.refined_joints], "focal_px": round(self.focal_px, 3),
                "correction_deg": {"mean": round(float(deg.mean()), 3), "p95": round(float(np.percentile(deg, 95)), 3),
                                   "max": round(float(deg.max()), 3)},
                "reproj_px_before": mean(self.reproj_before_px), "reproj_px_after": mean(self.reproj_after_px),
                "loss_initial": self.loss_initial, "loss_final": self.loss_final, "iterations": self.iterations,
                "device": self.device, "seconds": round(self.seconds, 4), "notes": list(self.notes)}


def _levels(parents: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Joints grouped by depth in the tree: per level (joints (n,), the parents' slots in the previous level (n,))."""
    depth = np.zeros(parents.shape[0], dtype=np.int64)
    for j in range(1, parents.shape[0]):  # parents precede children in SMPL-X order
        depth[j] = depth[parents[j]] + 1
    out: list[tuple[np.ndarray, np.ndarray]] = []
    previous = np.array([], dtype=np.int64)
    for d in range(int(depth.max()) + 1):
        joints = np.flatnonzero(depth == d)
        slots = np.searchsorted(previous, parents[joints]) if d else np.zeros(0, dtype=np.int64)
        out.append((joints, slots))
        previous = joints
    return out


def _rodrigues(torch: Any, rotvec: Any) -> Any:
    """(..., 3) rotation vectors v -> (..., 3, 3) ``I + a [v]x + b (v v^T - |v|^2 I)`` with ``a = sin|v| / |v|``,
    ``b = (1 - cos|v|) / |v|^2`` (``sinc`` forms, smooth at zero), built entry by entry (no 3 x 3 products)."""
    x, y, z = rotvec.unbind(-1)
    xx, yy, zz = x * x, y * y, z * z
    theta = torch.sqrt(xx + yy + zz + 1e-30)
    a = torch.sinc(theta / np.pi)
    b = 0.5 * torch.sinc(theta / (2.0 * np.pi)) ** 2
    bxy, bxz, byz = b * x * y, b * x * z, b * y * z
    ax, ay, az = a * x, a * y, a * z
    entries = [1.0 - b * (yy + zz), bxy - az, bxz + ay,
               bxy + az, 1.0 - b * (xx + zz), byz - ax,
               bxz - ay, byz + ax, 1.0 - b * (xx + yy)]
    return torch.stack(entries, dim=-1).reshape(rotvec.shape[:-1] + (3, 3))


def anchor_joints(point_joint: np.ndarray, refined: np.ndarray) -> np.ndarray:
    """(P,) for each point, its joint or the nearest ancestor of it that is refined (e.g. the wrist for a finger)."""
    keep = np.zeros(NUM_JOINTS, dtype=bool)
    keep[refined] = True
    out = np.asarray(point_joint, dtype=np.int64).copy()
    while not keep[out].all():
        out = np.where(keep[out], out, PARENTS[out])
    return out


def _take(torch: Any, index: np.ndarray, size: int, device: str) -> Any:
    """An index along axis 1 as the cheapest selection: None (all of it, in order), a slice (a contiguous run), or
    an index tensor (anything else)."""
    index = np.asarray(index, dtype=np.int64)
    if index.shape[0] == size and np.array_equal(index, np.arange(size)):
        return None
    if index.shape[0] and np.array_equal(index, np.arange(index[0], index[0] + index.shape[0])):
        return slice(int(index[0]), int(index[0]) + index.shape[0])
    return torch.as_tensor(index, device=device)


def _gather(values: Any, index: Any) -> Any:
    """``values`` (T, n, ...) selected along axis 1 by :func:`_take`'s index."""
    if index is None:
        return values
    if isinstance(index, slice):
        return values[:, index]
    return values.index_select(1, index)


class _Skeleton:
    """Batched forward kinematics over the refined joints in torch: their local rotations -> the 65 fit points.

    Joints outside the refined set keep their fused local rotations, so each point is rigid in the frame of its
    nearest refined ancestor (its anchor): ``point = p_a + G_a @ o`` with ``o`` (T, 65, 3) from the fused pose's
    forward kinematics. The refined joints come in tree-level order (:func:`refined_joint_set`: the root, then
    each level of the tree), so global rotations go one batched product per level on contiguous blocks; positions
    are then one sum over ancestors, ``p_j = p_root + sum_k A_jk G_parent(k) (J_k - J_parent(k))`` with ``A`` the
    chain indicator (K, K - 1).
    """

    def __init__(self, torch: Any, rig: PointRig, full_pose: np.ndarray, refined: np.ndarray, device: str) -> None:
        from ..body.chains import forward_kinematics

        self.torch = torch
        kw = {"dtype": torch.float64, "device": device}
        k = refined.shape[0]
        slot = np.full(NUM_JOINTS, -1, dtype=np.int64)
        slot[refined] = np.arange(k)
        parents = np.where(PARENTS[refined] >= 0, slot[np.maximum(PARENTS[refined], 0)], -1)
        if refined[0] != 0 or np.any(parents[1:] < 0):
            raise CameraError("the refined joints must hold the root and each refined joint's parent",
                              field="joints")
        levels = _levels(parents)
        if not np.array_equal(np.concatenate([j for j, _ in levels]), np.arange(k)):
            raise CameraError("the refined joints must come in tree-level order", field="joints")
        self.sizes = [int(j.shape[0]) for j, _ in levels]
        self.parent_slots = [_take(torch, s, self.sizes[i], device) for i, (_, s) in enumerate(levels[1:])]
        rest = np.asarray(rig.rest_joints, dtype=np.float64)[:, refined]
        self.root_rest = torch.as_tensor(rest[:, :1], **kw)                                      # (T, 1, 3)
        bone = torch.as_tensor((rest[:, 1:] - rest[:, parents[1:]])[..., None], **kw)           # (T, K-1, 3, 1)
        self.bones = list(torch.split(bone, self.sizes[1:], dim=1))
        chain = np.zeros((k, k - 1))                                                             # A: (K, K-1)
        for j in range(1, k):
            cur = j
            while cur > 0:
                chain[j, cur - 1] = 1.0
                cur = parents[cur]
        self.chain = torch.as_tensor(chain, **kw)
        # points, grouped by anchor: zero offsets (the refined joints themselves) are the positions as they are
        rots, pos = forward_kinematics(axis_angle_to_matrix(full_pose), rig.rest_joints)
        points = rig_points(rig, rots, pos)
        anchor = anchor_joints(rig.point_joint, refined)
        offset = np.einsum("tpba,tpb->tpa", rots[:, anchor], points - pos[:, anchor])           # (T, P, 3)
        rigid = np.flatnonzero(np.abs(offset).max(axis=(0, 2)) > 0)
        carriers = np.unique(anchor[rigid])
        width = max([int(np.count_nonzero(anchor[rigid] == a)) for a in carriers] + [1])
        packed = np.zeros((offset.shape[0], carriers.shape[0], 3, width))
        column = np.zeros(rigid.shape[0], dtype=np.int64)
        for i, a in enumerate(carriers):  # at most a few anchors (wrists, head ...)
            members = np.flatnonzero(anchor[rigid] == a)
            packed[:, i, :, :members.shape[0]] = np.swapaxes(offset[:, rigid[members]], 1, 2)
            column[members] = i * width + np.arange(members.shape[0])
        self.carriers = torch.as_tensor(slot[carriers], device=device)
        self.packed = torch.as_tensor(packed, **kw)                                              # (T, A, 3, W)
        self.point_anchor = torch.as_tensor(slot[anchor], device=device)
        self.rigid = torch.as_tensor(rigid, device=device)
        self.rigid_column = torch.as_tensor(column, device=device)

    def points(self, local: Any) -> Any:
        """(T, K, 3, 3) local rotations of the refined joints (level order) -> (T, 65, 3) points before translation."""
        torch = self.torch
        blocks = torch.split(local, self.sizes, dim=1)
        g_prev = blocks[0]
        gs, steps = [g_prev], []
        for block, slots, bone in zip(blocks[1:], self.parent_slots, self.bones):
            g_parent = _gather(g_prev, slots)
            steps.append((g_parent @ bone)[..., 0])
            g_prev = g_parent @ block
            gs.append(g_prev)
        g = torch.cat(gs, dim=1)                                                                 # (T, K, 3, 3)
        p = self.root_rest + torch.matmul(self.chain, torch.cat(steps, dim=1))                   # (T, K, 3)
        moved = (g[:, self.carriers] @ self.packed).transpose(-1, -2)                            # (T, A, W, 3)
        moved = moved.reshape(moved.shape[0], -1, 3)[:, self.rigid_column]
        return p[:, self.point_anchor].index_add(1, self.rigid, moved)


def tree_level_order(joints: np.ndarray) -> np.ndarray:
    """``joints`` sorted by depth in the SMPL-X tree (stable: index order within a level)."""
    depth = np.zeros(NUM_JOINTS, dtype=np.int64)
    for j in range(1, NUM_JOINTS):
        depth[j] = depth[PARENTS[j]] + 1
    joints = np.asarray(joints, dtype=np.int64)
    return joints[np.argsort(depth[joints], kind="stable")]


def refined_joint_set(joints: str) -> np.ndarray:
    """(K,) joint indices for ``"body"`` or ``"body+hands"``, in tree-level order (:class:`_Skeleton`)."""
    if joints == "body":
        return tree_level_order(BODY_REFINE_JOINTS)
    if joints == "body+hands":
        return tree_level_order(np.concatenate([BODY_REFINE_JOINTS, FINGER_JOINTS]))
    raise CameraError(f"unknown joint set '{joints}' (expected body or body+hands)", field="joints")


def _sigmas(joints: np.ndarray, opts: RefineOptions) -> np.ndarray:
    """(K,) the prior's spread per refined joint."""
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
        :class:`PoseRefinement`. Raises :class:`CameraError` on unusable input or a diverged fit, and where torch
        does not import (:data:`core.camera.errors.POSE_REFINEMENT_NEEDS_TORCH`).
    """
    if not fit.torch_available():
        raise CameraError(POSE_REFINEMENT_NEEDS_TORCH, field="--refine-pose")
    import torch

    from .fit import resolve_device

    opts = options or RefineOptions()
    device = resolve_device(opts.device)
    threads = torch.get_num_threads()
    if device == "cpu" and opts.cpu_threads:
        torch.set_num_threads(int(opts.cpu_threads))
    try:
        return _refine(torch, full_pose, rig, evidence, float(focal_px), transl_cam, principal_point, opts, device)
    finally:
        torch.set_num_threads(threads)


def _refine(torch: Any, full_pose: np.ndarray, rig: PointRig, evidence: Evidence, focal_px: float,
            transl_cam: np.ndarray, principal_point: np.ndarray, opts: RefineOptions, device: str) -> PoseRefinement:
    started = time.perf_counter()
    pose = np.asarray(full_pose, dtype=np.float64)
    t = pose.shape[0]
    if pose.shape != (t, NUM_JOINTS, 3) or evidence.num_frames != t or np.asarray(transl_cam).shape != (t, 3):
        raise CameraError(f"pose, evidence and translations disagree on the number of frames ({t}, "
                          f"{evidence.num_frames}, {np.asarray(transl_cam).shape[0]})", field="full_pose")
    if not (np.all(np.isfinite(pose)) and np.all(np.isfinite(transl_cam))):
        raise CameraError("expected a finite pose and translations to refine", field="full_pose")
    weight = np.asarray(evidence.weight, dtype=np.float64)
    if not (weight > 0).any():
        raise CameraError("no frame has any 2D evidence to refine the pose against", field="evidence")
    joints = refined_joint_set(opts.joints)
    sigma = _sigmas(joints, opts)
    kw = {"dtype": torch.float64, "device": device}
    centre = np.asarray(principal_point, dtype=np.float64)
    skeleton = _Skeleton(torch, rig, pose, joints, device)
    local_fused = torch.as_tensor(axis_angle_to_matrix(pose[:, joints]), **kw)              # (T, K, 3, 3)
    uv = torch.as_tensor(np.nan_to_num(evidence.uv), **kw)
    w = torch.as_tensor(weight, **kw)
    c = torch.as_tensor(centre, **kw)
    c2 = float(opts.robust_px) ** 2
    w_ref = float(weight[weight > 0].mean())
    prior = torch.as_tensor(w_ref * float(opts.noise_px) ** 2 / sigma ** 2, **kw)            # (K,)
    ref = torch.as_tensor(rig.rest_joints[:, 0], **kw)                                       # (T, 3) the pelvis

    # variables, each scaled so that a unit step moves the image by about a pixel (conditioning, as in fit.py)
    start_cam = np.asarray(transl_cam, dtype=np.float64) + rig.rest_joints[:, 0]
    px_per_m = focal_px / start_cam[:, 2]
    spread = float(np.clip(np.median(px_per_m) * 0.5, 20.0, 5000.0))   # pixels a unit log-scale moves a body
    focal_unit = spread * 0.02 * np.sqrt(t)
    delta_unit = float(np.clip(np.median(px_per_m) * 0.3, 1.0, 5000.0))  # pixels a radian moves a 30 cm bone
    log_f = torch.tensor(np.log(focal_px) * focal_unit, **kw)
    root_px = torch.as_tensor(start_cam[:, :2] / start_cam[:, 2:3] * focal_px + centre, **kw)
    log_scale = torch.as_tensor(np.log(px_per_m) * spread, **kw)
    delta = torch.zeros((t, joints.shape[0], 3), **kw)

    def objective() -> Any:
        f = torch.exp(log_f / focal_unit)
        scale = torch.exp(log_scale / spread)
        transl = torch.cat([(root_px - c) / scale[:, None], (f / scale)[:, None]], dim=1) - ref
        d = delta / delta_unit
        x = skeleton.points(local_fused @ _rodrigues(torch, d)) + transl[:, None]
        z = torch.clamp(x[..., 2:3], min=1e-3)
        r2 = ((f * x[..., :2] / z + c - uv) ** 2).sum(-1)
        total = (w * torch.log1p(r2 / c2)).sum() * c2
        total = total + ((d ** 2).sum(-1) * prior).sum()
        if t >= 2 and opts.smooth_weight > 0:
            total = total + opts.smooth_weight * (((d[1:] - d[:-1]) ** 2).sum(-1) * prior).sum()
        if t >= 3 and opts.transl_smooth_weight > 0:
            acc = transl[2:] - 2.0 * transl[1:-1] + transl[:-2]
            total = total + opts.transl_smooth_weight * ((acc ** 2).sum(-1) * scale[1:-1] ** 2).sum()
        return total / t

    with torch.no_grad():
        loss_initial = float(objective())
    iterations = 0
    stages = [[root_px, log_scale, delta]] if (opts.pose_stage_first or not opts.fit_focal) else []
    if opts.fit_focal:
        stages.append([log_f, root_px, log_scale, delta])
    for params in stages:
        for p in (log_f, root_px, log_scale, delta):
            p.requires_grad_(any(p is q for q in params))
        iterations += fit.minimise_lbfgs(torch, params, objective, opts.max_iterations, loss_initial)
    with torch.no_grad():
        loss_final = float(objective())
        focal = float(torch.exp(log_f / focal_unit))
        scale = torch.exp(log_scale / spread)
        transl = (torch.cat([(root_px - c) / scale[:, None], (focal / scale)[:, None]], dim=1) - ref).cpu().numpy()
        corr = (delta / delta_unit).cpu().numpy()
    if not (np.isfinite(loss_final) and np.all(np.isfinite(transl)) and np.all(np.isfinite(corr))):
        raise CameraError("the pose refinement diverged (non-finite result); check the 2D keypoints",
                          field="full_pose")
    local = axis_angle_to_matrix(pose)
    local[:, joints] = local[:, joints] @ axis_angle_to_matrix(corr)
    refined = pose.copy()
    refined[:, joints] = matrix_to_axis_angle(local[:, joints])
    before = reprojection_errors(_points(rig, pose), transl_cam, intrinsics_matrix(focal_px, centre), evidence)
    after = reprojection_errors(_points(rig, refined), transl, intrinsics_matrix(focal, centre), evidence)
    return PoseRefinement(full_pose=refined, focal_px=focal, transl_cam=transl, refined_joints=joints,
                          correction_rad=np.linalg.norm(corr, axis=-1), reproj_before_px=before,
                          reproj_after_px=after, loss_initial=loss_initial, loss_final=loss_final,
                          iterations=iterations, device=device, seconds=time.perf_counter() - started)


def _points(rig: PointRig, full_pose: np.ndarray) -> np.ndarray:
    """(T, 65, 3) the rig's points for a pose (numpy forward kinematics)."""
    from ..body.chains import forward_kinematics

    rots, pos = forward_kinematics(axis_angle_to_matrix(full_pose), rig.rest_joints)
    return rig_points(rig, rots, pos)


__all__ = ["BODY_REFINE_JOINTS", "FINGER_JOINTS", "RefineOptions", "PoseRefinement", "refined_joint_set",
           "refine_pose"]
