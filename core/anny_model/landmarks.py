"""Anatomical vertices (smplx's fixed extra-joint ids) and face landmarks, found on the T-posed template.

Everything here is measured on the mesh itself, with a few rules a person can check on a render:

* the midline profile (vertices on x = 0) gives the nose tip, the subnasale, the lips and the chin; the mouth
  slit is where a lower-lip vertex facing up meets an upper-lip vertex facing down;
* the slit (lip vertices facing straight up or down near that height) gives the mouth corners;
* the eye opening is where rays from straight in front meet the eyeball first (a 0.5 mm grid, refined by 0.05 mm line
  scans); its
  ends are the eye corners and its top and bottom edges the lid margins;
* the eyebrows are where MakeHuman's "browDown" face units move the skin most;
* the jaw contour is the frontal silhouette of the cheeks from the height of the outer eye corners down to the
  mouth corners, then the section of the jaw by the plane through those two silhouette points and the chin;
* fingertips, toes and heels come from MakeHuman's own distal-phalanx and foot skinning weights.

Landmarks are (face index, barycentric coordinates) pairs on the body surface, in iBUG-68 order (smplx reads
points 17..67 as ``lmk_*`` and 0..16 as the contour). The contour is the same for all 79 yaw bins of smplx's
look-up table: the model does not reproduce SMPL-X's yaw-dependent contour.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.skeleton import JOINT_INDEX, SMPLX_EXTRA_VERTEX_IDS
from .rig_mapping import DIGITS_MH

NUM_CONTOUR = 17
NUM_YAW_BINS = 79


def vertex_normals(vertices: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """(V, 3) unit area-weighted vertex normals of a triangle mesh (V, 3) / (F, 3)."""
    fn = np.cross(vertices[tris[:, 1]] - vertices[tris[:, 0]], vertices[tris[:, 2]] - vertices[tris[:, 0]])
    out = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(out, tris[:, k], fn)
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norm > 0, norm, 1.0)


def cast_rays(origins: np.ndarray, directions: np.ndarray, vertices: np.ndarray, tris: np.ndarray,
              tri_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest hit of each ray on the triangles ``tri_ids`` (Moller-Trumbore, all pairs at once).

    ``origins``, ``directions``: (R, 3). Returns the hit triangle ids (R,) int64 (-1 when missed) and
    barycentric coordinates (R, 3).
    """
    t = tris[tri_ids]
    p0, p1, p2 = vertices[t[:, 0]], vertices[t[:, 1]], vertices[t[:, 2]]
    e1, e2 = p1 - p0, p2 - p0
    d = directions[:, None, :]
    pvec = np.cross(d, e2[None])
    det = np.einsum("rfc,fc->rf", pvec, e1)
    ok = np.abs(det) > 1e-15
    inv = 1.0 / np.where(ok, det, 1.0)
    tvec = origins[:, None, :] - p0[None]
    u = np.einsum("rfc,rfc->rf", tvec, pvec) * inv
    qvec = np.cross(tvec, e1[None])
    v = np.einsum("rfc,rc->rf", qvec, directions) * inv
    dist = np.einsum("rfc,fc->rf", qvec, e2) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (dist > 0)
    dist = np.where(hit, dist, np.inf)
    best = np.argmin(dist, axis=1)
    rows = np.arange(origins.shape[0])
    found = np.isfinite(dist[rows, best])
    ub, vb = u[rows, best], v[rows, best]
    bary = np.column_stack([1.0 - ub - vb, ub, vb])
    return np.where(found, tri_ids[best], -1), np.where(found[:, None], bary, 0.0)


