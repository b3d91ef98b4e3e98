"""The Camera panel of the SMPL-X sidebar: focal override, scale, depth offset, re-fit, lock to footage, the
background plate, and the reprojection error per frame (a value and a small plot).

- **Re-fit** runs the camera fit (torch) on the avatar's fused file: in-process when torch imports here, otherwise
  ``python -m core fit-camera`` in a subprocess with the interpreter of the add-on preferences
  (``core_subprocess``). The fitted file is written next to the source under a new name (never overwriting), and
  the scene follows it: the camera's intrinsics (keyed only if they vary) and the root bone's translation curves.
- **Scale** and **Depth offset** move the avatar relative to the camera. With **Lock to footage** on (default),
  both act as a uniform scale about the camera centre, which keeps every point on its pixel (a depth offset becomes
  the scale that moves the mean depth by that much), and the camera's transform is locked; off, the depth offset
  slides the avatar along the view axis and the camera is free.
- The reprojection error of the fit is keyed on the camera object (its curve shows in the Graph Editor); the panel
  shows the value at the current frame and a small plot of the frames around it.

Every operator is ``{'REGISTER', 'UNDO'}`` and atomic: on failure the scene is exactly as before.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Optional

import bpy
import numpy as np
from bpy_extras import anim_utils
from mathutils import Matrix, Vector

from . import camera_builder, plate, scene_snapshot
from .core.body_model import load_body_model
from .core.errors import FusionError
from .core.fused_file import read_fused
from .core.skeleton import JOINT_NAMES
from .core_subprocess import run_core, core_interpreter as find_interpreter
from .pose_channels import compute_pose_channels
from .preferences import get_preferences

FIRST_FRAME = 1
_SPARK = " ▁▂▃▄▅▆▇█"
_PLOT_FRAMES = 41


# --------------------------------------------------------------------------------------------------- helpers

def avatar_of(obj: Optional[bpy.types.Object]) -> Optional[bpy.types.Object]:
    """The imported avatar's armature for the active object (the armature itself, its mesh, or its camera)."""
    if obj is not None and obj.type == "CAMERA":
        for ob in bpy.data.objects:
            if ob.type == "ARMATURE" and ob.get("smplx_fusion_camera") == obj.name:
                return ob
    while obj is not None and "smplx_fusion_source" not in obj:
        obj = obj.parent
    if obj is not None and obj.type != "ARMATURE" and obj.parent is not None:
        obj = obj.parent
    return obj if obj is not None and obj.type == "ARMATURE" else None


def camera_of(arm: bpy.types.Object) -> Optional[bpy.types.Object]:
    name = arm.get("smplx_fusion_camera")
    cam = bpy.data.objects.get(name) if name else None
    return cam if cam is not None and cam.type == "CAMERA" else None


def _unique_output(source: Path) -> Path:
    """``<stem>.camera.fused.npz`` next to ``source``, numbered when taken: a user's file is never overwritten."""
    stem = source.name.removesuffix(".npz").removesuffix(".fused")
    n = 0
    while True:
        candidate = source.with_name(f"{stem}.camera{'' if n == 0 else f'.{n}'}.fused.npz")
        if not candidate.exists():
            return candidate
        n += 1


def _root_location_curves(arm: bpy.types.Object) -> list:
    """The pelvis bone's three location F-curves (x, y, z) in the armature's action."""
    adt = arm.animation_data
    if adt is None or adt.action is None:
        raise FusionError("the avatar has no animation to update", field="animation")
    bag = anim_utils.action_get_channelbag_for_slot(adt.action, adt.action_slot)
    path = f'pose.bones["{JOINT_NAMES[0]}"].location'
    curves = {fc.array_index: fc for fc in bag.fcurves if fc.data_path == path}
    if sorted(curves) != [0, 1, 2]:
        raise FusionError("the avatar's root translation curves are missing", field="pose.bones.pelvis.location")
    return [curves[i] for i in range(3)]


