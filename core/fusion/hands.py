"""Hands: from a MANO expert's detections (WiLoR / HaMeR) to SMPL-X hand poses.

Conventions, each pinned by a test in ``tests/fusion/test_hands.py``:

* **Mirroring.** The expert runs the right-hand model only; a left hand is predicted on a horizontally flipped crop,
  and the demo un-mirrors vertices and ``cam tx`` but not the rotations (WiLoR ``demo.py``: ``multiplier =
  2 * right - 1``; ``pred_cam[:, 1] *= multiplier``; ``verts[:, 0] *= multiplier``). Every rotation of a left hand,
  wrist ``global_orient`` and the 15 finger rotations alike, is mirrored back with ``M R M``, M = diag(-1, 1, 1)
  (axis-angle (x, y, z) -> (x, -y, -z)); its 3D keypoints get x -> -x. This happens once, in
  :func:`unmirror_hand`: the reader (``core.io.wilor``) hands over rotations **and** keypoints as predicted (it flips
  back keypoints that a dump saved un-mirrored), so both leave here in the same un-mirrored camera frame.
* **Wrist global -> local.** ``local_wrist_rotmat = G_elbow^T @ global_wrist_rotmat_cam``, where ``G_elbow`` is the
  product of the body's local rotations along 0, 3, 6, 9, 13, 16, 18 (left) or 0, 3, 6, 9, 14, 17, 19 (right): the
  chain stops at the **elbow**, the wrist's parent (FrankMocap ``integration/copy_and_paste.py`` ``__transfer_rot``
  with ``'g2l'``; PIXIE ``pose_abs2rel``). Both rotations are in the same (OpenCV) camera frame.
* **Flat vs mean.** The fused file is flat-relative. A mean-relative hand pose gets ``hands_mean`` **added in
  axis-angle** (smplx ``SMPLX.forward``: ``full_pose += self.pose_mean``), not composed as rotations.
* **Assignment and swaps.** Each detection is compared, in the image, with the body's projected wrists; a detection
  whose label disagrees with the wrist it sits at is reassigned and reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..body.skeleton import JOINT_INDEX

#: The mirror through the camera's x = 0 plane.
MIRROR_X = np.diag([-1.0, 1.0, 1.0])
_MIRROR_SIGNS = np.outer([-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0])  # (M R M)_ij = m_i m_j R_ij

LEFT, RIGHT = 0, 1
SIDE_NAMES = ("left", "right")
WRIST_JOINTS = (JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"])  # 20, 21
ELBOW_JOINTS = (JOINT_INDEX["left_elbow"], JOINT_INDEX["right_elbow"])  # 18, 19

#: OpenPose hand keypoint order -> SMPL-X joint name (fingertips are not SMPL-X joints: see ``FINGERTIP_VERTEX``).
OPENPOSE_TO_SMPLX = {
    0: "wrist", 1: "thumb1", 2: "thumb2", 3: "thumb3", 5: "index1", 6: "index2", 7: "index3",
    9: "middle1", 10: "middle2", 11: "middle3", 13: "ring1", 14: "ring2", 15: "ring3",
    17: "pinky1", 18: "pinky2", 19: "pinky3",
}
#: OpenPose fingertip keypoint -> (smplx extra-joint vertex name suffix, distal SMPL-X joint name).
FINGERTIPS = {4: ("thumb", "thumb3"), 8: ("index", "index3"), 12: ("middle", "middle3"), 16: ("ring", "ring3"),
              20: ("pinky", "pinky3")}


def openpose_hand_joint_indices(side: int) -> np.ndarray:
    """(21,) SMPL-X joint index per OpenPose hand keypoint, -1 for the five fingertips."""
    prefix = SIDE_NAMES[side]
    out = np.full(21, -1, dtype=np.int64)
    for k, name in OPENPOSE_TO_SMPLX.items():
        out[k] = JOINT_INDEX[f"{prefix}_{name}"]
    return out


# ----------------------------------------------------------------------------------------------------------------
# mirroring, flat / mean, global -> local


def mirror_rotmat(rotmat: np.ndarray) -> np.ndarray:
    """``M R M`` with M = diag(-1, 1, 1): (..., 3, 3) -> (..., 3, 3). Its own inverse."""
    return np.asarray(rotmat, dtype=np.float64) * _MIRROR_SIGNS


def mirror_axis_angle(axis_angle: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle (x, y, z) -> (x, -y, -z): the same mirror as :func:`mirror_rotmat`."""
    aa = np.array(axis_angle, dtype=np.float64, copy=True)
    aa[..., 1:] *= -1.0
    return aa


