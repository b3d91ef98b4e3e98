"""Closed-surface primitives: triangulated unit spheres and the sphere-to-sweep mapping.

Every part of the mannequin is a deformed unit sphere: a Fibonacci point set triangulated by
its convex hull (so a part can have any exact vertex count), mapped onto a *sweep*, a
generalised capsule whose cross-section (a superellipse, possibly different in front and
behind) varies smoothly along a straight axis and closes with ellipsoidal caps.  The mapping is
orientation-preserving, so the hull's outward winding stays outward.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.spatial import ConvexHull

_GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


def smoothstep(x: np.ndarray, edge0: float, edge1: float) -> np.ndarray:
    """Cubic Hermite step: 0 at ``edge0``, 1 at ``edge1`` (either order), clamped.  Same shape as ``x``."""
    t = np.clip((np.asarray(x, dtype=np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def gaussian(d2: np.ndarray, sigma: float) -> np.ndarray:
    """``exp(-d2 / sigma^2)`` for squared distances ``d2``."""
    return np.exp(-np.asarray(d2, dtype=np.float64) / (sigma * sigma))


@lru_cache(maxsize=None)
def _sphere_mesh_cached(n: int, front_warp: float, toward: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(n, dtype=np.float64) + 0.5
    y = 1.0 - 2.0 * i / n
    r = np.sqrt(np.clip(1.0 - y * y, 0.0, None))
    phi = i * _GOLDEN_ANGLE
    pts = np.stack([r * np.cos(phi), y, r * np.sin(phi)], axis=1)
    if front_warp > 0.0:
        # pull points towards ``toward`` (e.g. the face) to give the part a denser mesh there
        direction = np.asarray(toward, dtype=np.float64)
        pts = pts + front_warp * direction / np.linalg.norm(direction)
        pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    hull = ConvexHull(pts)
    faces = hull.simplices.astype(np.int64)
    if faces.shape[0] != 2 * n - 4 or np.unique(faces).size != n:
        raise RuntimeError(f"sphere triangulation with {n} points is not a clean closed hull")
    # orient every triangle outward (the hull's simplices come in arbitrary order)
    a, b, c = pts[faces[:, 0]], pts[faces[:, 1]], pts[faces[:, 2]]
    flip = np.einsum("ij,ij->i", np.cross(b - a, c - a), a + b + c) < 0.0
    faces[flip] = faces[flip][:, [0, 2, 1]]
    pts.setflags(write=False)
    faces.setflags(write=False)
    return pts, faces


def sphere_mesh(n: int, front_warp: float = 0.0,
                toward: tuple[float, float, float] = (0.0, 0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """A closed, outward-wound triangulated unit sphere with exactly ``n`` vertices (Fibonacci points).

    Returns ``points`` (n, 3) float64 on the unit sphere and ``faces`` (2n-4, 3) int64.
    ``front_warp`` in [0, 1) concentrates vertices towards the direction ``toward`` (3,).
    Results are cached and read-only.
    """
    return _sphere_mesh_cached(int(n), float(front_warp), tuple(float(t) for t in toward))


def _capsule_rings(k: float, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Rings on a capsule of radius 1 and half-length ``k``: area fractions (R,) and counts (R,)."""
    cyl = 2.0 * (k - 1.0)
    meridian = np.pi + cyl
    n_int = max(2, int(round(meridian / spacing)))
    ell = meridian * np.arange(1, n_int) / n_int
    cap_lo = ell < 0.5 * np.pi
    cap_hi = ell > 0.5 * np.pi + cyl
    radius = np.ones_like(ell)
    radius[cap_lo] = np.sin(ell[cap_lo])
    radius[cap_hi] = np.sin(meridian - ell[cap_hi])
    area = 2.0 * np.pi + 2.0 * np.pi * (ell - 0.5 * np.pi)
    area[cap_lo] = 2.0 * np.pi * (1.0 - np.cos(ell[cap_lo]))
    area[cap_hi] = 4.0 * np.pi * k - 2.0 * np.pi * (1.0 - np.cos(meridian - ell[cap_hi]))
    counts = np.maximum(3, np.round(2.0 * np.pi * radius / spacing)).astype(np.int64)
    return area / (4.0 * np.pi * k), counts


