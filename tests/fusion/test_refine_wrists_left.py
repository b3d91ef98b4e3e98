"""``fuse --refine-wrists`` on demo data written the way WiLoR's ``demo.py`` leaves it: the left hand's keypoints are
un-mirrored exactly once, so the refined left wrist lands on the ground truth like the right one.

The demo dumps hold left keypoints already un-mirrored (``joints[:, 0] *= -1`` in the demo's loop) while the rotations
are still mirrored. The reader hands over both as predicted and :func:`core.fusion.hands.unmirror_hand` un-mirrors
them together; un-mirroring the keypoints a second time makes the Kabsch fit a left wrist to a right hand's points,
which these tests catch (about 40 degrees off on clean data).
"""
from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.body.model import load_body_model
from core.contracts.fused_file import read_fused
from core.fusion import hands as H
from core.fusion.pipeline import FusionOptions, fuse
from core.io import read_body, read_hands

#: SMPL-X kinematic chains from the pelvis to each wrist (docs/ARCHITECTURE.md, section 4), composed here with scipy
#: as an implementation independent of core.body.chains.
WRIST_CHAINS = {"left": (0, 3, 6, 9, 13, 16, 18, 20), "right": (0, 3, 6, 9, 14, 17, 19, 21)}


def _wrist_global(full_pose_aa: np.ndarray, side: str) -> Rotation:
    """(T, 55, 3) axis-angle full pose -> the wrist's camera-frame global rotation, T rotations."""
    out = Rotation.identity(full_pose_aa.shape[0])
    for joint in WRIST_CHAINS[side]:
        out = out * Rotation.from_rotvec(full_pose_aa[:, joint])
    return out


def _wrist_error_deg(fused_full_pose: np.ndarray, gt_full_pose: np.ndarray, side: str) -> np.ndarray:
    """(T,) angle in degrees between the fused and the ground-truth wrist global rotations."""
    diff = _wrist_global(fused_full_pose, side).inv() * _wrist_global(gt_full_pose, side)
    return np.degrees(diff.magnitude())


def _take(model_path: Path, folder: Path, noise_scale: float, faults: bool):
    from core.demo_data import write_demo_data

    manifest = write_demo_data(folder, model_path, num_frames=48, seed=3, noise_scale=noise_scale,
                               inject_faults=faults)
    return manifest, read_fused(manifest.ground_truth)


@pytest.fixture(scope="module")
def clean_take(model_path, tmp_path_factory):
    """Noise-free estimators, no faults: the refinement has nothing to correct."""
    return _take(model_path, tmp_path_factory.mktemp("refine_clean") / "est", 0.0, False)


@pytest.fixture(scope="module")
def noisy_take(model_path, tmp_path_factory):
    """The demo's default estimator noise (no faults: the hand expert is used on every frame)."""
    return _take(model_path, tmp_path_factory.mktemp("refine_noisy") / "est", 1.0, False)


def _fuse(manifest, model_path, hands_dir=None, refine=True):
    model = load_body_model(model_path)
    hands = read_hands(hands_dir or manifest.hands)
    opts = FusionOptions(refine_wrists=refine, smooth=False)
    return fuse(read_body(manifest.body), None, hands, model, opts)


def _rewrite_dumps(src: Path, dst: Path, edit) -> Path:
    """Copy a folder of WiLoR dumps, passing each dump's dict through ``edit(dict) -> dict or None`` (None: drop it)."""
    dst.mkdir(parents=True)
    for f in sorted(src.iterdir()):
        if f.suffix == ".pkl":
            with open(f, "rb") as fh:
                data = edit(pickle.load(fh))
            if data is not None:
                with open(dst / f.name, "wb") as fh:
                    pickle.dump(data, fh)
        elif f.suffix == ".npz":
            with np.load(f, allow_pickle=False) as z:
                data = edit({k: z[k] for k in z.files})
            if data is not None:
                np.savez(dst / f.name, **data)
        else:
            shutil.copy(f, dst / f.name)
    return dst


def _as_predicted(data: dict) -> dict:
    """The dump a user gets from ``out`` on CUDA: left keypoints still mirrored (the demo only flips its copy)."""
    kp = np.array(data["pred_keypoints_3d"], copy=True)
    kp[data["is_right"] < 0.5, :, 0] *= -1.0
    return {**data, "pred_keypoints_3d": kp}


