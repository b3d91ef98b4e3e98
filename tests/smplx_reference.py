"""The independent implementation the rig is checked against: the smplx package's forward pass."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.fused_file import FusedSequence


def smplx_vertices(model_file: Path, seq: FusedSequence, frames: np.ndarray | None = None) -> np.ndarray:
    """(T', V, 3) float64 vertices from ``smplx.SMPLX`` (flat hands, no PCA) for ``seq`` (camera frame)."""
    import smplx
    import torch

    idx = np.arange(seq.num_frames) if frames is None else np.asarray(frames)
    n_betas, n_expr = seq.betas.shape[0], seq.expression.shape[1]
    layer = smplx.SMPLX(model_path=str(model_file), use_pca=False, flat_hand_mean=True,
                        num_betas=n_betas, num_expression_coeffs=n_expr, batch_size=len(idx))

    def tensor(a: np.ndarray) -> "torch.Tensor":
        a = np.asarray(a)[idx]
        return torch.tensor(a.reshape(len(idx), -1), dtype=torch.float64)

    layer = layer.double()
    with torch.no_grad():
        out = layer(betas=torch.tensor(np.tile(seq.betas, (len(idx), 1)), dtype=torch.float64),
                    global_orient=tensor(seq.global_orient), body_pose=tensor(seq.body_pose),
                    left_hand_pose=tensor(seq.left_hand_pose), right_hand_pose=tensor(seq.right_hand_pose),
                    jaw_pose=tensor(seq.jaw_pose), leye_pose=tensor(seq.leye_pose),
                    reye_pose=tensor(seq.reye_pose), expression=tensor(seq.expression),
                    transl=tensor(seq.transl))
    return out.vertices.numpy()
