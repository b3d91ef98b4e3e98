"""GVHMR ``hmr4d_results.pt`` -> :class:`BodyEstimate` in the camera frame, with the camera's world pose per frame.

What GVHMR writes (confirmed in zju3dv/GVHMR):
- ``tools/demo/demo.py``: ``pred = model.predict(data, static_cam=...)``, ``torch.save(pred, paths.hmr4d_results)``;
  ``hmr4d/model/gvhmr/gvhmr_pl_demo.py`` ``DemoPL.predict`` returns ``smpl_params_global`` and
  ``smpl_params_incam`` (each ``body_pose`` (L, 63), ``betas`` (L, 10), ``global_orient`` (L, 3), ``transl``
  (L, 3), axis-angle), ``K_fullimg`` (L, 3, 3) and ``net_outputs`` (intermediate tensors, not read). One row per
  video frame, from frame 0.
- The body model is SMPL-X with 10 betas (``hmr4d/utils/smplx_utils.py`` ``make_smplx("supermotion")``:
  ``flat_hand_mean=False``, ``num_pca_comps=12``); no hand, jaw or expression parameter is predicted or saved, so
  the layer's zeros are the **mean** hand: the reader gives zero mean-relative hands and marks them not predicted
  (a hand expert replaces them where it sees them).
- The global frame ("ay", ``hmr4d/utils/geo/hmr_global.py`` ``get_tgtcoord_rootparam(tsf="any->ay")`` after
  ``get_smpl_params_w_Rt_v2`` in ``hmr4d/model/gvhmr/pipeline/gvhmr_pipeline.py``) has **y up** (against gravity);
  its x and z follow the first camera's heading.
- No extrinsics are saved. The camera per frame follows from the two root poses of the same body
  (``hmr_global.py`` ``get_T_w2c_from_wcparams``: R_w2c = R_c R_w^T, t_w2c = t_c + J0 - R_w2c (t_w + J0), with
  ``offset`` = the pelvis J0(betas)); the reader writes its inverse, ``world_from_camera``
  (:func:`core.io.world.camera_trajectory.camera_from_root_poses`), with J0 from the model it is given.

The body handed to fusion is ``smpl_params_incam`` with ``K_fullimg``: the camera frame stays the fusion frame.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

import numpy as np

from ...body.model import BodyModel
from ...contracts.estimates import BodyEstimate
from ...rotations import axis_angle_to_matrix
from ..array_checks import as_float_array, key_list, per_frame, require
from ..input_errors import EstimatorInputError
from .assemble import Y_UP, camera_fields, world_body_from_rows
from .camera_trajectory import camera_from_root_poses
from .pelvis import model_or_builtin, pelvis_rest
from .research_pickles import load_torch_file

__all__ = ["read_gvhmr", "is_gvhmr_mapping", "GVHMR_FILE"]

GVHMR_FILE = "hmr4d_results.pt"
_PARAMS = ("smpl_params_incam", "smpl_params_global")


def is_gvhmr_mapping(data: Mapping[str, Any]) -> bool:
    """Whether a loaded file has GVHMR's top-level keys."""
    return all(isinstance(data.get(k), Mapping) for k in _PARAMS)


def _params(data: Mapping[str, Any], key: str, path: Path, n: Optional[int]) -> dict[str, np.ndarray]:
    block = data.get(key)
    if not isinstance(block, Mapping):
        raise EstimatorInputError(f"required dict '{key}' is missing (the file holds: {key_list(data)})",
                                  path=path, field=key)
    _, orient = require(block, ("global_orient",), path)
    orient_arr = as_float_array(orient, path, f"{key}.global_orient")
    if n is None:
        if orient_arr.ndim < 1:
            raise EstimatorInputError("expected (L, 3) numbers", path=path, field=f"{key}.global_orient")
        n = int(orient_arr.shape[0]) if orient_arr.ndim >= 2 else 1
    if n < 1:
        raise EstimatorInputError("holds no frames", path=path, field=f"{key}.global_orient")
    out = {"global_orient": per_frame(orient, n, (3,), path, f"{key}.global_orient"),
           "body_pose": per_frame(require(block, ("body_pose",), path)[1], n, (21, 3), path, f"{key}.body_pose"),
           "transl": per_frame(require(block, ("transl",), path)[1], n, (3,), path, f"{key}.transl")}
    betas = np.asarray(per_frame(require(block, ("betas",), path)[1], n, (10,), path, f"{key}.betas",
                                 broadcast=True))
    out["betas"] = betas
    return out


