"""The Face panel's per-take setting: ``Object.smplx_fusion_expression_scale`` on the armature.

Changing it rescales the baked expression curves at once (:func:`.expression_scale.apply_expression_scale`); in
the UI that is an undo step, and ``smplx_fusion.set_expression_scale`` does it from scripts.
"""
from __future__ import annotations

import bpy

from ..common.avatar import is_avatar
from .expression_scale import apply_expression_scale

__all__ = ["SCALE_PROP", "CLASSES", "register_props", "unregister_props"]

#: The armature's expression intensity property.
SCALE_PROP = "smplx_fusion_expression_scale"

#: No property group: the intensity is a plain property of the armature object.
CLASSES: tuple = ()


def _on_scale_changed(self: bpy.types.Object, context: bpy.types.Context) -> None:
    if is_avatar(self):
        apply_expression_scale(self, getattr(self, SCALE_PROP))


def register_props() -> None:
    bpy.types.Object.smplx_fusion_expression_scale = bpy.props.FloatProperty(
        name="Expression intensity", default=1.0, min=0.0, soft_max=2.0, max=10.0,
        description="Scale of this take's expression (rescales the baked Exp key and expression-compensation "
                    "curves; 0 mutes them)", update=_on_scale_changed)


def unregister_props() -> None:
    if hasattr(bpy.types.Object, SCALE_PROP):
        del bpy.types.Object.smplx_fusion_expression_scale
