"""``python -m core validate``: check a fused take, write a JSON report (and a PNG plot), optionally fix it.

    python -m core validate FUSED.npz --model PATH_OR_NAME --report report.json [--plot report.png]
        [--keypoints2d EVIDENCE.npz] [--ground-truth TRUE.fused.npz] [--threshold NAME=VALUE ...]
        [--mesh auto|torch|numpy] [--device auto|cpu|cuda] [--no-pose-correctives]
        [--fix NAME ... --out FIXED.npz [--frames 10-40,55] [--overwrite]] [--quiet]

Frames on the command line are file rows, 0-based, ranges inclusive. Without ``--frames`` each fix targets the
frames the validation suggests for it (:func:`core.validate.fixes.suggested_frames`). Nothing is written but the
report, the plot and, with ``--fix``, ``--out``. Exit codes as for every command (0 also when frames are flagged).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import FusionError


def parse_frames(text: str) -> np.ndarray:
    """``"10-40,55,60-62"`` -> sorted unique rows (0-based, inclusive ranges)."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            lo, _, hi = part.partition("-")
            first, last = int(lo), int(hi) if hi else int(lo)
        except ValueError:
            raise FusionError(f"cannot read frame selection '{part}' (expected e.g. 10-40,55)",
                              field="--frames") from None
        if first < 0 or last < first:
            raise FusionError(f"'{part}' is not a range of rows (0-based, first-last)", field="--frames")
        out.extend(range(first, last + 1))
    return np.unique(np.array(out, dtype=np.int64))


def _thresholds(items: list[str]) -> Any:
    from dataclasses import fields

    from .result import Thresholds

    th = Thresholds()
    known = {f.name for f in fields(Thresholds)}
    for item in items or []:
        if "=" not in item:
            raise FusionError(f"expected NAME=VALUE, found '{item}'", field="--threshold")
        name, value = item.split("=", 1)
        name = name.strip()
        if name not in known:
            candidates = [k for k in known if k.startswith(name + "_")]
            if len(candidates) != 1:
                raise FusionError(f"unknown threshold '{name}' (one of {', '.join(sorted(known))})",
                                  field="--threshold")
            name = candidates[0]
        try:
            setattr(th, name, float(value))
        except ValueError:
            raise FusionError(f"'{value}' is not a number", field=f"--threshold {name}") from None
    return th


def read_evidence(path: str) -> Any:
    """2D evidence from an npz: ``keypoints`` (T, J, 2 or 3), optional ``confidence`` (T, J), ``joint_index``."""
    from .reprojection import Evidence2D

    try:
        with np.load(path, allow_pickle=False) as data:
            if "keypoints" not in data.files:
                raise FusionError("missing key", path=path, field="keypoints")
            arrays = {k: np.asarray(data[k]) for k in ("keypoints", "confidence", "joint_index") if k in data.files}
    except FusionError:
        raise
    except FileNotFoundError:
        raise FusionError("file not found", path=path, field="--keypoints2d") from None
    except Exception as exc:
        raise FusionError(f"not a readable .npz ({type(exc).__name__}: {exc})", path=path) from None
    try:
        return Evidence2D.from_arrays(arrays["keypoints"], arrays.get("confidence"), arrays.get("joint_index"),
                                      source=str(path))
    except ValueError as exc:
        raise FusionError(str(exc), path=path) from None


