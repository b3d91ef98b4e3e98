"""The body model's UV layout (``vt`` / ``ft`` of the SMPL-X file) as a UV map on the avatar's mesh.

The official SMPL-X files and the project's own models carry ``vt`` (T, 2) UV coordinates in [0, 1] and ``ft``
(F, 3) indices into ``vt`` per triangle corner, faces in the order of ``f``; the official SMPL-X UV textures are
painted on that layout. The mesh builder makes corners in face order (loop ``3 f + k`` is corner ``k`` of face
``f``), so the UV of loop ``3 f + k`` is ``vt[ft[f, k]]``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import bpy
import numpy as np

from ..core.errors import ModelFileError
from ..core.fileio.safe_pickle import load_npz, load_pickle

__all__ = ["UV_MAP_NAME", "read_model_uvs", "add_model_uv_map"]

UV_MAP_NAME = "SMPL-X UV"


def read_model_uvs(path: Union[str, Path]) -> tuple[np.ndarray, np.ndarray]:
    """``vt`` (T, 2) float32 and ``ft`` (F, 3) int64 of a model file (.npz or .pkl, read safely).

    Raises ModelFileError naming the file and the key when they are missing or malformed.
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        data = load_npz(path, error=ModelFileError, allow_objects=False)
    elif path.suffix.lower() == ".pkl":
        data = load_pickle(path)
        if not isinstance(data, dict):
            raise ModelFileError(f"expected a dict of arrays, found {type(data).__name__}", path=path)
    else:
        raise ModelFileError("unsupported model file type (expected .npz or .pkl)", path=path)
    for key in ("vt", "ft"):
        if key not in data:
            raise ModelFileError("missing key: the model file has no UV layout for a texture", path=path, field=key)
    vt, ft = np.asarray(data["vt"]), np.asarray(data["ft"])
    if vt.ndim != 2 or vt.shape[1] != 2 or vt.dtype.kind not in "iuf" or not np.all(np.isfinite(vt)):
        raise ModelFileError(f"expected finite (T, 2) UV coordinates, found {vt.shape} {vt.dtype}", path=path,
                             field="vt")
    if ft.ndim != 2 or ft.shape[1] != 3 or ft.dtype.kind not in "iu" or \
            (ft.size and (ft.min() < 0 or ft.max() >= vt.shape[0])):
        raise ModelFileError(f"expected (F, 3) indices into vt's {vt.shape[0]} rows", path=path, field="ft")
    return vt.astype(np.float32), ft.astype(np.int64)


def add_model_uv_map(mesh_obj: bpy.types.Object, model_path: Union[str, Path]) -> bpy.types.MeshUVLoopLayer:
    """The model's UV layout as the mesh's UV map ``SMPL-X UV`` (replaced if present); returns the layer.

    Raises ModelFileError when the file's ``ft`` does not have one row per mesh face.
    """
    vt, ft = read_model_uvs(model_path)
    me = mesh_obj.data
    if ft.shape[0] != len(me.polygons) or len(me.loops) != 3 * len(me.polygons):
        raise ModelFileError(f"has {ft.shape[0]} UV faces, the mesh '{mesh_obj.name}' {len(me.polygons)} "
                             f"triangles", path=model_path, field="ft")
    layer = me.uv_layers.get(UV_MAP_NAME) or me.uv_layers.new(name=UV_MAP_NAME)
    starts = np.empty(len(me.polygons), dtype=np.int32)
    me.polygons.foreach_get("loop_start", starts)
    uv = np.empty((len(me.loops), 2), dtype=np.float32)
    uv[(starts[:, None] + np.arange(3)).ravel()] = vt[ft.ravel()]
    layer.uv.foreach_set("vector", uv.ravel())
    me.uv_layers.active = layer
    return layer
