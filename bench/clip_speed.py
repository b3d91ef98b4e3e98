"""A one-minute clip end to end, as a user runs it: fuse, fit-camera (focal given), ground, import into Blender.

Makes a 1,800-frame demo clip (``core.demo_data.write_demo_data``: SMPLer-X, EMOCA and WiLoR outputs of a known
take, 30 fps, 1280 x 720, true focal 1100 px), then times each stage the way a user meets it:

* ``fuse``: ``python -m core fuse --body smplerx --face emoca --face-bbox ... --hands wilor`` as a subprocess;
* ``fit_camera``: ``python -m core fit-camera fused --from-provenance --focal F`` (the manifest's focal);
* ``ground``: ``python -m core ground fitted``;
* ``import``: the add-on's import operator (``bpy.ops.smplx_fusion.import_fused``) on the grounded file, in this
  process with ``bpy`` (Blender is already open when a user imports: loading ``bpy`` and registering the add-on are
  reported beside it, not counted).

The three commands are wall-clock times of whole processes (interpreter start, imports, file reading, the work and
the writing); ``cpu_s`` beside them is their user + system CPU time, which a loaded machine inflates less than the
wall time (``load_average_1min`` says how loaded it was). ``startup_s`` is ``python -m core ground --help``
(interpreter, numpy and the CLI's parser): what any command costs before it reads a file. With ``--repeat N``
every stage runs N times in turn and the minimum counts (the machine is shared). ``total_s`` = fuse + fit-camera +
ground + import; the target is < 10 s wall on the CPU.

Run: ``.venv/bin/python bench/clip_speed.py`` (``--clip DIR`` reuses a demo clip written earlier by this bench or
``python -m core demo-data --frames 1800 DIR``; ``--repeat N``; ``--keep`` leaves the work folder). Last line: one
JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FRAMES = 1800
TARGET_S = 10.0


def make_clip(out_dir: Path, frames: int) -> tuple[dict, float]:
    """Write the demo clip into ``out_dir``; (its manifest as a dict, seconds spent)."""
    from core.body.builtin import resolve_model
    from core.demo_data import write_demo_data

    started = time.perf_counter()
    manifest = write_demo_data(out_dir, resolve_model("builtin", "neutral"), num_frames=frames, seed=0)
    spent = time.perf_counter() - started
    return json.loads((manifest.out_dir / "manifest.json").read_text()), spent


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``python -m core ARGS`` as a fresh process; raises with its output if it fails."""
    cpu_before, started = children_cpu_s(), time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    spent, cpu = time.perf_counter() - started, children_cpu_s() - cpu_before
    if out.returncode != 0:
        raise RuntimeError(f"python -m core {' '.join(args)} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return spent, cpu


class BlenderImport:
    """``bpy`` loaded and the add-on registered once; :meth:`run` times the import operator in a fresh scene."""

    def __init__(self) -> None:
        started = time.perf_counter()
        import bpy

        import blender_addon
        self.load_s = time.perf_counter() - started
        self.bpy, self.addon = bpy, blender_addon
        started = time.perf_counter()
        self._fresh_scene()
        self.register_s = time.perf_counter() - started

    def _fresh_scene(self) -> None:
        self.bpy.ops.wm.read_factory_settings(use_empty=True)
        try:
            self.bpy.ops.smplx_fusion.import_fused.get_rna_type()
        except (AttributeError, KeyError):
            self.addon.register()

    def run(self, fused: Path) -> tuple[float, float]:
        """(wall seconds, CPU seconds of this process) of one import of ``fused``."""
        self._fresh_scene()
        cpu_before, started = time.process_time(), time.perf_counter()
        result = self.bpy.ops.smplx_fusion.import_fused(filepath=str(fused))
        spent, cpu = time.perf_counter() - started, time.process_time() - cpu_before
        if result != {"FINISHED"}:
            raise RuntimeError(f"import of {fused} returned {result}")
        return spent, cpu


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clip", help="a demo clip folder written earlier (default: write a new one)")
    parser.add_argument("--frames", type=int, default=FRAMES)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each stage; the minimum counts")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (clip and outputs)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="clip_speed_"))
    if args.keep:
        print(f"work folder (kept): {work}")
    try:
        return run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    """Write (or reuse) the clip in ``work``, time the stages, print the table and the JSON line."""
    if args.clip:
        clip = Path(args.clip)
        manifest, make_s = json.loads((clip / "manifest.json").read_text()), None
    else:
        clip = work / "clip"
        manifest, make_s = make_clip(clip, args.frames)
    frames = int(manifest["num_frames"])
    focal = float(manifest["camera_K"][0][0])
    fused, fitted, grounded = work / "take.fused.npz", work / "take.fitted.npz", work / "take.grounded.npz"
    commands = {
        "fuse": ["fuse", "--body", str(clip / "smplerx"), "--face", str(clip / "emoca"), "--face-bbox",
                 str(clip / "face_bboxes.json"), "--hands", str(clip / "wilor"), "--out", str(fused),
                 "--overwrite", "--quiet"],
        "fit_camera": ["fit-camera", str(fused), "--from-provenance", "--focal", f"{focal:g}", "--out", str(fitted),
                       "--overwrite", "--quiet"],
        "ground": ["ground", str(fitted), "--out", str(grounded), "--overwrite", "--quiet"],
    }
    try:
        blender: Optional[BlenderImport] = BlenderImport()
        no_import = None
    except ImportError as exc:  # no bpy module in this environment: the import stage cannot be measured
        blender, no_import = None, f"bpy does not import here ({exc})"
    stages = ("startup", *commands) + (("import",) if blender is not None else ())
    times: dict[str, list[float]] = {name: [] for name in stages}
    cpu_times: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(max(1, args.repeat)):  # the stages side by side, in turn, each repeat
        runs = {"startup": run_command(["ground", "--help"])}
        runs.update({name: run_command(command) for name, command in commands.items()})
        if blender is not None:
            runs["import"] = blender.run(grounded)
        for name, (wall, cpu) in runs.items():
            times[name].append(wall)
            cpu_times[name].append(cpu)
    best = {name: min(values) for name, values in times.items()}
    best_cpu = {name: min(values) for name, values in cpu_times.items()}
    counted = ("fuse", "fit_camera", "ground", "import")
    total = sum(best[k] for k in counted) if blender is not None else None
    total_cpu = sum(best_cpu[k] for k in counted) if blender is not None else None

    print(f"clip: {frames} frames ({clip}{', written in %.1f s' % make_s if make_s is not None else ', reused'}); "
          f"focal given: {focal:g} px; runs per stage: {max(1, args.repeat)} (minimum counts)")
    print(f"{'stage':<44}{'wall s':>8}{'cpu s':>8}{'all runs, wall s':>24}")
    rows = (("fuse", "python -m core fuse"), ("fit_camera", f"python -m core fit-camera --focal {focal:g}"),
            ("ground", "python -m core ground"), ("import", "Blender import operator"))
    for key, label in rows:
        if key not in best:
            print(f"{label:<44}{'n/a':>8}{'n/a':>8}   {no_import}")
            continue
        print(f"{label:<44}{best[key]:>8.2f}{best_cpu[key]:>8.2f}{', '.join(f'{v:.2f}' for v in times[key]):>24}")
    if total is not None and total_cpu is not None:
        print(f"{'total':<44}{total:>8.2f}{total_cpu:>8.2f}   target < {TARGET_S:g} s wall: "
              f"{'met' if total < TARGET_S else 'NOT met'}")
    else:
        print(f"{'total':<44}{'n/a':>8}{'n/a':>8}   (no import stage: {no_import})")
    loaded = f"; bpy + add-on load {blender.load_s:.2f} s, register {blender.register_s:.2f} s" if blender else ""
    print(f"(not counted) interpreter + CLI start, `ground --help`: {best['startup']:.2f} s{loaded}")

    def rounded(value: Optional[float]) -> Optional[float]:
        return None if value is None else round(value, 3)

    result = {"bench": "clip_speed", "frames": frames, "fuse_s": rounded(best["fuse"]),
              "fit_camera_s": rounded(best["fit_camera"]), "ground_s": rounded(best["ground"]),
              "import_s": rounded(best.get("import")), "total_s": rounded(total), "target_s": TARGET_S,
              "startup_s": rounded(best["startup"]), "bpy_load_s": rounded(blender.load_s if blender else None),
              "make_clip_s": rounded(make_s), "repeat": max(1, args.repeat),
              "cpu_s": {k: rounded(v) for k, v in best_cpu.items()}, "total_cpu_s": rounded(total_cpu),
              "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
              "runs_s": {k: [round(v, 3) for v in vals] for k, vals in times.items()}}
    if no_import is not None:
        result["import_s_reason"] = no_import
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
