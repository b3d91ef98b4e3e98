"""Synthetic takes with injected faults, for tests and ``bench/validation_recall.py``.

:func:`clean_take` is :func:`core.demo_data.ground_truth.make_ground_truth` with the elbows made to flex
anatomically: the committed :func:`core.demo_data.motion.make_demo_sequence` bent both elbows the wrong way (left elbow
+1.3 rad about +y, right -0.35 rad about y: the forearm swung *behind* the upper arm, 50-100 deg of hyperextension
on the left). Flexion is about -y on the left and +y on the right, and the clean take enforces that sign whichever
version of the demo motion it is built on.

Each ``inject_*`` function returns a :class:`FaultyTake`: the modified take, the frames the fault occupies (the
frames a validator should flag, and only those), the checks expected to flag them, and what was done.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..body.model import BodyModel
from ..body.posing import pose_skeleton, truncated_coefficients, with_full_pose
from ..body.skeleton import JOINT_INDEX, PARENTS
from ..contracts.fused_file import FusedSequence
from ..demo_data.ground_truth import make_ground_truth
from ..fusion.temporal import axis_angle_to_quaternion, quaternion_multiply, quaternion_to_axis_angle
from .joint_limits import angles_to_axis_angle, joint_angles, joint_frames


@dataclass
class FaultyTake:
    """A take and what is wrong with it.

    Attributes:
        seq: the take.
        kind: fault name (``"clean"`` for none).
        frames: (F,) rows that carry the fault (empty for a clean take; every row for per-take faults).
        checks: the checks expected to flag those rows.
        displayed_joints: (T, 55, 3) joints as displayed, where the fault lives in the displayed skeleton.
        detail: what was injected.
    """

    seq: FusedSequence
    kind: str
    frames: np.ndarray
    checks: tuple[str, ...]
    displayed_joints: Optional[np.ndarray] = None
    detail: dict[str, Any] = field(default_factory=dict)


def _copy(seq: FusedSequence) -> FusedSequence:
    return copy.deepcopy(seq)


def clean_take(num_frames: int = 120, seed: int = 0) -> FaultyTake:
    """The demo ground truth with anatomically bent elbows (see the module docstring): no fault."""
    seq = make_ground_truth(num_frames, seed=seed)
    pose = seq.full_pose()
    # flexion is about -y on the left elbow and +y on the right (the demo motion's own elbows are a hinge about y)
    pose[:, JOINT_INDEX["left_elbow"], 1] = -np.abs(pose[:, JOINT_INDEX["left_elbow"], 1])
    pose[:, JOINT_INDEX["right_elbow"], 1] = np.abs(pose[:, JOINT_INDEX["right_elbow"], 1])
    return FaultyTake(seq=with_full_pose(seq, pose), kind="clean", frames=np.zeros(0, dtype=np.int64), checks=())


def _window(start: int, length: int, num_frames: int) -> np.ndarray:
    return np.arange(max(0, start), min(num_frames, start + length), dtype=np.int64)


def inject_elbow_backwards(take: FaultyTake, model: BodyModel, start: int, length: int = 15, side: str = "left",
                           hyperextension_deg: float = 50.0) -> FaultyTake:
    """Bend one elbow backwards (hyperextension) on ``length`` frames from ``start``; twist kept."""
    seq = take.seq
    frames = _window(start, length, seq.num_frames)
    betas, _ = truncated_coefficients(seq, model)
    jf = joint_frames(model.rest_joints(betas))
    k = jf.names.index(f"{side}_elbow")
    pose = seq.full_pose()
    ang = joint_angles(pose[frames], jf)[:, k:k + 1]
    ang[..., 0] = -np.radians(hyperextension_deg)
    ang[..., 1] = 0.0
    pose[frames, JOINT_INDEX[f"{side}_elbow"]] = angles_to_axis_angle(ang, _single(jf, k))[:, 0]
    return FaultyTake(seq=with_full_pose(seq, pose), kind="elbow_backwards", frames=frames,
                      checks=("joint_limits",), detail={"side": side, "hyperextension_deg": hyperextension_deg})


def _single(jf: Any, k: int) -> Any:
    from .joint_limits import JointFrames

    return JointFrames(joints=jf.joints[k:k + 1], names=(jf.names[k],), mirrored=jf.mirrored[k:k + 1],
                       frames=jf.frames[k:k + 1], limits_rad=jf.limits_rad[k:k + 1], rows=(jf.rows[k],))


def _arm_grid(jf: Any, side: str, inner_margin_deg: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (shoulder angles (N, 3), elbow angles (N, 3)) inside the ROM table, ``inner_margin`` from the
    edges: a grid over shoulder flexion / abduction / twist and elbow flexion."""
    ks, ke = jf.names.index(f"{side}_shoulder"), jf.names.index(f"{side}_elbow")
    lim_s = np.degrees(jf.limits_rad[ks]) + np.array([inner_margin_deg, -inner_margin_deg])
    lim_e = np.degrees(jf.limits_rad[ke]) + np.array([inner_margin_deg, -inner_margin_deg])
    sf = np.linspace(max(lim_s[0, 0], 0.0), lim_s[0, 1], 12)
    sa = np.linspace(lim_s[1, 0], -30.0, 10)
    st = np.linspace(lim_s[2, 0], lim_s[2, 1], 7)
    ef = np.linspace(max(lim_e[0, 0], 40.0), lim_e[0, 1], 10)
    g = np.stack(np.meshgrid(sf, sa, st, ef, indexing="ij"), -1).reshape(-1, 4)
    shoulder = np.radians(np.stack([g[:, 0], g[:, 1], g[:, 2]], 1))
    elbow = np.radians(np.stack([g[:, 3], np.zeros(len(g)), np.zeros(len(g))], 1))
    return shoulder, elbow