def _curve_points(fc: bpy.types.FCurve) -> np.ndarray:
    co = np.empty(len(fc.keyframe_points) * 2, dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def _set_curve_points(fc: bpy.types.FCurve, co: np.ndarray) -> None:
    fc.keyframe_points.foreach_set("co", np.ascontiguousarray(co, dtype=np.float32).ravel())
    fc.update()


def reprojection_values(cam_obj: bpy.types.Object) -> Optional[np.ndarray]:
    """(T,) per-frame reprojection error (pixels, NaN where unknown) the camera carries, or None."""
    values = cam_obj.get(camera_builder.REPROJ_PROPERTY + "_frames")
    if values is None:
        return None
    arr = np.array(values, dtype=np.float64)
    return np.where(arr < 0, np.nan, arr)


def sparkline(values: np.ndarray, centre: int, width: int = _PLOT_FRAMES) -> tuple[str, int, float]:
    """A text plot of ``values`` around index ``centre``: (bars, first index shown, full-scale value)."""
    n = values.shape[0]
    first = int(np.clip(centre - width // 2, 0, max(n - width, 0)))
    window = values[first:first + width]
    top = float(np.nanmax(window)) if np.isfinite(window).any() else 0.0
    levels = len(_SPARK) - 1
    bars = "".join(" " if not np.isfinite(v) else _SPARK[int(round(v / top * levels)) if top > 0 else 0]
                   for v in window)
    return bars, first, top


# --------------------------------------------------------------------------------------------------- adjustments

def apply_adjustments(arm: bpy.types.Object) -> None:
    """Place the avatar relative to its camera from the panel's scale / depth offset / lock settings."""
    props = arm.smplx_fusion_camera
    cam = camera_of(arm)
    centre = cam.matrix_world.translation.copy() if cam is not None else Vector((0.0, 0.0, 0.0))
    forward = (cam.matrix_world.to_3x3() @ Vector((0.0, 0.0, -1.0))).normalized() if cam is not None \
        else Vector((0.0, 1.0, 0.0))
    mean_depth = max(float(arm.get("smplx_fusion_mean_depth", 1.0)), 1e-3)
    if props.lock_to_footage:
        scale = props.scale * (mean_depth + props.depth_offset) / mean_depth
        shift = Vector((0.0, 0.0, 0.0))
    else:
        scale = props.scale
        shift = forward * props.depth_offset
    scale = max(scale, 1e-4)
    # the adjustment is a similarity about the camera centre in the world, applied to the rig's own placement (its
    # take root's after a world-aligned import, else the identity)
    base = arm.parent.matrix_world @ arm.matrix_parent_inverse if arm.parent is not None else Matrix.Identity(4)
    arm.matrix_world = (Matrix.Translation(centre + shift) @ Matrix.Scale(scale, 4) @ Matrix.Translation(-centre)
                        @ base)
    if cam is not None:
        camera_builder.lock_transform(cam, props.lock_to_footage)


def _on_adjust(self: Any, context: bpy.types.Context) -> None:
    apply_adjustments(self.id_data)


class SMPLXFusionCameraProps(bpy.types.PropertyGroup):
    """Per-avatar camera settings (on the armature object)."""

    focal_override_px: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Focal override (px)", default=0.0, min=0.0, soft_max=50000.0,
        description="Focal length in pixels for Re-fit; 0 fits it (or takes the footage metadata's)")
    footage: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Footage", subtype="FILE_PATH", default="",
        description="The footage: a frames folder (with an optional footage.json), an image or a video")
    scale: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Scale", default=1.0, min=0.01, max=100.0, update=_on_adjust,
        description="Scale of the avatar about the camera centre (keeps it on the footage)")
    depth_offset: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Depth offset", default=0.0, soft_min=-20.0, soft_max=20.0, unit="LENGTH", update=_on_adjust,
        description="Move the avatar away from (+) or towards (-) the camera")
    lock_to_footage: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Lock to footage", default=True, update=_on_adjust,
        description="Adjustments keep the avatar on its pixels, and the camera's transform is locked")


