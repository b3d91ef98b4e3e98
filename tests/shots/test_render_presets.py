"""Render presets set the engine, samples, denoising and device; a GPU request without a GPU falls back to the CPU
with a report; capture / restore round-trips every setting they touch."""
from __future__ import annotations

import pytest

from .render_fixtures import render_state


def test_eevee_preview(blender):
    scene = blender.context.scene
    assert blender.ops.smplx_fusion.apply_render_preset(preset="EEVEE_PREVIEW") == {"FINISHED"}
    assert scene.render.engine == "BLENDER_EEVEE"
    assert scene.eevee.taa_render_samples == 16 and scene.render.resolution_percentage == 50
    assert scene.render.image_settings.file_format == "PNG"


def test_cycles_final_cpu_denoised(blender):
    scene = blender.context.scene
    assert blender.ops.smplx_fusion.apply_render_preset(preset="CYCLES_FINAL", samples=64,
                                                        percentage=75) == {"FINISHED"}
    assert scene.render.engine == "CYCLES" and scene.cycles.device == "CPU"
    assert scene.cycles.samples == 64 and scene.render.resolution_percentage == 75
    assert scene.cycles.use_denoising and scene.cycles.denoiser == "OPENIMAGEDENOISE"
    assert blender.ops.smplx_fusion.apply_render_preset(preset="CYCLES_FINAL") == {"FINISHED"}
    assert scene.cycles.samples == 128 and scene.render.resolution_percentage == 100


def test_gpu_falls_back_to_the_cpu_with_a_report(blender, monkeypatch, capsys):
    from blender_addon.shots import render_presets

    monkeypatch.setattr(render_presets, "enable_gpu", lambda: None)  # as on a machine without a GPU
    assert blender.ops.smplx_fusion.apply_render_preset(preset="CYCLES_FINAL", device="GPU") == {"FINISHED"}
    assert blender.context.scene.cycles.device == "CPU"
    assert "no GPU device for Cycles here: rendering on the CPU" in capsys.readouterr().out


def test_gpu_is_used_when_a_backend_has_devices(blender, monkeypatch):
    from blender_addon.shots import render_presets

    monkeypatch.setattr(render_presets, "enable_gpu", lambda: "CUDA")
    messages = render_presets.apply_render_preset(blender.context.scene, "CYCLES_FINAL", "GPU")
    assert blender.context.scene.cycles.device == "GPU" and messages == ["Cycles renders on the GPU (CUDA)"]


def test_enable_gpu_reports_what_this_machine_has(blender):
    """The real device query: None here (no GPU), with the preferences left as they were; a backend name where
    Cycles lists devices of that type."""
    from blender_addon.shots import render_presets

    prefs = blender.context.preferences.addons["cycles"].preferences
    before = prefs.compute_device_type
    backend = render_presets.enable_gpu()
    prefs.refresh_devices()
    gpus = [d for d in prefs.devices if d.type != "CPU"]
    if backend is None:
        assert not gpus and prefs.compute_device_type == before
    else:
        assert any(d.type == backend and d.use for d in prefs.devices)


def test_unknown_preset_is_refused(blender):
    from blender_addon.shots import render_presets

    with pytest.raises(ValueError, match="unknown render preset"):
        render_presets.apply_render_preset(blender.context.scene, "POSTER")
    with pytest.raises(TypeError):
        blender.ops.smplx_fusion.apply_render_preset(preset="POSTER")


def test_capture_and_restore_round_trip(blender):
    from blender_addon.shots import render_presets

    scene = blender.context.scene
    before = render_state(blender)
    saved = render_presets.capture_render_settings(scene)
    render_presets.apply_render_preset(scene, "EEVEE_PREVIEW", samples=3, percentage=10)
    scene.render.film_transparent = True
    scene.view_settings.view_transform = "Standard"
    scene.frame_set(scene.frame_current + 5)
    assert render_state(blender) != before
    render_presets.restore_render_settings(scene, saved)
    assert render_state(blender) == before


def test_eevee_hides_shadow_catchers_and_cycles_shows_them_again(blender):
    """EEVEE has no shadow catcher: a catcher floor would be drawn opaque over the plate (seen on a real photo)."""
    from blender_addon.shots import render_presets

    scene = blender.context.scene
    me = blender.data.meshes.new("catcher")
    catcher = blender.data.objects.new("catcher", me)
    catcher.is_shadow_catcher = True
    scene.collection.objects.link(catcher)
    user_hidden = blender.data.objects.new("user-hidden catcher", blender.data.meshes.new("u"))
    user_hidden.is_shadow_catcher = True
    user_hidden.hide_render = True
    scene.collection.objects.link(user_hidden)
    saved = render_presets.capture_render_settings(scene)
    messages = render_presets.apply_render_preset(scene, "EEVEE_PREVIEW")
    assert catcher.hide_render and user_hidden.hide_render
    assert any("shadow catcher" in m for m in messages)
    render_presets.apply_render_preset(scene, "CYCLES_FINAL")
    assert not catcher.hide_render and user_hidden.hide_render  # only what EEVEE hid comes back
    render_presets.apply_render_preset(scene, "EEVEE_PREVIEW")
    render_presets.restore_render_settings(scene, saved)
    assert not catcher.hide_render and "smplx_fusion_hidden_for_eevee" not in catcher
