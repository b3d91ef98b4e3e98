"""Swing-twist decomposition of joint rotations about a bone axis, and its inverse. Plain numpy, batched.

A unit quaternion ``q`` (w, x, y, z) is split as ``q = swing * twist``: ``twist`` turns about the bone axis ``a``
(applied first), ``swing`` turns about an axis perpendicular to ``a`` (it moves the bone's direction). The twist
angle is ``2 atan2(v . a, w)`` with ``v = (x, y, z)`` and ``w >= 0``; the swing is ``q * conj(twist)``.

The swing is reported as a rotation vector ``s`` (angle x unit axis, perpendicular to ``a``) and split into two
components on an anatomical frame (``flex_axis``, ``abd_axis``) perpendicular to the bone. The inverse,
:func:`compose`, rebuilds the quaternion from the three angles exactly, which is what the joint-limit fix needs.
"""
from __future__ import annotations

import numpy as np

from ..fusion.temporal import (
    axis_angle_to_quaternion,
    quaternion_conjugate,
    quaternion_multiply,
    quaternion_to_axis_angle,
)


def orthonormal_frame(bone_axis: np.ndarray, flex_hint: np.ndarray, abd_hint: np.ndarray) -> np.ndarray:
    """(..., 3) bone axis and two hint directions -> (..., 3, 3) rows (a, f, e), an orthonormal frame.

    ``f`` is ``flex_hint`` made perpendicular to ``a``; ``e`` is ``a x f`` with its sign chosen to agree with
    ``abd_hint``, so the positive direction of each component stays the one the table names.
    """
    a = np.asarray(bone_axis, dtype=np.float64)
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    f = np.asarray(flex_hint, dtype=np.float64)
    f = f - np.sum(f * a, axis=-1, keepdims=True) * a
    f = f / np.linalg.norm(f, axis=-1, keepdims=True)
    e = np.cross(a, f)
    sign = np.where(np.sum(e * np.asarray(abd_hint, dtype=np.float64), axis=-1, keepdims=True) < 0.0, -1.0, 1.0)
    return np.stack([a, f, e * sign], axis=-2)


def decompose(quat: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Swing-twist angles of rotations on an anatomical frame.

    Args:
        quat: (..., K, 4) unit quaternions (w, x, y, z), local joint rotations.
        frame: (K, 3, 3) rows (bone axis a, flexion axis f, abduction axis e), orthonormal.
    Returns:
        (..., K, 3) radians: (flexion, abduction, twist). Flexion and abduction are the swing rotation vector's
        components on ``f`` and ``e``; twist is the signed angle about ``a`` in (-pi, pi].
    """
    q = np.asarray(quat, dtype=np.float64)
    q = np.where(q[..., :1] < 0.0, -q, q)
    a = frame[:, 0]
    proj = np.einsum("...kc,kc->...k", q[..., 1:], a)
    twist_angle = 2.0 * np.arctan2(proj, q[..., 0])
    twist_angle = np.where(twist_angle > np.pi, twist_angle - 2.0 * np.pi, twist_angle)
    twist_q = axis_angle_to_quaternion(a * twist_angle[..., None])
    swing = quaternion_multiply(q, quaternion_conjugate(twist_q))
    swing_vec = quaternion_to_axis_angle(swing)
    flex = np.einsum("...kc,kc->...k", swing_vec, frame[:, 1])
    abd = np.einsum("...kc,kc->...k", swing_vec, frame[:, 2])
    return np.stack([flex, abd, twist_angle], axis=-1)


def compose(angles: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Inverse of :func:`decompose`: (..., K, 3) (flexion, abduction, twist) radians -> (..., K, 4) quaternions."""
    ang = np.asarray(angles, dtype=np.float64)
    swing_vec = ang[..., 0:1] * frame[:, 1] + ang[..., 1:2] * frame[:, 2]
    twist_vec = ang[..., 2:3] * frame[:, 0]
    return quaternion_multiply(axis_angle_to_quaternion(swing_vec), axis_angle_to_quaternion(twist_vec))


__all__ = ["orthonormal_frame", "decompose", "compose"]
