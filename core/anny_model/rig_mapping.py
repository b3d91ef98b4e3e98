"""From the MakeHuman default rig (163 bones) to SMPL-X's 55 joints.

Joint positions. Every SMPL-X joint sits where the MakeHuman bone it stands for has its head, which MakeHuman
places at the centroid of a "joint cube" (a small helper box of 8 vertices that every shape target moves along with
the body). The spine is matched by height, not by name: MakeHuman has five spine bones, SMPL-X three plus the pelvis.

==================  ============================  ===========================================================
SMPL-X joint        position (joint cube)         MakeHuman bones whose skinning weights it takes
==================  ============================  ===========================================================
pelvis              joint-pelvis                  root, spine05, spine04, pelvis.L/R
spine1              joint-spine-3                 spine03
spine2              joint-spine-2                 spine02, breast.L/R
spine3              joint-spine-1                 spine01
neck                joint-neck                    neck01, neck02, neck03
head                joint-head                    head and the facial bones under it (brows, lids, cheeks,
                                                  upper lip, mouth corners)
jaw                 joint-mouth                   jaw and everything under it (lower lip, tongue)
left/right_eye      joint-l/r-eye                 eye.L/R (eyeball only; eye.L's few eyelid weights go to head)
left/right_collar   joint-l/r-clavicle            clavicle, shoulder01 (the scapula)
left/right_shoulder joint-l/r-shoulder            upperarm01, upperarm02
left/right_elbow    joint-l/r-elbow               lowerarm01, lowerarm02
left/right_wrist    joint-l/r-hand                wrist, metacarpal1..4
<side>_thumb1..3    joint-?-finger-1-1..3         finger1-1..3
<side>_index1..3    joint-?-finger-2-1..3         finger2-1..3  (middle: finger3, ring: finger4, pinky: finger5)
left/right_hip      joint-l/r-upper-leg           upperleg01, upperleg02
left/right_knee     joint-l/r-knee                lowerleg01, lowerleg02
left/right_ankle    joint-l/r-ankle               foot
left/right_foot     mean of joint-?-toe-1..5-1    all toe bones
==================  ============================  ===========================================================

Any bone not listed takes the joint of its nearest listed ancestor.
"""
from __future__ import annotations

import numpy as np

from ..body.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS
from .assets import AnnyAssets, BaseMesh

DIGITS_MH: dict[str, int] = {"thumb": 1, "index": 2, "middle": 3, "ring": 4, "pinky": 5}
_SIDES = (("left", "l", "L"), ("right", "r", "R"))


def joint_cubes() -> dict[str, tuple[str, ...]]:
    """SMPL-X joint name -> the joint-cube groups whose (mean) centroid is the joint."""
    out: dict[str, tuple[str, ...]] = {
        "pelvis": ("joint-pelvis",), "spine1": ("joint-spine-3",), "spine2": ("joint-spine-2",),
        "spine3": ("joint-spine-1",), "neck": ("joint-neck",), "head": ("joint-head",), "jaw": ("joint-mouth",),
        "left_eye_smplhf": ("joint-l-eye",), "right_eye_smplhf": ("joint-r-eye",),
    }
    for side, s, _ in _SIDES:
        out[f"{side}_collar"] = (f"joint-{s}-clavicle",)
        out[f"{side}_shoulder"] = (f"joint-{s}-shoulder",)
        out[f"{side}_elbow"] = (f"joint-{s}-elbow",)
        out[f"{side}_wrist"] = (f"joint-{s}-hand",)
        out[f"{side}_hip"] = (f"joint-{s}-upper-leg",)
        out[f"{side}_knee"] = (f"joint-{s}-knee",)
        out[f"{side}_ankle"] = (f"joint-{s}-ankle",)
        out[f"{side}_foot"] = tuple(f"joint-{s}-toe-{k}-1" for k in range(1, 6))
        for digit, k in DIGITS_MH.items():
            for j in (1, 2, 3):
                out[f"{side}_{digit}{j}"] = (f"joint-{s}-finger-{k}-{j}",)
    assert set(out) == set(JOINT_NAMES)
    return out


def tip_cubes() -> dict[str, str]:
    """``"left_index"`` ... -> the joint cube at that digit's tip (MakeHuman's finger-k-4)."""
    return {f"{side}_{digit}": f"joint-{s}-finger-{k}-4" for side, s, _ in _SIDES for digit, k in DIGITS_MH.items()}


