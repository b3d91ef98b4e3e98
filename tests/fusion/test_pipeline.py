"""``fuse`` end to end on synthetic estimator outputs made from a known ground truth with the built-in model."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.body import chains
from core.body.skeleton import LEFT_HAND, NUM_JOINTS, RIGHT_HAND, SMPLX_EXTRA_VERTEX_IDS
from core.contracts.estimates import BodyEstimate, FaceEstimate, HandDetections
from core.contracts.fused_file import read_fused, validate, write_fused
from core.errors import FusionError
from core.fusion import face as F
from core.fusion import hands as H
from core.fusion import temporal as tp
from core.fusion.pipeline import FusionOptions, fuse
from core.rotations import axis_angle_to_matrix

FPS = 30.0
K = np.array([[1000.0, 0.0, 640.0], [0.0, 1000.0, 360.0], [0.0, 0.0, 1.0]])


@pytest.fixture(scope="session")
def builtin_model_path(tmp_path_factory):
    from core.body.builtin import ensure_builtin_model

    return ensure_builtin_model("neutral", tmp_path_factory.getbasetemp() / "fusion_builtin", kind="mannequin")


@pytest.fixture(scope="session")
def body_model(builtin_model_path):
    from core.body.model import load_body_model

    return load_body_model(builtin_model_path)


def _angle(a_aa, b_aa):
    return tp.quaternion_angle(tp.axis_angle_to_quaternion(a_aa), tp.axis_angle_to_quaternion(b_aa))


class Case:
    """Ground truth and the three experts' outputs, in their native conventions."""

    def __init__(self, model, t=150, seed=0, left_gap=(60, 80), swapped=(100, 103)):
        rng = np.random.default_rng(seed)
        n = np.arange(t)
        gt = np.zeros((t, NUM_JOINTS, 3))
        gt[:, 0] = np.array([np.pi, 0, 0]) + 0.15 * np.sin(2 * np.pi * n[:, None] / 90 + rng.uniform(0, 6, 3))
        gt[:, 1:22] = 0.3 * np.sin(2 * np.pi * n[:, None, None] / 75 + rng.uniform(0, 6, (1, 21, 3)))
        gt[:, 25:55] = 0.35 * np.sin(2 * np.pi * n[:, None, None] / 50 + rng.uniform(0, 6, (1, 30, 3)))
        gt[:, 22] = np.stack([0.15 + 0.1 * np.sin(2 * np.pi * n / 40), 0 * n, 0 * n], 1)
        self.gt, self.t = gt, t
        self.betas = 0.5 * rng.standard_normal(10)
        self.transl = np.stack([0.1 * np.sin(2 * np.pi * n / 100), 0.1 + 0 * n, 3.0 + 0 * n], 1)
        self.flame_expr = 0.8 * np.sin(2 * np.pi * n[:, None] / 60 + rng.uniform(0, 6, (1, 50)))
        local = axis_angle_to_matrix(gt)
        rest = model.rest_joints(self.betas)
        glob, pos = chains.forward_kinematics(local, rest)
        self.glob = glob

        body_noise = 0.03 * rng.standard_normal((t, 21, 3))
        bad_hands = 0.25 * rng.standard_normal((t, 2, 15, 3))
        self.body = BodyEstimate(
            frame_ids=n + 1000, global_orient=gt[:, 0].copy(), body_pose=gt[:, 1:22] + body_noise,
            left_hand_pose=gt[:, LEFT_HAND] - model.left_hand_mean + bad_hands[:, 0],
            right_hand_pose=gt[:, RIGHT_HAND] - model.right_hand_mean + bad_hands[:, 1],
            hand_pose_relative_to="mean", jaw_pose=np.zeros((t, 3)), leye_pose=np.zeros((t, 3)),
            reye_pose=np.zeros((t, 3)), betas=self.betas + 0.05 * rng.standard_normal((t, 10)),
            expression=np.zeros((t, 10)), transl=self.transl + 0.005 * rng.standard_normal((t, 3)),
            camera_K=np.broadcast_to(K, (t, 3, 3)).copy(), image_size=np.array([1280.0, 720.0]),
            bbox=np.tile([400.0, 50.0, 880.0, 700.0], (t, 1)), score=np.full(t, 0.95), valid=np.ones(t, dtype=bool),
            source={"path": "clip.smplerx.npz", "estimator": "SMPLer-X"})
        self.face = FaceEstimate(
            frame_ids=n + 1000, expression=self.flame_expr, jaw_pose=gt[:, 22].copy(),
            global_pose=F.FLAME_TO_OPENCV.T @ glob[:, 15] @ np.eye(3),  # EMOCA's y-up frame (axis-angle below)
            shape=np.zeros((t, 100)), cam=None, bbox=None, valid=np.ones(t, dtype=bool),
            source={"path": "clip.emoca/", "estimator": "EMOCA"})
        from core.rotations import matrix_to_axis_angle
        self.face.global_pose = matrix_to_axis_angle(self.face.global_pose)

        # hands: camera-frame wrist rotations, left ones as predicted on the flipped crop
        wrist_cam = np.stack([pos[:, 20], pos[:, 21]], 1) + self.transl[:, None]
        wrist_px = H.project_points(wrist_cam, K)
        box = 120.0
        centre = wrist_px + np.array([[[25.0, 20.0], [-25.0, 20.0]]])  # hand centres sit beside the wrists
        rows = []
        kp_all = []
        for side in (H.LEFT, H.RIGHT):
            g = glob[:, H.WRIST_JOINTS[side]]
            f = local[:, (LEFT_HAND, RIGHT_HAND)[side]]
            pts, _ = H.hand_joint_targets(glob, pos, side, model.shaped_vertices(self.betas), rest,
                                          SMPLX_EXTRA_VERTEX_IDS)
            pts = pts - pts[:, :1] + np.array([0.0, 0.0, 0.5])  # crop camera: hand-centred
            if side == H.LEFT:
                g, f, pts = H.mirror_rotmat(g), H.mirror_rotmat(f), H.mirror_points(pts)
            rows.append((g, f, centre[:, side], np.full(t, side == H.RIGHT)))
            kp_all.append(pts)
        keep = np.ones((2, t), dtype=bool)
        keep[0, left_gap[0]:left_gap[1]] = False
        is_right = np.stack([rows[0][3], rows[1][3]])
        is_right[:, swapped[0]:swapped[1]] = ~is_right[:, swapped[0]:swapped[1]]  # labels swapped, crops not
        sel = np.flatnonzero(keep.reshape(-1))
        cat = lambda i: np.concatenate([rows[0][i], rows[1][i]])[sel]  # noqa: E731
        self.swapped_frames = np.arange(swapped[0], swapped[1]) + 1000
        self.left_gap = left_gap
        self.hands = HandDetections(
            frame_ids=np.concatenate([n, n])[sel] + 1000, is_right=is_right.reshape(-1)[sel],
            global_orient=cat(0), hand_pose=cat(1), betas=np.zeros((sel.size, 10)), pred_cam=np.zeros((sel.size, 3)),
            keypoints_3d=np.concatenate(kp_all)[sel], box_center=cat(2), box_size=np.full(sel.size, box),
            score=np.full(sel.size, 0.9), image_size=np.array([1280.0, 720.0]),
            source={"path": "clip.wilor/", "estimator": "WiLoR"})


