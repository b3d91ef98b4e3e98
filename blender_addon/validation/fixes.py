"""Fix a frame range of the take in the scene: run a ``core.validate.fixes`` fix on the take as displayed and
write the changed frames back into the rig's F-curves (``common.readback.write_take``, in bulk); on failure every
edit is put back.

The one fix that needs scipy (re-smoothing) runs in-process when scipy is importable and otherwise through
``python -m core validate --fix smooth`` with the interpreter set in the add-on preferences (``core_subprocess``).
Clamping the shape moves the bones' rests with the betas (the tails as the import builds them, ``common.bones``).
"""
from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import bpy
import numpy as np

from ..common.axes import model_to_blender
from ..common.bones import bone_tails
from ..common.core_subprocess import core_interpreter, run_core
from ..common.progress import Progress, no_progress
from ..common.readback import CurveBackup, TakeReadback, read_take, row_segments, seq_in_rig_frame, write_take
from ..core.body.posing import with_full_pose
from ..core.body.skeleton import JOINT_NAMES
from ..core.contracts.fused_file import FusedSequence, read_fused, write_fused
from ..core.validate import fixes as fixes_mod
from .scene_results import validate_take

__all__ = ["FIX_ITEMS", "FIX_CORE_NAME", "BoneBackup", "move_bone_rests", "run_fix", "scipy_available"]

FIX_ITEMS = (("CLAMP_JOINT_LIMITS", "Clamp to joint limits", "Pull joints back inside the ROM table (soft limit)",
              "clamp_joint_limits"),
             ("INTERPOLATE", "Interpolate frames", "Replace frames by SLERP between their neighbours", "interpolate"),
             ("SMOOTH", "Re-smooth", "Run the zero-phase smoothing again on the frames", "smooth"),
             ("CLAMP_BETAS", "Clamp shape", "Pull betas beyond the shape threshold back inside", "clamp_betas"))
FIX_CORE_NAME = {item[0]: item[3] for item in FIX_ITEMS}


class BoneBackup:
    """Edit-bone heads, tails and rolls, restored on failure (the betas fix moves the rests)."""

    def __init__(self, context: bpy.types.Context, arm: bpy.types.Object) -> None:
        self.context, self.arm = context, arm
        self.saved: Optional[dict[str, tuple]] = None

    def save(self) -> None:
        with _edit_mode(self.context, self.arm) as bones:
            self.saved = {eb.name: (tuple(eb.head), tuple(eb.tail), eb.roll) for eb in bones}

    def restore(self) -> None:
        if self.saved is None:
            return
        with _edit_mode(self.context, self.arm) as bones:
            for eb in bones:
                if eb.name in self.saved:
                    eb.head, eb.tail, eb.roll = self.saved[eb.name]


class _edit_mode:
    def __init__(self, context: bpy.types.Context, arm: bpy.types.Object) -> None:
        self.context, self.arm = context, arm

    def __enter__(self) -> Any:
        layer = self.context.view_layer
        self.previous = layer.objects.active
        layer.objects.active = self.arm
        bpy.ops.object.mode_set(mode="EDIT")
        return self.arm.data.edit_bones

    def __exit__(self, *exc: Any) -> None:
        bpy.ops.object.mode_set(mode="OBJECT")
        self.context.view_layer.objects.active = self.previous


def move_bone_rests(context: bpy.types.Context, arm: bpy.types.Object, rest_joints_model: np.ndarray) -> None:
    """Put the bones' rests on new rest joints (as the import builds them: roll 0, tails towards children)."""
    heads = model_to_blender(rest_joints_model)
    tails = bone_tails(heads)
    with _edit_mode(context, arm) as bones:
        for j, name in enumerate(JOINT_NAMES):
            eb = bones[name]
            eb.head, eb.tail, eb.roll = heads[j], tails[j], 0.0


