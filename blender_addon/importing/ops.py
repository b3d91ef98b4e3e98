"""The import operators: ``smplx_fusion.import_fused`` (File > Import) and ``smplx_fusion.fuse`` (estimator
outputs, fused in a subprocess, then imported). Each one is atomic (:class:`..common.ui.AtomicOperator`): on failure
the scene is exactly as before."""
from __future__ import annotations

import sys
from pathlib import Path

import bpy
from bpy_extras.io_utils import ImportHelper

from ..common import core_subprocess
from ..common.progress import WindowProgress
from ..common.ui import AtomicOperator
from ..core.errors import FusionError
from ..preferences import builtin_model_cache_dir, get_preferences
from . import clip_files, clip_importer, importer

__all__ = ["SMPLX_FUSION_OT_import_fused", "SMPLX_FUSION_OT_import_clip", "SMPLX_FUSION_OT_fuse", "menu_import",
           "CLASSES"]


class SMPLX_FUSION_OT_import_fused(AtomicOperator, bpy.types.Operator, ImportHelper):
    """Import a fused SMPL-X sequence (.fused.npz) as an animated armature, skinned mesh and camera"""

    bl_idname = "smplx_fusion.import_fused"
    bl_label = "Import Fused SMPL-X"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: bpy.props.StringProperty(default="*.npz", options={"HIDDEN"})  # type: ignore[valid-type]
    model_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Model", default="",
        description="Model file or folder for this import; empty uses the add-on preferences")
    pose_correctives: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Pose correctives",
        items=(("COMPACT", "Compact (exact)", "The fewest shape keys that reproduce all 486 pose correctives "
                                              "within 1e-5 m; fast playback"),
               ("FULL", "All 486", "One Pose### shape key per pose-feature entry"),
               ("NONE", "None", "No pose correctives")),
        default="COMPACT")
    world_align: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="World-align", default=False,
        description="Put the take's ground (the file's ground plane, else estimated from the feet) on Blender's "
                    "floor, z = 0 and +Z up, by parenting the rig and the camera to one empty; the camera's "
                    "view of the avatar is unchanged. A world-grounded take (schema 1.1, world_from_camera) is "
                    "always imported in its own world, the camera flying its path, the floor at z = 0")

    atomic_label = "import"

    def unexpected_message(self, exc: Exception) -> str:
        return f"SMPL-X Fusion import failed unexpectedly ({type(exc).__name__}: {exc})"

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        prefs = get_preferences(context)
        model_path = self.model_path or (prefs.model_path if prefs is not None else "")
        result = importer.import_fused_file(context, bpy.path.abspath(self.filepath), model_path,
                                            model_cache_dir=builtin_model_cache_dir(),
                                            pose_correctives=self.pose_correctives, progress=progress,
                                            world_align=self.world_align)
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Imported {result.num_frames} frames as '{result.armature.name}'")
        for ob in context.view_layer.objects:
            ob.select_set(False)
        result.armature.select_set(True)
        context.view_layer.objects.active = result.armature
        return {"FINISHED"}


class SMPLX_FUSION_OT_import_clip(AtomicOperator, bpy.types.Operator, ImportHelper):
    """Import a clip of several people (fuse-clip's .clip.json): one avatar per person, one camera, one take root"""

    bl_idname = "smplx_fusion.import_clip"
    bl_label = "Import Fused SMPL-X Clip"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".json"
    filter_glob: bpy.props.StringProperty(default="*.clip.json;*.fused.npz", options={"HIDDEN"})  # type: ignore
    directory: bpy.props.StringProperty(subtype="DIR_PATH", options={"HIDDEN", "SKIP_SAVE"})  # type: ignore
    files: bpy.props.CollectionProperty(type=bpy.types.OperatorFileListElement,  # type: ignore[valid-type]
                                        options={"HIDDEN", "SKIP_SAVE"})
    model_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Model", default="",
        description="Model file or folder for this import; empty uses the add-on preferences")
    pose_correctives: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Pose correctives",
        items=(("COMPACT", "Compact (exact)", "The fewest shape keys that reproduce all 486 pose correctives"),
               ("FULL", "All 486", "One Pose### shape key per pose-feature entry"),
               ("NONE", "None", "No pose correctives")),
        default="COMPACT")

    atomic_label = "clip import"

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        prefs = get_preferences(context)
        model_path = self.model_path or (prefs.model_path if prefs is not None else "")
        folder = Path(bpy.path.abspath(self.directory)) if self.directory else None
        picked = [folder / f.name for f in self.files if f.name] if folder is not None else []
        picked = picked or [Path(bpy.path.abspath(self.filepath or self.directory))]
        name, people = clip_files.clip_people(picked)
        summary = picked[0] if picked[0].name.endswith(".clip.json") else people[0][1].with_name(f"{name}.clip.json")
        result = clip_importer.import_clip_file(context, str(summary), model_path,
                                                model_cache_dir=builtin_model_cache_dir(),
                                                pose_correctives=self.pose_correctives, progress=progress,
                                                people=people)
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Imported {len(result.armatures)} people under '{result.root.name}'")
        for ob in context.view_layer.objects:
            ob.select_set(False)
        result.armatures[0].select_set(True)
        context.view_layer.objects.active = result.armatures[0]
        return {"FINISHED"}


