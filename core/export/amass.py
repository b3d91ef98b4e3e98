"""AMASS-style export of a fused sequence (``poses`` (T, 165), ``trans``, ``betas``, ``gender``, ``mocap_frame_rate``).

Hand poses are written flat-relative, as in the fused file; AMASS loaders (e.g. human_body_prior) add no hand
mean. ``trans`` is the fused file's camera-frame translation: AMASS files have no camera, so the world frame of
the export is the camera frame (OpenCV, y down). The split keys used by some tools are written as well.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np

from ..contracts.fused_file import FusedSequence, validate
from ..fileio.atomic_write import save_npz_atomic


def fused_to_amass(seq: FusedSequence) -> dict[str, np.ndarray]:
    """Fused sequence -> AMASS SMPL-X arrays. ``poses`` is (T, 165): root 3, body 63, jaw 3, eyes 6, hands 90."""
    validate(seq)
    t = seq.num_frames
    poses = seq.full_pose().reshape(t, 165)
    return {
        "poses": poses,
        "trans": seq.transl.copy(),
        "betas": seq.betas.copy(),
        "expression": seq.expression.copy(),
        "gender": np.array(seq.gender),
        "mocap_frame_rate": np.array(float(seq.fps)),
        "surface_model_type": np.array("smplx"),
        "num_betas": np.array(seq.betas.shape[0]),
        "root_orient": poses[:, 0:3],
        "pose_body": poses[:, 3:66],
        "pose_jaw": poses[:, 66:69],
        "pose_eye": poses[:, 69:75],
        "pose_hand": poses[:, 75:165],
    }


def write_amass(path: Union[str, Path], seq: FusedSequence) -> Path:
    """Write the AMASS-style npz (no pickled objects) atomically: a failed run leaves no half-written file and
    an existing ``path`` untouched (:func:`core.fileio.atomic_write.save_npz_atomic`)."""
    return save_npz_atomic(path, fused_to_amass(seq))
