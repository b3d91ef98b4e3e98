"""Texture coordinates: one rectangular chart per part in a square grid atlas.

Within its cell a part is unwrapped by its sphere parameters (azimuth -> u, height -> v).
Triangles across the azimuth seam get duplicated texture vertices on the far side of the
seam, and each pole corner takes the mean u of the triangle's other corners, so no triangle is
smeared across its chart.
"""
from __future__ import annotations

import numpy as np

from .surface import Body


def part_uv(sphere: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chart of one part in [0, 1]^2: ``vt`` (T, 2) and ``ft`` (F, 3) local indices.

    ``sphere`` (n, 3) unit-sphere parameters, ``faces`` (F, 3) local vertex indices.
    """
    u = (np.arctan2(sphere[:, 2], sphere[:, 0]) / (2.0 * np.pi)) % 1.0
    v = 0.5 * (sphere[:, 1] + 1.0)
    pole = np.hypot(sphere[:, 0], sphere[:, 2]) < 1e-9
    cu = u[faces]                                       # (F, 3)
    cv = v[faces]
    cpole = pole[faces]
    ref = np.where(cpole, np.nan, cu)
    spread = np.nanmax(ref, axis=1) - np.nanmin(ref, axis=1)
    wrap = (spread > 0.5)[:, None] & (cu < 0.5) & ~cpole
    cu = cu + wrap
    mean_other = np.nanmean(np.where(cpole, np.nan, cu), axis=1)
    cu = np.where(cpole, mean_other[:, None], cu)
    cu = cu / max(1.0, float(cu.max()))
    corners = np.round(np.stack([cu, cv], axis=2).reshape(-1, 2), 12)
    vt, inverse = np.unique(corners, axis=0, return_inverse=True)
    return vt, inverse.reshape(-1, 3).astype(np.int64)


def atlas_uv(body: Body, margin: float = 0.004) -> tuple[np.ndarray, np.ndarray]:
    """``vt`` (T, 2) float64 in [0, 1] and ``ft`` (F, 3) uint32 for the whole body (faces in body order)."""
    n = len(body.parts)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    cell_w, cell_h = 1.0 / cols, 1.0 / rows
    vts, fts, offset = [], [], 0
    for i, part in enumerate(body.parts):
        vt, ft = part_uv(part.sphere, part.faces)
        r, c = divmod(i, cols)
        x0, y0 = c * cell_w + margin, 1.0 - (r + 1) * cell_h + margin
        vts.append(np.column_stack([x0 + vt[:, 0] * (cell_w - 2 * margin), y0 + vt[:, 1] * (cell_h - 2 * margin)]))
        fts.append(ft + offset)
        offset += vt.shape[0]
    vt_all = np.clip(np.concatenate(vts, axis=0), 0.0, 1.0)
    return vt_all, np.concatenate(fts, axis=0).astype(np.uint32)
