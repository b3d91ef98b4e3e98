"""FLAME model files and the SMPL-X <-> FLAME vertex correspondence: files in, checked arrays out.

* **FLAME model** (``generic_model.pkl`` / ``flame2023.pkl``, or the same keys saved as ``.npz``): ``v_template``
  (N, 3) with N = 5023, ``shapedirs`` (N, 3, 300 shape + >= 50 expression columns), ``posedirs`` (N, 3, 36) or
  smplx's reshaped (36, 3N), ``weights`` (N, 5) over FLAME's joints (global, neck, jaw, left eye, right eye),
  ``J_regressor`` (5, N), dense or ``scipy.sparse``. ``.pkl`` goes through the restricted unpickler
  (:mod:`core.fileio.safe_pickle`): numpy arrays, scipy sparse matrices and plain containers only. Files still holding
  chumpy objects (the original release) are refused with a hint on how to clean them.
* **Vertex ids** (``SMPL-X__FLAME_vertex_ids.npy``, from the SMPL-X download): (N,) integers, the SMPL-X mesh
  vertex of each FLAME vertex.

Every problem is a :class:`core.errors.ModelFileError` naming the file and the key. The arrays become a face model
in ``core.fusion.expression.source.face_model_from_flame_arrays``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

import numpy as np

from ..errors import ModelFileError
from ..fileio.safe_pickle import load_npy_file, load_npz, load_pickle, short_reason

FLAME_NUM_JOINTS = 5
#: FLAME's 300 shape columns come first in ``shapedirs``; the expression columns follow.
FLAME_NUM_SHAPE = 300
FLAME_MIN_EXPRESSION = 50
FLAME_NUM_POSE_FEATURES = (FLAME_NUM_JOINTS - 1) * 9
FLAME_KEYS = ("v_template", "shapedirs", "posedirs", "weights", "J_regressor")


def _mapping(path: Path) -> Mapping[str, Any]:
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return load_npz(path, error=ModelFileError, allow_objects=False)
    if suffix == ".pkl":
        if not path.is_file():
            raise ModelFileError("FLAME model file not found", path=path)
        data = load_pickle(path)
        if not isinstance(data, dict):
            raise ModelFileError(f"expected a dict of arrays, found {type(data).__name__}", path=path)
        return data
    raise ModelFileError("unsupported FLAME model file type (expected .npz or .pkl)", path=path)


def _real_array(data: Mapping[str, Any], key: str, path: Path, shape: tuple,
                sparse_shape: Optional[tuple[int, int]] = None) -> np.ndarray:
    """``data[key]`` as a finite float64 array of ``shape`` (None: any length)."""
    if key not in data:
        raise ModelFileError("missing key (is this a FLAME model?)", path=path, field=key)
    value = data[key]
    if hasattr(value, "toarray") and hasattr(value, "shape"):
        if sparse_shape is None or tuple(value.shape) != sparse_shape:
            raise ModelFileError(f"unexpected scipy sparse matrix of shape {tuple(value.shape)}", path=path,
                                 field=key)
        value = value.toarray()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # a ragged nested list in a pickle
        raise ModelFileError(f"cannot be read as an array ({short_reason(exc)})", path=path, field=key) from None
    if arr.dtype.kind not in "iuf":
        raise ModelFileError(f"expected a real-valued numeric array, found dtype {arr.dtype}", path=path, field=key)
    if arr.ndim != len(shape) or any(s is not None and a != s for a, s in zip(arr.shape, shape)):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ModelFileError(f"expected shape {want}, found {tuple(arr.shape)}", path=path, field=key)
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ModelFileError("contains NaN or Inf values", path=path, field=key)
    return arr


def read_flame_model(path: Union[str, Path]) -> dict[str, np.ndarray]:
    """The arrays of a FLAME model file, checked: ``v_template`` (N, 3), ``shapedirs`` (N, 3, >= 350),
    ``posedirs`` (N, 3, 36), ``weights`` (N, 5), ``J_regressor`` (5, N) dense; all float64 and finite."""
    path = Path(path)
    data = _mapping(path)
    template = _real_array(data, "v_template", path, (None, 3))
    n = template.shape[0]
    shapedirs = _real_array(data, "shapedirs", path, (n, 3, None))
    if shapedirs.shape[2] < FLAME_NUM_SHAPE + FLAME_MIN_EXPRESSION:
        raise ModelFileError(f"expected >= {FLAME_NUM_SHAPE + FLAME_MIN_EXPRESSION} columns ({FLAME_NUM_SHAPE} "
                             f"shape + {FLAME_MIN_EXPRESSION} expression), found {shapedirs.shape[2]}", path=path,
                             field="shapedirs")
    raw_pose = data.get("posedirs")
    if raw_pose is not None and np.ndim(raw_pose) == 2:  # smplx's reshaped (P, 3N) layout
        posedirs = _real_array(data, "posedirs", path, (FLAME_NUM_POSE_FEATURES, 3 * n)).T.reshape(n, 3, -1)
    else:
        posedirs = _real_array(data, "posedirs", path, (n, 3, FLAME_NUM_POSE_FEATURES))
    weights = _real_array(data, "weights", path, (n, FLAME_NUM_JOINTS))
    regressor = _real_array(data, "J_regressor", path, (FLAME_NUM_JOINTS, n), sparse_shape=(FLAME_NUM_JOINTS, n))
    return {"v_template": template, "shapedirs": shapedirs, "posedirs": posedirs, "weights": weights,
            "J_regressor": regressor}


def read_flame_vertex_ids(path: Union[str, Path], num_flame_vertices: Optional[int] = None,
                          num_smplx_vertices: Optional[int] = None) -> np.ndarray:
    """``SMPL-X__FLAME_vertex_ids.npy`` -> (N,) int64, checked against the FLAME (N) and SMPL-X vertex counts."""
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise ModelFileError("expected the .npy file SMPL-X__FLAME_vertex_ids.npy", path=path)
    raw = np.asarray(load_npy_file(path, error=ModelFileError, allow_objects=False))
    if raw.ndim != 1 or raw.dtype.kind not in "iuf":
        raise ModelFileError(f"expected a 1-D array of vertex indices, found {raw.dtype} {raw.shape}", path=path,
                             field="vertex_ids")
    if raw.dtype.kind == "f" and (not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw))):
        raise ModelFileError("vertex indices must be integers", path=path, field="vertex_ids")
    ids = raw.astype(np.int64)
    if num_flame_vertices is not None and ids.shape[0] != num_flame_vertices:
        raise ModelFileError(f"expected {num_flame_vertices} ids (one per FLAME vertex), found {ids.shape[0]}",
                             path=path, field="vertex_ids")
    if ids.size and ids.min() < 0:
        raise ModelFileError("negative vertex index", path=path, field="vertex_ids")
    if num_smplx_vertices is not None and ids.size and ids.max() >= num_smplx_vertices:
        raise ModelFileError(f"index {int(ids.max())} is past the SMPL-X mesh's {num_smplx_vertices} vertices "
                             f"(ids for another model?)", path=path, field="vertex_ids")
    return ids


def read_flame(model_path: Union[str, Path], ids_path: Union[str, Path],
               num_smplx_vertices: Optional[int] = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``(arrays, vertex_ids)``: :func:`read_flame_model` and :func:`read_flame_vertex_ids`, checked together."""
    arrays = read_flame_model(model_path)
    ids = read_flame_vertex_ids(ids_path, arrays["v_template"].shape[0], num_smplx_vertices)
    return arrays, ids


__all__ = ["FLAME_KEYS", "FLAME_NUM_SHAPE", "read_flame_model", "read_flame_vertex_ids", "read_flame"]
