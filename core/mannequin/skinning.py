"""Linear-blend-skinning weights of the mannequin.

Limbs, fingers and the spine blend smoothly between two consecutive joints of a chain around
each joint (a smoothstep across a zone of a few centimetres); the ball joints, eyeballs and
ears are rigid; the torso adds the collars (top of the shoulders) and the hips (buttocks);
the head gives the lower face to the jaw.
"""
from __future__ import annotations

import numpy as np

from ..body.skeleton import JOINT_INDEX, NUM_JOINTS
from .layout import Layout
from .primitives import smoothstep
from .surface import Body, Part, SkinSpec


def polyline_arclength(points: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arc-length coordinate of the closest point on a polyline.

    ``points`` (n, 3), ``nodes`` (k+1, 3).  Returns ``s`` (n,) the arc length of each point's
    projection and ``node_s`` (k+1,) the arc length of each node.
    """
    seg = np.diff(nodes, axis=0)                        # (k, 3)
    seg_len = np.linalg.norm(seg, axis=1)               # (k,)
    node_s = np.concatenate([[0.0], np.cumsum(seg_len)])
    rel = points[:, None, :] - nodes[None, :-1, :]      # (n, k, 3)
    t = np.clip(np.einsum("nkc,kc->nk", rel, seg) / (seg_len ** 2)[None, :], 0.0, 1.0)
    closest = nodes[None, :-1, :] + t[..., None] * seg[None, :, :]
    dist = np.linalg.norm(points[:, None, :] - closest, axis=2)
    best = np.argmin(dist, axis=1)
    rows = np.arange(points.shape[0])
    return node_s[best] + t[rows, best] * seg_len[best], node_s


def chain_weights(points: np.ndarray, spec: SkinSpec) -> np.ndarray:
    """(n, 55) weights of ``points`` (n, 3) along a chain :class:`SkinSpec`.

    Segment i (nodes[i] -> nodes[i+1]) belongs to ``joints[i]``; around each internal node k the
    weight passes from joint k-1 to joint k over ``blend[k-1]`` metres on either side.
    """
    s, node_s = polyline_arclength(points, spec.nodes)
    k = len(spec.joints)
    alpha = np.ones((points.shape[0], k + 1))
    alpha[:, k] = 0.0
    for node in range(1, k):
        b = spec.blend[node - 1]
        alpha[:, node] = smoothstep(s, node_s[node] - b, node_s[node] + b)
    seg_w = alpha[:, :k] * (1.0 - alpha[:, 1:])
    seg_w /= seg_w.sum(axis=1, keepdims=True)
    out = np.zeros((points.shape[0], NUM_JOINTS))
    for i, j in enumerate(spec.joints):
        out[:, j] += seg_w[:, i]
    return out


def _one_hot(n: int, joint: np.ndarray) -> np.ndarray:
    out = np.zeros((n, NUM_JOINTS))
    out[np.arange(n), joint] = 1.0
    return out


def torso_weights(points: np.ndarray, spec: SkinSpec, layout: Layout) -> np.ndarray:
    """(n, 55): the spine chain, with the top of the shoulders on the collars and the buttocks
    and groin partly on the hips."""
    w = chain_weights(points, spec)
    n = points.shape[0]
    s = layout.scale
    x, y = points[:, 0], points[:, 1]
    left = x >= 0.0
    collar = np.where(left, JOINT_INDEX["left_collar"], JOINT_INDEX["right_collar"])
    collar_y = layout.joint("left_collar")[1]
    spine3_y = layout.joint("spine3")[1]
    m_collar = smoothstep(np.abs(x), 0.05 * s, 0.14 * s) * smoothstep(y, spine3_y + 0.04 * s, collar_y - 0.03 * s)
    w = (1.0 - m_collar)[:, None] * w + m_collar[:, None] * _one_hot(n, collar)
    hip = np.where(left, JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"])
    hip_y = layout.joint("left_hip")[1]
    m_hip = 0.7 * smoothstep(np.abs(x), 0.03 * s, 0.12 * s) * smoothstep(y, hip_y + 0.03 * s, hip_y - 0.05 * s)
    return (1.0 - m_hip)[:, None] * w + m_hip[:, None] * _one_hot(n, hip)


def jaw_mask(points: np.ndarray, layout: Layout) -> np.ndarray:
    """(n,) in [0, 1]: how much each head point follows the jaw (lower lip, chin, under the chin)."""
    p = layout.to_head_local(points)
    return smoothstep(p[:, 1], 0.026, 0.016) * smoothstep(p[:, 2], -0.035, 0.0)


def head_weights(points: np.ndarray, layout: Layout) -> np.ndarray:
    """(n, 55): the head joint, with the lower face on the jaw."""
    m = jaw_mask(points, layout)
    out = np.zeros((points.shape[0], NUM_JOINTS))
    out[:, JOINT_INDEX["head"]] = 1.0 - m
    out[:, JOINT_INDEX["jaw"]] = m
    return out


def part_weights(part: Part, layout: Layout) -> np.ndarray:
    """(n, 55) skinning weights of one part's vertices."""
    spec = part.skin
    n = part.vertices.shape[0]
    if spec.kind == "rigid":
        return _one_hot(n, np.full(n, spec.joints[0]))
    if spec.kind == "chain":
        return chain_weights(part.vertices, spec)
    if spec.kind == "torso":
        return torso_weights(part.vertices, spec, layout)
    if spec.kind == "head":
        return head_weights(part.vertices, layout)
    raise ValueError(f"unknown skinning kind {spec.kind!r}")


def skinning_weights(body: Body) -> np.ndarray:
    """(V, 55) float64 skinning weights, non-negative, rows summing to 1."""
    w = np.concatenate([part_weights(p, body.layout) for p in body.parts], axis=0)
    w[w < 1e-6] = 0.0
    return w / w.sum(axis=1, keepdims=True)
