"""AMASS-style npz from the scene's current (possibly edited) animation, so edits made in Blender go back to the
core: ``poses`` (T, 165), ``trans``, ``betas``, ``expression``, ``gender``, ``mocap_frame_rate`` and the split keys,
written by :func:`core.export.amass.write_amass` (atomic) and read back by ``core.io.read_amass``.

The rig is read back by :func:`..common.readback.read_take`, the exact inverse of the import
(``common/pose_channels.py``):

* bone rotations from the pose bones' ``rotation_quaternion`` F-curves (the action's channelbag; keys read in bulk
  with ``keyframe_points.foreach_get("co")`` where they sit on the take's frames, ``FCurve.evaluate`` per frame
  only for curves whose keys were moved, added or removed), normalised as Blender does, then
  ``R_j = A^T B_j Q_j B_j^T A`` and for the root ``R_0 = C^T B_0 Q_0 B_0^T A`` (A = Rx(+90 deg) model to Blender,
  C = Rx(-90 deg) camera to Blender, B_j the bone's rest rotation), as axis-angle in the model frame;
* ``trans`` (camera frame) from the root bone's location, minus the rest joint and the expression's root shift
  ``(I - R_0) Delta_0``; a moved armature object is folded in;
* betas from the ``Shape###`` sliders, expression from the ``Exp###`` F-curves (at the Face panel's intensity);
* the other bones' locations are only the per-frame expression joint-shift compensation
  ``B_j^T A (I - R_j) Delta_j``, not motion: they are not read as edits. SMPL-X joints only rotate, so a
  translation beyond that compensation (a user moved a bone) cannot be represented; it is reported in the
  result's ``warnings`` and left out.

Frames are the take's (Blender frames ``FIRST_FRAME`` to ``FIRST_FRAME + T - 1``); camera, fps, gender and
coefficients the rig does not hold (e.g. betas beyond the model's) come from the take's source fused file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from ..common.axes import MODEL_TO_BLENDER
from ..common.progress import Progress, no_progress
from ..common.readback import read_take
from ..core.body.skeleton import JOINT_NAMES
from ..core.contracts.fused_file import FusedSequence
from ..core.errors import FusionError
from ..core.export.amass import write_amass
from ..core.rotations import axis_angle_to_matrix
from . import files as export_files

__all__ = ["BONE_TRANSLATION_TOLERANCE_M", "SceneTake", "read_scene_take", "export_amass"]

#: A non-root bone translation further than this (metres) from the expression compensation is reported.
BONE_TRANSLATION_TOLERANCE_M = 1e-3


@dataclass
class SceneTake:
    """The take as the scene holds it.

    Attributes:
        seq: schema-v1 sequence with the rig's pose, ``transl``, betas and expression (T frames).
        warnings: what could not be carried over (e.g. bone translations), one line each.
    """

    seq: FusedSequence
    warnings: list[str] = field(default_factory=list)


def _check_rotation_modes(arm: bpy.types.Object) -> None:
    for name in JOINT_NAMES:
        pb = arm.pose.bones.get(name)
        if pb is None:
            raise FusionError(f"the armature has no bone '{name}'", path=arm.name, field="bones")
        if pb.rotation_mode != "QUATERNION":
            raise FusionError(f"bone '{name}' uses {pb.rotation_mode} rotation; the export reads quaternion "
                              "channels (set its rotation mode back to Quaternion)", path=arm.name,
                              field=f'pose.bones["{name}"].rotation_mode')


def read_scene_take(arm: bpy.types.Object, mesh: bpy.types.Object) -> SceneTake:
    """Read the avatar's current animation back as a fused sequence (see the module docstring)."""
    _check_rotation_modes(arm)
    rb = read_take(arm, mesh)
    seq = rb.seq
    local = axis_angle_to_matrix(seq.full_pose())  # (T, 55, 3, 3) model-frame local rotations
    n_e = min(seq.expression.shape[1], rb.model.num_expression)
    delta = rb.model.expression_joint_offsets(seq.expression[:, :n_e]) if n_e else np.zeros(local.shape[:3])
    b = rb.bone_rest[:, :3, :3]
    u, _, vt = np.linalg.svd(b)
    b = u @ vt
    moved = delta - np.einsum("tjab,tjb->tja", local, delta)  # (I - R_j) Delta_j
    expected = np.einsum("jab,tjb->tja", np.swapaxes(b, -1, -2) @ MODEL_TO_BLENDER, moved)  # B_j^T A (...)
    off = np.linalg.norm(rb.locations[:, 1:] - expected[:, 1:], axis=-1)  # (T, 54); the root is read as trans
    warnings = []
    for j in np.flatnonzero(off.max(axis=0) > BONE_TRANSLATION_TOLERANCE_M):
        frames = np.flatnonzero(off[:, j] > BONE_TRANSLATION_TOLERANCE_M)
        warnings.append(f"bone '{JOINT_NAMES[j + 1]}' is translated on {frames.size} frame(s) (up to "
                        f"{off[:, j].max() * 1000:.1f} mm): SMPL-X joints only rotate, so this was left out")
    return SceneTake(seq=seq, warnings=warnings)


def export_amass(arm: bpy.types.Object, mesh: bpy.types.Object, filepath: str, overwrite: bool = False,
                 progress: Progress = no_progress) -> tuple[Path, list[str]]:
    """Write the avatar's current take as an AMASS-style npz. Returns (path, warnings).

    Raises ``FusionError`` when the file exists and ``overwrite`` is off, or when the rig cannot be read back.
    The scene is not changed (nothing is selected or evaluated: the channels are read from the F-curves).
    """
    path = Path(filepath)
    if path.suffix.lower() != ".npz":
        path = path.with_name(path.name + ".npz")
    export_files.check_outputs([path], overwrite)
    progress(0, 2, "reading the take from the rig")
    take = read_scene_take(arm, mesh)
    progress(1, 2, f"writing {take.seq.num_frames} frames")
    write_amass(path, take.seq)
    progress(2, 2, f"wrote {path}")
    return path, take.warnings