@pytest.fixture(scope="module")
def case(body_model):
    return Case(body_model)


def test_fused_sequence_recovers_the_experts_and_falls_back_smoothly(case, body_model, tmp_path):
    calls = []
    res = fuse(case.body, case.face, case.hands, body_model, FusionOptions(fps=FPS),
               progress=lambda d, n, s: calls.append((d, n, s)))
    seq = validate(res.sequence)
    assert [c[0] for c in calls] == list(range(1, 7)) and calls[-1][1] == 6
    assert seq.num_frames == case.t and seq.valid.all() and seq.fps == FPS
    assert np.array_equal(res.frame_ids, np.arange(case.t) + 1000)
    inner = np.r_[10:50, 90:140]  # away from the ends and the left-hand gap's ramps
    full = seq.full_pose()

    # fingers and wrists follow the hand expert (ground truth), not the body's bad hands
    for side, sl in ((H.LEFT, LEFT_HAND), (H.RIGHT, RIGHT_HAND)):
        err = _angle(full[inner, sl], case.gt[inner, sl]).max()
        body_err = _angle(H.hand_pose_to_flat(
            (case.body.left_hand_pose, case.body.right_hand_pose)[side][inner],
            (body_model.left_hand_mean, body_model.right_hand_mean)[side], "mean"), case.gt[inner, sl]).max()
        assert err < 0.02 < 0.2 < body_err, (side, err, body_err)
    fused_glob = chains.full_pose_to_global_rotmats(full, joints=[20, 21])
    for j in (20, 21):  # the camera-frame wrist is the expert's even though the body's arm is noisy
        q_f, q_gt = tp.matrix_to_quaternion(fused_glob[inner, j]), tp.matrix_to_quaternion(case.glob[inner, j])
        assert tp.quaternion_angle(q_f, q_gt).max() < 0.03

    # the left hand's gap falls back to the body, ramping without pops
    w = res.weights["left_hand"]
    g0, g1 = case.left_gap
    assert np.all(w[g0:g1] == 0.0) and np.abs(np.diff(w)).max() <= 1.0 / 7 + 1e-9
    body_only = fuse(case.body, case.face, None, body_model, FusionOptions(fps=FPS)).sequence
    mid_gap = slice(g0 + 8, g1 - 8)  # beyond the ramps and the filter's reach: the body's own (flat) hands
    assert _angle(seq.left_hand_pose[mid_gap], body_only.left_hand_pose[mid_gap]).max() < 0.01
    fb = res.report["fallbacks"]["left_hand"]
    assert fb["frames_on_body_estimate"] == g1 - g0 and fb["segments"] == [[1000 + g0, 1000 + g1 - 1]]
    assert res.report["fallbacks"]["right_hand"]["frames_on_body_estimate"] == 0
    assert seq.part_confidence[g0:g1, 2].max() <= 0.5 + 1e-9 and seq.part_confidence[inner, 2].min() > 0.99

    # swapped labels were detected, reported and undone
    swaps = res.report["swaps"]
    assert res.report["swap_count"] == 2 * len(case.swapped_frames)
    assert sorted({s["frame"] for s in swaps}) == case.swapped_frames.tolist()
    assert all(s["kind"] == "pair" for s in swaps)
    sw = case.swapped_frames - 1000
    assert _angle(full[sw][:, LEFT_HAND], case.gt[sw][:, LEFT_HAND]).max() < 0.02

    # face: jaw from EMOCA, expression by the recorded route (v1.1: truncation)
    assert _angle(seq.jaw_pose[inner], case.gt[inner, 22]).max() < 0.01
    assert res.report["expression_route"] == "truncate"
    assert np.abs(seq.expression[inner] - case.flame_expr[inner, :10]).max() < 0.02
    assert seq.part_confidence[inner, 1].min() > 0.99

    # one shape, provenance naming inputs and conventions, file round trip
    # (the estimate says SMPL-X's betas: on the built-in model they are recorded, not applied; core.body.shape_space)
    prov = json.loads(seq.provenance)
    assert seq.betas.shape == (10,) and not seq.betas.any() and not prov["shape"]["applied"]
    assert np.abs(np.array(prov["shape"]["estimator_betas"]) - case.betas).max() < 0.05
    assert prov["inputs"]["body"]["path"] == "clip.smplerx.npz" and prov["inputs"]["hands"]["estimator"] == "WiLoR"
    text = " ".join(prov["conventions"])
    for needle in ("hands_mean added in axis-angle", "M R M", "G_elbow^T", "posecode[3:6]", "truncate", "zero-phase"):
        assert needle in text, needle
    assert abs(res.report["smoothing"]["lag_frames"]) < 0.05
    back = read_fused(write_fused(tmp_path / "case.fused.npz", seq))
    assert np.allclose(back.left_hand_pose, seq.left_hand_pose) and np.array_equal(back.extras["frame_ids"],
                                                                                 res.frame_ids)


