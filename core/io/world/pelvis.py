"""The rest pelvis joint J0(betas) (and hip joints) the world readers need to move a root pose between frames.

SMPL-X turns the root about J0 (:mod:`.camera_trajectory`), so turning GVHMR's two root poses into a camera pose,
or PromptHMR's world body into the camera frame, needs the estimator's model's J0 for the body's shape. The
readers take the SMPL-X model the take is fused with (``model=``, a :class:`core.body.model.BodyModel`); without
one they use the built-in model and record it (its J0 differs from the official SMPL-X file's by centimetres).
Only the regressor's pelvis (and hip) rows are blended, so this is cheap per frame.
"""
from __future__ import annotations

import functools
from typing import Optional

import numpy as np

from ...body.model import BodyModel, load_body_model

__all__ = ["pelvis_rest", "hip_midpoint_rest", "model_or_builtin"]


def _joint_rest(model: BodyModel, joints: tuple[int, ...], betas: np.ndarray) -> np.ndarray:
    """(T, B) betas -> (T, len(joints), 3) rest joints (missing betas zero, extra ones ignored)."""
    betas = np.asarray(betas, dtype=np.float64).reshape(len(betas), -1)
    n = min(betas.shape[1], model.num_betas)
    rows = model.joint_regressor[list(joints)]
    template = rows @ model.v_template
    dirs = np.einsum("jv,vcb->jcb", rows, model.shape_dirs[:, :, :n])
    return template[None] + np.einsum("jcb,tb->tjc", dirs, betas[:, :n])


def pelvis_rest(model: BodyModel, betas: np.ndarray) -> np.ndarray:
    """(T, B) betas -> (T, 3) rest pelvis joint J0 (no expression, as the estimators pose it)."""
    return _joint_rest(model, (0,), betas)[:, 0]


def hip_midpoint_rest(model: BodyModel, betas: np.ndarray) -> np.ndarray:
    """(T, B) betas -> (T, 3) midpoint of the rest hip joints 1 and 2."""
    return _joint_rest(model, (1, 2), betas).mean(axis=1)


@functools.lru_cache(maxsize=2)
def _builtin(gender: str) -> BodyModel:
    from ...body.builtin import resolve_model

    return load_body_model(resolve_model(None, gender))


def model_or_builtin(model: Optional[BodyModel]) -> tuple[BodyModel, str]:
    """``(model, note)``: the given model, or the built-in neutral one with a note for ``source``."""
    if model is not None:
        return model, f"J0(betas) from the fusion model {model.path}"
    return _builtin("neutral"), ("J0(betas) from the built-in model (no model given): within centimetres of the "
                                 "official SMPL-X's")
