"""Fixtures for the validation tests: the mannequin as a BodyModel and the synthetic fault suite."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def body_model(model_path):
    from core.body.model import load_body_model

    return load_body_model(model_path)


@pytest.fixture(scope="session")
def suite(body_model):
    """The clean take and one take per injected fault (96 frames, seed 0)."""
    from core.validate.faults import fault_suite

    return {take.kind: take for take in fault_suite(body_model, num_frames=96, seed=0)}


@pytest.fixture(scope="session")
def suite_results(suite, body_model):
    """Every take of the suite validated once (numpy mesh backend, with pose correctives)."""
    from core.validate.run import run_checks

    return {kind: run_checks(take.seq, body_model, displayed_joints=take.displayed_joints, mesh="numpy",
                             ground_truth=suite["clean"].seq, vertex_metrics=False)
            for kind, take in suite.items()}


def rotation_angles(aa_a: np.ndarray, aa_b: np.ndarray) -> np.ndarray:
    from core.fusion.temporal import axis_angle_to_quaternion, quaternion_angle

    return quaternion_angle(axis_angle_to_quaternion(aa_a), axis_angle_to_quaternion(aa_b))