def explicit_bone_map() -> dict[str, str]:
    """MakeHuman bone name -> SMPL-X joint name, for the bones named in the module table."""
    out = {"root": "pelvis", "spine05": "pelvis", "spine04": "pelvis", "spine03": "spine1", "spine02": "spine2",
           "breast.L": "spine2", "breast.R": "spine2", "spine01": "spine3", "neck01": "neck", "neck02": "neck",
           "neck03": "neck", "head": "head", "jaw": "jaw"}
    for side, _, S in _SIDES:
        out.update({
            f"pelvis.{S}": "pelvis", f"eye.{S}": f"{side}_eye_smplhf",
            f"clavicle.{S}": f"{side}_collar", f"shoulder01.{S}": f"{side}_collar",
            f"upperarm01.{S}": f"{side}_shoulder", f"upperarm02.{S}": f"{side}_shoulder",
            f"lowerarm01.{S}": f"{side}_elbow", f"lowerarm02.{S}": f"{side}_elbow",
            f"wrist.{S}": f"{side}_wrist", f"upperleg01.{S}": f"{side}_hip", f"upperleg02.{S}": f"{side}_hip",
            f"lowerleg01.{S}": f"{side}_knee", f"lowerleg02.{S}": f"{side}_knee", f"foot.{S}": f"{side}_ankle",
        })
        for k in range(1, 5):
            out[f"metacarpal{k}.{S}"] = f"{side}_wrist"
        for digit, k in DIGITS_MH.items():
            for j in (1, 2, 3):
                out[f"finger{k}-{j}.{S}"] = f"{side}_{digit}{j}"
        for k in range(1, 6):
            for j in (1, 2, 3):
                out[f"toe{k}-{j}.{S}"] = f"{side}_foot"
    return out


def bone_to_joint(assets: AnnyAssets) -> dict[str, str]:
    """Every MakeHuman bone -> its SMPL-X joint (explicit table, else the nearest mapped ancestor)."""
    table = explicit_bone_map()
    missing = [b for b in table if b not in assets.bones and not b.startswith("toe")]
    if missing:
        raise ValueError(f"the rig lacks bones {missing}")
    out = {}
    for name in assets.bones:
        b = name
        while b not in table:
            b = assets.bones[b].parent
            if not b:
                raise ValueError(f"bone {name} has no mapped ancestor")
        out[name] = table[b]
    return out


def cube_centroids(mesh: BaseMesh, vertices: np.ndarray) -> dict[str, np.ndarray]:
    """Centroid (3,) of every ``joint-*`` group for the given vertex positions (N, 3)."""
    return {g: vertices[mesh.group_vertices(g)].mean(axis=0) for g in mesh.groups if g.startswith("joint-")}


def joint_operator(mesh: BaseMesh) -> np.ndarray:
    """(55, N) float64 averaging operator: ``op @ vertices`` gives the 55 joints (the cube centroids).

    Linear in the vertices, so it applies to shape-target offsets as well.
    """
    n = mesh.vertices.shape[0]
    op = np.zeros((NUM_JOINTS, n))
    for name, cubes in joint_cubes().items():
        for g in cubes:
            idx = mesh.group_vertices(g)
            op[JOINT_INDEX[name], idx] += 1.0 / (idx.size * len(cubes))
    return op


def tip_operator(mesh: BaseMesh) -> tuple[list[str], np.ndarray]:
    """Digit names (10,) and a (10, N) averaging operator giving the fingertip joint cubes."""
    tips = tip_cubes()
    names = sorted(tips)
    op = np.zeros((len(names), mesh.vertices.shape[0]))
    for i, name in enumerate(names):
        idx = mesh.group_vertices(tips[name])
        op[i, idx] = 1.0 / idx.size
    return names, op


def merged_weights(assets: AnnyAssets, vertex_ids: np.ndarray) -> np.ndarray:
    """(len(vertex_ids), 55) skinning weights merged by :func:`bone_to_joint`, rows normalised to sum 1.

    Body vertices that the eye bones touch (a few eyelid vertices) are given to the head instead, so that the eye
    joints move the eyeballs only, as in SMPL-X.
    """
    n = assets.mesh.vertices.shape[0]
    mapping = bone_to_joint(assets)
    full = np.zeros((n, NUM_JOINTS))
    for bone in sorted(assets.weights):
        idx, w = assets.weights[bone]
        np.add.at(full[:, JOINT_INDEX[mapping[bone]]], idx, w)
    eyeballs = np.zeros(n, dtype=bool)
    for g in ("helper-l-eye", "helper-r-eye"):
        eyeballs[assets.mesh.group_vertices(g)] = True
    head = JOINT_INDEX["head"]
    for eye in ("left_eye_smplhf", "right_eye_smplhf"):
        j = JOINT_INDEX[eye]
        moved = ~eyeballs & (full[:, j] > 0)
        full[moved, head] += full[moved, j]
        full[moved, j] = 0.0
    w = full[vertex_ids]
    sums = w.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise ValueError("some vertices carry no skinning weight")
    return w / sums
