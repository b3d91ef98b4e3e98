"""Seams on a really fused take: fusion records each source's global rotation at the wrists and the head, and the
seam check flags exactly the frames where the body estimate and an expert disagree (the demo take's body outlier,
and hand-expert wrists flipped on purpose)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.body.model import load_body_model
from core.fusion.pipeline import PART_WEIGHTS_KEY, fuse
from core.io import read_body, read_face, read_hands
from core.validate.run import run_checks

SEAM_EXTRAS = {"seam_wrist_global_body": (2, 3), "seam_wrist_global_expert": (2, 3),
               "seam_head_global_body": (3,), "seam_head_global_face": (3,), PART_WEIGHTS_KEY: (4,)}


@pytest.fixture(scope="module")
def demo_take(model_path, tmp_path_factory):
    from core.demo_data import write_demo_data

    out = tmp_path_factory.mktemp("seams") / "est"
    data = write_demo_data(out, model_path, num_frames=120, seed=0)
    return data, json.loads((out / "manifest.json").read_text())


def _fuse(data, model_path, hands_dir=None):
    model = load_body_model(model_path)
    body = read_body(data.body)
    face = read_face(data.face, bbox=data.face_bbox)
    hands = read_hands(hands_dir or data.hands)
    return fuse(body, face, hands, model).sequence, model


def _rows_of(seq, frames):
    ids = np.asarray(seq.extras["frame_ids"])
    return sorted(int(np.flatnonzero(ids == f)[0]) for f in frames)


def test_fusion_records_per_source_seam_rotations(demo_take, model_path):
    data, manifest = demo_take
    seq, _ = _fuse(data, model_path)
    t = seq.num_frames
    for key, trailing in SEAM_EXTRAS.items():
        assert np.shape(seq.extras[key]) == (t, *trailing), key
    # the expert columns are NaN exactly where the expert saw nothing: the occlusion gap
    gap = next(f for f in manifest["faults"] if f["kind"] == "occlusion_gap")
    gap_rows = _rows_of(seq, gap["frames"])
    assert np.isnan(seq.extras["seam_wrist_global_expert"][gap_rows]).all()
    assert np.isnan(seq.extras["seam_head_global_face"][gap_rows]).all()
    assert np.isfinite(seq.extras["seam_wrist_global_body"]).all()  # the body is valid on every demo frame
    w = seq.extras[PART_WEIGHTS_KEY]
    assert np.all((w >= 0) & (w <= 1)) and np.all(w[gap_rows, 1:] == 0)


def test_seams_flag_exactly_the_body_outlier(demo_take, model_path):
    data, manifest = demo_take
    seq, model = _fuse(data, model_path)
    result = run_checks(seq, model, mesh="numpy", vertex_metrics=False)
    seams = result.checks["seams"]
    assert seams.status == "ok" and not seams.details["missing"]
    outlier = next(f for f in manifest["faults"] if f["kind"] == "body_outlier")
    assert np.flatnonzero(seams.flags).tolist() == _rows_of(seq, outlier["frames"])
    # away from faults the sources agree within the estimators' noise
    for seam in ("left_wrist", "right_wrist", "head"):
        assert seams.details["seams"][seam]["median_deg"] < 25.0, seam


def test_flipped_expert_wrists_are_flagged_on_their_frames(demo_take, model_path, tmp_path):
    data, manifest = demo_take
    hands_dir = tmp_path / "wilor"
    shutil.copytree(data.hands, hands_dir)
    flipped_frames = [21, 22, 23]
    flip = Rotation.from_euler("z", 150, degrees=True).as_matrix()
    for frame in flipped_frames:
        dump = next(hands_dir.glob(f"{frame:06d}.*"))
        assert dump.suffix == ".npz", dump  # the demo writes a few dumps as pickles; these frames are npz
        arrays = dict(np.load(dump, allow_pickle=False))
        right = arrays["is_right"] > 0.5
        arrays["global_orient"][right, 0] = flip @ arrays["global_orient"][right, 0]
        np.savez(dump, **arrays)
    seq, model = _fuse(data, model_path, hands_dir)
    seams = run_checks(seq, model, mesh="numpy", vertex_metrics=False).checks["seams"]
    right = seams.breakdown["right_wrist"]
    flipped_rows = _rows_of(seq, flipped_frames)
    assert np.all(right[flipped_rows] > seams.threshold)
    outlier = _rows_of(seq, next(f for f in manifest["faults"] if f["kind"] == "body_outlier")["frames"])
    assert np.flatnonzero(seams.flags).tolist() == sorted(flipped_rows + outlier)
