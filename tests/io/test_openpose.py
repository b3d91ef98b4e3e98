"""OpenPose JSON (``--write_json``) read as OpenPose writes it; each layout pinned against SMPLify-X's mapping."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import FusionError
from core.io.keypoint_layouts import (
    BODY_25_LAYOUT,
    COCO_18_LAYOUT,
    FACE_70_LAYOUT,
    HAND_LEFT_LAYOUT,
    HAND_RIGHT_LAYOUT,
    SMPLX_KEYPOINT_NAMES,
)
from core.io.openpose import read_openpose

# vchoutas/smplify-x smplifyx/utils.py smpl_to_openpose(model_type='smplx', openpose_format='coco25'): BODY_25 index
# -> smplx keypoint; the project ignores 1 (Neck), 8 (MidHip), 9 (RHip), 12 (LHip) (SMPLify-X's joints_to_ign 1, 9,
# 12, and MidHip for the hips' offset)
SMPLIFYX_BODY25 = [55, 12, 17, 19, 21, 16, 18, 20, 0, 2, 5, 8, 1, 4, 7, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65]
SMPLIFYX_LHAND = [20, 37, 38, 39, 66, 25, 26, 27, 67, 28, 29, 30, 68, 34, 35, 36, 69, 31, 32, 33, 70]
SMPLIFYX_RHAND = [21, 52, 53, 54, 71, 40, 41, 42, 72, 43, 44, 45, 73, 49, 50, 51, 74, 46, 47, 48, 75]


def _flat(points: dict, count: int) -> list:
    """OpenPose's flat [x, y, c] * count with the given {index: (x, y, c)}, the rest undetected (0, 0, 0)."""
    out = np.zeros((count, 3))
    for k, v in points.items():
        out[k] = v
    return out.reshape(-1).tolist()


def _person(pose=None, left=None, right=None, face=None, pose_count=25) -> dict:
    return {"person_id": [-1], "pose_keypoints_2d": _flat(pose or {}, pose_count),
            "face_keypoints_2d": _flat(face or {}, 70) if face is not None else [],
            "hand_left_keypoints_2d": _flat(left or {}, 21), "hand_right_keypoints_2d": _flat(right or {}, 21)}


def _write(path, people) -> None:
    path.write_text(json.dumps({"version": 1.3, "people": people}))


def test_body25_hands_and_face_follow_smplify_x():
    expected = [-1 if k in (1, 8, 9, 12) else v for k, v in enumerate(SMPLIFYX_BODY25)]
    assert BODY_25_LAYOUT.smplx_index.tolist() == expected
    assert HAND_LEFT_LAYOUT.smplx_index.tolist() == SMPLIFYX_LHAND
    assert HAND_RIGHT_LAYOUT.smplx_index.tolist() == SMPLIFYX_RHAND
    assert FACE_70_LAYOUT.smplx_index[17:68].tolist() == list(range(76, 127))      # smplify-x face_mapping
    assert FACE_70_LAYOUT.smplx_index[:17].tolist() == list(range(127, 144))       # use_face_contour
    assert FACE_70_LAYOUT.smplx_index[68:].tolist() == [-1, -1]                    # pupils ignored
    # COCO-18 (OpenPose's COCO model): same names, without MidHip and the feet
    assert [SMPLX_KEYPOINT_NAMES[i] if i >= 0 else None for i in COCO_18_LAYOUT.smplx_index[[4, 7, 8, 11, 14]]] == \
        ["right_wrist", "left_wrist", None, None, "right_eye"]


def test_face_points_follow_smplx_landmark_names():
    """iBUG 17 (the right brow's outer end) is smplx's right_eye_brow1, iBUG 8 (the chin) its contour_middle."""
    from smplx.joint_names import JOINT_NAMES

    assert tuple(JOINT_NAMES) == SMPLX_KEYPOINT_NAMES[:76] + tuple(JOINT_NAMES[76:])
    assert JOINT_NAMES[FACE_70_LAYOUT.smplx_index[17]] == "right_eye_brow1"
    assert JOINT_NAMES[FACE_70_LAYOUT.smplx_index[8]] == "contour_middle"
    assert JOINT_NAMES[FACE_70_LAYOUT.smplx_index[0]] == "right_contour_1"


def test_wrists_read_to_their_own_side(tmp_path):
    """BODY_25 LWrist = 7, RWrist = 4: a file with only those two lands on smplx's left_wrist (20) and right_wrist (21);
    the hands' thumb tips go to the side of their key; a wrist given by the body and a hand keeps the surer one."""
    path = tmp_path / "img_keypoints.json"
    _write(path, [_person(pose={7: (100.0, 200.0, 0.9), 4: (300.0, 400.0, 0.8)},
                          left={0: (101.0, 201.0, 0.7), 4: (110.0, 230.0, 0.6)},
                          right={4: (320.0, 430.0, 0.5)})])
    kp = read_openpose(path)
    uv, score = kp.uv[0, 0], kp.score[0, 0]
    left_wrist, right_wrist = SMPLX_KEYPOINT_NAMES.index("left_wrist"), SMPLX_KEYPOINT_NAMES.index("right_wrist")
    assert (left_wrist, right_wrist) == (20, 21)
    np.testing.assert_allclose(uv[left_wrist], [100.0, 200.0])  # body 0.9 beats the hand's wrist 0.7
    np.testing.assert_allclose(uv[right_wrist], [300.0, 400.0])
    assert score[right_wrist] == pytest.approx(0.8)
    np.testing.assert_allclose(uv[SMPLX_KEYPOINT_NAMES.index("left_thumb")], [110.0, 230.0])
    np.testing.assert_allclose(uv[SMPLX_KEYPOINT_NAMES.index("right_thumb")], [320.0, 430.0])
    assert np.isnan(uv[SMPLX_KEYPOINT_NAMES.index("left_shoulder")]).all()  # (0, 0, 0) is undetected
    assert kp.single_image and kp.frame_ids.tolist() == [0]