# --------------------------------------------------------------------------------------------------- operators

def _active_avatar(operator: bpy.types.Operator, context: bpy.types.Context) -> Optional[bpy.types.Object]:
    arm = avatar_of(context.active_object)
    if arm is None:
        operator.report({"ERROR"}, "select an imported SMPL-X avatar (its armature, mesh or camera) first")
    return arm


def _bone_rest_rotations(arm: bpy.types.Object) -> np.ndarray:
    return np.stack([np.array(arm.data.bones[name].matrix_local)[:3, :3] for name in JOINT_NAMES])


def _fit_file(source: Path, out: Path, model_path: str, focal_px: float, footage: str, mode: str,
              prefs: Any) -> None:
    """Write the fitted file ``out`` (in-process with torch, else in a subprocess)."""
    in_process = mode == "IN_PROCESS" or (mode == "AUTO" and importlib.util.find_spec("torch") is not None)
    if in_process:
        from .core.camera.fit_fused import FitRequest, fit_fused_file

        fit_fused_file(FitRequest(fused=str(source), out=str(out), from_provenance=True, model=model_path,
                                  focal_px=focal_px if focal_px > 0 else None, footage=footage or None))
        return
    args = ["fit-camera", str(source), "--from-provenance", "--model", model_path, "--out", str(out), "--quiet"]
    if focal_px > 0:
        args += ["--focal", repr(float(focal_px))]
    if footage:
        args += ["--footage", footage]
    interpreter = find_interpreter(prefs.python_path if prefs is not None else "")
    run_core(args, interpreter, on_line=lambda line: print(f"[smplx_fusion] {line}", file=sys.stderr, flush=True))


class SMPLX_FUSION_OT_camera_refit(bpy.types.Operator):
    """Fit one camera (focal, per-frame translations) to the avatar's estimator evidence and update the scene"""

    bl_idname = "smplx_fusion.camera_refit"
    bl_label = "Re-fit Camera"
    bl_options = {"REGISTER", "UNDO"}

    mode: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Run", default="AUTO", options={"HIDDEN"},
        items=(("AUTO", "Auto", "In Blender when torch imports here, else in a subprocess"),
               ("IN_PROCESS", "In Blender", "Run the torch fit in this process"),
               ("SUBPROCESS", "Subprocess", "Run python -m core fit-camera with the configured interpreter")))

    def execute(self, context: bpy.types.Context) -> set[str]:
        arm = _active_avatar(self, context)
        if arm is None:
            return {"CANCELLED"}
        cam = camera_of(arm)
        if cam is None:
            self.report({"ERROR"}, f"the avatar '{arm.name}' has no camera (import it again)")
            return {"CANCELLED"}
        props = arm.smplx_fusion_camera
        source = Path(arm["smplx_fusion_source"])
        snapshot = scene_snapshot.take_snapshot(context.scene)
        saved: dict[str, Any] = {}
        try:
            out = _unique_output(source)
            footage = bpy.path.abspath(props.footage) if props.footage else ""
            _fit_file(source, out, str(arm.get("smplx_fusion_model", "builtin")), props.focal_override_px, footage,
                      self.mode, get_preferences(context))
            seq = read_fused(out)
            model = load_body_model(arm["smplx_fusion_model"], seq.gender)
            n_betas = min(seq.betas.shape[0], model.num_betas)
            n_expr = min(seq.expression.shape[1], model.num_expression)
            seq.betas, seq.expression = seq.betas[:n_betas], seq.expression[:, :n_expr]
            channels = compute_pose_channels(seq, model, model.rest_joints(seq.betas), _bone_rest_rotations(arm))
            curves = _root_location_curves(arm)
            if len(curves[0].keyframe_points) != seq.num_frames:
                raise FusionError(f"the fitted file has {seq.num_frames} frames, the avatar "
                                  f"{len(curves[0].keyframe_points)}", path=out, field="transl")
            # everything is computed: now change the scene, remembering what was there
            saved["curves"] = [_curve_points(fc) for fc in curves]
            saved["camera"] = {k: getattr(cam.data, k) for k in ("lens", "shift_x", "shift_y", "sensor_fit",
                                                                  "sensor_width", "sensor_height")}
            saved["camera_action"] = cam.data.animation_data.action if cam.data.animation_data else None
            saved["reproj_action"] = cam.animation_data.action if cam.animation_data else None
            saved["props"] = {k: arm.get(k) for k in ("smplx_fusion_source", "smplx_fusion_mean_depth")}
            for k, fc in enumerate(curves):
                co = saved["curves"][k].copy()
                co[:, 1] = channels.location[:, 0, k]
                _set_curve_points(fc, co)
            camera_builder.update_camera(cam, seq.camera_K, seq.image_size, context.scene, FIRST_FRAME)
            camera_builder.set_reprojection_curve(cam, seq.extras.get("camera_reproj_px_after"), FIRST_FRAME)
            arm["smplx_fusion_source"] = str(out.resolve())
            arm["smplx_fusion_mean_depth"] = float(np.median(seq.transl[:, 2]))
            apply_adjustments(arm)
        except Exception as exc:  # FusionError: bad input; anything else: a bug of ours. Either way: undo it all.
            _restore(arm, cam, saved)
            scene_snapshot.roll_back(snapshot)
            message = str(exc) if isinstance(exc, FusionError) else \
                f"camera re-fit failed unexpectedly ({type(exc).__name__}: {exc})"
            self.report({"ERROR"}, message)
            return {"CANCELLED"}
        self.report({"INFO"}, f"One camera: focal {seq.camera_K_per_frame()[0, 0, 0]:.1f} px; fitted file {out}")
        return {"FINISHED"}


