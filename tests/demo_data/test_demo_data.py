"""Demo data: each estimator's output is in its native layout and conventions, checked without any reader.

The checks recompute what they need from the ground-truth file and the model file themselves (scipy rotations,
the smplx forward pass), so a bug in the generator's own helpers cannot hide behind a shared helper.
"""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.contracts.fused_file import read_fused
from core.demo_data import DemoDataManifest, write_demo_data

ROOT = Path(__file__).resolve().parents[2]
T = 30
M = np.diag([-1.0, 1.0, 1.0])
C = np.diag([1.0, -1.0, -1.0])  # OpenCV camera -> DECA/EMOCA camera
LEFT_CHAIN = (0, 3, 6, 9, 13, 16, 18, 20)
RIGHT_CHAIN = (0, 3, 6, 9, 14, 17, 19, 21)
HEAD_CHAIN = (0, 3, 6, 9, 12, 15)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory, model_path) -> DemoDataManifest:
    return write_demo_data(tmp_path_factory.mktemp("demo_noisy"), model_path, num_frames=T, seed=0)


@pytest.fixture(scope="module")
def clean(tmp_path_factory, model_path) -> DemoDataManifest:
    """Noise-free estimators (faults still injected): conventions can be checked exactly."""
    return write_demo_data(tmp_path_factory.mktemp("demo_clean"), model_path, num_frames=T, seed=0,
                           noise_scale=0.0)


@pytest.fixture(scope="module")
def truth(noisy, model_path):
    """Ground truth and its smplx joints, computed here with the smplx package."""
    import smplx
    import torch

    seq = read_fused(noisy.ground_truth)
    layer = smplx.SMPLX(model_path=str(model_path), use_pca=False, flat_hand_mean=True, batch_size=T).double()

    def t(a):
        return torch.tensor(np.asarray(a, dtype=np.float64).reshape(T, -1))

    with torch.no_grad():
        out = layer(betas=t(np.tile(seq.betas, (T, 1))), global_orient=t(seq.global_orient),
                    body_pose=t(seq.body_pose), left_hand_pose=t(seq.left_hand_pose),
                    right_hand_pose=t(seq.right_hand_pose), jaw_pose=t(seq.jaw_pose), leye_pose=t(seq.leye_pose),
                    reye_pose=t(seq.reye_pose), expression=t(seq.expression), transl=t(seq.transl))
    return seq, out.joints.numpy()[:, :55]


def chain_rotation(seq, chain) -> np.ndarray:
    """(T, 3, 3) product of the local rotations along ``chain`` (camera frame)."""
    pose = seq.full_pose()
    out = np.tile(np.eye(3), (T, 1, 1))
    for j in chain:
        out = out @ Rotation.from_rotvec(pose[:, j]).as_matrix()
    return out


def angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distance (radians) between rotation matrices, over leading axes."""
    rel = np.swapaxes(a, -1, -2) @ b
    return np.arccos(np.clip((np.trace(rel, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0))


def faults(man: DemoDataManifest, kind: str):
    found = man.faults_of(kind)
    assert len(found) == 1, f"expected one {kind} fault, found {len(found)}"
    return found[0]


def load_hands(path: Path) -> dict:
    """One WiLoR dump (npz with merged keys, or pkl with nested pred_mano_params) as a flat dict."""
    if path.suffix == ".pkl":
        with open(path, "rb") as fh:
            data = pickle.load(fh)
        flat = {k: v for k, v in data.items() if k != "pred_mano_params"}
        flat.update(data["pred_mano_params"])
        return flat
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


# ---------------------------------------------------------------------------------------------- layout


def test_native_layout(noisy):
    man = noisy
    frames = np.arange(T) + man.first_frame
    assert man.first_frame == 1 and man.num_frames == T
    assert (man.out_dir / "manifest.json").is_file()
    assert DemoDataManifest.read(man.out_dir).faults == man.faults

    # SMPLer-X: smplx/{frame:05}_0.npz + meta/{frame:05}_0.json for every frame
    want = {"global_orient": (1, 3), "body_pose": (21, 3), "left_hand_pose": (15, 3), "right_hand_pose": (15, 3),
            "jaw_pose": (1, 3), "leye_pose": (1, 3), "reye_pose": (1, 3), "betas": (1, 10), "expression": (1, 10),
            "transl": (1, 3)}
    for f in frames:
        with np.load(man.body / "smplx" / f"{f:05d}_0.npz", allow_pickle=False) as z:
            assert {k: z[k].shape for k in z.files} == want
            assert np.all(z["leye_pose"] == 0) and np.all(z["reye_pose"] == 0)
        meta = json.loads((man.body / "meta" / f"{f:05d}_0.json").read_text())
        assert {"focal", "princpt", "bbox", "bbox_mmdet", "bbox_id", "img_path"} <= set(meta)
        assert len(meta["focal"]) == 2 and len(meta["princpt"]) == 2 and len(meta["bbox"]) == 4
        assert meta["img_path"].endswith(f"{f:06d}.jpg")

    # EMOCA: {frame:06d}_000/ with save_codes' five arrays, one sample each
    face_missing = set(faults(man, "face_missing").frames) | set(faults(man, "occlusion_gap").frames)
    boxes = json.loads(man.face_bbox.read_text())
    for f in frames:
        sample = man.face / f"{f:06d}_000"
        assert sample.is_dir() == (f not in face_missing), f
        assert (f"{f:06d}" in boxes) == (f not in face_missing), f
        if sample.is_dir():
            shapes = {p.name: np.load(p).shape for p in sample.iterdir()}
            assert shapes == {"shape.npy": (100,), "exp.npy": (50,), "tex.npy": (50,), "pose.npy": (6,),
                              "detail.npy": (128,)}
            x0, y0, x1, y1 = boxes[f"{f:06d}"]
            assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 720

    # WiLoR: one file per image with detections, pkl for image numbers divisible by 5
    gap = set(faults(man, "occlusion_gap").frames)
    for f in frames:
        npz, pkl = man.hands / f"{f:06d}.npz", man.hands / f"{f:06d}.pkl"
        if f in gap:
            assert not npz.exists() and not pkl.exists()
            continue
        assert pkl.is_file() == (f % 5 == 0) and npz.is_file() == (f % 5 != 0), f
        d = load_hands(pkl if pkl.is_file() else npz)
        b = d["is_right"].shape[0]
        assert d["global_orient"].shape == (b, 1, 3, 3) and d["hand_pose"].shape == (b, 15, 3, 3)
        assert d["betas"].shape == (b, 10) and d["pred_cam"].shape == (b, 3)
        assert d["pred_keypoints_3d"].shape == (b, 21, 3) and d["box_center"].shape == (b, 2)
        assert d["box_size"].shape == (b,) and set(np.unique(d["is_right"])) <= {0.0, 1.0}
    assert sorted(man.hands_pickle_frames) == [f for f in frames if f % 5 == 0 and f not in gap]
    seq = read_fused(man.ground_truth)
    assert seq.num_frames == T and tuple(seq.image_size) == (1280.0, 720.0)


def test_import_does_not_load_torch():
    code = "import sys, core, core.demo_data; assert 'torch' not in sys.modules, 'torch imported'"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


# ---------------------------------------------------------------------------------------------- SMPLer-X


def read_body(man: DemoDataManifest, key: str) -> np.ndarray:
    rows = []
    for f in np.arange(T) + man.first_frame:
        with np.load(man.body / "smplx" / f"{f:05d}_0.npz") as z:
            rows.append(z[key].astype(np.float64))
    return np.stack(rows)


def test_smplerx_hands_are_mean_relative(clean, noisy, model_path):
    seq = read_fused(clean.ground_truth)
    with np.load(model_path) as z:
        mean_l, mean_r = z["hands_meanl"].reshape(15, 3), z["hands_meanr"].reshape(15, 3)
    assert np.abs(mean_l).max() > 0.1, "the model's hands_mean is too small to tell the conventions apart"
    left, right = read_body(clean, "left_hand_pose"), read_body(clean, "right_hand_pose")
    np.testing.assert_allclose(left + mean_l, seq.left_hand_pose, atol=1e-5)
    np.testing.assert_allclose(right + mean_r, seq.right_hand_pose, atol=1e-5)
    assert np.abs(left - seq.left_hand_pose).max() > 0.1
    # with noise the body's hands are poor but still mean-relative: adding the mean is closer on average
    noisy_left = read_body(noisy, "left_hand_pose")
    assert np.abs(noisy_left + mean_l - seq.left_hand_pose).mean() < np.abs(noisy_left - seq.left_hand_pose).mean()


@pytest.mark.parametrize("which", ["clean", "noisy"])
def test_smplerx_camera_reprojects_the_truth(which, request, truth):
    man = request.getfixturevalue(which)
    seq, joints = truth
    outlier = faults(man, "body_outlier").rows[0]
    transl = read_body(man, "transl")[:, 0]
    metas = [json.loads((man.body / "meta" / f"{f:05d}_0.json").read_text())
             for f in np.arange(T) + man.first_frame]
    focal = np.array([m["focal"] for m in metas])
    princpt = np.array([m["princpt"] for m in metas])
    bbox = np.array([m["bbox"] for m in metas])
    # the meta camera is SMPLer-X's virtual one: focal 5000/192*w, 5000/256*h, princpt (96, 128) scaled + offset
    np.testing.assert_allclose(focal, np.stack([5000 / 192 * bbox[:, 2], 5000 / 256 * bbox[:, 3]], 1), rtol=1e-6)
    np.testing.assert_allclose(princpt, np.stack([96 / 192 * bbox[:, 2] + bbox[:, 0],
                                                  128 / 256 * bbox[:, 3] + bbox[:, 1]], 1), rtol=1e-6)
    K = np.asarray(seq.camera_K)
    true_px = joints[..., :2] / joints[..., 2:] * K[[0, 1], [0, 1]] + K[:2, 2]
    # SMPLer-X's camera-frame mesh is smplx(...) without transl, plus its transl
    virt = joints - seq.transl[:, None] + transl[:, None]
    px = virt[..., :2] / virt[..., 2:] * focal[:, None] + princpt[:, None]
    err = np.linalg.norm(px - true_px, axis=-1)  # (T, 55)
    good = np.arange(T) != outlier
    assert np.median(err[good, 0]) < 4.0, "the pelvis should land where it is"
    height = bbox[:, 3] / 1.25
    assert np.all(err[good].mean(axis=1) < 0.04 * height[good]), err[good].mean(axis=1)
    # the translation is for the virtual camera: depth scaled by its focal over the real one (up to the few per
    # cent a weak-perspective fit of a body with depth extent gives)
    ratio = virt[good, 0, 2] / joints[good, 0, 2]
    np.testing.assert_allclose(ratio, focal[good, 0] / K[0, 0], rtol=0.04 if which == "clean" else 0.08)
    # the outlier frame is finite and far off
    assert np.all(np.isfinite(transl)) and err[outlier].mean() > 3 * err[good].mean()


def test_smplerx_outlier_frame(noisy):
    seq = read_fused(noisy.ground_truth)
    fault = faults(noisy, "body_outlier")
    go = read_body(noisy, "global_orient")[:, 0]
    dev = angle(Rotation.from_rotvec(go).as_matrix(), Rotation.from_rotvec(seq.global_orient).as_matrix())
    r = fault.rows[0]
    assert fault.frames == [r + noisy.first_frame] and fault.part == "body"
    assert dev[r] > 1.5 and np.delete(dev, r).max() < 0.2
    for key in ("global_orient", "body_pose", "transl", "betas"):
        assert np.all(np.isfinite(read_body(noisy, key)))


# ---------------------------------------------------------------------------------------------- EMOCA


def read_face(man: DemoDataManifest, name: str) -> tuple[np.ndarray, np.ndarray]:
    rows, data = [], []
    for r in range(T):
        p = man.face / f"{r + man.first_frame:06d}_000" / name
        if p.is_file():
            rows.append(r)
            data.append(np.load(p).astype(np.float64))
    return np.array(rows), np.stack(data)


def test_emoca_pose_and_expression(clean, noisy):
    seq = read_fused(clean.ground_truth)
    head = chain_rotation(seq, HEAD_CHAIN)
    rows, pose = read_face(clean, "pose.npy")
    np.testing.assert_allclose(pose[:, 3:], seq.jaw_pose[rows], atol=1e-5)
    # FLAME global pose in EMOCA's y-up camera: C R(pose[:3]) is the head's rotation in the OpenCV camera
    np.testing.assert_allclose(C @ Rotation.from_rotvec(pose[:, :3]).as_matrix(), head[rows], atol=1e-5)
    rows_e, exp = read_face(clean, "exp.npy")
    np.testing.assert_allclose(exp[:, :10], seq.expression[rows_e], atol=1e-5)
    assert np.all(exp[:, 10:] == 0)
    rows_n, pose_n = read_face(noisy, "pose.npy")
    jaw_err = angle(Rotation.from_rotvec(pose_n[:, 3:]).as_matrix(),
                    Rotation.from_rotvec(seq.jaw_pose[rows_n]).as_matrix())
    assert jaw_err.max() < 0.15
    _, exp_n = read_face(noisy, "exp.npy")
    assert np.abs(exp_n[:, :10] - seq.expression[rows_n]).mean() < 0.1 and np.abs(exp_n[:, 10:]).max() < 0.5


# ---------------------------------------------------------------------------------------------- WiLoR


def hand_rows(man: DemoDataManifest):
    """Every detection: (row, index in its frame, flat dict entry) over the take."""
    out = []
    for r in range(T):
        f = r + man.first_frame
        for path in (man.hands / f"{f:06d}.npz", man.hands / f"{f:06d}.pkl"):
            if path.is_file():
                d = load_hands(path)
                for b in range(d["is_right"].shape[0]):
                    out.append((r, b, {k: np.asarray(v)[b] if np.ndim(v) else v for k, v in d.items()}))
    return out


def true_side_of(det: dict, wrists_px: np.ndarray, r: int) -> int:
    """0 / 1: the side whose projected ground-truth wrist is nearest the detection's box centre."""
    return int(np.argmin(np.linalg.norm(wrists_px[r] - det["box_center"], axis=-1)))