def frontal_hits(xy: np.ndarray, vertices: np.ndarray, tris: np.ndarray, tri_ids: np.ndarray,
                 chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Front-most triangle under each point for rays along -Z (a small z-buffer).

    ``xy``: (R, 2) ray positions. Returns hit triangle ids (R,) int64 (-1 when nothing is under the point) and
    barycentric coordinates (R, 3) in the triangle's vertex order.
    """
    P = vertices[tris[tri_ids]]                                  # (F, 3, 3)
    x0, y0, z0 = P[:, 0, 0], P[:, 0, 1], P[:, 0, 2]
    x1, y1, z1 = P[:, 1, 0], P[:, 1, 1], P[:, 1, 2]
    x2, y2, z2 = P[:, 2, 0], P[:, 2, 1], P[:, 2, 2]
    det = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2)
    ok = np.abs(det) > 1e-18
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    hit = np.full(xy.shape[0], -1, dtype=np.int64)
    bary = np.zeros((xy.shape[0], 3))
    for lo in range(0, xy.shape[0], chunk):
        px, py = xy[lo:lo + chunk, 0:1], xy[lo:lo + chunk, 1:2]
        l0 = ((y1 - y2) * (px - x2) + (x2 - x1) * (py - y2)) * inv
        l1 = ((y2 - y0) * (px - x2) + (x0 - x2) * (py - y2)) * inv
        l2 = 1.0 - l0 - l1
        inside = ok & (l0 >= 0) & (l1 >= 0) & (l2 >= 0)
        z = np.where(inside, l0 * z0 + l1 * z1 + l2 * z2, -np.inf)
        best = np.argmax(z, axis=1)
        rows = np.arange(best.size)
        found = np.isfinite(z[rows, best])
        hit[lo:lo + chunk] = np.where(found, tri_ids[best], -1)
        bary[lo:lo + chunk] = np.where(found[:, None],
                                       np.column_stack([l0[rows, best], l1[rows, best], l2[rows, best]]), 0.0)
    return hit, bary


@dataclass(frozen=True)
class TemplateView:
    """What landmark finding needs from the T-posed template (all indices in the model's vertex space).

    Attributes:
        vertices: (V, 3) rest vertices.
        tris: (F, 3) triangles.
        body_count: the first ``body_count`` vertices are the skin; the rest are the eyeballs.
        eye_vertices: {"left": ids, "right": ids} of each eyeball.
        joints: (55, 3) rest joints.
        weights: (V, 55) merged skinning weights.
        bone_weights: MakeHuman bone name -> (V,) its own skinning weight (for digits, toes and feet).
        tips: ``"left_index"`` ... -> (3,) rest fingertip (end of the third phalanx).
        brow_offsets: {"left": (V, 3), "right": (V, 3)} the browDown face units.
    """

    vertices: np.ndarray
    tris: np.ndarray
    body_count: int
    eye_vertices: dict[str, np.ndarray]
    joints: np.ndarray
    weights: np.ndarray
    bone_weights: dict[str, np.ndarray]
    tips: dict[str, np.ndarray]
    brow_offsets: dict[str, np.ndarray]

    def joint(self, name: str) -> np.ndarray:
        """(3,) rest position of the named joint."""
        return self.joints[JOINT_INDEX[name]]


@dataclass(frozen=True)
class FaceAnchors:
    """Vertex ids (model space) of the midline and mouth features, and the outlines of the two eye openings.

    ``eyes[side]`` is (6, 2): the frontal (x, y) of the outer corner, the upper lid at the outer and inner thirds,
    the inner corner, the lower lid at the inner and outer thirds, each nudged 0.4 mm out of the opening so that a
    ray from the front lands on the lid.
    """

    nose_tip: int
    subnasale: int
    stomion_upper: int
    stomion_lower: int
    labrale_superius: int
    lower_lip_bottom: int
    gnathion: int
    slit_upper: np.ndarray
    slit_lower: np.ndarray
    mouth_corners: tuple[int, int]              #: (right, left)
    eyes: dict[str, np.ndarray]


def face_anchors(view: TemplateView) -> FaceAnchors:
    """Find the midline, mouth and eyelid features (see the module docstring)."""
    V = view.vertices
    nb = view.body_count
    normals = vertex_normals(V, view.tris)
    body = np.zeros(V.shape[0], dtype=bool)
    body[:nb] = True
    eye_y = view.joint("left_eye_smplhf")[1]
    head_z = view.joint("head")[2]
    chin_y = eye_y - 0.16
    mid = body & (np.abs(V[:, 0]) < 1e-5) & (V[:, 1] > chin_y) & (V[:, 1] < eye_y) & (V[:, 2] > head_z + 0.03)
    front = mid & (normals[:, 2] > -0.3)
    prof = np.nonzero(front)[0]
    prof = prof[np.lexsort((-V[prof, 2], V[prof, 1]))]
    # the slit: a vertex facing up directly below one facing down, at the front of the face
    best = None
    for a, b in zip(prof[:-1], prof[1:]):
        if normals[a, 1] > 0.6 and normals[b, 1] < -0.6 and V[b, 1] - V[a, 1] < 0.003:
            if best is None or V[a, 2] > V[best[0], 2]:
                best = (a, b)
    if best is None:
        raise RuntimeError("could not find the mouth slit on the midline")
    lower, upper = int(best[0]), int(best[1])
    sy = 0.5 * (V[lower, 1] + V[upper, 1])

    def pick(mask: np.ndarray, score: np.ndarray) -> int:
        ids = np.nonzero(mask)[0]
        if ids.size == 0:
            raise RuntimeError("an expected face feature is missing")
        return int(ids[np.argmax(score[ids])])

    nose_tip = pick(body & (np.abs(V[:, 0]) < 0.015) & (V[:, 1] > sy + 0.01) & (V[:, 1] < eye_y), V[:, 2])
    ty = V[nose_tip, 1]
    # the columella faces down; where it ends on the lip is the subnasale
    columella = front & (V[:, 1] > sy + 0.005) & (V[:, 1] < ty) & (normals[:, 1] < -0.5)
    subnasale = pick(columella, -V[:, 1])
    lab_sup = pick(front & (V[:, 1] > sy) & (V[:, 1] < V[subnasale, 1]), V[:, 2])
    lab_inf = pick(front & (V[:, 1] < sy) & (V[:, 1] > sy - 0.015), V[:, 2])
    below = front & (V[:, 1] < V[lab_inf, 1]) & (V[:, 1] > sy - 0.025) & (normals[:, 1] < -0.5)
    lower_bottom = pick(below, V[:, 1]) if below.any() else lab_inf
    gnathion = pick(mid & (V[:, 1] < V[lower_bottom, 1]) & (normals[:, 2] > 0.0), V[:, 2] - V[:, 1])

    slit = (body & (np.abs(V[:, 1] - sy) < 0.004) & (np.abs(normals[:, 1]) > 0.7) & (normals[:, 2] > -0.2)
            & (V[:, 2] > V[lower, 2] - 0.015) & (np.abs(V[:, 0]) < 0.04))
    slit_ids = np.nonzero(slit)[0]
    right = int(slit_ids[np.argmin(V[slit_ids, 0])])
    left = int(slit_ids[np.argmax(V[slit_ids, 0])])
    up = slit_ids[normals[slit_ids, 1] < 0]
    down = slit_ids[normals[slit_ids, 1] > 0]

    eyes = {side: eye_opening(view, side) for side in ("left", "right")}
    return FaceAnchors(nose_tip=nose_tip, subnasale=subnasale, stomion_upper=upper, stomion_lower=lower,
                       labrale_superius=lab_sup, lower_lip_bottom=lower_bottom, gnathion=gnathion,
                       slit_upper=up, slit_lower=down, mouth_corners=(right, left), eyes=eyes)


def eye_opening(view: TemplateView, side: str) -> np.ndarray:
    """(6, 2) outline points of one eye opening (see :class:`FaceAnchors`), from frontal ray scans: a 0.5 mm
    grid finds the opening, 0.05 mm line scans place its corners and lid edges."""
    V, tris = view.vertices, view.tris
    c = view.joint(f"{side}_eye_smplhf")
    eye = view.eye_vertices[side]
    r = float(np.linalg.norm(V[eye] - c, axis=1).max())
    eye_tris = np.nonzero(np.isin(tris, eye).all(axis=1))[0]
    close = np.nonzero(np.linalg.norm(V[tris].mean(axis=1) - c, axis=1) < 2.5 * r)[0]

    def opening(xy: np.ndarray) -> np.ndarray:
        return np.isin(frontal_hits(xy, V, tris, close)[0], eye_tris)

    coarse, fine, nudge = 5e-4, 5e-5, 4e-4
    xs = np.arange(c[0] - 1.4 * r, c[0] + 1.4 * r, coarse)
    ys = np.arange(c[1] - 1.0 * r, c[1] + 1.0 * r, coarse)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    mask = opening(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    if mask.sum() < 10:
        raise RuntimeError(f"could not find the {side} eye opening")
    cols = np.nonzero(mask.any(axis=1))[0]
    lateral = 1.0 if side == "left" else -1.0

    def corner(col: int, outward: float) -> np.ndarray:
        y = float(ys[np.nonzero(mask[col])[0]].mean())
        line = xs[col] + outward * np.arange(-2.0 * coarse, 3.0 * coarse, fine)
        inside = opening(np.column_stack([line, np.full(line.size, y)]))
        return np.array([line[np.nonzero(inside)[0].max()] + outward * nudge, y])

    ends = {s: corner(int(cols[-1] if s > 0 else cols[0]), s) for s in (1.0, -1.0)}
    outer, inner = ends[lateral], ends[-lateral]

    def lids(frac: float) -> tuple[np.ndarray, np.ndarray]:
        x = outer[0] + frac * (inner[0] - outer[0])
        line = np.arange(c[1] - 1.0 * r, c[1] + 1.0 * r, fine)
        inside = np.nonzero(opening(np.column_stack([np.full(line.size, x), line])))[0]
        if inside.size == 0:
            raise RuntimeError(f"the {side} eye opening is not convex enough to scan")
        return np.array([x, line[inside.max()] + nudge]), np.array([x, line[inside.min()] - nudge])

    (up1, low1), (up2, low2) = lids(1.0 / 3.0), lids(2.0 / 3.0)
    return np.array([outer, up1, up2, inner, low2, low1])


# ---------------------------------------------------------------------------------------- special vertices

def special_vertices(view: TemplateView, anchors: FaceAnchors) -> dict[str, int]:
    """Model-space vertex id for every key of :data:`core.body.skeleton.SMPLX_EXTRA_VERTEX_IDS`."""
    V = view.vertices
    nb = view.body_count
    body = np.arange(V.shape[0]) < nb
    out = {"nose": anchors.nose_tip}
    for side, key in (("left", "leye"), ("right", "reye")):
        eye = view.eye_vertices[side]
        out[key] = int(eye[np.argmax(V[eye, 2])])
    head = body & (view.weights[:, JOINT_INDEX["head"]] > 0.5)
    eye_y = view.joint("left_eye_smplhf")[1]
    band = head & (V[:, 1] > eye_y - 0.04) & (V[:, 1] < eye_y + 0.01)
    ids = np.nonzero(band)[0]
    out["lear"] = int(ids[np.argmax(V[ids, 0])])
    out["rear"] = int(ids[np.argmin(V[ids, 0])])
    for side, s, S in (("left", "l", "L"), ("right", "r", "R")):
        for digit, k in DIGITS_MH.items():
            w = view.bone_weights[f"finger{k}-3.{S}"]
            ids = np.nonzero(body & (w > 0.5))[0]
            axis = view.tips[f"{side}_{digit}"] - view.joint(f"{side}_{digit}3")
            out[s + digit] = int(ids[np.argmax(V[ids] @ axis)])
        prefix = "L" if side == "left" else "R"
        big = np.nonzero(body & (view.bone_weights[f"toe1-2.{S}"] > 0.5))[0]
        small = np.nonzero(body & (view.bone_weights[f"toe5-3.{S}"] > 0.5))[0]
        out[prefix + "BigToe"] = int(big[np.argmax(V[big, 2])])
        out[prefix + "SmallToe"] = int(small[np.argmax(V[small, 2])])
        foot = np.nonzero(body & (view.bone_weights[f"foot.{S}"] > 0.5))[0]
        low = V[foot, 1] - V[foot, 1].min()
        out[prefix + "Heel"] = int(foot[np.argmax(-V[foot, 2] - 0.5 * low)])
    assert set(out) == set(SMPLX_EXTRA_VERTEX_IDS)
    return out


def vertex_order(picks: dict[str, int], count: int) -> np.ndarray:
    """(count,) permutation ``order`` (new vertex i = old vertex ``order[i]``) putting every picked vertex at its
    SMPLX_EXTRA_VERTEX_IDS id; all other vertices keep their relative order."""
    order = np.full(count, -1, dtype=np.int64)
    taken = np.zeros(count, dtype=bool)
    for name in sorted(SMPLX_EXTRA_VERTEX_IDS):
        old = picks[name]
        if taken[old]:
            raise RuntimeError(f"two anatomical vertices coincide ({name})")
        order[SMPLX_EXTRA_VERTEX_IDS[name]] = old
        taken[old] = True
    order[order < 0] = np.nonzero(~taken)[0]
    return order


# ----------------------------------------------------------------------------------------------- landmarks

def _vertex_landmark(tris: np.ndarray, vertex: int) -> tuple[int, np.ndarray]:
    """A face holding ``vertex`` (the lowest id) and the barycentric coordinates that select it."""
    rows, cols = np.nonzero(tris == vertex)
    k = int(np.argmin(rows))
    bary = np.zeros(3)
    bary[cols[k]] = 1.0
    return int(rows[k]), bary


def static_landmarks(view: TemplateView, anchors: FaceAnchors) -> tuple[np.ndarray, np.ndarray]:
    """``lmk_faces_idx`` (51,) int64 and ``lmk_bary_coords`` (51, 3): iBUG points 17..67 on the skin."""
    V = view.vertices
    head_tris = _head_skin_tris(view)
    points: list[tuple[str, object]] = []          # ("v", vertex id) or ("r", (x, y)): a ray from the front

    # brows 17..26 (image left to right = body right to left), where browDown moves the skin most
    for side in ("right", "left"):
        off = np.linalg.norm(view.brow_offsets[side], axis=1)
        strong = np.nonzero(off > 0.5 * off.max())[0]
        sign = 1.0 if side == "left" else -1.0
        lo, hi = np.percentile(sign * V[strong, 0], [8, 92])
        targets = np.linspace(hi, lo, 5) * sign                  # outer -> inner
        if side == "left":
            targets = targets[::-1]                              # inner -> outer in the image order
        for x in targets:
            near = strong[np.abs(V[strong, 0] - x) < 0.004]
            points.append(("r", (float(x), float(np.average(V[near, 1], weights=off[near])))))
    # nose 27..35
    eyes = anchors.eyes
    inner_y = 0.5 * (eyes["left"][3, 1] + eyes["right"][3, 1])
    tip = V[anchors.nose_tip]
    for t in (0.0, 1.0 / 3.0, 2.0 / 3.0):
        points.append(("r", (0.0, inner_y + t * (tip[1] - inner_y))))
    points.append(("v", anchors.nose_tip))
    sub = V[anchors.subnasale]
    half_width = _alar_half_width(view, head_tris, sub[1] + 0.3 * (tip[1] - sub[1]))
    for x_frac, y_frac in ((-0.85, 0.3), (-0.45, 0.1)):
        points.append(("r", (x_frac * half_width, sub[1] + y_frac * (tip[1] - sub[1]))))
    points.append(("v", anchors.subnasale))
    for x_frac, y_frac in ((0.45, 0.1), (0.85, 0.3)):
        points.append(("r", (x_frac * half_width, sub[1] + y_frac * (tip[1] - sub[1]))))
    # eyes 36..47: right eye outer, upper, upper, inner, lower, lower; left eye inner, upper, upper, outer, ...
    points += [("r", tuple(p)) for p in eyes["right"]]
    lft = eyes["left"]
    points += [("r", tuple(lft[k])) for k in (3, 2, 1, 0, 5, 4)]
    # outer lips 48..59
    right, left = anchors.mouth_corners
    hw = 0.5 * (V[left, 0] - V[right, 0])
    cy = 0.5 * (V[left, 1] + V[right, 1])
    top, bottom = V[anchors.labrale_superius, 1], V[anchors.lower_lip_bottom, 1]
    points.append(("v", right))
    points.append(("r", (-0.62 * hw, cy + 0.65 * (top - cy))))
    points.append(("r", (-0.28 * hw, top + 0.08 * (top - cy))))
    points.append(("v", anchors.labrale_superius))
    points.append(("r", (0.28 * hw, top + 0.08 * (top - cy))))
    points.append(("r", (0.62 * hw, cy + 0.65 * (top - cy))))
    points.append(("v", left))
    for x in (0.62, 0.3):
        points.append(("r", (x * hw, bottom + (cy - bottom) * x ** 1.6)))
    points.append(("v", anchors.lower_lip_bottom))
    for x in (-0.3, -0.62):
        points.append(("r", (x * hw, bottom + (cy - bottom) * abs(x) ** 1.6)))
    # inner lips 60..67

    def on_slit(cands: np.ndarray, x: float) -> int:
        score = -np.abs(V[cands, 0] - x) * 1e3 + V[cands, 2]
        return int(cands[np.argmax(score)])

    points.append(("v", on_slit(anchors.slit_upper, 0.85 * V[right, 0])))
    for x in (-0.45, 0.0, 0.45):
        points.append(("v", anchors.stomion_upper if x == 0.0 else on_slit(anchors.slit_upper, x * hw)))
    points.append(("v", on_slit(anchors.slit_upper, 0.85 * V[left, 0])))
    for x in (0.45, 0.0, -0.45):
        points.append(("v", anchors.stomion_lower if x == 0.0 else on_slit(anchors.slit_lower, x * hw)))
    assert len(points) == 51
    return _resolve(view, head_tris, points)


def _head_skin_tris(view: TemplateView) -> np.ndarray:
    """Ids of the skin triangles above the neck joint."""
    tris = view.tris
    skin = np.nonzero((tris < view.body_count).all(axis=1))[0]
    return skin[view.vertices[tris[skin], 1].min(axis=1) > view.joint("neck")[1]]


def _resolve(view: TemplateView, head_tris: np.ndarray, points: list) -> tuple[np.ndarray, np.ndarray]:
    """Face ids (L,) and barycentric coordinates (L, 3) of vertex points and frontal-ray points."""
    V, tris = view.vertices, view.tris
    faces = np.zeros(len(points), dtype=np.int64)
    bary = np.zeros((len(points), 3))
    rays = [(k, p) for k, (kind, p) in enumerate(points) if kind == "r"]
    if rays:
        hit, b = frontal_hits(np.array([p for _, p in rays], dtype=np.float64), V, tris, head_tris)
        if (hit < 0).any():
            raise RuntimeError("a landmark ray missed the face")
        for (k, _), h, bb in zip(rays, hit, b):
            faces[k], bary[k] = h, bb
    for k, (kind, p) in enumerate(points):
        if kind == "v":
            faces[k], bary[k] = _vertex_landmark(tris, int(p))
    return faces, bary


def _alar_half_width(view: TemplateView, head_tris: np.ndarray, y: float) -> float:
    """Half width of the nose at height ``y``: where the frontal depth profile has its first dip (the alar
    groove) going out from the midline."""
    xs = np.linspace(0.0, 0.03, 61)
    V = view.vertices
    hit, bary = frontal_hits(np.column_stack([xs, np.full_like(xs, y)]), V, view.tris, head_tris)
    z = np.where(hit >= 0, np.einsum("rk,rkc->rc", bary, V[view.tris[np.maximum(hit, 0)]])[:, 2], -np.inf)
    for i in range(2, xs.size - 2):
        if z[i] < z[i - 1] and z[i] <= z[i + 1] and z[i] < z[0] - 0.004:
            return float(xs[i])
    return 0.016


def contour_landmarks(view: TemplateView, anchors: FaceAnchors) -> tuple[np.ndarray, np.ndarray]:
    """``dynamic_lmk_faces_idx`` (79, 17) int64 and ``dynamic_lmk_bary_coords`` (79, 17, 3): iBUG points 0..16
    (right cheek at eye level, down the jaw to the chin, up to the left cheek), the same for every yaw bin."""
    V = view.vertices
    normals = vertex_normals(V, view.tris)
    head_tris = _head_skin_tris(view)
    right, left = anchors.mouth_corners
    top_y = 0.5 * (anchors.eyes["left"][0, 1] + anchors.eyes["right"][0, 1])
    mouth_y = 0.5 * (V[right, 1] + V[left, 1])
    eye_z = view.joint("left_eye_smplhf")[2]
    face = ((np.arange(V.shape[0]) < view.body_count) & (V[:, 2] > eye_z - 0.045) & (np.abs(normals[:, 2]) < 0.5)
            & (view.weights[:, JOINT_INDEX["head"]] + view.weights[:, JOINT_INDEX["jaw"]] > 0.5))
    heights = np.linspace(top_y - 0.1 * (top_y - mouth_y), mouth_y, 5)
    outline: dict[str, list[int]] = {"right": [], "left": []}
    for y in heights:
        band = np.nonzero(face & (np.abs(V[:, 1] - y) < 0.0025))[0]
        outline["right"].append(int(band[np.argmin(V[band, 0])]))
        outline["left"].append(int(band[np.argmax(V[band, 0])]))
    # the jaw between the mouth-level silhouette points and the chin: a plane section, cast from outside
    R, L, G = V[outline["right"][-1]], V[outline["left"][-1]], V[anchors.gnathion]
    centre = (R + L + G) / 3.0
    jaw: dict[str, list[tuple[str, object]]] = {"right": [], "left": []}
    for side, P in (("right", R), ("left", L)):
        u0, u1 = (P - centre) / np.linalg.norm(P - centre), (G - centre) / np.linalg.norm(G - centre)
        for t in (0.25, 0.5, 0.75):
            d = (1.0 - t) * u0 + t * u1
            d /= np.linalg.norm(d)
            hit, bary = cast_rays((centre + 0.3 * d)[None], -d[None], V, view.tris, head_tris)
            if hit[0] < 0:
                raise RuntimeError("a jaw contour ray missed the face")
            jaw[side].append(("h", (int(hit[0]), bary[0])))
    points = [("v", i) for i in outline["right"]] + jaw["right"] + [("v", anchors.gnathion)]
    points += jaw["left"][::-1] + [("v", i) for i in outline["left"][::-1]]
    assert len(points) == NUM_CONTOUR
    faces = np.zeros(NUM_CONTOUR, dtype=np.int64)
    bary = np.zeros((NUM_CONTOUR, 3))
    for k, (kind, p) in enumerate(points):
        if kind == "v":
            faces[k], bary[k] = _vertex_landmark(view.tris, int(p))
        else:
            faces[k], bary[k] = p
    return np.tile(faces, (NUM_YAW_BINS, 1)), np.tile(bary, (NUM_YAW_BINS, 1, 1))
