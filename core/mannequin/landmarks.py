"""Face landmarks and the anatomical vertex ids smplx reads its extra joints from.

* Static landmarks: the 51 inner iBUG-68 points (brows, nose, eyes, mouth) found by casting
  rays from in front of the face onto the head surface; each is a face index plus barycentric
  coordinates.
* Dynamic (contour) landmarks: the 17 jaw-line points, cast sideways onto the head; the same
  contour is used for all 79 yaw bins.
* Vertex ids: the vertices at ``SMPLX_EXTRA_VERTEX_IDS`` must be the nose tip, eyes, ears,
  fingertips, toes and heels.  They are picked on the built mesh and moved to those ids by a
  vertex permutation.
"""
from __future__ import annotations

import numpy as np

from ..body.skeleton import SMPLX_EXTRA_VERTEX_IDS
from .layout import DIGITS, LEFT_DIGITS
from .surface import Body

NUM_STATIC_LANDMARKS = 51
NUM_CONTOUR_LANDMARKS = 17
NUM_YAW_BINS = 79


def static_landmark_targets() -> np.ndarray:
    """(51, 2) head-local (x, y) of the iBUG-68 points 17..67 (the image's left is the body's right, -X)."""
    brow_x = np.array([0.050, 0.041, 0.031, 0.020, 0.009])
    brow_y = np.array([0.119, 0.125, 0.127, 0.126, 0.123])
    pts = [(-bx, by) for bx, by in zip(brow_x, brow_y)]                      # 17-21 right brow, outer -> inner
    pts += [(bx, by) for bx, by in zip(brow_x[::-1], brow_y[::-1])]          # 22-26 left brow, inner -> outer
    pts += [(0.0, 0.104), (0.0, 0.090), (0.0, 0.075), (0.0, 0.060)]         # 27-30 bridge -> tip
    pts += [(-0.014, 0.047), (-0.007, 0.045), (0.0, 0.044), (0.007, 0.045), (0.014, 0.047)]  # 31-35 nostrils
    pts += [(-0.045, 0.102), (-0.036, 0.1065), (-0.025, 0.1065),             # 36-41 right eye: outer corner,
            (-0.018, 0.102), (-0.025, 0.098), (-0.036, 0.098)]              # upper lid, inner corner, lower lid
    pts += [(0.018, 0.102), (0.025, 0.1065), (0.036, 0.1065),                # 42-47 left eye: inner corner,
            (0.045, 0.102), (0.036, 0.098), (0.025, 0.098)]                 # upper lid, outer corner, lower lid
    outer = [(-0.024, 0.022), (-0.016, 0.028), (-0.007, 0.031), (0.0, 0.030), (0.007, 0.031), (0.016, 0.028),
             (0.024, 0.022), (0.016, 0.014), (0.007, 0.010), (0.0, 0.009), (-0.007, 0.010), (-0.016, 0.014)]
    inner = [(-0.019, 0.022), (-0.007, 0.0235), (0.0, 0.0235), (0.007, 0.0235),
             (0.019, 0.022), (0.007, 0.0205), (0.0, 0.0205), (-0.007, 0.0205)]
    pts += outer + inner                                                     # 48-59 outer lips, 60-67 inner
    out = np.array(pts, dtype=np.float64)
    assert out.shape == (NUM_STATIC_LANDMARKS, 2)
    return out


