"""Shared fixtures of the expression-transfer tests: the licence-free models, the FLAME-layout source, the targets."""
from __future__ import annotations

import numpy as np
import pytest

from core.fusion.expression.arkit import arkit_from_smplx_face
from core.fusion.expression.mapping import face_model_from_arrays, facial_actions_model
from core.fusion.expression.source import build_flame_like_source, make_pair, sample_frames, sample_sequences


@pytest.fixture(scope="session")
def arrays11() -> dict:
    from core.mannequin import build_mannequin

    return build_mannequin("v1.1", "neutral")


@pytest.fixture(scope="session")
def arrays20() -> dict:
    from core.mannequin import build_mannequin

    return build_mannequin("2020", "neutral")


@pytest.fixture(scope="session")
def source(arrays11):
    return build_flame_like_source(arrays11)


@pytest.fixture(scope="session")
def face11(arrays11):
    return face_model_from_arrays(arrays11, "smplx_v1.1")


@pytest.fixture(scope="session")
def face20(arrays20):
    return face_model_from_arrays(arrays20, "smplx_2020")


@pytest.fixture(scope="session")
def actions(face11):
    return facial_actions_model(face11)


@pytest.fixture(scope="session")
def arkit(face11, arrays11):
    return arkit_from_smplx_face(face11, arrays11["v_template"], arrays11["J_regressor"])


@pytest.fixture(scope="session")
def pair11(source, face11):
    return make_pair(source, face11).compact()


@pytest.fixture(scope="session")
def pair_arkit(source, arkit):
    return make_pair(source, arkit).compact()


@pytest.fixture(scope="session")
def pair_actions(source, actions):
    return make_pair(source, actions).compact()


@pytest.fixture(scope="session")
def frames() -> tuple[np.ndarray, np.ndarray]:
    """60 held-out frames: 2 sequences x 30, flattened (expression (60, 50), jaw (60, 3))."""
    e, j = sample_sequences(np.random.default_rng(123), 2, 30)
    return e.reshape(-1, 50), j.reshape(-1, 3)


@pytest.fixture(scope="session")
def validation() -> tuple[np.ndarray, np.ndarray]:
    return sample_frames(np.random.default_rng(77), 80)


def flame_layout_arrays(source) -> dict:
    """The licence-free source written in a FLAME file's layout: shapedirs 300 shape + 100 expression columns,
    posedirs (36), weights over FLAME's 5 joints, and the jaw regressed from 4 vertices around it."""
    m = source.model
    n = m.num_vertices
    shapedirs = np.zeros((n, 3, 400), dtype=np.float32)
    shapedirs[:, :, 300:350] = m.dirs
    posedirs = np.zeros((n, 3, 36))
    posedirs[:, :, 9:18] = m.jaw_pose_dirs
    weights = np.zeros((n, 5))
    weights[:, 2] = m.jaw_weights
    weights[:, 1] = 1.0 - m.jaw_weights
    near = np.argsort(np.linalg.norm(m.template - m.jaw_joint, axis=1))[:40]
    quad = near[[0, 7, 19, 39]]
    a = np.vstack([m.template[quad].T, np.ones(4)])
    bary = np.linalg.lstsq(a, np.append(m.jaw_joint, 1.0), rcond=None)[0]
    reg = np.zeros((5, n))
    reg[2, quad] = bary
    return {"v_template": m.template, "shapedirs": shapedirs, "posedirs": posedirs, "weights": weights,
            "J_regressor": reg}
