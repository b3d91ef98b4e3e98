"""The licence-free mannequin: file layout, mesh validity, anatomy, and smplx compatibility."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from core.body.skeleton import JOINT_INDEX as JI
from core.body.skeleton import JOINT_NAMES, NUM_VERTICES, PARENTS, SMPLX_EXTRA_VERTEX_IDS, kintree_table
from core.mannequin import build_mannequin, write_mannequin, write_mannequin_set
from core.mannequin.blendshapes import BETAS, EXPRESSIONS
from core.mannequin.handpose import MIRROR_AXIS_ANGLE

EXPECTED = {
    "v_template": ((NUM_VERTICES, 3), np.float64),
    "f": ((None, 3), np.uint32),
    "kintree_table": ((2, 55), np.int64),
    "J_regressor": ((55, NUM_VERTICES), np.float64),
    "weights": ((NUM_VERTICES, 55), np.float64),
    "shapedirs": ((NUM_VERTICES, 3, 20), np.float64),
    "posedirs": ((NUM_VERTICES, 3, 486), np.float64),
    "hands_componentsl": ((45, 45), np.float64),
    "hands_componentsr": ((45, 45), np.float64),
    "hands_meanl": ((45,), np.float64),
    "hands_meanr": ((45,), np.float64),
    "lmk_faces_idx": ((51,), np.int64),
    "lmk_bary_coords": ((51, 3), np.float64),
    "dynamic_lmk_faces_idx": ((79, 17), np.int64),
    "dynamic_lmk_bary_coords": ((79, 17, 3), np.float64),
    "vt": ((None, 2), np.float64),
    "ft": ((None, 3), np.uint32),
}


@pytest.fixture(scope="module")
def model() -> dict[str, np.ndarray]:
    return build_mannequin("v1.1", "neutral")


@pytest.fixture(scope="module")
def rest_joints(model) -> np.ndarray:
    return model["J_regressor"] @ model["v_template"]


def _signed_volume(v: np.ndarray, f: np.ndarray) -> float:
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


# ------------------------------------------------------------------------------------ layout

def test_keys_shapes_and_dtypes(model):
    assert set(model) == set(EXPECTED)
    for key, (shape, dtype) in EXPECTED.items():
        arr = model[key]
        assert arr.dtype == dtype, key
        assert arr.ndim == len(shape), key
        for got, want in zip(arr.shape, shape):
            if want is not None:
                assert got == want, (key, arr.shape)
        if arr.dtype.kind == "f":
            assert np.isfinite(arr).all(), key
    assert model["ft"].shape == model["f"].shape
    np.testing.assert_array_equal(model["kintree_table"], kintree_table())


def test_deterministic(model):
    again = build_mannequin("v1.1", "neutral")
    for key, arr in model.items():
        assert again[key].dtype == arr.dtype
        assert np.array_equal(again[key], arr), key


def test_unknown_arguments_are_rejected():
    with pytest.raises(ValueError):
        build_mannequin("v2", "neutral")
    with pytest.raises(ValueError):
        build_mannequin("v1.1", "robot")


# -------------------------------------------------------------------------------------- mesh

def test_faces_form_closed_outward_parts(model):
    v, f = model["v_template"], model["f"].astype(np.int64)
    assert f.min() >= 0 and f.max() < NUM_VERTICES
    assert np.unique(f).size == NUM_VERTICES                      # every vertex used
    assert (f[:, 0] != f[:, 1]).all() and (f[:, 1] != f[:, 2]).all() and (f[:, 0] != f[:, 2]).all()
    area = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    assert area.min() > 1e-8
    # closed and consistently wound: every directed edge once, always with its reverse
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    key = directed[:, 0] * NUM_VERTICES + directed[:, 1]
    rkey = directed[:, 1] * NUM_VERTICES + directed[:, 0]
    assert np.unique(key).size == key.size
    assert np.isin(rkey, key).all()
    # every part (connected component) encloses a positive volume: faces point outward
    adj = coo_matrix((np.ones(len(directed)), (directed[:, 0], directed[:, 1])), shape=(NUM_VERTICES,) * 2)
    n_parts, labels = connected_components(adj, directed=False)
    assert 30 <= n_parts <= 60
    for part in range(n_parts):
        faces = f[labels[f[:, 0]] == part]
        assert _signed_volume(v, faces) > 0.0


def test_template_is_a_standing_t_pose(model, rest_joints):
    v = model["v_template"]
    height = v[:, 1].max() - v[:, 1].min()
    assert 1.60 < height < 1.80
    assert v[:, 1].min() == pytest.approx(-1.25, abs=0.03)
    assert np.abs(rest_joints[JI["pelvis"]] - [0.0, -0.35, 0.0]).max() < 0.03
    assert v[:, 0].max() > 0.8 and v[:, 0].min() < -0.8              # arms out along +-X
    assert abs(v[:, 0].max() + v[:, 0].min()) < 0.01                  # left-right symmetric


def test_weights_are_convex_and_local(model):
    w = model["weights"]
    assert w.min() >= 0.0
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert (w > 0).sum(axis=1).max() <= 4
    v = model["v_template"]
    # eyes are rigid on the eye joints; the chin follows the jaw; fingertips follow the last phalanx
    for name, joint in (("leye", "left_eye_smplhf"), ("reye", "right_eye_smplhf"),
                        ("lindex", "left_index3"), ("rpinky", "right_pinky3"), ("lthumb", "left_thumb3")):
        assert w[SMPLX_EXTRA_VERTEX_IDS[name], JI[joint]] == pytest.approx(1.0)
    assert (w[:, JI["jaw"]] > 0.99).sum() > 50
    jaw_verts = v[w[:, JI["jaw"]] > 0.5]
    assert jaw_verts[:, 1].max() < v[SMPLX_EXTRA_VERTEX_IDS["nose"], 1]
    # smooth two-bone blends around the elbows and knees
    for a, b in (("left_shoulder", "left_elbow"), ("right_knee", "right_ankle"), ("spine2", "spine3")):
        mixed = (w[:, JI[a]] > 0.2) & (w[:, JI[b]] > 0.2)
        assert mixed.sum() > 10, (a, b)
    # every joint drives some vertices
    assert (w.max(axis=0) > 0.5).all()


def test_regressor_rows_are_convex_combinations(model, rest_joints):
    reg = model["J_regressor"]
    assert reg.min() >= 0.0
    np.testing.assert_allclose(reg.sum(axis=1), 1.0, atol=1e-9)
    nnz = (reg > 0).sum(axis=1)
    assert nnz.min() >= 4 and nnz.max() <= 1000


# ----------------------------------------------------------------------------------- anatomy

def test_rest_joints_are_anatomical(rest_joints):
    J = {name: rest_joints[i] for i, name in enumerate(JOINT_NAMES)}
    for name, p in J.items():
        if name.startswith("left_"):
            assert p[0] > 0.005, name
            np.testing.assert_allclose(J["right_" + name[5:]], p * [-1, 1, 1], atol=1e-6)
    assert J["left_hip"][0] == pytest.approx(0.09, abs=0.02)
    assert J["left_hip"][1] == pytest.approx(-0.43, abs=0.03)
    assert 0.3 < J["left_hip"][1] - J["left_knee"][1] < 0.45
    assert 0.3 < J["left_knee"][1] - J["left_ankle"][1] < 0.45
    assert J["left_foot"][2] > J["left_ankle"][2] + 0.08
    assert J["left_foot"][1] < J["left_ankle"][1]
    spine = [J[n][1] for n in ("pelvis", "spine1", "spine2", "spine3", "neck", "head")]
    assert np.all(np.diff(spine) > 0.02)
    assert J["left_collar"][0] < J["left_shoulder"][0] < J["left_elbow"][0] < J["left_wrist"][0]
    assert abs(J["left_wrist"][0]) > 0.5 and abs(J["right_wrist"][0]) > 0.5
    assert abs(J["left_shoulder"][1] - J["left_wrist"][1]) < 0.05           # arms straight out
    assert J["jaw"][1] < J["left_eye_smplhf"][1] and J["jaw"][2] > J["head"][2]
    assert J["left_eye_smplhf"][2] > J["head"][2] + 0.05
    for digit in ("index", "middle", "ring", "pinky", "thumb"):
        j1, j2, j3 = (J[f"left_{digit}{k}"] for k in (1, 2, 3))
        assert J["left_wrist"][0] < j1[0] < j2[0] < j3[0], digit
    assert J["left_thumb3"][2] > J["left_index1"][2] + 0.02                 # thumb points forward


def test_no_degenerate_bones(rest_joints):
    for j in range(1, 55):
        bone = np.linalg.norm(rest_joints[j] - rest_joints[PARENTS[j]])
        assert bone > 0.005, JOINT_NAMES[j]


def test_extra_vertex_ids_are_anatomical(model, rest_joints):
    v = model["v_template"]
    J = {name: rest_joints[i] for i, name in enumerate(JOINT_NAMES)}
    P = {name: v[i] for name, i in SMPLX_EXTRA_VERTEX_IDS.items()}
    head = v[(v[:, 1] > J["head"][1] - 0.04) & (np.abs(v[:, 0]) < 0.15)]    # head and upper neck
    assert P["nose"][2] >= head[:, 2].max() - 1e-9                    # the front-most point of the face
    assert abs(P["nose"][0]) < 0.01
    assert P["leye"][0] > 0.01 and P["reye"][0] < -0.01
    for side in ("l", "r"):
        eye = P[side + "eye"]
        joint = J["left_eye_smplhf" if side == "l" else "right_eye_smplhf"]
        assert np.linalg.norm(eye - joint) < 0.02 and eye[2] > joint[2]
        assert P["nose"][1] < eye[1]
    assert P["lear"][0] >= head[:, 0].max() - 1e-9 and P["lear"][0] > 0.07
    assert P["rear"][0] <= head[:, 0].min() + 1e-9 and P["rear"][0] < -0.07
    for digit in ("thumb", "index", "middle", "ring", "pinky"):
        for side, sign in (("left", 1.0), ("right", -1.0)):
            tip = P[side[0] + digit]
            assert sign * tip[0] > sign * J[f"{side}_wrist"][0] + 0.05, (side, digit)
            assert np.linalg.norm(tip - J[f"{side}_{digit}3"]) < 0.04
    assert P["lthumb"][2] > J["left_wrist"][2] + 0.05
    for side, sign in (("L", 1.0), ("R", -1.0)):
        ankle = J["left_ankle" if side == "L" else "right_ankle"]
        ball = J["left_foot" if side == "L" else "right_foot"]
        heel, big, small = P[side + "Heel"], P[side + "BigToe"], P[side + "SmallToe"]
        assert heel[2] < ankle[2] - 0.03 and heel[1] < ankle[1] - 0.03
        assert big[2] > ball[2] + 0.03 and small[2] > ball[2] + 0.02
        assert sign * big[0] < sign * small[0]                      # big toe medial, small toe lateral
        assert sign * big[0] > 0.0


def test_landmarks_sit_on_the_face(model, rest_joints):
    v, f = model["v_template"], model["f"].astype(np.int64)
    for idx, bary in ((model["lmk_faces_idx"], model["lmk_bary_coords"]),
                      (model["dynamic_lmk_faces_idx"].reshape(-1), model["dynamic_lmk_bary_coords"].reshape(-1, 3))):
        assert idx.min() >= 0 and idx.max() < f.shape[0]
        assert bary.min() >= 0.0
        np.testing.assert_allclose(bary.sum(axis=1), 1.0, atol=1e-9)
    lmk = np.einsum("lk,lkc->lc", model["lmk_bary_coords"], v[f[model["lmk_faces_idx"]]])
    head, eye_l = rest_joints[JI["head"]], rest_joints[JI["left_eye_smplhf"]]
    assert (lmk[:, 2] > head[2] + 0.05).all()                     # all on the front of the head
    brows, nose, eyes, mouth = lmk[:10], lmk[10:19], lmk[19:31], lmk[31:]
    assert brows[:, 1].min() > eyes[:, 1].max() > nose[:, 1].min() > mouth[:, 1].max()
    assert (brows[:5, 0] < 0).all() and (brows[5:, 0] > 0).all()   # iBUG order: image left = body right
    assert (eyes[:6, 0] < 0).all() and (eyes[6:, 0] > 0).all()
    assert np.linalg.norm(eyes[6:].mean(axis=0)[:2] - eye_l[:2]) < 0.01
    assert nose[3, 2] == pytest.approx(v[SMPLX_EXTRA_VERTEX_IDS["nose"], 2], abs=0.01)
    contour = np.einsum("lk,lkc->lc", model["dynamic_lmk_bary_coords"][0], v[f[model["dynamic_lmk_faces_idx"][0]]])
    assert contour[0, 0] < 0 < contour[-1, 0] and contour[8, 1] < mouth[:, 1].min()


def test_uvs_are_valid(model):
    vt, ft = model["vt"], model["ft"].astype(np.int64)
    assert vt.min() >= 0.0 and vt.max() <= 1.0
    assert ft.min() >= 0 and ft.max() < vt.shape[0]
    a, b, c = vt[ft[:, 0]], vt[ft[:, 1]], vt[ft[:, 2]]
    span = np.maximum(np.abs(b - a).max(axis=1), np.abs(c - a).max(axis=1))
    assert span.max() < 0.2                                         # no triangle smeared across a chart


# ----------------------------------------------------------------------------- blend shapes

def test_betas_move_the_body_and_the_joints(model):
    sd, reg, v0 = model["shapedirs"], model["J_regressor"], model["v_template"]
    assert len(BETAS) == 10
    for k in range(10):
        disp = np.linalg.norm(sd[:, :, k], axis=1).max()
        assert 0.005 < disp < 0.04, BETAS[k][0]
    J0 = reg @ v0
    J_tall = reg @ (v0 + sd[:, :, 0])
    assert J_tall[JI["head"], 1] - J0[JI["head"], 1] > 1e-3           # height beta moves the head joint
    J_arms = reg @ (v0 + sd[:, :, 5])
    assert J_arms[JI["left_wrist"], 0] - J0[JI["left_wrist"], 0] > 5e-3
    J_legs = reg @ (v0 + sd[:, :, 4])
    assert J_legs[JI["left_ankle"], 1] - J0[JI["left_ankle"], 1] < -5e-3


def test_expression_is_local_and_moves_face_joints(model, rest_joints):
    sd, reg, v = model["shapedirs"], model["J_regressor"], model["v_template"]
    expr = sd[:, :, 10:20]
    assert len(EXPRESSIONS) == 10
    mags = np.linalg.norm(expr, axis=1).max(axis=0)
    assert (mags > 0.004).all() and (mags < 0.02).all()
    below_chin = v[:, 1] < rest_joints[JI["neck"]][1]
    assert np.abs(expr[below_chin]).max() == 0.0
    moved = np.linalg.norm(np.einsum("jv,vck->jck", reg, expr), axis=1)   # (55, 10) joint motion per unit
    for joint in ("jaw", "head", "left_eye_smplhf", "right_eye_smplhf"):
        assert moved[JI[joint]].max() > 1e-4, joint
    assert moved[[JI["jaw"], JI["head"], JI["left_eye_smplhf"], JI["right_eye_smplhf"]]].max() > 1e-3
    body = [JI[n] for n in JOINT_NAMES if n not in ("head", "jaw", "left_eye_smplhf", "right_eye_smplhf")]
    assert moved[body].max() == 0.0
    # mouth open lowers the chin; the left blink works on the left (+X) eye
    jaw = rest_joints[JI["jaw"]]
    chin = (np.linalg.norm(v - jaw, axis=1) < 0.1) & (v[:, 1] < jaw[1] - 0.02) & (v[:, 2] > jaw[2] + 0.06)
    assert expr[chin, 1, 0].mean() < -0.003
    blink = np.linalg.norm(expr[:, :, 6], axis=1)
    assert v[blink > 0.003, 0].min() > 0.0


def test_pose_correctives_are_small_and_in_smplx_layout(model):
    pd = model["posedirs"]
    assert np.abs(pd).max() <= 0.005
    active = np.nonzero(np.abs(pd).max(axis=(0, 1)) > 0)[0]
    joints = {int(c) // 9 + 1 for c in active}
    assert {JI["left_elbow"], JI["right_knee"], JI["left_shoulder"]} <= joints
    for c in active:
        assert c % 9 in (0, 4, 8)
    # a 90 degree elbow bend bulges only around that elbow
    R = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    feature = np.zeros((54, 3, 3))
    feature[JI["left_elbow"] - 1] = R - np.eye(3)
    offset = np.einsum("vck,k->vc", pd, feature.reshape(-1))
    moved = np.linalg.norm(offset, axis=1) > 1e-4
    elbow = model["J_regressor"][JI["left_elbow"]] @ model["v_template"]
    assert moved.any() and np.linalg.norm(model["v_template"][moved] - elbow, axis=1).max() < 0.25


def test_hand_pose_space(model):
    for side in "lr":
        comps = model[f"hands_components{side}"]
        np.testing.assert_allclose(comps @ comps.T, np.eye(45), atol=1e-10)
    mean_l, mean_r = model["hands_meanl"], model["hands_meanr"]
    np.testing.assert_allclose(mean_r, mean_l * MIRROR_AXIS_ANGLE)
    np.testing.assert_allclose(model["hands_componentsr"], model["hands_componentsl"] * MIRROR_AXIS_ANGLE)
    angles = np.linalg.norm(mean_l.reshape(15, 3), axis=1)
    assert angles.min() >= 0.1 and angles.max() <= 0.5
    assert (mean_l.reshape(15, 3)[:12, 2] < 0).all()               # left fingers flex about -Z (towards the palm)


# ------------------------------------------------------------------------------- genders

def test_genders_share_topology_and_differ_in_proportions(model, model_dir):
    keys = ("f", "ft", "vt", "lmk_faces_idx", "dynamic_lmk_faces_idx", "kintree_table", "J_regressor", "v_template")
    with np.load(model_dir / "SMPLX_MALE.npz", allow_pickle=False) as data:
        male = {k: data[k] for k in keys}
    with np.load(model_dir / "SMPLX_FEMALE.npz", allow_pickle=False) as data:
        female = {k: data[k] for k in keys}
    for key in ("f", "ft", "vt", "lmk_faces_idx", "dynamic_lmk_faces_idx", "kintree_table"):
        assert np.array_equal(male[key], female[key]) and np.array_equal(male[key], model[key]), key

    def stats(m):
        J = m["J_regressor"] @ m["v_template"]
        v = m["v_template"]
        return (J[JI["left_shoulder"], 0] - J[JI["right_shoulder"], 0],
                J[JI["left_hip"], 0] - J[JI["right_hip"], 0], v[:, 1].max() - v[:, 1].min())

    (ms, mh, mt), (ns, nh, nt), (fs, fh, ft) = stats(male), stats(model), stats(female)
    assert ms > ns > fs
    assert fh > nh > mh
    assert mt > nt > ft
    assert fh / fs > mh / ms


# ------------------------------------------------------------------------------ files & smplx

def test_written_set_is_plain_npz(model_dir, model):
    """``model_dir`` (conftest) is written by write_mannequin_set(folder, variant="v1.1")."""
    names = sorted(p.name for p in model_dir.iterdir())
    assert names == ["SMPLX_FEMALE.npz", "SMPLX_MALE.npz", "SMPLX_NEUTRAL.npz"]
    with np.load(model_dir / "SMPLX_NEUTRAL.npz", allow_pickle=False) as data:
        assert set(data.files) == set(model)
        for key in model:
            assert np.array_equal(data[key], model[key]), key
            assert data[key].dtype == model[key].dtype
    with np.load(model_dir / "SMPLX_FEMALE.npz", allow_pickle=False) as data:
        assert set(data.files) == set(model)
        assert not np.array_equal(data["v_template"], model["v_template"])


def test_write_returns_the_npz_path(tmp_path, monkeypatch):
    import core.mannequin as mannequin

    small = {"v_template": np.zeros((2, 3))}
    monkeypatch.setattr(mannequin, "build_mannequin", lambda variant="v1.1", gender="neutral": small)
    path = write_mannequin(tmp_path / "sub" / "model", gender="male")
    assert path == tmp_path / "sub" / "model.npz" and path.is_file()
    paths = write_mannequin_set(tmp_path / "set")
    assert {g: p.name for g, p in paths.items()} == {
        "neutral": "SMPLX_NEUTRAL.npz", "male": "SMPLX_MALE.npz", "female": "SMPLX_FEMALE.npz"}
    with np.load(paths["female"], allow_pickle=False) as data:
        assert data.files == ["v_template"]


def test_smplx_loads_and_runs_v11(model_path, model):
    smplx = pytest.importorskip("smplx")
    torch = pytest.importorskip("torch")
    body = smplx.SMPLX(model_path=str(model_path), use_pca=False, flat_hand_mean=True,
                       num_betas=10, num_expression_coeffs=10)
    out = body()
    assert tuple(out.vertices.shape) == (1, NUM_VERTICES, 3)
    assert tuple(out.joints.shape) == (1, 127, 3)
    assert torch.isfinite(out.vertices).all() and torch.isfinite(out.joints).all()
    np.testing.assert_allclose(out.vertices[0].detach().numpy(), model["v_template"], atol=1e-5)
    # smplx's extra joints read the anatomical vertices
    for k, name in enumerate(("nose", "reye", "leye", "rear", "lear")):
        np.testing.assert_allclose(out.joints[0, 55 + k].detach().numpy(),
                                   model["v_template"][SMPLX_EXTRA_VERTEX_IDS[name]], atol=1e-5)
    posed = body(betas=torch.full((1, 10), 0.5), expression=torch.full((1, 10), 0.5),
                 body_pose=torch.full((1, 63), 0.2), jaw_pose=torch.tensor([[0.2, 0.0, 0.0]]),
                 left_hand_pose=torch.full((1, 45), 0.1), right_hand_pose=torch.full((1, 45), -0.1))
    assert torch.isfinite(posed.vertices).all() and torch.isfinite(posed.joints).all()
    assert (posed.vertices - out.vertices).abs().max() > 0.01


def test_smplx_loads_and_runs_2020(tmp_path):
    smplx = pytest.importorskip("smplx")
    torch = pytest.importorskip("torch")
    path = write_mannequin(tmp_path / "SMPLX_NEUTRAL.npz", variant="2020")
    with np.load(path, allow_pickle=False) as data:
        assert data["shapedirs"].shape == (NUM_VERTICES, 3, 400)
        extra = data["shapedirs"][:, :, 10:300]
        assert 0.0 < np.abs(extra).max() < 0.02
    body = smplx.SMPLX(model_path=str(path), use_pca=False, flat_hand_mean=True,
                       num_betas=300, num_expression_coeffs=100)
    assert body.num_betas == 300 and body.num_expression_coeffs == 100
    gen = torch.Generator().manual_seed(0)
    out = body(betas=torch.randn(1, 300, generator=gen), expression=torch.randn(1, 100, generator=gen))
    assert tuple(out.vertices.shape) == (1, NUM_VERTICES, 3) and tuple(out.joints.shape) == (1, 127, 3)
    assert torch.isfinite(out.vertices).all()
