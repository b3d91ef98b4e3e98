"""The 52 ARKit shapes on the licence-free face, eye curves, CSV/JSON files, and curves from a fused take."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.export.arkit import read_arkit_csv, write_arkit_csv, write_arkit_json
from core.fusion.expression import fit_mapper
from core.fusion.expression.arkit import (
    ARKIT_NAMES,
    ARKIT_SOURCES,
    JAW_OPEN_RAD,
    arkit_curves,
    assemble_curves,
    eye_look_curves,
    full_mesh_dirs,
    has_licence_free_actions,
    smplx_to_arkit_pair,
)
from core.io.face_units import read_face_units


def _col(name: str) -> int:
    return ARKIT_NAMES.index(name)


def test_names_are_arkits_52_and_each_is_documented():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    for name in ("eyeBlinkLeft", "jawOpen", "mouthSmileRight", "browInnerUp", "cheekPuff", "noseSneerLeft",
                 "tongueOut", "eyeLookUpRight", "mouthRollUpper"):
        assert name in ARKIT_NAMES
    assert set(ARKIT_SOURCES) == set(ARKIT_NAMES)
    kinds = {v.split(":")[0] for v in ARKIT_SOURCES.values()}
    assert kinds == {"action", "split", "jaw", "procedural", "eye_pose", "absent"}


def test_split_shapes_add_back_to_the_models_actions(arkit, face11):
    d = arkit.dirs
    acts = face11.dirs
    assert np.allclose(d[:, :, _col("mouthSmileLeft")] + d[:, :, _col("mouthSmileRight")], acts[:, :, 1])
    assert np.allclose(d[:, :, _col("mouthFrownLeft")] + d[:, :, _col("mouthFrownRight")], acts[:, :, 2])
    assert np.allclose(d[:, :, _col("browInnerUp")] + d[:, :, _col("browOuterUpLeft")]
                       + d[:, :, _col("browOuterUpRight")], acts[:, :, 4])
    assert np.allclose(d[:, :, _col("jawLeft")], -d[:, :, _col("jawRight")])
    assert np.array_equal(d[:, :, _col("eyeBlinkLeft")], acts[:, :, 6])
    # the left part lives on the subject's left (+x)
    x = arkit.template[:, 0] - arkit.template[:, 0].mean()
    moved = np.linalg.norm(d[:, :, _col("mouthSmileLeft")], axis=1)
    assert x[moved > 0.5 * moved.max()].min() > 0
    # rotation-driven and absent ones are empty; every other shape moves the face
    empty = [n for n in ARKIT_NAMES if ARKIT_SOURCES[n].startswith(("eye_pose", "absent"))]
    assert len(empty) == 9
    for k, name in enumerate(ARKIT_NAMES):
        assert (np.abs(d[:, :, k]).max() == 0) == (name in empty), name
    assert arkit.bounds == (0.0, 1.0) and not arkit.has_jaw_bone


def test_jaw_open_is_the_models_jaw_bone(arkit, face11):
    opened = face11.displacement(np.zeros((1, 10)), np.array([[JAW_OPEN_RAD, 0.0, 0.0]]))[0]
    assert np.allclose(arkit.dirs[:, :, _col("jawOpen")], opened)
    chin_drop = -opened[:, 1].min()
    assert 0.01 < chin_drop < 0.06  # the chin drops centimetres, not millimetres


def test_eye_look_curves_follow_the_eye_rotations():
    t = 4
    left, right = np.zeros((t, 3)), np.zeros((t, 3))
    left[1, 1] = right[1, 1] = 0.3     # about +y: both gazes turn towards +x, the subject's left
    left[2, 0] = right[2, 0] = -0.2    # about -x: the gaze tilts up (y up, z forward)
    curves = eye_look_curves(left, right)
    assert set(curves) == {n for n in ARKIT_NAMES if n.startswith("eyeLook")}
    assert curves["eyeLookOutLeft"][1] == pytest.approx(0.5) and curves["eyeLookInLeft"][1] == 0.0
    assert curves["eyeLookInRight"][1] == pytest.approx(0.5) and curves["eyeLookOutRight"][1] == 0.0
    assert curves["eyeLookUpLeft"][2] == pytest.approx(0.2 / 0.45) and curves["eyeLookDownLeft"][2] == 0.0
    assert all(c[0] == 0.0 for c in curves.values())


def test_csv_and_json_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    curves = rng.uniform(0.0, 1.0, (5, 52))
    csv_path = write_arkit_csv(tmp_path / "take.arkit.csv", curves, 30.0, first_frame=1)
    frames, back = read_arkit_csv(csv_path)
    assert np.array_equal(frames, np.arange(1, 6)) and np.allclose(back, curves, atol=1e-6)
    doc = json.loads(write_arkit_json(tmp_path / "take.arkit.json", curves, 30.0).read_text())
    assert doc["names"] == list(ARKIT_NAMES) and np.allclose(doc["weights"], curves, atol=1e-6)
    assert doc["fps"] == 30.0 and doc["sources"]["tongueOut"].startswith("absent")
    with pytest.raises(ValueError):
        write_arkit_csv(tmp_path / "bad.csv", curves[:, :10], 30.0)
    full = assemble_curves(np.array([[2.0, -1.0]]), ["jawOpen", "cheekPuff"], {"eyeLookUpLeft": np.array([0.5])})
    assert full[0, _col("jawOpen")] == 1.0 and full[0, _col("cheekPuff")] == 0.0
    assert full[0, _col("eyeLookUpLeft")] == 0.5


@pytest.fixture(scope="module")
def body_model(model_path):
    from core.body.model import load_body_model

    return load_body_model(model_path)


def test_arkit_curves_from_smplx_expression_and_jaw(body_model):
    pair = smplx_to_arkit_pair(body_model)
    assert pair.source.num_coefficients == 10 and pair.target.num_coefficients == 52
    mapper = fit_mapper(pair, "projection")
    t = 12
    expr = np.zeros((t, 10))
    jaw = np.zeros((t, 3))
    jaw[:, 0] = np.linspace(0.0, 0.4, t)          # the jaw opens steadily
    expr[6:, 6] = 1.0                             # the left eye blinks in the second half
    eyes = np.zeros((t, 3))
    curves = arkit_curves(mapper, expr, jaw, eyes, eyes)
    assert curves.shape == (t, 52) and curves.min() >= 0.0 and curves.max() <= 1.0
    jaw_open = curves[:, _col("jawOpen")]
    assert np.all(np.diff(jaw_open) > 0) and jaw_open[0] < 0.05
    assert jaw_open[-1] == pytest.approx(0.4 / JAW_OPEN_RAD, abs=0.1)
    blink = curves[:, _col("eyeBlinkLeft")]
    assert blink[:6].max() < 0.05 and blink[6:].min() > 0.9 and curves[:, _col("eyeBlinkRight")].max() < 0.05
    assert not curves[:, _col("tongueOut")].any()
    half = arkit_curves(mapper, expr, None, expression_scale=0.5)
    assert half[-1, _col("eyeBlinkLeft")] == pytest.approx(0.5 * blink[-1], abs=0.05)


def test_licence_free_check_refuses_a_pca_expression_space(body_model, face11):
    from dataclasses import replace

    assert has_licence_free_actions(face11)
    rng = np.random.default_rng(1)
    pca_like = replace(face11, dirs=rng.normal(size=face11.dirs.shape))
    assert not has_licence_free_actions(pca_like)
    dirs = full_mesh_dirs(smplx_to_arkit_pair(body_model).target, body_model.num_vertices)
    assert dirs.shape == (body_model.num_vertices, 3, 52)
    off_face = np.setdiff1d(np.arange(body_model.num_vertices), face11.mesh_ids)
    assert not dirs[off_face].any()


def test_a_model_file_with_its_own_face_units_drives_the_arkit_rig(model_path, tmp_path, arkit):
    """The optional ``faceunits`` / ``faceunit_names`` keys of a model file replace the procedural shapes."""
    from core.body.model import load_body_model

    data = dict(np.load(model_path, allow_pickle=False))
    v = data["v_template"].shape[0]
    names = ["mouthSmileLeft", "eyeBlinkRight", "eyeLookUpLeft"]
    units = np.zeros((v, 3, len(names)))
    rng = np.random.default_rng(2)
    units[arkit.mesh_ids] = rng.normal(0.0, 0.002, (arkit.num_vertices, 3, len(names)))
    np.savez(tmp_path / "SMPLX_NEUTRAL.npz", **data, faceunits=units, faceunit_names=np.array(names))
    model = load_body_model(tmp_path / "SMPLX_NEUTRAL.npz")
    pair = smplx_to_arkit_pair(model, read_face_units(model.path))
    d = pair.target.dirs
    assert np.allclose(d[:, :, _col("mouthSmileLeft")], units[arkit.mesh_ids, :, 0])
    assert np.allclose(d[:, :, _col("eyeBlinkRight")], units[arkit.mesh_ids, :, 1])
    assert not d[:, :, _col("eyeLookUpLeft")].any()          # gaze stays with the eye joints
    assert not d[:, :, _col("cheekPuff")].any()              # not among the units: empty, not procedural
    assert np.allclose(d[:, :, _col("jawOpen")], arkit.dirs[:, :, _col("jawOpen")])  # the jaw bone, opened
    assert "3 of them" not in pair.target.note and "2 of them" in pair.target.note
