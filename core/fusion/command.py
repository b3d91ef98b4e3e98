"""``python -m core fuse``: read the estimators' files, fuse, write the fused file, print a summary."""
from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any, Optional

from ..errors import FusionError
from ..progress import StageProgress
from .expression.command import fuse_expression_options


def _options(args: argparse.Namespace, expression: Optional[dict[str, Any]] = None) -> Any:
    """FusionOptions from the flags; ``expression``: the expression options (``fuse_expression_options``)."""
    from .pipeline import FusionOptions

    known = {f.name for f in fields(FusionOptions)}
    wanted = {"smooth": args.smooth, "confidence_blend": args.confidence_blend, "swap_hands": args.swap_hands,
              "refine_wrists": args.refine_wrists, "fuse_head": args.fuse_head, "fps": args.fps}
    wanted.update(expression or {})
    return FusionOptions(**{k: v for k, v in wanted.items() if k in known and v is not None})


def run_fuse(args: argparse.Namespace) -> int:
    from ..body.builtin import resolve_model
    from ..body.model import load_body_model
    from ..contracts.fused_file import write_fused
    from ..io import read_body, read_face, read_hands
    from .pipeline import fuse

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise FusionError("the output exists; pass --overwrite to replace it", path=out, field="--out")
    progress = StageProgress(total=5, desc="fuse", quiet=args.quiet)
    try:
        body = read_body(args.body, person_id=args.person)
        progress.step("body read")
        face = read_face(args.face, bbox=args.face_bbox) if args.face else None
        hands = read_hands(args.hands) if args.hands else None
        progress.step("experts read")
        gender = args.gender or "neutral"
        model = load_body_model(resolve_model(args.model, gender), gender)
        expression, expression_line = fuse_expression_options(args, model)
        progress.step("model loaded")
        result = fuse(body, face, hands, model, _options(args, expression))
        progress.step("fused")
        ground_lines: list[str] = []
        if getattr(args, "ground", "never") != "never":
            from ..grounding.command import ground_fused

            result.sequence, ground_lines = ground_fused(result.sequence, model, args.ground)
        write_fused(out, result.sequence)
        progress.step("written")
    finally:
        progress.close()
    seq = result.sequence
    print(f"fused {seq.num_frames} frames at {seq.fps:g} fps -> {out}")
    print(f"  body:  {args.body}")
    print(f"  face:  {args.face or '(none: the body estimate is kept)'}")
    print(f"  hands: {args.hands or '(none: the body estimate is kept)'}")
    print(f"  model: {model.path} ({model.variant}, {model.gender})")
    print(f"  valid frames: {int(seq.valid.sum())}/{seq.num_frames}")
    if expression_line:
        print(f"  {expression_line}")
    for key, value in result.report.items():
        print(f"  {key}: {json.dumps(value, default=str) if not isinstance(value, str) else value}")
    for line in ground_lines:
        print(f"  {line}")
    return 0
