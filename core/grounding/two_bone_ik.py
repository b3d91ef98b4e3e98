"""Analytic two-bone leg IK (hip, knee, ankle), batched over frames, plain numpy.

For each frame, with the thigh vector ``d1`` (hip to knee), the shin vector ``d2`` (knee to ankle) and the knee's
hinge axis ``a`` (the x axis of the thigh's frame: SMPL-X knee flexion is a positive rotation about it, which
moves the knee forward of the hip-ankle line):

1. knee: turn the shin about ``a`` by the angle ``delta`` that makes ``|d1 + Rot(a, delta) d2|`` equal the
   hip-to-target distance. With Rodrigues' formula ``d1 . Rot(a, delta) d2 = P + Q cos(delta) + S sin(delta)``,
   so ``delta = phi +- acos((D - P) / R)`` in closed form (``R = hypot(Q, S)``, ``phi = atan2(S, Q)``,
   ``D = (c^2 - |d1|^2 - |d2|^2) / 2``). Of the two roots the one that keeps the knee flexed (anatomical, knee
   forward) and moves least is taken;
2. hip: the shortest-arc rotation that takes the new hip-to-ankle vector onto the hip-to-target vector, applied
   to the thigh (so the leg's swivel changes as little as possible);
3. ankle: its local rotation is set so the foot keeps the requested camera-frame orientation.

The ankle lands exactly on the target whenever the target is within reach (``reached``); otherwise the leg
points at it, as straight as the hinge allows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rotations import axis_angle_to_matrix


@dataclass
class LegIKResult:
    """New local rotations of one leg, (T, 3, 3) each, and whether each frame's target was reached.

    Attributes:
        hip_local, knee_local, ankle_local: (T, 3, 3) local rotations (relative to the parent joint).
        reached: (T,) bool, the target within the knee's range.
        knee_flexion: (T,) radians, the signed angle between thigh and shin about the hinge (positive: anatomical).
    """

    hip_local: np.ndarray
    knee_local: np.ndarray
    ankle_local: np.ndarray
    reached: np.ndarray
    knee_flexion: np.ndarray


def rotation_about_axis(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(T, 3) unit axes and (T,) angles -> (T, 3, 3) rotation matrices."""
    return axis_angle_to_matrix(np.asarray(axis, dtype=np.float64) * np.asarray(angle, dtype=np.float64)[:, None])


