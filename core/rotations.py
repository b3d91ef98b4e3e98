"""Vectorised rotation conversions in plain numpy, shape-preserving over leading axes.

Plain numpy on purpose: this module runs inside Blender, whose Python ships numpy but not scipy.
Every function is checked against ``scipy.spatial.transform.Rotation`` in ``tests/test_rotations.py``.
"""
from __future__ import annotations

import numpy as np


def axis_angle_to_matrix(axis_angle: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) rotation matrices (through the unit quaternion; exact near zero)."""
    return quaternion_wxyz_to_matrix(axis_angle_to_quaternion_wxyz(axis_angle))


def matrix_to_quaternion_wxyz(matrix: np.ndarray, continuous: bool = False) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 4) unit quaternions (w, x, y, z), Blender's order, w >= 0.

    Shepperd's method (the best-conditioned of the four candidate rows of the symmetric 4 x 4 matrix), written
    without stacking candidates so it costs a few element-wise passes. With ``continuous=True`` the signs are
    instead chosen along the first axis (frames) so that each quaternion agrees with the previous frame's, and
    per-component interpolation never takes the long way round.
    """
    m = np.asarray(matrix, dtype=np.float64)
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    d0 = 1.0 + m00 + m11 + m22
    d1 = 1.0 + m00 - m11 - m22
    d2 = 1.0 - m00 + m11 - m22
    d3 = 1.0 - m00 - m11 + m22
    a, b, c = m21 - m12, m02 - m20, m10 - m01
    e, f, g = m01 + m10, m02 + m20, m12 + m21
    best = np.argmax(np.stack([d0, d1, d2, d3]), axis=0)
    q = np.empty(m.shape[:-2] + (4,))
    q[..., 0] = np.choose(best, (d0, a, b, c))
    q[..., 1] = np.choose(best, (a, d1, e, f))
    q[..., 2] = np.choose(best, (b, e, d2, g))
    q[..., 3] = np.choose(best, (c, f, g, d3))
    q /= np.sqrt(np.einsum("...i,...i->...", q, q))[..., None]
    q = np.where(q[..., :1] < 0.0, -q, q)
    if continuous and q.ndim >= 2 and q.shape[0] > 1:
        q = make_quaternions_continuous(q)
    return q


