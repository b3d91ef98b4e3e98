"""blender_addon/common/compat.py: Blender 4.5 LTS's paths (no ``action_ensure_channelbag_for_slot``;
``fcurves.new`` without ``group_name``; no compositor node groups) exercised on the installed Blender too. The
whole workflow on 4.5 itself is tests/blender_versions/test_workflow.py."""
from __future__ import annotations

import numpy as np
import pytest


def test_the_4_5_channelbag_path_makes_what_get_finds(blender):
    from blender_addon.common import animation, compat

    bpy = blender
    action = bpy.data.actions.new("take")
    slot = animation.new_slot(action, "OBJECT", "avatar")
    assert animation.slot_channelbag(action, slot) is None
    made = compat._ensure_channelbag_4_5(action, slot)
    fc = compat.new_fcurve(made, "location", 2, "Root")
    fc.keyframe_points.add(2)
    fc.keyframe_points.foreach_set("co", np.array([1.0, 0.5, 2.0, 1.5], dtype=np.float32))
    found = animation.slot_channelbag(action, slot)
    assert found is not None and found.fcurves.find("location", index=2).group.name == "Root"
    assert compat._ensure_channelbag_4_5(action, slot) == found  # a second call makes nothing new
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
    from blender_addon.common.compat import new_fcurve

    bag = type("Channelbag", (), {})()
    bag.fcurves, bag.groups = _FCurves45(), _Groups()
    first = new_fcurve(bag, 'key_blocks["Exp000"].value', 0, "Expression")
    second = new_fcurve(bag, 'key_blocks["Exp001"].value', 0, "Expression")
    assert first.group is second.group and first.group.name == "Expression"
    assert [c.data_path for c in bag.fcurves.made] == ['key_blocks["Exp000"].value', 'key_blocks["Exp001"].value']


def test_without_compositor_groups_the_plate_is_refused_in_plain_words(blender, monkeypatch):
    from blender_addon.common import compat
    from blender_addon.core.errors import FusionError

    scene = blender.context.scene
    assert compat.HAS_COMPOSITOR_GROUPS and compat.compositor_group(scene) is None
    monkeypatch.setattr(compat, "HAS_COMPOSITOR_GROUPS", False)  # as on Blender 4.5
    assert compat.compositor_group(scene) is None
    compat.set_compositor_group(scene, None)  # restoring "no group" is fine
    with pytest.raises(FusionError, match="needs Blender 5.0 or newer.*camera background still shows"):
        compat.require_compositor_groups()