def _strip(lower: np.ndarray, lower_phi: np.ndarray, upper: np.ndarray, upper_phi: np.ndarray) -> list:
    """Triangles (m_lower + m_upper, or fewer at a pole) joining two rings, sorted by angle."""
    ia = int(np.argmin(lower_phi % (2.0 * np.pi)))
    ib = int(np.argmin(np.abs(((upper_phi - lower_phi[ia]) + np.pi) % (2.0 * np.pi) - np.pi)))
    la = np.roll(lower, -ia)
    pa = np.unwrap(np.roll(lower_phi, -ia))
    ub = np.roll(upper, -ib)
    pb = np.unwrap(np.roll(upper_phi, -ib))
    pb = pb - 2.0 * np.pi * np.round((pb[0] - pa[0]) / (2.0 * np.pi))
    ma, mb = la.size, ub.size
    la = np.append(la, la[0])
    ub = np.append(ub, ub[0])
    pa = np.append(pa, pa[0] + 2.0 * np.pi)
    pb = np.append(pb, pb[0] + 2.0 * np.pi)
    tris = []
    i = j = 0
    while i < ma or j < mb:
        if j == mb or (i < ma and pa[i + 1] < pb[j + 1]):
            if la[i] != la[i + 1]:
                tris.append((la[i], ub[j], la[i + 1]))
            i += 1
        else:
            if ub[j] != ub[j + 1]:
                tris.append((la[i], ub[j], ub[j + 1]))
            j += 1
    return tris


@lru_cache(maxsize=None)
def _ring_mesh_cached(n: int, k: float) -> tuple[np.ndarray, np.ndarray]:
    # find the ring spacing that gives n - 2 ring vertices (plus the two poles)
    lo, hi = 1e-3, 4.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        total = 2 + int(_capsule_rings(k, mid)[1].sum())
        lo, hi = (mid, hi) if total > n else (lo, mid)
    t, counts = _capsule_rings(k, hi)
    missing = n - 2 - int(counts.sum())
    order = np.argsort(-counts, kind="stable")
    step = 1 if missing > 0 else -1
    idx = 0
    while missing != 0:
        counts[order[idx % counts.size]] += step
        missing -= step
        idx += 1
    # vertices: south pole, rings from bottom to top, north pole
    y_rings = 2.0 * t - 1.0
    pts = [np.array([[0.0, -1.0, 0.0]])]
    phis, ids = [np.zeros(1)], [np.zeros(1, dtype=np.int64)]
    offset = 1
    for r, (y, m) in enumerate(zip(y_rings, counts)):
        phi = r * _GOLDEN_ANGLE + 2.0 * np.pi * np.arange(m) / m
        rad = np.sqrt(max(0.0, 1.0 - y * y))
        pts.append(np.stack([rad * np.cos(phi), np.full(m, y), rad * np.sin(phi)], axis=1))
        phis.append(phi)
        ids.append(offset + np.arange(m, dtype=np.int64))
        offset += m
    pts.append(np.array([[0.0, 1.0, 0.0]]))
    phis.append(np.zeros(1))
    ids.append(np.array([offset], dtype=np.int64))
    pts = np.concatenate(pts, axis=0)
    tris: list = []
    for r in range(len(ids) - 1):
        tris += _strip(ids[r], phis[r], ids[r + 1], phis[r + 1])
    faces = np.array(tris, dtype=np.int64)
    if pts.shape[0] != n or faces.shape[0] != 2 * n - 4:
        raise RuntimeError(f"ring triangulation with {n} points failed")
    a, b, c = pts[faces[:, 0]], pts[faces[:, 1]], pts[faces[:, 2]]
    if np.einsum("ij,ij->i", np.cross(b - a, c - a), a + b + c).sum() < 0.0:
        faces = faces[:, [0, 2, 1]]
    pts.setflags(write=False)
    faces.setflags(write=False)
    return pts, faces


