"""Synthetic EMOCA output, written exactly as EMOCA's ``save_codes`` writes it (``gdl_apps/EMOCA/utils/io.py``).

Layout: one folder per detected face, named as EMOCA's video pipeline names them: the frame image stem
(``%06d``, from ``FaceVideoDataModule.get_frame_number_format``) plus ``_%03d`` for the detection
(``FaceDataModuleBase``), e.g. ``000001_000``. Each holds ``save_codes(..., i=j)`` output, one sample per file,
float32: ``shape.npy`` (100,), ``exp.npy`` (50,), ``tex.npy`` (50,), ``pose.npy`` (6,), ``detail.npy`` (128,).
EMOCA writes neither the camera nor the crop, so a side file gives the face detector's boxes:
``face_bboxes.json`` = ``{"000001": [x0, y0, x1, y1], ...}`` (image stem -> pixels; frames without a face have
no entry).

Conventions in what is written:
- ``pose[0:3]``: FLAME global rotation in DECA/EMOCA's camera, which is y-up and z towards the viewer (DECA's
  ``decode`` negates y and z of the orthographic projection, ``gdl/models/DECA.py``). In OpenCV camera terms:
  ``R_head_opencv = diag(1, -1, -1) @ R(pose[0:3])``, R_head being the SMPL-X head joint's global rotation
  (chain 0, 3, 6, 9, 12, 15). A frontal upright face has pose[0:3] near zero.
- ``pose[3:6]``: the jaw, axis-angle, which transfers to SMPL-X's ``jaw_pose`` directly.
- ``exp``: FLAME expression. The ground truth drives a v1.1-layout SMPL-X (10 expression components); the route
  documented for that layout is a truncation, so FLAME's first 10 coefficients carry the SMPL-X expression and
  coefficients 10-49 are small noise. (For a 2020-layout model, the first 50 of SMPL-X's 100 components.)
- ``shape``, ``tex``, ``detail``: a fixed seeded FLAME identity, texture and detail code plus small noise; FLAME
  shape does not transfer to SMPL-X betas.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..contracts.fused_file import FusedSequence
from ..rotations import matrix_to_axis_angle
from .ground_truth import GroundTruthGeometry
from .noise import NoiseLevels, gaussian, perturb_axis_angle, perturb_matrix

#: OpenCV camera axes (x right, y down, z forward) -> DECA/EMOCA's (x right, y up, z towards the viewer).
FLAME_FROM_OPENCV = np.diag([1.0, -1.0, -1.0])
NUM_SHAPE, NUM_EXP, NUM_TEX, NUM_DETAIL = 100, 50, 50, 128


@dataclass
class EmocaOutput:
    """(T, ...) codes for every row (rows without a face are simply not written).

    Attributes:
        shape: (T, 100); exp: (T, 50); pose: (T, 6) [global 3 | jaw 3]; tex: (T, 50); detail: (T, 128);
        face_box: (T, 4) x0, y0, x1, y1 pixels.
    """

    shape: np.ndarray
    exp: np.ndarray
    pose: np.ndarray
    tex: np.ndarray
    detail: np.ndarray
    face_box: np.ndarray


def flame_expression_from_smplx(expression: np.ndarray) -> np.ndarray:
    """(T, E) SMPL-X expression -> (T, 50) FLAME expression by truncation / zero padding (see module notes)."""
    t, e = expression.shape
    out = np.zeros((t, NUM_EXP))
    n = min(e, NUM_EXP)
    out[:, :n] = expression[:, :n]
    return out


def make_emoca_output(gt: FusedSequence, geom: GroundTruthGeometry, noise: NoiseLevels,
                      rng: np.random.Generator) -> EmocaOutput:
    """The synthetic face expert's codes for every row (see the module notes for the conventions)."""
    t = gt.num_frames
    identity = rng.normal(0.0, 0.6, NUM_SHAPE)
    texture = rng.normal(0.0, 0.5, NUM_TEX)
    shape = identity + gaussian(rng, (t, NUM_SHAPE), noise.face_shape)
    exp = flame_expression_from_smplx(gt.expression) + gaussian(rng, (t, NUM_EXP), noise.face_expression)
    head = perturb_matrix(rng, geom.head_rotation(), noise.face_global)
    global_pose = matrix_to_axis_angle(FLAME_FROM_OPENCV @ head)
    jaw = perturb_axis_angle(rng, gt.jaw_pose, noise.face_jaw)
    tex = texture + gaussian(rng, (t, NUM_TEX), 0.05)
    detail = rng.normal(0.0, 0.5, (t, NUM_DETAIL))
    size = geom.head_box[:, 2:] - geom.head_box[:, :2]
    face_box = geom.head_box + gaussian(rng, (t, 4), 0.02) * np.concatenate([size, size], axis=1)
    return EmocaOutput(shape=shape, exp=exp, pose=np.concatenate([global_pose, jaw], axis=1), tex=tex,
                       detail=detail, face_box=face_box)


def write_emoca(folder: Path, bbox_file: Path, out: EmocaOutput, frames: np.ndarray,
                present: np.ndarray) -> tuple[Path, Path]:
    """Write one ``{frame:06d}_000/`` folder per present row, and the face-box JSON.

    Args:
        folder: EMOCA's output folder; bbox_file: where the face boxes go.
        out: the codes; frames: (T,) image numbers; present: (T,) bool rows with a detected face.
    Returns:
        (folder, bbox_file).
    """
    folder.mkdir(parents=True, exist_ok=True)
    f32 = np.float32
    boxes: dict[str, list[float]] = {}
    for i in np.flatnonzero(present).tolist():  # one folder per frame: the loop only writes
        stem = f"{int(frames[i]):06d}"
        sample = folder / f"{stem}_000"
        sample.mkdir(exist_ok=True)
        np.save(sample / "shape.npy", out.shape[i].astype(f32))
        np.save(sample / "exp.npy", out.exp[i].astype(f32))
        np.save(sample / "tex.npy", out.tex[i].astype(f32))
        np.save(sample / "pose.npy", out.pose[i].astype(f32))
        np.save(sample / "detail.npy", out.detail[i].astype(f32))
        boxes[stem] = [round(float(v), 2) for v in out.face_box[i]]
    bbox_file.parent.mkdir(parents=True, exist_ok=True)
    bbox_file.write_text(json.dumps(boxes, indent=1))
    return folder, bbox_file
