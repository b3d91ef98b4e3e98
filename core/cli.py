"""Command-line entry of the core: ``python -m core <command>``.

Exit codes: 0 success; 2 bad input (one line on stderr naming the file and field); 1 an unexpected error.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from .errors import FusionError

Handler = Callable[[argparse.Namespace], int]


def _cmd_make_model(args: argparse.Namespace) -> int:
    from .mannequin import write_mannequin_set

    out = Path(args.out_dir)
    write_mannequin_set(out, variant=args.variant)
    for gender in ("NEUTRAL", "MALE", "FEMALE"):
        print(out / f"SMPLX_{gender}.npz")
    return 0


def _cmd_export_amass(args: argparse.Namespace) -> int:
    from .amass_export import write_amass
    from .fused_file import read_fused

    seq = read_fused(args.fused)
    print(write_amass(args.out, seq))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from .fused_file import read_fused

    seq = read_fused(args.fused)
    summary = {"frames": seq.num_frames, "fps": seq.fps, "gender": seq.gender,
               "model_variant": seq.model_variant, "betas": int(seq.betas.shape[0]),
               "expression": int(seq.expression.shape[1]), "valid_frames": int(seq.valid.sum()),
               "image_size": [float(v) for v in seq.image_size], "extras": sorted(seq.extras),
               "provenance": json.loads(seq.provenance)}
    print(json.dumps(summary, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="SMPL-X Fusion core")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("make-model", help="write the licence-free SMPL-X-layout model set")
    p.add_argument("out_dir")
    p.add_argument("--variant", choices=("v1.1", "2020"), default="v1.1")
    p.set_defaults(handler=_cmd_make_model)

    p = sub.add_parser("export-amass", help="write a fused file as an AMASS-style npz")
    p.add_argument("fused")
    p.add_argument("out")
    p.set_defaults(handler=_cmd_export_amass)

    p = sub.add_parser("info", help="check a fused file against schema v1 and summarise it")
    p.add_argument("fused")
    p.set_defaults(handler=_cmd_info)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except FusionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