def wrist_pixels(seq, joints) -> np.ndarray:
    K = np.asarray(seq.camera_K)
    w = joints[:, [20, 21]]
    return w[..., :2] / w[..., 2:] * K[[0, 1], [0, 1]] + K[:2, 2]  # (T, 2, 2)


@pytest.mark.parametrize("which", ["clean", "noisy"])
def test_wilor_left_hands_are_mirrored(which, request, truth):
    man = request.getfixturevalue(which)
    seq, joints = truth
    wrist_px = wrist_pixels(seq, joints)
    wrists = np.stack([chain_rotation(seq, LEFT_CHAIN), chain_rotation(seq, RIGHT_CHAIN)], 1)
    fingers = np.stack([Rotation.from_rotvec(seq.left_hand_pose.reshape(-1, 3)).as_matrix().reshape(T, 15, 3, 3),
                        Rotation.from_rotvec(seq.right_hand_pose.reshape(-1, 3)).as_matrix().reshape(T, 15, 3, 3)],
                       1)
    tol = 1e-3 if which == "clean" else 0.25  # float32 files
    seen = {0: 0, 1: 0}
    for r, _, det in hand_rows(man):
        side = true_side_of(det, wrist_px, r)
        seen[side] += 1
        go = det["global_orient"][0].astype(np.float64)
        hp = det["hand_pose"].astype(np.float64)
        if side == 0:  # left: the right-hand model's prediction on a flipped crop, M R M
            assert angle(go, M @ wrists[r, 0] @ M) < tol
            assert angle(go, M @ wrists[r, 0] @ M) < angle(go, wrists[r, 0])
            assert np.all(angle(hp, M @ fingers[r, 0] @ M) < tol)
        else:
            assert angle(go, wrists[r, 1]) < tol
            assert np.all(angle(hp, fingers[r, 1]) < tol)
    assert seen[0] > T // 2 and seen[1] > T // 2