def ray_cast(origins: np.ndarray, directions: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First hit of each ray on a set of triangles (Moller-Trumbore).

    ``origins``, ``directions`` (r, 3); ``tris`` (F, 3, 3).  Returns the hit triangle (r,) int64
    (-1 for a miss) and barycentric coordinates (r, 3) of the hit.
    """
    e1 = tris[:, 1] - tris[:, 0]
    e2 = tris[:, 2] - tris[:, 0]
    hit_tri = np.full(origins.shape[0], -1, dtype=np.int64)
    bary = np.zeros((origins.shape[0], 3))
    for r in range(origins.shape[0]):
        d = directions[r]
        pvec = np.cross(d, e2)
        det = np.einsum("ij,ij->i", e1, pvec)
        ok = np.abs(det) > 1e-14
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        tvec = origins[r] - tris[:, 0]
        u = np.einsum("ij,ij->i", tvec, pvec) * inv
        qvec = np.cross(tvec, e1)
        v = (qvec @ d) * inv
        t = np.einsum("ij,ij->i", e2, qvec) * inv
        valid = ok & (u >= -1e-12) & (v >= -1e-12) & (u + v <= 1.0 + 1e-12) & (t > 0.0)
        if not valid.any():
            continue
        cand = np.nonzero(valid)[0]
        best = cand[np.argmin(t[cand])]
        b = np.clip(np.array([1.0 - u[best] - v[best], u[best], v[best]]), 0.0, None)
        hit_tri[r] = best
        bary[r] = b / b.sum()
    return hit_tri, bary


def _head_faces(body: Body) -> tuple[np.ndarray, np.ndarray]:
    fs = body.face_slices()["head"]
    return np.arange(fs.start, fs.stop), body.faces[fs]


def static_landmarks(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """``lmk_faces_idx`` (51,) int64 and ``lmk_bary_coords`` (51, 3) float64 on the head surface."""
    L = body.layout
    face_ids, faces = _head_faces(body)
    tris = body.vertices[faces]
    xy = static_landmark_targets()
    local = np.column_stack([xy, np.full(xy.shape[0], 0.5)])
    origins = L.from_head_local(local)
    directions = np.tile(np.array([0.0, 0.0, -1.0]), (xy.shape[0], 1))
    hit, bary = ray_cast(origins, directions, tris)
    if (hit < 0).any():
        raise RuntimeError("a face landmark ray missed the head")
    return face_ids[hit].astype(np.int64), bary


def contour_landmarks(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """``dynamic_lmk_faces_idx`` (79, 17) int64 and ``dynamic_lmk_bary_coords`` (79, 17, 3) float64."""
    L = body.layout
    face_ids, faces = _head_faces(body)
    tris = body.vertices[faces]
    angles = np.deg2rad(np.linspace(-80.0, 80.0, NUM_CONTOUR_LANDMARKS))   # 0 = the body's right ear
    heights = 0.002 + 0.07 * (np.abs(angles) / np.deg2rad(80.0)) ** 1.3
    outward = np.stack([np.sin(angles), np.zeros_like(angles), np.cos(angles)], axis=1)
    centers = np.stack([np.zeros_like(angles), heights, np.full_like(angles, 0.01)], axis=1)
    origins = L.from_head_local(centers + 0.3 * outward)
    hit, bary = ray_cast(origins, -outward, tris)
    if (hit < 0).any():
        raise RuntimeError("a contour landmark ray missed the head")
    idx = np.tile(face_ids[hit].astype(np.int64), (NUM_YAW_BINS, 1))
    return idx, np.tile(bary, (NUM_YAW_BINS, 1, 1))


def special_vertices(body: Body) -> dict[str, int]:
    """Build-order index of the vertex for every key of SMPLX_EXTRA_VERTEX_IDS."""
    V = body.vertices
    sl = body.slices()

    def pick(part: str, score: np.ndarray) -> int:
        return sl[part].start + int(np.argmax(score))

    def verts(part: str) -> np.ndarray:
        return V[sl[part]]

    out = {
        "nose": pick("head", verts("head")[:, 2]),
        "leye": pick("left_eye", verts("left_eye")[:, 2]),
        "reye": pick("right_eye", verts("right_eye")[:, 2]),
        "lear": pick("left_ear", verts("left_ear")[:, 0]),
        "rear": pick("right_ear", -verts("right_ear")[:, 0]),
    }
    for side, prefix, sign in (("left", "l", 1.0), ("right", "r", -1.0)):
        for digit in DIGITS:
            d = np.asarray(LEFT_DIGITS[digit].direction, dtype=np.float64)
            d = d * np.array([sign, 1.0, 1.0])
            out[prefix + digit] = pick(f"{side}_{digit}", verts(f"{side}_{digit}") @ d)
        toes = verts(f"{side}_toes")
        lateral = sign * (toes[:, 0] - toes[:, 0].mean())          # > 0 on the outer side of the foot
        big, small = ("LBigToe", "LSmallToe") if side == "left" else ("RBigToe", "RSmallToe")
        out[big] = pick(f"{side}_toes", toes[:, 2] - 0.35 * lateral)
        out[small] = pick(f"{side}_toes", toes[:, 2] + 0.9 * lateral)
        foot = verts(f"{side}_foot")
        heel = "LHeel" if side == "left" else "RHeel"
        out[heel] = pick(f"{side}_foot", -foot[:, 2] - 0.6 * (foot[:, 1] - foot[:, 1].min()))
    assert set(out) == set(SMPLX_EXTRA_VERTEX_IDS)
    return out


def vertex_order(body: Body) -> np.ndarray:
    """(V,) int64 permutation ``order`` with ``new_vertices = old_vertices[order]`` that puts every
    special vertex at its SMPLX_EXTRA_VERTEX_IDS id; the others keep their relative order."""
    n = body.vertices.shape[0]
    picks = special_vertices(body)
    order = np.full(n, -1, dtype=np.int64)
    for name, new_id in SMPLX_EXTRA_VERTEX_IDS.items():
        order[new_id] = picks[name]
    used = np.zeros(n, dtype=bool)
    used[order[order >= 0]] = True
    if used.sum() != len(SMPLX_EXTRA_VERTEX_IDS):
        raise RuntimeError("two special vertices coincide")
    order[order < 0] = np.nonzero(~used)[0]
    return order
