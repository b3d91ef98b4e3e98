"""Fixtures of the grounding tests: the mannequin model and the grounding demo takes (built once)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def mannequin(model_path):
    from core.body.model import load_body_model

    return load_body_model(model_path)


@pytest.fixture(scope="session")
def grounding_takes(mannequin):
    from core.demo_data.grounding_takes import make_grounding_takes

    return make_grounding_takes(mannequin, num_frames=150, seed=0)
