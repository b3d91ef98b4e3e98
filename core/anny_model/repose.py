"""From MakeHuman's A-pose to SMPL-X's rest pose (a T-pose with flat hands), by linear blend skinning.

MakeHuman's base mesh stands with its arms about 48 degrees down, the elbows bent forward, the palms facing the
thighs and the fingers relaxed. SMPL-X's rest pose has the arms straight out along +-X, palms down (-Y), the
fingers straight in the palm plane, and every joint frame aligned with the world (Y up, facing +Z, left at +X).

The repose is a set of global joint rotations A_j (55, 3, 3) found on one mesh (the mean body of a gender):

* shoulder: the upper arm onto +-X (a share of the lift goes to the collar, as a real clavicle rises);
* elbow: the forearm onto +-X, plus part of the forearm twist the hand needs (spreading it over the forearm);
* wrist: the hand frame (wrist -> knuckles, index -> pinky knuckle) onto (+-X, +Z), so the palm faces -Y;
* fingers: every phalanx onto one direction in the palm plane (flat and straight), keeping half of each finger's
  sideways splay (MakeHuman's relaxed hand is spread wider than SMPL-X's flat hand);
* thumb: lifted to 20 degrees below the palm plane (half of the lift at the metacarpal, half at the first
  phalanx) and straightened;
* legs: each leg's sideways splay halved about the hip; the feet keep their orientation.

For fixed rotations, skinning is linear in the vertex positions *and* in the joint positions (the joints are
themselves averages of vertices), so the very same map applies to shape-target offsets: a target reposed is the
difference of two reposed bodies. :class:`Repose` is that linear map.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.skeleton import JOINT_INDEX, NUM_JOINTS, PARENTS
from ..rotations import rodrigues_axis_angle, rodrigues_matrix

FINGERS = ("index", "middle", "ring", "pinky")
#: Share of the arm lift given to the collar bone.
COLLAR_SHARE = 0.15
#: Share of the forearm twist (about the forearm axis) given to the elbow rather than the wrist.
ELBOW_TWIST_SHARE = 0.5
#: Fraction of each leg's sideways splay that is kept.
LEG_SPLAY_KEPT = 0.5
#: Fraction of each finger's sideways splay (its heading relative to the hand axis, in the palm plane) kept.
FINGER_SPLAY_KEPT = 0.5
#: Elevation (degrees, below the palm plane) of the flat thumb's phalanges; the metacarpal takes half of the lift.
THUMB_ELEVATION_DEG = -20.0


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) smallest rotation taking direction ``a`` (3,) onto direction ``b`` (3,)."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis)
    c = float(np.clip(a @ b, -1.0, 1.0))
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        raise ValueError("opposite directions: the rotation is not unique")
    return rodrigues_matrix(axis / s * np.arctan2(s, c))


def twist_angle(R: np.ndarray, axis: np.ndarray) -> float:
    """Signed angle of the twist part of ``R`` (3, 3) about the unit ``axis`` (swing-twist decomposition)."""
    aa = rodrigues_axis_angle(R)
    theta = np.linalg.norm(aa)
    if theta < 1e-12:
        return 0.0
    # quaternion (w, v) of R; the twist is (w, (v . axis) axis) normalised
    w = np.cos(theta / 2.0)
    v = aa / theta * np.sin(theta / 2.0)
    return float(2.0 * np.arctan2(v @ axis, w))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def hand_frame(joints: np.ndarray, side: str) -> np.ndarray:
    """(3, 3) columns: wrist -> mean knuckle, index -> pinky knuckle made orthogonal, and their cross product."""
    J = {n: joints[i] for n, i in JOINT_INDEX.items()}
    knuckles = np.mean([J[f"{side}_{f}1"] for f in FINGERS], axis=0)
    e1 = _unit(knuckles - J[f"{side}_wrist"])
    e2 = J[f"{side}_index1"] - J[f"{side}_pinky1"]
    e2 = _unit(e2 - (e2 @ e1) * e1)
    return np.column_stack([e1, e2, np.cross(e1, e2)])


def tpose_rotations(joints: np.ndarray, tips: dict[str, np.ndarray]) -> np.ndarray:
    """(55, 3, 3) global rotations taking the A-posed skeleton ``joints`` (55, 3) to SMPL-X's rest pose.

    ``tips`` maps ``"left_index"`` ... to the (3,) fingertip positions (the ends of the third phalanges).
    """
    J = {n: joints[i] for n, i in JOINT_INDEX.items()}
    A = np.tile(np.eye(3), (NUM_JOINTS, 1, 1))

    def put(name: str, R: np.ndarray) -> None:
        A[JOINT_INDEX[name]] = R

    for side, s in (("left", 1.0), ("right", -1.0)):
        out = np.array([s, 0.0, 0.0])
        # arm lift: part at the collar, the rest at the shoulder, so that the upper arm ends on +-X
        upper = J[f"{side}_elbow"] - J[f"{side}_shoulder"]
        lift = rotation_between(upper, out)
        lift_aa = rodrigues_axis_angle(lift)
        put(f"{side}_collar", rodrigues_matrix(COLLAR_SHARE * lift_aa))
        put(f"{side}_shoulder", lift)
        # straighten the elbow
        fore = lift @ (J[f"{side}_wrist"] - J[f"{side}_elbow"])
        elbow = rotation_between(fore, out) @ lift
        # the hand frame onto (+-X, +Z, ...): palm down
        target = np.column_stack([out, [0.0, 0.0, 1.0], np.cross(out, [0.0, 0.0, 1.0])])
        wrist = target @ hand_frame(joints, side).T
        tau = twist_angle(wrist @ elbow.T, out)
        elbow = rodrigues_matrix(out * ELBOW_TWIST_SHARE * tau) @ elbow
        put(f"{side}_elbow", elbow)
        put(f"{side}_wrist", wrist)
        # fingers flat in the palm plane, keeping their splay
        for digit in FINGERS:
            names = [f"{side}_{digit}{k}" for k in (1, 2, 3)]
            points = [J[n] for n in names] + [tips[f"{side}_{digit}"]]
            direction = wrist @ (points[1] - points[0])
            heading = FINGER_SPLAY_KEPT * np.arctan2(direction[2], s * direction[0])
            direction = np.array([s * np.cos(heading), 0.0, np.sin(heading)])
            parent = wrist
            for k, name in enumerate(names):
                R = rotation_between(parent @ (points[k + 1] - points[k]), direction) @ parent
                put(name, R)
                parent = R
        # thumb: lift it towards the palm plane (half at the metacarpal), straighten the phalanges
        names = [f"{side}_thumb{k}" for k in (1, 2, 3)]
        points = [J[n] for n in names] + [tips[f"{side}_thumb"]]
        current = _unit(wrist @ (points[1] - points[0]))
        horizontal = _unit(np.array([current[0], 0.0, current[2]]))
        elevation = np.deg2rad(THUMB_ELEVATION_DEG)
        direction = np.cos(elevation) * horizontal + np.array([0.0, np.sin(elevation), 0.0])
        half = rodrigues_matrix(0.5 * rodrigues_axis_angle(rotation_between(current, direction)))
        parent = half @ wrist
        put(names[0], parent)
        for k in (1, 2):
            R = rotation_between(parent @ (points[k + 1] - points[k]), direction) @ parent
            put(names[k], R)
            parent = R
        # legs: halve the sideways splay about the hip, keep the feet as they were
        leg = J[f"{side}_ankle"] - J[f"{side}_hip"]
        narrowed = leg.copy()
        narrowed[0] *= LEG_SPLAY_KEPT
        hip = rotation_between(leg, narrowed)
        put(f"{side}_hip", hip)
        put(f"{side}_knee", hip)
    return A


@dataclass(frozen=True)
class Repose:
    """The linear map from A-posed to T-posed vertices for fixed global rotations.

    Attributes:
        rotations: (55, 3, 3) global rotation A_j of every joint.
        weights: (V, 55) skinning weights of the vertices it moves.
        joint_op: (55, N) operator giving the joints from a full MakeHuman vertex array (N, 3).
        vertex_ids: (V,) the full-array ids of the vertices it moves.
    """

    rotations: np.ndarray
    weights: np.ndarray
    joint_op: np.ndarray
    vertex_ids: np.ndarray

    def posed_joints(self, joints: np.ndarray) -> np.ndarray:
        """Forward kinematics: rest joints (..., 55, 3) -> posed joints (..., 55, 3)."""
        out = np.empty_like(joints)
        out[..., 0, :] = joints[..., 0, :]
        for j in range(1, NUM_JOINTS):
            p = PARENTS[j]
            out[..., j, :] = out[..., p, :] + (joints[..., j, :] - joints[..., p, :]) @ self.rotations[p].T
        return out

    def apply(self, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Repose full MakeHuman vertex arrays (or offsets) (..., N, 3).

        Returns the moved model vertices (..., V, 3) and the T-posed joints (..., 55, 3).
        """
        joints = np.einsum("jn,...nc->...jc", self.joint_op, full)
        return self.apply_parts(joints, full[..., self.vertex_ids, :])

    def apply_parts(self, joints: np.ndarray, verts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Repose given A-pose joints (..., 55, 3) and model vertices (..., V, 3) (or offsets of both).

        Returns the T-posed vertices (..., V, 3) and joints (..., 55, 3).
        """
        posed = self.posed_joints(joints)
        # per joint: x -> A_j x + (J'_j - A_j J_j), blended by the skinning weights
        shift = posed - np.einsum("jab,...jb->...ja", self.rotations, joints)
        blended = np.einsum("vj,jab->vab", self.weights, self.rotations)
        moved = np.matmul(self.weights, shift)
        for a in range(3):
            for b in range(3):
                moved[..., a] += blended[:, a, b] * verts[..., b]
        return moved, posed
