"""Hand conventions: mirroring, wrist global -> local along the chain to the elbow, flat vs mean hands, assignment
and swaps, robust Kabsch. Each convention test also shows that the flipped convention fails."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.body import chains
from core.body.skeleton import LEFT_HAND, NUM_JOINTS, PARENTS, RIGHT_HAND
from core.fusion import hands as H
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle

M = np.diag([-1.0, 1.0, 1.0])


@pytest.fixture(scope="session")
def builtin_model_path(tmp_path_factory):
    from core.body.builtin import ensure_builtin_model

    return ensure_builtin_model("neutral", tmp_path_factory.getbasetemp() / "fusion_builtin", kind="mannequin")


@pytest.fixture(scope="session")
def body_model(builtin_model_path):
    from core.body.model import load_body_model

    return load_body_model(builtin_model_path)


def _random_rotmats(rng, shape, max_angle=np.pi * 0.9):
    axis = rng.standard_normal(shape + (3,))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    return axis_angle_to_matrix(axis * rng.uniform(0.05, max_angle, shape + (1,)))


def _hand_points(rest_joints, side, wrist_rotmat, finger_rotmats):
    """Hand joints (wrist + 15) posed in the camera frame, wrist at the origin."""
    wrist = H.WRIST_JOINTS[side]
    first = (LEFT_HAND, RIGHT_HAND)[side].start
    local = {first + k: finger_rotmats[:, k] for k in range(15)}
    rots, pos = chains.forward_kinematics_subset(local, rest_joints, range(first, first + 15), root=wrist)
    pts = np.stack([pos[wrist]] + [pos[first + k] for k in range(15)], axis=1)
    return np.einsum("tab,tkb->tka", wrist_rotmat, pts)


# ------------------------------------------------------------------------------------------------ mirroring


def test_mirror_is_m_r_m_and_matches_the_axis_angle_rule():
    rng = np.random.default_rng(0)
    r = _random_rotmats(rng, (30,))
    assert np.allclose(H.mirror_rotmat(r), M @ r @ M)
    assert np.allclose(H.mirror_rotmat(H.mirror_rotmat(r)), r)
    assert np.allclose(np.linalg.det(H.mirror_rotmat(r)), 1.0)
    aa = matrix_to_axis_angle(r)
    assert np.allclose(axis_angle_to_matrix(H.mirror_axis_angle(aa)), H.mirror_rotmat(r))
    assert np.allclose(H.mirror_axis_angle(aa), aa * [1, -1, -1])


def test_left_hand_from_a_flipped_crop_is_mirrored_back(body_model):
    """A left hand seen in a horizontally flipped crop looks like a right hand: the right-hand model explains the
    mirrored points exactly with M R M and M theta M. Mirroring that prediction back recovers the ground-truth left
    hand; taking it as predicted does not."""
    rng = np.random.default_rng(1)
    t = 16
    rest = body_model.rest_joints(np.zeros(10))
    gt_wrist = _random_rotmats(rng, (t,))
    gt_fingers = _random_rotmats(rng, (t, 15), max_angle=1.2)
    gt_points = _hand_points(rest, H.LEFT, gt_wrist, gt_fingers)

    # what the expert predicts on the flipped crop: the right hand that produces the mirrored points
    pred_wrist, pred_fingers = M @ gt_wrist @ M, M @ gt_fingers @ M
    assert np.allclose(_hand_points(rest, H.RIGHT, pred_wrist, pred_fingers), gt_points * [-1, 1, 1], atol=1e-12)

    wrist, fingers, _ = H.unmirror_hand(pred_wrist, pred_fingers, np.ones(t, dtype=bool))
    assert np.allclose(wrist, gt_wrist) and np.allclose(fingers, gt_fingers)
    assert np.allclose(_hand_points(rest, H.LEFT, wrist, fingers), gt_points, atol=1e-12)
    # without the mirror the left hand comes out wrong
    wrong = _hand_points(rest, H.LEFT, pred_wrist, pred_fingers)
    assert np.abs(wrong - gt_points).max() > 0.02
    # right hands (is_left False) pass through untouched
    same_w, same_f, _ = H.unmirror_hand(pred_wrist, pred_fingers, np.zeros(t, dtype=bool))
    assert np.allclose(same_w, pred_wrist) and np.allclose(same_f, pred_fingers)
    # mixed rows: only the left ones change, keypoints get x -> -x
    mixed = np.arange(t) % 2 == 0
    kp = rng.standard_normal((t, 21, 3))
    mw, mf, mk = H.unmirror_hand(pred_wrist, pred_fingers, mixed, kp)
    assert np.allclose(mw[mixed], gt_wrist[mixed]) and np.allclose(mw[~mixed], pred_wrist[~mixed])
    assert np.allclose(mf[mixed], gt_fingers[mixed]) and np.allclose(mk[mixed], kp[mixed] * [-1, 1, 1])
    assert np.allclose(mk[~mixed], kp[~mixed])


# ------------------------------------------------------------------------------------------------ wrist chain


def test_camera_wrist_to_local_recovers_the_ground_truth_with_smplx_kinematics(body_model):
    """Ground-truth pose -> camera-frame global wrist by smplx's own ``batch_rigid_transform`` -> back to local
    with the chain down to the elbow, transposed. The chain down to the wrist, or no transpose, fails."""
    import torch
    from smplx.lbs import batch_rigid_transform

    rng = np.random.default_rng(2)
    t = 12
    pose = 0.6 * rng.standard_normal((t, NUM_JOINTS, 3))
    pose[:, 0] += [np.pi, 0, 0]
    local = axis_angle_to_matrix(pose)
    rest = body_model.rest_joints(np.zeros(10))
    _, rel = batch_rigid_transform(torch.tensor(local), torch.tensor(np.broadcast_to(rest, (t, 55, 3)).copy()),
                                   torch.tensor(PARENTS), dtype=torch.float64)
    global_cam = rel[:, :, :3, :3].numpy()
    for side in (H.LEFT, H.RIGHT):
        wrist = H.WRIST_JOINTS[side]
        global_wrist_rotmat_cam = global_cam[:, wrist]
        elbow_g = chains.parent_global_rotmat(local, wrist)
        assert chains.ancestors(wrist)[-1] == H.ELBOW_JOINTS[side]
        local_wrist_rotmat = H.wrist_global_to_local(elbow_g, global_wrist_rotmat_cam)
        assert np.allclose(local_wrist_rotmat, local[:, wrist], atol=1e-10)
        assert np.allclose(H.wrist_local_to_global(elbow_g, local_wrist_rotmat), global_wrist_rotmat_cam)
        # flipped conventions
        to_wrist = chains.chain_product(local, chains.chain_to(wrist))
        assert not np.allclose(H.wrist_global_to_local(to_wrist, global_wrist_rotmat_cam), local[:, wrist], atol=1e-3)
        assert not np.allclose(elbow_g @ global_wrist_rotmat_cam, local[:, wrist], atol=1e-3)
        assert not np.allclose(global_wrist_rotmat_cam @ np.swapaxes(elbow_g, 1, 2), local[:, wrist], atol=1e-3)


def test_left_expert_wrist_and_fingers_land_on_the_ground_truth(body_model):
    """The whole left-hand path: flipped-crop prediction -> mirror back -> local to the elbow == ground truth."""
    rng = np.random.default_rng(3)
    t = 10
    pose = 0.5 * rng.standard_normal((t, NUM_JOINTS, 3))
    pose[:, 0] += [np.pi, 0, 0]
    local = axis_angle_to_matrix(pose)
    glob = chains.global_rotmats(local)
    pred_wrist = H.mirror_rotmat(glob[:, 20])  # as the expert reports a left hand
    pred_fingers = H.mirror_rotmat(local[:, LEFT_HAND])
    wrist, fingers, _ = H.unmirror_hand(pred_wrist, pred_fingers, np.ones(t, dtype=bool))
    local_wrist = H.wrist_global_to_local(chains.parent_global_rotmat(local, 20), wrist)
    assert np.allclose(local_wrist, local[:, 20]) and np.allclose(fingers, local[:, LEFT_HAND])
    unmirrored_local = H.wrist_global_to_local(chains.parent_global_rotmat(local, 20), pred_wrist)
    assert not np.allclose(unmirrored_local, local[:, 20], atol=1e-3)


# ------------------------------------------------------------------------------------------------ flat vs mean


def test_mean_relative_hands_become_flat_by_adding_hands_mean_like_smplx(builtin_model_path, body_model):
    """``smplx.SMPLX(flat_hand_mean=False)`` with pose theta == ``flat_hand_mean=True`` with theta + hands_mean
    (an axis-angle sum). Not adding the mean, or composing it as a rotation, gives another mesh."""
    import smplx
    import torch

    rng = np.random.default_rng(4)
    t = 3
    theta_l = 0.4 * rng.standard_normal((t, 15, 3))
    theta_r = 0.4 * rng.standard_normal((t, 15, 3))
    body_pose = 0.2 * rng.standard_normal((t, 21, 3))

    def run(flat_hand_mean, left, right):
        layer = smplx.SMPLX(str(builtin_model_path), use_pca=False, flat_hand_mean=flat_hand_mean,
                            batch_size=t).double()
        with torch.no_grad():
            out = layer(body_pose=torch.tensor(body_pose.reshape(t, -1)),
                        left_hand_pose=torch.tensor(left.reshape(t, -1)),
                        right_hand_pose=torch.tensor(right.reshape(t, -1)))
        return out.vertices.numpy(), layer

    v_mean, layer_mean = run(False, theta_l, theta_r)
    assert np.allclose(layer_mean.left_hand_mean.numpy().reshape(15, 3), body_model.left_hand_mean)
    assert np.allclose(layer_mean.right_hand_mean.numpy().reshape(15, 3), body_model.right_hand_mean)
    assert np.abs(body_model.left_hand_mean).max() > 0.1  # the test needs a non-trivial mean
    flat_l = H.hand_pose_to_flat(theta_l, body_model.left_hand_mean, "mean")
    flat_r = H.hand_pose_to_flat(theta_r, body_model.right_hand_mean, "mean")
    v_flat, _ = run(True, flat_l, flat_r)
    assert np.allclose(v_flat, v_mean, atol=1e-9)
    v_not_added, _ = run(True, theta_l, theta_r)
    assert np.abs(v_not_added - v_mean).max() > 1e-3
    composed_l = matrix_to_axis_angle(axis_angle_to_matrix(body_model.left_hand_mean) @ axis_angle_to_matrix(theta_l))
    composed_r = matrix_to_axis_angle(axis_angle_to_matrix(body_model.right_hand_mean) @ axis_angle_to_matrix(theta_r))
    v_composed, _ = run(True, composed_l, composed_r)
    assert np.abs(v_composed - v_mean).max() > 1e-4
    # flat input is copied; anything else is refused
    assert np.allclose(H.hand_pose_to_flat(theta_l, body_model.left_hand_mean, "flat"), theta_l)
    with pytest.raises(ValueError):
        H.hand_pose_to_flat(theta_l, body_model.left_hand_mean, "pca")


# ------------------------------------------------------------------------------------------------ assignment


def test_project_points_pinhole():
    k = np.array([[1000.0, 0, 640], [0, 1000.0, 360], [0, 0, 1]])
    pts = np.array([[[0.3, -0.2, 2.0], [0, 0, -1.0]]])
    px = H.project_points(pts, k)
    assert np.allclose(px[0, 0], [640 + 150, 360 - 100]) and np.isnan(px[0, 1]).all()
    assert np.allclose(H.project_points(pts, k[None]), px, equal_nan=True)


def _assignment_case():
    frame_ids = np.arange(10, 15)
    # a person facing the camera: their left wrist is on the image's right
    wrist_px = np.tile(np.array([[[700.0, 400.0], [300.0, 400.0]]]), (5, 1, 1))
    wrist_px[3] = [[505.0, 400.0], [495.0, 400.0]]  # frame 13: hands held together
    left, right = [715.0, 390.0], [290.0, 410.0]
    dets = [  # frame, is_right, centre, size, score
        (10, False, left, 100.0, 0.9), (10, True, right, 100.0, 0.9),  # correct
        (11, True, left, 100.0, 0.9), (11, False, right, 100.0, 0.9),  # a mislabeled pair
        (12, True, right, 100.0, 0.6), (12, True, [320.0, 420.0], 100.0, 0.95),  # two rights: the closer wins
        (12, True, [1200.0, 100.0], 100.0, 0.99),  # far from both wrists: gated out
        (13, True, [500.0, 400.0], 100.0, 0.9),  # hands together: never swapped
        (14, True, left, 100.0, 0.9),  # a single mislabel
        (99, True, right, 100.0, 0.9),  # a frame the body does not have
    ]
    fr = np.array([d[0] for d in dets])
    is_right = np.array([d[1] for d in dets])
    centre = np.array([d[2] for d in dets])
    size = np.array([d[3] for d in dets])
    score = np.array([d[4] for d in dets])
    return frame_ids, wrist_px, fr, is_right, centre, size, score


def test_assignment_swaps_mislabeled_hands_and_reports_each_swap():
    frame_ids, wrist_px, fr, is_right, centre, size, score = _assignment_case()
    a = H.assign_hands(frame_ids, fr, is_right, centre, size, score, wrist_px)
    L, R = H.LEFT, H.RIGHT
    assert a.detection_index[0].tolist() == [0, 1]
    assert a.detection_index[1].tolist() == [2, 3] and a.swapped[1].all()
    assert a.detection_index[2].tolist() == [-1, 4]  # closer (score only breaks ties)
    assert a.detection_index[3].tolist() == [-1, 7] and not a.swapped[3].any()
    assert a.detection_index[4].tolist() == [8, -1] and a.swapped[4, L]
    assert a.unmatched_detections == 1 and a.gated_out == 1
    swaps = {(s["frame"], s["assigned"]): s for s in a.swaps}
    assert set(swaps) == {(11, "left"), (11, "right"), (14, "left")}
    assert swaps[(11, "left")]["labelled"] == "right" and swaps[(11, "left")]["kind"] == "pair"
    assert swaps[(14, "left")]["kind"] == "single" and swaps[(14, "left")]["detection"] == 8
    assert np.all(a.distance[a.detection_index >= 0] < 0.5)
    assert np.isnan(a.distance[a.detection_index < 0]).all()
    _ = R

    # without swapping, the mislabeled detections sit too far from the wrist their label names
    b = H.assign_hands(frame_ids, fr, is_right, centre, size, score, wrist_px, swap=False)
    assert b.swaps == [] and (b.detection_index[1] == -1).all() and (b.detection_index[4] == -1).all()
    # discarding instead of relabelling
    c = H.assign_hands(frame_ids, fr, is_right, centre, size, score, wrist_px, swap_mode="discard")
    assert c.swaps == [] and c.discarded_swaps == 3 and (c.detection_index[1] == -1).all()
    # no wrists known: the label and the score decide
    d = H.assign_hands(frame_ids, fr, is_right, centre, size, score, None)
    assert d.detection_index[2].tolist() == [-1, 6] and d.swaps == []


# ------------------------------------------------------------------------------------------------ Kabsch


def test_robust_similarity_recovers_a_transform_despite_outliers():
    rng = np.random.default_rng(5)
    t, k = 20, 21
    src = rng.standard_normal((t, k, 3)) * 0.05
    rot = Rotation.random(t, random_state=6).as_matrix()
    scale = rng.uniform(0.8, 1.2, t)
    trans = rng.standard_normal((t, 3))
    dst = scale[:, None, None] * np.einsum("tab,tkb->tka", rot, src) + trans[:, None]
    dst += 0.0005 * rng.standard_normal(dst.shape)
    dst[:, [4, 8, 20]] += rng.standard_normal((t, 3, 3)) * 0.05  # three wild keypoints (fingertips)

    def rot_err_deg(fit):
        rel = np.einsum("tba,tbc->tac", fit.rotation, rot)
        return np.degrees(np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1))).max()

    plain = H.robust_similarity(src, dst, loss=None)
    huber = H.robust_similarity(src, dst, loss="huber")
    tukey = H.robust_similarity(src, dst, loss="tukey")
    for fit in (huber, tukey):
        assert rot_err_deg(fit) < 1.0 and rot_err_deg(fit) < 0.5 * rot_err_deg(plain)
        assert np.abs(fit.scale - scale).max() < 0.02
        assert np.allclose(np.linalg.det(fit.rotation), 1.0)
        assert fit.weights[:, [4, 8, 20]].mean() < 0.5 * fit.weights[:, :4].mean()
    assert tukey.residuals.shape == (t, k) and tukey.rms.shape == (t,)
    # prior weights 0 remove points entirely; exact data is fit exactly, without scale too
    exact = np.einsum("tab,tkb->tka", rot, src) + trans[:, None]
    fit = H.robust_similarity(src, exact, loss="huber", with_scale=False)
    assert np.allclose(fit.rotation, rot, atol=1e-8) and np.allclose(fit.translation, trans, atol=1e-8)


def test_robust_similarity_never_returns_a_reflection():
    rng = np.random.default_rng(7)
    src = rng.standard_normal((4, 21, 3))
    fit = H.robust_similarity(src, src * [-1, 1, 1], loss=None)
    assert np.allclose(np.linalg.det(fit.rotation), 1.0)


def test_hand_joint_targets_follow_openpose_order(body_model):
    from core.body.skeleton import SMPLX_EXTRA_VERTEX_IDS

    idx = H.openpose_hand_joint_indices(H.RIGHT)
    assert idx[0] == 21 and idx[1] == 52 and idx[5] == 40 and idx[17] == 46 and (idx[[4, 8, 12, 16, 20]] == -1).all()
    t = 2
    rest_v = body_model.shaped_vertices(np.zeros(10))
    rest_j = body_model.rest_joints(np.zeros(10))
    glob = np.broadcast_to(np.eye(3), (t, NUM_JOINTS, 3, 3))
    pos = np.broadcast_to(rest_j, (t, NUM_JOINTS, 3))
    pts, w = H.hand_joint_targets(glob, pos, H.LEFT, rest_v, rest_j, SMPLX_EXTRA_VERTEX_IDS)
    assert w.sum() == 21
    assert np.allclose(pts[:, 8], rest_v[SMPLX_EXTRA_VERTEX_IDS["lindex"]])  # rest pose: tips on their vertices
    pts0, w0 = H.hand_joint_targets(glob, pos, H.LEFT)
    assert w0.sum() == 16 and np.allclose(pts0[:, 0], rest_j[20])
