"""Render settings presets: EEVEE preview and Cycles final (CPU, or GPU falling back to the CPU).

Measured on this project's 2-core machine (BLENDER5_NOTES.md section 6): EEVEE runs headless in software GL but is
slow (320 x 240: 7 s warm, 26 s with a cold shader cache) and ignores shadow catchers; Cycles on the CPU took 4 s.

:func:`capture_render_settings` / :func:`restore_render_settings` remember and put back everything a preset or a
shot render changes, so operators can stay atomic.
"""
from __future__ import annotations

from typing import Any, Optional

import bpy

from ..common import compat

__all__ = ["PRESETS", "DEVICES", "DEFAULTS", "capture_render_settings", "restore_render_settings", "enable_gpu",
           "apply_render_preset"]

PRESETS = (("EEVEE_PREVIEW", "EEVEE preview", "Fast look-dev render (EEVEE, 16 samples, half resolution)"),
           ("CYCLES_FINAL", "Cycles final", "Path traced, adaptive sampling, denoised (OpenImageDenoise)"))
DEVICES = (("CPU", "CPU", "Render on the CPU"),
           ("GPU", "GPU", "Render on a GPU (OptiX, CUDA, HIP, oneAPI or Metal); falls back to the CPU"))
#: Default samples and resolution percentage per preset.
DEFAULTS = {"EEVEE_PREVIEW": {"samples": 16, "percentage": 50}, "CYCLES_FINAL": {"samples": 128, "percentage": 100}}
_GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")

_RENDER_PROPS = ("engine", "resolution_percentage", "film_transparent", "use_compositing", "filepath")
_CYCLES_PROPS = ("device", "samples", "use_denoising", "denoiser", "use_adaptive_sampling", "adaptive_threshold")
_EEVEE_PROPS = ("taa_render_samples",)
#: Custom property on a shadow catcher the EEVEE preset hid from the render (the Cycles preset shows it again).
_HIDDEN_FOR_EEVEE = "smplx_fusion_hidden_for_eevee"


def capture_render_settings(scene: bpy.types.Scene) -> dict[str, Any]:
    """Every setting the presets and shot renders change (engine, samples, device, denoising, resolution
    percentage, output path and format, film, compositing, view transform, current frame)."""
    return {"render": {p: getattr(scene.render, p) for p in _RENDER_PROPS},
            "cycles": {p: getattr(scene.cycles, p) for p in _CYCLES_PROPS},
            "eevee": {p: getattr(scene.eevee, p) for p in _EEVEE_PROPS},
            "format": scene.render.image_settings.file_format,
            "color_mode": scene.render.image_settings.color_mode,
            "view_transform": scene.view_settings.view_transform,
            "compositing_node_group": compat.compositor_group(scene),
            "frame_current": scene.frame_current,
            "catchers_hidden": {ob.name: ob.hide_render for ob in _shadow_catchers(scene)}}


def restore_render_settings(scene: bpy.types.Scene, saved: dict[str, Any]) -> None:
    for group, target in (("render", scene.render), ("cycles", scene.cycles), ("eevee", scene.eevee)):
        for prop, value in saved[group].items():
            setattr(target, prop, value)
    scene.render.image_settings.file_format = saved["format"]
    scene.render.image_settings.color_mode = saved["color_mode"]
    scene.view_settings.view_transform = saved["view_transform"]
    compat.set_compositor_group(scene, saved["compositing_node_group"])
    for name, hidden in saved.get("catchers_hidden", {}).items():
        ob = scene.objects.get(name)
        if ob is not None:
            ob.hide_render = hidden
            if _HIDDEN_FOR_EEVEE in ob:
                del ob[_HIDDEN_FOR_EEVEE]
    if scene.frame_current != saved["frame_current"]:
        scene.frame_set(saved["frame_current"])


def _shadow_catchers(scene: bpy.types.Scene) -> list[bpy.types.Object]:
    """The scene's shadow-catcher objects (the footage lighting's floor, the fitted ground)."""
    return [ob for ob in scene.objects if getattr(ob, "is_shadow_catcher", False)]


def enable_gpu() -> Optional[str]:
    """Switch Cycles' preferences to the first GPU backend with a device and enable its devices.

    Returns the backend name, or None when no GPU is usable (the preferences are then left as they were).
    """
    prefs = bpy.context.preferences.addons["cycles"].preferences
    before = prefs.compute_device_type
    for backend in _GPU_BACKENDS:
        try:
            prefs.compute_device_type = backend
        except TypeError:  # backend not compiled into this build
            continue
        prefs.refresh_devices()
        gpus = [d for d in prefs.devices if d.type == backend]
        if gpus:
            for device in prefs.devices:
                device.use = device.type == backend
            return backend
    try:
        prefs.compute_device_type = before
    except TypeError:
        pass
    return None


def apply_render_preset(scene: bpy.types.Scene, preset: str, device: str = "CPU", samples: int = 0,
                        percentage: int = 0) -> list[str]:
    """Set the scene's render settings for ``preset``; ``samples`` / ``percentage`` of 0 take the preset's.

    Returns messages for the user (e.g. the GPU fallback). Raises ValueError for an unknown preset or device.
    """
    if preset not in DEFAULTS:
        raise ValueError(f"unknown render preset {preset!r} (one of {', '.join(DEFAULTS)})")
    if device not in ("CPU", "GPU"):
        raise ValueError(f"unknown device {device!r} (CPU or GPU)")
    defaults = DEFAULTS[preset]
    samples = samples or defaults["samples"]
    render = scene.render
    render.resolution_percentage = percentage or defaults["percentage"]
    render.image_settings.file_format = "PNG"
    render.image_settings.color_mode = "RGBA" if render.film_transparent else "RGB"
    messages = []
    if preset == "EEVEE_PREVIEW":
        render.engine = compat.EEVEE_ENGINE
        scene.eevee.taa_render_samples = samples
        if device == "GPU":
            messages.append("EEVEE always renders on the GPU / OpenGL device Blender runs on")
        catchers = [ob for ob in _shadow_catchers(scene) if not ob.hide_render]
        for ob in catchers:  # EEVEE has no shadow catcher: it would draw the floor opaque over the plate
            ob.hide_render = True
            ob[_HIDDEN_FOR_EEVEE] = True
        if catchers:
            messages.append(f"EEVEE has no shadow catchers: {len(catchers)} catcher floor(s) hidden from the render, "
                            "so the avatar casts no ground shadow (Cycles final renders it)")
        return messages
    render.engine = "CYCLES"
    for ob in _shadow_catchers(scene):  # the catchers the EEVEE preset hid (and only those) show again
        if ob.get(_HIDDEN_FOR_EEVEE):
            ob.hide_render = False
            del ob[_HIDDEN_FOR_EEVEE]
    cycles = scene.cycles
    cycles.samples = samples
    cycles.use_adaptive_sampling = True
    cycles.adaptive_threshold = 0.02
    cycles.use_denoising = True
    cycles.denoiser = "OPENIMAGEDENOISE"
    cycles.device = "CPU"
    if device == "GPU":
        backend = enable_gpu()
        if backend is None:
            messages.append("no GPU device for Cycles here: rendering on the CPU")
        else:
            cycles.device = "GPU"
            messages.append(f"Cycles renders on the GPU ({backend})")
    return messages
