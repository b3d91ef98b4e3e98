"""Ground truth for grounding: a person seated on an invisible stool, feet dangling still above the floor.

The hard case for false locks: the feet are low-ish and, for seconds on end, still, so they look like planted feet
to a detector that knows only height and speed, yet they never touch the floor. Any lock is a false one.

Built in the Y-up world of :mod:`core.demo_data.walking` (floor y = 0, the same camera 1.5 m up, pitched 12
degrees down) and moved to the camera frame with its helpers:

* thighs about horizontal (hip flexion 80-95 deg), knees bent 70-100 deg, ankles plantar-flexed 15-35 deg (relaxed,
  toes down), all per seed; the legs keep those angles but for a slow sway of about half a degree;
* one slow swing of the lower legs (both at once, in opposite phase, 0.6-0.9 Hz, knee amplitude 8-15 deg, eased
  in and out over 1.2-1.6 s) every 5-6 s; between swings the feet are near-still for several seconds;
* the upper body moves a little (arms, spine, a slow pelvis sway of a degree or two);
* the pelvis is raised so that the lowest foot point (heel, big or small toe; skinned with the pose correctives,
  as smplx places them) is ``clearance_m`` above the floor at its lowest over the take, 0.15-0.25 m per seed; the
  swings lift it by at most a few centimetres, so on every frame it lies 0.15-0.35 m above the floor;
* no contacts.
"""
from __future__ import annotations

import numpy as np

from ..body.model import BodyModel
from ..body.posing import pose_skeleton, skin_vertices
from ..rotations import axis_angle_to_matrix
from .walking import (
    _ANKLES,
    _FOOT_IDS,
    _HIPS,
    _KNEES,
    FPS,
    GroundTruthTake,
    _aa,
    _sequence,
    _upper_body,
    contactless_take,
    to_camera_frame,
)

#: per-seed ranges (degrees, metres, seconds, hertz) of the seated pose and its swings
HIP_FLEXION_DEG = (80.0, 95.0)
KNEE_FLEXION_DEG = (70.0, 100.0)
PLANTAR_FLEXION_DEG = (15.0, 35.0)
CLEARANCE_M = (0.15, 0.25)
SWING_KNEE_DEG = (8.0, 15.0)
SWING_HZ = (0.6, 0.9)
SWING_S = (1.2, 1.6)
SWING_PERIOD_S = (5.0, 6.0)


def swing_envelope(t_s: np.ndarray, first_centre_s: float, period_s: float, duration_s: float) -> np.ndarray:
    """(T,) in [0, 1]: raised-cosine bumps ``duration_s`` long centred every ``period_s`` from ``first_centre_s``;
    0 between them (the still stretches)."""
    phase = (t_s - first_centre_s + 0.5 * period_s) % period_s - 0.5 * period_s  # time from the nearest centre
    inside = np.abs(phase) < 0.5 * duration_s
    return np.where(inside, 0.5 + 0.5 * np.cos(2.0 * np.pi * phase / duration_s), 0.0)


def lowest_foot_height(model: BodyModel, seq_world) -> np.ndarray:
    """(T,) the lowest heel / big-toe / small-toe point's height (world y) of a take posed in the world frame."""
    skel = pose_skeleton(seq_world, model)
    pts = skin_vertices(model, seq_world, skel, _FOOT_IDS.reshape(-1), pose_correctives=True)  # (T, 6, 3)
    return pts[..., 1].min(axis=1)


def make_seated_truth(model: BodyModel, num_frames: int = 150, seed: int = 0) -> GroundTruthTake:
    """A seated person with dangling, mostly still feet; no contacts (see the module docstring).

    Args:
        model: the body model (its rest joints and foot vertices set the seat height).
        num_frames: T, at 30 fps.
        seed: the identity (betas, drawn as in the other takes), the pose, the clearance and the swings.
    Returns:
        :class:`GroundTruthTake` with ``contact`` all False; its sequence's extras hold the floor plane and the
        contacts.
    """
    rng = np.random.default_rng(seed)
    betas = np.clip(rng.normal(0.0, 0.5, 10), -1.5, 1.5)
    joints = model.rest_joints(betas)
    hip = -np.radians(rng.uniform(*HIP_FLEXION_DEG))  # flexion is a negative turn about x
    knee = np.radians(rng.uniform(*KNEE_FLEXION_DEG))
    plantar = np.radians(rng.uniform(*PLANTAR_FLEXION_DEG))  # toes down: a positive turn about x
    clearance = rng.uniform(*CLEARANCE_M)
    amplitude = np.radians(rng.uniform(*SWING_KNEE_DEG))
    freq = rng.uniform(*SWING_HZ)
    duration = rng.uniform(*SWING_S)
    period = rng.uniform(*SWING_PERIOD_S)
    centre = rng.uniform(0.5 * duration + 0.3, 0.5 * duration + 0.7)
    yaw0 = np.radians(rng.uniform(10.0, 40.0))
    phases = rng.uniform(0.0, 2.0 * np.pi, 4)

    t = np.arange(num_frames) / FPS
    envelope = swing_envelope(t, centre, period, duration)
    body = np.zeros((num_frames, 21, 3))
    for f, sign in ((0, 1.0), (1, -1.0)):
        sway = np.radians(0.5) * np.sin(2.0 * np.pi * 0.13 * t + phases[f])  # near-still, never frozen
        swing = sign * amplitude * envelope * np.sin(2.0 * np.pi * freq * t + phases[2])
        body[:, _HIPS[f] - 1] = _aa("x", hip + 0.2 * swing + 0.3 * sway)
        body[:, _KNEES[f] - 1] = _aa("x", knee + swing + sway)
        body[:, _ANKLES[f] - 1] = _aa("x", plantar - 0.2 * swing + 0.5 * sway)  # the relaxed foot lags a little
    _upper_body(body, 0.4 * np.sin(2.0 * np.pi * 0.2 * t + phases[3]))
    body[:, 2] += _aa("x", np.radians(3.0) * np.sin(2.0 * np.pi * 0.1 * t))  # spine1: a slow lean

    yaw = yaw0 + np.radians(1.5) * np.sin(2.0 * np.pi * 0.07 * t + phases[3])
    pitch = np.radians(1.0) * np.sin(2.0 * np.pi * 0.11 * t + phases[0])
    orient_world = axis_angle_to_matrix(_aa("y", yaw)) @ axis_angle_to_matrix(_aa("x", pitch))
    root = np.stack([-0.3 + 0.01 * np.sin(2.0 * np.pi * 0.1 * t), np.zeros(num_frames),
                     np.full(num_frames, -4.6)], axis=1)
    world = np.concatenate([np.eye(3), np.zeros((3, 1))], axis=1)  # pose in the world frame to find the feet
    orient, transl = to_camera_frame(orient_world, root, joints[0], world)
    lowest = lowest_foot_height(model, _sequence(orient, transl, body, betas, "seated (world)"))
    root[:, 1] = clearance - lowest.min()  # the seat (pelvis) height: fixed, the feet hang below it
    return contactless_take(orient_world, root, joints[0], body, betas, "core.demo_data.seated (seated)")


__all__ = ["make_seated_truth", "swing_envelope", "lowest_foot_height"]