def ring_mesh(n: int, stretch: float) -> tuple[np.ndarray, np.ndarray]:
    """A closed, outward-wound triangulated unit sphere with exactly ``n`` vertices laid out in rings.

    The rings are spaced as they would be on a capsule of radius 1 and half-length ``stretch``
    (about length / diameter of the part the sphere will be mapped onto), so that after
    :meth:`Sweep.map` the part's triangles are close to equilateral.  Each ring sits at the
    sphere height y = 2 t - 1 where t is the capsule's area fraction below it.
    Returns ``points`` (n, 3) float64 and ``faces`` (2n-4, 3) int64, cached and read-only.
    """
    return _ring_mesh_cached(int(n), float(stretch))


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


@dataclass
class Sweep:
    """A generalised capsule along a straight axis.

    ``origin`` (3,) and unit ``axis`` (3,) define the axial coordinate ``a`` (metres).  ``u`` (3,)
    is the first cross-section direction (made orthogonal to ``axis``); the second is
    ``w = u x axis`` so that (u, axis, w) is right-handed.  ``knots`` (k,) are increasing axial
    positions; ``ru`` (k,) half-widths along u; ``rwp`` / ``rwn`` (k,) half-depths towards +w / -w;
    ``ou`` / ``ow`` (k,) centre offsets.  Beyond the first / last knot the part closes with
    ellipsoidal caps of axial length ``cap0`` / ``cap1``.  ``n_p`` / ``n_n`` are superellipse
    exponents of the +w / -w halves (2 = ellipse, larger = boxier).
    """

    origin: np.ndarray
    axis: np.ndarray
    u: np.ndarray
    knots: np.ndarray
    ru: np.ndarray
    rwp: np.ndarray
    rwn: Optional[np.ndarray] = None
    ou: Optional[np.ndarray] = None
    ow: Optional[np.ndarray] = None
    cap0: float = 0.0
    cap1: float = 0.0
    n_p: float = 2.0
    n_n: float = 2.0

    def frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Orthonormal (u, axis, w), each (3,), right-handed."""
        axis = _unit(self.axis)
        u = np.asarray(self.u, dtype=np.float64)
        u = _unit(u - axis * float(u @ axis))
        w = np.cross(u, axis)
        return u, axis, w

    def _profiles(self) -> tuple[CubicSpline, ...]:
        k = np.asarray(self.knots, dtype=np.float64)
        zeros = np.zeros_like(k)
        cols = [self.ru, self.rwp, self.rwp if self.rwn is None else self.rwn,
                zeros if self.ou is None else self.ou, zeros if self.ow is None else self.ow]
        if k.size == 1:
            raise ValueError("a sweep needs at least two knots")
        # zero slope at both ends, so that the ellipsoidal caps join without a crease
        return tuple(CubicSpline(k, np.asarray(c, dtype=np.float64), bc_type="clamped") for c in cols)

    def _evaluate(self, a: np.ndarray, splines) -> tuple[np.ndarray, ...]:
        a0, a1 = float(self.knots[0]), float(self.knots[-1])
        ac = np.clip(a, a0, a1)
        vals = [s(ac) for s in splines]
        cap = np.ones_like(a)
        if self.cap0 > 0.0:
            lo = a < a0
            cap[lo] = np.sqrt(np.clip(1.0 - ((a0 - a[lo]) / self.cap0) ** 2, 0.0, 1.0))
        if self.cap1 > 0.0:
            hi = a > a1
            cap[hi] = np.sqrt(np.clip(1.0 - ((a[hi] - a1) / self.cap1) ** 2, 0.0, 1.0))
        return (*vals, cap)

    def map(self, sphere: np.ndarray) -> np.ndarray:
        """Map unit-sphere points (n, 3) onto the sweep surface; returns (n, 3) float64.

        The sphere's y coordinate becomes the axial position through the inverse of the
        cumulative surface area along the axis (so a uniform point set stays roughly uniform),
        the azimuth of (x, z) becomes the cross-section angle (x -> u, z -> w).
        """
        splines = self._profiles()
        a_lo = float(self.knots[0]) - self.cap0
        a_hi = float(self.knots[-1]) + self.cap1
        grid = np.linspace(a_lo, a_hi, 601)
        ru, rwp, rwn, _, _, cap = self._evaluate(grid, splines)
        rmean = 0.5 * ru + 0.25 * (rwp + rwn)
        r = rmean * cap
        ds = np.hypot(np.diff(grid), np.diff(r))
        area = np.concatenate([[0.0], np.cumsum(0.5 * (r[1:] + r[:-1]) * ds)])
        area /= area[-1]
        t = 0.5 * (np.asarray(sphere[:, 1], dtype=np.float64) + 1.0)
        a = np.interp(t, area, grid)

        ru, rwp, rwn, ou, ow, cap = self._evaluate(a, splines)
        px, pz = sphere[:, 0], sphere[:, 2]
        rho = np.hypot(px, pz)
        safe = rho > 1e-12
        cu = np.where(safe, px / np.where(safe, rho, 1.0), 1.0)
        cw = np.where(safe, pz / np.where(safe, rho, 1.0), 0.0)
        front = cw >= 0.0
        expo = np.where(front, 2.0 / self.n_p, 2.0 / self.n_n)
        su = np.sign(cu) * np.abs(cu) ** expo
        sw = np.sign(cw) * np.abs(cw) ** expo
        du = ou + cap * ru * su
        dw = ow + cap * np.where(front, rwp, rwn) * sw
        u, axis, w = self.frame()
        origin = np.asarray(self.origin, dtype=np.float64)
        return origin + a[:, None] * axis + du[:, None] * u + dw[:, None] * w


def capsule(p0: np.ndarray, p1: np.ndarray, r0: float, r1: float, up: np.ndarray,
            cap0: Optional[float] = None, cap1: Optional[float] = None,
            rw_scale: float = 1.0) -> Sweep:
    """A tapered capsule from ``p0`` to ``p1`` (both (3,)), radii ``r0`` -> ``r1`` along the axis.

    ``up`` (3,) picks the cross-section's first direction; the second one is scaled by ``rw_scale``.
    """
    p0 = np.asarray(p0, dtype=np.float64)
    p1 = np.asarray(p1, dtype=np.float64)
    length = float(np.linalg.norm(p1 - p0))
    knots = np.array([0.0, length])
    ru = np.array([r0, r1])
    return Sweep(origin=p0, axis=(p1 - p0) / length, u=np.asarray(up, dtype=np.float64), knots=knots,
                 ru=ru, rwp=ru * rw_scale, cap0=r0 if cap0 is None else cap0,
                 cap1=r1 if cap1 is None else cap1)


def ellipsoid(center: np.ndarray, radii: tuple[float, float, float], sphere: np.ndarray,
              rotation: Optional[np.ndarray] = None) -> np.ndarray:
    """Map unit-sphere points (n, 3) onto an ellipsoid; ``rotation`` (3, 3) proper rotation or None."""
    pts = np.asarray(sphere, dtype=np.float64) * np.asarray(radii, dtype=np.float64)
    if rotation is not None:
        pts = pts @ np.asarray(rotation, dtype=np.float64).T
    return pts + np.asarray(center, dtype=np.float64)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals (V, 3) of a mesh with vertices (V, 3) and faces (F, 3)."""
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    fn = np.cross(b - a, c - a)
    vn = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    norm = np.linalg.norm(vn, axis=1, keepdims=True)
    return vn / np.where(norm > 0.0, norm, 1.0)


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Signed volume of a closed triangle mesh (positive when wound outward)."""
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)
