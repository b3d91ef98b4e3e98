"""Shot operators: skin / eye materials, lighting presets, render presets, and rendering stills or a range.

``smplx_fusion.render`` (contract) renders the current frame, a frame list or an animation range to
``<output_dir>/<name>_<frame:04d>.png``, with a render preset (or the scene's own settings) and optionally over the
footage plate. It changes the scene only for the duration of the render: settings, the plate it loaded and the
frame are put back afterwards (the render result stays). It never replaces an existing file unless ``overwrite``;
all paths are checked before the first frame renders.

Every operator is ``{'REGISTER', 'UNDO'}`` and atomic: on failure the scene is exactly as before.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import bpy
import numpy as np

from . import lighting, materials, plate, render_presets, scene_snapshot, shot_plan
from .camera_panel import avatar_of
from .window_progress import WindowProgress
from .core.errors import FusionError

Progress = Callable[[int, int, str], None]
KEEP = "KEEP"
RENDER_PRESETS = ((KEEP, "Scene settings", "Render with the scene's current settings"), *render_presets.PRESETS)
OVERLAYS = (("SCENE", "As set up", "Render with the scene's compositing as it is"),
            ("FOOTAGE", "Over footage", "Composite the render over the footage plate"),
            ("NONE", "Avatar alone", "Skip the footage plate: the avatar on a transparent background"))


def _log(message: str) -> None:
    print(f"[smplx_fusion] {message}", file=sys.stderr, flush=True)


def avatar_mesh(obj: Optional[bpy.types.Object]) -> Optional[bpy.types.Object]:
    """The imported avatar's skinned mesh for the active object (its armature, mesh or camera)."""
    arm = avatar_of(obj)
    if arm is None:
        return None
    return next((ob for ob in arm.children if ob.type == "MESH" and "smplx_fusion_source" in ob), None)


def _fail(operator: bpy.types.Operator, snapshot: scene_snapshot.SceneSnapshot, exc: Exception, what: str) -> set:
    scene_snapshot.roll_back(snapshot)
    operator.report({"ERROR"}, str(exc) if isinstance(exc, FusionError) else
                    f"{what} failed unexpectedly ({type(exc).__name__}: {exc})")
    return {"CANCELLED"}


# --------------------------------------------------------------------------------------------------- shots

@dataclass
class ShotRequest:
    """One shot render.

    Attributes:
        frames: scene frames to render, in order.
        out_dir: folder for the PNGs (created if missing).
        name: file name stem; files are ``<name>_<frame:04d>.png``.
        preset: ``KEEP`` or a :data:`render_presets.PRESETS` id.
        device, samples, percentage: preset options (0: the preset's default; with KEEP, 0 keeps the scene's).
        overlay: ``SCENE`` (compositing as set up), ``FOOTAGE`` (over the footage plate: ``overlay_path``, a
            frames folder, video or image, or, empty, the plate already in the scene's compositor) or ``NONE``
            (this add-on's plate switched off: the avatar alone, transparent where the plate was).
        footage_first_frame: the footage frame shown at the scene's first frame.
        overwrite: replace existing files.
    """

    frames: list[int]
    out_dir: Path
    name: str = "shot"
    preset: str = KEEP
    device: str = "CPU"
    samples: int = 0
    percentage: int = 0
    overlay: str = "SCENE"
    overlay_path: str = ""
    footage_first_frame: int = 1
    overwrite: bool = False


def _uses_plate(scene: bpy.types.Scene) -> bool:
    group = scene.compositing_node_group
    return group is not None and group.name.startswith(plate.PLATE_GROUP_NAME)


def _set_up(scene: bpy.types.Scene, request: ShotRequest) -> list[str]:
    """Apply the request's preset and overlay to the scene (the caller restores it)."""
    messages = []
    if request.overlay not in {o[0] for o in OVERLAYS}:
        raise FusionError(f"unknown overlay {request.overlay!r} (SCENE, FOOTAGE or NONE)", field="overlay")
    if request.overlay == "FOOTAGE" and request.overlay_path:
        footage = plate.load_footage(request.overlay_path)
        footage.image["smplx_fusion_plate"] = True
        plate.set_compositor_plate(scene, footage, scene.frame_start, request.footage_first_frame)
    elif request.overlay == "FOOTAGE":
        if not _uses_plate(scene):
            raise FusionError("no footage plate to render over: give its path, or set the plate in the Camera "
                              "panel", field="overlay_path")
        scene.render.use_compositing = scene.render.film_transparent = True
    elif request.overlay == "NONE" and _uses_plate(scene):
        scene.render.use_compositing = False  # the avatar alone, on a transparent background
    if request.preset != KEEP:
        messages += render_presets.apply_render_preset(scene, request.preset, request.device, request.samples,
                                                       request.percentage)
    else:
        if request.samples:
            scene.cycles.samples = request.samples
            scene.eevee.taa_render_samples = request.samples
        if request.percentage:
            scene.render.resolution_percentage = request.percentage
        scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA" if scene.render.film_transparent else "RGB"
    return messages