def _left_only(data: dict):
    """The same dump with the right hands removed (a clip without any right-hand reference)."""
    keep = data["is_right"] < 0.5
    if not keep.any():
        return None
    b = keep.shape[0]
    out = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out[k] = {kk: vv[keep] for kk, vv in v.items()}
        elif isinstance(v, np.ndarray) and v.ndim and v.shape[0] == b:
            out[k] = v[keep]
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------------------------


def test_refined_wrists_match_the_ground_truth_on_clean_data(clean_take, model_path):
    manifest, gt = clean_take
    res = _fuse(manifest, model_path)
    full = res.sequence.full_pose()
    for side in ("left", "right"):
        err = _wrist_error_deg(full, gt.full_pose(), side)
        assert err.max() < 0.5, (side, err.max())
    ref = res.report["counts"]["hands"]["refinement"]
    for side in ("left", "right"):
        assert ref[side]["frames"] == manifest.num_frames
        assert ref[side]["median_rotation_change_deg"] < 0.1, (side, ref[side])
        assert ref[side]["max_rotation_change_deg"] < 0.5, (side, ref[side])
        assert ref[side]["median_rel_rms"] < 1e-3, (side, ref[side])


def test_refined_wrists_stay_near_the_ground_truth_on_noisy_data(noisy_take, model_path):
    manifest, gt = noisy_take
    res = _fuse(manifest, model_path)
    refined = res.sequence.full_pose()
    plain = _fuse(manifest, model_path, refine=False).sequence.full_pose()
    ref = res.report["counts"]["hands"]["refinement"]
    for side in ("left", "right"):
        err = np.median(_wrist_error_deg(refined, gt.full_pose(), side))
        err_plain = np.median(_wrist_error_deg(plain, gt.full_pose(), side))
        assert err < 5.0 and err < err_plain + 0.5, (side, err, err_plain)
        assert ref[side]["median_rotation_change_deg"] < 8.0, (side, ref[side])


def test_the_reader_hands_over_left_keypoints_as_predicted_whatever_the_dump_did(clean_take, tmp_path):
    manifest, _ = clean_take
    saved = read_hands(manifest.hands)  # the demo's dumps: left keypoints saved un-mirrored
    raw_dir = _rewrite_dumps(Path(manifest.hands), tmp_path / "as_predicted", _as_predicted)
    raw = read_hands(raw_dir)  # ``out`` dumped on CUDA: left keypoints as predicted
    assert np.array_equal(saved.is_right, raw.is_right)
    np.testing.assert_allclose(saved.keypoints_3d, raw.keypoints_3d, atol=1e-6)
    assert any("pred_keypoints_3d" in w and "flipped back" in w for w in saved.source["warnings"])
    assert not any("pred_keypoints_3d" in w for w in raw.source["warnings"])
    assert "as predicted" in saved.source["conventions"]["keypoints_3d"]

    # one un-mirroring (unmirror_hand) brings the left keypoints to what the file held, in the rotations' frame
    left = ~saved.is_right
    g_cam, _, keypoints_cam = H.unmirror_hand(saved.global_orient[left], saved.hand_pose[left],
                                              np.ones(int(left.sum()), dtype=bool), saved.keypoints_3d[left])
    palm_cam = np.einsum("nba,nkb->nka", g_cam, keypoints_cam[:, [5, 9, 13, 17]] - keypoints_cam[:, :1])
    # the palm, seen from the un-mirrored wrist, is the same on every frame (rigid children of the wrist) ...
    assert np.abs(palm_cam - palm_cam[:1]).max() < 1e-4
    # ... and a second x flip of the keypoints would make it turn with the wrist instead
    flipped = keypoints_cam * [-1.0, 1.0, 1.0]
    palm_twice = np.einsum("nba,nkb->nka", g_cam, flipped[:, [5, 9, 13, 17]] - flipped[:, :1])
    assert np.abs(palm_twice - palm_twice[:1]).max() > 1e-2


def test_left_only_clip_is_told_apart_without_right_hands(clean_take, model_path, tmp_path):
    manifest, gt = clean_take
    left_dir = _rewrite_dumps(Path(manifest.hands), tmp_path / "left_only", _left_only)
    hands = read_hands(left_dir)
    assert not hands.is_right.any()
    assert any("pred_keypoints_3d" in w and "flipped back" in w for w in hands.source["warnings"])
    res = _fuse(manifest, model_path, hands_dir=left_dir)
    err = _wrist_error_deg(res.sequence.full_pose(), gt.full_pose(), "left")
    assert err.max() < 0.5, err.max()
    assert res.report["counts"]["hands"]["refinement"]["left"]["median_rotation_change_deg"] < 0.1
