"""Lighting presets for shots of an avatar: studio three-point, HDRI world, footage-matched.

Each preset puts its lights (and floor) in one collection, ``SMPL-X Lighting``, and gives the scene a world of
its own; re-applying a preset (the same or another) removes the previous preset's collection, objects, light and
floor data and world first, so presets replace each other instead of piling up. Lights are placed around the
avatar as seen from the scene camera, sized and powered for its distance, so the look does not depend on where the
take put the avatar.

- ``STUDIO``: key (45 deg to the side, above), fill (opposite, a third of the key) and rim (behind) area lights, a
  grey floor, a dark neutral backdrop.
- ``HDRI``: one of the studio HDRIs Blender ships (``bpy.utils.system_resource('DATAFILES',
  path='studiolights/world')``: city, courtyard, forest, interior, night, studio, sunrise, sunset), rotatable.
- ``FOOTAGE``: for a render over the footage plate: one large, soft area light from above the camera and a little
  to the side, the world tinted with the plate's mean colour (ambient light matching the footage), and a
  shadow-catcher floor at the avatar's feet (``preview_stage.add_floor``), so only the avatar's shadow darkens the
  plate. Shadow catchers are Cycles-only: EEVEE renders the floor (BLENDER5_NOTES.md section 6). When the avatar
  has a ground plane object (``common.ground_object``, placed by *Detect Contacts* on the fitted ground), that is
  the shadow catcher and no floor is added.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import bpy
import numpy as np
from mathutils import Vector

from ..common import ground_object
from ..core.errors import FusionError
from . import preview_stage

__all__ = ["LIGHTING_TAG", "COLLECTION_NAME", "PRESETS", "Subject", "LightingResult", "hdri_folder", "hdri_names",
           "hdri_path", "subject_of", "clear_lighting", "plate_mean_color", "apply_lighting"]

LIGHTING_TAG = "smplx_fusion_lighting"
COLLECTION_NAME = "SMPL-X Lighting"
PRESETS = (("STUDIO", "Studio three-point", "Key, fill and rim area lights, a grey floor, a dark backdrop"),
           ("HDRI", "HDRI world", "One of Blender's studio HDRIs as the world light"),
           ("FOOTAGE", "Footage-matched", "Soft light, ambient tinted by the footage, shadow-catcher floor"))
#: Irradiance (W/m^2) each studio light gives the avatar's centre, and its size as a fraction of its distance.
_STUDIO_LIGHTS = (("key light", 3.2, 0.35), ("fill light", 1.0, 0.5), ("rim light", 2.6, 0.25))


@dataclass
class Subject:
    """Where the avatar is, as lights need it (world frame, metres).

    Attributes:
        centre: (3,) centre of the posed mesh's bounding box.
        height: its vertical extent.
        floor_z: its lowest point.
        to_camera: (3,) horizontal unit vector from the centre towards the camera.
        camera_distance: distance from the camera to the centre.
    """

    centre: np.ndarray
    height: float
    floor_z: float
    to_camera: np.ndarray
    camera_distance: float


@dataclass
class LightingResult:
    collection: bpy.types.Collection
    world: bpy.types.World
    objects: list = field(default_factory=list)


def hdri_folder() -> Path:
    """Blender's bundled studio HDRIs."""
    return Path(bpy.utils.system_resource("DATAFILES", path="studiolights/world"))


def hdri_names() -> list[str]:
    folder = hdri_folder()
    return sorted(p.stem for p in folder.glob("*.exr")) if folder.is_dir() else []


def hdri_path(name: str) -> Path:
    path = hdri_folder() / f"{name}.exr"
    if not path.is_file():
        raise FusionError(f"no such studio HDRI (have: {', '.join(hdri_names()) or 'none'})", path=path,
                          field="hdri")
    return path