def test_without_swap_detection_the_mislabeled_frames_fall_back(case, body_model):
    res = fuse(case.body, case.face, case.hands, body_model, FusionOptions(fps=FPS, swap_hands=False))
    assert res.report["swap_count"] == 0
    sw = case.swapped_frames - 1000
    assert np.all(res.weights["left_hand"][sw] == 0.0) and np.all(res.weights["right_hand"][sw] == 0.0)


def test_head_orientation_and_wrist_refinement(case, body_model):
    opts = FusionOptions(fps=FPS, fuse_head=True, refine_wrists=True, smooth=False)
    res = fuse(case.body, case.face, case.hands, body_model, opts)
    full = res.sequence.full_pose()
    inner = np.r_[10:50, 90:140]
    glob = chains.full_pose_to_global_rotmats(full, joints=[15, 20])
    q = lambda m: tp.matrix_to_quaternion(m)  # noqa: E731
    assert tp.quaternion_angle(q(glob[inner, 15]), q(case.glob[inner, 15])).max() < 1e-6  # the face's head
    assert tp.quaternion_angle(q(glob[inner, 20]), q(case.glob[inner, 20])).max() < 1e-6  # refined == truth
    ref = res.report["counts"]["hands"]["refinement"]
    assert ref["left"]["max_rotation_change_deg"] < 1e-4 and ref["left"]["median_rel_rms"] < 1e-6
    # a wild keypoint does not move the refined wrist
    hands = case.hands
    kp = hands.keypoints_3d.copy()
    kp[:, 8] += 0.05
    kp[:6] = np.nan  # no keypoints on a few rows: the expert's own wrist is kept there
    noisy = HandDetections(**{**hands.__dict__, "keypoints_3d": kp})
    res2 = fuse(case.body, case.face, noisy, body_model, opts)
    glob2 = chains.full_pose_to_global_rotmats(res2.sequence.full_pose(), joints=[20])
    assert tp.quaternion_angle(q(glob2[inner, 20]), q(case.glob[inner, 20])).max() < np.radians(2.0)
    assert tp.quaternion_angle(q(glob2[:6, 20]), q(case.glob[:6, 20])).max() < np.radians(0.5)
    counts = res2.report["counts"]["hands"]
    assert counts["refinement"]["left"]["frames"] == counts["left_used"] - 6


