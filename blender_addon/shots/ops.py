"""The Shots operators (``bpy.ops.smplx_fusion.*``): skin / eye materials, lighting presets, render presets, and
rendering stills or a range (:mod:`.render`).

Every operator is ``{'REGISTER', 'UNDO'}`` and atomic (``common.ui.AtomicOperator``): on failure the scene is
exactly as before. Materials and lighting work on the avatar the active object belongs to.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import bpy
import numpy as np

from ..common.avatar import active_avatar, avatar_of, body_mesh_of, is_avatar
from ..common.progress import WindowProgress
from ..common.ui import AtomicOperator
from ..core.errors import FusionError
from . import lighting, materials, render_presets, shot_plan
from .render import KEEP, OVERLAYS, RENDER_PRESETS, ShotRequest, render_shots, uses_plate

__all__ = ["selected_avatar_mesh", "SMPLX_FUSION_OT_render", "SMPLX_FUSION_OT_apply_materials",
           "SMPLX_FUSION_OT_apply_lighting", "SMPLX_FUSION_OT_apply_render_preset", "CLASSES"]


def selected_avatar_mesh(context: bpy.types.Context) -> Optional[bpy.types.Object]:
    """The body mesh of the avatar the active object belongs to (its armature, mesh or camera), or None."""
    arm = avatar_of(context.active_object)
    return None if arm is None else body_mesh_of(arm)


def _required_avatar_mesh(context: bpy.types.Context) -> bpy.types.Object:
    """:func:`selected_avatar_mesh`, or ``FusionError`` saying what to select."""
    arm = active_avatar(context)
    mesh = body_mesh_of(arm)
    if mesh is None:
        raise FusionError(f"the avatar '{arm.name}' has no body mesh with shape keys", path=arm.name, field="mesh")
    return mesh


class _MaterialEdits:
    """The mesh's material slots, face material indices, UV maps and eye-angle attribute, put back on failure."""

    def __init__(self, mesh: bpy.types.Object) -> None:
        me = self.me = mesh.data
        self.slots = list(me.materials)
        self.indices = np.empty(len(me.polygons), dtype=np.int32)
        me.polygons.foreach_get("material_index", self.indices)
        self.uv_maps = {layer.name for layer in me.uv_layers}
        self.had_angles = materials.EYE_ANGLE_ATTRIBUTE in me.attributes

    def restore(self) -> None:
        me = self.me
        me.materials.clear()
        for mat in self.slots:
            me.materials.append(mat)
        me.polygons.foreach_set("material_index", self.indices)
        for layer in [layer for layer in me.uv_layers if layer.name not in self.uv_maps]:
            me.uv_layers.remove(layer)
        if not self.had_angles and materials.EYE_ANGLE_ATTRIBUTE in me.attributes:
            me.attributes.remove(me.attributes[materials.EYE_ANGLE_ATTRIBUTE])


class _WorldEdit:
    """The scene's world, put back on failure (when it still exists)."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene, self.world = scene, scene.world

    def restore(self) -> None:
        world = self.world
        self.scene.world = world if world is not None and world.name in bpy.data.worlds else None


class _RenderSettingsEdit:
    """The scene's render settings (``render_presets.capture_render_settings``), put back on failure."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene, self.saved = scene, render_presets.capture_render_settings(scene)

    def restore(self) -> None:
        render_presets.restore_render_settings(self.scene, self.saved)


# --------------------------------------------------------------------------------------------------- operators

