"""Playback speed with pose correctives: baked F-curves against a per-frame Python handler, in one run.

Imports a 240-frame take with all 486 ``Pose###`` corrective keys (and, for comparison, the compact exact
basis), then times ``scene.frame_set`` plus depsgraph evaluation of the mesh. The handler variant removes the
baked corrective curves and instead computes the same weights in a ``frame_change_pre`` handler each frame
(numpy pose feature, then one ``foreach_set`` on the key values). Run: ``.venv/bin/python bench/playback.py``.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_HOME = tempfile.mkdtemp(prefix="smplx_fusion_bench_")
os.environ["HOME"] = _HOME
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, ".cache")
os.environ.setdefault("SMPLX_FUSION_MODEL_DIR", os.path.join(_HOME, "models"))
sys.path.insert(0, str(ROOT))

import bpy  # noqa: E402
import numpy as np  # noqa: E402

import blender_addon  # noqa: E402
from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.correctives import pose_feature  # noqa: E402
from core.contracts.fused_file import read_fused, write_fused  # noqa: E402
from core.demo_data.motion import make_demo_sequence  # noqa: E402

FRAMES = 240
PASSES = 2


def import_take(path: Path, model: Path, mode: str):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        bpy.ops.smplx_fusion.import_fused.get_rna_type()
    except (AttributeError, KeyError):
        blender_addon.register()
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model),
                                             pose_correctives=mode) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    return arm, next(ob for ob in arm.children if ob.type == "MESH")


def playback_fps(mesh) -> float:
    scene = bpy.context.scene
    frames = range(scene.frame_start, scene.frame_end + 1)
    for f in list(frames)[:10]:  # warm-up
        scene.frame_set(f)
        mesh.evaluated_get(bpy.context.evaluated_depsgraph_get())
    started = time.perf_counter()
    for _ in range(PASSES):
        for f in frames:
            scene.frame_set(f)
            mesh.evaluated_get(bpy.context.evaluated_depsgraph_get())
    return PASSES * len(frames) / (time.perf_counter() - started)


def main() -> None:
    model = ensure_builtin_model("neutral", kind="mannequin")
    path = write_fused(Path(_HOME) / "take.fused.npz", make_demo_sequence(num_frames=FRAMES))
    seq = read_fused(path)

    _, mesh = import_take(path, model, "FULL")
    fps_baked = playback_fps(mesh)

    # the handler variant: same keys, weights computed in Python each frame instead of baked
    key = mesh.data.shape_keys
    channelbag = key.animation_data.action.layers[0].strips[0].channelbag(key.animation_data.action_slot)
    for fc in [fc for fc in channelbag.fcurves if fc.data_path.startswith('key_blocks["Pose')]:
        channelbag.fcurves.remove(fc)
    blocks = key.key_blocks
    pose_index = np.array([i for i, kb in enumerate(blocks) if kb.name.startswith("Pose")])
    full_pose = seq.full_pose()
    current = np.empty(len(blocks), dtype=np.float32)
    first = bpy.context.scene.frame_start

    def handler(scene, *args) -> None:
        row = min(max(scene.frame_current - first, 0), FRAMES - 1)
        blocks.foreach_get("value", current)
        current[pose_index] = pose_feature(full_pose[row:row + 1])[0]
        blocks.foreach_set("value", current)

    bpy.app.handlers.frame_change_pre.append(handler)
    try:
        fps_handler = playback_fps(mesh)
    finally:
        bpy.app.handlers.frame_change_pre.remove(handler)

    _, mesh_compact = import_take(path, model, "COMPACT")
    n_compact = sum(kb.name.startswith("Pose") for kb in mesh_compact.data.shape_keys.key_blocks)
    fps_compact = playback_fps(mesh_compact)

    print(f"playback, {FRAMES} frames x {PASSES}, frame_set + depsgraph evaluation of the 10,475-vertex mesh")
    print(f"{'case':<58}{'fps':>8}")
    print(f"{'486 Pose### keys, weights baked as F-curves':<58}{fps_baked:>8.1f}")
    print(f"{'486 Pose### keys, weights from a frame_change_pre handler':<58}{fps_handler:>8.1f}")
    print(f"{f'compact exact basis ({n_compact} keys, <= 1e-5 m), baked':<58}{fps_compact:>8.1f}")
    print("target: fps_baked >= 24")
    print(json.dumps({"bench": "playback", "correctives": 486, "fps_baked": round(fps_baked, 1),
                      "fps_handler": round(fps_handler, 1), "compact_keys": int(n_compact),
                      "fps_compact": round(fps_compact, 1)}))


if __name__ == "__main__":
    main()