class _Progress:
    def __init__(self, quiet: bool) -> None:
        self._bar: Optional[Any] = None
        if not quiet:
            from tqdm import tqdm

            self._bar = tqdm(total=9, desc="validate", unit="step", file=sys.stderr, leave=True)

    def __call__(self, done: int, total: int, message: str) -> None:
        if self._bar is not None:
            self._bar.total = total
            self._bar.set_postfix_str(message)
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run_validate(args: argparse.Namespace) -> int:
    from ..body.builtin import resolve_model
    from ..body.model import load_body_model
    from ..contracts.fused_file import read_fused, write_fused
    from . import fixes as fixes_mod
    from .plot_png import write_plot
    from .report import report_dict, summary_lines, write_report
    from .run import run_checks

    if args.fix and not args.out:
        raise FusionError("--fix needs --out (the fixed take is written there; the input is never changed)",
                          field="--out")
    if args.out and Path(args.out).exists() and not args.overwrite:
        raise FusionError("the output exists; pass --overwrite to replace it", path=args.out, field="--out")
    thresholds = _thresholds(args.threshold)
    seq = read_fused(args.fused)
    model = load_body_model(resolve_model(args.model, seq.gender), seq.gender)
    evidence = read_evidence(args.keypoints2d) if args.keypoints2d else None
    truth = read_fused(args.ground_truth) if args.ground_truth else None
    options = dict(evidence=evidence, ground_truth=truth, mesh=args.mesh, device=args.device,
                   pose_correctives=args.pose_correctives)
    progress = _Progress(args.quiet)
    try:
        result = run_checks(seq, model, thresholds, progress=progress, **options)
    finally:
        progress.close()
    fix_reports, after = [], None
    if args.fix:
        fixed = seq
        selected = parse_frames(args.frames) if args.frames else None
        for name in args.fix:
            frames = selected if selected is not None else fixes_mod.suggested_frames(result, name)
            fixed, rep = fixes_mod.apply_fix(fixed, model, name, frames)
            fix_reports.append(rep.as_dict())
            print(rep.summary())
        after = run_checks(fixed, model, thresholds, **options)
        try:
            provenance = json.loads(fixed.provenance)
        except ValueError:
            provenance = {}
        if not isinstance(provenance, dict):
            provenance = {"previous": provenance}
        provenance.setdefault("validation_fixes", []).extend(fix_reports)
        fixed.provenance = json.dumps(provenance, default=str)
        write_fused(args.out, fixed)
        print(f"fixed take -> {args.out}")
    report = report_dict(result, source=str(args.fused), fixes=fix_reports if args.fix else None, after=after)
    write_report(args.report, report)
    for line in summary_lines(result):
        print(line)
    if result.metrics and "mpjpe" in result.metrics:
        m = result.metrics
        print(f"accuracy vs ground truth: MPJPE {m['mpjpe']['mean']:.2f} mm, PA-MPJPE {m['pa_mpjpe']['mean']:.2f} mm, "
              f"accel error {m['accel_error']['mean']:.2f} mm/frame^2, vertex error {m['vertex_error']['mean']:.2f} mm")
    if after is not None:
        print(f"after fixes: {int(after.any_flags().sum())} of {after.num_frames} frames flagged")
    print(f"report -> {args.report}")
    if args.plot:
        write_plot(args.plot, result, f"{Path(args.fused).name}  {result.num_frames} frames")
        print(f"plot -> {args.plot}")
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``validate`` on the core CLI (picked up by ``core.cli``)."""
    from .fixes import FIX_NAMES

    p = subparsers.add_parser("validate", help="check a fused take (joint limits, shape, symmetry, penetration, "
                                               "seams, temporal, reprojection); report, plot, optional fixes")
    p.add_argument("fused", help="the fused take (*.fused.npz)")
    p.add_argument("--model", default="builtin", help="SMPL-X model file or folder, or 'builtin'")
    p.add_argument("--report", required=True, help="JSON report to write")
    p.add_argument("--plot", help="PNG plot of the scores over time to write")
    p.add_argument("--keypoints2d", help="2D evidence npz: keypoints (T, J, 2|3), confidence (T, J), joint_index")
    p.add_argument("--ground-truth", dest="ground_truth", help="a true take of the same frames: adds MPJPE etc.")
    p.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                   help="override a threshold, e.g. penetration=0.03 or joint_limits_deg=10")
    p.add_argument("--mesh", default="auto", choices=("auto", "torch", "numpy"),
                   help="full mesh with torch + smplx (auto: when installed), or numpy LBS of the needed vertices")
    p.add_argument("--device", default="auto", help="torch device: auto (CUDA when present), cpu, cuda")
    p.add_argument("--no-pose-correctives", dest="pose_correctives", action="store_false",
                   help="evaluate the mesh without pose blendshapes (as Blender's rig shows it)")
    p.add_argument("--fix", action="append", choices=FIX_NAMES, help="apply a fix (repeatable, in order)")
    p.add_argument("--frames", help="rows the fixes apply to, e.g. 10-40,55 (default: the suggested frames)")
    p.add_argument("--out", help="where the fixed take is written (with --fix)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_validate)


__all__ = ["add_parser", "run_validate", "parse_frames", "read_evidence"]
