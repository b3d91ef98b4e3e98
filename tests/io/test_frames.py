"""Rows to frame numbers: names, keys, duplicates, order, gaps."""
from __future__ import annotations

import numpy as np
import pytest

from core.io import EstimatorInputError
from core.io.frames import (
    fill_nearest,
    frame_and_index_from_name,
    frame_from_name,
    frames_from_key,
    frames_from_names,
    layout_frames,
)


def test_frame_numbers_from_names():
    assert frame_from_name("000123.npz") == 123
    assert frame_from_name("frame_000123.pkl") == 123
    assert frame_from_name("frame000045") == 45
    assert frame_from_name("IMG_1331_frame00180_param.pkl", suffixes=("_param",)) == 180
    assert frame_from_name("no_digits.npz") is None
    assert frame_and_index_from_name("00012_0.npz") == (12, 0)       # SMPLer-X {frame:05}_{bbox_id}
    assert frame_and_index_from_name("000123_000") == (123, 0)       # EMOCA <frame>_<face %03d>
    assert frame_and_index_from_name("frame_000123.npz") == (123, None)


def test_frames_from_names_fallback_and_error(tmp_path):
    warnings = []
    assert frames_from_names(["a.npz", "b.npz"], tmp_path, warnings=warnings).tolist() == [0, 1]
    assert "name order" in warnings[0]
    with pytest.raises(EstimatorInputError) as err:
        frames_from_names(["000001.npz", "extra.npz"], tmp_path)
    assert err.value.path.endswith("extra.npz")


def test_frames_from_key():
    key, frames = frames_from_key({"frame_ids": np.array([4, 5])}, 2, "f.npz")
    assert key == "frame_ids" and frames.tolist() == [4, 5]
    assert frames_from_key({}, 2, "f.npz") == (None, None)
    with pytest.raises(EstimatorInputError, match="expected 3 frame numbers"):
        frames_from_key({"frame": np.arange(2)}, 3, "f.npz")
    with pytest.raises(EstimatorInputError, match="integers"):
        frames_from_key({"frame": np.array([1.5, 2.0])}, 2, "f.npz")


def test_layout_sorts_fills_and_reports():
    layout = layout_frames([7, 5, 9], "f.npz")
    assert layout.frame_ids.tolist() == [5, 6, 7, 8, 9]
    assert layout.rows.tolist() == [1, -1, 0, -1, 2]
    assert any("not in frame order" in w for w in layout.warnings)
    assert any("2 frame(s) missing" in w and "6, 8" in w for w in layout.warnings)
    values = np.array([[7.0], [5.0], [9.0]])
    np.testing.assert_array_equal(layout.gather(values, fill=-1).ravel(), [5, -1, 7, -1, 9])
    quiet = layout_frames([5, 6, 7], "f.npz")
    assert quiet.warnings == [] and quiet.present.all()


def test_layout_refuses_duplicates_and_absurd_spans():
    with pytest.raises(EstimatorInputError) as err:
        layout_frames([1, 2, 2], "dir", sources=["a.npz", "b.npz", "c.npz"])
    assert err.value.frame == 2 and "b.npz" in str(err.value) and "c.npz" in str(err.value)
    with pytest.raises(EstimatorInputError, match="timestamps"):
        layout_frames([0, 10_000_000_000], "f.npz")


def test_fill_nearest():
    values = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    ok = np.array([False, True, False, False, True])
    np.testing.assert_array_equal(fill_nearest(values, ok), [1, 1, 1, 4, 4])
