"""Per-foot ground contact, vectorised over frames: a probability from height and speed, then hysteresis.

For each foot and frame, two contact points are scored, the heel and the toe (the mean of the big- and
small-toe points), each by

    p_point = sigmoid((height_m - h) / height_scale_m) * sigmoid((speed_mps - v) / speed_scale_mps)

with ``h`` its height above the ground plane and ``v`` its speed (a Savitzky-Golay first derivative over a few
frames, so per-frame jitter does not read as motion). The foot's kinematic probability is the larger of the two
(a heel strike or a toe push-off each counts as contact). An estimator's own per-frame contact scores (WHAM's
contact, GVHMR's stationary flags; the fused file's optional ``contact_scores`` extra, (T, 2) in [0, 1], left and
right) enter as one more input: ``p = (1 - w) p_kin + w s`` with ``w = estimator_weight``.

Mode ``auto`` turns probabilities into contacts with hysteresis (on above ``on``, off below ``off``), closes gaps
of at most ``max_gap_frames`` and drops contacts shorter than ``min_frames``, so contacts do not flicker. Mode
``always`` takes every low, slow foot frame by frame (``p > 0.5``), with no duration rules.

Dangling feet (:func:`dangling_feet`): height and speed are measured against a plane that, without a known floor,
is fitted through the feet themselves, so a seated person's still feet hanging above the floor look planted. A
planted foot bears weight: the leg above it is nearly straight (walking, running, standing, tiptoe), or the foot is
about level under a bent knee (sitting with the feet on the floor, squatting). A relaxed dangling foot hangs toes
down from a bent knee. So a foot frame is no contact (kinematic probability 0; an estimator's own contact score
still enters the blend, but at the default weight of 0.5 it can only hold a contact already on, never start one in
mode ``auto``) when all three hold: the knee is bent more than ``dangle_knee_deg`` (the angle between thigh and
shin), the ankle is plantar-flexed more than ``dangle_plantar_deg`` (the ankle joint's turn of the foot's forward
axis down, in the shin's frame; SMPL-X's rest pose is neutral), and the foot points down more than
``dangle_pitch_deg`` below the body's horizontal (the plane normal to the take's mean pelvis-to-neck direction).
All three are the body's own measures, not the plane's, so a plane tilted to follow the hanging feet cannot make
them look flat; the third keeps a seated person's feet put forward flat on the floor (the ankle plantar-flexed
against a slanting shin, but the foot level). What it gives up: feet on their toes under a knee bent past
``dangle_knee_deg`` are never taken for contacts by the kinematics (a seated person's heels raised off the floor,
a squat on the toes, the rear foot of a deep lunge), nor are level feet of a person leaning forward by more than
``dangle_pitch_deg`` over bent knees with plantar-flexed ankles; and hanging feet swung forward so far that they
point level are still taken for contacts. The knee bound leaves a walk's toe-off (knee 35-40 deg, ankle
plantar-flexed 15-20 deg), running, jump landings with the knees bent less than that, and tiptoe standing
(straight knees) untouched.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .plane import GroundPlane


@dataclass(frozen=True)
class ContactParams:
    """Contact detection settings (metres, metres per second, frames).

    Attributes:
        height_m, height_scale_m: height above the plane where a point's height term is 0.5, and its softness.
        speed_mps, speed_scale_mps: the same for the speed term.
        window: frames of the Savitzky-Golay derivative (odd).
        on, off: hysteresis thresholds on the probability (mode ``auto``).
        min_frames: shortest contact kept (mode ``auto``).
        max_gap_frames: longest gap closed inside a contact (mode ``auto``).
        estimator_weight: weight of an estimator's own contact scores when given.
        dangle_knee_deg: a foot frame whose knee is bent more than this (degrees between thigh and shin) ...
        dangle_plantar_deg: ... whose ankle is plantar-flexed (toes down, in the shin's frame) more than this ...
        dangle_pitch_deg: ... and whose foot points down more than this below the body's horizontal is dangling,
            no contact (see the module docstring and :func:`dangling_feet`; :mod:`core.grounding.pipeline` applies it
            to the
            contacts of mode ``auto`` and, in both modes, to the feet a ground plane is fitted to).
    """

    height_m: float = 0.03
    height_scale_m: float = 0.008
    speed_mps: float = 0.3
    speed_scale_mps: float = 0.08
    window: int = 7
    on: float = 0.6
    off: float = 0.35
    min_frames: int = 3
    max_gap_frames: int = 2
    estimator_weight: float = 0.5
    dangle_knee_deg: float = 50.0
    dangle_plantar_deg: float = 10.0
    dangle_pitch_deg: float = 10.0


@dataclass
class ContactDetection:
    """What the detector saw, T frames, feet in the order left, right.

    Attributes:
        probability: (T, 2) contact probability in [0, 1].
        contact: (T, 2) bool decisions.
        height_m: (T, 2) the lowest contact point's height above the plane.
        speed_mps: (T, 2) the slower contact point's speed.
    """

    probability: np.ndarray
    contact: np.ndarray
    height_m: np.ndarray
    speed_mps: np.ndarray

    def intervals(self, foot: int) -> np.ndarray:
        """(K, 2) [start, stop) frame rows of ``foot``'s contacts (0 left, 1 right)."""
        return mask_intervals(self.contact[:, foot])


def savgol_derivative(values: np.ndarray, window: int, fps: float) -> np.ndarray:
    """First derivative along axis 0 by a local straight-line fit over ``window`` frames (edges repeated).

    Args:
        values: (T, ...) samples at ``fps``.
        window: odd number of frames.
    Returns:
        (T, ...) per second.
    """
    x = np.asarray(values, dtype=np.float64)
    half = max(int(window) // 2, 1)
    if x.shape[0] < 2:
        return np.zeros_like(x)
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    kernel = offsets / float(np.sum(offsets ** 2))
    padded = np.concatenate([np.repeat(x[:1], half, axis=0), x, np.repeat(x[-1:], half, axis=0)], axis=0)
    t = x.shape[0]
    out = np.zeros_like(x)
    for k, c in enumerate(kernel):  # a loop over the window's taps, never over frames
        out += c * padded[k:k + t]
    return out * fps


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def contact_points(foot_points_cam: np.ndarray) -> np.ndarray:
    """(T, 2, 3, 3) heel, big toe, small toe -> (T, 2, 2, 3) heel and toe (mean of the two toe points)."""
    pts = np.asarray(foot_points_cam, dtype=np.float64)
    return np.stack([pts[:, :, 0], pts[:, :, 1:].mean(axis=2)], axis=2)


def dangling_feet(leg_joints_cam: np.ndarray, ankle_local_rot: np.ndarray, ankle_global_rot_cam: np.ndarray,
                  body_up_cam: np.ndarray, params: ContactParams = ContactParams()) -> np.ndarray:
    """(T, 2) bool: feet hanging toes down from a bent knee, which bear no weight (see the module docstring).

    Args:
        leg_joints_cam: (T, 2, 3, 3) hip, knee and ankle positions of the left and right leg, camera frame.
        ankle_local_rot: (T, 2, 3, 3) the ankles' local rotations (SMPL-X: relative to the rest pose, whose foot
            points along +z, and +x turns the toes down).
        ankle_global_rot_cam: (T, 2, 3, 3) the ankles' rotations in the camera frame (their third column is the
            foot's rest forward axis, +z, as posed).
        body_up_cam: (3,) unit up direction of the body (the take's mean pelvis-to-neck), camera frame.
    Returns:
        True where the knee is bent more than ``params.dangle_knee_deg``, the ankle plantar-flexed more than
        ``params.dangle_plantar_deg`` and the foot pitched down more than ``params.dangle_pitch_deg``.
    """
    legs = np.asarray(leg_joints_cam, dtype=np.float64)
    thigh, shin = legs[..., 1, :] - legs[..., 0, :], legs[..., 2, :] - legs[..., 1, :]
    cosine = np.sum(thigh * shin, axis=-1) / np.maximum(
        np.linalg.norm(thigh, axis=-1) * np.linalg.norm(shin, axis=-1), 1e-12)
    knee_deg = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    rot = np.asarray(ankle_local_rot, dtype=np.float64)
    plantar_deg = np.degrees(np.arctan2(-rot[..., 1, 2], rot[..., 2, 2]))  # the foot's forward axis turned down
    up = np.asarray(body_up_cam, dtype=np.float64)
    forward_cam = np.asarray(ankle_global_rot_cam, dtype=np.float64)[..., :, 2]  # (T, 2, 3)
    pitch_down_deg = np.degrees(np.arcsin(np.clip(-(forward_cam @ up) / np.maximum(
        np.linalg.norm(forward_cam, axis=-1), 1e-12), -1.0, 1.0)))
    return ((knee_deg > params.dangle_knee_deg) & (plantar_deg > params.dangle_plantar_deg)
            & (pitch_down_deg > params.dangle_pitch_deg))


def contact_probability(foot_points_cam: np.ndarray, plane: GroundPlane, fps: float,
                        params: ContactParams = ContactParams(),
                        contact_scores: Optional[np.ndarray] = None,
                        dangling: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-foot contact probability.

    Args:
        foot_points_cam: (T, 2, 3, 3) from :func:`core.grounding.foot_points.foot_points`.
        plane: the ground.
        fps: frame rate (speeds are per second, so thresholds hold at any rate).
        contact_scores: optional (T, 2) estimator contact scores in [0, 1] (left, right).
        dangling: optional (T, 2) bool from :func:`dangling_feet`: those frames' kinematic probability is 0.
    Returns:
        ``(probability, height, speed)``, each (T, 2): the probability, the lowest point's height (m) and the
        slower point's speed (m/s).
    """
    pts = contact_points(foot_points_cam)  # (T, 2, 2, 3)
    height = plane.signed_distance(pts)  # (T, 2, 2)
    speed = np.linalg.norm(savgol_derivative(pts, params.window, fps), axis=-1)
    p_point = _sigmoid((params.height_m - height) / params.height_scale_m) * \
        _sigmoid((params.speed_mps - speed) / params.speed_scale_mps)
    prob = p_point.max(axis=2)
    if dangling is not None:
        prob = np.where(np.asarray(dangling, dtype=bool).reshape(prob.shape), 0.0, prob)
    if contact_scores is not None:
        scores = np.clip(np.asarray(contact_scores, dtype=np.float64).reshape(prob.shape), 0.0, 1.0)
        w = float(params.estimator_weight)
        prob = (1.0 - w) * prob + w * scores
    return prob, height.min(axis=2), speed.min(axis=2)


def mask_intervals(mask: np.ndarray) -> np.ndarray:
    """(T,) bool -> (K, 2) int [start, stop) of its runs of True."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return edges.reshape(-1, 2)


def hysteresis(probability: np.ndarray, on: float, off: float, min_frames: int = 1,
               max_gap_frames: int = 0) -> np.ndarray:
    """(T, F) probabilities -> (T, F) bool: a contact starts above ``on`` and lasts until it drops below ``off``.

    Gaps of at most ``max_gap_frames`` inside a contact are closed, then contacts shorter than ``min_frames``
    dropped. Vectorised: the state at a frame is that of the last decisive frame (above ``on`` or below ``off``).
    """
    p = np.asarray(probability, dtype=np.float64)
    p2 = p.reshape(p.shape[0], -1)
    # the state at frame t is decided by the last frame at or before t that was above ``on`` or below ``off``
    decisive = (p2 > on) | (p2 < off)
    rows = np.where(decisive, np.arange(p2.shape[0])[:, None], -1)
    last = np.maximum.accumulate(rows, axis=0)
    out = (last >= 0) & (np.take_along_axis(p2, np.maximum(last, 0), axis=0) > on)
    for f in range(out.shape[1]):
        runs = mask_intervals(~out[:, f])
        for start, stop in runs:
            if 0 < start and stop < out.shape[0] and stop - start <= max_gap_frames:
                out[start:stop, f] = True
        for start, stop in mask_intervals(out[:, f]):
            if stop - start < min_frames:
                out[start:stop, f] = False
    return out.reshape(p.shape)


def detect_contacts(foot_points_cam: np.ndarray, plane: GroundPlane, fps: float, mode: str = "auto",
                    params: ContactParams = ContactParams(),
                    contact_scores: Optional[np.ndarray] = None,
                    dangling: Optional[np.ndarray] = None) -> ContactDetection:
    """Contacts of both feet on ``plane``.

    Args:
        foot_points_cam: (T, 2, 3, 3) heel, big toe, small toe per foot, camera frame.
        plane: the ground.
        fps: frame rate.
        mode: ``auto`` (hysteresis, duration rules) or ``always`` (every low, slow frame).
        contact_scores: optional (T, 2) estimator scores in [0, 1].
        dangling: optional (T, 2) bool, feet that bear no weight (:func:`dangling_feet`); never contacts by
            height and speed.
    Returns:
        :class:`ContactDetection`.
    """
    if mode not in ("auto", "always"):
        raise ValueError(f"contact detection mode must be auto or always, not {mode!r}")
    prob, height, speed = contact_probability(foot_points_cam, plane, fps, params, contact_scores, dangling)
    if mode == "always":
        contact = prob > 0.5
    else:
        contact = hysteresis(prob, params.on, params.off, params.min_frames, params.max_gap_frames)
    return ContactDetection(probability=prob, contact=contact, height_m=height, speed_mps=speed)


__all__ = ["ContactParams", "ContactDetection", "savgol_derivative", "contact_points", "dangling_feet",
           "contact_probability", "mask_intervals", "hysteresis", "detect_contacts"]
