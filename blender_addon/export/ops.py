"""Export operators: ``smplx_fusion.export_fbx``, ``export_gltf``, ``export_amass``, ``export_usd``, ``export_bvh``
and ``export_mcs`` (every avatar and the camera as a Meshcapade scene).

Each takes ``filepath``, ``overwrite`` (an existing file is replaced only with ``overwrite``; the file browser shows
the option) and ``scope``: the active avatar, or every avatar of the scene one file each, all or nothing
(:mod:`.every_avatar`; ``.mcs`` always holds every avatar), reports progress and the path written, and leaves the
scene as it was: the exporters' temporary selection, active object, mode and frame range are restored
(:mod:`.scope`), and a failed export leaves neither a file nor a change behind (:mod:`.files`).
``{'REGISTER', 'UNDO'}`` as every operator of the add-on; the undo step they push holds the unchanged scene. They create
no data-blocks, so they need no snapshot and roll-back (:class:`..common.ui.AtomicOperator`): a failure is
reported, and the scene and the files are untouched.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy_extras.io_utils import ExportHelper

from ..common.avatar import SOURCE_PROPERTY, avatar_or_none, find_avatar, scene_avatars
from ..common.progress import Progress, WindowProgress, no_progress
from ..core.errors import FusionError
from . import amass, bvh, every_avatar, fbx, gltf, mcs, usd

__all__ = ["SMPLX_FUSION_OT_export_fbx", "SMPLX_FUSION_OT_export_gltf", "SMPLX_FUSION_OT_export_amass",
           "SMPLX_FUSION_OT_export_usd", "SMPLX_FUSION_OT_export_bvh", "SMPLX_FUSION_OT_export_mcs", "CLASSES"]

#: What :func:`..common.avatar.find_avatar` says to select the avatar for.
_PURPOSE = "to export"


class _ExportBase(ExportHelper):
    """Shared by the three export operators: the avatar, the overwrite rule, progress and error reporting."""

    bl_options = {"REGISTER", "UNDO"}
    label = "export"
    #: The default file name is the fused file's stem, this, then ``filename_ext``.
    name_suffix = ""
    #: ``scope`` ``ALL`` writes one file per avatar (:mod:`.every_avatar`); False where one file holds them all.
    per_avatar_files = True

    overwrite: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Overwrite", default=False,
        description="Replace the file if it exists (otherwise the export stops and says so)")
    scope: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Avatars", items=every_avatar.EXPORT_SCOPES, default="ACTIVE")

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        found = avatar_or_none(context)
        everyone = self.scope == "ALL" and self.per_avatar_files
        if found is None and everyone and scene_avatars(context.scene):
            found = (scene_avatars(context.scene)[0], None)
        if not self.filepath and found is not None:
            arm = found[0]
            source = Path(str(arm.get(SOURCE_PROPERTY, arm.name)))
            stem = source.name.removesuffix(".npz").removesuffix(".fused")
            stem = every_avatar.clip_stem(stem) if everyone else stem
            self.filepath = str(source.with_name(stem + self.name_suffix + self.filename_ext))
        return super().invoke(context, event)

    def run(self, context: bpy.types.Context, arm: bpy.types.Object, mesh: bpy.types.Object,
            filepath: str, progress: Progress) -> tuple[list[Path], list[str]]:
        raise NotImplementedError

    def execute(self, context: bpy.types.Context) -> set[str]:
        progress = WindowProgress(context, self.label)
        try:
            if self.scope == "ALL" and self.per_avatar_files:
                targets = every_avatar.every_avatar(context)
                paths, warnings = every_avatar.export_every_avatar(
                    targets, bpy.path.abspath(self.filepath), self.filename_ext, self.overwrite,
                    lambda arm, mesh, path: self.run(context, arm, mesh, path, no_progress), progress)
                what = f"{len(targets)} avatars"
            else:
                arm, mesh = find_avatar(context, _PURPOSE)
                paths, warnings = self.run(context, arm, mesh, bpy.path.abspath(self.filepath), progress)
                what = f"'{arm.name}'"
        except FusionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # a bug of ours or the exporter's: the scene and the files are still untouched
            self.report({"ERROR"}, f"SMPL-X Fusion {self.label} failed ({type(exc).__name__}: {exc})")
            return {"CANCELLED"}
        finally:
            progress.end()
        for warning in warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Exported {what} to {paths[0]}"
                              + (f" (+ {', '.join(p.name for p in paths[1:])})" if len(paths) > 1 else ""))
        return {"FINISHED"}


class SMPLX_FUSION_OT_export_fbx(_ExportBase, bpy.types.Operator):
    """Export the avatar (armature, skinned mesh, shape keys, the whole take) as FBX for game engines"""

    bl_idname = "smplx_fusion.export_fbx"
    bl_label = "Export FBX"
    label = "FBX export"
    filename_ext = ".fbx"
    filter_glob: bpy.props.StringProperty(default="*.fbx", options={"HIDDEN"})  # type: ignore[valid-type]
    preset: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Preset", default="UNITY",
        items=(("UNITY", "Unity", "Bone axes as in Blender (Y along the bone)"),
               ("UNREAL", "Unreal", "Bones along their local +X, as Unreal skeletons")))

    def run(self, context, arm, mesh, filepath, progress):  # type: ignore[no-untyped-def]
        path = fbx.export_fbx(context, arm, mesh, filepath, self.preset, self.overwrite, progress)
        return [path], []


class SMPLX_FUSION_OT_export_gltf(_ExportBase, bpy.types.Operator):
    """Export the avatar (skin, morph targets, the whole take with morph-weight animation) as glTF 2.0"""

    bl_idname = "smplx_fusion.export_gltf"
    bl_label = "Export glTF"
    label = "glTF export"
    filename_ext = ".glb"
    filter_glob: bpy.props.StringProperty(default="*.glb;*.gltf", options={"HIDDEN"})  # type: ignore
    export_format: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Format", default="GLB",
        items=(("GLB", "glTF Binary (.glb)", "One file"),
               ("GLTF_SEPARATE", "glTF Separate (.gltf + .bin)", "JSON and a binary buffer")))

    def run(self, context, arm, mesh, filepath, progress):  # type: ignore[no-untyped-def]
        paths = gltf.export_gltf(context, arm, mesh, filepath, self.export_format, self.overwrite, progress)
        return paths, []


class SMPLX_FUSION_OT_export_amass(_ExportBase, bpy.types.Operator):
    """Export the take as the scene holds it now (edits included) as an AMASS-style SMPL-X npz"""

    bl_idname = "smplx_fusion.export_amass"
    bl_label = "Export AMASS npz"
    label = "AMASS export"
    filename_ext = ".npz"
    name_suffix = "_amass"
    filter_glob: bpy.props.StringProperty(default="*.npz", options={"HIDDEN"})  # type: ignore[valid-type]

    def run(self, context, arm, mesh, filepath, progress):  # type: ignore[no-untyped-def]
        path, warnings = amass.export_amass(arm, mesh, filepath, self.overwrite, progress)
        return [path], warnings


class SMPLX_FUSION_OT_export_usd(_ExportBase, bpy.types.Operator):
    """Export the avatar (UsdSkel skeleton, skinned mesh, blend shapes, the whole take) as USD"""

    bl_idname = "smplx_fusion.export_usd"
    bl_label = "Export USD"
    label = "USD export"
    filename_ext = ".usdc"
    filter_glob: bpy.props.StringProperty(default="*.usd;*.usdc;*.usda", options={"HIDDEN"})  # type: ignore

    def run(self, context, arm, mesh, filepath, progress):  # type: ignore[no-untyped-def]
        return [usd.export_usd(context, arm, mesh, filepath, self.overwrite, progress)], []


class SMPLX_FUSION_OT_export_bvh(_ExportBase, bpy.types.Operator):
    """Export the avatar's skeleton motion (no mesh, shape or expression) as BVH"""

    bl_idname = "smplx_fusion.export_bvh"
    bl_label = "Export BVH"
    label = "BVH export"
    filename_ext = ".bvh"
    filter_glob: bpy.props.StringProperty(default="*.bvh", options={"HIDDEN"})  # type: ignore[valid-type]

    def run(self, context, arm, mesh, filepath, progress):  # type: ignore[no-untyped-def]
        return [bvh.export_bvh(context, arm, mesh, filepath, self.overwrite, progress)], [bvh.BVH_WARNING]


class SMPLX_FUSION_OT_export_mcs(_ExportBase, bpy.types.Operator):
    """Export every avatar's take as the scene holds it now, with the footage camera, as a Meshcapade .mcs scene"""

    bl_idname = "smplx_fusion.export_mcs"
    bl_label = "Export Meshcapade scene (.mcs)"
    label = ".mcs export"
    filename_ext = ".mcs"
    filter_glob: bpy.props.StringProperty(default="*.mcs", options={"HIDDEN"})  # type: ignore[valid-type]
    per_avatar_files = False  # one scene holds every avatar, the selected one first

    def run(self, context, arm, mesh, filepath, progress):  # type: ignore[no-untyped-def]
        path, warnings = mcs.export_mcs(context, arm, filepath, self.overwrite, progress)
        return [path], warnings


CLASSES = (SMPLX_FUSION_OT_export_fbx, SMPLX_FUSION_OT_export_gltf, SMPLX_FUSION_OT_export_amass,
           SMPLX_FUSION_OT_export_usd, SMPLX_FUSION_OT_export_bvh, SMPLX_FUSION_OT_export_mcs)