def _restore(arm: bpy.types.Object, cam: bpy.types.Object, saved: dict) -> None:
    """Put back what a failed re-fit changed (new data-blocks are removed by the snapshot roll-back)."""
    if "curves" in saved:
        for fc, co in zip(_root_location_curves(arm), saved["curves"]):
            _set_curve_points(fc, co)
    if "camera" in saved:
        for key, value in saved["camera"].items():
            setattr(cam.data, key, value)
        if cam.data.animation_data is not None or saved["camera_action"] is not None:
            (cam.data.animation_data or cam.data.animation_data_create()).action = saved["camera_action"]
        if cam.animation_data is not None or saved["reproj_action"] is not None:
            (cam.animation_data or cam.animation_data_create()).action = saved["reproj_action"]
    for key, value in saved.get("props", {}).items():
        if value is not None:
            arm[key] = value


class SMPLX_FUSION_OT_camera_set_plate(bpy.types.Operator):
    """Use the footage as the camera's background and as the render's composited plate"""

    bl_idname = "smplx_fusion.camera_set_plate"
    bl_label = "Set Background Plate"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Footage", subtype="FILE_PATH", default="",
        description="Frames folder, image or video; empty uses the panel's footage")
    composite: bpy.props.BoolProperty(name="Composite renders over it", default=True)  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[str]:
        arm = _active_avatar(self, context)
        if arm is None:
            return {"CANCELLED"}
        cam = camera_of(arm)
        path = self.filepath or arm.smplx_fusion_camera.footage
        if cam is None or not path:
            self.report({"ERROR"}, "the avatar needs a camera, and a footage path (panel or operator)")
            return {"CANCELLED"}
        scene = context.scene
        snapshot = scene_snapshot.take_snapshot(scene)
        saved = {"group": scene.compositing_node_group, "film": scene.render.film_transparent,
                 "view": scene.view_settings.view_transform, "show": cam.data.show_background_images,
                 "backgrounds": len(cam.data.background_images), "compositing": scene.render.use_compositing}
        try:
            footage = plate.set_plate(scene, cam, path, first_frame=scene.frame_start,
                                      footage_first_frame=int(arm.get("smplx_fusion_footage_first_frame", 1)),
                                      composite=self.composite)
        except Exception as exc:
            while len(cam.data.background_images) > saved["backgrounds"]:
                cam.data.background_images.remove(cam.data.background_images[-1])
            scene.compositing_node_group = saved["group"]
            scene.render.film_transparent = saved["film"]
            scene.view_settings.view_transform = saved["view"]
            scene.render.use_compositing = saved["compositing"]
            cam.data.show_background_images = saved["show"]
            scene_snapshot.roll_back(snapshot)
            message = str(exc) if isinstance(exc, FusionError) else \
                f"setting the plate failed unexpectedly ({type(exc).__name__}: {exc})"
            self.report({"ERROR"}, message)
            return {"CANCELLED"}
        arm.smplx_fusion_camera.footage = path
        self.report({"INFO"}, f"Plate: {footage.kind}, {footage.frame_count} frame(s)")
        return {"FINISHED"}


