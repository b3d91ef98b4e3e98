"""The smplx package's SMPL-X forward pass on a whole take at once: the independent reference that the demo
ground truth, the benchmarks and the tests measure against.

torch and smplx are imported when it is called, never when this module is imported.
"""
from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..contracts.fused_file import FusedSequence


@functools.lru_cache(maxsize=4)
def smplx_layer(model_file: str, batch_size: int, num_betas: int, num_expression: int) -> Any:
    """``smplx.SMPLX(use_pca=False, flat_hand_mean=True)`` in float64 for ``model_file`` (built once per shape;
    smplx's notes about the number of components are kept off stdout)."""
    import smplx

    with contextlib.redirect_stdout(io.StringIO()):
        return smplx.SMPLX(model_path=model_file, ext=Path(model_file).suffix.lstrip(".") or "npz", use_pca=False,
                           flat_hand_mean=True, num_betas=num_betas, num_expression_coeffs=num_expression,
                           batch_size=batch_size).double()


def smplx_forward(model_file: Union[str, Path], seq: FusedSequence, frames: Optional[np.ndarray] = None,
                  num_betas: Optional[int] = None,
                  num_expression: Optional[int] = None) -> tuple[np.ndarray, np.ndarray]:
    """smplx's joints and vertices of ``seq`` (camera frame, flat-relative hands), float64.

    Args:
        model_file: an SMPL-X-layout model file.
        seq: the take.
        frames: (T',) rows to evaluate; None for all T.
        num_betas, num_expression: coefficients used (the first ones); None for all of the take's.
    Returns:
        (T', J, 3) joints (smplx's 127 with the landmarks' extra joints) and (T', V, 3) vertices, metres.
    """
    import torch

    idx = np.arange(seq.num_frames) if frames is None else np.asarray(frames)
    n = len(idx)
    nb = seq.betas.shape[0] if num_betas is None else int(num_betas)
    ne = seq.expression.shape[1] if num_expression is None else int(num_expression)
    layer = smplx_layer(str(model_file), n, nb, ne)

    def tensor(a: np.ndarray) -> "torch.Tensor":
        return torch.from_numpy(np.ascontiguousarray(np.asarray(a, dtype=np.float64)[idx]).reshape(n, -1))

    with torch.no_grad():
        out = layer(betas=torch.from_numpy(np.tile(np.asarray(seq.betas, dtype=np.float64)[:nb], (n, 1))),
                    global_orient=tensor(seq.global_orient), body_pose=tensor(seq.body_pose),
                    left_hand_pose=tensor(seq.left_hand_pose), right_hand_pose=tensor(seq.right_hand_pose),
                    jaw_pose=tensor(seq.jaw_pose), leye_pose=tensor(seq.leye_pose), reye_pose=tensor(seq.reye_pose),
                    expression=tensor(np.asarray(seq.expression)[:, :ne]), transl=tensor(seq.transl))
    return out.joints.numpy(), out.vertices.numpy()


__all__ = ["smplx_layer", "smplx_forward"]
