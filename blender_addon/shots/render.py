"""Rendering shots: the current frame, a frame list or an animation range to ``<out_dir>/<name>_<frame:04d>.png``.

A render uses a render preset (or the scene's own settings) and optionally the footage plate behind the avatar. It
changes the scene only for the duration of the render: settings, the plate it loaded and the frame are put back
afterwards (the render result stays). It never replaces an existing file unless ``overwrite``; all paths are
checked before the first frame renders. ``smplx_fusion.render`` (:mod:`.ops`) and ``headless.render_shots`` run
it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import bpy

from ..common import compat, plate, scene_snapshot
from ..common.progress import Progress
from ..core.errors import FusionError
from . import render_presets, shot_plan

__all__ = ["KEEP", "RENDER_PRESETS", "OVERLAYS", "ShotRequest", "uses_plate", "render_shots"]

KEEP = "KEEP"
RENDER_PRESETS = ((KEEP, "Scene settings", "Render with the scene's current settings"), *render_presets.PRESETS)
OVERLAYS = (("SCENE", "As set up", "Render with the scene's compositing as it is"),
            ("FOOTAGE", "Over footage", "Composite the render over the footage plate"),
            ("NONE", "Avatar alone", "Skip the footage plate: the avatar on a transparent background"))


def _log(message: str) -> None:
    print(f"[smplx_fusion] {message}", file=sys.stderr, flush=True)


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


def uses_plate(scene: bpy.types.Scene) -> bool:
    """Whether the scene's compositor shows this add-on's footage plate."""
    group = compat.compositor_group(scene)
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
        if not uses_plate(scene):
            raise FusionError("no footage plate to render over: give its path, or set the plate in the Camera "
                              "panel", field="overlay_path")
        scene.render.use_compositing = scene.render.film_transparent = True
    elif request.overlay == "NONE" and uses_plate(scene):
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
