"""The Grounding settings and the last run's summary, saved with the file as ``scene.smplx_fusion_grounding``."""
from __future__ import annotations

import bpy

from ..core.grounding import LockParams

__all__ = ["SMPLX_FUSION_PG_grounding", "CLASSES", "register_extra", "unregister_extra"]

_MODES = (("AUTO", "Auto", "Detected contacts (hysteresis, duration rules); a take with no ground is left alone"),
          ("ALWAYS", "Always", "Every low, slow foot frame is a contact; without one, the feet's usual lowest "
                               "level is the ground"))
_CONTACTS = (("DETECT", "Detect", "Detect the contacts afresh"),
             ("MARKED", "Marked", "Lock the contacts of the per-frame contact channels as they are (edited by "
                                  "hand, say)"))


class SMPLX_FUSION_PG_grounding(bpy.types.PropertyGroup):
    """Grounding settings and the last run's summary (``scene.smplx_fusion_grounding``)."""

    mode: bpy.props.EnumProperty(name="Mode", items=_MODES, default="AUTO")  # type: ignore[valid-type]
    contacts: bpy.props.EnumProperty(name="Contacts", items=_CONTACTS, default="DETECT")  # type: ignore[valid-type]
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="From", default=0, description="First frame (0: the scene's start)")
    frame_end: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="To", default=0, description="Last frame (0: the scene's end)")
    use_ground_object: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Use ground object", default=True,
        description="Take the ground from the avatar's ground plane object (moved by hand, say) when it has one; "
                    "off: the file's ground plane, else a new fit")
    blend_frames: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Blend frames", default=LockParams().blend_frames, min=0, max=30,
        description="Frames over which a lock eases in before a contact and out after it")
    summary: bpy.props.StringProperty(default="")  # type: ignore[valid-type]


CLASSES = (SMPLX_FUSION_PG_grounding,)


def register_extra() -> None:
    bpy.types.Scene.smplx_fusion_grounding = bpy.props.PointerProperty(type=SMPLX_FUSION_PG_grounding)


def unregister_extra() -> None:
    if hasattr(bpy.types.Scene, "smplx_fusion_grounding"):
        del bpy.types.Scene.smplx_fusion_grounding
