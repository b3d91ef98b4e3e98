"""Ground truth for grounding: a walk whose feet are planted on a known floor, and a take that never touches it.

Both are built in a Y-up world (SMPL-X's own frame; the floor is y = 0) and then seen by a camera 1.5 m above the
floor, pitched 12 degrees down, so the floor's normal in the camera frame is tilted away from (0, -1, 0).

**Walk** (:func:`make_walking_truth`): the pelvis moves at constant speed along its facing direction (yaw only,
with a small vertical bob); each foot alternates a stance phase, in which its ankle sits still on a footprint
with the foot flat (orientation = the pelvis' yaw, so its lowest heel/toe point rests exactly on the floor), and
a swing phase, in which the ankle travels to the next footprint on a smoothstep along the ground and a sine arc
up, the foot pitched toes-up mid-swing. Stances alternate without double support, so the contact labels are
exact: a foot is in contact exactly in its stance frames. The legs reach their ankle targets with a planar
two-link solution in the pelvis' sagittal plane (hip and knee flexion about x), written out here in closed form
(independent of :mod:`core.grounding.two_bone_ik`); the ankle's local rotation then sets the foot orientation.

**Floating** (:func:`make_floating_truth`): the same person hanging in the air 0.4 m or more above the floor,
bobbing and kicking, the feet never still and never on the floor: any lock there is a false one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..body.model import BodyModel
from ..body.skeleton import JOINT_INDEX, SMPLX_EXTRA_VERTEX_IDS
from ..contracts.fused_file import FusedSequence
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .camera import intrinsics

FPS = 30.0
IMAGE_SIZE = (1280, 720)
FOCAL_PX = 1100.0
CAMERA_HEIGHT_M = 1.5
CAMERA_PITCH_DEG = 12.0
_HIPS = (JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"])
_KNEES = (JOINT_INDEX["left_knee"], JOINT_INDEX["right_knee"])
_ANKLES = (JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"])
_FOOT_IDS = np.array([[SMPLX_EXTRA_VERTEX_IDS[f"{s}{p}"] for p in ("Heel", "BigToe", "SmallToe")]
                      for s in ("L", "R")])


@dataclass
class GroundTruthTake:
    """A ground-truth take for grounding, camera frame.

    Attributes:
        sequence: schema-v1 take with extras ``ground_plane`` (4,) and ``foot_contact`` (T, 2) bool.
        contact: (T, 2) bool, left and right foot on the floor.
        plane: (4,) (n, d), n . x + d = 0, n up, camera frame.
        world_to_camera: (3, 4) [R | t], x_cam = R x_world + t.
    """

    sequence: FusedSequence
    contact: np.ndarray
    plane: np.ndarray
    world_to_camera: np.ndarray


def _rx(angle: np.ndarray) -> np.ndarray:
    """(T,) angles -> (T, 3, 3) rotations about x."""
    a = np.asarray(angle, dtype=np.float64)
    return axis_angle_to_matrix(np.stack([a, np.zeros_like(a), np.zeros_like(a)], axis=-1))


def _aa(axis: str, angle: np.ndarray) -> np.ndarray:
    out = np.zeros((np.asarray(angle).shape[0], 3))
    out[:, "xyz".index(axis)] = angle
    return out


def camera_pose(height_m: float = CAMERA_HEIGHT_M, pitch_deg: float = CAMERA_PITCH_DEG) -> np.ndarray:
    """(3, 4) world (Y up) to camera (OpenCV) [R | t] for a camera at (0, height, 0) looking along -z, pitched
    down by ``pitch_deg``."""
    b = np.radians(pitch_deg)
    rows = np.array([[1.0, 0.0, 0.0],
                     [0.0, -np.cos(b), np.sin(b)],      # down
                     [0.0, -np.sin(b), -np.cos(b)]])    # forward
    centre = np.array([0.0, height_m, 0.0])
    return np.concatenate([rows, (-rows @ centre)[:, None]], axis=1)


def floor_plane_camera(world_to_camera: np.ndarray) -> np.ndarray:
    """(4,) the world floor y = 0 (normal +y) as (n, d) in the camera frame."""
    r, t = world_to_camera[:, :3], world_to_camera[:, 3]
    n = r @ np.array([0.0, 1.0, 0.0])
    return np.concatenate([n, [-float(n @ t)]])


def to_camera_frame(world_orient: np.ndarray, root_world: np.ndarray, pelvis_rest: np.ndarray,
                    world_to_camera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World-frame root rotation (T, 3, 3) and root joint position (T, 3) -> camera-frame ``global_orient``
    (T, 3) axis-angle and ``transl`` (T, 3) (smplx turns the body about the rest pelvis ``pelvis_rest``)."""
    r, t = world_to_camera[:, :3], world_to_camera[:, 3]
    orient = matrix_to_axis_angle(r @ world_orient)
    transl = root_world @ r.T + t - pelvis_rest
    return orient, transl


