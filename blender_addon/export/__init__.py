"""Export: the avatar as FBX, glTF, USD or BVH through Blender's own exporters, as an AMASS-style npz, and every
avatar with the camera as a Meshcapade ``.mcs`` scene (through smplcodec).

Role files: :mod:`.ops` (the operators), :mod:`.panel` (the sidebar panel); no settings of its own (the operators'
options are in their file browsers), so no ``props``. The work is in :mod:`.fbx`, :mod:`.gltf`, :mod:`.usd`,
:mod:`.bvh`, :mod:`.amass`, :mod:`.mcs`, :mod:`.files` (atomic writes) and :mod:`.scope` (what an export selects,
and putting it back).
"""
from __future__ import annotations

from . import ops, panel

__all__ = ["CLASSES", "register_extra", "unregister_extra"]

CLASSES = (*ops.CLASSES, *panel.CLASSES)


def register_extra() -> None:
    """Nothing beyond the classes."""


def unregister_extra() -> None:
    """Nothing beyond the classes."""