class SMPLX_FUSION_OT_render(AtomicOperator, bpy.types.Operator):
    """Render shots of the scene: the current frame, a frame list or an animation range, to PNG files"""

    bl_idname = "smplx_fusion.render"
    bl_label = "Render Shots"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "rendering"

    frames_mode: bpy.props.EnumProperty(name="Frames", items=shot_plan.FRAME_MODES,  # type: ignore[valid-type]
                                        default="CURRENT")
    frames: bpy.props.StringProperty(name="Frame list", default="1",  # type: ignore[valid-type]
                                     description="Frames to render, e.g. 1,10,20 or 5-9")
    frame_start: bpy.props.IntProperty(name="Start", default=0,  # type: ignore[valid-type]
                                       description="First frame of the range; 0: the scene's start")
    frame_end: bpy.props.IntProperty(name="End", default=0,  # type: ignore[valid-type]
                                     description="Last frame of the range; 0: the scene's end")
    output_dir: bpy.props.StringProperty(name="Output folder", subtype="DIR_PATH",  # type: ignore[valid-type]
                                         default="//renders",
                                         description="Folder for the PNGs (// is the .blend's folder)")
    name: bpy.props.StringProperty(name="Name", default="shot",  # type: ignore[valid-type]
                                   description="Files are <name>_<frame>.png")
    preset: bpy.props.EnumProperty(name="Preset", items=RENDER_PRESETS, default=KEEP)  # type: ignore[valid-type]
    device: bpy.props.EnumProperty(name="Device", items=render_presets.DEVICES,  # type: ignore[valid-type]
                                   default="CPU")
    samples: bpy.props.IntProperty(name="Samples", default=0, min=0,  # type: ignore[valid-type]
                                   description="0: the preset's (or the scene's)")
    percentage: bpy.props.IntProperty(name="Resolution %", default=0, min=0, max=100,  # type: ignore[valid-type]
                                      description="0: the preset's (or the scene's)")
    overlay: bpy.props.EnumProperty(name="Background", items=OVERLAYS, default="SCENE")  # type: ignore
    overlay_path: bpy.props.StringProperty(name="Footage", subtype="FILE_PATH",  # type: ignore[valid-type]
                                           default="",
                                           description="Frames folder, video or image; empty: the avatar's "
                                                       "footage (Camera panel) or the scene's plate")
    overwrite: bpy.props.BoolProperty(name="Overwrite", default=False,  # type: ignore[valid-type]
                                      description="Replace existing files")

    def _request(self, context: bpy.types.Context) -> ShotRequest:
        scene = context.scene
        frames = shot_plan.frames_for(self.frames_mode, self.frames, self.frame_start or scene.frame_start,
                                      self.frame_end or scene.frame_end, scene.frame_current)
        if self.output_dir.startswith("//") and not bpy.data.filepath:
            raise FusionError("the .blend is not saved, so '//' has no folder: choose an output folder",
                              field="output_dir")
        arm = avatar_of(context.active_object) or next((ob for ob in scene.objects if is_avatar(ob)), None)
        overlay_path = self.overlay_path
        if self.overlay == "FOOTAGE" and not overlay_path and not uses_plate(scene) and arm is not None \
                and hasattr(arm, "smplx_fusion_camera"):
            overlay_path = arm.smplx_fusion_camera.footage
        return ShotRequest(frames=frames, out_dir=Path(bpy.path.abspath(self.output_dir)), name=self.name,
                           preset=self.preset, device=self.device, samples=self.samples,
                           percentage=self.percentage, overlay=self.overlay,
                           overlay_path=bpy.path.abspath(overlay_path) if overlay_path else "",
                           footage_first_frame=int(arm.get("smplx_fusion_footage_first_frame", 1))
                           if arm is not None else 1, overwrite=self.overwrite)

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        written = render_shots(context.scene, self._request(context), progress,
                               notify=lambda m: self.report({"INFO"}, m))
        for path in written:
            print(f"[smplx_fusion] wrote {path}", flush=True)
        folder = written[0].parent if written else ""
        self.report({"INFO"}, f"Rendered {len(written)} shot(s) to {folder}: "
                              + ", ".join(p.name for p in written[:5]) + (" ..." if len(written) > 5 else ""))
        return {"FINISHED"}