# --------------------------------------------------------------------------------------------------- panel

class SMPLX_FUSION_PT_camera(bpy.types.Panel):
    bl_label = "Camera"
    bl_idname = "SMPLX_FUSION_PT_camera"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SMPL-X"
    bl_parent_id = "SMPLX_FUSION_PT_main"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        arm = avatar_of(context.active_object)
        if arm is None:
            layout.label(text="Select an imported avatar")
            return
        cam = camera_of(arm)
        props = arm.smplx_fusion_camera
        if cam is not None:
            w = context.scene.render.resolution_x
            focal_px = cam.data.lens / cam.data.sensor_width * w if cam.data.sensor_fit == "HORIZONTAL" else \
                cam.data.lens / cam.data.sensor_height * context.scene.render.resolution_y
            keyed = cam.data.animation_data is not None and cam.data.animation_data.action is not None
            layout.label(text=f"{cam.name}: {cam.data.lens:.1f} mm ({focal_px:.0f} px)"
                              + (", keyed per frame" if keyed else ""), icon="CAMERA_DATA")
        col = layout.column(align=True)
        col.prop(props, "focal_override_px")
        col.prop(props, "footage")
        row = layout.row(align=True)
        row.operator(SMPLX_FUSION_OT_camera_refit.bl_idname, icon="FILE_REFRESH")
        row.operator(SMPLX_FUSION_OT_camera_set_plate.bl_idname, icon="IMAGE_BACKGROUND")
        col = layout.column(align=True)
        col.prop(props, "scale")
        col.prop(props, "depth_offset")
        col.prop(props, "lock_to_footage")
        values = reprojection_values(cam) if cam is not None else None
        box = layout.box()
        if values is None:
            box.label(text="No reprojection error yet (Re-fit)", icon="INFO")
            return
        index = int(np.clip(context.scene.frame_current - FIRST_FRAME, 0, values.shape[0] - 1))
        current = values[index]
        box.label(text=f"Reprojection, frame {context.scene.frame_current}: "
                       + ("n/a" if not np.isfinite(current) else f"{current:.2f} px"))
        finite = values[np.isfinite(values)]
        if finite.size:
            box.label(text=f"mean {finite.mean():.2f} px, 95% {np.percentile(finite, 95):.2f} px, "
                           f"max {finite.max():.2f} px")
        bars, first, top = sparkline(values, index)
        box.label(text=bars)
        box.label(text=f"frames {first + FIRST_FRAME}-{first + FIRST_FRAME + len(bars) - 1}, top {top:.1f} px")


CLASSES = (SMPLXFusionCameraProps, SMPLX_FUSION_OT_camera_refit, SMPLX_FUSION_OT_camera_set_plate,
           SMPLX_FUSION_PT_camera)


def register_extra() -> None:
    bpy.types.Object.smplx_fusion_camera = bpy.props.PointerProperty(type=SMPLXFusionCameraProps)


def unregister_extra() -> None:
    del bpy.types.Object.smplx_fusion_camera
