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
    """A closed, outward-wound triangulated unit sphere with exactly ``n`` vertices.

    Returns ``points`` (n, 3) float64 on the unit sphere and ``faces`` (2n-4, 3) int64.
    ``front_warp`` in [0, 1) concentrates vertices towards the direction ``toward`` (3,).
    Results are cached and read-only.
    """
    return _sphere_mesh_cached(int(n), float(front_warp), tuple(float(t) for t in toward))


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
        bc = "natural" if k.size > 2 else "not-a-knot"
        return tuple(CubicSpline(k, np.asarray(c, dtype=np.float64), bc_type=bc) for c in cols)

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
