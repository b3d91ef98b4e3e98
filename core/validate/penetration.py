"""Self-penetration between body segments, from the posed mesh, with a segment-pair test (no triangle pairs).

Each *volume* part (torso slabs, head, thighs, shanks) is approximated, in its bone's rest frame, by a stack of
elliptic slabs fitted to that part's rest vertices: along the bone axis ``u`` the part is cut into slabs, and each
slab's cross-section (``v`` lateral, ``w`` = axis x lateral) is the ellipse through its vertices' extents. Because
a bone moves its part rigidly, testing a posed point against a volume needs only the inverse of that bone's
transform: ``local = G_j^T (x - p_j)``. A *query* part's posed vertices (hands, forearms, legs) are tested against
the volumes they could pass through; a vertex at normalised elliptic radius ``rho < 1`` is inside, at an
approximate depth of ``(1 - rho) * min(r_v, r_w)`` metres.

Vertices that already lie inside a volume in the model's rest pose (contact regions of the model's own shape,
such as the inner thighs) are excluded from that pair. Everything is numpy and vectorised over frames and
vertices, so the same test runs inside Blender.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..body.model import BodyModel
from ..body.skeleton import JOINT_INDEX
from .result import CheckResult, flagged


def _ids(*names: str) -> tuple[int, ...]:
    return tuple(JOINT_INDEX[n] for n in names)


def _hand(side: str) -> tuple[int, ...]:
    fingers = [f"{side}_{d}{k}" for d in ("index", "middle", "pinky", "ring", "thumb") for k in (1, 2, 3)]
    return _ids(f"{side}_wrist", *fingers)


#: Volume parts: name -> (bone joint, child joint or None for "up", joints whose vertices form it, slabs).
VOLUMES: dict[str, tuple[str, Optional[str], tuple[int, ...], int]] = {
    "pelvis": ("pelvis", "spine1", _ids("pelvis"), 3),
    "spine1": ("spine1", "spine2", _ids("spine1"), 2),
    "spine2": ("spine2", "spine3", _ids("spine2"), 2),
    "spine3": ("spine3", "neck", _ids("spine3"), 3),
    "head": ("head", None, _ids("head", "jaw", "left_eye_smplhf", "right_eye_smplhf"), 4),
    "left_thigh": ("left_hip", "left_knee", _ids("left_hip"), 4),
    "right_thigh": ("right_hip", "right_knee", _ids("right_hip"), 4),
    "left_shank": ("left_knee", "left_ankle", _ids("left_knee"), 4),
    "right_shank": ("right_knee", "right_ankle", _ids("right_knee"), 4),
}

#: Query parts: name -> joints whose vertices form it.
QUERIES: dict[str, tuple[int, ...]] = {
    "left_hand": _hand("left"), "right_hand": _hand("right"),
    "left_forearm": _ids("left_elbow"), "right_forearm": _ids("right_elbow"),
    "left_thigh": _ids("left_hip"), "right_thigh": _ids("right_hip"),
    "left_shank": _ids("left_knee"), "right_shank": _ids("right_knee"),
    "left_foot": _ids("left_ankle", "left_foot"), "right_foot": _ids("right_ankle", "right_foot"),
}

_TORSO = ("pelvis", "spine1", "spine2", "spine3")

#: (query part, volume part) pairs tested: hands and forearms through the torso and head (hands also through the
#: thighs), and each leg through the other.
PAIRS: tuple[tuple[str, str], ...] = (
    *[(h, v) for h in ("left_hand", "right_hand") for v in (*_TORSO, "head", "left_thigh", "right_thigh")],
    *[(f, v) for f in ("left_forearm", "right_forearm") for v in (*_TORSO, "head")],
    *[(f"left_{q}", f"right_{v}") for q in ("thigh", "shank", "foot") for v in ("thigh", "shank")],
    *[(f"right_{q}", f"left_{v}") for q in ("thigh", "shank", "foot") for v in ("thigh", "shank")],
)


@dataclass(frozen=True)
class SlabVolume:
    """One part's volume in its bone's rest frame.

    Attributes:
        joint: the bone (SMPL-X joint index) that carries it.
        basis: (3, 3) rows (bone axis, lateral, third), model frame.
        u_edges: (S + 1,) slab boundaries along the bone axis, metres from the joint.
        centre: (S, 2) ellipse centres (v, w), metres.
        radii: (S, 2) ellipse semi-axes (v, w), metres.
    """

    joint: int
    basis: np.ndarray
    u_edges: np.ndarray
    centre: np.ndarray
    radii: np.ndarray


@dataclass(frozen=True)
class BodyParts:
    """The fitted volumes and the query vertices of one shaped body.

    Attributes:
        volumes: name -> :class:`SlabVolume`.
        query_ids: (N,) vertex ids of every query part, concatenated.
        query_slices: query part -> slice into ``query_ids``.
        excluded: (query, volume) -> (n,) bool, vertices inside that volume in the rest pose.
    """

    volumes: dict[str, SlabVolume]
    query_ids: np.ndarray
    query_slices: dict[str, slice]
    excluded: dict[tuple[str, str], np.ndarray]


def _fit_volume(points: np.ndarray, joint: int, axis: np.ndarray, slabs: int) -> SlabVolume:
    a = axis / np.linalg.norm(axis)
    lateral = np.array([1.0, 0.0, 0.0]) - a[0] * a
    if np.linalg.norm(lateral) < 1e-6:
        lateral = np.array([0.0, 0.0, 1.0]) - a[2] * a
    lateral /= np.linalg.norm(lateral)
    basis = np.stack([a, lateral, np.cross(a, lateral)])
    local = points @ basis.T  # points relative to the joint
    lo, hi = np.percentile(local[:, 0], [1.0, 99.0])
    edges = np.linspace(lo, hi, slabs + 1)
    centre = np.zeros((slabs, 2))
    radii = np.zeros((slabs, 2))
    which = np.clip(np.searchsorted(edges, local[:, 0], side="right") - 1, 0, slabs - 1)
    for s in range(slabs):  # a handful of slabs per part
        sel = local[which == s, 1:]
        if sel.shape[0] < 4:
            sel = local[:, 1:]
        p_lo, p_hi = np.percentile(sel, [2.0, 98.0], axis=0)
        centre[s] = 0.5 * (p_lo + p_hi)
        radii[s] = np.maximum(0.5 * (p_hi - p_lo), 1e-3)
    return SlabVolume(joint=joint, basis=basis, u_edges=edges, centre=centre, radii=radii)


def slab_depth(volume: SlabVolume, local: np.ndarray) -> np.ndarray:
    """Approximate depth inside ``volume`` of points given relative to its joint in its rest frame.

    Args:
        local: (..., 3) rest-frame offsets from the volume's joint, metres.
    Returns:
        (...) depth in metres, 0 outside.
    """
    return slab_depth_coords(volume, local @ volume.basis.T)


def slab_depth_coords(volume: SlabVolume, coords: np.ndarray) -> np.ndarray:
    """:func:`slab_depth` of points already in the volume's (u, v, w) coordinates."""
    slabs = volume.centre.shape[0]
    s = np.searchsorted(volume.u_edges, coords[..., 0], side="right") - 1
    inside_u = (s >= 0) & (s < slabs)
    s = np.clip(s, 0, slabs - 1)
    dv = (coords[..., 1] - volume.centre[s, 0]) / volume.radii[s, 0]
    dw = (coords[..., 2] - volume.centre[s, 1]) / volume.radii[s, 1]
    rho = np.sqrt(dv * dv + dw * dw)
    depth = (1.0 - rho) * volume.radii.min(axis=1)[s]
    return np.where(inside_u & (rho < 1.0), depth, 0.0)