def mirror_points(points: np.ndarray) -> np.ndarray:
    """(..., 3) points -> x negated (what the flipped crop did to the keypoints)."""
    p = np.array(points, dtype=np.float64, copy=True)
    p[..., 0] *= -1.0
    return p


def unmirror_hand(global_orient_rotmat: np.ndarray, hand_pose_rotmat: np.ndarray, is_left: np.ndarray,
                  keypoints_pred: Optional[np.ndarray] = None
                  ) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """Undo the flipped-crop prediction for left hands, rows where ``is_left`` is True: the one un-mirroring.

    Every input is **as predicted** by the right-hand model (left rows still mirrored), the frame
    :class:`core.contracts.estimates.HandDetections` holds them in; ``core.io.wilor`` flips back keypoints that a
    dump saved
    un-mirrored (as WiLoR's ``demo.py`` loop leaves them), so nothing upstream has un-mirrored anything. Rotations
    and keypoints leave in the same un-mirrored camera frame (OpenCV axes), which the wrist refinement relies on.

    Args:
        global_orient_rotmat: (N, 3, 3) wrist rotation as predicted, crop camera frame.
        hand_pose_rotmat: (N, 15, 3, 3) finger rotations as predicted (flat-relative, right-hand model).
        is_left: (N,) bool, which rows are left hands (predicted on a mirrored crop).
        keypoints_pred: (N, 21, 3) OpenPose-order keypoints as predicted (left rows x-mirrored), or None.
    Returns:
        ``(global_wrist_rotmat_cam, finger_rotmats, keypoints_cam)``: (N, 3, 3), (N, 15, 3, 3), (N, 21, 3) or None,
        left rows mirrored back (M R M on the rotations, x -> -x on the keypoints), right rows copied.
    """
    left = np.asarray(is_left, dtype=bool)
    g = np.asarray(global_orient_rotmat, dtype=np.float64)
    f = np.asarray(hand_pose_rotmat, dtype=np.float64)
    k = None if keypoints_pred is None else np.asarray(keypoints_pred, dtype=np.float64)
    if left.all():  # one side at a time (the pipeline's case): no selection needed
        return mirror_rotmat(g), mirror_rotmat(f), None if k is None else mirror_points(k)
    if not left.any():
        return g.copy(), f.copy(), None if k is None else k.copy()
    g = np.where(left[:, None, None], mirror_rotmat(g), g)
    f = np.where(left[:, None, None, None], mirror_rotmat(f), f)
    if k is not None:
        k = np.where(left[:, None, None], mirror_points(k), k)
    return g, f, k


def hand_pose_to_flat(hand_pose_aa: np.ndarray, hand_mean_aa: np.ndarray, relative_to: str) -> np.ndarray:
    """A hand pose in the fused file's convention (relative to the flat hand).

    Args:
        hand_pose_aa: (T, 15, 3) axis-angle relative to ``relative_to``.
        hand_mean_aa: (15, 3) axis-angle ``hands_mean`` of that side (``BodyModel.left_hand_mean`` / ``right_...``).
        relative_to: ``"flat"`` (returned as is) or ``"mean"`` (``hands_mean`` added, an axis-angle sum as in smplx).
    Returns:
        (T, 15, 3) axis-angle relative to the flat hand.
    """
    pose = np.asarray(hand_pose_aa, dtype=np.float64)
    if relative_to == "flat":
        return pose.copy()
    if relative_to == "mean":
        return pose + np.asarray(hand_mean_aa, dtype=np.float64).reshape(1, 15, 3)
    raise ValueError(f"hand pose relative to '{relative_to}': expected 'flat' or 'mean'")


