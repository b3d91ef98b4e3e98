"""Command-line entry of the core: ``python -m core <command>``.

Exit codes: 0 success; 2 bad input (one line on stderr naming the file and field); 1 an unexpected error
(a one-line message; the traceback only with ``--debug``).

Sub-commands of other packages register themselves: each module named in ``_PLUGIN_COMMANDS`` that exists
provides ``add_parser(subparsers)``, which adds its parser and sets ``handler``. A command named in
``_PLUGIN_OF_COMMAND`` imports only its own plugin module (and a command of this file none): importing every plugin
package costs each command about a second at start (scipy.signal, the camera and grounding packages); any other
command line (``--help``, a mistyped command) builds the whole parser.
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

Handler = Callable[[argparse.Namespace], int]
_PLUGIN_COMMANDS = ("core.camera.command", "core.validate.command", "core.fusion.expression.command",
                    "core.grounding.command", "core.interchange.command", "core.fusion.clip.command")
_PLUGIN_OF_COMMAND = {"fit-camera": "core.camera.command", "validate": "core.validate.command",
                      "arkit": "core.fusion.expression.command", "expression-mapper": "core.fusion.expression.command",
                      "ground": "core.grounding.command", "to-smpl": "core.interchange.command",
                      "from-smpl": "core.interchange.command", "to-mcs": "core.interchange.command",
                      "from-mcs": "core.interchange.command", "fuse-clip": "core.fusion.clip.command"}
_OWN_COMMANDS = ("make-model", "export-amass", "demo-data", "fuse", "info")


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
    if getattr(args, "people", 1) > 1:  # several people in one clip (core/demo_data/multi_person.py, issue 18)
        from .demo_data.multi_person import write_multi_person_demo

        manifest = write_multi_person_demo(args.out_dir, model_file, people=args.people, num_frames=args.frames,
                                           seed=args.seed)
        print(f"ground truth: {', '.join(manifest['truth'])}")
        print(f"body (SMPLer-X, bbox_id = per-frame rank): {manifest['body']}")
        print(f"face (EMOCA): {manifest['face']}  boxes: {manifest['face_bbox']}")
        print(f"hands (WiLoR): {manifest['hands']}")
        print(f"people: {args.people} ({', '.join(manifest['roles'])}); per-frame rank swaps: {manifest['rank_swaps']}")
        return 0
    if getattr(args, "moving_camera", False):  # a world take, a moving camera (core/demo_data/moving_camera.py)
        from .demo_data.moving_camera import write_moving_camera_demo

        info = write_moving_camera_demo(args.out_dir, model_file, num_frames=args.frames, seed=args.seed)
        out = Path(args.out_dir)
        print(f"ground truth (schema 1.1, world_from_camera): {out / info['ground_truth']}")
        print(f"body (GVHMR): {out / info['gvhmr']}  (WHAM): {out / info['wham']}  slam: {out / info['wham_slam']}")
        print(f"face (EMOCA): {out / info['face']}  boxes: {out / info['face_bbox']}")
        print(f"hands (WiLoR): {out / info['hands']}")
        print(f"camera trajectory: {out / info['camera_trajectory']}")
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


def _plugins_for(command: Optional[str]) -> tuple[str, ...]:
    """The plugin modules to import for ``command`` (the sub-command about to run): its own, none for this file's
    commands, all for None or a name not known here."""
    if command in _OWN_COMMANDS:
        return ()
    if command in _PLUGIN_OF_COMMAND and _PLUGIN_OF_COMMAND[command] in _PLUGIN_COMMANDS:
        return (_PLUGIN_OF_COMMAND[command],)
    return _PLUGIN_COMMANDS


def _command_of(argv: Sequence[str]) -> Optional[str]:
    """The sub-command named in ``argv`` (the first word that is not an option), None without one."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: Optional[str] = None) -> argparse.ArgumentParser:
    """The ``python -m core`` parser; ``command`` given, with only the plugin parser that command needs."""
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
    p.add_argument("--people", type=int, default=1,
                   help="2 or more: a clip with that many people (a handshake, a walker who crosses, leaves and "
                        "comes back), SMPLer-X ranks per frame, for fuse-clip")
    p.add_argument("--moving-camera", action="store_true",
                   help="write a world take filmed by a panning, dollying camera: GVHMR and WHAM outputs, WiLoR "
                        "hands, EMOCA codes and the camera trajectory")
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
    p.add_argument("--footage", help="the footage (an image, a frames folder, its footage.json): its image size, "
                                     "where the estimators' files do not say it (PIXIE does not)")
    p.add_argument("--image-size", type=float, nargs=2, metavar=("W", "H"), help="the footage's size in pixels")
    p.add_argument("--no-smooth", dest="smooth", action="store_false", help="skip temporal smoothing")
    p.add_argument("--no-confidence", dest="confidence_blend", action="store_false",
                   help="take experts as they are, without confidence weighting or fall-back blends")
    p.add_argument("--no-swap", dest="swap_hands", action="store_false", help="never swap mislabelled hands")
    p.add_argument("--refine-wrists", action="store_true", help="Kabsch/Umeyama wrist refinement on keypoints")
    p.add_argument("--fuse-head", action="store_true", help="also take the head orientation from the face")
    p.add_argument("--ground", default="never", choices=("auto", "always", "never"),
                   help="foot contacts + ground plane + foot locking after fusing (default: never)")
    if command == "fuse" or _plugins_for(command) == _PLUGIN_COMMANDS:  # not needed to run another command
        from .fusion.expression.command import add_fuse_arguments

        add_fuse_arguments(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cmd_fuse)

    p = sub.add_parser("info", help="check a fused file against schema v1 and summarise it")
    p.add_argument("fused")
    p.set_defaults(handler=_cmd_info)

    package = __name__.rsplit(".", 1)[0]  # "core", or the vendored name inside the extension
    for name in _plugins_for(command):
        module_name = package + name[len("core"):]
        if importlib.util.find_spec(module_name.rsplit(".", 1)[0]) is not None and \
                importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).add_parser(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_command_of(argv)).parse_args(argv)
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
