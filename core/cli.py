"""Command-line entry of the core: ``python -m core <command>``.

Exit codes: 0 success; 2 bad input (one line on stderr naming the file and field); 1 an unexpected error
(a one-line message; the traceback only with ``--debug``).

Sub-commands of other packages register themselves: each module named in ``_PLUGIN_COMMANDS`` that exists
provides ``add_parser(subparsers)``, which adds its parser and sets ``handler``.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import traceback
from pathlib import Path
from typing import Callable, Optional, Sequence

from .errors import FusionError
from .fusion.expression.command import add_fuse_arguments

Handler = Callable[[argparse.Namespace], int]
_PLUGIN_COMMANDS = ("core.camera.command", "core.validate.command", "core.fusion.expression.command",
                    "core.grounding.command")


def _cmd_make_model(args: argparse.Namespace) -> int:
    from .mannequin import write_mannequin_set

    out = Path(args.out_dir)
    write_mannequin_set(out, variant=args.variant)
    for gender in ("NEUTRAL", "MALE", "FEMALE"):
        print(out / f"SMPLX_{gender}.npz")
    return 0


def _cmd_export_amass(args: argparse.Namespace) -> int:
    from .contracts.fused_file import read_fused
    from .export.amass import write_amass

    seq = read_fused(args.fused)
    print(write_amass(args.out, seq))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from .contracts.fused_file import read_fused

    seq = read_fused(args.fused)
    summary = {"frames": seq.num_frames, "fps": seq.fps, "gender": seq.gender,
               "model_variant": seq.model_variant, "betas": int(seq.betas.shape[0]),
               "expression": int(seq.expression.shape[1]), "valid_frames": int(seq.valid.sum()),
               "image_size": [float(v) for v in seq.image_size], "extras": sorted(seq.extras),
               "provenance": json.loads(seq.provenance)}
    print(json.dumps(summary, indent=2))
    return 0


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from .body.builtin import resolve_model
    from .demo_data import write_demo_data

    model_file = resolve_model(args.model, "neutral")
    if getattr(args, "walking", False):  # the grounding takes only (core/demo_data/grounding_takes.py)
        from .demo_data.grounding_takes import write_grounding_takes

        for take, paths in write_grounding_takes(args.out_dir, model_file, seed=args.seed).items():
            print(f"{take}: truth {paths['truth']}  estimate {paths['estimate']}")
        return 0
    manifest = write_demo_data(args.out_dir, model_file, num_frames=args.frames, seed=args.seed)
    print(f"ground truth: {manifest.ground_truth}")
    print(f"body (SMPLer-X): {manifest.body}")
    print(f"face (EMOCA): {manifest.face}  boxes: {manifest.face_bbox}")
    print(f"hands (WiLoR): {manifest.hands}")
    print(f"injected faults: {len(manifest.faults)} (see {Path(args.out_dir) / 'manifest.json'})")
    return 0


def _cmd_fuse(args: argparse.Namespace) -> int:
    from .fusion.command import run_fuse

    return run_fuse(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="SMPL-X Fusion core")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("make-model", help="write the licence-free SMPL-X-layout model set")
    p.add_argument("out_dir")
    p.add_argument("--variant", choices=("v1.1", "2020"), default="v1.1")
    p.set_defaults(handler=_cmd_make_model)

    p = sub.add_parser("export-amass", help="write a fused file as an AMASS-style npz")
    p.add_argument("fused")
    p.add_argument("out")
    p.set_defaults(handler=_cmd_export_amass)

    p = sub.add_parser("demo-data", help="synthetic estimator outputs in native formats from a known ground truth")
    p.add_argument("out_dir")
    p.add_argument("--frames", type=int, default=120)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default="builtin", help="model file/folder for the ground truth (default: built-in)")
    p.add_argument("--walking", action="store_true",
                   help="write only the grounding takes (walking/, floating/ and seated/: truth + noisy estimate)")
    p.set_defaults(handler=_cmd_demo_data)

    p = sub.add_parser("fuse", help="fuse body, face and hand estimator outputs into one fused SMPL-X file")
    p.add_argument("--body", required=True, help="SMPLer-X / SMPLest-X / PIXIE / AMASS output (file or folder)")
    p.add_argument("--face", help="EMOCA output (save_codes folders or codes npz/pkl)")
    p.add_argument("--face-bbox", help="face boxes per frame (JSON), which EMOCA's save_codes does not keep")
    p.add_argument("--hands", help="WiLoR / HaMeR dumps (folder or file)")
    p.add_argument("--model", default="builtin", help="SMPL-X model file or folder, or 'builtin'")
    p.add_argument("--gender", default=None, choices=("neutral", "male", "female"))
    p.add_argument("--out", required=True, help="output *.fused.npz")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--person", type=int, default=None, help="person index where the body output holds several")
    p.add_argument("--fps", type=float, default=None, help="frame rate where the inputs do not say")
    p.add_argument("--no-smooth", dest="smooth", action="store_false", help="skip temporal smoothing")
    p.add_argument("--no-confidence", dest="confidence_blend", action="store_false",
                   help="take experts as they are, without confidence weighting or fall-back blends")
    p.add_argument("--no-swap", dest="swap_hands", action="store_false", help="never swap mislabelled hands")
    p.add_argument("--refine-wrists", action="store_true", help="Kabsch/Umeyama wrist refinement on keypoints")
    p.add_argument("--fuse-head", action="store_true", help="also take the head orientation from the face")
    p.add_argument("--ground", default="never", choices=("auto", "always", "never"),
                   help="foot contacts + ground plane + foot locking after fusing (default: never)")
    add_fuse_arguments(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cmd_fuse)

    p = sub.add_parser("info", help="check a fused file against schema v1 and summarise it")
    p.add_argument("fused")
    p.set_defaults(handler=_cmd_info)

    package = __name__.rsplit(".", 1)[0]  # "core", or the vendored name inside the extension
    for name in _PLUGIN_COMMANDS:
        module_name = package + name[len("core"):]
        if importlib.util.find_spec(module_name.rsplit(".", 1)[0]) is not None and \
                importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).add_parser(sub)
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
    except Exception as exc:  # a bug of ours: say so in one line, the traceback only on request
        if args.debug:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return 1