def render_shots(scene: bpy.types.Scene, request: ShotRequest, progress: Optional[Progress] = None,
                 notify: Callable[[str], None] = _log) -> list[Path]:
    """Render ``request`` and return the written files. Raises FusionError on bad input (nothing written then).

    The scene's render settings, current frame and compositor are restored afterwards, and data-blocks the
    overlay loaded are removed, whether the render succeeded or not (the caller owns any other atomicity).
    """
    paths = shot_plan.output_paths(request.out_dir, request.name, request.frames)
    shot_plan.check_free(paths, request.overwrite)
    if scene.camera is None:
        raise FusionError("the scene has no camera to render from", field="scene.camera")
    saved = render_presets.capture_render_settings(scene)
    snapshot = scene_snapshot.take_snapshot(scene)
    written: list[Path] = []
    try:
        for message in _set_up(scene, request):
            notify(message)
        Path(request.out_dir).mkdir(parents=True, exist_ok=True)
        for i, (frame, path) in enumerate(zip(request.frames, paths)):
            if progress is not None:
                progress(i, len(paths), f"frame {frame} -> {path}")
            scene.frame_set(frame)
            scene.render.filepath = str(path)
            bpy.ops.render.render(write_still=True, scene=scene.name)
            if not path.is_file():
                raise FusionError("the renderer wrote no file", path=path, field="output")
            written.append(path)
        if progress is not None:
            progress(len(paths), len(paths), "done")
    finally:
        render_presets.restore_render_settings(scene, saved)
        created = [idb for idb in scene_snapshot.new_ids(snapshot) if not (
            isinstance(idb, bpy.types.Image) and idb.type == "RENDER_RESULT")]
        if created:
            bpy.data.batch_remove(created)
    return written


# --------------------------------------------------------------------------------------------------- operators

class SMPLX_FUSION_OT_render(bpy.types.Operator):
    """Render shots of the scene: the current frame, a frame list or an animation range, to PNG files"""

    bl_idname = "smplx_fusion.render"
    bl_label = "Render Shots"
    bl_options = {"REGISTER", "UNDO"}

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
        arm = avatar_of(context.active_object) or next(
            (ob for ob in scene.objects if ob.type == "ARMATURE" and "smplx_fusion_source" in ob), None)
        overlay_path = self.overlay_path
        if self.overlay == "FOOTAGE" and not overlay_path and not _uses_plate(scene) and arm is not None \
                and hasattr(arm, "smplx_fusion_camera"):
            overlay_path = arm.smplx_fusion_camera.footage
        return ShotRequest(frames=frames, out_dir=Path(bpy.path.abspath(self.output_dir)), name=self.name,
                           preset=self.preset, device=self.device, samples=self.samples,
                           percentage=self.percentage, overlay=self.overlay,
                           overlay_path=bpy.path.abspath(overlay_path) if overlay_path else "",
                           footage_first_frame=int(arm.get("smplx_fusion_footage_first_frame", 1))
                           if arm is not None else 1, overwrite=self.overwrite)

    def execute(self, context: bpy.types.Context) -> set[str]:
        snapshot = scene_snapshot.take_snapshot(context.scene)
        progress = WindowProgress(context, "render")
        try:
            written = render_shots(context.scene, self._request(context), progress,
                                   notify=lambda m: self.report({"INFO"}, m))
        except Exception as exc:  # FusionError: bad input; anything else: a bug of ours. Either way: undo it all.
            return _fail(self, snapshot, exc, "rendering")
        finally:
            progress.end()
        for path in written:
            print(f"[smplx_fusion] wrote {path}", flush=True)
        folder = written[0].parent if written else ""
        self.report({"INFO"}, f"Rendered {len(written)} shot(s) to {folder}: "
                              + ", ".join(p.name for p in written[:5]) + (" ..." if len(written) > 5 else ""))
        return {"FINISHED"}


def _avatar_or_report(operator: bpy.types.Operator, context: bpy.types.Context) -> Optional[bpy.types.Object]:
    mesh = avatar_mesh(context.active_object)
    if mesh is None:
        operator.report({"ERROR"}, "select an imported SMPL-X avatar (its armature, mesh or camera) first")
    return mesh