def subject_of(scene: bpy.types.Scene, mesh_obj: bpy.types.Object) -> Subject:
    """The posed avatar at the current frame, seen from ``scene.camera`` (or from the front, -Y, without one)."""
    points = preview_stage.evaluated_world_points(mesh_obj, bpy.context.evaluated_depsgraph_get())
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2.0
    height = max(float(hi[2] - lo[2]), 0.1)
    if scene.camera is not None:
        offset = np.array(scene.camera.matrix_world.translation) - centre
    else:
        offset = np.array([0.0, -3.0 * height, 0.0])
    horizontal = np.array([offset[0], offset[1], 0.0])
    norm = np.linalg.norm(horizontal)
    to_camera = horizontal / norm if norm > 1e-6 else np.array([0.0, -1.0, 0.0])
    return Subject(centre=centre, height=height, floor_z=float(lo[2]), to_camera=to_camera,
                   camera_distance=float(max(np.linalg.norm(offset), height)))


def _remove_lighting(scene: bpy.types.Scene, collections: list, worlds: list) -> None:
    """Remove preset collections with their objects, their lights / floor meshes / floor materials, and worlds."""
    for coll in collections:
        datas = [ob.data for ob in coll.objects if ob.data is not None]
        mats = {m for d in datas if isinstance(d, bpy.types.Mesh) for m in d.materials if m is not None}
        bpy.data.batch_remove(list(coll.objects))
        bpy.data.batch_remove([d for d in datas if d.users == 0])
        bpy.data.batch_remove([m for m in mats if m.users == 0])
        bpy.data.collections.remove(coll)
    for world in worlds:
        if scene.world == world:
            scene.world = None
        if world.users == 0:
            bpy.data.worlds.remove(world)


def clear_lighting(scene: bpy.types.Scene) -> None:
    """Remove every preset's collection, objects, lights, floor and world."""
    _remove_lighting(scene, [c for c in bpy.data.collections if c.get(LIGHTING_TAG)],
                     [w for w in bpy.data.worlds if w.get(LIGHTING_TAG)])


def _aim(ob: bpy.types.Object, target: np.ndarray) -> None:
    """Point the light's -Z axis at ``target``."""
    direction = Vector(target) - ob.location
    ob.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def _area_light(collection: bpy.types.Collection, name: str, position: np.ndarray, target: np.ndarray,
                irradiance: float, size_fraction: float) -> bpy.types.Object:
    """An area light at ``position`` aimed at ``target`` giving about ``irradiance`` W/m^2 there
    (a small Lambertian emitter of power P gives P / (pi d^2) on its axis)."""
    distance = float(np.linalg.norm(target - position))
    light = bpy.data.lights.new(name, type="AREA")
    light.shape = "DISK"
    light.size = size_fraction * distance
    light.energy = irradiance * np.pi * distance ** 2
    ob = bpy.data.objects.new(name, light)
    ob.location = Vector(position)
    _aim(ob, target)
    ob[LIGHTING_TAG] = True
    collection.objects.link(ob)
    return ob


def _new_world(name: str) -> tuple[bpy.types.World, bpy.types.Node]:
    world = bpy.data.worlds.new(name)
    world[LIGHTING_TAG] = True
    return world, world.node_tree.nodes["Background"]


def _studio(collection: bpy.types.Collection, subject: Subject) -> tuple[list, bpy.types.World]:
    up = np.array([0.0, 0.0, 1.0])
    side = np.cross(up, subject.to_camera)
    d = max(2.2 * subject.height, 0.5 * subject.camera_distance)
    c, f = subject.centre, subject.to_camera
    k = np.sqrt(0.5)
    positions = (c + d * (k * f + k * side) + 0.55 * d * up,          # key: 45 deg to the side, above
                 c + d * (0.8 * f - 0.6 * side) + 0.1 * d * up,      # fill: other side, near eye level
                 c + d * (-0.9 * f + 0.35 * side) + 0.7 * d * up)    # rim: behind, above
    lights = [_area_light(collection, name, pos, c + 0.1 * subject.height * up, irradiance, size)
              for (name, irradiance, size), pos in zip(_STUDIO_LIGHTS, positions)]
    world, background = _new_world("SMPL-X studio")
    background.inputs["Color"].default_value = (0.045, 0.047, 0.052, 1.0)
    background.inputs["Strength"].default_value = 1.0
    return lights, world


