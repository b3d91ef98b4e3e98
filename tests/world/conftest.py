"""Fixtures of the world-frame tests: the mannequin model and one grounding bench take (built once)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def world_model(model_path):
    from core.body.model import load_body_model

    return load_body_model(model_path)


@pytest.fixture(scope="session")
def walking_take(world_model):
    from core.demo_data.grounding_takes import make_grounding_takes

    return make_grounding_takes(world_model, num_frames=150, seed=0)["walking"]
