"""``python -m core`` commands for Meshcapade files:

    python -m core to-smpl FUSED.npz OUT.smpl [--model PATH_OR_NAME] [--overwrite]
    python -m core from-smpl IN.smpl --out X.fused.npz [--model ...] [--fps 30] [--overwrite]
    python -m core to-mcs FUSED.npz [FUSED.npz ...] --out OUT.mcs [--model ...] [--overwrite]
    python -m core from-mcs IN.mcs --out OUT_DIR_OR_STEM [--model ...] [--fps 30] [--overwrite]

``from-mcs`` writes one take per body, ``<stem>.person<i>.fused.npz``. The model (default: the built-in one) only
gives the pelvis rest joint the move between the camera frame and the y-up world needs.
Exit codes as for every command: 0 ok, 2 bad input (one line naming the file and field), 1 internal error.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import FusionError


def _model(name: str, gender: str) -> Any:
    from ..body.builtin import resolve_model
    from ..body.model import load_body_model

    return load_body_model(resolve_model(name, gender), gender)


def _check_out(out: Path, overwrite: bool, inputs: list[str]) -> None:
    if out.exists() and not overwrite:
        raise FusionError("the output exists; pass --overwrite to replace it", path=out, field="--out")
    if any(Path(p).resolve() == out.resolve() for p in inputs):
        raise FusionError("the output would replace an input; choose another output", path=out, field="--out")


def run_to_smpl(args: argparse.Namespace) -> int:
    from ..contracts.fused_file import read_fused
    from .takes import fused_to_smpl

    out = Path(args.out)
    _check_out(out, args.overwrite, [args.fused])
    seq = read_fused(args.fused)
    fused_to_smpl(seq, out, _model(args.model, seq.gender))
    print(f"wrote {seq.num_frames} frames at {seq.fps:g} fps -> {out}")
    return 0


def run_from_smpl(args: argparse.Namespace) -> int:
    from ..contracts.fused_file import write_fused
    from .smpl_file import read_smpl
    from .takes import smpl_to_fused

    out = Path(args.out)
    _check_out(out, args.overwrite, [args.smpl])
    gender = read_smpl(args.smpl, args.fps).gender
    seq = smpl_to_fused(args.smpl, _model(args.model, gender), args.fps)
    write_fused(out, seq)
    print(f"read {seq.num_frames} frames at {seq.fps:g} fps ({seq.gender}, {seq.betas.shape[0]} betas) -> {out}")
    return 0


def run_to_mcs(args: argparse.Namespace) -> int:
    from ..contracts.fused_file import read_fused
    from .takes import fused_to_mcs

    out = Path(args.out)
    _check_out(out, args.overwrite, list(args.fused))
    takes = [read_fused(p) for p in args.fused]
    fused_to_mcs(takes, out, _model(args.model, takes[0].gender))
    print(f"wrote {len(takes)} bodies and the camera -> {out}")
    return 0


def run_from_mcs(args: argparse.Namespace) -> int:
    from ..contracts.fused_file import write_fused
    from .mcs_scene import read_mcs
    from .takes import mcs_to_fused

    genders = {b.body.gender for b in read_mcs(args.mcs, args.fps).bodies} or {"neutral"}
    takes = []
    for gender in sorted(genders):
        model = _model(args.model, gender)
        takes.extend((i, t) for i, t in enumerate(mcs_to_fused(args.mcs, model, args.fps)) if t.gender == gender)
    stem = Path(args.out)
    if stem.is_dir():
        stem = stem / Path(args.mcs).stem
    outs = [stem.parent / f"{stem.name}.person{i}.fused.npz" for i, _ in sorted(takes, key=lambda x: x[0])]
    for out in outs:
        _check_out(out, args.overwrite, [args.mcs])
    for out, (_, seq) in zip(outs, sorted(takes, key=lambda x: x[0])):
        write_fused(out, seq)
        print(f"body -> {out} ({seq.num_frames} frames at {seq.fps:g} fps)")
    if not outs:
        print("the scene holds no bodies; nothing written")
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``to-smpl``, ``from-smpl``, ``to-mcs`` and ``from-mcs`` on the core CLI."""
    model_help = "SMPL-X model file or folder, or 'builtin' (gives the pelvis rest joint)"
    p = subparsers.add_parser("to-smpl", help="write a fused take as a Meshcapade .smpl file (y-up world)")
    p.add_argument("fused")
    p.add_argument("out")
    p.add_argument("--model", default="builtin", help=model_help)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(handler=run_to_smpl)

    p = subparsers.add_parser("from-smpl", help="read a Meshcapade .smpl file into a fused take")
    p.add_argument("smpl")
    p.add_argument("--out", required=True)
    p.add_argument("--model", default="builtin", help=model_help)
    p.add_argument("--fps", type=float, default=30.0, help="frame rate when the file has none")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(handler=run_from_smpl)

    p = subparsers.add_parser("to-mcs", help="write fused takes and the first one's camera as a .mcs scene")
    p.add_argument("fused", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--model", default="builtin", help=model_help)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(handler=run_to_mcs)

    p = subparsers.add_parser("from-mcs", help="read a .mcs scene: one fused take per body, with the camera")
    p.add_argument("mcs")
    p.add_argument("--out", required=True, help="a folder, or a path stem (<stem>.person<i>.fused.npz)")
    p.add_argument("--model", default="builtin", help=model_help)
    p.add_argument("--fps", type=float, default=30.0, help="frame rate when the bodies have none")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(handler=run_from_mcs)


__all__ = ["add_parser", "run_to_smpl", "run_from_smpl", "run_to_mcs", "run_from_mcs"]
