"""Hands and faces to the right person: handshake, mislabel, unclaimed detections, faces, single person."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.fusion.assignment import (
    AssignmentOptions,
    assign_faces_to_people,
    assign_hands_to_people,
    hand_direction_cam,
)
from core.fusion.hands import assign_hands, mirror_rotmat


def _handshake():
    """Frame 5: person 0 stands left, person 1 right, facing each other; their right hands meet at (640, 400).
    Person 0's forearm points +x (towards person 1), person 1's points -x. Two right-labelled detections at the
    meeting point, each pointing along its own forearm; the one listed first belongs to person 1."""
    frames = [np.array([5]), np.array([5])]
    meet = np.array([640.0, 400.0])
    wrists = [np.array([[[520.0, 410.0], meet + [-4, 0]]]),   # (1, 2 sides, 2): person 0 left wrist far, right at meet
              np.array([[[760.0, 410.0], meet + [4, 0]]])]
    forearm = [np.array([[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]]), np.array([[[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]]])]
    direction = np.array([[-1.0, 0.05, 0.0], [1.0, -0.05, 0.0]])  # det 0 points -x (person 1's), det 1 points +x
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    centers = np.array([meet + [-3, 1], meet + [3, -1]])  # det 0 is even a little closer to person 0's wrist
    return frames, wrists, forearm, direction, centers


def test_handshake_goes_to_the_forearm_that_agrees():
    frames, wrists, forearm, direction, centers = _handshake()
    res = assign_hands_to_people(np.array([5, 5]), np.array([True, True]), centers, np.array([80.0, 80.0]),
                                 frames, wrists, direction, forearm)
    assert res.person.tolist() == [1, 0]
    assert res.side.tolist() == [1, 1]
    assert not res.unclaimed
    # the same detections without the direction term go by distance alone, which gets this handshake wrong
    blind = assign_hands_to_people(np.array([5, 5]), np.array([True, True]), centers, np.array([80.0, 80.0]),
                                   frames, wrists, direction, forearm, AssignmentOptions(direction_weight=0.0))
    assert blind.person.tolist() == [0, 1]


def test_mislabelled_hand_is_relabelled_and_a_stray_one_reported():
    frames = [np.array([1, 2])]
    wrists = [np.array([[[100.0, 300.0], [300.0, 300.0]], [[100.0, 300.0], [300.0, 300.0]]])]
    # frame 1: a left-labelled hand at the right wrist (mislabel); frame 2: a hand far from anyone
    res = assign_hands_to_people(np.array([1, 2]), np.array([False, True]),
                                 np.array([[302.0, 301.0], [900.0, 50.0]]), np.array([60.0, 60.0]), frames, wrists)
    assert res.person.tolist() == [0, -1]
    assert res.side.tolist() == [1, -1]
    assert res.relabelled.tolist() == [True, False]
    assert res.unclaimed == [{"frame": 2, "detection": 1, "reason": "no person within the gate"}]


def test_two_detections_for_one_wrist_one_is_reported_not_guessed():
    frames = [np.array([3])]
    wrists = [np.array([[[100.0, 300.0], [600.0, 300.0]]])]
    res = assign_hands_to_people(np.array([3, 3]), np.array([True, True]),
                                 np.array([[605.0, 300.0], [620.0, 310.0]]), np.array([60.0, 60.0]), frames, wrists)
    assert res.person.tolist() == [0, -1] or res.person.tolist() == [0, 0]
    # the second one may only take the left slot if it were near it; it is not (gate), so it is unclaimed
    assert res.person.tolist() == [0, -1]
    assert res.unclaimed[0]["reason"] == "a closer detection took the slot"
    assert res.solved_frames == 1


def test_single_person_matches_label_plus_proximity():
    rng = np.random.default_rng(3)
    t = 50
    frame_ids = np.arange(t)
    wrist = np.stack([rng.uniform(100, 300, (t, 2)), rng.uniform(700, 900, (t, 2))], axis=1)  # (T, 2, 2)
    det_frames = np.repeat(frame_ids, 2)
    side = np.tile([0, 1], t)
    centers = wrist[det_frames, side] + rng.normal(0, 5, (2 * t, 2))
    labels = side.astype(bool)
    labels[[7, 30]] = ~labels[[7, 30]]  # two mislabels
    sizes = np.full(2 * t, 70.0)
    ours = assign_hands_to_people(det_frames, labels, centers, sizes, [frame_ids], [wrist])
    theirs = assign_hands(frame_ids, det_frames, labels, centers, sizes, None, wrist)
    for s in (0, 1):
        np.testing.assert_array_equal(ours.rows_of(0)[ours.side[ours.rows_of(0)] == s],
                                      np.sort(theirs.detection_index[:, s]))
    assert np.flatnonzero(ours.relabelled).tolist() == [7, 30]


def test_hand_direction_from_rotation_and_keypoints_agree_and_left_is_unmirrored():
    rot = Rotation.from_euler("xyz", [0.3, -0.4, 1.1]).as_matrix()
    d_right = hand_direction_cam(rot[None], np.array([True]))[0]
    np.testing.assert_allclose(d_right, rot @ [-1.0, 0.0, 0.0], atol=1e-12)
    # a left hand predicted on a flipped crop: its true rotation R_true, written as M R_true M
    d_left = hand_direction_cam(mirror_rotmat(rot)[None], np.array([False]))[0]
    np.testing.assert_allclose(d_left, rot @ [1.0, 0.0, 0.0], atol=1e-12)
    kp = np.zeros((1, 21, 3))
    kp[0, 9] = [0.02, 0.08, 0.0]
    np.testing.assert_allclose(hand_direction_cam(rot[None], np.array([True]), kp)[0],
                               np.array([0.02, 0.08, 0.0]) / np.hypot(0.02, 0.08), atol=1e-12)
    np.testing.assert_allclose(hand_direction_cam(rot[None], np.array([False]), kp)[0],
                               np.array([-0.02, 0.08, 0.0]) / np.hypot(0.02, 0.08), atol=1e-12)


def test_faces_one_per_person_and_frame():
    frames = [np.array([0, 1]), np.array([1])]
    heads = [np.array([[200.0, 100.0], [210.0, 100.0]]), np.array([[800.0, 120.0]])]
    boxes = np.array([[780, 100, 820, 140], [190, 80, 230, 120], [185, 78, 225, 118], [1200, 600, 1240, 640]],
                     dtype=float)
    res = assign_faces_to_people(np.array([1, 1, 0, 1]), boxes, frames, heads)
    assert res.person.tolist() == [1, 0, 0, -1]
    assert res.unclaimed == [{"frame": 1, "detection": 3, "reason": "no person within the gate"}]
    assert res.cost[0] == pytest.approx(np.hypot(0, 0) / 40.0)
