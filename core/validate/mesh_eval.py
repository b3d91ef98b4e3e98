"""Batched full-mesh evaluation with torch and the smplx package, on CUDA when present, on the CPU otherwise.

torch and smplx are imported when an evaluator is made, never at module import: importing the core package and
that runs inside Blender stay torch-free.

The per-frame arithmetic is smplx's LBS (``smplx/lbs.py``): ``batch_rodrigues`` for the rotations and
``batch_rigid_transform`` for the kinematic chain come from the smplx package itself; the vertex work is
reorganised for speed, which :func:`tests` check against ``smplx.SMPLX.forward``:

* the shape offsets are folded into one rest mesh per take (betas are constant), and the rest joints per frame
  are ``J(betas) + J_expr @ expression`` (smplx regresses them from the expression-shaped mesh; the regressor is
  linear, so this is exact);
* the vertices are processed in chunks of ``chunk_vertices`` so that each chunk's pose-blendshape GEMM
  ((3n, 486) @ (486, B)), skinning product ((n, 55) @ (55, 12B), the weights as a CSR matrix: a vertex has a
  few non-zero weights) and transform stay in cache on a CPU, with layouts that keep every elementwise pass
  contiguous.

FLOPs per frame (multiply-add = 2 FLOPs), :func:`lbs_flops_per_frame`: pose blendshapes ``2 * 486 * 3V``, the
expression blendshapes ``2 * E * 3V``, the skinning blend ``2 * 12 * nnz(W)`` (the weights' non-zeros; a dense
implementation spends ``2 * 12 * 55 * V``), and the transform ``2 * 12 * V``.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import numpy as np

from ..body.model import BodyModel
from ..body.posing import truncated_coefficients
from ..body.skeleton import NUM_JOINTS, PARENTS
from ..contracts.fused_file import FusedSequence


def prefer_passive_openmp() -> None:
    """Ask OpenMP threads to sleep, not spin, between parallel regions (``OMP_WAIT_POLICY=PASSIVE``), when torch
    is not loaded yet and the user has not chosen. The evaluation is a chain of medium-sized ops: on a CPU shared
    with other processes, spinning threads made it 4-5 times slower here (2 cores, 1,506 vs 350 frames/s)."""
    import os
    import sys

    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def lbs_flops_per_frame(model: BodyModel, dense_skinning: bool = False) -> dict[str, int]:
    """FLOPs of one frame of LBS with pose blendshapes (multiply-add counted as 2), by stage and in total."""
    v = model.num_vertices
    nnz = int(np.count_nonzero(model.skinning_weights))
    out = {"pose_blendshapes": 2 * 486 * 3 * v,
           "expression_blendshapes": 2 * model.num_expression * 3 * v,
           "skinning_blend": 2 * 12 * (NUM_JOINTS * v if dense_skinning else nnz),
           "transform": 2 * 12 * v}
    out["total"] = sum(out.values())
    return out


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


@dataclass
class MeshBatch:
    """One batch of evaluated frames ``[start, stop)``: torch tensors on the evaluator's device.

    Attributes:
        vertices: (B, V, 3) camera frame, metres.
        joints: (B, 55, 3) camera frame, metres.
    """

    start: int
    stop: int
    vertices: Any
    joints: Any


class MeshEvaluator:
    """Full-mesh SMPL-X evaluation of whole takes in frame batches.

    Args:
        model: the body model (its arrays are used directly, so in-memory models work too).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        dtype: ``"float32"`` (default) or ``"float64"``.
        pose_correctives: add the pose blendshapes.
        chunk_vertices: vertices per chunk on the CPU (the GPU takes the whole mesh at once).
    """

    def __init__(self, model: BodyModel, device: str = "auto", dtype: str = "float32",
                 pose_correctives: bool = True, chunk_vertices: int = 2048) -> None:
        prefer_passive_openmp()
        import torch

        with contextlib.redirect_stdout(io.StringIO()):
            from smplx import lbs as smplx_lbs
        self._torch = torch
        self._lbs = smplx_lbs
        self.model = model
        self.device = resolve_device(device)
        self.dtype = torch.float32 if dtype == "float32" else torch.float64
        self.pose_correctives = pose_correctives
        v = model.num_vertices
        chunk = v if self.device != "cpu" else max(64, int(chunk_vertices))
        self._bounds = [(s, min(v, s + chunk)) for s in range(0, v, chunk)]

        def t(a: np.ndarray) -> "torch.Tensor":
            return torch.as_tensor(np.ascontiguousarray(a), dtype=self.dtype, device=self.device)

        self._parents = torch.as_tensor(PARENTS, dtype=torch.long, device=self.device)
        self._regressor = model.joint_regressor
        self._pose_dirs = [t(model.pose_dirs[s:e].reshape(-1, 486)) for s, e in self._bounds]  # (3n, 486)
        self._expr_dirs = [t(model.expression_dirs[s:e].reshape(-1, model.num_expression))
                           for s, e in self._bounds]  # (3n, E)
        self._weights = [self._sparse(t(model.skinning_weights[s:e])) for s, e in self._bounds]  # (n, 55)
        # with weights summing to one, ``transl`` rides along in every joint's translation (no extra pass)
        self._transl_in_affine = bool(np.abs(model.skinning_weights.sum(axis=1) - 1.0).max() < 1e-6)
        # joints move with expression: J_expr (55, 3, E) as a (E, 165) matrix
        self._joint_expr = t(np.einsum("jv,vce->ejc", model.joint_regressor, model.expression_dirs)
                             .reshape(model.num_expression, -1))
        self._rest_key: Optional[bytes] = None

    def _sparse(self, dense: "Any") -> "Any":
        """The skinning weights as a CSR matrix where torch supports it (a few non-zeros per row), else dense."""
        import warnings

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch calls its CSR support "beta"
                csr = dense.to_sparse_csr()
                csr @ self._torch.zeros((dense.shape[1], 2), dtype=dense.dtype, device=dense.device)
            return csr
        except (RuntimeError, NotImplementedError):
            return dense

    def _prepare_shape(self, betas: np.ndarray) -> None:
        key = np.asarray(betas, dtype=np.float64).tobytes()
        if key == self._rest_key:
            return
        rest = self.model.shaped_vertices(betas)  # (V, 3)
        self._rest_chunks = [self._torch.as_tensor(np.ascontiguousarray(rest[s:e].reshape(-1, 1)), dtype=self.dtype,
                                                   device=self.device) for s, e in self._bounds]  # (3n, 1)
        self._rest_joints = self._torch.as_tensor(self.model.joint_regressor @ rest, dtype=self.dtype,
                                                  device=self.device)
        self._rest_key = key

    def batches(self, seq: FusedSequence, batch_frames: int = 128, frames: Optional[np.ndarray] = None
                ) -> Iterator[MeshBatch]:
        """Evaluate ``seq`` (or the rows ``frames`` of it) ``batch_frames`` frames at a time."""
        torch = self._torch
        betas, expr = truncated_coefficients(seq, self.model)
        self._prepare_shape(betas)
        pose = seq.full_pose().reshape(seq.num_frames, -1)
        transl = np.asarray(seq.transl, dtype=np.float64)
        rows = np.arange(seq.num_frames) if frames is None else np.asarray(frames, dtype=np.int64)
        with torch.no_grad():
            for start in range(0, len(rows), batch_frames):
                sel = rows[start:start + batch_frames]
                yield self._evaluate(pose[sel], expr[sel], transl[sel], start, start + len(sel))

    def _evaluate(self, pose: np.ndarray, expr: np.ndarray, transl: np.ndarray, start: int, stop: int) -> MeshBatch:
        torch = self._torch
        b = pose.shape[0]
        dev, dt = self.device, self.dtype
        pose_t = torch.as_tensor(pose, dtype=dt, device=dev)
        expr_t = torch.as_tensor(expr, dtype=dt, device=dev)
        transl_t = torch.as_tensor(transl, dtype=dt, device=dev)
        rot = self._lbs.batch_rodrigues(pose_t.reshape(-1, 3)).reshape(b, NUM_JOINTS, 3, 3)
        rest_joints = self._rest_joints.unsqueeze(0) + (expr_t @ self._joint_expr).reshape(b, NUM_JOINTS, 3)
        posed_joints, rel = self._lbs.batch_rigid_transform(rot, rest_joints, self._parents, dtype=dt)
        # per-joint affine rows laid out (joint, column c, row i, frame): the skinning product then yields, per
        # vertex, (c, i, frame) blocks, and the transform below broadcasts over i with frames innermost (contiguous,
        # vectorised, and it splits well over threads; a trailing axis of 3 did neither)
        rows = rel[:, :, :3, :]
        if self._transl_in_affine:
            rows = rows.clone()
            rows[..., 3] += transl_t[:, None]
        affine = rows.permute(1, 3, 2, 0).reshape(NUM_JOINTS, 12 * b)
        feature_t = (rot[:, 1:] - torch.eye(3, dtype=dt, device=dev)).reshape(b, -1).t().contiguous()  # (486, B)
        expr_tt = expr_t.t().contiguous()  # (E, B)
        out_vib = torch.empty((self.model.num_vertices, 3, b), dtype=dt, device=dev)
        for (s, e), rest, pdirs, edirs, w in zip(self._bounds, self._rest_chunks, self._pose_dirs, self._expr_dirs,
                                                 self._weights):
            n = e - s
            shaped = torch.addmm(rest, edirs, expr_tt) if edirs.shape[1] else rest.expand(-1, b)  # (3n, B)
            if self.pose_correctives:
                shaped = torch.addmm(shaped, pdirs, feature_t)
            vp = shaped.reshape(n, 3, b)  # (n, c, B)
            blend = (w @ affine).reshape(n, 4, 3, b)  # (n, c, i, B)
            res = out_vib[s:e]
            torch.addcmul(blend[:, 3], blend[:, 0], vp[:, 0:1], out=res)
            res.addcmul_(blend[:, 1], vp[:, 1:2]).addcmul_(blend[:, 2], vp[:, 2:3])
        out = out_vib.permute(2, 0, 1)  # (B, V, 3) view
        if not self._transl_in_affine:
            out = out + transl_t[:, None]
        return MeshBatch(start=start, stop=stop, vertices=out, joints=posed_joints + transl_t[:, None])

    def vertices(self, seq: FusedSequence, vertex_ids: Optional[np.ndarray] = None, batch_frames: int = 128
                 ) -> np.ndarray:
        """(T, N, 3) float64 numpy vertices (all, or ``vertex_ids``), camera frame."""
        t = seq.num_frames
        n = self.model.num_vertices if vertex_ids is None else len(vertex_ids)
        out = np.empty((t, n, 3))
        ids = None if vertex_ids is None else self._torch.as_tensor(np.asarray(vertex_ids), device=self.device)
        for batch in self.batches(seq, batch_frames):
            v = batch.vertices if ids is None else batch.vertices[:, ids]
            out[batch.start:batch.stop] = v.double().cpu().numpy()
        return out


def torch_available() -> bool:
    """True when torch and smplx import here (the full-mesh path can run)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("smplx") is not None


__all__ = ["MeshEvaluator", "MeshBatch", "prefer_passive_openmp", "lbs_flops_per_frame", "resolve_device",
           "torch_available"]