def _planar_leg(target_yz: np.ndarray, thigh_yz: np.ndarray, shin_yz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hip and knee flexion (rotations about x) that put the ankle at ``target_yz`` (T, 2) from the hip, in the
    pelvis' sagittal (y, z) plane; the knee bends the anatomical way (positive angle). Raises if out of reach."""
    p = float(thigh_yz @ shin_yz)
    q = float(thigh_yz[1] * shin_yz[0] - thigh_yz[0] * shin_yz[1])
    r, phi = np.hypot(p, q), np.arctan2(q, p)
    want = 0.5 * (np.sum(target_yz ** 2, axis=1) - thigh_yz @ thigh_yz - shin_yz @ shin_yz)
    if np.any(np.abs(want / r) > 1.0):
        raise ValueError("walking take: a footprint is out of the leg's reach")
    knee = phi + np.arccos(want / r)
    c, s = np.cos(knee), np.sin(knee)
    w = np.stack([thigh_yz[0] + shin_yz[0] * c - shin_yz[1] * s, thigh_yz[1] + shin_yz[0] * s + shin_yz[1] * c], 1)
    hip = np.arctan2(target_yz[:, 1], target_yz[:, 0]) - np.arctan2(w[:, 1], w[:, 0])
    return (hip + np.pi) % (2 * np.pi) - np.pi, knee


def _upper_body(body: np.ndarray, swing: np.ndarray) -> None:
    """Arms down and swinging against the legs, a little counter-rotation of the spine (in place)."""
    def put(name: str, aa: np.ndarray) -> None:
        body[:, JOINT_INDEX[name] - 1] = aa

    put("left_shoulder", _aa("z", np.full(swing.shape, -1.2)) + _aa("y", 0.3 * swing))
    put("right_shoulder", _aa("z", np.full(swing.shape, 1.2)) + _aa("y", 0.3 * swing))
    put("left_elbow", _aa("y", -0.35 + 0.1 * swing))
    put("right_elbow", _aa("y", 0.35 + 0.1 * swing))
    put("spine2", _aa("y", 0.06 * swing))
    put("spine1", _aa("x", np.full(swing.shape, 0.05)))


def _sequence(global_orient: np.ndarray, transl: np.ndarray, body: np.ndarray, betas: np.ndarray,
              source: str) -> FusedSequence:
    t = global_orient.shape[0]
    return FusedSequence(
        fps=FPS, gender="neutral", model_variant="procedural", betas=betas, expression=np.zeros((t, 10)),
        global_orient=global_orient, body_pose=body, jaw_pose=np.zeros((t, 3)), leye_pose=np.zeros((t, 3)),
        reye_pose=np.zeros((t, 3)), left_hand_pose=np.zeros((t, 15, 3)), right_hand_pose=np.zeros((t, 15, 3)),
        transl=transl, camera_K=intrinsics(FOCAL_PX, IMAGE_SIZE), image_size=np.array(IMAGE_SIZE, dtype=float),
        part_confidence=np.ones((t, 3)), valid=np.ones(t, dtype=bool),
        provenance=json.dumps({"source": source, "note": "synthetic ground truth for grounding; camera frame "
                                                         "OpenCV; floor plane and contacts in the extras"}))


def make_walking_truth(model: BodyModel, num_frames: int = 150, seed: int = 0, speed_mps: float = 0.9,
                       cycle_s: float = 1.1, heading_deg: float = 70.0, lift_m: float = 0.08,
                       start_world: Optional[np.ndarray] = None) -> GroundTruthTake:
    """A straight walk with exact foot contacts (see the module docstring).

    Args:
        model: the body model the take is for (its rest joints and foot vertices shape the gait).
        num_frames: T, at 30 fps.
        seed: the identity (betas) and the starting phase.
        speed_mps: walking speed; ``cycle_s``: one left + right step.
        heading_deg: walking direction, yaw about the world up from the camera's forward axis.
        lift_m: ankle lift at mid-swing.
        start_world: (3,) the pelvis' start on the floor (x, ignored, z); default in view of the camera.
    Returns:
        :class:`GroundTruthTake`.
    """
    rng = np.random.default_rng(seed)
    betas = np.clip(rng.normal(0.0, 0.5, 10), -1.5, 1.5)
    joints = model.rest_joints(betas)
    shaped = model.shaped_vertices(betas)
    yaw = np.radians(heading_deg)
    r_yaw = axis_angle_to_matrix(np.array([0.0, yaw, 0.0]))
    forward, lateral = r_yaw @ np.array([0.0, 0.0, 1.0]), r_yaw @ np.array([1.0, 0.0, 0.0])
    t = (np.arange(num_frames) + rng.uniform(0.0, cycle_s * FPS)) / FPS
    start = np.array([-2.9, 0.0, -6.3]) if start_world is None else np.asarray(start_world, dtype=np.float64)

    hip_rest = joints[list(_HIPS)]
    thigh = joints[list(_KNEES)] - hip_rest  # (2, 3)
    shin = joints[list(_ANKLES)] - joints[list(_KNEES)]
    sole = joints[list(_ANKLES), 1] - shaped[_FOOT_IDS, 1].min(axis=1)  # (2,) ankle height over a flat sole
    reach = np.linalg.norm(thigh[:, 1:] + shin[:, 1:], axis=1).min()
    half_step = speed_mps * cycle_s / 4.0
    # an inverted pendulum: the hip lowest at heel strike (leg nearly straight), highest at mid-stance
    strike = np.sqrt((0.985 * reach) ** 2 - (half_step + 0.02) ** 2)
    bob = min(0.015, 0.5 * (0.985 * reach - strike))
    hip_height = sole.max() + strike + bob + bob * np.cos(4.0 * np.pi * (t / cycle_s - 0.25))
    root_height = hip_height - (hip_rest[0, 1] - joints[0, 1])
    root = start + np.outer(speed_mps * t, forward) + np.outer(root_height, [0.0, 1.0, 0.0])

    body = np.zeros((num_frames, 21, 3))
    contact = np.zeros((num_frames, 2), dtype=bool)
    cycles = t / cycle_s
    for f in range(2):  # 0 left, 1 right: the right foot stands in the first half of each cycle
        offset = 0.5 if f == 0 else 0.0
        u = cycles - offset
        k = np.floor(u)
        frac = u - k
        stance = frac < 0.5
        contact[:, f] = stance
        footprint = lambda n, offset=offset: start + forward * speed_mps * cycle_s * (n + offset + 0.25)  # noqa: E731
        s = np.clip((frac - 0.5) / 0.5, 0.0, 1.0)
        smooth = s * s * (3.0 - 2.0 * s)
        step = forward * speed_mps * cycle_s
        along = footprint(k[:, None]) + np.where(stance, 0.0, smooth)[:, None] * step
        side = lateral * (joints[_ANKLES[f], 0] - joints[0, 0])
        height = sole[f] + np.where(stance, 0.0, lift_m * np.sin(np.pi * s))
        ankle_world = along * np.array([1.0, 0.0, 1.0]) + side + np.outer(height, [0.0, 1.0, 0.0])
        hip_world = root + (r_yaw @ (hip_rest[f] - joints[0]))
        local = (ankle_world - hip_world) @ r_yaw  # pelvis frame
        hip_angle, knee_angle = _planar_leg(local[:, 1:], thigh[f, 1:], shin[f, 1:])
        pitch = np.where(stance, 0.0, -0.2 * np.sin(np.pi * s) ** 2)
        body[:, _HIPS[f] - 1] = _aa("x", hip_angle)
        body[:, _KNEES[f] - 1] = _aa("x", knee_angle)
        body[:, _ANKLES[f] - 1] = _aa("x", pitch - hip_angle - knee_angle)
    _upper_body(body, np.sin(2.0 * np.pi * cycles))
    world_to_camera = camera_pose()
    orient, transl = to_camera_frame(np.broadcast_to(r_yaw, (num_frames, 3, 3)), root, joints[0], world_to_camera)
    plane = floor_plane_camera(world_to_camera)
    seq = _sequence(orient, transl, body, betas, "core.demo_data.walking (walk)")
    seq.extras = {"ground_plane": plane, "foot_contact": contact}
    return GroundTruthTake(seq, contact, plane, world_to_camera)


def make_floating_truth(model: BodyModel, num_frames: int = 150, seed: int = 0) -> GroundTruthTake:
    """A person hanging in the air, feet 0.4 m or more above the floor, bobbing and kicking; no contacts."""
    rng = np.random.default_rng(seed)
    betas = np.clip(rng.normal(0.0, 0.5, 10), -1.5, 1.5)
    joints = model.rest_joints(betas)
    shaped = model.shaped_vertices(betas)
    t = np.arange(num_frames) / FPS
    kick = 2.0 * np.pi * 0.9 * t + rng.uniform(0, 2 * np.pi)
    body = np.zeros((num_frames, 21, 3))
    for f, sign in ((0, 1.0), (1, -1.0)):
        body[:, _HIPS[f] - 1] = _aa("x", -0.35 + 0.4 * sign * np.sin(kick))
        body[:, _KNEES[f] - 1] = _aa("x", 0.6 + 0.4 * sign * np.sin(kick + 1.2))
        body[:, _ANKLES[f] - 1] = _aa("x", 0.25 * sign * np.sin(kick + 0.6))
    _upper_body(body, np.sin(2.0 * np.pi * 0.45 * t))
    yaw = np.radians(25.0) + 0.2 * np.sin(2 * np.pi * 0.15 * t)
    orient_world = axis_angle_to_matrix(_aa("y", yaw))
    lowest_rest = joints[0, 1] - shaped[_FOOT_IDS.ravel(), 1].min()
    height = lowest_rest + 0.45 + 0.1 + 0.08 * np.sin(2 * np.pi * 0.45 * t)
    root = np.stack([-0.3 + 0.3 * np.sin(2 * np.pi * 0.12 * t), height, -5.0 + 0.2 * np.sin(2 * np.pi * 0.1 * t)], 1)
    return contactless_take(orient_world, root, joints[0], body, betas, "core.demo_data.walking (floating)")


def contactless_take(orient_world: np.ndarray, root_world: np.ndarray, pelvis_rest: np.ndarray, body: np.ndarray,
                     betas: np.ndarray, label: str) -> GroundTruthTake:
    """A take that never touches the floor, seen by :func:`camera_pose`: the world pose ((T, 3, 3) root
    orientation, (T, 3) pelvis position, (3,) rest pelvis, (T, 21, 3) body axis-angle, (10,) betas) in the camera
    frame, with the floor plane and all-False contacts in its extras; ``label`` names its maker."""
    world_to_camera = camera_pose()
    orient, transl = to_camera_frame(orient_world, root_world, pelvis_rest, world_to_camera)
    plane = floor_plane_camera(world_to_camera)
    contact = np.zeros((body.shape[0], 2), dtype=bool)
    seq = _sequence(orient, transl, body, betas, label)
    seq.extras = {"ground_plane": plane, "foot_contact": contact}
    return GroundTruthTake(seq, contact, plane, world_to_camera)


__all__ = ["GroundTruthTake", "camera_pose", "floor_plane_camera", "to_camera_frame", "make_walking_truth",
           "make_floating_truth", "contactless_take"]
