"""The 52 ARKit curves on the avatar: shape keys named as ARKit names them, animated on the mesh's Key action, and
the face view that chooses between them and the SMPL-X expression.

:class:`ArkitEdits` records what adding them and switching the view change in existing data (key blocks, mutes,
ARKit F-curves in the import's action, the jaw), so a failed export can put it back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import bpy
import numpy as np

from ..common import animation, compat
from ..common.animation import FIRST_FRAME, channelbag_of
from ..common.avatar import avatar_meshes
from ..common.axes import model_to_blender
from ..core.fusion.expression.arkit import ARKIT_NAMES

__all__ = ["JAW_BONE", "FACE_VIEW_PROPERTY", "ARKIT_SCALE_PROPERTY", "add_arkit_shape_keys", "set_face_view",
           "ArkitEdits"]

JAW_BONE = "jaw"
#: On the armature: what the face shows, ``SMPLX`` or ``ARKIT`` (:func:`set_face_view`).
FACE_VIEW_PROPERTY = "smplx_fusion_face_view"
#: On the armature: the expression intensity the ARKit curves were made at.
ARKIT_SCALE_PROPERTY = "smplx_fusion_arkit_scale"
_ARKIT_PATHS = frozenset(f'key_blocks["{name}"].value' for name in ARKIT_NAMES)
_JAW_ROTATION = f'pose.bones["{JAW_BONE}"].rotation_quaternion'


def add_arkit_shape_keys(mesh_obj: bpy.types.Object, dirs_model: np.ndarray, curves: np.ndarray,
                         first_frame: int = FIRST_FRAME) -> list[bpy.types.ShapeKey]:
    """52 shape keys named as ARKit names them, from (V, 3, 52) model-frame directions, animated by (T, 52) curves
    on the mesh's existing Key action slot (replaced when they exist). Sliders 0..1, ARKit's range."""
    if mesh_obj.data.shape_keys is None:
        mesh_obj.shape_key_add(name="Basis", from_mix=False)
    key = mesh_obj.data.shape_keys
    basis = np.empty(len(mesh_obj.data.vertices) * 3, dtype=np.float32)
    key.key_blocks[0].points.foreach_get("co", basis)
    offsets = model_to_blender(np.moveaxis(dirs_model, 2, 0)).astype(np.float32)  # (52, V, 3)
    blocks = []
    for k, name in enumerate(ARKIT_NAMES):
        kb = key.key_blocks.get(name) or mesh_obj.shape_key_add(name=name, from_mix=False)
        kb.slider_min, kb.slider_max = 0.0, 1.0
        kb.points.foreach_set("co", basis + offsets[k].ravel())
        blocks.append(kb)
    adt = key.animation_data
    if adt is None or adt.action is None or adt.action_slot is None:
        action = bpy.data.actions.new(f"{mesh_obj.name}-ARKit")
        slot = animation.new_slot(action, "KEY", key.name)
        animation.assign_action(key, action, slot)
    else:
        action, slot = adt.action, adt.action_slot
    cb = animation.slot_channelbag(action, slot, ensure=True)
    for fc in [fc for fc in cb.fcurves if fc.data_path in _ARKIT_PATHS]:
        cb.fcurves.remove(fc)
    frames = first_frame + np.arange(curves.shape[0], dtype=np.float32)
    animation.write_fcurves(action, slot, [(f'key_blocks["{name}"].value', 0, "ARKit") for name in ARKIT_NAMES],
                            frames, curves)
    return blocks


def set_face_view(arm_obj: bpy.types.Object, view: str) -> None:
    """``"SMPLX"``: the face shows SMPL-X expression and the jaw bone, ARKit keys muted; ``"ARKIT"``: the ARKit keys
    drive the face, the ``Exp###`` keys and the jaw bone's rotation are muted (ARKit's jawOpen is a shape)."""
    arkit = view == "ARKIT"
    for mesh in avatar_meshes(arm_obj):
        key = mesh.data.shape_keys
        for kb in key.key_blocks:
            if kb.name in ARKIT_NAMES:
                kb.mute = not arkit
            elif kb.name.startswith("Exp"):
                kb.mute = arkit
    cb = channelbag_of(arm_obj)
    if cb is not None:
        for fc in cb.fcurves:
            if fc.data_path == _JAW_ROTATION:
                fc.mute = arkit
        pb = arm_obj.pose.bones.get(JAW_BONE)
        if arkit and pb is not None:
            pb.rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
    arm_obj[FACE_VIEW_PROPERTY] = view


