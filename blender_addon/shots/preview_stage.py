"""A minimal preview look for renders: a matte mannequin material, a floor under the feet, a sun and a sky.

Over a background plate the floor becomes a Cycles shadow catcher: invisible itself, it darkens the plate where
the avatar's shadow falls (``common/plate.py`` composites the render over the footage).

(Full PBR skin, eyes and lighting presets belong to the shots work; this only makes the demo readable.)
"""
from __future__ import annotations

import bpy
import numpy as np

__all__ = ["add_mannequin_material", "evaluated_world_points", "add_floor", "add_preview_stage",
           "configure_cycles_cpu"]


def add_mannequin_material(mesh_obj: bpy.types.Object) -> bpy.types.Material:
    mat = bpy.data.materials.new(f"{mesh_obj.name}-mannequin")
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    bsdf.inputs["Base Color"].default_value = (0.78, 0.62, 0.46, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.55
    mesh_obj.data.materials.append(mat)
    return mat


def evaluated_world_points(mesh_obj: bpy.types.Object, depsgraph: bpy.types.Depsgraph) -> np.ndarray:
    """(V, 3) world-space vertices of the evaluated (posed) mesh."""
    evaluated = mesh_obj.evaluated_get(depsgraph)
    me = evaluated.to_mesh()
    try:
        co = np.empty(len(me.vertices) * 3, dtype=np.float32)
        me.vertices.foreach_get("co", co)
    finally:
        evaluated.to_mesh_clear()
    world = np.array(mesh_obj.matrix_world)
    return co.reshape(-1, 3) @ world[:3, :3].T + world[:3, 3]


def add_floor(mesh_obj: bpy.types.Object, collection: bpy.types.Collection, shadow_catcher: bool = False,
              color: tuple[float, float, float, float] = (0.35, 0.36, 0.38, 1.0)) -> bpy.types.Object:
    """A large floor plane at the lowest point of the posed mesh (at the current frame), linked to ``collection``.

    With ``shadow_catcher`` it is a Cycles shadow catcher: invisible itself, it keeps only the shadows it receives.
    """
    points = evaluated_world_points(mesh_obj, bpy.context.evaluated_depsgraph_get())
    floor_z = float(points[:, 2].min())
    me = bpy.data.meshes.new("floor")
    # reach well past the avatar, whose distance from the camera (at the origin) varies with the take
    s = 20.0 + 3.0 * float(np.linalg.norm(points.mean(axis=0)))
    me.from_pydata([(-s, -s, 0), (s, -s, 0), (s, s, 0), (-s, s, 0)], [], [(0, 1, 2, 3)])
    floor = bpy.data.objects.new("floor", me)
    floor.location = (0.0, 0.0, floor_z)
    mat = bpy.data.materials.new("floor")
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = color
    me.materials.append(mat)
    collection.objects.link(floor)
    floor.is_shadow_catcher = shadow_catcher
    return floor


def add_preview_stage(scene: bpy.types.Scene, mesh_obj: bpy.types.Object,
                      collection: bpy.types.Collection, shadow_catcher: bool = False) -> bpy.types.Object:
    """Floor plane at the feet, a sun light and a plain sky, all in ``collection``; returns the floor.

    With ``shadow_catcher`` the floor only catches the avatar's shadow (for a render over a plate).
    """
    floor = add_floor(mesh_obj, collection, shadow_catcher)

    sun_data = bpy.data.lights.new("sun", type="SUN")
    sun_data.energy = 3.0
    sun_data.angle = 0.2
    sun = bpy.data.objects.new("sun", sun_data)
    sun.rotation_euler = (0.9, 0.25, -0.6)
    collection.objects.link(sun)

    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    background = world.node_tree.nodes.get("Background")
    background.inputs["Color"].default_value = (0.55, 0.62, 0.72, 1.0)
    background.inputs["Strength"].default_value = 0.8
    return floor


def configure_cycles_cpu(scene: bpy.types.Scene, samples: int = 32, percentage: int = 50) -> None:
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = True
    scene.render.resolution_percentage = percentage
    scene.render.image_settings.file_format = "PNG"