def fit_body_parts(model: BodyModel, betas: np.ndarray) -> BodyParts:
    """Fit the volumes to the shaped rest mesh of ``betas`` and mark the rest-pose contact vertices."""
    rest = model.shaped_vertices(betas)
    joints = model.joint_regressor @ rest
    dominant = np.argmax(model.skinning_weights, axis=1)
    volumes = {}
    for name, (bone, child, members, slabs) in VOLUMES.items():
        j = JOINT_INDEX[bone]
        axis = joints[JOINT_INDEX[child]] - joints[j] if child else np.array([0.0, 1.0, 0.0])
        pts = rest[np.isin(dominant, members)] - joints[j]
        volumes[name] = _fit_volume(pts, j, axis, slabs)
    ids, slices, start = [], {}, 0
    for name, members in QUERIES.items():
        sel = np.flatnonzero(np.isin(dominant, members))
        ids.append(sel)
        slices[name] = slice(start, start + sel.size)
        start += sel.size
    query_ids = np.concatenate(ids)
    excluded = {}
    for q, v in PAIRS:
        vol = volumes[v]
        pts = rest[query_ids[slices[q]]] - joints[vol.joint]
        excluded[(q, v)] = slab_depth(vol, pts) > 0.0
    return BodyParts(volumes=volumes, query_ids=query_ids, query_slices=slices, excluded=excluded)


