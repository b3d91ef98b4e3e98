"""Long takes: 100,000 frames fused from native estimator files and imported into Blender, peak memory of each.

Inputs: the demo data's SMPLer-X, EMOCA and WiLoR outputs (120 frames, read with ``core.io``) tiled to
100,000 frames and written in batched native layouts the readers accept: a SMPLest-X output dict (npz, with
``frame_ids``, ``focal``, ``princpt``, ``bbox``), an EMOCA codes dict (npz, with ``frame_ids`` and ``bbox``) and
a flattened WiLoR dump (npz, two hands per frame, with ``frame_ids``). Then, each in its own subprocess, which
reports its own peak resident memory (``VmHWM``) when it exits:

1. ``python -m core fuse --body ... --face ... --hands ... --model <built-in> --out take.fused.npz``;
2. a headless Blender (``bpy`` module) that registers the add-on and runs
   ``bpy.ops.smplx_fusion.import_fused`` on the 100,000-frame file.

Both must stay within 4 GB. Run: ``.venv/bin/python bench/long_take.py`` (``--frames N`` to try other lengths).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.demo_data import write_demo_data  # noqa: E402
from core.io import read_body, read_face, read_hands  # noqa: E402

FRAMES = 100_000
LIMIT_GB = 4.0


def _tile_rows(n_src: int, frames: int) -> np.ndarray:
    return np.arange(frames) % n_src


def write_inputs(folder: Path, model_file: Path, frames: int) -> dict[str, Path]:
    """The demo estimators' outputs tiled to ``frames`` frames, in batched native layouts."""
    demo = write_demo_data(folder / "demo", model_file, num_frames=120, seed=3, inject_faults=False)
    body, face, hands = read_body(demo.body), read_face(demo.face, bbox=demo.face_bbox), read_hands(demo.hands)

    rows = _tile_rows(len(body.frame_ids), frames)
    ids = np.arange(1, frames + 1, dtype=np.int64)
    k = body.camera_K[rows]
    box = body.bbox[rows]
    body_file = folder / "smplestx_take.npz"
    np.savez(body_file, frame_ids=ids,
             smplx_root_pose=body.global_orient[rows].astype(np.float32),
             smplx_body_pose=body.body_pose[rows].reshape(frames, 63).astype(np.float32),
             smplx_lhand_pose=body.left_hand_pose[rows].reshape(frames, 45).astype(np.float32),
             smplx_rhand_pose=body.right_hand_pose[rows].reshape(frames, 45).astype(np.float32),
             smplx_jaw_pose=body.jaw_pose[rows].astype(np.float32),
             smplx_shape=body.betas[rows].astype(np.float32), smplx_expr=body.expression[rows].astype(np.float32),
             cam_trans=body.transl[rows].astype(np.float32),
             focal=np.stack([k[:, 0, 0], k[:, 1, 1]], axis=1), princpt=np.stack([k[:, 0, 2], k[:, 1, 2]], axis=1),
             bbox=np.concatenate([box[:, :2], box[:, 2:] - box[:, :2]], axis=1),
             img_size=np.tile(hands.image_size, (frames, 1)))  # SMPLer-X's meta has no image size

    rows = _tile_rows(len(face.frame_ids), frames)
    face_file = folder / "emoca_codes.npz"
    np.savez(face_file, frame_ids=ids, expcode=face.expression[rows].astype(np.float32),
             posecode=np.concatenate([face.global_pose, face.jaw_pose], axis=1)[rows].astype(np.float32),
             shapecode=face.shape[rows].astype(np.float32), bbox=face.bbox[rows])

    src = np.asarray(hands.frame_ids)
    period = int(src.max() - src.min() + 1)
    reps = int(np.ceil(frames / period))
    hrows = np.tile(np.arange(len(src)), reps)
    hids = (src - src.min())[hrows] + 1 + np.repeat(np.arange(reps) * period, len(src))
    keep = hids <= frames
    hrows, hids = hrows[keep], hids[keep]
    hands_file = folder / "wilor_take.npz"
    arrays = {
        "frame_ids": hids.astype(np.int64), "right": hands.is_right[hrows].astype(np.float32),
        "pred_mano_params.global_orient": hands.global_orient[hrows][:, None].astype(np.float32),
        "pred_mano_params.hand_pose": hands.hand_pose[hrows].astype(np.float32),
        "pred_mano_params.betas": hands.betas[hrows].astype(np.float32),
        "pred_cam": hands.pred_cam[hrows].astype(np.float32),
        "box_center": hands.box_center[hrows].astype(np.float32),
        "box_size": hands.box_size[hrows].astype(np.float32),
        "img_size": np.tile(hands.image_size, (len(hrows), 1)).astype(np.float32),
    }
    if hands.keypoints_3d is not None:
        arrays["pred_keypoints_3d"] = hands.keypoints_3d[hrows].astype(np.float32)
    np.savez(hands_file, **arrays)
    shutil.rmtree(folder / "demo")
    return {"body": body_file, "face": face_file, "hands": hands_file, "hand_rows": len(hrows)}


