"""The armature: one bone per SMPL-X joint (smplx names), quaternion rotation, rests from the betas; the tails
from :func:`..common.bones.bone_tails`."""
from __future__ import annotations

import bpy
import numpy as np

from ..common.axes import model_to_blender
from ..common.bones import bone_tails
from ..core.body.skeleton import JOINT_NAMES, PARENTS

__all__ = ["build_armature"]


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
