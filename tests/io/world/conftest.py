"""Fixtures of the world-grounded reader tests: the mannequin model (its pelvis J0(betas) relates root poses)."""
from __future__ import annotations

import pytest

from core.body.model import BodyModel, load_body_model


@pytest.fixture(scope="session")
def world_model(model_path) -> BodyModel:
    return load_body_model(model_path)
