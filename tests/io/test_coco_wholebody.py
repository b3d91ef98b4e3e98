"""COCO-WholeBody 133 as MMPose's inferencer and rtmlib write it; the layout pinned keypoint by keypoint."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import FusionError
from core.io.coco_wholebody import read_mmpose_json, read_rtmlib_npz
from core.io.keypoint_layouts import COCO_WHOLEBODY_LAYOUT, RTMLIB_OPENPOSE_LAYOUT, SMPLX_KEYPOINT_NAMES

N = SMPLX_KEYPOINT_NAMES.index


def _instance(points: dict, count: int = 133, bbox=((10.0, 20.0, 300.0, 400.0),)) -> dict:
    """One MMPose instance (``split_instances``): keypoints [[x, y]] * count, keypoint_scores, bbox as a 1-tuple."""
    kp = np.zeros((count, 2))
    sc = np.zeros(count)
    for k, (x, y, s) in points.items():
        kp[k], sc[k] = (x, y), s
    return {"keypoints": kp.tolist(), "keypoint_scores": sc.tolist(), "bbox": [list(b) for b in bbox],
            "bbox_score": 0.95}


def test_wholebody_layout_matches_the_dataset_order():
    """open-mmlab/mmpose configs/_base_/datasets/coco_wholebody.py: 0-16 COCO body, 17-22 feet, 23-90 face,
    91-111 left hand, 112-132 right hand."""
    names = [SMPLX_KEYPOINT_NAMES[i] if i >= 0 else None for i in COCO_WHOLEBODY_LAYOUT.smplx_index]
    assert names[:17] == ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                          "left_elbow", "right_elbow", "left_wrist", "right_wrist", None, None, "left_knee",
                          "right_knee", "left_ankle", "right_ankle"]
    assert names[17:23] == ["left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe",
                            "right_heel"]
    assert names[23] == "face_0" and names[90] == "face_67"
    assert names[91] == "left_wrist" and names[95] == "left_thumb" and names[99] == "left_index"
    assert names[112] == "right_wrist" and names[132] == "right_pinky"
    # rtmlib's to_openpose 134: COCO-18 body (1 = the inserted neck, ignored; 4 = RWrist, 7 = LWrist), then the rest
    op = [SMPLX_KEYPOINT_NAMES[i] if i >= 0 else None for i in RTMLIB_OPENPOSE_LAYOUT.smplx_index]
    assert op[:8] == ["nose", None, "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
                      "left_wrist"]
    assert op[18] == "left_big_toe" and op[24] == "face_0" and op[92] == "left_wrist" and op[113] == "right_wrist"


def test_mmpose_image_file_wrists_and_hips(tmp_path):
    """left_wrist = 9, right_wrist = 10 land on smplx 20 / 21; the hips (11, 12) are ignored; bbox read."""
    path = tmp_path / "frame_000005.json"
    path.write_text(json.dumps([_instance({9: (100.0, 200.0, 0.9), 10: (300.0, 400.0, 0.8),
                                           11: (150.0, 300.0, 0.9), 12: (250.0, 300.0, 0.9)})]))
    kp = read_mmpose_json(path)
    assert kp.single_image and kp.frame_ids.tolist() == [5]
    np.testing.assert_allclose(kp.uv[0, 0, N("left_wrist")], [100.0, 200.0])
    np.testing.assert_allclose(kp.uv[0, 0, N("right_wrist")], [300.0, 400.0])
    assert (kp.score[0, 0, [N("left_hip"), N("right_hip")]] == 0).all()
    np.testing.assert_allclose(kp.box[0, 0], [10.0, 20.0, 300.0, 400.0])


def test_mmpose_video_and_predictions_dict(tmp_path):
    video = [{"frame_id": i, "instances": [_instance({0: (10.0 + i, 5.0, 0.7)})] * (1 + (i == 1))}
             for i in range(3)]
    (tmp_path / "clip.json").write_text(json.dumps(video))
    kp = read_mmpose_json(tmp_path / "clip.json")
    assert kp.frame_ids.tolist() == [0, 1, 2] and kp.uv.shape == (3, 2, 144, 2) and not kp.single_image
    np.testing.assert_allclose(kp.uv[:, 0, N("nose"), 0], [10.0, 11.0, 12.0])
    (tmp_path / "result.json").write_text(json.dumps({"predictions": [[_instance({0: (1.0, 2.0, 0.5)})]]}))
    one = read_mmpose_json(tmp_path / "result.json")
    assert one.single_image and one.uv.shape == (1, 1, 144, 2)


def test_mmpose_folder_of_images(tmp_path):
    for frame in (3, 1):
        (tmp_path / f"img_{frame:04d}.json").write_text(json.dumps([_instance({5: (float(frame), 1.0, 0.9)})]))
    kp = read_mmpose_json(tmp_path)
    assert kp.frame_ids.tolist() == [1, 3]
    np.testing.assert_allclose(kp.uv[:, 0, N("left_shoulder"), 0], [1.0, 3.0])


def test_rtmlib_arrays_one_image_and_stacked(tmp_path):
    kp = np.full((2, 133, 2), -1.0)
    sc = np.zeros((2, 133))
    kp[1, 9], sc[1, 9] = (40.0, 50.0), 3.2      # SimCC confidence above 1: clipped
    kp[0, 10], sc[0, 10] = (60.0, 70.0), 0.6
    np.savez(tmp_path / "img_0042.npz", keypoints=kp, scores=sc)
    one = read_rtmlib_npz(tmp_path / "img_0042.npz")
    assert one.single_image and one.frame_ids.tolist() == [42] and one.uv.shape == (1, 2, 144, 2)
    np.testing.assert_allclose(one.uv[0, 1, N("left_wrist")], [40.0, 50.0])
    assert one.score[0, 1, N("left_wrist")] == 1.0 and np.isnan(one.uv[0, 1, N("right_wrist")]).all()
    np.savez(tmp_path / "clip.npz", keypoints=np.stack([kp, kp]), scores=np.stack([sc, sc]), frame_ids=[7, 9])
    clip = read_rtmlib_npz(tmp_path / "clip.npz")
    assert clip.frame_ids.tolist() == [7, 9] and clip.uv.shape == (2, 2, 144, 2)


def test_rtmlib_openpose_134(tmp_path):
    kp = np.zeros((1, 134, 2))
    sc = np.zeros((1, 134))
    kp[0, 7], sc[0, 7] = (1.0, 2.0), 0.9   # LWrist in OpenPose's order
    kp[0, 1], sc[0, 1] = (5.0, 5.0), 0.9   # the inserted neck: ignored
    np.savez(tmp_path / "op.npz", keypoints=kp, scores=sc)
    out = read_rtmlib_npz(tmp_path / "op.npz")
    np.testing.assert_allclose(out.uv[0, 0, N("left_wrist")], [1.0, 2.0])
    assert np.count_nonzero(out.score) == 1 and out.layout == "rtmlib rtmlib_openpose_134"


@pytest.mark.parametrize("content, field", [
    ([_instance({}, count=132)], "instances[0].keypoints"),
    ([{"keypoints": [[1.0, 2.0]] * 133, "keypoint_scores": [1.0] * 132}], "instances[0].keypoint_scores"),
    ([{"keypoints": [[1.0, 2.0]] * 133}], "instances[0].keypoint_scores"),
    ([_instance({}, bbox=((1.0, 2.0, 3.0),))], "instances[0].bbox"),
])
def test_bad_mmpose_files_name_file_and_field(tmp_path, content, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(FusionError) as err:
        read_mmpose_json(path)
    assert str(path) in str(err.value) and f"'{field}'" in str(err.value)


def test_bad_rtmlib_files_name_file_and_field(tmp_path):
    np.savez(tmp_path / "a.npz", keypoints=np.zeros((1, 133, 2)), scores=np.zeros((1, 132)))
    with pytest.raises(FusionError, match="'scores'"):
        read_rtmlib_npz(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", keypoints=np.zeros((2, 1, 133, 2)), scores=np.zeros((2, 1, 133)), frame_ids=[4, 4])
    with pytest.raises(FusionError, match="frame 4 is given twice"):
        read_rtmlib_npz(tmp_path / "b.npz")
