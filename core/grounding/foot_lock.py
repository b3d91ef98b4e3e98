"""Foot locking: pin each contact in the camera frame with leg IK and a small root correction; push sinking feet
back onto the ground. Plain numpy, batched over frames (loops run over feet and contact intervals only).

For each contact interval of a foot the foot gets one pose: its orientation is the interval's mean ankle rotation
(so a planted foot does not turn) and its ankle the interval's median position, moved along the plane normal so
that the foot's lowest point rests on the floor (``clearance_m`` above it). The weight of that lock is 1 inside
the interval and eases in and out over ``blend_frames`` frames outside it (raised cosine), so nothing pops.

The root (``transl``) moves along the plane normal only, by the mean normal displacement of the feet in contact
(a take that sinks rises as a whole, instead of folding its legs; interpolated between contacts, eased out before
the first and after the last), plus whatever a leg cannot reach.
The legs take the rest with :func:`core.grounding.two_bone_ik.leg_ik`: hips (joints 1, 2), knees (4, 5) and ankles
(7, 8) change, the ankles only so the foot keeps its orientation; every other joint is untouched. Unlocked feet
that end below the plane are lifted onto it the same way.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np

from ..body.model import BodyModel
from ..body.posing import pose_skeleton
from ..contracts.fused_file import FusedSequence
from ..rotations import matrix_to_axis_angle, matrix_to_quaternion_wxyz, quaternion_wxyz_to_matrix
from .contacts import mask_intervals
from .foot_points import ANKLE, HIP, KNEE, foot_points
from .plane import GroundPlane
from .two_bone_ik import leg_ik


@dataclass(frozen=True)
class LockParams:
    """Foot-locking settings.

    Attributes:
        blend_frames: frames over which a lock eases in before a contact and out after it.
        clearance_m: height of a locked or lifted foot's lowest point above the plane.
        root_fraction: share of the locked feet's common normal displacement taken by the root (0..1).
        max_reach_fraction: a leg is never asked to extend beyond this fraction of its reach; the root follows.
        lock_orientation: hold the foot's orientation during a contact (else only its position).
        push_penetration: lift unlocked feet that end below the plane.
    """

    blend_frames: int = 4
    clearance_m: float = 0.0
    root_fraction: float = 1.0
    max_reach_fraction: float = 0.999
    lock_orientation: bool = True
    push_penetration: bool = True


@dataclass
class LockResult:
    """The grounded take and what changed, T frames, feet left, right.

    Attributes:
        sequence: the new take (``body_pose`` of hips, knees and ankles, and ``transl``, changed).
        lock_weight: (T, 2) how much each foot was locked (1 inside contacts, easing to 0 around them).
        pushed: (T, 2) bool, frames where a foot was lifted out of the floor.
        foot_shift_m: (T, 2) mean displacement of each foot's heel and toe points, metres.
        root_shift: (T, 3) change of ``transl``, camera frame, metres.
        reached: (T, 2) bool, the leg reached its target (False: the foot points at it, as far as the leg goes).
        changed: (T,) bool, frames whose pose or translation changed.
    """

    sequence: FusedSequence
    lock_weight: np.ndarray
    pushed: np.ndarray
    foot_shift_m: np.ndarray
    root_shift: np.ndarray
    reached: np.ndarray
    changed: np.ndarray


def frame_mask(frames: Optional[Union[np.ndarray, Sequence[int], slice]], num_frames: int) -> np.ndarray:
    """(T,) bool of the rows ``frames`` selects: None for all, a bool mask, row indices, or a slice."""
    if frames is None:
        return np.ones(num_frames, dtype=bool)
    if isinstance(frames, slice):
        out = np.zeros(num_frames, dtype=bool)
        out[frames] = True
        return out
    arr = np.asarray(frames)
    if arr.dtype == bool:
        if arr.shape != (num_frames,):
            raise ValueError(f"a frame mask must have shape ({num_frames},), found {arr.shape}")
        return arr.copy()
    out = np.zeros(num_frames, dtype=bool)
    idx = arr.astype(np.int64).reshape(-1)
    out[idx[(idx >= 0) & (idx < num_frames)]] = True
    return out


def ease_window(mask: np.ndarray, blend_frames: int) -> np.ndarray:
    """(T,) bool -> (T,) weights: 1 on the mask, a raised-cosine ramp over ``blend_frames`` frames either side.

    Inside an allowed range (:func:`taper`) the ramps make every lock start and end smoothly.
    """
    t = mask.shape[0]
    rows = np.arange(t)
    on = np.flatnonzero(mask)
    if on.size == 0:
        return np.zeros(t)
    if blend_frames <= 0:
        return mask.astype(np.float64)
    # distance (in frames) to the nearest masked row, by two sweeps of a running maximum
    last_on = np.maximum.accumulate(np.where(mask, rows, -10 * t))
    next_on = np.minimum.accumulate(np.where(mask, rows, 10 * t)[::-1])[::-1]
    dist = np.minimum(rows - last_on, next_on - rows).astype(np.float64)
    x = np.clip(dist / (blend_frames + 1.0), 0.0, 1.0)
    return 0.5 + 0.5 * np.cos(np.pi * x)


def taper(allowed: np.ndarray, blend_frames: int) -> np.ndarray:
    """(T,) bool allowed rows -> (T,) weights that are 0 outside them and ease up to 1 within ``blend_frames``
    of their edges (a frame range's first and last rows stay untouched when the range starts or ends a take
    midway)."""
    t = allowed.shape[0]
    if allowed.all():
        return np.ones(t)
    inverse = ease_window(~allowed, blend_frames)
    return np.where(allowed, 1.0 - inverse, 0.0)


def mean_rotation(rotations: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations -> (3, 3) their chordal L2 mean (principal eigenvector of the quaternions' scatter)."""
    q = matrix_to_quaternion_wxyz(rotations)
    _, vecs = np.linalg.eigh(q.T @ q)
    return quaternion_wxyz_to_matrix(vecs[:, -1])


