"""Import speed: our bulk channelbag writer against a naive per-key ``keyframe_insert`` loop, in one run.

Times the animation writing of an import (rotations of 55 bones, root translation and expression weights) at
1,000 and 10,000 frames, and the naive loop on 1,000 frames (it costs ~10 s per 1,000 frames). Also reports the
whole operator (file read, model, rig, mesh, shape keys, animation, camera) at 10,000 frames.
Run: ``.venv/bin/python bench/import_speed.py``. Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
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
os.environ.setdefault("SMPLX_FUSION_MODEL_DIR", os.path.join(_HOME, "models"))
os.environ["HOME"] = _HOME
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, ".cache")
sys.path.insert(0, str(ROOT))

import bpy  # noqa: E402
import numpy as np  # noqa: E402

import blender_addon  # noqa: E402
from blender_addon.importing import importer  # noqa: E402
from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.skeleton import JOINT_NAMES  # noqa: E402
from core.contracts.fused_file import write_fused  # noqa: E402
from core.demo_data.motion import make_demo_sequence  # noqa: E402


def fresh_scene() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        bpy.ops.smplx_fusion.import_fused.get_rna_type()
    except (AttributeError, KeyError):
        blender_addon.register()


def time_animation_write(path: Path, model: Path, pose_correctives: str = "NONE") -> tuple[float, float]:
    """(seconds spent writing the animation, seconds for the whole operator) for one import."""
    fresh_scene()
    spent = {}
    original = importer._animate

    def timed(*args, **kwargs):
        started = time.perf_counter()
        original(*args, **kwargs)
        spent["animate"] = time.perf_counter() - started

    importer._animate = timed
    try:
        started = time.perf_counter()
        assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model),
                                                 pose_correctives=pose_correctives) == {"FINISHED"}
        total = time.perf_counter() - started
    finally:
        importer._animate = original
    return spent["animate"], total


def time_naive(seq, model: Path, frames: int) -> float:
    """The same channels keyed one at a time with ``keyframe_insert`` on the imported rig."""
    fresh_scene()
    path = write_fused(Path(_HOME) / "one.fused.npz", make_demo_sequence(num_frames=1))
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model)) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    mesh = next(ob for ob in arm.children if ob.type == "MESH")
    arm.animation_data_clear()
    mesh.data.shape_keys.animation_data_clear()
    rng = np.random.default_rng(0)
    quats = rng.normal(size=(frames, 55, 4))
    locs = rng.normal(size=(frames, 3))
    expr = seq.expression[:frames]
    bones = [arm.pose.bones[name] for name in JOINT_NAMES]
    key_blocks = [mesh.data.shape_keys.key_blocks[f"Exp{k:03d}"] for k in range(expr.shape[1])]
    started = time.perf_counter()
    for f in range(frames):
        for j, pb in enumerate(bones):
            pb.rotation_quaternion = quats[f, j]
            pb.keyframe_insert("rotation_quaternion", frame=f + 1)
        bones[0].location = locs[f]
        bones[0].keyframe_insert("location", frame=f + 1)
        for k, kb in enumerate(key_blocks):
            kb.value = float(expr[f, k])
            kb.keyframe_insert("value", frame=f + 1)
    return time.perf_counter() - started


def main() -> None:
    model = ensure_builtin_model("neutral", kind="mannequin")
    work = Path(_HOME)
    seq_10k = make_demo_sequence(num_frames=10_000)
    path_10k = write_fused(work / "take10k.fused.npz", seq_10k)
    path_1k = write_fused(work / "take1k.fused.npz", make_demo_sequence(num_frames=1_000))

    time_animation_write(write_fused(work / "warm.fused.npz", make_demo_sequence(num_frames=2)), model)  # warm-up
    ours_1k, op_1k = time_animation_write(path_1k, model)
    ours_10k, op_10k = time_animation_write(path_10k, model)
    ours_10k_correctives, _ = time_animation_write(path_10k, model, pose_correctives="FULL")
    naive_1k = time_naive(seq_10k, model, 1_000)
    speedup = naive_1k / ours_1k

    print("import speed (animation writing; 55 bone rotations + root translation + 10 expression weights)")
    print(f"{'case':<44}{'seconds':>10}")
    print(f"{'naive keyframe_insert, 1,000 frames':<44}{naive_1k:>10.3f}")
    print(f"{'ours (channelbag foreach_set), 1,000 frames':<44}{ours_1k:>10.3f}")
    print(f"{'ours, 10,000 frames':<44}{ours_10k:>10.3f}")
    print(f"{'ours, 10,000 frames + 486 corrective curves':<44}{ours_10k_correctives:>10.3f}")
    print(f"{'whole import operator, 1,000 frames':<44}{op_1k:>10.3f}")
    print(f"{'whole import operator, 10,000 frames':<44}{op_10k:>10.3f}")
    print(f"speedup at 1,000 frames: {speedup:.0f}x (target >= 100x); 10k frames {ours_10k:.2f} s (target < 3 s)")
    print(json.dumps({"bench": "import_speed", "naive_s_per_1k": round(naive_1k, 4), "ours_s_1k": round(ours_1k, 4),
                      "ours_s_10k": round(ours_10k, 4),
                      "ours_s_10k_correctives": round(ours_10k_correctives, 4), "speedup": round(speedup, 1),
                      "operator_s_1k": round(op_1k, 4), "operator_s_10k": round(op_10k, 4)}))


if __name__ == "__main__":
    main()
