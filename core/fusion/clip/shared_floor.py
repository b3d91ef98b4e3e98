"""One floor for everyone: the people's relative depth fixed by the ground they share.

A body regressor's crop camera gets each person's depth on its own, with a per-person scale error (a tall person
looks near, a child far) that also jitters from frame to frame with the box. Moving a person along their viewing
rays by a factor ``s`` keeps every pixel; it is the one thing the image cannot tell. A floor can: when everyone
stands on one plane ``n . x + d = 0`` (camera frame, unit normal up), a person's pelvis must be, on every frame, at
the height above the floor that their own legs give it (``h_t = n . (sole_t - pelvis_t)``, which no depth error
changes), so ``s_t * (n . pelvis_t) = -(d + h_t)``.

* :func:`shared_plane`: the people whose up directions agree (within ``max_angle_deg`` of a reference, e.g. their
  bodies' mean up, which a depth error leaves alone; or of the median) give one normal, their weighted mean;
* :func:`feet_level`: a person's level along that normal, ``d_i = -median(n . sole)`` (the feet in contact, or the
  lower foot); the shared offset is the median of the ``d_i`` (the command's choice: the floor cannot tell the
  clip's overall scale, the people's median keeps it);
* :func:`frame_depth_scales`: ``s_t`` frame by frame (outliers and frames without a foot down interpolated);
  :func:`depth_scale_on_plane`: one factor for the whole take (the median pelvis height);
* :func:`rescale_translation`: that move (one factor or one per frame), applied to a sequence's ``transl``.

A fitted plane through a person's own feet is not used for the normal when it disagrees with their body: feet that
slide along the rays with a changing depth error tilt it (see :func:`core.fusion.clip.command.apply_shared_floor`).

Plain numpy; arrays in, arrays out.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np


def shared_plane(planes: Sequence[Optional[np.ndarray]], weights: Optional[Sequence[float]] = None,
                 max_angle_deg: float = 10.0, reference: Optional[np.ndarray] = None
                 ) -> tuple[Optional[np.ndarray], np.ndarray]:
    """The floor several people share.

    Args:
        planes: per person (4,) (nx, ny, nz, d) with a unit normal pointing up, or None (no floor found).
        weights: per person, e.g. their contact frames (None: equal).
        max_angle_deg: a plane whose normal is farther than this from the others' (or from ``reference``) is not
            on the same floor.
        reference: (3,) the up direction to compare with (e.g. the people's own up, which a depth error does not
            change); None: the median of the normals.
    Returns:
        ``(plane, members)``: (4,) the shared plane, or None when fewer than two people agree; (P,) bool who is on it.
    """
    p = len(planes)
    members = np.zeros(p, dtype=bool)
    have = [i for i, pl in enumerate(planes) if pl is not None and np.all(np.isfinite(pl))]
    if len(have) < 2:
        return None, members
    arr = np.array([np.asarray(planes[i], dtype=np.float64).reshape(4) for i in have])
    normals = arr[:, :3] / np.linalg.norm(arr[:, :3], axis=1, keepdims=True)
    ref = np.median(normals, axis=0) if reference is None else np.asarray(reference, dtype=np.float64).reshape(3)
    ref = ref / np.linalg.norm(ref)
    angle = np.degrees(np.arccos(np.clip(normals @ ref, -1.0, 1.0)))
    agree = angle <= max_angle_deg
    if agree.sum() < 2:
        return None, members
    w = np.ones(len(have)) if weights is None else np.maximum(np.asarray(weights, dtype=np.float64)[have], 1e-9)
    n = (normals[agree] * w[agree, None]).sum(axis=0)
    n /= np.linalg.norm(n)
    d = float(np.median(arr[agree, 3] / np.linalg.norm(arr[agree, :3], axis=1)))
    members[np.asarray(have)[agree]] = True
    return np.concatenate([n, [d]]), members


def _usable(pelvis_cam: np.ndarray, foot_points_cam: np.ndarray, contact: Optional[np.ndarray],
            normal: np.ndarray, sole: str = "mean") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T,) the level the feet stand on along ``normal``, (T,) its height relative to the pelvis, (T,) frames to use.

    Each foot's level is the mean of its points (the sole: heel and toes) along the normal, so that noise in the
    estimated legs does not pull the level down as the lowest of many noisy points would; ``sole="lowest"``: its
    lowest point instead (a rolling foot, heel or toes up, touches the floor with its lowest point). On frames with
    contacts the level is the mean over the feet in contact (only those frames are used); without any contact, the
    lower foot on every frame.
    """
    if sole not in ("mean", "lowest"):
        raise ValueError(f"sole must be mean or lowest, not {sole!r}")
    pel = np.asarray(pelvis_cam, dtype=np.float64)
    pts = np.asarray(foot_points_cam, dtype=np.float64)
    if pts.ndim == 3:  # (T, K, 3): one foot
        pts = pts[:, None]
    sole = pts.mean(axis=2) @ normal if sole == "mean" else (pts @ normal).min(axis=2)  # (T, F)
    c = None if contact is None else np.asarray(contact, dtype=bool).reshape(sole.shape[0], -1)
    if c is not None and c.shape[1] != sole.shape[1]:
        c = np.broadcast_to(c.any(axis=1, keepdims=True), sole.shape)
    if c is not None and c.any():
        use = c.any(axis=1)
        level = np.where(use, (sole * c).sum(axis=1) / np.maximum(c.sum(axis=1), 1), np.nan)
    else:
        use = np.ones(sole.shape[0], dtype=bool)
        level = sole.min(axis=1)
    rel = level - pel @ normal  # n . (foot - pelvis), negative: the feet are below the pelvis
    return level, rel, use & np.isfinite(rel) & np.isfinite(level)