class SMPLX_FUSION_OT_apply_materials(AtomicOperator, bpy.types.Operator):
    """Give the avatar a subsurface skin (procedural, or a UV texture) and separate eye materials"""

    bl_idname = "smplx_fusion.apply_materials"
    bl_label = "Apply Skin and Eye Materials"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "applying materials"

    skin_texture: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Skin texture", subtype="FILE_PATH", default="",
        description="An albedo image on the SMPL-X UV layout (e.g. the official SMPL-X texture); empty: "
                    "procedural skin")

    def begin_edits(self, context: bpy.types.Context) -> Optional[_MaterialEdits]:
        mesh = selected_avatar_mesh(context)
        return None if mesh is None else _MaterialEdits(mesh)

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        mesh = _required_avatar_mesh(context)
        result = materials.apply_materials(mesh, self.skin_texture or None)
        self.report({"INFO"}, f"Skin ({'texture ' + result.texture.name if result.texture else 'procedural'}) "
                              f"and eyes ({int(result.eye_faces.sum())} faces) on '{mesh.name}'")
        return {"FINISHED"}


class SMPLX_FUSION_OT_apply_lighting(AtomicOperator, bpy.types.Operator):
    """Light the avatar with a preset (replacing the previous preset's lights, floor and world)"""

    bl_idname = "smplx_fusion.apply_lighting"
    bl_label = "Apply Lighting"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "lighting"

    preset: bpy.props.EnumProperty(name="Lighting", items=lighting.PRESETS,  # type: ignore[valid-type]
                                   default="STUDIO")
    hdri: bpy.props.StringProperty(name="HDRI", default="studio",  # type: ignore[valid-type]
                                   description="One of Blender's studio HDRIs (city, courtyard, forest, "
                                               "interior, night, studio, sunrise, sunset)")
    hdri_rotation: bpy.props.FloatProperty(name="Rotation", default=0.0,  # type: ignore[valid-type]
                                           subtype="ANGLE")
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0,  # type: ignore[valid-type]
                                      soft_max=10.0)

    def begin_edits(self, context: bpy.types.Context) -> _WorldEdit:
        return _WorldEdit(context.scene)

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        mesh = _required_avatar_mesh(context)
        result = lighting.apply_lighting(context.scene, mesh, self.preset, self.hdri, self.hdri_rotation,
                                         self.strength)
        self.report({"INFO"}, f"Lighting: {self.preset.lower()} ({len(result.objects)} object(s), "
                              f"world '{result.world.name}')")
        return {"FINISHED"}


class SMPLX_FUSION_OT_apply_render_preset(AtomicOperator, bpy.types.Operator):
    """Set the scene's render settings from a preset (EEVEE preview, or Cycles final on CPU or GPU)"""

    bl_idname = "smplx_fusion.apply_render_preset"
    bl_label = "Apply Render Preset"
    bl_options = {"REGISTER", "UNDO"}
    atomic_label = "the render preset"

    preset: bpy.props.EnumProperty(name="Preset", items=render_presets.PRESETS,  # type: ignore[valid-type]
                                   default="CYCLES_FINAL")
    device: bpy.props.EnumProperty(name="Device", items=render_presets.DEVICES,  # type: ignore[valid-type]
                                   default="CPU")
    samples: bpy.props.IntProperty(name="Samples", default=0, min=0)  # type: ignore[valid-type]
    percentage: bpy.props.IntProperty(name="Resolution %", default=0, min=0, max=100)  # type: ignore[valid-type]

    def begin_edits(self, context: bpy.types.Context) -> _RenderSettingsEdit:
        return _RenderSettingsEdit(context.scene)

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        scene = context.scene
        messages = render_presets.apply_render_preset(scene, self.preset, self.device, self.samples,
                                                      self.percentage)
        for message in messages:
            self.report({"WARNING"} if "CPU" in message and self.device == "GPU" else {"INFO"}, message)
        self.report({"INFO"}, f"Render preset: {self.preset.lower()} ({scene.render.engine})")
        return {"FINISHED"}


CLASSES = (SMPLX_FUSION_OT_render, SMPLX_FUSION_OT_apply_materials, SMPLX_FUSION_OT_apply_lighting,
           SMPLX_FUSION_OT_apply_render_preset)