def test_hips_neck_and_midhip_are_ignored(tmp_path):
    path = tmp_path / "img_keypoints.json"
    _write(path, [_person(pose={1: (5.0, 5.0, 1.0), 8: (6.0, 6.0, 1.0), 9: (7.0, 7.0, 1.0), 12: (8.0, 8.0, 1.0),
                                0: (9.0, 9.0, 1.0)})])
    kp = read_openpose(path)
    have = np.flatnonzero(kp.score[0, 0] > 0)
    assert [SMPLX_KEYPOINT_NAMES[i] for i in have] == ["nose"]


def test_folder_frames_from_names_people_and_order(tmp_path):
    folder = tmp_path / "json"
    folder.mkdir()
    for frame in (14, 12, 13):
        people = [_person(pose={0: (10.0 * frame, 5.0, 0.9)})]
        if frame == 13:
            people.append(_person(pose={0: (999.0, 5.0, 0.4)}))
        _write(folder / f"clip_{frame:012d}_keypoints.json", people)
    kp = read_openpose(folder)
    assert kp.frame_ids.tolist() == [12, 13, 14] and not kp.single_image
    assert kp.uv.shape == (3, 2, 144, 2)
    np.testing.assert_allclose(kp.uv[:, 0, 55, 0], [120.0, 130.0, 140.0])
    assert kp.uv[1, 1, 55, 0] == 999.0 and np.isnan(kp.uv[0, 1]).all() and (kp.score[0, 1] == 0).all()
    assert kp.layout.startswith("openpose body_25")


def test_folder_without_numbers_is_numbered_in_order(tmp_path):
    for name in ("a", "b"):
        _write(tmp_path / f"{name}_keypoints.json", [_person(pose={0: (1.0, 2.0, 1.0)})])
    assert read_openpose(tmp_path).frame_ids.tolist() == [0, 1]


def test_single_file_takes_its_number_and_real_quirks(tmp_path):
    """A single image named ..._02 (as smplify-x-partial's demo) is frame 2 and single_image; person_id as an int,
    no version and 68 face points (no pupils) are read, as in that real file."""
    path = tmp_path / "02_cropped_blended.json"
    person = _person(pose={0: (1.0, 2.0, 1.0)})
    person["person_id"] = 1
    person["face_keypoints_2d"] = _flat({30: (50.0, 60.0, 0.9)}, 68)
    path.write_text(json.dumps({"people": [person]}))
    kp = read_openpose(path)
    assert kp.single_image and kp.frame_ids.tolist() == [2]
    np.testing.assert_allclose(kp.uv[0, 0, SMPLX_KEYPOINT_NAMES.index("face_30")], [50.0, 60.0])


def test_empty_people_and_old_key_names(tmp_path):
    _write(tmp_path / "a_000000000000_keypoints.json", [])
    old = {"pose_keypoints": _flat({4: (3.0, 4.0, 1.0)}, 18)}
    _write(tmp_path / "a_000000000001_keypoints.json", [old])
    kp = read_openpose(tmp_path)
    assert kp.uv.shape[:2] == (2, 1) and (kp.score[0] == 0).all()
    np.testing.assert_allclose(kp.uv[1, 0, 21], [3.0, 4.0])  # COCO-18 RWrist = 4


@pytest.mark.parametrize("people, field", [
    ([{"pose_keypoints_2d": [1.0] * 74}], "people[0].pose_keypoints_2d"),
    ([{"hand_left_keypoints_2d": [[1.0, 2.0]] * 21}], "people[0].hand_left_keypoints_2d"),
    ([{"pose_keypoints_2d": ["a"] * 75}], "people[0].pose_keypoints_2d"),
    (["not a person"], "people[0]"),
    ({"not": "a list"}, "people"),
])
def test_bad_files_name_file_field_and_frame(tmp_path, people, field):
    path = tmp_path / "x_000000000007_keypoints.json"
    path.write_text(json.dumps({"people": people}))
    with pytest.raises(FusionError) as err:
        read_openpose(tmp_path)
    message = str(err.value)
    assert str(path) in message and f"'{field}'" in message and "frame 7" in message


def test_a_frame_given_twice_names_both_files(tmp_path):
    _write(tmp_path / "a_000000000003_keypoints.json", [])
    _write(tmp_path / "b_000000000003_keypoints.json", [])
    with pytest.raises(FusionError) as err:
        read_openpose(tmp_path)
    assert "a_000000000003_keypoints.json" in str(err.value) and "b_000000000003_keypoints.json" in str(err.value)