class SMPLX_FUSION_OT_apply_materials(bpy.types.Operator):
    """Give the avatar a subsurface skin (procedural, or a UV texture) and separate eye materials"""

    bl_idname = "smplx_fusion.apply_materials"
    bl_label = "Apply Skin and Eye Materials"
    bl_options = {"REGISTER", "UNDO"}

    skin_texture: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Skin texture", subtype="FILE_PATH", default="",
        description="An albedo image on the SMPL-X UV layout (e.g. the official SMPL-X texture); empty: "
                    "procedural skin")

    def execute(self, context: bpy.types.Context) -> set[str]:
        mesh = _avatar_or_report(self, context)
        if mesh is None:
            return {"CANCELLED"}
        snapshot = scene_snapshot.take_snapshot(context.scene)
        me = mesh.data
        saved_slots = list(me.materials)
        saved_indices = np.empty(len(me.polygons), dtype=np.int32)
        me.polygons.foreach_get("material_index", saved_indices)
        saved_uv = {layer.name for layer in me.uv_layers}
        had_angles = materials.EYE_ANGLE_ATTRIBUTE in me.attributes
        try:
            result = materials.apply_materials(mesh, self.skin_texture or None)
        except Exception as exc:
            me.materials.clear()
            for mat in saved_slots:
                me.materials.append(mat)
            me.polygons.foreach_set("material_index", saved_indices)
            for layer in [layer for layer in me.uv_layers if layer.name not in saved_uv]:
                me.uv_layers.remove(layer)
            if not had_angles and materials.EYE_ANGLE_ATTRIBUTE in me.attributes:
                me.attributes.remove(me.attributes[materials.EYE_ANGLE_ATTRIBUTE])
            return _fail(self, snapshot, exc, "applying materials")
        self.report({"INFO"}, f"Skin ({'texture ' + result.texture.name if result.texture else 'procedural'}) "
                              f"and eyes ({int(result.eye_faces.sum())} faces) on '{mesh.name}'")
        return {"FINISHED"}


class SMPLX_FUSION_OT_apply_lighting(bpy.types.Operator):
    """Light the avatar with a preset (replacing the previous preset's lights, floor and world)"""

    bl_idname = "smplx_fusion.apply_lighting"
    bl_label = "Apply Lighting"
    bl_options = {"REGISTER", "UNDO"}

    preset: bpy.props.EnumProperty(name="Lighting", items=lighting.PRESETS,  # type: ignore[valid-type]
                                   default="STUDIO")
    hdri: bpy.props.StringProperty(name="HDRI", default="studio",  # type: ignore[valid-type]
                                   description="One of Blender's studio HDRIs (city, courtyard, forest, "
                                               "interior, night, studio, sunrise, sunset)")
    hdri_rotation: bpy.props.FloatProperty(name="Rotation", default=0.0,  # type: ignore[valid-type]
                                           subtype="ANGLE")
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0,  # type: ignore[valid-type]
                                      soft_max=10.0)

    def execute(self, context: bpy.types.Context) -> set[str]:
        mesh = _avatar_or_report(self, context)
        if mesh is None:
            return {"CANCELLED"}
        scene = context.scene
        snapshot = scene_snapshot.take_snapshot(scene)
        world = scene.world
        try:
            result = lighting.apply_lighting(scene, mesh, self.preset, self.hdri, self.hdri_rotation,
                                             self.strength)
        except Exception as exc:
            scene.world = world if world is not None and world.name in bpy.data.worlds else None
            return _fail(self, snapshot, exc, "lighting")
        self.report({"INFO"}, f"Lighting: {self.preset.lower()} ({len(result.objects)} object(s), "
                              f"world '{result.world.name}')")
        return {"FINISHED"}


class SMPLX_FUSION_OT_apply_render_preset(bpy.types.Operator):
    """Set the scene's render settings from a preset (EEVEE preview, or Cycles final on CPU or GPU)"""

    bl_idname = "smplx_fusion.apply_render_preset"
    bl_label = "Apply Render Preset"
    bl_options = {"REGISTER", "UNDO"}

    preset: bpy.props.EnumProperty(name="Preset", items=render_presets.PRESETS,  # type: ignore[valid-type]
                                   default="CYCLES_FINAL")
    device: bpy.props.EnumProperty(name="Device", items=render_presets.DEVICES,  # type: ignore[valid-type]
                                   default="CPU")
    samples: bpy.props.IntProperty(name="Samples", default=0, min=0)  # type: ignore[valid-type]
    percentage: bpy.props.IntProperty(name="Resolution %", default=0, min=0, max=100)  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        saved = render_presets.capture_render_settings(scene)
        try:
            messages = render_presets.apply_render_preset(scene, self.preset, self.device, self.samples,
                                                          self.percentage)
        except Exception as exc:
            render_presets.restore_render_settings(scene, saved)
            self.report({"ERROR"}, f"render preset failed ({type(exc).__name__}: {exc})")
            return {"CANCELLED"}
        for message in messages:
            self.report({"WARNING"} if "CPU" in message and self.device == "GPU" else {"INFO"}, message)
        self.report({"INFO"}, f"Render preset: {self.preset.lower()} ({scene.render.engine})")
        return {"FINISHED"}


CLASSES = (SMPLX_FUSION_OT_render, SMPLX_FUSION_OT_apply_materials, SMPLX_FUSION_OT_apply_lighting,
           SMPLX_FUSION_OT_apply_render_preset)
