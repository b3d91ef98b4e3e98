"""Operators under ``bpy.ops.smplx_fusion``. Each one is atomic: on failure the scene is exactly as before."""
from __future__ import annotations

import sys

import bpy
from bpy_extras.io_utils import ImportHelper

from . import importer, scene_snapshot
from .core.errors import FusionError
from .preferences import builtin_model_cache_dir, get_preferences


class SMPLX_FUSION_OT_import_fused(bpy.types.Operator, ImportHelper):
    """Import a fused SMPL-X sequence (.fused.npz) as an animated armature, skinned mesh and camera"""

    bl_idname = "smplx_fusion.import_fused"
    bl_label = "Import Fused SMPL-X"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: bpy.props.StringProperty(default="*.npz", options={"HIDDEN"})  # type: ignore[valid-type]
    model_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Model", default="",
        description="Model file or folder for this import; empty uses the add-on preferences")

    def execute(self, context: bpy.types.Context) -> set[str]:
        prefs = get_preferences(context)
        model_path = self.model_path or (prefs.model_path if prefs is not None else "")
        wm = context.window_manager
        snapshot = scene_snapshot.take_snapshot(context.scene)

        def progress(step: int, total: int, message: str) -> None:
            if step == 0:
                wm.progress_begin(0, total)
            wm.progress_update(step)
            print(f"[smplx_fusion] import {step}/{total}: {message}", file=sys.stderr, flush=True)

        try:
            result = importer.import_fused_file(context, bpy.path.abspath(self.filepath), model_path,
                                                model_cache_dir=builtin_model_cache_dir(), progress=progress)
        except FusionError as exc:
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # a bug of ours: still leave the scene untouched, and say what happened
            scene_snapshot.roll_back(snapshot)
            self.report({"ERROR"}, f"SMPL-X Fusion import failed unexpectedly ({type(exc).__name__}: {exc})")
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Imported {result.num_frames} frames as '{result.armature.name}'")
        for ob in context.view_layer.objects:
            ob.select_set(False)
        result.armature.select_set(True)
        context.view_layer.objects.active = result.armature
        return {"FINISHED"}


def menu_import(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    self.layout.operator(SMPLX_FUSION_OT_import_fused.bl_idname, text="Fused SMPL-X (.fused.npz)")


CLASSES = (SMPLX_FUSION_OT_import_fused,)