def test_flat_output_reproduces_the_mean_relative_body_mesh(builtin_model_path, body_model):
    """Body only, no smoothing: the fused file (flat hands) drives ``flat_hand_mean=True`` to the same mesh that the
    body estimate (mean-relative hands) drives with smplx's default ``flat_hand_mean=False``."""
    import smplx
    import torch

    c = Case(body_model, t=4, seed=3)
    res = fuse(c.body, None, None, body_model, FusionOptions(fps=FPS, smooth=False))
    seq = res.sequence
    assert res.report["fallbacks"]["left_hand"]["frames_on_body_estimate"] == 4

    def run(flat, src, hand_l, hand_r, betas):
        layer = smplx.SMPLX(str(builtin_model_path), use_pca=False, flat_hand_mean=flat, batch_size=4).double()
        tt = lambda a: torch.tensor(np.ascontiguousarray(a).reshape(4, -1))  # noqa: E731
        with torch.no_grad():
            return layer(betas=tt(betas), global_orient=tt(src.global_orient), body_pose=tt(src.body_pose),
                         left_hand_pose=tt(hand_l), right_hand_pose=tt(hand_r), transl=tt(src.transl)).vertices.numpy()

    betas = np.tile(seq.betas, (4, 1))
    v_body = run(False, c.body, c.body.left_hand_pose, c.body.right_hand_pose, betas)
    v_fused = run(True, seq, seq.left_hand_pose, seq.right_hand_pose, betas)
    assert np.abs(v_fused - v_body).max() < 1e-6


def test_timeline_gaps_routes_and_errors(case, body_model):
    keep = np.r_[0:20, 30:50]
    b = case.body
    body = BodyEstimate(**{**b.__dict__, **{k: getattr(b, k)[keep] for k in (
        "frame_ids", "global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "jaw_pose", "leye_pose",
        "reye_pose", "betas", "expression", "transl", "camera_K", "bbox", "score", "valid")}})
    res = fuse(body, case.face, case.hands, body_model, FusionOptions(fps=FPS))
    seq = res.sequence
    assert seq.num_frames == 50 and not seq.valid[20:30].any() and seq.valid[keep].all()
    assert res.report["filled_frames"] == 10 and np.isfinite(seq.full_pose()).all()
    assert seq.part_confidence[20:30, 0].max() == 0.0  # the body itself is missing there
    no_fill = fuse(body, case.face, case.hands, body_model, FusionOptions(fps=FPS, fill_frame_gaps=False))
    assert no_fill.sequence.num_frames == 40

    # least squares through the options, recorded
    rng = np.random.default_rng(9)
    ids = rng.choice(body_model.num_vertices, size=5023, replace=False)
    flame_dirs = np.einsum("vce,en->vcn", body_model.expression_dirs[ids], rng.standard_normal((10, 50)))
    ls = fuse(case.body, case.face, None, body_model, FusionOptions(fps=FPS, flame_expression_dirs=flame_dirs,
                                                                   flame_vertex_ids=ids))
    assert ls.report["expression_route"] == "least_squares"
    assert json.loads(ls.sequence.provenance)["expression_transfer"]["route"] == "least_squares"

    bad = BodyEstimate(**{**b.__dict__, "frame_ids": b.frame_ids[::-1].copy()})
    with pytest.raises(FusionError, match="sorted"):
        fuse(bad, None, None, body_model)
    invalid = BodyEstimate(**{**b.__dict__, "valid": np.zeros(case.t, dtype=bool)})
    with pytest.raises(FusionError, match="no valid body frame"):
        fuse(invalid, None, None, body_model)
