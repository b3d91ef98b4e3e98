"""Rendering shots: the operator writes the files it reports (stills, a list, a range), never overwrites without
``overwrite``, leaves the scene's settings as they were, composites over the footage plate when asked; and
``python3 build.py render`` does the same headless from a fused file or a .blend."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.hardening.operator_cases import data_snapshot

from .render_fixtures import RENDER_H, RENDER_W, avatar, no_correctives, read_png, render_state, write_png  # noqa

ROOT = Path(__file__).resolve().parents[2]
FAST = dict(preset="CYCLES_FINAL", samples=2, percentage=100)


def _reported(capsys) -> list[Path]:
    return [Path(p) for p in re.findall(r"^\[smplx_fusion\] wrote (.+)$", capsys.readouterr().out, re.MULTILINE)]


@pytest.mark.parametrize("mode, kwargs, frames", [
    ("CURRENT", {}, [4]),
    ("LIST", {"frames": "1, 3-4"}, [1, 3, 4]),
    ("RANGE", {"frame_start": 2, "frame_end": 3}, [2, 3]),
])
def test_render_writes_the_files_it_reports(avatar, tmp_path, capsys, mode, kwargs, frames):
    bpy = avatar.bpy
    assert bpy.ops.smplx_fusion.apply_lighting(preset="STUDIO") == {"FINISHED"}
    bpy.context.scene.frame_set(4)
    out = tmp_path / "shots"
    assert bpy.ops.smplx_fusion.render(frames_mode=mode, output_dir=str(out), name="take", **kwargs,
                                       **FAST) == {"FINISHED"}
    expected = [out / f"take_{f:04d}.png" for f in frames]
    assert _reported(capsys) == expected
    assert sorted(out.iterdir()) == expected
    for path in expected:
        pixels = read_png(bpy, path)
        assert pixels.shape == (RENDER_H, RENDER_W, 4)
        assert pixels[..., :3].std() > 0.01  # an image, not a blank
    assert bpy.context.scene.frame_current == 4


def test_each_frame_renders_at_its_own_time(avatar, tmp_path):
    """Blender's render_pre handler sees the scene at the frame of each file."""
    bpy = avatar.bpy
    seen: list[int] = []

    def record(scene, *args) -> None:
        seen.append(scene.frame_current)

    bpy.app.handlers.render_pre.append(record)
    try:
        assert bpy.ops.smplx_fusion.render(frames_mode="LIST", frames="5,2", output_dir=str(tmp_path),
                                           **FAST) == {"FINISHED"}
    finally:
        bpy.app.handlers.render_pre.remove(record)
    assert seen == [2, 5]


def test_existing_files_are_not_overwritten_without_overwrite(avatar, tmp_path):
    bpy = avatar.bpy
    out = tmp_path / "shots"
    out.mkdir()
    taken = out / "shot_0002.png"
    taken.write_bytes(b"the user's file")
    before = data_snapshot(bpy)
    with pytest.raises(RuntimeError, match=r"shot_0002\.png: field 'output': exists"):
        bpy.ops.smplx_fusion.render(frames_mode="LIST", frames="1,2", output_dir=str(out), **FAST)
    assert taken.read_bytes() == b"the user's file"
    assert sorted(out.iterdir()) == [taken]  # frame 1 was not rendered either
    assert data_snapshot(bpy) == before
    assert bpy.ops.smplx_fusion.render(frames_mode="LIST", frames="1,2", output_dir=str(out), overwrite=True,
                                       **FAST) == {"FINISHED"}
    assert taken.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_leaves_the_scene_settings_as_they_were(avatar, tmp_path):
    bpy = avatar.bpy
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    before, data = render_state(bpy), data_snapshot(bpy)
    assert bpy.ops.smplx_fusion.render(output_dir=str(tmp_path), overlay="NONE", **FAST) == {"FINISHED"}
    assert render_state(bpy) == before
    after = data_snapshot(bpy)
    assert {k: v for k, v in after.items() if k != "images"} == {k: v for k, v in data.items() if k != "images"}
    assert {name for name, _ in after["images"] - data["images"]} <= {"Render Result"}


def test_overlay_composites_over_the_footage(avatar, tmp_path):
    bpy = avatar.bpy
    assert bpy.ops.smplx_fusion.apply_lighting(preset="FOOTAGE") == {"FINISHED"}
    plate_rgb = (0.25, 0.5, 0.75, 1.0)
    footage = write_png(bpy, tmp_path / "footage" / "plate.png", plate_rgb, size=(RENDER_W, RENDER_H))
    assert bpy.ops.smplx_fusion.render(output_dir=str(tmp_path / "a"), overlay="FOOTAGE",
                                       overlay_path=str(footage), **FAST) == {"FINISHED"}
    over = read_png(bpy, tmp_path / "a" / "shot_0001.png")
    # the top-left corner (sky in the take) is the plate, unchanged (Standard view transform), and opaque
    np.testing.assert_allclose(over[0, 0], plate_rgb, atol=2 / 255)
    assert np.abs(over[..., :3] - plate_rgb[:3]).max() > 0.1  # and the avatar is on it
    assert bpy.context.scene.compositing_node_group is None  # the plate was for this render only

    from blender_addon.common import plate

    plate.set_plate(bpy.context.scene, avatar.camera, str(footage))
    assert bpy.ops.smplx_fusion.render(output_dir=str(tmp_path / "b"), overlay="NONE", **FAST) == {"FINISHED"}
    alone = read_png(bpy, tmp_path / "b" / "shot_0001.png")
    assert alone[0, 0, 3] == 0.0 and alone[..., 3].max() == 1.0  # transparent around the avatar
    assert bpy.ops.smplx_fusion.render(output_dir=str(tmp_path / "c"), overlay="FOOTAGE", **FAST) == {"FINISHED"}
    np.testing.assert_allclose(read_png(bpy, tmp_path / "c" / "shot_0001.png")[0, 0], plate_rgb, atol=2 / 255)


