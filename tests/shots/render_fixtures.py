"""Fixtures of the shot tests (materials, lighting, render presets, rendering): an imported avatar in a small scene.

Import them into a test module with ``from .render_fixtures import avatar, no_correctives  # noqa: F401``.
Renders are tiny (64 x 48, a few samples, Cycles on the CPU) to keep the tests fast.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence

RENDER_W, RENDER_H = 64, 48


@dataclass
class Avatar:
    bpy: Any
    armature: Any
    mesh: Any
    camera: Any
    fused: Path
    model: Path


@pytest.fixture
def no_correctives(monkeypatch):
    """No pose-corrective shape keys: the shot tests are about looks, and the SVD costs seconds per import."""
    from blender_addon.importing import importer

    monkeypatch.setattr(importer, "corrective_basis", lambda model, mode: None)


@pytest.fixture
def avatar(blender, no_correctives, tmp_path, model_path) -> Avatar:
    """A 6-frame take of the mannequin imported into an empty scene, rendering at 64 x 48 from its camera."""
    bpy = blender
    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=6))
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model_path)) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    mesh = next(ob for ob in arm.children if ob.type == "MESH")
    camera = bpy.data.objects[arm["smplx_fusion_camera"]]
    scene = bpy.context.scene
    scene.camera = camera
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = \
        RENDER_W, RENDER_H, 100
    return Avatar(bpy=bpy, armature=arm, mesh=mesh, camera=camera, fused=fused, model=model_path)


def write_png(bpy: Any, path: Path, rgba: tuple[float, float, float, float], size: tuple[int, int] = (32, 24)) -> Path:
    """A solid-colour PNG (e.g. a footage plate or a skin texture)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = bpy.data.images.new(path.stem, size[0], size[1], alpha=True)
    image.pixels.foreach_set(np.tile(np.asarray(rgba, dtype=np.float32), size[0] * size[1]))
    image.filepath_raw, image.file_format = str(path), "PNG"
    image.save()
    bpy.data.images.remove(image)
    return path


def read_png(bpy: Any, path: Path) -> np.ndarray:
    """(H, W, 4) float32 pixels of a PNG, top row first."""
    image = bpy.data.images.load(str(path), check_existing=False)
    try:
        w, h = image.size
        pixels = np.empty(w * h * 4, dtype=np.float32)
        image.pixels.foreach_get(pixels)
    finally:
        bpy.data.images.remove(image)
    return pixels.reshape(h, w, 4)[::-1]


def render_state(bpy: Any) -> dict:
    """The render settings a shot operator may touch (node groups by name)."""
    from blender_addon.shots.render_presets import capture_render_settings

    saved = capture_render_settings(bpy.context.scene)
    group = saved.pop("compositing_node_group")
    saved["compositing_node_group"] = group.name if group is not None else None
    return saved


def mesh_look(mesh: Any) -> tuple:
    """The mesh's material slots (names), face material indices and UV maps."""
    indices = np.empty(len(mesh.data.polygons), dtype=np.int32)
    mesh.data.polygons.foreach_get("material_index", indices)
    return (tuple(m.name if m else None for m in mesh.data.materials), indices.tobytes(),
            tuple(layer.name for layer in mesh.data.uv_layers))