@dataclass
class PenetrationDepths:
    """Depths of T frames.

    Attributes:
        pair_depth: "query>volume" -> (T,) deepest vertex, metres.
        pair_count: "query>volume" -> (T,) number of vertices inside.
        vertex_depth: (N,) deepest depth of each query vertex over the frames seen (``BodyParts.query_ids``).
    """

    pair_depth: dict[str, np.ndarray]
    pair_count: dict[str, np.ndarray]
    vertex_depth: np.ndarray


def penetration_depths(parts: BodyParts, query_vertices: np.ndarray, global_rot: np.ndarray,
                       joints: np.ndarray) -> PenetrationDepths:
    """Depth of every tested pair in every frame.

    Args:
        parts: :func:`fit_body_parts`.
        query_vertices: (T, N, 3) posed vertices ``parts.query_ids`` (any frame of reference shared with the joints).
        global_rot: (T, 55, 3, 3) joint rotations in that frame.
        joints: (T, 55, 3) posed joints in that frame.
    """
    x = np.asarray(query_vertices, dtype=np.float64)
    depth_out, count_out = {}, {}
    vertex_depth = np.zeros(x.shape[1])
    for q, v in PAIRS:
        vol = parts.volumes[v]
        sl = parts.query_slices[q]
        rel = x[:, sl] - joints[:, vol.joint, None]
        to_coords = global_rot[:, vol.joint] @ vol.basis.T  # (T, 3, 3): row vectors, (G^T (x - p)) . basis
        depth = slab_depth_coords(vol, rel @ to_coords)
        depth[:, parts.excluded[(q, v)]] = 0.0
        key = f"{q}>{v}"
        depth_out[key] = depth.max(axis=1) if depth.shape[1] else np.zeros(x.shape[0])
        count_out[key] = np.count_nonzero(depth > 0.0, axis=1)
        if depth.shape[0]:
            vertex_depth[sl] = np.maximum(vertex_depth[sl], depth.max(axis=0))
    return PenetrationDepths(pair_depth=depth_out, pair_count=count_out, vertex_depth=vertex_depth)


def merge_depths(chunks: list[PenetrationDepths]) -> PenetrationDepths:
    """Concatenate frame chunks (in order)."""
    keys = list(chunks[0].pair_depth)
    return PenetrationDepths(
        pair_depth={k: np.concatenate([c.pair_depth[k] for c in chunks]) for k in keys},
        pair_count={k: np.concatenate([c.pair_count[k] for c in chunks]) for k in keys},
        vertex_depth=np.max(np.stack([c.vertex_depth for c in chunks]), axis=0))


def check_penetration(parts: BodyParts, depths: PenetrationDepths, num_vertices: int, threshold_m: float,
                      mesh_note: str) -> CheckResult:
    """Score = the deepest pair per frame (metres); breakdown per pair; ``details['worst']`` names the parts.

    ``details['_vertex_depth']`` is a (V,) array (metres, 0 for vertices not tested) for the mesh colours.
    """
    keys = list(depths.pair_depth)
    stack = np.stack([depths.pair_depth[k] for k in keys], axis=1)
    scores = stack.max(axis=1)
    flags = flagged(scores, threshold_m)
    worst = {}
    for f in np.flatnonzero(flags):
        order = np.argsort(-stack[f])
        involved = [keys[i] for i in order if stack[f, i] > threshold_m][:3]
        worst[int(f)] = {"parts": involved, "depth_m": round(float(stack[f, order[0]]), 4),
                         "vertices_inside": int(depths.pair_count[keys[order[0]]][f])}
    per_vertex = np.zeros(num_vertices)
    np.maximum.at(per_vertex, parts.query_ids, depths.vertex_depth)
    breakdown = {k: depths.pair_depth[k] for k in keys if np.any(depths.pair_depth[k] > 0)}
    return CheckResult(name="penetration", status="ok", unit="m", threshold=float(threshold_m), scores=scores,
                       flags=flags, breakdown=breakdown,
                       details={"worst": worst, "pairs_tested": len(keys), "mesh": mesh_note,
                                "_vertex_depth": per_vertex},
                       note="posed query vertices against elliptic-slab volumes of the other segments")


__all__ = ["VOLUMES", "QUERIES", "PAIRS", "SlabVolume", "BodyParts", "PenetrationDepths", "slab_depth",
           "slab_depth_coords",
           "fit_body_parts", "penetration_depths", "merge_depths", "check_penetration"]
