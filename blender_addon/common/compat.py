"""Where Blender 4.5 LTS and 5.x differ, and the one answer for both (tests/common/test_compat.py).

* Channelbags: 5.0 added ``anim_utils.action_ensure_channelbag_for_slot``; on 4.5 the channelbag lives on the
  first keyframe strip of the action's first layer, made here when missing (what 5.0's helper does).
* F-curves: 5.0's ``channelbag.fcurves.new`` takes ``group_name``; 4.5's does not, so the group is set afterwards.
* EEVEE's engine id: ``BLENDER_EEVEE`` on 5.0+, ``BLENDER_EEVEE_NEXT`` on 4.5.
* The compositor: 5.0 composites through ``scene.compositing_node_group`` (a node group with a group output);
  4.5 has the scene's own ``node_tree`` and a Composite node instead. The footage plate is built for 5.0's
  compositor only: on 4.5 :func:`require_compositor_groups` says so in plain words (the camera background still
  shows the footage).
"""
from __future__ import annotations

from typing import Any, Optional

import bpy
from bpy_extras import anim_utils

from ..core.errors import FusionError

__all__ = ["EEVEE_ENGINE", "HAS_COMPOSITOR_GROUPS", "ensure_channelbag", "new_fcurve", "compositor_group",
           "set_compositor_group", "require_compositor_groups"]

#: The EEVEE render engine's id in this Blender.
EEVEE_ENGINE = ("BLENDER_EEVEE" if "BLENDER_EEVEE" in bpy.types.RenderSettings.bl_rna.properties["engine"].enum_items
                else "BLENDER_EEVEE_NEXT")
#: Blender 5.0+: the scene composites through a node group (``scene.compositing_node_group``).
HAS_COMPOSITOR_GROUPS = "compositing_node_group" in bpy.types.Scene.bl_rna.properties


def ensure_channelbag(action: bpy.types.Action, slot: bpy.types.ActionSlot) -> Any:
    """The channelbag of ``slot`` on ``action``, made when missing."""
    if hasattr(anim_utils, "action_ensure_channelbag_for_slot"):  # Blender 5.0+
        return anim_utils.action_ensure_channelbag_for_slot(action, slot)
    return _ensure_channelbag_4_5(action, slot)


def _ensure_channelbag_4_5(action: bpy.types.Action, slot: bpy.types.ActionSlot) -> Any:
    layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")
    strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type="KEYFRAME")
    return strip.channelbag(slot, ensure=True)


def new_fcurve(channelbag: Any, data_path: str, index: int, group: str) -> bpy.types.FCurve:
    """A new F-curve in ``channelbag``, in the channel group ``group`` (made when missing)."""
    try:
        return channelbag.fcurves.new(data_path, index=index, group_name=group)
    except TypeError:  # Blender 4.5: ActionChannelbagFCurves.new(data_path, index=0)
        fc = channelbag.fcurves.new(data_path, index=index)
        fc.group = channelbag.groups.get(group) or channelbag.groups.new(group)
        return fc


def compositor_group(scene: bpy.types.Scene) -> Optional[bpy.types.NodeTree]:
    """The node group the scene composites through (5.0+); ``None`` on 4.5 or when there is none."""
    return scene.compositing_node_group if HAS_COMPOSITOR_GROUPS else None


def set_compositor_group(scene: bpy.types.Scene, group: Optional[bpy.types.NodeTree]) -> None:
    """Composite through ``group`` (5.0+); on 4.5 only ``None`` (nothing to restore) is accepted."""
    if HAS_COMPOSITOR_GROUPS:
        scene.compositing_node_group = group
    elif group is not None:
        require_compositor_groups()


def require_compositor_groups() -> None:
    """Raise a plain-words :class:`FusionError` on Blender 4.5, whose compositor has no node-group output."""
    if not HAS_COMPOSITOR_GROUPS:
        raise FusionError(f"compositing the footage plate behind renders needs Blender 5.0 or newer (this is "
                          f"{bpy.app.version_string}); the camera background still shows the footage, and "
                          "renders without the plate work", field="plate")
