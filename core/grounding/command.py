"""``python -m core ground``: ground a fused take (contacts, ground plane, foot locks) and write the result.

    python -m core ground FUSED.npz --out GROUNDED.npz [--mode auto|always|never] [--model PATH_OR_NAME]
        [--overwrite] [--quiet]

The same step runs inside ``python -m core fuse ... --ground auto|always|never`` (:func:`ground_fused`).
The written take carries the extras ``ground_plane`` (4,) (n, d) with n . x + d = 0 in the camera frame, n up,
and ``foot_contact`` (T, 2) bool (left, right: the contacts that were locked), and a ``grounding`` entry in its
provenance. An estimator's contact scores are read from the optional ``contact_scores`` extra, (T, 2) in [0, 1].
A world-grounded take (schema 1.1, ``world_from_camera``) is grounded in its world with the known up axis instead
(``core.world.ground``): the floor is written as ``world_ground_plane`` (world frame), not ``ground_plane``.
Exit codes as for every command: 0 ok, 2 bad input (one line naming the file and field), 1 internal error.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..body.model import BodyModel
from ..contracts.fused_file import WORLD_FROM_CAMERA_KEY, FusedSequence
from ..errors import FusionError
from .pipeline import MODES, GroundingResult, ground_sequence, summary_lines


def ground_fused(seq: FusedSequence, model: BodyModel, mode: str) -> tuple[FusedSequence, list[str]]:
    """Ground ``seq`` in ``mode`` (see :func:`core.grounding.pipeline.ground_sequence`): (new take, summary)."""
    if mode not in MODES:
        raise FusionError(f"expected one of {', '.join(MODES)}, found {mode!r}", field="--ground")
    if WORLD_FROM_CAMERA_KEY in seq.extras:  # a moving camera: ground in the world with its known up axis
        from ..world.ground import ground_world_take

        grounded = ground_world_take(seq, model, mode)
        return grounded.sequence, summary_lines(grounded.world_result) + [
            "  in the world frame (world_from_camera) on a level floor normal to world_up; floor: world_ground_plane"]
    result: GroundingResult = ground_sequence(seq, model, mode)
    return result.sequence, summary_lines(result)


def run_ground(args: argparse.Namespace) -> int:
    from ..body.builtin import resolve_model
    from ..body.model import load_body_model
    from ..contracts.fused_file import read_fused, write_fused
    from ..progress import StageProgress

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise FusionError("the output exists; pass --overwrite to replace it", path=out, field="--out")
    if Path(args.fused).resolve() == out.resolve():
        raise FusionError("the output would replace the input; choose another --out", path=out, field="--out")
    progress = StageProgress(total=3, desc="ground", quiet=args.quiet)
    try:
        seq = read_fused(args.fused)
        model = load_body_model(resolve_model(args.model, seq.gender), seq.gender)
        progress.step("read")
        try:
            grounded, lines = ground_fused(seq, model, args.mode)
        except ValueError as exc:  # e.g. a ground_plane extra with a zero normal slipped through
            raise FusionError(str(exc), path=args.fused, field="ground_plane") from None
        progress.step("grounded")
        write_fused(out, grounded)
        progress.step("written")
    finally:
        progress.close()
    print(f"grounded {seq.num_frames} frames -> {out}")
    for line in lines:
        print(line)
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``ground`` on the core CLI (picked up by ``core.cli``)."""
    p = subparsers.add_parser("ground", help="detect foot contacts and the ground plane, lock the feet with leg "
                                             "IK, lift feet out of the floor")
    p.add_argument("fused", help="the fused take (*.fused.npz)")
    p.add_argument("--out", required=True, help="the grounded take to write")
    p.add_argument("--mode", default="auto", choices=MODES,
                   help="auto: detected contacts; always: every low, slow foot; never: unchanged")
    p.add_argument("--model", default="builtin", help="SMPL-X model file or folder, or 'builtin'")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_ground)


__all__ = ["add_parser", "run_ground", "ground_fused"]
