"""The demo path end to end (small render): fused file -> operator import -> Cycles PNG -> .blend."""
from __future__ import annotations

import numpy as np

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence


def test_demo_renders_the_avatar(blender, tmp_path, model_path):
    bpy = blender
    from blender_addon.headless import run_demo

    fused = write_fused(tmp_path / "demo.fused.npz", make_demo_sequence(num_frames=12))
    png, blend = run_demo(fused, model_path, tmp_path, resolution_percentage=15, samples=4)
    assert png.is_file() and blend.is_file()
    image = bpy.data.images.load(str(png))
    w, h = image.size
    assert (w, h) == (96, 72)
    pixels = np.array(image.pixels[:], dtype=np.float32).reshape(h, w, 4)[..., :3]
    # the edge column holds only sky and floor; where the centre columns differ from it, the figure stands
    centre = pixels[:, w // 2 - 3: w // 2 + 4]
    differs = np.abs(centre - pixels[:, :1]).sum(axis=2).max(axis=1) > 0.15
    assert differs.mean() > 0.25, f"no figure in the image centre ({differs.mean():.2f} of rows)"
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    assert any(ob.type == "ARMATURE" for ob in bpy.data.objects)
    assert bpy.context.scene.camera is not None