def test_wilor_camera_and_keypoints(noisy, truth):
    seq, joints = truth
    K = np.asarray(seq.camera_K)
    errs = []
    for r, _, det in hand_rows(noisy):
        w, h = det["img_size"]
        focal = float(det["scaled_focal_length"])
        assert focal == pytest.approx(5000 / 256 * max(w, h))
        s, tx, ty = det["pred_cam"].astype(np.float64)
        cx, cy = det["box_center"]
        bs = det["box_size"] * s
        cam_t = np.array([2 * (cx - w / 2) / bs + tx, 2 * (cy - h / 2) / bs + ty, 2 * focal / bs])  # cam_crop_to_full
        np.testing.assert_allclose(det["pred_cam_t_full"], cam_t, rtol=1e-4, atol=1e-4)
        # keypoints (un-mirrored) + the full-image translation project onto the hand in the image
        kp = det["pred_keypoints_3d"] + cam_t
        px = kp[:, :2] / kp[:, 2:] * focal + np.array([w / 2, h / 2])
        wrist_true = joints[r, 20 + int(np.argmin(np.linalg.norm(wrist_pixels(seq, joints)[r] - [cx, cy], axis=-1)))]
        wrist_true_px = wrist_true[:2] / wrist_true[2] * K[0, 0] + K[:2, 2]
        errs.append(np.linalg.norm(px[0] - wrist_true_px))
    assert np.median(errs) < 5.0


