"""Headless runs with the bpy module: the demo (import a fused file, render a PNG, save a .blend)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional, Union

import bpy

from .common import plate as plate_mod
from .common.avatar import body_mesh_of, is_avatar
from .shots import lighting, materials, render_presets

__all__ = ["run_demo", "render_headless"]


def _register_once() -> None:
    try:
        bpy.ops.smplx_fusion.import_fused.get_rna_type()
    except (AttributeError, KeyError):
        from . import register

        register()


def run_demo(fused_path: Union[str, Path], model_path: Union[str, Path], out_dir: Union[str, Path],
             frame_fraction: float = 0.3, resolution_percentage: int = 50, samples: int = 32,
             plate: Optional[Union[str, Path]] = None) -> tuple[Path, Path]:
    """Import ``fused_path`` through the extension's operator, render one frame with Cycles, save the .blend.

    The avatar gets the skin and eye materials and, with ``plate`` (the footage: a frames folder, a video or an
    image), the footage-matched lighting: the footage is the camera's background and the render is composited over
    it, a shadow-catcher floor keeping only the avatar's shadow. Without a plate: the studio three-point lighting.

    Returns (png path, blend path).
    """
    out_dir = Path(out_dir)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    _register_once()
    started = time.time()
    result = bpy.ops.smplx_fusion.import_fused(filepath=str(fused_path), model_path=str(model_path))
    if result != {"FINISHED"}:
        raise RuntimeError(f"import failed: {result}")
    print(f"[demo] imported in {time.time() - started:.2f} s", file=sys.stderr)
    scene = bpy.context.scene
    arm = bpy.context.view_layer.objects.active
    mesh = next(ob for ob in arm.children if ob.type == "MESH")
    scene.frame_set(scene.frame_start + int(frame_fraction * (scene.frame_end - scene.frame_start)))
    camera = bpy.data.objects[arm["smplx_fusion_camera"]]
    scene.camera = camera
    materials.apply_materials(mesh)
    if plate is not None:
        footage = plate_mod.set_plate(scene, camera, str(plate), first_frame=scene.frame_start,
                                      footage_first_frame=int(arm.get("smplx_fusion_footage_first_frame", 1)))
        print(f"[demo] background plate: {footage.kind}, {footage.frame_count} frames from {plate}", file=sys.stderr)
    lighting.apply_lighting(scene, mesh, "FOOTAGE" if plate is not None else "STUDIO")
    render_presets.apply_render_preset(scene, "CYCLES_FINAL", "CPU", samples=samples,
                                       percentage=resolution_percentage)
    png = out_dir / "demo.png"
    scene.render.filepath = str(png)
    started = time.time()
    bpy.ops.render.render(write_still=True)
    print(f"[demo] rendered frame {scene.frame_current} in {time.time() - started:.1f} s", file=sys.stderr)
    blend = out_dir / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), check_existing=False)
    return png, blend


def _avatar_parts(scene: bpy.types.Scene) -> tuple[Optional[bpy.types.Object], Optional[bpy.types.Object]]:
    """(armature, body mesh) of the first imported avatar in ``scene``, or Nones."""
    arm = next((ob for ob in scene.objects if is_avatar(ob)), None)
    return arm, body_mesh_of(arm) if arm is not None else None


def render_headless(out_dir: Union[str, Path], fused: Optional[Union[str, Path]] = None, model: str = "builtin",
                    blend: Optional[Union[str, Path]] = None, frames: Optional[list[int]] = None,
                    frame_range: Optional[tuple[int, int]] = None, preset: str = "CYCLES_FINAL",
                    device: str = "CPU", lighting_preset: Optional[str] = None, hdri: str = "studio",
                    skin_texture: Optional[str] = None, overlay: Optional[Union[str, Path]] = None,
                    percentage: int = 0, samples: int = 0, name: str = "shot",
                    overwrite: bool = False) -> list[Path]:
    """Render stills (``frames``) or a range (``frame_range``, inclusive) of a fused file or a .blend to PNGs.

    A fused file is imported into an empty scene and gets the skin and eye materials (``skin_texture`` on the
    model's UV layout if given) and ``lighting_preset`` (default: FOOTAGE with an ``overlay``, else STUDIO). A
    .blend renders as saved, with materials / lighting only where asked. ``overlay`` (footage: a frames folder, a
    video or an image) becomes the camera's plate and the render is composited over it. Without frames, the
    scene's current frame renders. Raises FusionError on bad input (exit code 2 on the command line).
    """
    from .core.errors import FusionError
    from .importing.importer import import_fused_file
    from .preferences import builtin_model_cache_dir
    from .shots.render import ShotRequest, render_shots
    from .shots.shot_plan import frames_for

    if (fused is None) == (blend is None):
        raise FusionError("give either a fused file or a .blend", field="--fused/--blend")
    if blend is not None:
        if not Path(blend).is_file():
            raise FusionError("file not found", path=blend, field="--blend")
        try:
            bpy.ops.wm.open_mainfile(filepath=str(blend), load_ui=False)
        except RuntimeError as exc:
            raise FusionError(f"cannot open the .blend ({str(exc).splitlines()[0]})", path=blend,
                              field="--blend") from None
        _register_once()
        scene = bpy.context.scene
        arm, mesh = _avatar_parts(scene)
    else:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        _register_once()
        started = time.time()
        result = import_fused_file(bpy.context, str(fused), model, model_cache_dir=builtin_model_cache_dir())
        print(f"[render] imported {result.num_frames} frames in {time.time() - started:.2f} s", file=sys.stderr)
        scene = bpy.context.scene
        arm, mesh = result.armature, result.mesh
        scene.camera = result.camera
        lighting_preset = lighting_preset or ("FOOTAGE" if overlay is not None else "STUDIO")
        skin_texture = skin_texture or ""
    if mesh is None and (lighting_preset or skin_texture is not None):
        raise FusionError("the .blend has no imported SMPL-X avatar to light or dress", path=blend, field="objects")
    if overlay is not None:
        if scene.camera is None:
            raise FusionError("the scene has no camera for the footage plate", field="--overlay")
        first = int(arm.get("smplx_fusion_footage_first_frame", 1)) if arm is not None else 1
        plate_mod.set_plate(scene, scene.camera, str(overlay), first_frame=scene.frame_start,
                            footage_first_frame=first)
    if skin_texture is not None:
        materials.apply_materials(mesh, skin_texture or None)
    if lighting_preset:
        lighting.apply_lighting(scene, mesh, lighting_preset.upper(), hdri=hdri)
    if frames:
        shot_frames = frames_for("LIST", ",".join(str(f) for f in frames), 0, 0, scene.frame_current)
    elif frame_range is not None:
        shot_frames = frames_for("RANGE", "", frame_range[0], frame_range[1], scene.frame_current)
    else:
        shot_frames = [scene.frame_current]
    request = ShotRequest(frames=shot_frames, out_dir=Path(out_dir), name=name, preset=preset.upper(),
                          device=device.upper(), samples=samples, percentage=percentage,
                          overlay="FOOTAGE" if overlay is not None else "SCENE", overwrite=overwrite)

    def progress(step: int, total: int, message: str) -> None:
        print(f"[render] {step}/{total}: {message}", file=sys.stderr, flush=True)

    return render_shots(scene, request, progress, notify=lambda m: print(f"[render] {m}", file=sys.stderr))
