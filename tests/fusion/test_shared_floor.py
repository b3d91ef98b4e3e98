"""The shared floor: feet levels, the depth scale that puts a person on the floor, the plane people agree on."""
from __future__ import annotations

import numpy as np
import pytest

from core.fusion.clip.shared_floor import (
    depth_scale_on_plane,
    feet_level,
    frame_depth_scales,
    rescale_translation,
    shared_plane,
)

N = np.array([0.0, -np.cos(0.3), -np.sin(0.3)])  # up, in a camera pitched down 0.3 rad
D = 2.0  # the camera 2 m above the floor


def _person(x: float, z: float, t: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) pelvis and (T, 2, 3, 3) feet (heel, toes) of a person standing on the floor n . x + D = 0 at lateral
    x, depth z."""
    # a point on the floor below (x, ., z): solve n . (x, y, z) + D = 0 for y
    y_floor = -(D + N[0] * x + N[2] * z) / N[1]
    foot = np.array([x, y_floor, z])
    feet = foot + np.array([[0.1, 0, 0.05], [-0.1, 0, 0.05], [0.1, 0, -0.1], [-0.1, 0, -0.1], [0.12, 0, 0.0],
                            [-0.12, 0, 0.0]])
    feet = feet - np.outer(feet @ N + D, N)  # exactly on the plane
    pelvis = foot + 0.9 * N  # 0.9 m above the floor
    return np.tile(pelvis, (t, 1)), np.tile(feet.reshape(2, 3, 3), (t, 1, 1, 1))


def test_a_person_slid_along_the_pelvis_ray_is_put_back_on_the_floor():
    pelvis, feet = _person(0.4, 5.0)
    k = 1.08  # the crop camera put them 8 % too far: the pelvis slides along its ray, the body keeps its size
    wrong_pelvis = pelvis * k
    wrong_feet = feet + (wrong_pelvis - pelvis)[:, None, None]
    level = feet_level(N, wrong_feet, wrong_pelvis)
    assert level == pytest.approx(-(wrong_feet[0] @ N).mean())  # both soles flat on one level
    s = depth_scale_on_plane(np.r_[N, D], level, wrong_pelvis, wrong_feet)
    assert s == pytest.approx(1.0 / k, rel=1e-9)
    rest = np.array([0.0, 0.3, 0.0])
    fixed = rescale_translation(wrong_pelvis - rest, rest, s) + rest
    np.testing.assert_allclose(fixed, pelvis, atol=1e-9)
    assert depth_scale_on_plane(np.r_[N, D], feet_level(N, feet, pelvis), pelvis, feet) == pytest.approx(1.0)


def test_shared_plane_takes_the_agreeing_people_and_leaves_the_odd_one_out():
    tilted = np.r_[np.array([0.0, -np.cos(0.8), -np.sin(0.8)]), 1.0]
    plane, members = shared_plane([np.r_[N, D], np.r_[N, D + 0.05], None, tilted], weights=[10, 30, 0, 5])
    assert members.tolist() == [True, True, False, False]
    np.testing.assert_allclose(plane[:3], N, atol=1e-12)
    alone, members = shared_plane([np.r_[N, D], None])
    assert alone is None and not members.any()


def test_contact_frames_and_feet_decide_the_level():
    pelvis, feet = _person(-0.3, 4.0, t=10)
    lifted = feet.copy()
    lifted[5:] += 0.2 * N  # both feet 20 cm up (a jump) in the last five frames
    contact = np.zeros((10, 2), bool)
    contact[:5] = True
    assert feet_level(N, lifted, pelvis, contact) == pytest.approx(D)
    assert feet_level(N, lifted, pelvis) == pytest.approx(D - 0.1)  # no contacts: median of 2.0 and 1.8
    step = feet.copy()
    step[:, 1] += 0.15 * N  # the right foot in the air: only the left one is in contact
    only_left = np.zeros((10, 2), bool)
    only_left[:, 0] = True
    assert feet_level(N, step, pelvis, only_left) == pytest.approx(D)
    assert feet_level(N, step, pelvis) == pytest.approx(D)  # without contacts, the lower foot


def test_frame_depth_scales_undo_a_depth_error_that_changes_every_frame():
    pelvis, feet = _person(0.4, 5.0, t=40)
    rng = np.random.default_rng(3)
    k = 1.06 * (1.0 + rng.normal(0.0, 0.04, 40))  # a per-person error and a per-frame jitter, along the ray
    wrong_pelvis = pelvis * k[:, None]
    wrong_feet = feet + (wrong_pelvis - pelvis)[:, None, None]
    s = frame_depth_scales(np.r_[N, D], wrong_pelvis, wrong_feet)
    np.testing.assert_allclose(s, 1.0 / k, rtol=1e-9)
    rest = np.array([0.0, 0.3, 0.0])
    fixed = rescale_translation(wrong_pelvis - rest, rest, s) + rest
    np.testing.assert_allclose(fixed, pelvis, atol=1e-9)
    # a frame whose feet are both off the floor (a jump) would ask for a wrong factor: it is left out and
    # interpolated from its neighbours; so are frames the person is not seen
    jump = wrong_feet.copy()
    jump[10] += 0.3 * N
    seen = np.ones(40, bool)
    seen[20] = False
    s = frame_depth_scales(np.r_[N, D], wrong_pelvis, jump, valid=seen)
    for f in (10, 20):
        assert s[f] == pytest.approx(0.5 * (1.0 / k[f - 1] + 1.0 / k[f + 1]), rel=1e-9)
    np.testing.assert_allclose(np.delete(s, [10, 20]), np.delete(1.0 / k, [10, 20]), rtol=1e-9)
    # contacts: only the frames with a foot on the ground count
    contact = np.ones((40, 2), bool)
    contact[30] = False
    s = frame_depth_scales(np.r_[N, D], wrong_pelvis, wrong_feet, contact)
    assert s[30] == pytest.approx(0.5 * (1.0 / k[29] + 1.0 / k[31]), rel=1e-9)
    # nothing measurable: no move
    np.testing.assert_array_equal(frame_depth_scales(np.r_[N, D], wrong_pelvis, wrong_feet,
                                                     valid=np.zeros(40, bool)), np.ones(40))


def test_a_rolling_foot_touches_the_floor_with_its_lowest_point():
    pelvis, feet = _person(0.0, 4.5, t=5)
    rolled = feet.copy()
    rolled[:, :, 0] += 0.06 * N  # both heels up 6 cm, toes on the floor
    assert feet_level(N, rolled, pelvis, sole="lowest") == pytest.approx(D)
    assert feet_level(N, rolled, pelvis) == pytest.approx(D - 0.02)  # the mean of heel and toes: 2 cm up
    with pytest.raises(ValueError):
        feet_level(N, rolled, pelvis, sole="middle")


def test_the_reference_up_decides_who_agrees_not_the_majority():
    tilted = np.array([0.0, -np.cos(0.6), -np.sin(0.6)])  # two planes tilted by sliding feet, one right
    planes = [np.r_[N, D], np.r_[tilted, 1.0], np.r_[tilted, 1.1]]
    _, members = shared_plane(planes)
    assert members.tolist() == [False, True, True]  # the median follows the majority
    plane, members = shared_plane(planes + [np.r_[N, D + 0.1]], reference=N + 0.01)
    assert members.tolist() == [True, False, False, True]
    np.testing.assert_allclose(plane[:3], N, atol=1e-12)