def wrist_global_to_local(elbow_global_rotmat: np.ndarray, global_wrist_rotmat_cam: np.ndarray) -> np.ndarray:
    """``local_wrist_rotmat = G_elbow^T @ R_wrist_global``: (T, 3, 3), (T, 3, 3) -> (T, 3, 3)."""
    return np.swapaxes(elbow_global_rotmat, -1, -2) @ global_wrist_rotmat_cam


def wrist_local_to_global(elbow_global_rotmat: np.ndarray, local_wrist_rotmat: np.ndarray) -> np.ndarray:
    """``G_elbow @ R_wrist_local``: (T, 3, 3), (T, 3, 3) -> (T, 3, 3) camera-frame wrist rotation."""
    return elbow_global_rotmat @ local_wrist_rotmat


# ----------------------------------------------------------------------------------------------------------------
# projection and assignment


def project_points(points_cam: np.ndarray, camera_K: np.ndarray) -> np.ndarray:
    """Pinhole projection: (T, P, 3) camera-frame points, (T, 3, 3) or (3, 3) intrinsics -> (T, P, 2) pixels.

    Points at or behind the camera (z <= 1e-6) give NaN.
    """
    p = np.asarray(points_cam, dtype=np.float64)
    k = np.asarray(camera_K, dtype=np.float64)
    if k.ndim == 2:
        uvw = np.einsum("ab,tpb->tpa", k, p)
    else:
        uvw = np.einsum("tab,tpb->tpa", k, p)
    z = uvw[..., 2:3]
    return np.where(z > 1e-6, uvw[..., :2] / np.where(z > 1e-6, z, 1.0), np.nan)


@dataclass
class HandAssignment:
    """Which detection drives each side on each frame.

    Attributes:
        detection_index: (T, 2) int64 detection row for (left, right), -1 where none.
        swapped: (T, 2) bool, the chosen detection was labelled with the other side.
        distance: (T, 2) its box-centre distance to the body's projected wrist, in box sizes (NaN: not measured).
        swaps: one dict per swap that reached the output: ``frame``, ``row``, ``detection``, ``labelled``,
            ``assigned``, ``kind`` (``"pair"`` when both sides of the frame were swapped, else ``"single"``).
        unmatched_detections: detections whose frame is not among the body's.
        gated_out: detections farther than the gate from the wrist of their side.
    """

    detection_index: np.ndarray
    swapped: np.ndarray
    distance: np.ndarray
    swaps: list = field(default_factory=list)
    unmatched_detections: int = 0
    gated_out: int = 0
    discarded_swaps: int = 0


