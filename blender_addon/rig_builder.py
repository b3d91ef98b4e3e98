"""The armature: one bone per SMPL-X joint (smplx names), quaternion rotation, rests from the betas."""
from __future__ import annotations

import bpy
import numpy as np

from .axes import model_to_blender
from .core.skeleton import JOINT_INDEX, JOINT_NAMES, PARENTS

# joints whose bone points at one particular child rather than the only one
_PRIMARY_CHILD = {"pelvis": "spine1", "spine3": "neck", "left_wrist": "left_middle1",
                  "right_wrist": "right_middle1"}
# leaves and the head: a fixed direction in Blender's rest frame (Z up, front is -Y) and length in metres
_FIXED_DIRECTION = {"head": ((0.0, 0.0, 1.0), 0.18), "jaw": ((0.0, -0.8, -0.6), 0.08),
                    "left_eye_smplhf": ((0.0, -1.0, 0.0), 0.025), "right_eye_smplhf": ((0.0, -1.0, 0.0), 0.025),
                    "left_foot": ((0.0, -1.0, 0.0), 0.08), "right_foot": ((0.0, -1.0, 0.0), 0.08)}


def bone_tails(heads_bl: np.ndarray) -> np.ndarray:
    """(55, 3) bone heads in the Blender rest frame -> (55, 3) tails pointing along each limb."""
    tails = np.zeros_like(heads_bl)
    for j, name in enumerate(JOINT_NAMES):
        if name in _FIXED_DIRECTION:
            direction, length = _FIXED_DIRECTION[name]
            tails[j] = heads_bl[j] + length * np.asarray(direction)
            continue
        children = [int(c) for c in np.nonzero(PARENTS == j)[0]]
        if name in _PRIMARY_CHILD:
            children = [JOINT_INDEX[_PRIMARY_CHILD[name]]]
        if children:
            tails[j] = heads_bl[children[0]]
        else:  # finger tips: continue the parent bone's direction
            along = heads_bl[j] - heads_bl[PARENTS[j]]
            tails[j] = heads_bl[j] + 0.8 * along
        if np.linalg.norm(tails[j] - heads_bl[j]) < 1e-3:
            tails[j] = heads_bl[j] + np.array([0.0, 0.0, 0.01])
    return tails


def build_armature(context: bpy.types.Context, name: str, rest_joints_model: np.ndarray,
                   collection: bpy.types.Collection) -> tuple[bpy.types.Object, np.ndarray]:
    """Create the armature object.

    Args:
        rest_joints_model: (55, 3) joints from the betas, SMPL-X model frame.
    Returns:
        The armature object and (55, 3, 3) rotations of each bone's ``matrix_local`` (armature space).
    """
    arm_data = bpy.data.armatures.new(name)
    arm_obj = bpy.data.objects.new(name, arm_data)
    collection.objects.link(arm_obj)
    arm_data.display_type = "OCTAHEDRAL"
    arm_obj.show_in_front = True

    heads = model_to_blender(rest_joints_model)
    tails = bone_tails(heads)
    view_layer = context.view_layer
    previous_active = view_layer.objects.active
    view_layer.objects.active = arm_obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        edit_bones = arm_data.edit_bones
        created = []
        for j, bone_name in enumerate(JOINT_NAMES):
            eb = edit_bones.new(bone_name)
            eb.head = heads[j]
            eb.tail = tails[j]
            eb.roll = 0.0
            eb.use_connect = False
            created.append(eb)
        for j, eb in enumerate(created):
            if PARENTS[j] >= 0:
                eb.parent = created[PARENTS[j]]
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = previous_active

    for pb in arm_obj.pose.bones:
        pb.rotation_mode = "QUATERNION"
    matrices = np.empty(len(JOINT_NAMES) * 16, dtype=np.float32)
    arm_data.bones.foreach_get("matrix_local", matrices)
    # foreach_get flattens each 4x4 column-major
    mats = matrices.reshape(-1, 4, 4).transpose(0, 2, 1).astype(np.float64)
    order = [arm_data.bones.find(n) for n in JOINT_NAMES]
    rest_rot = mats[order, :3, :3]
    # re-orthonormalise the float32 rotations
    u, _, vt = np.linalg.svd(rest_rot)
    return arm_obj, u @ vt