# ---------------------------------------------------------------------------------------------- faults


def test_faults_are_where_the_manifest_says(noisy, truth):
    man = noisy
    seq, joints = truth
    wrist_px = wrist_pixels(seq, joints)
    kinds = {f.kind for f in man.faults}
    assert kinds == {"occlusion_gap", "face_missing", "hand_missing", "mislabeled_hand", "body_outlier"}
    all_rows = [r for f in man.faults for r in f.rows]
    assert len(all_rows) == len(set(all_rows)), "faults must not share rows"
    for f in man.faults:
        assert f.frames == [r + man.first_frame for r in f.rows]
    gap = faults(man, "occlusion_gap")
    assert len(gap.rows) >= 2 and np.all(np.diff(gap.rows) == 1)

    dets: dict[int, list] = {}
    for r, b, det in hand_rows(man):
        dets.setdefault(r, []).append((b, det))
    missing = faults(man, "hand_missing")
    for r, side in zip(missing.rows, missing.detail["sides"]):
        assert len(dets[r]) == 1
        (_, det), = dets[r]
        assert true_side_of(det, wrist_px, r) != ("left", "right").index(side)
    mis = faults(man, "mislabeled_hand")
    r_mis, idx = mis.rows[0], mis.detail["detection_index"]
    for r in range(T):
        if r in gap.rows:
            assert r not in dets
            continue
        want = 1 if r in missing.rows else 2
        assert len(dets[r]) == want, r
        for b, det in dets[r]:
            side = true_side_of(det, wrist_px, r)
            if r == r_mis and b == idx:
                assert int(det["is_right"]) != side and ("left", "right")[side] == mis.detail["true_side"]
                assert det["is_right"] == mis.detail["written_is_right"]
            else:
                assert int(det["is_right"]) == side, (r, b)


# ---------------------------------------------------------------------------------------------- determinism


def _all_arrays(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                for k in z.files:
                    out[f"{rel}:{k}"] = z[k].tobytes() + str(z[k].dtype).encode() + str(z[k].shape).encode()
        elif p.suffix in (".npy", ".pkl") or (p.suffix == ".json" and p.name != "manifest.json"):
            out[rel] = p.read_bytes()
    return out


def test_deterministic(noisy, tmp_path, model_path):
    again = write_demo_data(tmp_path / "again", model_path, num_frames=T, seed=0)
    a, b = _all_arrays(noisy.out_dir), _all_arrays(again.out_dir)
    assert a.keys() == b.keys() and len(a) > 4 * T
    assert [k for k in a if a[k] != b[k]] == []
    assert [f.to_json() for f in again.faults] == [f.to_json() for f in noisy.faults]
    other = write_demo_data(tmp_path / "other", model_path, num_frames=T, seed=1)
    c = _all_arrays(other.out_dir)
    assert a["smplerx/smplx/00001_0.npz:body_pose"] != c["smplerx/smplx/00001_0.npz:body_pose"]
