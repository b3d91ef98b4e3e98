"""A licence-free humanoid mannequin written in the exact layout of an official SMPL-X model file.

The body is made of smooth closed parts (torso, neck, a sculpted head with eyeballs and ears,
tapered limb segments with ball joints, palms with five separate digits, feet with toes) in
a T-pose, Y up, facing +Z, with its left side at +X.  Everything smplx reads is provided:
template, faces, kinematic tree, joint regressor, skinning weights, shape / expression / pose
blend shapes, hand pose space, face landmarks, and texture coordinates.  The anatomical
vertices smplx uses for its extra joints (nose, eyes, ears, fingertips, toes, heels) sit at
smplx's fixed vertex ids.

Only numpy and scipy are used, so the generator also runs inside Blender's Python.

Modules (top to bottom): :mod:`.primitives` (closed-surface primitives), :mod:`.layout` (proportions per gender,
the T-pose joints), :mod:`.surface` (part types, torso, neck), :mod:`.head` and :mod:`.limbs` (head, arms, legs),
:mod:`.body` (every part put together: :func:`~core.mannequin.body.build_body`), :mod:`.skinning`,
:mod:`.regressor`, :mod:`.blendshapes` (shape, expression, pose correctives), :mod:`.handpose`, :mod:`.landmarks`,
:mod:`.uv`, and :mod:`.assemble` (the model file's arrays). This file holds the public functions:
:func:`build_mannequin`, :func:`write_mannequin`, :func:`write_mannequin_set`.

>>> arrays = build_mannequin("v1.1", "neutral")
>>> arrays["v_template"].shape
(10475, 3)
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np

from .assemble import VARIANTS, build_arrays

__all__ = ["VARIANTS", "GENDERS", "build_mannequin", "write_mannequin", "write_mannequin_set"]

GENDERS: tuple[str, ...] = ("neutral", "male", "female")


def build_mannequin(variant: str = "v1.1", gender: str = "neutral") -> dict[str, np.ndarray]:
    """The model arrays, keyed as in an official SMPL-X ``.npz`` file.

    ``variant`` ``"v1.1"`` gives 10 shape + 10 expression components, ``"2020"`` 300 + 100;
    ``gender`` is ``"neutral"``, ``"male"`` or ``"female"``.  Deterministic: the same call returns
    bit-identical arrays.

    Keys: ``v_template`` (10475, 3) float64, ``f`` (F, 3) uint32, ``kintree_table`` (2, 55) int64,
    ``J_regressor`` (55, 10475) float64, ``weights`` (10475, 55) float64, ``shapedirs``
    (10475, 3, B + E) float64, ``posedirs`` (10475, 3, 486) float64, ``hands_componentsl`` /
    ``hands_componentsr`` (45, 45) float64, ``hands_meanl`` / ``hands_meanr`` (45,) float64,
    ``lmk_faces_idx`` (51,) int64, ``lmk_bary_coords`` (51, 3) float64, ``dynamic_lmk_faces_idx``
    (79, 17) int64, ``dynamic_lmk_bary_coords`` (79, 17, 3) float64, ``vt`` (T, 2) float64,
    ``ft`` (F, 3) uint32.
    """
    return build_arrays(variant=variant, gender=gender)


def write_mannequin(path: Union[str, Path], variant: str = "v1.1", gender: str = "neutral") -> Path:
    """Write the model to ``path`` as a plain ``.npz`` (no pickled objects); returns the path written."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = build_mannequin(variant=variant, gender=gender)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def write_mannequin_set(folder: Union[str, Path], variant: str = "v1.1") -> dict[str, Path]:
    """Write ``SMPLX_NEUTRAL.npz``, ``SMPLX_MALE.npz`` and ``SMPLX_FEMALE.npz`` into ``folder``.

    Returns the written paths by gender.
    """
    folder = Path(folder)
    return {g: write_mannequin(folder / f"SMPLX_{g.upper()}.npz", variant=variant, gender=g) for g in GENDERS}
