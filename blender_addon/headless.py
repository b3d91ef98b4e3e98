"""Headless runs with the bpy module: the demo (import a fused file, render a PNG, save a .blend)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional, Union

import bpy

from . import plate as plate_mod
from . import preview_stage


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

    With ``plate`` (the footage: a frames folder, a video or an image) the footage is the camera's background and
    the render is composited over it, the floor only catching the avatar's shadow.

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
    preview_stage.add_mannequin_material(mesh)
    preview_stage.add_preview_stage(scene, mesh, arm.users_collection[0], shadow_catcher=plate is not None)
    if plate is not None:
        camera = bpy.data.objects[arm["smplx_fusion_camera"]]
        scene.camera = camera
        footage = plate_mod.set_plate(scene, camera, str(plate), first_frame=scene.frame_start,
                                      footage_first_frame=int(arm.get("smplx_fusion_footage_first_frame", 1)))
        print(f"[demo] background plate: {footage.kind}, {footage.frame_count} frames from {plate}", file=sys.stderr)
    preview_stage.configure_cycles_cpu(scene, samples=samples, percentage=resolution_percentage)
    png = out_dir / "demo.png"
    scene.render.filepath = str(png)
    started = time.time()
    bpy.ops.render.render(write_still=True)
    print(f"[demo] rendered frame {scene.frame_current} in {time.time() - started:.1f} s", file=sys.stderr)
    blend = out_dir / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), check_existing=False)
    return png, blend
