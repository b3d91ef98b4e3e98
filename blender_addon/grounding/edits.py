"""What a grounding run may change besides new data-blocks, recorded before it and put back on failure."""
from __future__ import annotations

from typing import Any, Optional

import bpy

from ..common import ground_object
from ..common.markers import MarkerBackup
from ..common.readback import CurveBackup
from .contacts_in_scene import CONTACT_PROPERTIES, MARKER_PREFIX

__all__ = ["GroundEdits"]

_TRANSFORM = ("location", "rotation_mode", "rotation_euler", "rotation_quaternion", "rotation_axis_angle", "scale")


def _transform_of(ob: bpy.types.Object) -> dict[str, Any]:
    """The object's own transform channels, copied (restoring them is exact, unlike a matrix)."""
    return {name: (value if isinstance(value, str) else tuple(value))
            for name, value in ((name, getattr(ob, name)) for name in _TRANSFORM)}


class GroundEdits:
    """Everything a run may change besides new data-blocks (those go with ``scene_snapshot.roll_back``): the
    ``GND:`` markers, the contact properties, the F-curves (keys saved before each write), the ground object's
    placement. :meth:`restore` puts them back exactly."""

    def __init__(self, scene: bpy.types.Scene, arm: Optional[bpy.types.Object]) -> None:
        self.scene, self.arm = scene, arm
        self.markers = MarkerBackup(scene, MARKER_PREFIX)
        self.curves = CurveBackup()
        self.properties = {} if arm is None else {p: arm[p] for p in CONTACT_PROPERTIES if p in arm}
        ground = ground_object.ground_object_of(arm)
        plane = None if ground is None else ground.get(ground_object.PLANE_PROPERTY)
        self.ground = None if ground is None else (ground, _transform_of(ground),
                                                   None if plane is None else [float(v) for v in plane])

    def restore(self) -> None:
        self.curves.restore()
        self.markers.restore()
        if self.arm is not None:
            for prop in CONTACT_PROPERTIES:
                if prop in self.properties:
                    self.arm[prop] = self.properties[prop]
                elif prop in self.arm:
                    del self.arm[prop]
            self.arm.update_tag()
        if self.ground is not None:
            ob, transform, plane = self.ground
            for name, value in transform.items():
                setattr(ob, name, value)
            if plane is None:
                ob.pop(ground_object.PLANE_PROPERTY, None)
            else:
                ob[ground_object.PLANE_PROPERTY] = plane