def inject_hand_through_torso(take: FaultyTake, model: BodyModel, start: int, length: int = 12,
                              side: str = "left") -> FaultyTake:
    """Put one hand inside the belly on ``length`` frames: shoulder and elbow angles chosen from a grid inside the
    ROM table (so only the penetration is wrong) to bring the hand's centre to the middle of the torso."""
    seq = take.seq
    frames = _window(start, length, seq.num_frames)
    betas, _ = truncated_coefficients(seq, model)
    jf = joint_frames(model.rest_joints(betas))
    ks, ke = jf.names.index(f"{side}_shoulder"), jf.names.index(f"{side}_elbow")
    sh, el, wr, mid = (JOINT_INDEX[f"{side}_{n}"] for n in ("shoulder", "elbow", "wrist", "middle1"))
    pose = seq.full_pose()
    skel = pose_skeleton(seq, model)
    f0 = int(frames[len(frames) // 2])
    rest = skel.rest_joints[f0]
    cand_s, cand_e = _arm_grid(jf, side)
    r_sh = _rotmats(angles_to_axis_angle(cand_s[:, None], _single(jf, ks))[:, 0])  # (N, 3, 3)
    r_el = _rotmats(angles_to_axis_angle(cand_e[:, None], _single(jf, ke))[:, 0])
    g_parent = skel.global_rot[f0, PARENTS[sh]]
    g_sh = g_parent @ r_sh
    p_el = skel.joints[f0, sh] + g_sh @ (rest[el] - rest[sh])
    g_el = g_sh @ r_el
    p_wr = p_el + g_el @ (rest[wr] - rest[el])
    p_mid = p_wr + g_el @ skel.local_rot[f0, wr] @ (rest[mid] - rest[wr])
    target = 0.5 * (skel.joints[f0, JOINT_INDEX["spine1"]] + skel.joints[f0, JOINT_INDEX["spine2"]])
    best = int(np.argmin(np.linalg.norm(p_mid - target, axis=-1)))
    pose[frames, sh] = angles_to_axis_angle(cand_s[best][None, None], _single(jf, ks))[0, 0]
    pose[frames, el] = angles_to_axis_angle(cand_e[best][None, None], _single(jf, ke))[0, 0]
    return FaultyTake(seq=with_full_pose(seq, pose), kind="hand_through_torso", frames=frames,
                      checks=("penetration",),
                      detail={"side": side, "shoulder_deg": np.degrees(cand_s[best]).round(1).tolist(),
                              "elbow_deg": np.degrees(cand_e[best]).round(1).tolist(),
                              "hand_to_target_m": round(float(np.linalg.norm(p_mid[best] - target)), 4)})


def _rotmats(aa: np.ndarray) -> np.ndarray:
    from ..rotations import axis_angle_to_matrix

    return axis_angle_to_matrix(aa)


def inject_legs_through_each_other(take: FaultyTake, model: BodyModel, start: int, length: int = 10,
                                   adduction_deg: float = 40.0) -> FaultyTake:
    """Swing the left leg across the right one (hip adduction, within the table) on ``length`` frames."""
    seq = take.seq
    frames = _window(start, length, seq.num_frames)
    betas, _ = truncated_coefficients(seq, model)
    jf = joint_frames(model.rest_joints(betas))
    k = jf.names.index("left_hip")
    pose = seq.full_pose()
    ang = joint_angles(pose[frames], jf)[:, k:k + 1]
    ang[..., 0] = np.radians(10.0)
    ang[..., 1] = -np.radians(adduction_deg)
    pose[frames, JOINT_INDEX["left_hip"]] = angles_to_axis_angle(ang, _single(jf, k))[:, 0]
    pose[frames, JOINT_INDEX["left_knee"]] = 0.0
    return FaultyTake(seq=with_full_pose(seq, pose), kind="legs_through_each_other", frames=frames,
                      checks=("penetration",), detail={"adduction_deg": adduction_deg})


def inject_glitch(take: FaultyTake, start: int, length: int = 3, magnitude_rad: float = 0.45,
                  seed: int = 7) -> FaultyTake:
    """A short estimator glitch: random rotations (about ``magnitude`` rad each) on the 21 body joints and the
    root for ``length`` consecutive frames."""
    seq = take.seq
    frames = _window(start, length, seq.num_frames)
    rng = np.random.default_rng(seed)
    pose = seq.full_pose()
    axis = rng.normal(size=(len(frames), 22, 3))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    noise = axis * magnitude_rad * rng.uniform(0.6, 1.0, (len(frames), 22, 1))
    q = quaternion_multiply(axis_angle_to_quaternion(pose[frames, :22]), axis_angle_to_quaternion(noise))
    pose[frames, :22] = quaternion_to_axis_angle(q)
    return FaultyTake(seq=with_full_pose(seq, pose), kind="glitch", frames=frames, checks=("temporal",),
                      detail={"length": len(frames), "magnitude_rad": magnitude_rad})


def inject_extreme_betas(take: FaultyTake, sigma: float = 5.0, component: int = 0) -> FaultyTake:
    """One shape component at ``sigma`` standard deviations: a per-take fault, so every frame carries it."""
    seq = _copy(take.seq)
    seq.betas = seq.betas.copy()
    seq.betas[component] = sigma
    return FaultyTake(seq=seq, kind="extreme_betas", frames=np.arange(seq.num_frames), checks=("shape",),
                      detail={"component": component, "sigma": sigma})


def inject_asymmetric_limbs(take: FaultyTake, model: BodyModel, start: int, length: int = 16, side: str = "left",
                            stretch: float = 0.12) -> FaultyTake:
    """The displayed skeleton's forearm ``stretch`` longer than its twin on ``length`` frames (as when a rig's
    wrist bone is moved along the forearm): the wrist and every joint below it shift with it.

    SMPL-X betas cannot make limbs asymmetric (every component changes left and right alike), so the fault lives
    in the displayed joints, which the symmetry and temporal checks then read.
    """
    seq = take.seq
    frames = _window(start, length, seq.num_frames)
    skel = pose_skeleton(seq, model)
    joints = skel.joints.copy()
    el, wr = JOINT_INDEX[f"{side}_elbow"], JOINT_INDEX[f"{side}_wrist"]
    below = [j for j in range(len(PARENTS)) if _descends(j, wr)]
    shift = stretch * (joints[frames, wr] - joints[frames, el])  # (F, 3)
    joints[np.ix_(frames, below)] += shift[:, None]
    return FaultyTake(seq=_copy(seq), kind="asymmetric_limbs", frames=frames, checks=("symmetry",),
                      displayed_joints=joints, detail={"side": side, "limb": "forearm", "stretch": stretch})


def _descends(joint: int, ancestor: int) -> bool:
    cur = joint
    while cur >= 0:
        if cur == ancestor:
            return True
        cur = int(PARENTS[cur])
    return False


def fault_suite(model: BodyModel, num_frames: int = 120, seed: int = 0) -> list[FaultyTake]:
    """The clean take and one take per fault kind on a seeded ground truth: windows, sides and magnitudes are
    drawn from ``seed`` (hyperextension 25-60 deg, glitch 0.25-0.5 rad, betas 4-6 sigma, stretch 8-15 %)."""
    base = clean_take(num_frames, seed)
    rng = np.random.default_rng(1000 + seed)

    def start(length: int) -> int:
        return int(rng.integers(12, num_frames - length - 12))

    side = ("left", "right")
    return [base,
            inject_elbow_backwards(base, model, start(15), 15, side=side[seed % 2],
                                   hyperextension_deg=float(rng.uniform(25.0, 60.0))),
            inject_hand_through_torso(base, model, start(12), 12, side=side[(seed + 1) % 2]),
            inject_legs_through_each_other(base, model, start(10), 10, adduction_deg=float(rng.uniform(35.0, 42.0))),
            inject_glitch(base, start(3), 3, magnitude_rad=float(rng.uniform(0.25, 0.5)), seed=seed),
            inject_extreme_betas(base, float(rng.uniform(4.0, 6.0)), component=seed % 3),
            inject_asymmetric_limbs(base, model, start(16), 16, side=side[seed % 2],
                                    stretch=float(rng.uniform(0.08, 0.15)))]


__all__ = ["FaultyTake", "with_full_pose", "clean_take", "inject_elbow_backwards", "inject_hand_through_torso",
           "inject_legs_through_each_other", "inject_glitch", "inject_extreme_betas", "inject_asymmetric_limbs",
           "fault_suite"]