def lock_feet(seq: FusedSequence, model: BodyModel, contact: np.ndarray, plane: Optional[GroundPlane],
              frames: Optional[Union[np.ndarray, Sequence[int], slice]] = None,
              params: LockParams = LockParams()) -> LockResult:
    """Lock the feet during ``contact`` and keep them out of the floor.

    Args:
        seq: the take (camera frame).
        model: its body model.
        contact: (T, 2) bool, left and right foot contacts (e.g. :func:`core.grounding.contacts.detect_contacts`).
        plane: the ground; None locks positions and orientations as they are, with no floor snap or push.
        frames: rows that may change (None: all); changes ease to zero at the range's edges.
        params: :class:`LockParams`.
    Returns:
        :class:`LockResult`; frames where nothing needed changing are bit-for-bit as in ``seq``.
    """
    t = seq.num_frames
    contact = np.asarray(contact, dtype=bool).reshape(t, 2)
    allowed = frame_mask(frames, t)
    gate = taper(allowed, params.blend_frames)
    skel = pose_skeleton(seq, model)
    pts = foot_points(seq, model, skel)  # (T, 2, 3, 3)
    joints = skel.joints
    normal = plane.normal if plane is not None else None

    weight = np.zeros((t, 2))
    disp = np.zeros((t, 2, 3))  # weighted ankle displacement towards the locks
    in_contact = np.zeros((t, 2), dtype=bool)
    contact_disp = np.zeros((t, 2, 3))  # inside contacts: the full displacement to the lock
    q_target = np.zeros((t, 2, 4))
    q_foot = np.zeros((t, 2, 4))
    for f in range(2):
        ankle = joints[:, ANKLE[f]]
        g_ankle = skel.global_rot[:, ANKLE[f]]
        q_foot[:, f] = matrix_to_quaternion_wxyz(g_ankle)
        offsets = pts[:, f] - ankle[:, None]  # (T, 3, 3) foot points relative to the ankle
        total_w = np.zeros(t)
        acc_disp = np.zeros((t, 3))
        acc_q = np.zeros((t, 4))
        for start, stop in mask_intervals(contact[:, f] & allowed):
            span = slice(int(start), int(stop))
            g_lock = mean_rotation(g_ankle[span]) if params.lock_orientation else None
            if g_lock is not None:
                # each frame's foot turned to the lock orientation about its ankle
                turn = g_lock @ np.swapaxes(g_ankle[span], -1, -2)
                locked_offsets = np.einsum("tab,tpb->tpa", turn, offsets[span])
            else:
                locked_offsets = offsets[span]
            anchor = np.median(ankle[span], axis=0)
            if plane is not None:
                lowest = np.median(plane.signed_distance(anchor + locked_offsets).min(axis=1))
                anchor = anchor - normal * (lowest - params.clearance_m)
            mask = np.zeros(t, dtype=bool)
            mask[span] = True
            in_contact[span, f] = True
            contact_disp[span, f] = anchor - ankle[span]
            w = ease_window(mask, params.blend_frames) * gate
            total_w += w
            acc_disp += w[:, None] * (anchor - ankle)
            q_lock = matrix_to_quaternion_wxyz(g_lock) if g_lock is not None else q_foot[:, f]
            q_lock = np.broadcast_to(q_lock, (t, 4))
            sign = np.where(np.einsum("tk,tk->t", q_lock, q_foot[:, f]) < 0.0, -1.0, 1.0)
            acc_q += (w * sign)[:, None] * q_lock
        norm = np.maximum(total_w, 1.0)
        weight[:, f] = np.minimum(total_w, 1.0)
        disp[:, f] = acc_disp / norm[:, None]
        blend_q = acc_q / norm[:, None] + (1.0 - weight[:, f])[:, None] * q_foot[:, f]
        q_target[:, f] = blend_q / np.linalg.norm(blend_q, axis=1, keepdims=True)

    # root: along the plane normal, the mean normal displacement of the feet in contact; between contacts it is
    # interpolated, and it eases out before the first and after the last contact
    root = np.zeros((t, 3))
    any_contact = in_contact.any(axis=1)
    if normal is not None and params.root_fraction > 0 and any_contact.any():
        rows = np.flatnonzero(any_contact)
        along = (contact_disp[rows] @ normal * in_contact[rows]).sum(axis=1) / in_contact[rows].sum(axis=1)
        along = np.interp(np.arange(t), rows, along) * ease_window(any_contact, params.blend_frames) * gate
        root = params.root_fraction * along[:, None] * normal
    ankles = joints[:, ANKLE]  # (T, 2, 3)
    targets = ankles + disp + (1.0 - weight)[..., None] * root[:, None]
    g_target = quaternion_wxyz_to_matrix(q_target)  # (T, 2, 3, 3)
    pushed = np.zeros((t, 2), dtype=bool)
    if normal is not None and params.push_penetration:
        turn = g_target @ np.swapaxes(skel.global_rot[:, ANKLE], -1, -2)
        predicted = targets[:, :, None] + np.einsum("tfab,tfpb->tfpa", turn, pts - ankles[:, :, None])
        low = plane.signed_distance(predicted).min(axis=2)  # (T, 2)
        lift = np.maximum(params.clearance_m - low, 0.0) * gate[:, None]
        pushed = lift > 0.0
        targets = targets + lift[..., None] * normal
    # reach: a leg never extends beyond max_reach_fraction of its length; the root follows the rest
    betas_rest = skel.rest_joints  # (T, 55, 3)
    thigh = betas_rest[:, KNEE] - betas_rest[:, HIP]  # (T, 2, 3)
    shin = betas_rest[:, ANKLE] - betas_rest[:, KNEE]
    reach = params.max_reach_fraction * (np.linalg.norm(thigh, axis=-1) + np.linalg.norm(shin, axis=-1))
    hips = joints[:, HIP]
    # only legs whose foot is locked or pushed on rows that may change are held to the reach, and never to less
    # than the leg's own extension in the take (a straight estimated leg is not a reason to move the root)
    constrained = ((weight > 0.0) | pushed) & (gate[:, None] > 0.0)  # (T, 2)
    limit = np.maximum(reach, np.linalg.norm(ankles - hips, axis=-1))
    extra = np.zeros((t, 3))
    for _ in range(4):
        vec = targets - (hips + (root + extra)[:, None])
        dist = np.linalg.norm(vec, axis=-1)
        excess = np.where(constrained, np.maximum(dist - limit, 0.0), 0.0)
        if not excess.any():
            break
        step = (excess / np.maximum(dist, 1e-12))[..., None] * vec  # (T, 2, 3)
        move = np.where((excess[:, 0] >= excess[:, 1])[:, None], step[:, 0], step[:, 1])
        extra += move
        targets = targets + (1.0 - weight)[..., None] * move[:, None] * (~pushed)[..., None]
    root = root + extra

    new_local = skel.local_rot.copy()
    reached = np.ones((t, 2), dtype=bool)
    moved = np.linalg.norm(targets - (ankles + root[:, None]), axis=-1) > 1e-9
    turned = np.abs(np.abs(np.einsum("tfk,tfk->tf", q_target, q_foot)) - 1.0) > 1e-12
    active = moved | turned  # (T, 2)
    pelvis = skel.global_rot[:, 0]
    for f in range(2):
        rows = np.flatnonzero(active[:, f])
        if rows.size == 0:
            continue
        hip_pos = hips[rows, f] + root[rows]
        res = leg_ik(pelvis[rows], skel.local_rot[rows, HIP[f]], skel.local_rot[rows, KNEE[f]], hip_pos,
                     thigh[rows, f], shin[rows, f], targets[rows, f], g_target[rows, f])
        new_local[rows, HIP[f]] = res.hip_local
        new_local[rows, KNEE[f]] = res.knee_local
        new_local[rows, ANKLE[f]] = res.ankle_local
        reached[rows, f] = res.reached

    changed = active.any(axis=1) | (np.abs(root) > 0).any(axis=1)
    out = copy.deepcopy(seq)
    rows = np.flatnonzero(changed)
    if rows.size:
        body = out.body_pose.copy()
        for f in range(2):
            touched = np.flatnonzero(active[:, f])
            for j in (HIP[f], KNEE[f], ANKLE[f]):
                body[touched, j - 1] = matrix_to_axis_angle(new_local[touched, j])
        out.body_pose = body
        transl = out.transl.copy()
        transl[rows] = transl[rows] + root[rows]
        out.transl = transl
    new_pts = foot_points(out, model) if rows.size else pts
    shift = np.linalg.norm(new_pts - pts, axis=-1).mean(axis=2)
    return LockResult(sequence=out, lock_weight=weight, pushed=pushed, foot_shift_m=shift,
                      root_shift=out.transl - seq.transl, reached=reached, changed=changed)


__all__ = ["LockParams", "LockResult", "frame_mask", "ease_window", "taper", "mean_rotation", "lock_feet"]