@dataclass
class _SavedCurve:
    data_path: str
    array_index: int
    group: str
    co: np.ndarray
    interpolation: np.ndarray


def _save_curve(fc: bpy.types.FCurve) -> _SavedCurve:
    n = len(fc.keyframe_points)
    co, interpolation = np.empty(2 * n, dtype=np.float32), np.empty(n, dtype=np.int32)
    fc.keyframe_points.foreach_get("co", co)
    fc.keyframe_points.foreach_get("interpolation", interpolation)
    return _SavedCurve(fc.data_path, fc.array_index, fc.group.name if fc.group else "", co, interpolation)


@dataclass
class _SavedKey:
    mesh: bpy.types.Object
    mutes: dict[str, bool]
    action: Optional[bpy.types.Action]
    slot: Any
    curves: list[_SavedCurve] = field(default_factory=list)


class ArkitEdits:
    """The avatar's face as it is before an ARKit export; ``restore()`` removes the key blocks and ARKit curves
    added since, puts back the recorded ones and every mute, the jaw and the armature's face properties (new
    data-blocks, such as a new action, are left to the operator's snapshot roll-back)."""

    def __init__(self, arm: bpy.types.Object) -> None:
        self.arm = arm
        self.keys: list[_SavedKey] = []
        for mesh in avatar_meshes(arm):
            key = mesh.data.shape_keys
            adt = key.animation_data
            cb = channelbag_of(key)
            self.keys.append(_SavedKey(
                mesh, {kb.name: kb.mute for kb in key.key_blocks}, adt.action if adt else None,
                adt.action_slot if adt else None,
                [_save_curve(fc) for fc in cb.fcurves if fc.data_path in _ARKIT_PATHS] if cb is not None else []))
        cb = channelbag_of(arm)
        self.jaw_mutes = [(fc.array_index, fc.mute) for fc in cb.fcurves if fc.data_path == _JAW_ROTATION] \
            if cb is not None else []
        pb = arm.pose.bones.get(JAW_BONE)
        self.jaw_rotation = tuple(pb.rotation_quaternion) if pb is not None else None
        self.props = {k: arm.get(k) for k in (FACE_VIEW_PROPERTY, ARKIT_SCALE_PROPERTY)}

    def restore(self) -> None:
        for saved in self.keys:
            key = saved.mesh.data.shape_keys
            for kb in [kb for kb in key.key_blocks if kb.name not in saved.mutes]:
                saved.mesh.shape_key_remove(kb)
            for kb in key.key_blocks:
                kb.mute = saved.mutes[kb.name]
            adt = key.animation_data
            if adt is not None and (adt.action != saved.action or adt.action_slot != saved.slot):
                adt.action = saved.action
                if saved.action is not None:
                    adt.action_slot = saved.slot
            cb = channelbag_of(key)
            if cb is None:
                continue
            for fc in [fc for fc in cb.fcurves if fc.data_path in _ARKIT_PATHS]:
                cb.fcurves.remove(fc)
            for curve in saved.curves:
                fc = compat.new_fcurve(cb, curve.data_path, curve.array_index, curve.group)
                fc.keyframe_points.add(len(curve.interpolation))
                fc.keyframe_points.foreach_set("co", curve.co)
                fc.keyframe_points.foreach_set("interpolation", curve.interpolation)
                fc.update()
        cb = channelbag_of(self.arm)
        if cb is not None:
            mutes = dict(self.jaw_mutes)
            for fc in cb.fcurves:
                if fc.data_path == _JAW_ROTATION and fc.array_index in mutes:
                    fc.mute = mutes[fc.array_index]
        pb = self.arm.pose.bones.get(JAW_BONE)
        if pb is not None and self.jaw_rotation is not None:
            pb.rotation_quaternion = self.jaw_rotation
        for name, value in self.props.items():
            if value is None:
                if name in self.arm:
                    del self.arm[name]
            else:
                self.arm[name] = value