def read_gvhmr(path: Union[str, Path], *, model: Optional[BodyModel] = None, fps: Optional[float] = None,
               nonfinite: str = "raise") -> BodyEstimate:
    """Read GVHMR's ``hmr4d_results.pt`` (or a folder holding it).

    Args:
        path: the file, or its folder.
        model: the SMPL-X model whose pelvis J0(betas) relates the two root poses (default: the built-in model).
        fps: the video's frame rate, recorded in ``source`` (the file does not say it).
        nonfinite: ``"raise"`` or ``"invalidate"`` rows holding NaN / Inf.
    Returns:
        A :class:`BodyEstimate` (camera frame; mean-relative zero hands, not predicted) with ``world_from_camera``
        (T, 4, 4) and ``world_up`` = +y.
    """
    path = Path(path)
    if path.is_dir():
        path = path / GVHMR_FILE
    data = load_torch_file(path)
    if not isinstance(data, Mapping):
        raise EstimatorInputError(f"expected a dict at the top level, found {type(data).__name__}", path=path)
    cam = _params(data, "smpl_params_incam", path, None)
    n = cam["global_orient"].shape[0]
    world = _params(data, "smpl_params_global", path, n)
    k = per_frame(require(data, ("K_fullimg",), path)[1], n, (3, 3), path, "K_fullimg", broadcast=True)
    body_model, pelvis_note = model_or_builtin(model)
    finite = np.isfinite(np.concatenate([v.reshape(n, -1) for v in (*cam.values(), *world.values())], axis=1)).all(1)
    j0 = pelvis_rest(body_model, np.where(finite[:, None], cam["betas"], 0.0))
    safe = {name: {k2: np.where(finite.reshape((n,) + (1,) * (v.ndim - 1)), v, 0.0) for k2, v in block.items()}
            for name, block in (("cam", cam), ("world", world))}
    world_from_camera = camera_from_root_poses(
        axis_angle_to_matrix(safe["world"]["global_orient"]), safe["world"]["transl"],
        axis_angle_to_matrix(safe["cam"]["global_orient"]), safe["cam"]["transl"], j0)
    world_from_camera[~finite] = np.nan
    source = {
        "format": "gvhmr", "path": str(path), "fps": fps,
        "conventions": {
            "body": "smpl_params_incam (camera frame, OpenCV) with K_fullimg; SMPL-X 21 body joints, 10 betas",
            "hands": "not predicted: zeros of GVHMR's flat_hand_mean=False layer = the mean hand (replaced by a "
                     "hand expert where it sees them)",
            "world": "smpl_params_global: y up (gravity), x/z following the first camera (GVHMR 'ay')",
            "camera": "world_from_camera per frame from the two root poses: R = R_w R_c^T, p = J0 + t_w - "
                      "R (J0 + t_c) (inverse of GVHMR's get_T_w2c_from_wcparams)",
            "pelvis": pelvis_note,
        },
        "warnings": [],
    }
    fields = camera_fields(cam["global_orient"], cam["body_pose"], cam["transl"], cam["betas"], k)
    frames = np.arange(n, dtype=np.int64)
    names = {"global_orient": "smpl_params_incam.global_orient", "body_pose": "smpl_params_incam.body_pose",
             "transl": "smpl_params_incam.transl", "betas": "smpl_params_incam.betas", "camera_K": "K_fullimg"}
    return world_body_from_rows(fields, frames, world_from_camera, where=path,
                                world_field="smpl_params_global / smpl_params_incam", hand_pose_relative_to="mean",
                                hands_predicted=False, model_variant="smplx-v1.1", source=source, world_up=Y_UP,
                                nonfinite=nonfinite, names=names)