def assign_hands(frame_ids: np.ndarray, det_frame_ids: np.ndarray, det_is_right: np.ndarray,
                 det_box_center: np.ndarray, det_box_size: np.ndarray, det_score: Optional[np.ndarray],
                 wrist_px: Optional[np.ndarray], gate: float = 1.5, swap: bool = True, swap_ratio: float = 0.5,
                 swap_mode: str = "relabel") -> HandAssignment:
    """Choose at most one detection per side per frame, by label and proximity to the body's projected wrists.

    A detection is **swapped** when the wrist of the other side is both within ``gate`` box sizes of its box centre
    and closer than ``swap_ratio`` times the distance to the wrist its label names (so hands held together, where
    both wrists are about equally close, are never swapped). With ``swap_mode="relabel"`` the swapped detection
    serves the other side (its flag was wrong; un-mirroring then follows the side it is assigned to); with
    ``"discard"`` it serves neither. Among the candidates for a side, the closest (then the highest score) wins; a
    candidate farther than ``gate`` from its wrist is dropped. Without ``wrist_px`` (or on frames where it is NaN)
    the label alone decides and the highest score wins.

    Args:
        frame_ids: (T,) sorted footage frame of each output row.
        det_frame_ids: (N,) frame of each detection.
        det_is_right: (N,) bool label as predicted.
        det_box_center: (N, 2) pixels; det_box_size: (N,) pixels; det_score: (N,) or None.
        wrist_px: (T, 2, 2) projected (left, right) body wrists in pixels, or None.
    Returns:
        :class:`HandAssignment`.
    """
    frame_ids = np.asarray(frame_ids, dtype=np.int64)
    t = frame_ids.shape[0]
    det_frames = np.asarray(det_frame_ids, dtype=np.int64).reshape(-1)
    n = det_frames.shape[0]
    out_idx = np.full((t, 2), -1, dtype=np.int64)
    out_swapped = np.zeros((t, 2), dtype=bool)
    out_dist = np.full((t, 2), np.nan)
    if n == 0 or t == 0:
        return HandAssignment(out_idx, out_swapped, out_dist, [], unmatched_detections=n)

    row = np.searchsorted(frame_ids, det_frames)
    row_c = np.clip(row, 0, t - 1)
    matched = (row < t) & (frame_ids[row_c] == det_frames)
    label = np.asarray(det_is_right, dtype=bool).reshape(n).astype(np.int64)  # 0 left, 1 right
    score = np.ones(n) if det_score is None else np.nan_to_num(np.asarray(det_score, dtype=np.float64).reshape(n))
    center = np.asarray(det_box_center, dtype=np.float64).reshape(n, 2)
    size = np.maximum(np.asarray(det_box_size, dtype=np.float64).reshape(n), 1.0)

    if wrist_px is not None:
        w = np.asarray(wrist_px, dtype=np.float64)[row_c]  # (N, 2 sides, 2)
        dist = np.linalg.norm(center[:, None, :] - w, axis=-1) / size[:, None]  # (N, 2)
    else:
        dist = np.full((n, 2), np.nan)
    has_dist = np.all(np.isfinite(dist), axis=1)
    ar = np.arange(n)
    d_label = dist[ar, label]
    d_other = dist[ar, 1 - label]
    is_swap = swap & has_dist & (d_other < gate) & (d_other < swap_ratio * d_label)
    side = np.where(is_swap, 1 - label, label)
    d_side = dist[ar, side]
    keep = matched & (~has_dist | (d_side < gate))
    gated_out = int(np.count_nonzero(matched & has_dist & ~(d_side < gate)))
    discarded = 0
    if swap_mode == "discard":
        discarded = int(np.count_nonzero(keep & is_swap))
        keep &= ~is_swap
    elif swap_mode != "relabel":
        raise ValueError(f"unknown swap_mode '{swap_mode}' (expected relabel or discard)")

    cand = np.flatnonzero(keep)
    if cand.size:
        cost = np.where(has_dist[cand], d_side[cand], 0.0) - 1e-3 * score[cand]
        key = row[cand] * 2 + side[cand]
        order = np.lexsort((cost, key))
        first = np.unique(key[order], return_index=True)[1]
        chosen = cand[order[first]]
        r, s = row[chosen], side[chosen]
        out_idx[r, s] = chosen
        out_swapped[r, s] = is_swap[chosen]
        out_dist[r, s] = d_side[chosen]

    swaps: list[dict] = []
    rows_swapped = np.flatnonzero(out_swapped.any(axis=1))
    for r in rows_swapped:  # reporting only: one entry per swap that reached the output
        pair = bool(out_swapped[r].all())
        for s in (LEFT, RIGHT):
            if out_swapped[r, s]:
                swaps.append({"frame": int(frame_ids[r]), "row": int(r), "detection": int(out_idx[r, s]),
                              "labelled": SIDE_NAMES[1 - s], "assigned": SIDE_NAMES[s],
                              "kind": "pair" if pair else "single"})
    return HandAssignment(out_idx, out_swapped, out_dist, swaps,
                          unmatched_detections=int(np.count_nonzero(~matched)), gated_out=gated_out,
                          discarded_swaps=discarded)


