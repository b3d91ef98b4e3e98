"""Joint-limit check: swing-twist angles of every tabled joint against :data:`core.validate.rom_table.ROM_TABLE`.

Right-side joints are measured in the left side's convention: the rotation is mirrored through x = 0
(axis-angle (x, y, z) -> (x, -y, -z)) and the bone axis comes from the mirrored right rest joints, so one table row
serves both sides and an asymmetric skeleton is still measured on its own bones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.skeleton import JOINT_INDEX, JOINT_NAMES, PARENTS
from ..fusion.temporal import axis_angle_to_quaternion, quaternion_to_axis_angle
from .result import CheckResult, flagged
from .rom_table import ROM_TABLE, RomRow, limits_degrees, mirrored_name
from .swing_twist import compose, decompose, orthonormal_frame

_MIRROR = np.array([-1.0, 1.0, 1.0])
_MIRROR_AA = np.array([1.0, -1.0, -1.0])
COMPONENTS = ("flex", "abd", "twist")


@dataclass(frozen=True)
class JointFrames:
    """The tabled joints and their anatomical frames for one skeleton (K joints).

    Attributes:
        joints: (K,) SMPL-X joint indices.
        names: (K,) joint names.
        mirrored: (K,) bool, right-side joints measured through the mirror.
        frames: (K, 3, 3) rows (bone axis, flexion axis, abduction axis), left-side convention, model frame.
        limits_rad: (K, 3, 2) effective (min, max) of (flex, abd, twist), margins included.
        rows: (K,) the table rows.
    """

    joints: np.ndarray
    names: tuple[str, ...]
    mirrored: np.ndarray
    frames: np.ndarray
    limits_rad: np.ndarray
    rows: tuple[RomRow, ...]


def _bone_axis(row: RomRow, joint: int, rest: np.ndarray) -> np.ndarray:
    """Bone axis of ``row`` on (55, 3) rest joints already in the left-side convention."""
    if row.child is not None:
        child = JOINT_INDEX[row.child]
        return rest[child] - rest[joint]
    if row.fixed_axis is not None:
        return np.asarray(row.fixed_axis, dtype=np.float64)
    return rest[joint] - rest[int(PARENTS[joint])]  # a finger tip continues its parent's direction


def joint_frames(rest_joints: np.ndarray) -> JointFrames:
    """Anatomical frames of every tabled joint (both sides) from (55, 3) shaped rest joints (model frame)."""
    rest = np.asarray(rest_joints, dtype=np.float64)
    mirrored_rest = rest * _MIRROR
    joints, names, mirrored, axes, flex, abd, limits, rows = [], [], [], [], [], [], [], []
    for row in ROM_TABLE:
        variants = [(row.joint, False)]
        other = mirrored_name(row.joint)
        if other is not None:
            variants.append((other, True))
        for name, is_mirror in variants:
            j = JOINT_INDEX[name]
            if is_mirror:
                # the right joint's own bones, seen through the mirror, named with the left-side row
                source = mirrored_rest.copy()
                for left_name in JOINT_NAMES:
                    right = mirrored_name(left_name)
                    if right is not None:
                        source[JOINT_INDEX[left_name]] = mirrored_rest[JOINT_INDEX[right]]
                axis = _bone_axis(row, JOINT_INDEX[row.joint], source)
            else:
                axis = _bone_axis(row, j, rest)
            joints.append(j)
            names.append(name)
            mirrored.append(is_mirror)
            axes.append(axis)
            flex.append(row.flex_hint)
            abd.append(row.abd_hint)
            limits.append(np.radians(limits_degrees(row)))
            rows.append(row)
    frames = orthonormal_frame(np.array(axes), np.array(flex), np.array(abd))
    return JointFrames(joints=np.array(joints, dtype=np.int64), names=tuple(names),
                       mirrored=np.array(mirrored, dtype=bool), frames=frames, limits_rad=np.array(limits),
                       rows=tuple(rows))


def to_left_convention(full_pose: np.ndarray, jf: JointFrames) -> np.ndarray:
    """(T, 55, 3) axis-angle -> (T, K, 3) axis-angle of the tabled joints, right ones mirrored."""
    aa = np.asarray(full_pose, dtype=np.float64)[:, jf.joints]
    return np.where(jf.mirrored[None, :, None], aa * _MIRROR_AA, aa)


def joint_angles(full_pose: np.ndarray, jf: JointFrames) -> np.ndarray:
    """(T, 55, 3) axis-angle full pose -> (T, K, 3) radians (flex, abd, twist) of the tabled joints."""
    return decompose(axis_angle_to_quaternion(to_left_convention(full_pose, jf)), jf.frames)


def angles_to_axis_angle(angles: np.ndarray, jf: JointFrames) -> np.ndarray:
    """Inverse of :func:`joint_angles` for the tabled joints: (T, K, 3) radians -> (T, K, 3) axis-angle in each
    joint's own (unmirrored) convention."""
    aa = quaternion_to_axis_angle(compose(angles, jf.frames))
    return np.where(jf.mirrored[None, :, None], aa * _MIRROR_AA, aa)


def violations(angles: np.ndarray, jf: JointFrames) -> np.ndarray:
    """(T, K, 3) radians -> (T, K, 3) radians beyond the effective range (0 inside)."""
    lo, hi = jf.limits_rad[..., 0], jf.limits_rad[..., 1]
    return np.maximum(np.maximum(lo - angles, angles - hi), 0.0)


def check_joint_limits(full_pose: np.ndarray, rest_joints: np.ndarray, threshold_deg: float) -> CheckResult:
    """Joint-limit check.

    Args:
        full_pose: (T, 55, 3) axis-angle, hands flat-relative.
        rest_joints: (55, 3) shaped rest joints, model frame (for the bone axes).
        threshold_deg: degrees beyond a range that flag a frame.
    Returns:
        :class:`CheckResult`: score = worst violation over joints (degrees); breakdown per joint (degrees);
        ``details['worst']`` per flagged frame: joint, component, angle and range.
    """
    jf = joint_frames(rest_joints)
    ang = joint_angles(full_pose, jf)
    viol_deg = np.degrees(violations(ang, jf))  # (T, K, 3)
    per_joint = viol_deg.max(axis=2)
    scores = per_joint.max(axis=1)
    flags = flagged(scores, threshold_deg)
    worst = {}
    for f in np.flatnonzero(flags):
        k = int(np.argmax(per_joint[f]))
        c = int(np.argmax(viol_deg[f, k]))
        lo, hi = np.degrees(jf.limits_rad[k, c])
        worst[int(f)] = {"joint": jf.names[k], "component": COMPONENTS[c],
                         "angle_deg": round(float(np.degrees(ang[f, k, c])), 2),
                         "range_deg": [round(float(lo), 1), round(float(hi), 1)]}
    breakdown = {jf.names[k]: per_joint[:, k] for k in range(len(jf.names)) if np.any(per_joint[:, k] > 0)}
    return CheckResult(name="joint_limits", status="ok", unit="deg", threshold=float(threshold_deg), scores=scores,
                       flags=flags, breakdown=breakdown, details={"worst": worst, "joints_checked": len(jf.names)},
                       note="swing-twist about each bone axis against the documented ROM table")


__all__ = ["JointFrames", "COMPONENTS", "joint_frames", "to_left_convention", "joint_angles",
           "angles_to_axis_angle", "violations", "check_joint_limits"]