def run_fix(context: bpy.types.Context, fix: str, rows: np.ndarray, only_flagged: bool, soft_deg: float,
            progress: Progress = no_progress) -> fixes_mod.FixReport:
    """Apply one fix (a :data:`FIX_ITEMS` id) to file rows ``rows`` of the displayed take and write it back."""
    settings = context.scene.smplx_fusion_validation
    name = FIX_CORE_NAME[fix]
    progress(0, 4, "reading the take from the rig")
    rb, result = validate_take(context)
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[(rows >= 0) & (rows < rb.seq.num_frames)]
    if only_flagged:
        rows = np.intersect1d(rows, fixes_mod.suggested_frames(result, name))
    progress(1, 4, f"{name} on {rows.size} frames")
    if name == "smooth" and not scipy_available():
        new_seq, report = _smooth_in_subprocess(context, rb, rows)
    elif name == "clamp_joint_limits":
        new_seq, report = fixes_mod.clamp_joint_limits(rb.seq, rb.model, rows, soft_deg=soft_deg)
    elif name == "clamp_betas":
        new_seq, report = fixes_mod.clamp_betas(rb.seq, sigma=settings.shape_sigma)
    else:
        new_seq, report = fixes_mod.apply_fix(rb.seq, rb.model, name, rows)
    progress(2, 4, "writing the changed frames")
    backup, bones = CurveBackup(), BoneBackup(context, rb.arm)
    try:
        if name == "clamp_betas":
            if report.details.get("betas"):
                bones.save()
                _apply_betas(context, rb, new_seq)
                rb = read_take(rb.arm, rb.mesh)  # new rests: every frame's channels change
                write_take(rb, seq_in_rig_frame(rb, _keep_pose(rb.seq, new_seq)), np.arange(new_seq.num_frames),
                           backup)
        else:
            write_take(rb, seq_in_rig_frame(rb, new_seq), np.asarray(report.frames_changed, dtype=np.int64),
                       backup)
    except Exception:
        backup.restore()
        bones.restore()
        raise
    progress(3, 4, "validating again")
    return report


def _keep_pose(current: FusedSequence, fixed: FusedSequence) -> FusedSequence:
    out = with_full_pose(current, fixed.full_pose())
    out.transl = fixed.transl
    out.expression = fixed.expression
    out.betas = fixed.betas
    return out


def _apply_betas(context: bpy.types.Context, rb: TakeReadback, new_seq: FusedSequence) -> None:
    key = rb.mesh.data.shape_keys
    for k in range(min(new_seq.betas.shape[0], rb.model.num_betas)):
        kb = key.key_blocks.get(f"Shape{k:03d}")
        if kb is not None:
            kb.value = float(new_seq.betas[k])
    move_bone_rests(context, rb.arm, rb.model.rest_joints(new_seq.betas[:rb.model.num_betas]))


def scipy_available() -> bool:
    """Whether this Python has scipy (re-smoothing runs in-process then)."""
    return importlib.util.find_spec("scipy") is not None


def _smooth_in_subprocess(context: bpy.types.Context, rb: TakeReadback, rows: np.ndarray
                          ) -> tuple[FusedSequence, fixes_mod.FixReport]:
    from ..preferences import get_preferences

    prefs = get_preferences(context)
    interpreter = core_interpreter(prefs.python_path if prefs is not None else "")
    with tempfile.TemporaryDirectory(prefix="smplx_fusion_fix_") as tmp:
        take, out, rep = Path(tmp) / "take.fused.npz", Path(tmp) / "fixed.fused.npz", Path(tmp) / "report.json"
        write_fused(take, rb.seq)
        frames = ",".join(f"{a}-{b}" for a, b in row_segments(np.asarray(rows, dtype=np.int64))) or "0-0"
        run_core(["validate", str(take), "--model", rb.model.path, "--report", str(rep), "--fix", "smooth",
                  "--frames", frames, "--out", str(out), "--mesh", "numpy", "--quiet"], interpreter,
                 on_line=lambda line: print(f"[smplx_fusion] {line}", file=sys.stderr, flush=True))
        fixed = read_fused(out)
        data = json.loads(rep.read_text())["fixes"][0]
    report = fixes_mod.FixReport(fix=data["fix"], frames_selected=data["frames_selected"],
                                 frames_changed=data["frames_changed"],
                                 max_rotation_change_deg=data["max_rotation_change_deg"],
                                 mean_rotation_change_deg=data["mean_rotation_change_deg"],
                                 max_translation_change_m=data["max_translation_change_m"], joints=data["joints"],
                                 details=dict(data["details"], ran_in="subprocess"))
    return fixed, report
