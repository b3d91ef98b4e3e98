"""Fixtures of the interchange tests: the mannequin model and the real smplcodec files (MIT, tests/data/smplcodec)."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "smplcodec"


@pytest.fixture(scope="session")
def body_model(model_path):
    from core.body.model import load_body_model

    return load_body_model(model_path)


@pytest.fixture(scope="session")
def real_avatar() -> Path:
    return DATA / "avatar.smpl"


@pytest.fixture(scope="session")
def real_amass() -> Path:
    return DATA / "apose_to_handsFront_smplx.npz"
