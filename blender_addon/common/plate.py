"""The footage as a background plate: behind the camera view in the viewport, and under the render.

- **Camera background**: the footage (an image sequence, a video or a still) as the camera's background image,
  frame-synchronised with the scene.
- **Composited plate** (Blender 5 compositor, ``scene.compositing_node_group``; there is no Composite node any
  more): the render (film transparent) alpha-over the footage scaled to the render size, the group output being
  the result. The view transform is set to *Standard* so the plate passes through unchanged (AgX would shift it).
  Without the scale node a 1280 x 720 plate under a 50 % render shows at its own size, centred: twice too big.
- **Shadow catcher**: ``preview_stage`` can make its floor a Cycles shadow catcher, so the avatar's shadow
  darkens the plate (EEVEE ignores shadow catchers).

Frame mapping: Blender frame ``first_frame`` shows footage frame ``footage_first_frame`` (the fused file's first
``frame_ids``); a sequence's file numbers are its footage frame numbers (``000001.png`` is frame 1).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import bpy

from ..core.camera.footage import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from ..core.errors import FusionError
from . import compat

PLATE_GROUP_NAME = "SMPL-X Fusion plate"


@dataclass
class Footage:
    """Footage loaded as a Blender image.

    Attributes:
        image: the image data-block (source SEQUENCE, MOVIE or FILE).
        kind: ``"sequence"``, ``"movie"`` or ``"still"``.
        frame_count: frames in the footage.
        first_number: the file number of the first frame (sequences), else 1.
    """

    image: bpy.types.Image
    kind: str
    frame_count: int
    first_number: int


def _number(path: Path) -> Optional[int]:
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else None


def load_footage(path: str) -> Footage:
    """Load a frames folder (or one of its frames), a video or a still image. Raises FusionError naming the path."""
    p = Path(bpy.path.abspath(path)).expanduser()
    if not p.exists():
        raise FusionError("footage not found", path=p, field="footage")
    if p.is_dir() or (p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()):
        folder = p if p.is_dir() else p.parent
        frames = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        if not frames:
            raise FusionError("no .png / .jpg frames in this folder", path=folder, field="footage")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and _number(p) is None:
            frames = [p]
        image = bpy.data.images.load(str(frames[0]), check_existing=False)
        numbered = [f for f in frames if _number(f) is not None]
        if len(numbered) > 1:
            image.source = "SEQUENCE"
            first, last = _number(numbered[0]), _number(numbered[-1])
            return Footage(image=image, kind="sequence", frame_count=int(last - first + 1), first_number=int(first))
        return Footage(image=image, kind="still", frame_count=1, first_number=1)
    if p.suffix.lower() in VIDEO_SUFFIXES:
        image = bpy.data.images.load(str(p), check_existing=False)
        image.source = "MOVIE"
        return Footage(image=image, kind="movie", frame_count=max(int(image.frame_duration), 1), first_number=1)
    raise FusionError("expected a frames folder, an image or a video file", path=p, field="footage")


def _sync(user: object, footage: Footage, first_frame: int, footage_first_frame: int) -> None:
    """Image-user frame settings so that Blender frame ``first_frame`` shows footage frame ``footage_first_frame``."""
    if footage.kind == "still":
        return
    user.frame_start = first_frame
    user.frame_duration = footage.frame_count
    user.frame_offset = footage_first_frame - 1  # shown file number = frame - frame_start + 1 + frame_offset
    user.use_auto_refresh = True


def set_camera_background(cam_obj: bpy.types.Object, footage: Footage, first_frame: int,
                          footage_first_frame: int) -> bpy.types.CameraBackgroundImage:
    """Show the footage behind the camera view (replacing the plate this add-on set before)."""
    cam = cam_obj.data
    for bg in list(cam.background_images):
        if bg.image is not None and bg.image.get("smplx_fusion_plate"):
            cam.background_images.remove(bg)
    bg = cam.background_images.new()
    bg.source = "IMAGE"
    bg.image = footage.image
    bg.alpha = 1.0
    bg.display_depth = "BACK"
    bg.frame_method = "STRETCH"
    _sync(bg.image_user, footage, first_frame, footage_first_frame)
    cam.show_background_images = True
    return bg


def set_compositor_plate(scene: bpy.types.Scene, footage: Footage, first_frame: int,
                         footage_first_frame: int) -> bpy.types.NodeTree:
    """Render alpha-over footage through ``scene.compositing_node_group`` (film transparent, Standard view)."""
    compat.require_compositor_groups()
    ng = bpy.data.node_groups.new(PLATE_GROUP_NAME, "CompositorNodeTree")
    ng.interface.new_socket(name="Image", in_out="OUTPUT", socket_type="NodeSocketColor")
    layers = ng.nodes.new("CompositorNodeRLayers")
    plate = ng.nodes.new("CompositorNodeImage")
    fit = ng.nodes.new("CompositorNodeScale")
    over = ng.nodes.new("CompositorNodeAlphaOver")
    out = ng.nodes.new("NodeGroupOutput")
    layers.location, plate.location, fit.location = (-300, 150), (-500, -150), (-250, -150)
    over.location, out.location = (0, 0), (250, 0)
    plate.image = footage.image
    _sync(plate, footage, first_frame, footage_first_frame)
    # the footage fills the render whatever its resolution percentage (5.0: the options are menu sockets)
    fit.inputs["Type"].default_value = "Render Size"
    fit.inputs["Frame Type"].default_value = "Stretch"
    ng.links.new(plate.outputs["Image"], fit.inputs["Image"])
    ng.links.new(fit.outputs["Image"], over.inputs["Background"])
    ng.links.new(layers.outputs["Image"], over.inputs["Foreground"])
    ng.links.new(over.outputs["Image"], out.inputs["Image"])
    compat.set_compositor_group(scene, ng)
    scene.render.use_compositing = True
    scene.render.film_transparent = True
    scene.view_settings.view_transform = "Standard"
    return ng


def set_plate(scene: bpy.types.Scene, cam_obj: bpy.types.Object, path: str, first_frame: int = 1,
              footage_first_frame: int = 1, composite: bool = True) -> Footage:
    """Load ``path`` and use it as the camera background and (with ``composite``) as the render's plate."""
    footage = load_footage(path)
    footage.image["smplx_fusion_plate"] = True
    set_camera_background(cam_obj, footage, first_frame, footage_first_frame)
    if composite:
        set_compositor_plate(scene, footage, first_frame, footage_first_frame)
    return footage


__all__ = ["PLATE_GROUP_NAME", "Footage", "load_footage", "set_camera_background", "set_compositor_plate",
           "set_plate"]