def test_render_without_a_camera_is_refused(avatar, tmp_path):
    bpy = avatar.bpy
    bpy.context.scene.camera = None
    with pytest.raises(RuntimeError, match="no camera"):
        bpy.ops.smplx_fusion.render(output_dir=str(tmp_path), **FAST)
    assert list(tmp_path.iterdir()) == [tmp_path / "take.fused.npz"]


# --------------------------------------------------------------------------------------------------- command line

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "render", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_build_py_render_end_to_end(tmp_path, model_path):
    from core.contracts.fused_file import write_fused
    from core.demo_data.motion import make_demo_sequence

    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=6, image_size=(320, 240)))
    out = tmp_path / "renders"
    common = ["--fused", str(fused), "--model", str(model_path), "--out", str(out), "--percentage", "20",
              "--samples", "2"]
    done = _cli(*common, "--frames", "1,3")
    assert done.returncode == 0, done.stdout + done.stderr
    written = [Path(line.split("png:", 1)[1].strip()) for line in done.stdout.splitlines() if line.startswith("png:")]
    assert written == [out / "shot_0001.png", out / "shot_0003.png"]
    assert all(p.is_file() and p.read_bytes()[:4] == b"\x89PNG" for p in written)

    again = _cli(*common, "--frames", "3")  # exists: refused, exit code 2, one line naming the file
    assert again.returncode == 2
    assert again.stderr.strip().splitlines()[-1] == \
        f"error: {out / 'shot_0003.png'}: field 'output': exists; choose another folder or name, or allow overwriting"

    ranged = _cli(*common, "--range", "4", "5", "--name", "r", "--lighting", "hdri", "--hdri", "sunset")
    assert ranged.returncode == 0, ranged.stderr
    assert sorted(p.name for p in out.glob("r_*.png")) == ["r_0004.png", "r_0005.png"]


def test_build_py_render_a_blend(tmp_path, model_path):
    """A .blend renders as saved: make one with an imported, lit avatar, then render a range of it."""
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
              "import bpy, blender_addon\n"
              "from core.demo_data.motion import make_demo_sequence\n"
              "from core.contracts.fused_file import write_fused\n"
              "bpy.ops.wm.read_factory_settings(use_empty=True); blender_addon.register()\n"
              f"f = write_fused({str(tmp_path / 't.fused.npz')!r}, make_demo_sequence(num_frames=4, "
              "image_size=(320, 240)))\n"
              f"bpy.ops.smplx_fusion.import_fused(filepath=str(f), model_path={str(model_path)!r}, "
              "pose_correctives='NONE')\n"
              "bpy.ops.smplx_fusion.apply_materials(); bpy.ops.smplx_fusion.apply_lighting(preset='STUDIO')\n"
              f"bpy.ops.wm.save_as_mainfile(filepath={str(tmp_path / 'take.blend')!r})\n")
    made = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    done = _cli("--blend", str(tmp_path / "take.blend"), "--range", "2", "3", "--out", str(tmp_path / "r"),
                "--percentage", "20", "--samples", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["shot_0002.png", "shot_0003.png"]
    bad = _cli("--blend", str(tmp_path / "none.blend"), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "none.blend: field '--blend': file not found" in bad.stderr


# --------------------------------------------------------------------------------------------------- panel

class _Layout:
    """Stands in for a UILayout: records the operators the panel draws and checks what it sets on them."""

    def __init__(self, bpy, calls: list) -> None:
        self.bpy, self.calls, self.enabled = bpy, calls, True

    def _same(self, *args, **kwargs) -> "_Layout":
        return self

    box = row = column = _same

    def label(self, **kwargs) -> None:
        return None

    def prop(self, data, name: str, **kwargs) -> None:
        assert name in data.bl_rna.properties.keys(), name

    def operator(self, idname: str, **kwargs) -> object:
        category, op = idname.split(".")
        allowed = set(getattr(getattr(self.bpy.ops, category), op).get_rna_type().properties.keys())
        calls, values = self.calls, {}

        class Props:
            def __setattr__(self, key, value) -> None:
                assert key in allowed, f"{idname} has no property {key}"
                values[key] = value

        calls.append((idname, values))
        return Props()


def test_render_panel_draws_and_passes_its_settings_to_the_operators(avatar):
    from types import SimpleNamespace

    from blender_addon.shots.panel import SMPLX_FUSION_PT_render

    bpy = avatar.bpy
    props = bpy.context.scene.smplx_fusion_render
    props.preset, props.samples, props.frames_mode, props.frames = "EEVEE_PREVIEW", 7, "LIST", "2,4"
    props.lighting, props.overlay = "HDRI", "NONE"
    calls: list = []
    panel = SimpleNamespace(layout=_Layout(bpy, calls))
    SMPLX_FUSION_PT_render.draw(panel, SimpleNamespace(scene=bpy.context.scene, active_object=avatar.mesh))
    ops = dict(calls)
    assert set(ops) == {"smplx_fusion.apply_materials", "smplx_fusion.apply_lighting",
                        "smplx_fusion.apply_render_preset", "smplx_fusion.render"}
    assert ops["smplx_fusion.render"]["preset"] == "EEVEE_PREVIEW" and ops["smplx_fusion.render"]["samples"] == 7
    assert ops["smplx_fusion.render"]["frames"] == "2,4" and ops["smplx_fusion.render"]["overlay"] == "NONE"
    assert ops["smplx_fusion.apply_lighting"]["preset"] == "HDRI"
