"""The Camera panel's operators and settings: re-fit (in Blender and in a subprocess), lock to footage, the plate,
and atomicity on failure."""
from __future__ import annotations

import numpy as np
import pytest

from core.body.model import load_body_model
from core.camera.conversions import project
from core.camera.points import sequence_points
from core.contracts.fused_file import read_fused


def _state(bpy, arm, cam):
    """What a failed operator must leave as it was."""
    from blender_addon.camera.refit import curve_points, root_location_curves

    return (cam.data.lens, cam.data.shift_x, cam.data.shift_y, arm["smplx_fusion_source"],
            tuple(np.concatenate([curve_points(fc).ravel() for fc in root_location_curves(arm)]).round(6)),
            len(bpy.data.actions), len(bpy.data.node_groups), len(bpy.data.images), len(cam.data.background_images),
            bpy.context.scene.compositing_node_group)


def _pelvis_pixel(bpy, arm, frame, bone="pelvis"):
    from bpy_extras.object_utils import world_to_camera_view

    scene = bpy.context.scene
    scene.frame_set(frame)
    bpy.context.view_layer.update()
    ndc = world_to_camera_view(scene, scene.camera, arm.matrix_world @ arm.pose.bones[bone].head)
    return np.array([ndc.x * scene.render.resolution_x, (1.0 - ndc.y) * scene.render.resolution_y])


class _Layout:
    """Records what a panel's ``draw`` puts in its layout."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def label(self, text: str = "", icon: str = "") -> None:
        self.texts.append(text)

    def prop(self, data: object, name: str) -> None:
        self.texts.append(name)

    def operator(self, idname: str, icon: str = "") -> None:
        self.texts.append(idname)

    def column(self, align: bool = False) -> "_Layout":
        return self

    def row(self, align: bool = False) -> "_Layout":
        return self

    def box(self) -> "_Layout":
        return self


def test_operators_are_undoable_and_registered(blender):
    bpy = blender
    from blender_addon.camera import ops as camera_ops
    from blender_addon.camera import readout

    for op in (camera_ops.SMPLX_FUSION_OT_camera_refit, camera_ops.SMPLX_FUSION_OT_camera_set_plate):
        assert op.bl_options == {"REGISTER", "UNDO"}
    assert hasattr(bpy.ops.smplx_fusion, "camera_refit") and hasattr(bpy.types.Object, "smplx_fusion_camera")
    bars, first, top = readout.sparkline(np.array([0.0, 1.0, 2.0, np.nan, 4.0]), 2, width=5)
    assert bars == " ▂▄ █" and first == 0 and top == 4.0


def test_refit_lock_and_plate(blender, take, tmp_path):
    bpy = blender
    from blender_addon.camera.readout import reprojection_values
    from blender_addon.common.avatar import camera_of

    assert bpy.ops.smplx_fusion.import_fused(filepath=str(take.fused), model_path=str(take.model)) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    cam = camera_of(arm)
    assert cam.data.animation_data.action is not None, "the body regressor's per-frame cameras are keyed"
    props = arm.smplx_fusion_camera

    # a failing re-fit (an implausible focal) reports the field and leaves everything as it was
    before = _state(bpy, arm, cam)
    props.focal_override_px = 20.0
    with pytest.raises(RuntimeError, match="focal_px"):
        bpy.ops.smplx_fusion.camera_refit(mode="IN_PROCESS")
    assert _state(bpy, arm, cam) == before

    # re-fit in Blender with the footage's focal: one camera, and the root follows the fitted translations
    props.focal_override_px = 0.0
    props.footage = str(take.plate)
    assert bpy.ops.smplx_fusion.camera_refit(mode="IN_PROCESS") == {"FINISHED"}
    fitted_path = arm["smplx_fusion_source"]
    assert fitted_path != before[3] and ".camera" in fitted_path  # a new name: nothing overwritten
    seq = read_fused(fitted_path)
    assert cam.data.animation_data.action is None
    assert cam.data.lens == pytest.approx(seq.camera_K[0, 0] * 36.0 / seq.image_size[0])
    values = reprojection_values(cam)
    assert values.shape == (seq.num_frames,)
    np.testing.assert_allclose(values, seq.extras["camera_reproj_px_after"], rtol=1e-6)
    model = load_body_model(take.model)
    pelvis_uv = project((sequence_points(seq, model).joints[:, 0] + seq.transl)[:, None], seq.camera_K)[:, 0]
    row = seq.num_frames // 2
    start = bpy.context.scene.frame_start
    np.testing.assert_allclose(_pelvis_pixel(bpy, arm, start + row), pelvis_uv[row], atol=0.5)

    # the panel shows the value at the current frame and the plot around it (drawn into a stand-in layout)
    layout = _Layout()
    from types import SimpleNamespace

    from blender_addon.camera.panel import SMPLX_FUSION_PT_camera

    SMPLX_FUSION_PT_camera.draw(SimpleNamespace(layout=layout), bpy.context)
    shown = "\n".join(layout.texts)
    frame = bpy.context.scene.frame_current
    assert f"Reprojection, frame {frame}: {values[frame - start]:.2f} px" in shown
    assert "smplx_fusion.camera_refit" in shown and "lock_to_footage" in shown
    assert any(set(t) <= set(" ▁▂▃▄▅▆▇█") and len(t) > 5 for t in layout.texts), "the small plot"

    # the same through python -m core in a subprocess (what Blender's own Python, without torch, does)
    props.focal_override_px = 1100.0
    assert bpy.ops.smplx_fusion.camera_refit(mode="SUBPROCESS") == {"FINISHED"}
    assert arm["smplx_fusion_source"] != fitted_path
    assert read_fused(arm["smplx_fusion_source"]).camera_K[0, 0] == pytest.approx(1100.0)

    # lock to footage: scale and depth offset keep the avatar on its pixels; unlocked, the offset moves it
    reference = _pelvis_pixel(bpy, arm, start + row, "head")  # the head: far from the image centre
    props.scale = 1.5
    props.depth_offset = 0.7
    np.testing.assert_allclose(_pelvis_pixel(bpy, arm, start + row, "head"), reference, atol=1e-3)
    assert np.array(arm.matrix_world)[0, 0] > 1.5 and all(cam.lock_location)
    props.lock_to_footage = False
    moved = np.abs(_pelvis_pixel(bpy, arm, start + row, "head") - reference).max()
    assert moved > 5.0 and not any(cam.lock_location), moved

    # the plate: a bad path fails atomically, the footage folder works
    before = _state(bpy, arm, cam)
    with pytest.raises(RuntimeError, match="footage not found"):
        bpy.ops.smplx_fusion.camera_set_plate(filepath=str(tmp_path / "missing"))
    assert _state(bpy, arm, cam) == before
    assert bpy.ops.smplx_fusion.camera_set_plate(filepath=str(take.plate)) == {"FINISHED"}
    assert bpy.context.scene.compositing_node_group is not None and cam.data.show_background_images