def _unique_output(path: Path) -> Path:
    """``path`` itself, or ``<stem>.<n>.fused.npz`` when it exists: never overwrite a user's file."""
    if not path.exists():
        return path
    stem = path.name.removesuffix(".npz").removesuffix(".fused")
    n = 1
    while (candidate := path.with_name(f"{stem}.{n}.fused.npz")).exists():
        n += 1
    return candidate


class SMPLX_FUSION_OT_fuse(AtomicOperator, bpy.types.Operator):
    """Fuse body, face and hand estimator outputs into a fused SMPL-X file, then import it"""

    bl_idname = "smplx_fusion.fuse"
    bl_label = "Fuse Estimator Outputs"
    bl_options = {"REGISTER", "UNDO"}

    body: bpy.props.StringProperty(name="Body", subtype="FILE_PATH",  # type: ignore[valid-type]
                                   description="SMPLer-X / SMPLest-X / PIXIE / AMASS output (file or folder)")
    face: bpy.props.StringProperty(name="Face", subtype="FILE_PATH",  # type: ignore[valid-type]
                                   description="EMOCA output (optional)")
    face_bbox: bpy.props.StringProperty(name="Face boxes", subtype="FILE_PATH",  # type: ignore[valid-type]
                                        description="Per-frame face boxes JSON (optional)")
    hands: bpy.props.StringProperty(name="Hands", subtype="FILE_PATH",  # type: ignore[valid-type]
                                    description="WiLoR / HaMeR dumps (optional)")
    output: bpy.props.StringProperty(name="Output", subtype="FILE_PATH",  # type: ignore[valid-type]
                                     description="Fused file to write; empty: next to the body input. An "
                                                 "existing file is never overwritten (a numbered name is used)")
    model_path: bpy.props.StringProperty(name="Model", default="")  # type: ignore[valid-type]
    smooth: bpy.props.BoolProperty(name="Smooth", default=True)  # type: ignore[valid-type]

    atomic_label = "fuse"

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        prefs = get_preferences(context)
        model_path = self.model_path or (prefs.model_path if prefs is not None else "") or "builtin"
        if not self.body:
            raise FusionError("choose the body estimator's output first")
        body = Path(bpy.path.abspath(self.body))
        default_out = body.parent / f"{body.name.removesuffix('.npz').removesuffix('.pkl')}.fused.npz"
        out = _unique_output(Path(bpy.path.abspath(self.output)) if self.output else default_out)
        args = ["fuse", "--body", str(body), "--model", model_path, "--out", str(out), "--quiet"]
        for flag, value in (("--face", self.face), ("--face-bbox", self.face_bbox), ("--hands", self.hands)):
            if value:
                args += [flag, bpy.path.abspath(value)]
        if not self.smooth:
            args.append("--no-smooth")
        interpreter = core_subprocess.core_interpreter(prefs.python_path if prefs is not None else "")
        core_subprocess.run_core(args, interpreter, on_line=lambda line: print(f"[smplx_fusion] {line}",
                                                                              file=sys.stderr, flush=True))
        try:
            result = bpy.ops.smplx_fusion.import_fused(filepath=str(out), model_path=self.model_path)
        except RuntimeError as exc:  # the import reported an error (and undid itself): report its own words
            raise FusionError(str(exc).strip().removeprefix("Error: ")) from exc
        if result != {"FINISHED"}:
            return {"CANCELLED"}
        self.report({"INFO"}, f"Fused into {out}")
        return {"FINISHED"}


def menu_import(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    self.layout.operator(SMPLX_FUSION_OT_import_fused.bl_idname, text="Fused SMPL-X (.fused.npz)")
    self.layout.operator(SMPLX_FUSION_OT_import_clip.bl_idname, text="Fused SMPL-X clip, several people (.clip.json)")


CLASSES = (SMPLX_FUSION_OT_import_fused, SMPLX_FUSION_OT_import_clip, SMPLX_FUSION_OT_fuse)
