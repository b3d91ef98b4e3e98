"""``python -m core fuse``: read the estimators' files, fuse, write the fused file, print a summary."""
from __future__ import annotations

import argparse
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..contracts.fused_file import image_size_known
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


def footage_size(args: argparse.Namespace) -> tuple[Optional[np.ndarray], str]:
    """(W, H) the user gave (``--image-size``, else the ``--footage``'s own size) and where it came from; (None, why)
    when neither says it. Raises :class:`FusionError` on a bad size or footage."""
    from ..camera.conversions import check_image_size
    from ..camera.footage import read_footage

    if getattr(args, "image_size", None) is not None:
        return check_image_size(args.image_size, "--image-size"), "--image-size"
    if getattr(args, "footage", None):
        info = read_footage(args.footage)
        if info.image_size is not None:
            return info.image_size, f"--footage ({'; '.join(info.notes) or info.path})"
        return None, f"--footage {info.path} does not give its size ({'; '.join(info.notes)})"
    return None, "no --footage / --image-size"


def with_image_size(estimate: Any, size: Optional[np.ndarray], source: str, flag: str) -> Any:
    """``estimate`` (a body estimate or hand detections) with the footage's ``size`` where its files do not say it;
    a size they do say that differs from the footage's is an error naming both (no silent rescaling)."""
    if estimate is None or size is None:
        return estimate
    own = getattr(estimate, "image_size", None)
    where = (estimate.source or {}).get("path")
    if own is not None:
        if not np.allclose(np.asarray(own, dtype=np.float64), size, atol=0.5):
            raise FusionError(f"the estimator's images are {own[0]:g} x {own[1]:g} but {flag} says {size[0]:g} x "
                              f"{size[1]:g}; fuse at the estimator's size and give the resized footage to fit-camera "
                              f"(--footage / --footage-size)", path=where, field="image_size")
        return estimate
    src = dict(estimate.source or {})
    src["image_size"] = {"value": [float(v) for v in size], "from": source}
    return replace(estimate, image_size=np.asarray(size, dtype=np.float64), source=src)


def world_read_options(args: argparse.Namespace, model: Any, size: Optional[np.ndarray]) -> dict[str, Any]:
    """What a world-grounded body reader (``core/io/world``) takes from the command: the body ``model`` (its pelvis
    J0(betas) moves the root between the camera and the world), the footage's ``image_size`` (WHAM saves none) and
    ``--fps`` (GVHMR saves none); empty for every other body format."""
    from ..io import detect_format

    fmt = detect_format(Path(args.body))
    wanted: dict[str, dict[str, Any]] = {
        "gvhmr": {"model": model, "fps": getattr(args, "fps", None)},
        "wham": {"model": model, "image_size": None if size is None else tuple(float(v) for v in size)},
        "prompthmr": {"model": model},
    }
    return {k: v for k, v in wanted.get(fmt, {}).items() if v is not None}


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
        size, size_source = footage_size(args)
        flag = "--image-size" if getattr(args, "image_size", None) is not None else "--footage"
        gender = args.gender or "neutral"
        model = load_body_model(resolve_model(args.model, gender), gender)  # before the body: world readers need J0
        body = with_image_size(read_body(args.body, person_id=args.person, **world_read_options(args, model, size)),
                               size, size_source, flag)
        progress.step("body read")
        face = read_face(args.face, bbox=args.face_bbox) if args.face else None
        hands = with_image_size(read_hands(args.hands) if args.hands else None, size, size_source, flag)
        progress.step("experts read")
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
    if image_size_known(seq):
        size_from = json.loads(seq.provenance).get("image_size_source", "body")
        given = ((body.source or {}).get("image_size") if size_from == "body" else
                 (hands.source or {}).get("image_size") if size_from == "hands" and hands is not None else None)
        how = given.get("from") if isinstance(given, dict) else given
        print(f"  image size: {seq.image_size[0]:g} x {seq.image_size[1]:g} (from the {size_from}"
              f"{f': {how}' if how else ''})")
    else:
        print(f"  image size: UNKNOWN ({size_source}); the file holds a placeholder "
              f"{seq.image_size[0]:g} x {seq.image_size[1]:g} flagged unknown: give --footage or --image-size")
    if expression_line:
        print(f"  {expression_line}")
    for key, value in result.report.items():
        print(f"  {key}: {json.dumps(value, default=str) if not isinstance(value, str) else value}")
    for line in ground_lines:
        print(f"  {line}")
    return 0