#: Prepended to every measured program: at exit it prints the process's own peak resident set (``VmHWM`` of
#: ``/proc/self/status``). ``ru_maxrss`` of a child cannot be used: Linux carries the parent's high-water mark
#: across fork + exec, so every child would report at least this script's own size.
PEAK_REPORTER = textwrap.dedent("""
    import atexit as _atexit, sys as _sys
    def _peak():
        with open("/proc/self/status") as fh:
            kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
        _sys.stderr.write(f"PEAK_RSS_KB {kb}\\n")
    _atexit.register(_peak)
""")


def run_measured(code: str, env: dict, cwd: Path) -> tuple[float, float, str]:
    """Run ``code`` in a fresh interpreter; return (its own peak RSS in GB, seconds, output). Raises on failure."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK_REPORTER + code], cwd=cwd, env=env, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"measured step failed ({proc.returncode}):\n{output[-3000:]}")
    kb = int(next(ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK_RSS_KB")).split()[1])
    return kb / (1024 ** 2), seconds, output


FUSE_SCRIPT = textwrap.dedent("""
    import runpy, sys
    sys.argv = ["python -m core"] + {argv!r}
    runpy.run_module("core", run_name="__main__", alter_sys=True)
""")

IMPORT_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    import bpy
    import blender_addon
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    started = time.perf_counter()
    result = bpy.ops.smplx_fusion.import_fused(filepath={fused!r}, model_path={model!r})
    arm = bpy.context.view_layer.objects.active
    assert result == {{"FINISHED"}}, result
    print("IMPORTED", arm["smplx_fusion_frames"], round(time.perf_counter() - started, 2))
""")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=FRAMES)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="smplx_long_take_"))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               HOME=str(work / "home"), XDG_CACHE_HOME=str(work / "home" / ".cache"))
    (work / "home").mkdir()
    try:
        t0 = time.perf_counter()
        model_file = ensure_builtin_model("neutral", work / "models", kind="mannequin")
        inputs = write_inputs(work, model_file, args.frames)
        prep_s = time.perf_counter() - t0
        fused = work / "take.fused.npz"
        argv = ["fuse", "--body", str(inputs["body"]), "--face", str(inputs["face"]), "--hands",
                str(inputs["hands"]), "--model", str(model_file), "--out", str(fused), "--quiet"]
        fuse_gb, fuse_s, _ = run_measured(FUSE_SCRIPT.format(argv=argv), env, ROOT)
        import_gb, import_s, output = run_measured(
            IMPORT_SCRIPT.format(root=str(ROOT), fused=str(fused), model=str(model_file)), env, work)
        line = next(ln for ln in output.splitlines() if ln.startswith("IMPORTED"))
        imported_frames = int(line.split()[1])
        sizes = {k: Path(v).stat().st_size / 1e6 for k, v in inputs.items() if k != "hand_rows"}
        fused_mb = fused.stat().st_size / 1e6
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"long take: {args.frames:,} frames (inputs made in {prep_s:.1f} s: body {sizes['body']:.0f} MB, "
          f"face {sizes['face']:.0f} MB, hands {sizes['hands']:.0f} MB with {inputs['hand_rows']:,} detections)")
    print(f"{'step':<52}{'seconds':>9}{'peak RSS GB':>13}")
    print(f"{'python -m core fuse (read, fuse, write ' + f'{fused_mb:.0f} MB)':<52}{fuse_s:>9.1f}{fuse_gb:>13.2f}")
    print(f"{'Blender import_fused (' + f'{imported_frames:,} frames)':<52}{import_s:>9.1f}{import_gb:>13.2f}")
    ok = fuse_gb <= LIMIT_GB and import_gb <= LIMIT_GB and imported_frames == args.frames
    print(f"limit {LIMIT_GB:g} GB each: {'met' if ok else 'NOT met'}")
    print(json.dumps({"bench": "long_take", "frames": args.frames, "peak_rss_gb_fuse": round(fuse_gb, 3),
                      "peak_rss_gb_import": round(import_gb, 3), "fuse_s": round(fuse_s, 1),
                      "import_s": round(import_s, 1), "fused_file_mb": round(fused_mb, 1)}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