def shortest_arc(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(T, 3), (T, 3) vectors -> (T, 3, 3) the smallest rotation taking the direction of ``source`` to ``target``."""
    a = source / np.linalg.norm(source, axis=-1, keepdims=True)
    b = target / np.linalg.norm(target, axis=-1, keepdims=True)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.einsum("tc,tc->t", a, b)
    angle = np.arctan2(sin, cos)
    unit = axis / np.where(sin > 1e-12, sin, 1.0)[:, None]
    # antiparallel vectors: any axis perpendicular to a
    anti = (sin <= 1e-12) & (cos < 0)
    if anti.any():
        helper = np.where(np.abs(a[anti, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
        perp = np.cross(a[anti], helper)
        unit[anti] = perp / np.linalg.norm(perp, axis=-1, keepdims=True)
    return rotation_about_axis(unit, angle)


def signed_flexion(thigh: np.ndarray, shin: np.ndarray, hinge_axis: np.ndarray) -> np.ndarray:
    """(T,) signed angle from the thigh direction to the shin direction about the hinge axis (radians)."""
    cross = np.cross(thigh, shin)
    return np.arctan2(np.einsum("tc,tc->t", cross, hinge_axis), np.einsum("tc,tc->t", thigh, shin))


def leg_ik(pelvis_global: np.ndarray, hip_local: np.ndarray, knee_local: np.ndarray, hip_pos: np.ndarray,
           thigh_rest: np.ndarray, shin_rest: np.ndarray, target_ankle: np.ndarray,
           target_ankle_global: np.ndarray, min_flexion: float = -0.05) -> LegIKResult:
    """Two-bone IK of one leg for every frame.

    Args:
        pelvis_global: (T, 3, 3) the hip joint's parent (pelvis) rotation, camera frame.
        hip_local, knee_local: (T, 3, 3) current local rotations of the hip and knee.
        hip_pos: (T, 3) the hip joint's position, camera frame (after any root correction).
        thigh_rest, shin_rest: (T, 3) or (3,) rest offsets knee - hip and ankle - knee (model frame).
        target_ankle: (T, 3) where the ankle joint must go, camera frame.
        target_ankle_global: (T, 3, 3) the foot's (ankle joint's) camera-frame rotation to keep.
        min_flexion: radians; a root that leaves the knee flexed less than this (hyperextended) is avoided.
    Returns:
        :class:`LegIKResult`.
    """
    t = hip_pos.shape[0]
    thigh_rest = np.broadcast_to(thigh_rest, (t, 3))
    shin_rest = np.broadcast_to(shin_rest, (t, 3))
    hip_global = pelvis_global @ hip_local
    knee_global = hip_global @ knee_local
    d1 = np.einsum("tab,tb->ta", hip_global, thigh_rest)
    d2 = np.einsum("tab,tb->ta", knee_global, shin_rest)
    axis = hip_global[:, :, 0]  # the thigh frame's x axis: the knee's flexion hinge
    goal = target_ankle - hip_pos
    c2 = np.einsum("tc,tc->t", goal, goal)

    p_par = np.einsum("tc,tc->t", d1, axis) * np.einsum("tc,tc->t", d2, axis)
    q = np.einsum("tc,tc->t", d1, d2) - p_par
    s = np.einsum("tc,tc->t", d1, np.cross(axis, d2))
    r = np.hypot(q, s)
    phi = np.arctan2(s, q)
    want = 0.5 * (c2 - np.einsum("tc,tc->t", d1, d1) - np.einsum("tc,tc->t", d2, d2)) - p_par
    ratio = want / np.where(r > 1e-12, r, 1.0)
    reached = np.abs(ratio) <= 1.0 + 1e-12
    spread = np.arccos(np.clip(ratio, -1.0, 1.0))
    candidates = np.stack([phi + spread, phi - spread], axis=1)  # (T, 2)
    candidates = (candidates + np.pi) % (2.0 * np.pi) - np.pi
    flex = np.stack([signed_flexion(d1, np.einsum("tab,tb->ta", rotation_about_axis(axis, candidates[:, k]), d2),
                                    axis) for k in range(2)], axis=1)
    anatomical = flex >= min_flexion
    cost = np.abs(candidates) + np.where(anatomical, 0.0, 10.0) - np.where(anatomical, 0.0, flex)
    pick = np.argmin(cost, axis=1)
    delta = np.take_along_axis(candidates, pick[:, None], axis=1)[:, 0]
    flexion = np.take_along_axis(flex, pick[:, None], axis=1)[:, 0]

    # the knee turns about the thigh's own x axis: in the thigh frame that is a pre-multiplied Rx(delta)
    x_axis = np.broadcast_to(np.array([1.0, 0.0, 0.0]), (t, 3))
    new_knee_local = rotation_about_axis(x_axis, delta) @ knee_local
    new_d2 = np.einsum("tab,tb->ta", hip_global @ new_knee_local, shin_rest)
    swing = shortest_arc(d1 + new_d2, goal)
    new_hip_global = swing @ hip_global
    new_hip_local = np.swapaxes(pelvis_global, -1, -2) @ new_hip_global
    new_knee_global = new_hip_global @ new_knee_local
    new_ankle_local = np.swapaxes(new_knee_global, -1, -2) @ target_ankle_global
    return LegIKResult(hip_local=new_hip_local, knee_local=new_knee_local, ankle_local=new_ankle_local,
                       reached=reached, knee_flexion=flexion)


__all__ = ["LegIKResult", "rotation_about_axis", "shortest_arc", "signed_flexion", "leg_ik"]