# ----------------------------------------------------------------------------------------------------------------
# robust similarity alignment (Kabsch / Umeyama with IRLS)


@dataclass
class SimilarityFit:
    """``target ~ scale * rotation @ source + translation`` per frame.

    Attributes:
        rotation: (T, 3, 3); translation: (T, 3); scale: (T,).
        residuals: (T, K) distances after alignment (same unit as ``target``).
        weights: (T, K) final robust weights (prior weights times the robust loss's).
        rms: (T,) weighted RMS residual.
    """

    rotation: np.ndarray
    translation: np.ndarray
    scale: np.ndarray
    residuals: np.ndarray
    weights: np.ndarray
    rms: np.ndarray


def _weighted_umeyama(src: np.ndarray, dst: np.ndarray, w: np.ndarray, with_scale: bool
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    wsum = np.maximum(w.sum(axis=1, keepdims=True), 1e-12)  # (T, 1)
    wn = (w / wsum)[..., None]  # (T, K, 1)
    mu_s = (wn * src).sum(axis=1)
    mu_d = (wn * dst).sum(axis=1)
    s0 = src - mu_s[:, None]
    d0 = dst - mu_d[:, None]
    cov = np.swapaxes(wn * d0, 1, 2) @ s0  # (T, 3, 3) target x source
    u, sig, vt = np.linalg.svd(cov)
    det = np.sign(np.linalg.det(u @ vt))
    det = np.where(det == 0, 1.0, det)
    d = np.ones((src.shape[0], 3))
    d[:, 2] = det
    rot = (u * d[:, None, :]) @ vt
    if with_scale:
        var_s = (wn * s0 * s0).sum(axis=(1, 2))
        scale = (sig * d).sum(axis=1) / np.maximum(var_s, 1e-12)
    else:
        scale = np.ones(src.shape[0])
    trans = mu_d - scale[:, None] * (rot @ mu_s[..., None])[..., 0]
    return rot, trans, scale


def robust_similarity(source: np.ndarray, target: np.ndarray, weights: Optional[np.ndarray] = None,
                      loss: Optional[str] = "huber", iterations: int = 8, with_scale: bool = True,
                      min_sigma: float = 1e-4) -> SimilarityFit:
    """Weighted Kabsch / Umeyama of ``source`` onto ``target``, re-weighted robustly (IRLS), batched over frames.

    Args:
        source: (T, K, 3) points to move (e.g. the hand expert's keypoints, camera frame).
        target: (T, K, 3) where they should land (e.g. the body's hand joints).
        weights: (T, K) prior weights (0 drops a point), or None for all 1.
        loss: ``"huber"`` (k = 1.345 sigma), ``"tukey"`` (c = 4.685 sigma), or None (plain weighted fit).
            sigma is the robust residual scale per frame, 1.4826 x the weighted median of the residuals.
        iterations: IRLS iterations.
        with_scale: also fit a scale (Umeyama); otherwise scale = 1 (Kabsch).
        min_sigma: floor on sigma (same unit as the points) so a near-perfect fit keeps its inliers.
    Returns:
        :class:`SimilarityFit`.
    """
    src = np.asarray(source, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    prior = np.ones(src.shape[:2]) if weights is None else np.asarray(weights, dtype=np.float64).copy()
    finite = np.all(np.isfinite(src), axis=-1) & np.all(np.isfinite(dst), axis=-1)
    prior = np.where(finite, prior, 0.0)
    src = np.where(finite[..., None], src, 0.0)
    dst = np.where(finite[..., None], dst, 0.0)
    w = prior.copy()
    rot, trans, scale = _weighted_umeyama(src, dst, w, with_scale)
    n_iter = iterations if loss is not None else 0
    used = prior > 0
    n_used = used.sum(axis=1)
    for _ in range(n_iter):
        pred = scale[:, None, None] * (src @ np.swapaxes(rot, 1, 2)) + trans[:, None]
        r = np.sqrt(((pred - dst) ** 2).sum(axis=-1))
        # median of the used residuals per frame (unused ones sorted to the end)
        r_sorted = np.sort(np.where(used, r, np.inf), axis=1)
        lo = np.take_along_axis(r_sorted, np.maximum((n_used - 1) // 2, 0)[:, None], axis=1)[:, 0]
        hi = np.take_along_axis(r_sorted, np.maximum(n_used // 2, 0)[:, None], axis=1)[:, 0]
        med = np.where(n_used > 0, 0.5 * (lo + hi), min_sigma)
        sigma = np.maximum(1.4826 * med, min_sigma)[:, None]
        if loss == "huber":
            c = 1.345 * sigma
            rw = np.where(r <= c, 1.0, c / np.maximum(r, 1e-15))
        elif loss == "tukey":
            c = 4.685 * sigma
            rw = np.where(r < c, (1.0 - (r / c) ** 2) ** 2, 0.0)
        else:
            raise ValueError(f"unknown robust loss '{loss}' (expected huber, tukey or None)")
        w = prior * rw
        rot, trans, scale = _weighted_umeyama(src, dst, w, with_scale)
    pred = scale[:, None, None] * (src @ np.swapaxes(rot, 1, 2)) + trans[:, None]
    res = np.sqrt(((pred - dst) ** 2).sum(axis=-1))
    rms = np.sqrt((w * res ** 2).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12))
    return SimilarityFit(rot, trans, scale, np.where(finite, res, np.nan), w, rms)


def hand_joint_targets(global_rotmats: np.ndarray, positions: np.ndarray, side: int,
                       rest_vertices: Optional[np.ndarray] = None, rest_joints: Optional[np.ndarray] = None,
                       fingertip_vertex_ids: Optional[dict] = None) -> tuple[np.ndarray, np.ndarray]:
    """The body's hand joints in OpenPose order, for aligning a hand expert's keypoints.

    Args:
        global_rotmats: (T, 55, 3, 3) global rotations (from :func:`core.body.chains.forward_kinematics`).
        positions: (T, 55, 3) joint positions (same frame as the keypoints they are compared with).
        side: 0 left, 1 right.
        rest_vertices, rest_joints, fingertip_vertex_ids: optional, to add the five fingertips rigidly attached to
            the distal joints (``tip = p_distal + G_distal (v_tip - J_distal)``); without them tips get weight 0.
    Returns:
        ``(points, weights)``: (T, 21, 3) and (21,), weight 0 where a keypoint has no body counterpart.
    """
    idx = openpose_hand_joint_indices(side)
    t = positions.shape[0]
    pts = np.zeros((t, 21, 3))
    wts = np.zeros(21)
    have = idx >= 0
    pts[:, have] = positions[:, idx[have]]
    wts[have] = 1.0
    if rest_vertices is not None and rest_joints is not None and fingertip_vertex_ids is not None:
        prefix = "l" if side == LEFT else "r"
        for k, (tip, distal) in FINGERTIPS.items():
            vid = fingertip_vertex_ids.get(prefix + tip)
            if vid is None or vid >= rest_vertices.shape[0]:
                continue
            j = JOINT_INDEX[f"{SIDE_NAMES[side]}_{distal}"]
            offset = rest_vertices[vid] - rest_joints[j]
            pts[:, k] = positions[:, j] + np.einsum("tab,b->ta", global_rotmats[:, j], offset)
            wts[k] = 1.0
    return pts, wts


__all__ = ["MIRROR_X", "LEFT", "RIGHT", "SIDE_NAMES", "WRIST_JOINTS", "ELBOW_JOINTS", "openpose_hand_joint_indices",
           "mirror_rotmat", "mirror_axis_angle", "mirror_points", "unmirror_hand", "hand_pose_to_flat",
           "wrist_global_to_local", "wrist_local_to_global", "project_points", "HandAssignment", "assign_hands",
           "SimilarityFit", "robust_similarity", "hand_joint_targets"]
