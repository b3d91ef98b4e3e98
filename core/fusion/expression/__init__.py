"""Expression transfer: a source face's expression (plus the jaw) -> a target face's coefficients, one interface.

Modules (data flows one way, top to bottom; numpy only at import, so mapping runs inside Blender):

* :mod:`.mapping`  the vocabulary: :class:`LinearFaceModel`, :class:`FacePair`, the :class:`ExpressionMapper`
                   interface, the method names, SMPL-X-layout face models (:func:`face_model_from_body_model`);
* :mod:`.linear`   closed-form mappers: :class:`LinearMapper` (``linear``, ``linear_bounded``) and the per-frame
                   :class:`ProjectionMapper` (``projection``, the default); the bounded fits prefer scipy;
* :mod:`.arkit`    the 52 ARKit shapes on the model's face and the curves from a mapper (:func:`arkit_curves`);
* :mod:`.source`   a licence-free FLAME-layout source face and the training / held-out expression samplers;
* :mod:`.learned`  :class:`LearnedMapper`, an MLP (training needs torch, imported lazily; inference is numpy);
* :mod:`.command`  the ``arkit`` and ``expression-mapper`` sub-commands and ``fuse``'s expression options (files
                   are read and written there and in ``core.io``; not imported here).

This package file is the one place that knows every mapper class: :func:`fit_mapper` fits any of
:data:`METHODS`, :func:`mapper_from_arrays` builds a mapper back from its header and arrays (what
``core.io.expression_mapper_file.read_mapper_arrays`` reads), :func:`arkit_mapper` maps a model's expression to the
ARKit shapes.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .arkit import ARKIT_NAMES, arkit_curves, smplx_to_arkit_pair
from .learned import LearnedMapper, TrainConfig, train_learned
from .linear import LinearMapper, ProjectionMapper, fit_linear, fit_projection
from .mapping import (
    DEFAULT_METHOD,
    FORMAT,
    LEARNED_METHODS,
    LINEAR_METHODS,
    METHODS,
    ExpressionMapper,
    FacePair,
    LinearFaceModel,
    face_model_from_arrays,
    face_model_from_body_model,
    facial_actions_model,
    pair_models,
)
from .source import build_flame_like_source, face_model_from_flame_arrays, make_pair, sample_frames

__all__ = ["DEFAULT_METHOD", "METHODS", "FORMAT", "ExpressionMapper", "FacePair", "LinearFaceModel",
           "face_model_from_arrays", "face_model_from_body_model", "facial_actions_model", "pair_models",
           "LinearMapper", "ProjectionMapper", "fit_linear", "fit_projection", "LearnedMapper", "TrainConfig",
           "train_learned", "ARKIT_NAMES", "arkit_curves", "smplx_to_arkit_pair", "build_flame_like_source",
           "face_model_from_flame_arrays", "make_pair", "sample_frames", "fit_mapper", "mapper_from_arrays",
           "arkit_mapper"]


def fit_mapper(pair: FacePair, method: str = DEFAULT_METHOD,
               validation: Optional[tuple[np.ndarray, np.ndarray]] = None,
               config: Optional[TrainConfig] = None) -> ExpressionMapper:
    """Fit one of :data:`METHODS` on ``pair`` (Ms corresponding vertices; Ks source, Kt target coefficients).

    ``validation`` (expression (T, Ks), jaw (T, 3)) chooses the Tikhonov weight of the linear methods (else 0);
    ``config`` is the learned methods' :class:`TrainConfig` (needs torch).
    """
    if method in LINEAR_METHODS:
        return fit_linear(pair, "auto" if validation is not None else 0.0, bounded=method == "linear_bounded",
                          validation=validation)
    if method == "projection":
        return fit_projection(pair)
    if method in LEARNED_METHODS:
        return train_learned(pair, config, residual=method == "learned_residual")
    raise ValueError(f"unknown expression mapper method {method!r} (expected one of {', '.join(METHODS)})")


def mapper_from_arrays(header: dict, arrays: dict[str, np.ndarray]) -> ExpressionMapper:
    """The mapper described by ``header`` (:meth:`ExpressionMapper.header`) and ``arrays``
    (:meth:`ExpressionMapper.arrays`); numpy only (a learned mapper needs no torch to run).

    Raises ``ValueError`` for an unknown format or method, ``KeyError`` (the missing name) for a missing array or
    header entry.
    """
    if header.get("format") != FORMAT:
        raise ValueError(f"unknown mapper format {header.get('format')!r} (expected {FORMAT})")
    method = header["method"]
    if method in LEARNED_METHODS:
        return LearnedMapper.from_arrays(header, arrays)
    if method == "projection":
        return ProjectionMapper.from_arrays(header, arrays)
    if method in LINEAR_METHODS:
        return LinearMapper.from_arrays(header, arrays)
    raise ValueError(f"unknown mapper method {method!r} (expected one of {', '.join(METHODS)})")


def arkit_mapper(model, method: str = DEFAULT_METHOD,
                 units: Optional[dict[str, np.ndarray]] = None) -> ExpressionMapper:
    """The mapper from a model's expression (and jaw) to the 52 ARKit shapes (numpy; no training for the default
    method, the per-frame bounded projection). ``units``: the model's own face units (name -> (V, 3)), as in
    :func:`~core.fusion.expression.arkit.smplx_to_arkit_pair`."""
    return fit_mapper(smplx_to_arkit_pair(model, units), method)