def quaternion_wxyz_to_matrix(quat: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (w, x, y, z), normalised here -> (..., 3, 3) rotation matrices."""
    q = np.asarray(quat, dtype=np.float64)
    q = q / np.sqrt(np.einsum("...i,...i->...", q, q))[..., None]
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    out = np.empty(q.shape[:-1] + (3, 3))
    xx, yy, zz, xy, xz, yz, wx, wy, wz = x * x, y * y, z * z, x * y, x * z, y * z, w * x, w * y, w * z
    out[..., 0, 0] = 1.0 - 2.0 * (yy + zz)
    out[..., 0, 1] = 2.0 * (xy - wz)
    out[..., 0, 2] = 2.0 * (xz + wy)
    out[..., 1, 0] = 2.0 * (xy + wz)
    out[..., 1, 1] = 1.0 - 2.0 * (xx + zz)
    out[..., 1, 2] = 2.0 * (yz - wx)
    out[..., 2, 0] = 2.0 * (xz - wy)
    out[..., 2, 1] = 2.0 * (yz + wx)
    out[..., 2, 2] = 1.0 - 2.0 * (xx + yy)
    return out


def axis_angle_to_quaternion_wxyz(axis_angle: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 4) unit quaternions (w, x, y, z)."""
    aa = np.asarray(axis_angle, dtype=np.float64)
    theta = np.linalg.norm(aa, axis=-1, keepdims=True)
    small = theta < 1e-8
    half = 0.5 * theta
    # sin(theta/2)/theta with its series near zero
    scale = np.where(small, 0.5 - theta ** 2 / 48.0, np.sin(half) / np.where(small, 1.0, theta))
    return np.concatenate([np.cos(half), aa * scale], axis=-1)


def quaternion_multiply(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Hamilton product of (..., 4) quaternions (w, x, y, z), broadcasting; rotation q1 after q2."""
    w1, x1, y1, z1 = np.moveaxis(np.asarray(q1, dtype=np.float64), -1, 0)
    w2, x2, y2, z2 = np.moveaxis(np.asarray(q2, dtype=np.float64), -1, 0)
    return np.stack([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                     w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2], axis=-1)


def quaternion_to_axis_angle(quat: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (w, x, y, z), normalised here -> (..., 3) axis-angle with angle in [0, pi]."""
    q = np.asarray(quat, dtype=np.float64)
    q = q / np.sqrt(np.einsum("...i,...i->...", q, q))[..., None]
    q = np.where(q[..., :1] < 0.0, -q, q)
    vec = q[..., 1:]
    sin_half = np.sqrt(np.einsum("...i,...i->...", vec, vec))[..., None]
    w = q[..., :1]
    small = sin_half < 1e-7
    angle = 2.0 * np.arctan2(sin_half, w)
    scale = np.where(small, 2.0 / np.maximum(w, 1e-12), angle / np.where(small, 1.0, sin_half))
    return vec * scale


def matrix_to_axis_angle(matrix: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 3) axis-angle with angle in [0, pi]."""
    return quaternion_to_axis_angle(matrix_to_quaternion_wxyz(matrix))


def make_quaternions_continuous(quat: np.ndarray) -> np.ndarray:
    """(T, ..., 4) quaternions -> same, each sign chosen to agree with the previous frame."""
    q = np.array(quat, dtype=np.float64, copy=True)
    dots = np.einsum("t...k,t...k->t...", q[1:], q[:-1])
    flips = np.cumprod(np.where(dots < 0.0, -1.0, 1.0), axis=0)
    q[1:] *= flips[..., None]
    return q


def mirror_axis_angle_x(axis_angle: np.ndarray) -> np.ndarray:
    """Mirror rotations through the x = 0 plane: (x, y, z) -> (x, -y, -z), i.e. M R M with M = diag(-1, 1, 1)."""
    aa = np.array(axis_angle, dtype=np.float64, copy=True)
    aa[..., 1:] *= -1.0
    return aa


def rodrigues_matrix(axis_angle: np.ndarray) -> np.ndarray:
    """One axis-angle vector (3,) -> its (3, 3) rotation matrix by Rodrigues' formula,
    ``I + sin(t) K + (1 - cos(t)) K^2`` (K the cross-product matrix of the unit axis; the identity below 1e-15 rad).

    The same rotation as :func:`axis_angle_to_matrix`, rounded differently (a few 1e-16): the built-in anny model's
    repose (:mod:`core.anny_model.repose`) uses this closed form, and its published arrays are pinned to those bits.
    """
    theta = float(np.linalg.norm(axis_angle))
    if theta < 1e-15:
        return np.eye(3)
    k = axis_angle / theta
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(theta) * K + (1.0 - np.cos(theta)) * (K @ K)


def rodrigues_axis_angle(matrix: np.ndarray) -> np.ndarray:
    """One rotation matrix (3, 3) -> its axis-angle vector (3,), angle in [0, pi), the inverse of
    :func:`rodrigues_matrix` through the trace (zero below 1e-12 rad; not for angles near pi, where
    :func:`matrix_to_axis_angle` is the stable choice). Kept for the anny model's pinned bits, as above."""
    c = np.clip((np.trace(matrix) - 1.0) / 2.0, -1.0, 1.0)
    theta = np.arccos(c)
    if theta < 1e-12:
        return np.zeros(3)
    v = np.array([matrix[2, 1] - matrix[1, 2], matrix[0, 2] - matrix[2, 0], matrix[1, 0] - matrix[0, 1]])
    return v / (2.0 * np.sin(theta)) * theta

