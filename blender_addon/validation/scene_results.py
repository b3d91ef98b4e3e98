"""Validate the take in the scene and show the results on it: markers, the worst-frames list, mesh colours.

What is validated is what the user sees: the take read back from the rig (``common.readback.read_take``). Every
check is numpy-only (``core.validate``; Blender's Python has numpy but neither scipy nor torch), so ``Validate``
runs in-process. The mesh is skinned with numpy LBS of the vertices the penetration test needs, with the pose
correctives when the rig has them, as the rig deforms it.
"""
from __future__ import annotations

import json
from typing import Any, Optional

import bpy
import numpy as np

from ..common.animation import FIRST_FRAME
from ..common.avatar import find_avatar
from ..common.markers import MarkerBackup, remove_markers
from ..common.progress import Progress, no_progress
from ..common.readback import TakeReadback, read_take
from ..core.validate.result import Thresholds, ValidationResult
from ..core.validate.run import run_checks

__all__ = ["MARKER_PREFIX", "COLOR_ATTRIBUTE", "COLOR_FULL_DEPTH_M", "AVATAR_PURPOSE", "thresholds_from",
           "validate_take", "SceneEdits", "clear_markers", "show_results", "clear_results", "paint_penetration"]

MARKER_PREFIX = "VAL:"
COLOR_ATTRIBUTE = "validation_penetration"
#: Depth (metres) shown as full red on the mesh.
COLOR_FULL_DEPTH_M = 0.05
#: What the user is asked to select an avatar for (``common.avatar.find_avatar``).
AVATAR_PURPOSE = "to validate"


def thresholds_from(settings: Any) -> Thresholds:
    th = Thresholds()
    for name in th.as_dict():
        setattr(th, name, float(getattr(settings, name)))
    return th


def validate_take(context: bpy.types.Context, progress: Progress = no_progress
                  ) -> tuple[TakeReadback, ValidationResult]:
    """Read the displayed take and run every check on it (numpy only)."""
    settings = context.scene.smplx_fusion_validation
    arm, mesh = find_avatar(context, AVATAR_PURPOSE)
    progress(0, 10, "reading the take from the rig")
    rb = read_take(arm, mesh)
    evidence = None
    if settings.evidence_path:
        from ..core.validate.command import read_evidence

        evidence = read_evidence(bpy.path.abspath(settings.evidence_path))

    def step(done: int, total: int, message: str) -> None:
        progress(done + 1, total + 1, message)

    result = run_checks(rb.seq, rb.model, thresholds_from(settings), evidence=evidence,
                        displayed_joints=rb.displayed_joints, mesh="numpy",
                        pose_correctives=rb.correctives != "NONE", progress=step)
    return rb, result


class SceneEdits:
    """Remembers the validation's own scene state (markers, results, colour attribute) to restore on failure."""

    def __init__(self, scene: bpy.types.Scene, mesh: Optional[bpy.types.Object]) -> None:
        self.scene = scene
        self.markers = MarkerBackup(scene, MARKER_PREFIX)
        self.mesh = mesh
        self.had_attribute = mesh is not None and COLOR_ATTRIBUTE in mesh.data.color_attributes

    def restore(self) -> None:
        self.markers.restore()
        if self.mesh is not None and not self.had_attribute:
            attr = self.mesh.data.color_attributes.get(COLOR_ATTRIBUTE)
            if attr is not None:
                self.mesh.data.color_attributes.remove(attr)


def clear_markers(scene: bpy.types.Scene) -> int:
    """Remove every ``VAL:`` marker; returns how many."""
    return remove_markers(scene, MARKER_PREFIX)


def show_results(context: bpy.types.Context, rb: TakeReadback, result: ValidationResult) -> dict[str, int]:
    """Markers on flagged frames (``VAL:<check>``), the worst-frames list, the summary and the mesh colours."""
    scene = context.scene
    settings = scene.smplx_fusion_validation
    clear_markers(scene)
    placed = 0
    for name, check in result.checks.items():
        for f in check.flagged_frames:
            if placed >= settings.max_markers:
                break
            scene.timeline_markers.new(f"{MARKER_PREFIX}{name}", frame=int(FIRST_FRAME + f))
            placed += 1
    settings.rows.clear()
    for row in result.worst_frames(limit=settings.max_rows):
        item = settings.rows.add()
        item.frame = int(FIRST_FRAME + row["frame"])
        item.check = row["check"]
        item.score = float(row["score"])
        item.unit = result.checks[row["check"]].unit
        item.culprits = ", ".join(row["culprits"])
    settings.row_index = 0
    counts = {name: int(c.flags.sum()) for name, c in result.checks.items()}
    flagged = int(result.any_flags().sum())
    settings.summary = f"{flagged} of {result.num_frames} frames flagged"
    settings.check_counts = json.dumps({name: [c.status, counts[name]] for name, c in result.checks.items()})
    settings.armature = rb.arm.name
    paint_penetration(rb.mesh, result.checks["penetration"].details.get("_vertex_depth"))
    return {"markers": placed, "flagged_frames": flagged}


def clear_results(scene: bpy.types.Scene, mesh: Optional[bpy.types.Object]) -> int:
    """Remove the markers, the list, the summaries and ``mesh``'s colour attribute; returns the markers removed."""
    removed = clear_markers(scene)
    settings = scene.smplx_fusion_validation
    settings.rows.clear()
    settings.summary = settings.check_counts = settings.last_fix = ""
    if mesh is not None:
        attr = mesh.data.color_attributes.get(COLOR_ATTRIBUTE)
        if attr is not None:
            mesh.data.color_attributes.remove(attr)
    return removed


def paint_penetration(mesh_obj: bpy.types.Object, vertex_depth: Optional[np.ndarray]) -> None:
    """A point colour attribute: white where nothing penetrates, red at ``COLOR_FULL_DEPTH_M`` and deeper."""
    me = mesh_obj.data
    n = len(me.vertices)
    depth = np.zeros(n) if vertex_depth is None or len(vertex_depth) != n else np.asarray(vertex_depth)
    attr = me.color_attributes.get(COLOR_ATTRIBUTE)
    if attr is None:
        attr = me.color_attributes.new(COLOR_ATTRIBUTE, "FLOAT_COLOR", "POINT")
    level = np.clip(depth / COLOR_FULL_DEPTH_M, 0.0, 1.0)
    rgba = np.stack([np.ones(n), 1.0 - level, 1.0 - level, np.ones(n)], axis=1).astype(np.float32)
    attr.data.foreach_set("color", rgba.ravel())
    me.color_attributes.active_color = attr
    me.update()
