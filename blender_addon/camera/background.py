"""Set Background Plate: the footage as the camera's background image and the render's composited plate
(:func:`..common.plate.set_plate`), and :class:`PlateEdits`, which puts back the scene and camera settings that
step changes when it fails."""
from __future__ import annotations

import bpy

from ..common import compat, plate

__all__ = ["PlateEdits", "set_background_plate"]


class PlateEdits:
    """The compositor, film, view transform and camera background settings before the plate; ``restore()`` puts
    them back and removes background images added since (new data-blocks are left to the snapshot roll-back)."""

    def __init__(self, scene: bpy.types.Scene, cam: bpy.types.Object) -> None:
        self.scene, self.cam = scene, cam
        self.group = compat.compositor_group(scene)
        self.film = scene.render.film_transparent
        self.view = scene.view_settings.view_transform
        self.compositing = scene.render.use_compositing
        self.show = cam.data.show_background_images
        self.backgrounds = len(cam.data.background_images)

    def restore(self) -> None:
        scene, cam = self.scene, self.cam
        while len(cam.data.background_images) > self.backgrounds:
            cam.data.background_images.remove(cam.data.background_images[-1])
        compat.set_compositor_group(scene, self.group)
        scene.render.film_transparent = self.film
        scene.view_settings.view_transform = self.view
        scene.render.use_compositing = self.compositing
        cam.data.show_background_images = self.show


def set_background_plate(scene: bpy.types.Scene, arm: bpy.types.Object, cam: bpy.types.Object, path: str,
                         composite: bool) -> plate.Footage:
    """Show the footage at ``path`` behind ``cam`` (and composite renders over it when ``composite``), frame by
    frame in step with the take; the panel remembers the path."""
    footage = plate.set_plate(scene, cam, path, first_frame=scene.frame_start,
                              footage_first_frame=int(arm.get("smplx_fusion_footage_first_frame", 1)),
                              composite=composite)
    arm.smplx_fusion_camera.footage = path
    return footage
