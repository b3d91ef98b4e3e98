"""blender_addon/common/animation.py: the one place that asks Blender for channelbags and F-curves, with the
Blender 4.5 LTS paths (no ``action_ensure_channelbag_for_slot``; ``fcurves.new`` without ``group_name``) exercised
here on the installed Blender too."""
from __future__ import annotations

import numpy as np


def test_the_4_5_channelbag_path_makes_what_get_finds(blender):
    from blender_addon.common import animation

    bpy = blender
    action = bpy.data.actions.new("take")
    slot = animation.new_slot(action, "OBJECT", "avatar")
    assert animation.slot_channelbag(action, slot) is None
    made = animation._ensure_channelbag_4_5(action, slot)
    fc = animation.new_fcurve(made, "location", 2, "Root")
    fc.keyframe_points.add(2)
    fc.keyframe_points.foreach_set("co", np.array([1.0, 0.5, 2.0, 1.5], dtype=np.float32))
    found = animation.slot_channelbag(action, slot)
    assert found is not None and found.fcurves.find("location", index=2).group.name == "Root"
    assert animation._ensure_channelbag_4_5(action, slot) == found  # a second call makes nothing new
    assert len(action.layers) == 1 and len(action.layers[0].strips) == 1


class _FCurves45:
    """Blender 4.5's ``ActionChannelbagFCurves.new(data_path, index=0)``: no group keyword."""

    def __init__(self):
        self.made = []

    def new(self, data_path, index=0):
        curve = type("FCurve", (), {"data_path": data_path, "array_index": index, "group": None})()
        self.made.append(curve)
        return curve


class _Groups:
    def __init__(self):
        self.by_name = {}

    def get(self, name):
        return self.by_name.get(name)

    def new(self, name):
        return self.by_name.setdefault(name, type("Group", (), {"name": name})())


def test_new_fcurve_puts_the_curve_in_its_group_where_fcurves_new_takes_no_group(blender):
    from blender_addon.common.animation import new_fcurve

    bag = type("Channelbag", (), {})()
    bag.fcurves, bag.groups = _FCurves45(), _Groups()
    first = new_fcurve(bag, 'key_blocks["Exp000"].value', 0, "Expression")
    second = new_fcurve(bag, 'key_blocks["Exp001"].value', 0, "Expression")
    assert first.group is second.group and first.group.name == "Expression"
    assert [c.data_path for c in bag.fcurves.made] == ['key_blocks["Exp000"].value', 'key_blocks["Exp001"].value']
