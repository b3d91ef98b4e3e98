"""The built-in model's ARKit face units: stored in its file as the expressions are made, and used by the ARKit
export (``python -m core arkit FUSED --model builtin``)."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from core.export.arkit import read_arkit_csv
from core.fusion.expression.arkit import ARKIT_NAMES

FRAMES = 9


def test_face_units_are_stored_as_the_expressions_are_made(anny_model, anny_assets):
    from core.anny_model.expressions import EXPRESSIONS, expression_directions

    units, names = anny_model["faceunits"], anny_model["faceunit_names"]
    assert units.dtype == np.float32 and units.shape == (anny_model["v_template"].shape[0], 3, 52)
    assert sorted(names.tolist()) == names.tolist() and set(names.tolist()) == set(ARKIT_NAMES)
    by_name = {str(n): units[:, :, k].astype(np.float64) for k, n in enumerate(names)}
    # the ten expression columns are exactly their documented combinations of the stored units (same frame, order)
    rebuilt = expression_directions({u: by_name[u] for _, pos, neg in EXPRESSIONS for u in pos + neg})
    expr = anny_model["shapedirs"][:, :, 10:20]
    assert np.abs(rebuilt - expr).max() <= 1e-6 * np.abs(expr).max()
    # units the expressions leave out are there too, and move the face (jawOpen moves the chin by centimetres)
    assert np.linalg.norm(by_name["jawOpen"], axis=1).max() > 0.01
    moved = np.flatnonzero(np.abs(units).sum(axis=(1, 2)) > 0)
    head = anny_model["weights"][:, [15, 22, 23, 24]].sum(axis=1)
    assert head[moved].mean() > 0.9  # face units live on the head


def test_arkit_export_on_the_builtin_model_plays_the_named_units(anny_assets, tmp_path, capsys):
    """A take whose expression plays one named component at a time comes out as that component's face units at
    half the coefficient (``core.anny_model.expressions``: a coefficient of 1 plays each unit at 0.5)."""
    from core.anny_model.expressions import EXPRESSIONS
    from core.body.builtin import resolve_model
    from core.cli import main
    from core.contracts.fused_file import write_fused
    from core.demo_data.motion import make_demo_sequence
    from core.io.face_units import read_face_units

    names = [e[0] for e in EXPRESSIONS]
    seq = make_demo_sequence(num_frames=FRAMES)
    expr = np.zeros((FRAMES, 10))
    expr[3:6, names.index("sneer")] = 1.2          # noseSneer* and cheekSquint* at 0.6
    expr[6:, names.index("cheek_puff")] = 0.8       # cheekPuff at 0.4
    zero = np.zeros((FRAMES, 3))
    take = replace(seq, expression=expr, jaw_pose=zero, leye_pose=zero, reye_pose=zero)
    fused = write_fused(tmp_path / "take.fused.npz", take)
    assert main(["arkit", str(fused), "--model", "builtin", "--out", str(tmp_path / "out" / "take")]) == 0
    assert read_face_units(resolve_model("builtin")) is not None  # the built-in file carries its face units
    frames, curves = read_arkit_csv(tmp_path / "out" / "take.arkit.csv")
    assert curves.shape == (FRAMES, 52) and frames.tolist() == list(range(FRAMES))

    def col(name: str) -> np.ndarray:
        return curves[:, ARKIT_NAMES.index(name)]

    want = np.zeros_like(curves)
    for name in ("noseSneerLeft", "noseSneerRight", "cheekSquintLeft", "cheekSquintRight"):
        want[3:6, ARKIT_NAMES.index(name)] = 0.6
    want[6:, ARKIT_NAMES.index("cheekPuff")] = 0.4
    assert np.abs(curves - want).max() < 1e-3, np.abs(curves - want).max()
    assert col("jawOpen").max() < 1e-3 and not col("tongueOut").any()
    doc = json.loads((tmp_path / "out" / "take.arkit.json").read_text())
    assert doc["provenance"]["shapes"] == "model face units" and doc["provenance"]["method"] == "projection"
    # a smile plays the smile units the most (its negative side, the frown units, has no [0, 1] counterpart)
    expr[:, :] = 0.0
    expr[:, names.index("smile")] = 1.0
    write_fused(fused, replace(take, expression=expr))
    assert main(["arkit", str(fused), "--model", "builtin", "--out", str(tmp_path / "smile")]) == 0
    _, smile = read_arkit_csv(tmp_path / "smile.arkit.csv")
    top = {ARKIT_NAMES[i] for i in np.argsort(-smile[0])[:2]}
    assert top == {"mouthSmileLeft", "mouthSmileRight"} and smile[0, ARKIT_NAMES.index("mouthSmileLeft")] >= 0.5
    capsys.readouterr()


def test_face_units_reader_names_file_and_field(tmp_path):
    from core.errors import ModelFileError
    from core.io.face_units import read_face_units

    np.savez(tmp_path / "plain.npz", v_template=np.zeros((4, 3)))
    assert read_face_units(tmp_path / "plain.npz") is None
    np.savez(tmp_path / "half.npz", faceunits=np.zeros((4, 3, 2), dtype=np.float32))
    with pytest.raises(ModelFileError, match=r"half\.npz: field 'faceunit_names': missing"):
        read_face_units(tmp_path / "half.npz")
    np.savez(tmp_path / "names.npz", faceunits=np.zeros((4, 3, 2)), faceunit_names=np.array(["a"]))
    with pytest.raises(ModelFileError, match=r"names\.npz: field 'faceunit_names': expected \(2,\) str"):
        read_face_units(tmp_path / "names.npz")
    np.savez(tmp_path / "nan.npz", faceunits=np.full((4, 3, 1), np.nan), faceunit_names=np.array(["a"]))
    with pytest.raises(ModelFileError, match=r"nan\.npz: field 'faceunits': contains NaN"):
        read_face_units(tmp_path / "nan.npz")
    units = read_face_units(_write(tmp_path / "ok.npz"))
    assert set(units) == {"jawOpen"} and units["jawOpen"].dtype == np.float64


def _write(path):
    np.savez(path, faceunits=np.ones((4, 3, 1), dtype=np.float32), faceunit_names=np.array(["jawOpen"]))
    return path