def feet_level(normal: np.ndarray, foot_points_cam: np.ndarray, pelvis_cam: np.ndarray,
               contact: Optional[np.ndarray] = None, sole: str = "mean") -> Optional[float]:
    """A person's floor offset along ``normal`` (3,): ``d_i = -median(level)`` of the feet's level (see
    :func:`_usable`) over the contact frames (every frame without contacts). None when nothing is finite.

    Args:
        foot_points_cam: (T, F, K, 3) K points (heel, toes) of F feet, camera frame (or (T, K, 3), one foot).
        contact: (T, F) bool per foot, (T,) per frame, or None.
    """
    low, _, use = _usable(pelvis_cam, foot_points_cam, contact, np.asarray(normal, dtype=np.float64), sole)
    return -float(np.median(low[use])) if use.any() else None


def depth_scale_on_plane(plane: np.ndarray, own_level: float, pelvis_cam: np.ndarray, foot_points_cam: np.ndarray,
                         contact: Optional[np.ndarray] = None) -> float:
    """The factor along the pelvis's viewing rays that puts a person's feet on ``plane``.

    The person's feet stand at level ``own_level`` (``d_i``, :func:`feet_level`) along the plane's normal, the pelvis
    at a median height ``h = median(n . (foot - pelvis))`` (negative) above them; moving the pelvis to ``s * pelvis``
    moves the feet's level to ``s (d_i + h) - h``, which equals the plane's ``d`` for ``s = (d + h) / (d_i + h)``.

    Args:
        plane: (4,) n, d (unit n, pointing up), the shared floor.
        own_level: d_i.
        pelvis_cam: (T, 3) the pelvis, camera frame; foot_points_cam: (T, F, K, 3) heels and toes, camera frame.
        contact: (T, F) or (T,) bool, feet on the ground (None or none True: every frame, the lower foot).
    Returns:
        s > 0 (1.0 when it cannot be measured).
    """
    n, d = np.asarray(plane[:3], dtype=np.float64), float(plane[3])
    _, rel, use = _usable(pelvis_cam, foot_points_cam, contact, n)
    if not use.any():
        return 1.0
    h = float(np.median(rel[use]))
    num, den = d + h, float(own_level) + h
    if abs(den) < 1e-9 or not np.isfinite(num / den) or num / den <= 0:
        return 1.0
    return float(num / den)


def frame_depth_scales(plane: np.ndarray, pelvis_cam: np.ndarray, foot_points_cam: np.ndarray,
                       contact: Optional[np.ndarray] = None, valid: Optional[np.ndarray] = None,
                       max_deviation: float = 0.15, sole: str = "mean") -> np.ndarray:
    """(T,) the factor along the pelvis's viewing ray, frame by frame, that puts the feet on ``plane``.

    A crop camera's depth error is not one number per person: it jitters from frame to frame with the box. On every
    frame with a foot on the ground (``contact``; without contacts, the lower foot), the feet's level sits at
    ``h_t = n . (sole_t - pelvis_t)`` (negative) from the pelvis, which the body's own pose and shape fix; the pelvis
    must then be at level ``-(d + h_t)`` along the normal, so ``s_t = -(d + h_t) / (n . pelvis_t)`` (the level of
    ``s_t * pelvis_t`` is ``s_t`` times its level: the move is along the ray through the camera centre). Frames whose
    factor is more than ``max_deviation`` from the person's median (a foot read as down while it swings, a glitch)
    and frames without a foot on the ground take the factor interpolated in time between their neighbours (held at
    the ends).

    Args:
        plane: (4,) n, d (unit n pointing up), the shared floor.
        pelvis_cam: (T, 3) the pelvis, camera frame.
        foot_points_cam: (T, F, K, 3) heels and toes, camera frame (or (T, K, 3), one foot).
        contact: (T, F) or (T,) bool, feet on the ground (None or none True: every frame, the lower foot).
        valid: (T,) bool frames the person is seen (None: all).
        max_deviation: the largest accepted relative distance of a frame's factor from the median.
        sole: ``mean`` (each foot's level: the mean of its points) or ``lowest`` (its lowest point).
    Returns:
        (T,) s > 0 (all 1.0 when no frame can be measured).
    """
    n, d = np.asarray(plane[:3], dtype=np.float64), float(plane[3])
    pel = np.asarray(pelvis_cam, dtype=np.float64)
    t = pel.shape[0]
    _, rel, use = _usable(pel, foot_points_cam, contact, n, sole)
    if valid is not None:
        use &= np.asarray(valid, dtype=bool).reshape(t)
    level = pel @ n  # (T,) negative: the pelvis below the camera
    with np.errstate(divide="ignore", invalid="ignore"):
        s = -(d + rel) / level
    use &= np.isfinite(s) & (s > 0) & (np.abs(level) > 1e-6)
    if not use.any():
        return np.ones(t)
    med = float(np.median(s[use]))
    use &= np.abs(s / med - 1.0) <= max_deviation
    rows = np.flatnonzero(use)
    return np.interp(np.arange(t, dtype=np.float64), rows.astype(np.float64), s[rows])


def rescale_translation(transl: np.ndarray, pelvis_rest: np.ndarray, scale: Union[float, np.ndarray]) -> np.ndarray:
    """(T, 3) ``transl`` with the pelvis moved to ``scale`` (a number, or (T,) one per frame) times its camera-frame
    position (along its ray)."""
    t = np.asarray(transl, dtype=np.float64)
    rest = np.asarray(pelvis_rest, dtype=np.float64).reshape(3)
    k = np.asarray(scale, dtype=np.float64)
    k = k.reshape(-1, 1) if k.ndim == 1 else k
    return (t + rest) * k - rest


__all__ = ["shared_plane", "feet_level", "depth_scale_on_plane", "frame_depth_scales", "rescale_translation"]
