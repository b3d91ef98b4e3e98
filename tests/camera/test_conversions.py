"""Every camera formula against a case computed by hand (numbers in the comments)."""
from __future__ import annotations

import numpy as np
import pytest

from core.camera import conversions as cv
from core.camera.errors import CameraError
from core.errors import FusionError


def test_weak_perspective_to_translation_by_hand():
    # s = 0.8 on a 256 px crop with f = 5000: z = 2 * 5000 / (256 * 0.8) = 48.828125 m
    t = cv.weak_perspective_to_translation(np.array([[0.8, 0.1, -0.2]]), 5000.0, 256.0)
    np.testing.assert_allclose(t, [[0.1, -0.2, 48.828125]])
    np.testing.assert_allclose(cv.translation_to_weak_perspective(t, 5000.0, 256.0), [[0.8, 0.1, -0.2]])
    # a point at the origin of that translation appears with f / z = s * crop / 2 pixels per metre
    assert 5000.0 / t[0, 2] == pytest.approx(0.8 * 256 / 2)


@pytest.mark.parametrize("kwargs, field", [
    ({"cam": [[0.8, 0, 0]], "focal": 60.0}, "focal_px"),
    ({"cam": [[0.8, 0, 0]], "focal": 60_000.0}, "focal_px"),
    ({"cam": [[0.8, 0, 0], [12.0, 0, 0]], "focal": 5000.0}, "scale"),
    ({"cam": [[0.05, 0, 0]], "focal": 5000.0}, "scale"),
])
def test_out_of_range_values_raise_naming_the_field(kwargs, field):
    with pytest.raises(CameraError, match=f"field '{field}'") as info:
        cv.weak_perspective_to_translation(np.array(kwargs["cam"]), kwargs["focal"], 256.0)
    assert isinstance(info.value, FusionError) and info.value.field == field
    if field == "scale" and len(kwargs["cam"]) == 2:
        assert info.value.frame == 1  # the offending row is named


def test_smplerx_crop_to_full_by_hand():
    # box x0=100, y0=50, w=384, h=512: fx = 5000/192*384 = 10000, fy = 5000/256*512 = 10000,
    # cx = 96/192*384 + 100 = 292, cy = 128/256*512 + 50 = 306
    K = cv.smplerx_crop_to_full(np.array([[100.0, 50.0, 384.0, 512.0], [0.0, 0.0, 192.0, 128.0]]))
    np.testing.assert_allclose(K[0], [[10000, 0, 292], [0, 10000, 306], [0, 0, 1]])
    np.testing.assert_allclose(K[1], [[5000, 0, 96], [0, 2500, 64], [0, 0, 1]])
    with pytest.raises(CameraError, match="field 'bbox' frame 1"):
        cv.smplerx_crop_to_full(np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, -4.0, 10.0]]))


def test_wilor_cam_crop_to_full_by_hand():
    # 1280 x 720: F = 5000 / 256 * 1280 = 25000. pred_cam [2, 0.05, -0.03], box centre (800, 300), size 100:
    # b = 200, tz = 2 * 25000 / 200 = 250, tx = 2 * (800 - 640) / 200 + 0.05 = 1.65, ty = 2 * (300 - 360) / 200 - 0.03
    assert cv.wilor_full_focal((1280, 720)) == 25000.0
    assert cv.wilor_full_focal((720, 1280)) == 25000.0  # max(W, H), portrait too
    t = cv.wilor_crop_to_full(np.array([[2.0, 0.05, -0.03]]), np.array([[800.0, 300.0]]), np.array([100.0]),
                              (1280, 720))
    np.testing.assert_allclose(t, [[1.65, -0.63, 250.0]])
    # the crop camera's origin lands where the crop put it: box centre + (tx, ty) * b / 2
    uv = cv.project(t[:, None], cv.intrinsics_matrix(25000.0, [640.0, 360.0]))[0, 0]
    np.testing.assert_allclose(uv, [800.0 + 0.05 * 100.0, 300.0 - 0.03 * 100.0])


def test_emoca_face_position_by_hand():
    box = np.array([[100.0, 200.0, 300.0, 400.0]])
    # no camera: the box centre
    np.testing.assert_allclose(cv.emoca_face_position(box), [[200.0, 300.0]])
    # detector box: old_size = 200, centre (200, 300 + 0.12 * 200) = (200, 324), crop side 1.25 * 200 = 250.
    # cam [0.5, 0.2, 0.1]: ndc = (0.5 * 0.2, -0.5 * 0.1) = (0.1, -0.05); crop px = 112 * (1.1, 0.95) = (123.2, 106.4)
    # full = (200 - 125 + 123.2 * 250 / 224, 324 - 125 + 106.4 * 250 / 224) = (212.5, 317.75)
    cam = np.array([[0.5, 0.2, 0.1]])
    np.testing.assert_allclose(cv.emoca_face_position(box, cam), [[212.5, 317.75]])
    # landmark box: old_size = 1.1 * 200 = 220 about (200, 300), side 275: (62.5 + 151.25, 162.5 + 130.625)
    np.testing.assert_allclose(cv.emoca_face_position(box, cam, box_type="kpt68"), [[213.75, 293.125]])
    # FLAME is y up: a positive ty moves the face up the image (smaller v)
    up = cv.emoca_face_position(box, np.array([[0.5, 0.2, 0.3]]))
    assert up[0, 1] < 317.75


def test_principal_point_and_resolution_scaling():
    np.testing.assert_allclose(cv.principal_point((1280, 720)), [640.0, 360.0])
    np.testing.assert_allclose(cv.principal_point((1280, 720), (600.5, 350.0)), [600.5, 350.0])
    K = cv.intrinsics_matrix(1100.0, [640.0, 360.0])
    half = cv.rescale_intrinsics(K, (1280, 720), (640, 360))
    np.testing.assert_allclose(half, [[550, 0, 320], [0, 550, 180], [0, 0, 1]])
    # a point keeps its relative image position: its pixel halves with the footage
    p = np.array([[[0.3, -0.2, 3.0]]])
    np.testing.assert_allclose(cv.project(p, half), cv.project(p, K) / 2.0)
    np.testing.assert_allclose(cv.rescale_pixels(np.array([100.0, 50.0]), (1280, 720), (640, 360)), [50.0, 25.0])
    with pytest.raises(CameraError, match="image_size"):
        cv.principal_point((0, 720))


def test_convert_translation_keeps_pixel_and_apparent_size():
    # a virtual camera f = 10000 at (600, 300); the pelvis at (0, 0.3, 0) + t = (0.1, 0.5, 30) projects to
    # (600 + 10000 * 0.1 / 30, 300 + 10000 * 0.5 / 30); in f = 1000 at (640, 360) its depth becomes 3 m
    K_from = cv.intrinsics_matrix(10000.0, [600.0, 300.0])
    K_to = cv.intrinsics_matrix(1000.0, [640.0, 360.0])
    ref = np.array([[0.0, 0.3, 0.0]])
    t = cv.convert_translation(np.array([[0.1, 0.2, 30.0]]), ref, K_from, K_to)
    assert t[0, 2] == pytest.approx(3.0)
    np.testing.assert_allclose(cv.project((ref + t)[:, None], K_to), cv.project((ref + [[0.1, 0.2, 30.0]])[:, None],
                                                                                  K_from))
    doubled = cv.convert_translation(np.array([[0.1, 0.2, 30.0]]), ref, K_from, K_to, depth_scale=2.0)
    assert doubled[0, 2] == pytest.approx(6.0)
