"""Expression intensity per take: rescale the baked expression curves in place.

The intensity rescales the baked ``Exp###`` key F-curves, and with them the baked expression-compensation locations
of the bones whose joints the expression moves (``(I - R_j) Delta_j`` is linear in the expression; see
``common/pose_channels.py``), so the rig stays equal to smplx's LBS at the scaled expression. The values are
multiplied by ``new / baked`` in place (no Python handler, playback stays as fast); the scale the curves currently
hold is kept in ``smplx_fusion_expression_baked_scale``. A scale of 0 mutes those curves and zeroes the values
instead, so nothing is lost and any later scale restores them.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..common.animation import channelbag_of
from ..common.avatar import avatar_meshes

__all__ = ["BAKED_KEY", "ROOT_BONE", "expression_fcurves", "apply_expression_scale"]

#: On the armature: the intensity the baked curves hold now (absent: 1).
BAKED_KEY = "smplx_fusion_expression_baked_scale"
ROOT_BONE = "pelvis"


def _owned_expression_fcurves(arm_obj: bpy.types.Object) -> list[tuple[bpy.types.ID, bpy.types.FCurve]]:
    """(animated ID, F-curve) for every curve the intensity scales (an F-curve's ``id_data`` is its action)."""
    out = []
    for mesh in avatar_meshes(arm_obj):
        key = mesh.data.shape_keys
        cb = channelbag_of(key)
        if cb is not None:
            out += [(key, fc) for fc in cb.fcurves if fc.data_path.startswith('key_blocks["Exp')]
    cb = channelbag_of(arm_obj)
    if cb is not None:
        out += [(arm_obj, fc) for fc in cb.fcurves if fc.data_path.startswith("pose.bones[")
                and fc.data_path.endswith("].location") and fc.data_path != f'pose.bones["{ROOT_BONE}"].location']
    return out


def expression_fcurves(arm_obj: bpy.types.Object) -> list[bpy.types.FCurve]:
    """The F-curves the expression intensity scales: ``Exp###`` key values and non-root bone locations."""
    return [fc for _, fc in _owned_expression_fcurves(arm_obj)]


def _zero_static(owned: list[tuple[bpy.types.ID, bpy.types.FCurve]]) -> None:
    """With their curves muted, the properties keep their last value: set them to 0 explicitly."""
    for owner, fc in owned:
        name = fc.data_path.split('"')[1]
        if isinstance(owner, bpy.types.Object):
            pb = owner.pose.bones.get(name)
            if pb is not None:
                pb.location[fc.array_index] = 0.0
        else:
            kb = owner.key_blocks.get(name)
            if kb is not None:
                kb.value = 0.0


def apply_expression_scale(arm_obj: bpy.types.Object, scale: float) -> int:
    """Rescale the baked expression curves of ``arm_obj`` to ``scale`` x the fused values; returns curves changed.

    Values are multiplied by ``scale / baked`` (``baked`` = the scale they hold now, starts at 1). ``scale == 0``
    mutes them (values kept at the last non-zero scale) and zeroes the static values.
    """
    scale = float(scale)
    if scale < 0.0:
        raise ValueError("the expression intensity cannot be negative")
    owned = _owned_expression_fcurves(arm_obj)
    curves = [fc for _, fc in owned]
    baked = float(arm_obj.get(BAKED_KEY, 1.0))
    if scale == 0.0:
        for fc in curves:
            fc.mute = True
        _zero_static(owned)
        return len(curves)
    ratio = scale / baked
    for fc in curves:
        n = len(fc.keyframe_points)
        if n and ratio != 1.0:
            co = np.empty(2 * n, dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            co[1::2] *= ratio
            fc.keyframe_points.foreach_set("co", co)
            fc.update()
        fc.mute = False
    arm_obj[BAKED_KEY] = scale
    return len(curves)
