"""The Blender camera from pinhole intrinsics: checked with Blender's own world_to_camera_view, and the OpenCV /
Blender camera frames converted explicitly."""
from __future__ import annotations

import numpy as np
import pytest

from core.camera.blender_camera import (
    OPENCV_TO_BLENDER_CAMERA,
    blender_camera_settings,
    blender_camera_to_opencv,
    intrinsics_vary,
    ndc_to_pixels,
    opencv_to_blender_camera,
)
from core.camera.conversions import intrinsics_matrix, project

POINTS_CV = np.array([[0.3, -0.4, 3.0], [-1.0, 0.5, 6.0], [0.2, 0.9, 2.5], [0.0, 0.0, 4.0]])


def test_settings_by_hand():
    # BLENDER5_NOTES section 7's check case: 640 x 480, fx = fy = 600, principal point (352.7, 221.3):
    # lens 600 * 36 / 640 = 33.75 mm, shift ((320 - 352.7) / 640, (221.3 - 240) / 640) = (-0.05109, -0.02922)
    s = blender_camera_settings(intrinsics_matrix(600.0, [352.7, 221.3]), (640, 480))
    assert s.sensor_fit == "HORIZONTAL" and s.sensor_mm == 36.0
    assert s.lens_mm[0] == pytest.approx(33.75)
    assert s.shift_x[0] == pytest.approx(-0.0510938, abs=1e-6) and s.shift_y[0] == pytest.approx(-0.0292188, abs=1e-6)
    assert (s.pixel_aspect_x, s.pixel_aspect_y) == (1.0, 1.0) and not s.animated
    # portrait: the sensor fits the height, lens = fy * 36 / H
    p = blender_camera_settings(intrinsics_matrix(600.0, [240.0, 320.0]), (480, 640))
    assert p.sensor_fit == "VERTICAL" and p.lens_mm[0] == pytest.approx(600 * 36 / 640)
    # fx < fy: Blender keeps pixel aspects >= 1, so the ratio goes on x
    q = blender_camera_settings(intrinsics_matrix(600.0, [320.0, 240.0], focal_y_px=660.0), (640, 480))
    assert (q.pixel_aspect_x, q.pixel_aspect_y) == (pytest.approx(1.1), 1.0)


def test_opencv_and_blender_camera_frames():
    from blender_addon.common.axes import CAMERA_OBJECT_EULER, CAMERA_TO_BLENDER
    from core.rotations import axis_angle_to_matrix

    # OpenCV z forward / y down is the Blender camera's -Z forward / +Y up
    np.testing.assert_allclose(opencv_to_blender_camera(np.array([0.0, 0.0, 2.0])), [0.0, 0.0, -2.0])
    np.testing.assert_allclose(opencv_to_blender_camera(np.array([0.0, 1.0, 0.0])), [0.0, -1.0, 0.0])
    np.testing.assert_allclose(blender_camera_to_opencv(opencv_to_blender_camera(POINTS_CV)), POINTS_CV)
    # the camera object's rotation times that frame change is the file's camera -> world map
    r_obj = axis_angle_to_matrix(np.array([CAMERA_OBJECT_EULER[0], 0.0, 0.0]))
    np.testing.assert_allclose(r_obj @ OPENCV_TO_BLENDER_CAMERA, CAMERA_TO_BLENDER, atol=1e-12)


def test_intrinsics_vary():
    K = intrinsics_matrix(np.full(5, 1100.0), np.tile([640.0, 360.0], (5, 1)))
    assert not intrinsics_vary(K) and not intrinsics_vary(K[0])
    K[3, 0, 0] += 1.0
    assert intrinsics_vary(K)


def _camera_pixels(bpy, scene, cam_obj, points_cv, image_size):
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    from blender_addon.common.axes import camera_to_blender

    bpy.context.view_layer.update()
    ndc = np.array([tuple(world_to_camera_view(scene, cam_obj, Vector(camera_to_blender(p))))[:2]
                    for p in points_cv])
    return ndc_to_pixels(ndc, image_size)


@pytest.mark.parametrize("size, fx, fy, c", [
    ((640, 480), 600.0, 600.0, (352.7, 221.3)),
    ((640, 480), 600.0, 660.0, (300.0, 250.0)),
    ((640, 480), 660.0, 600.0, (352.7, 221.3)),
    ((480, 640), 600.0, 660.0, (250.0, 330.0)),
    ((480, 640), 700.0, 640.0, (231.0, 301.0)),
])
def test_camera_matches_pinhole_in_blender(blender, size, fx, fy, c):
    bpy = blender
    from blender_addon.common import camera_builder

    scene = bpy.context.scene
    K = intrinsics_matrix(fx, c, focal_y_px=fy)
    cam = camera_builder.build_camera("cam", K, np.array(size, float), scene, scene.collection)
    scene.camera = cam
    assert (scene.render.resolution_x, scene.render.resolution_y) == size
    # the camera's local frame holds the OpenCV point as diag(1, -1, -1) p: converted explicitly
    from blender_addon.common.axes import camera_to_blender
    bpy.context.view_layer.update()
    world_to_local = np.array(cam.matrix_world.inverted())
    local = (world_to_local[:3, :3] @ camera_to_blender(POINTS_CV).T).T + world_to_local[:3, 3]
    np.testing.assert_allclose(blender_camera_to_opencv(local), POINTS_CV, atol=1e-6)
    uv = _camera_pixels(bpy, scene, cam, POINTS_CV, size)
    np.testing.assert_allclose(uv, project(POINTS_CV[None], K)[0], atol=1e-3)


def test_keyed_only_when_intrinsics_change(blender):
    bpy = blender
    from blender_addon.common import camera_builder

    scene = bpy.context.scene
    size = np.array([1280.0, 720.0])
    constant = intrinsics_matrix(np.full(6, 1100.0), np.tile([640.0, 360.0], (6, 1)))
    cam = camera_builder.build_camera("fixed", constant, size, scene, scene.collection)
    assert cam.data.animation_data is None or cam.data.animation_data.action is None
    focal = np.linspace(9000.0, 14000.0, 6)
    varying = intrinsics_matrix(focal, np.stack([600.0 + 10 * np.arange(6), 350.0 - 5 * np.arange(6)], 1))
    cam2 = camera_builder.build_camera("varying", varying, size, scene, scene.collection, first_frame=1)
    bag = cam2.data.animation_data.action.layers[0].strips[0].channelbag(cam2.data.animation_data.action_slot)
    assert sorted(fc.data_path for fc in bag.fcurves) == ["lens", "shift_x", "shift_y"]
    assert all(len(fc.keyframe_points) == 6 for fc in bag.fcurves)
    scene.camera = cam2
    for k in (0, 3, 5):
        scene.frame_set(1 + k)
        uv = _camera_pixels(bpy, scene, cam2, POINTS_CV, (1280, 720))
        np.testing.assert_allclose(uv, project(POINTS_CV[None], varying[k])[0], atol=1e-3)
    # updating to a single K removes the keys
    camera_builder.update_camera(cam2, constant[0], size, scene)
    assert cam2.data.animation_data.action is None
    assert cam2.data.lens == pytest.approx(1100 * 36 / 1280)