def _hdri(name: str, rotation: float) -> bpy.types.World:
    path = hdri_path(name)
    world, background = _new_world(f"SMPL-X HDRI {name}")
    tree = world.node_tree
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    env = tree.nodes.new("ShaderNodeTexEnvironment")
    coords.location, mapping.location, env.location = (-900, 300), (-700, 300), (-450, 300)
    env.image = bpy.data.images.load(str(path), check_existing=True)
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, rotation)
    tree.links.new(coords.outputs["Generated"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], env.inputs["Vector"])
    tree.links.new(env.outputs["Color"], background.inputs["Color"])
    return world


def plate_mean_color(camera: Optional[bpy.types.Object]) -> Optional[tuple[float, float, float]]:
    """Mean linear colour of the footage plate shown behind ``camera`` (this add-on's), or None."""
    if camera is None or camera.type != "CAMERA":
        return None
    for bg in camera.data.background_images:
        image = bg.image
        if image is None or not image.get("smplx_fusion_plate"):
            continue
        n = len(image.pixels)
        if n == 0:
            return None
        pixels = np.empty(n, dtype=np.float32)
        image.pixels.foreach_get(pixels)
        rgb = pixels.reshape(-1, image.channels)[:, :3]
        return tuple(float(v) for v in rgb.mean(axis=0))
    return None


def _footage(scene: bpy.types.Scene, collection: bpy.types.Collection, mesh_obj: bpy.types.Object,
             subject: Subject) -> tuple[list, bpy.types.World]:
    up = np.array([0.0, 0.0, 1.0])
    c = subject.centre
    d = max(2.0 * subject.height, 0.6 * subject.camera_distance)
    side = np.cross(up, subject.to_camera)
    # from above the camera and a little to the side: shapes the body and casts a readable, soft shadow
    soft = _area_light(collection, "soft light", c + d * (0.55 * subject.to_camera + 0.45 * side + 0.75 * up), c,
                       2.8, 0.5)
    objects = [soft]
    if ground_object.ground_object_of(mesh_obj.parent) is None:  # else the fitted ground catches the shadow
        floor = preview_stage.add_floor(mesh_obj, collection, shadow_catcher=True)
        floor[LIGHTING_TAG] = True
        objects.append(floor)
    ambient = plate_mean_color(scene.camera) or (0.5, 0.5, 0.5)
    world, background = _new_world("SMPL-X footage")
    background.inputs["Color"].default_value = (*ambient, 1.0)
    background.inputs["Strength"].default_value = 0.6
    return objects, world


def apply_lighting(scene: bpy.types.Scene, mesh_obj: bpy.types.Object, preset: str, hdri: str = "studio",
                   hdri_rotation: float = 0.0, strength: float = 1.0) -> LightingResult:
    """Replace the scene's add-on lighting with ``preset`` (STUDIO, HDRI or FOOTAGE) around ``mesh_obj``.

    ``strength`` scales every light and the world. Raises FusionError for an unknown preset or HDRI (before
    anything is changed).
    """
    if preset not in {p[0] for p in PRESETS}:
        raise FusionError(f"unknown lighting preset {preset!r} (one of {', '.join(p[0] for p in PRESETS)})",
                          field="lighting")
    if preset == "HDRI":
        hdri_path(hdri)
    subject = subject_of(scene, mesh_obj)
    previous = ([c for c in bpy.data.collections if c.get(LIGHTING_TAG)],
                [w for w in bpy.data.worlds if w.get(LIGHTING_TAG)])
    collection = bpy.data.collections.new(COLLECTION_NAME)
    collection[LIGHTING_TAG] = True
    if preset == "STUDIO":
        objects, world = _studio(collection, subject)
        floor = preview_stage.add_floor(mesh_obj, collection, shadow_catcher=False, color=(0.3, 0.3, 0.31, 1.0))
        floor[LIGHTING_TAG] = True
        objects.append(floor)
    elif preset == "HDRI":
        objects, world = [], _hdri(hdri, hdri_rotation)
    else:
        objects, world = _footage(scene, collection, mesh_obj, subject)
    for ob in objects:
        if ob.type == "LIGHT":
            ob.data.energy *= strength
    world.node_tree.nodes["Background"].inputs["Strength"].default_value *= strength
    # everything is built: swap the previous preset for this one
    _remove_lighting(scene, *previous)
    scene.collection.children.link(collection)
    scene.world = world
    return LightingResult(collection=collection, world=world, objects=objects)
