"""The command-line side of expression transfer.

* ``python -m core arkit FUSED``: the take's 52 ARKit face curves as ``<stem>.arkit.csv`` and ``.arkit.json``
  (:mod:`core.export.arkit`).
* ``python -m core expression-mapper --out MAPPER.npz``: fit an expression mapper (FLAME-layout source -> a face
  target) and save it (:mod:`core.io.expression_mapper_file`).
* The expression options of ``python -m core fuse`` (:func:`add_fuse_arguments`, :func:`fuse_expression_options`):
  ``--expression-mapper``, ``--flame`` / ``--flame-ids`` and ``--expression-route``.

Files are read and written here and in ``core.io``; the mapping itself is ``core.fusion`` (arrays in, arrays out).
Every bad input is a :class:`core.errors.FusionError` naming the file and the field (exit code 2).
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional, Union

from ...body.skeleton import NUM_VERTICES as SMPLX_NUM_VERTICES
from ...errors import FusionError

#: ``--expression-route`` choices of ``fuse`` (``core.fusion.face`` has the rest for API users).
FUSE_ROUTES = ("auto", "direct", "least_squares", "truncate", "projection", "linear")
FUSE_ROUTE_HELP = (
    "how FLAME (EMOCA) expression becomes the model's expression. auto (default): the --expression-mapper when "
    "given; else projection when --flame and --flame-ids are given (per frame, the model's expression whose posed "
    "face, jaw included, is closest to the FLAME face: the lowest face error measured, bench/expression_transfer.py)"
    "; else direct (copy) for SMPL-X 2020, which shares FLAME 2020's expression space; else truncate (the first 10 "
    "FLAME coefficients copied: an approximation, and exactly how the demo data's EMOCA codes were made, so right "
    "for the demo). least_squares and linear (closed-form matrices) need --flame/--flame-ids too")


def _refuse_existing(paths: list[Path], flag: str) -> None:
    for path in paths:
        if path.exists():
            raise FusionError("the output exists; pass --overwrite to replace it", path=path, field=flag)


def read_mapper(path: Union[str, Path]) -> Any:
    """The expression mapper stored in ``path`` (numpy only; a learned mapper needs no torch to run): the file's
    header and arrays (:func:`core.io.expression_mapper_file.read_mapper_arrays`) made a mapper object
    (:func:`core.fusion.expression.mapper_from_arrays`).

    Raises :class:`core.io.expression_mapper_file.MapperFileError` naming the file and the member (or header entry)
    that is missing or bad.
    """
    from ...io.expression_mapper_file import MapperFileError, read_mapper_arrays
    from . import mapper_from_arrays

    path = Path(path)
    header, arrays = read_mapper_arrays(path)
    try:
        return mapper_from_arrays(header, arrays)
    except KeyError as exc:  # a member the method needs
        name = str(exc.args[0]) if exc.args else "?"
        raise MapperFileError(f"missing (a {header['method']} mapper needs it)", path=path, field=name) from None
    except (ValueError, TypeError, IndexError) as exc:
        raise MapperFileError(f"not a readable {header['method']} mapper ({exc})", path=path) from None


def read_flame_face(flame_file: str, ids_file: str, model: Any) -> Any:
    """The FLAME model file and its SMPL-X vertex ids -> the FLAME face (a ``LinearFaceModel`` whose ``mesh_ids``
    are the ids), checked against the loaded SMPL-X ``model``; errors name the file and the field."""
    from ...io.flame_model import read_flame
    from .source import face_model_from_flame_arrays

    if model.num_vertices != SMPLX_NUM_VERTICES:
        raise FusionError(f"SMPL-X__FLAME_vertex_ids.npy indexes SMPL-X's {SMPLX_NUM_VERTICES}-vertex mesh, and this "
                          f"model has its own topology ({model.num_vertices} vertices); fit a mapper for it instead",
                          path=model.path, field="--flame")
    arrays, ids = read_flame(flame_file, ids_file, model.num_vertices)
    try:
        face = face_model_from_flame_arrays(arrays, ids)
    except ValueError as exc:
        raise FusionError(str(exc), path=flame_file) from None
    return replace(face, note=f"{flame_file}, ids {ids_file}")


# ----------------------------------------------------------------------------- fuse options
def add_fuse_arguments(parser: argparse.ArgumentParser) -> None:
    """The expression options of ``python -m core fuse``."""
    parser.add_argument("--expression-route", default="auto", choices=FUSE_ROUTES, help=FUSE_ROUTE_HELP)
    parser.add_argument("--expression-mapper", metavar="MAPPER.npz",
                        help="a mapper written by `python -m core expression-mapper` (target: this model's "
                             "expression); auto uses it")
    parser.add_argument("--flame", metavar="FLAME.npz|.pkl",
                        help="the official FLAME model (generic_model.pkl, or its arrays as .npz), with --flame-ids: "
                             "auto builds the projection route from it and the fused model")
    parser.add_argument("--flame-ids", metavar="SMPL-X__FLAME_vertex_ids.npy",
                        help="the SMPL-X vertex of each FLAME vertex (from the SMPL-X download), with --flame")


def fuse_expression_options(args: argparse.Namespace, model: Any) -> tuple[dict[str, Any], Optional[str]]:
    """``(FusionOptions keyword arguments, one summary line or None)`` for the fuse command's expression options.

    Reads ``--expression-mapper`` and ``--flame`` / ``--flame-ids``, chooses the route as the pipeline will
    (:func:`core.fusion.face.choose_expression_transfer`), builds a ``projection`` / ``linear`` mapper from FLAME
    and the loaded ``model`` when that is the route, and checks everything before any fusion starts.
    """
    from .. import face as face_mod

    route = getattr(args, "expression_route", "auto") or "auto"
    mapper_file = getattr(args, "expression_mapper", None)
    flame_file, ids_file = getattr(args, "flame", None), getattr(args, "flame_ids", None)
    if bool(flame_file) != bool(ids_file):
        missing = "--flame-ids" if flame_file else "--flame"
        raise FusionError(f"--flame and --flame-ids come together; {missing} is missing",
                          path=flame_file or ids_file, field=missing)
    mapper = None
    if mapper_file:
        mapper = read_mapper(mapper_file)
        if mapper.num_target != model.num_expression or mapper.bounds is not None:
            raise FusionError(f"the mapper outputs {mapper.num_target} {mapper.target} coefficients"
                              f"{' (a bounded rig)' if mapper.bounds is not None else ''}; the model {model.path} "
                              f"has {model.num_expression} expression components", path=mapper_file,
                              field="header.num_target")
    flame_face = smplx_face = flame_weights = None
    if flame_file:
        from .arkit import front_face_weights
        from .mapping import face_model_from_body_model

        flame_face = read_flame_face(flame_file, ids_file, model)
        smplx_face = face_model_from_body_model(model)
        flame_weights = front_face_weights(model.v_template, model.joint_regressor, flame_face.mesh_ids)
        if not flame_weights.any():
            raise FusionError("no FLAME vertex lands on the front of the model's face (ids for another mesh?)",
                              path=ids_file, field="vertex_ids")
    if not getattr(args, "face", None):
        if mapper is not None or flame_face is not None or route != "auto":
            return {}, "expression: no --face, so the expression options are unused"
        return {}, None
    try:
        transfer = face_mod.choose_expression_transfer(
            route, model.variant, model.num_expression, model.expression_dirs, mapper=mapper, flame_face=flame_face,
            smplx_face=smplx_face, flame_weights=flame_weights)
    except ValueError as exc:
        raise FusionError(str(exc), field="--expression-route") from None
    kwargs: dict[str, Any] = {"expression_route": route}
    if transfer.mapper is not None:
        if transfer.mapper is not mapper:  # built here: its note keeps why, for the fused file's provenance
            transfer.mapper.note = f"{transfer.reason}; {transfer.mapper.note}"
        kwargs["expression_mapper"] = transfer.mapper
    if transfer.route == "least_squares":
        kwargs["flame_expression_dirs"] = flame_face.dirs
        kwargs["flame_vertex_ids"] = flame_face.mesh_ids
    return kwargs, f"expression route: {transfer.route} ({transfer.note})"


# ----------------------------------------------------------------------------- sub-commands
def add_parser(subparsers: Any) -> None:
    """``arkit`` (a fused file's 52 ARKit curves as CSV and JSON) and ``expression-mapper`` (fit and save one)."""
    from .mapping import DEFAULT_METHOD, METHODS

    p = subparsers.add_parser("arkit", help="write the 52 ARKit face curves of a fused file as CSV and JSON")
    p.add_argument("fused", help="*.fused.npz")
    p.add_argument("--model", default="builtin",
                   help="the model the take was fused with (file, folder or 'builtin'); its ARKit rig: its file's "
                        "own face units (the built-in model has them), else the procedural licence-free face's")
    p.add_argument("--out", help="output path without extension (default: next to the fused file)")
    p.add_argument("--method", default=DEFAULT_METHOD, choices=("linear", "linear_bounded", "projection"))
    p.add_argument("--scale", type=float, default=1.0, help="expression intensity (jaw unscaled)")
    p.add_argument("--overwrite", action="store_true", help="replace the CSV and JSON if they exist")
    p.set_defaults(handler=_cmd_arkit)

    p = subparsers.add_parser("expression-mapper",
                              help="fit an expression mapper (FLAME-layout source -> a face target), save as .npz")
    p.add_argument("--out", required=True, help="output .npz (for `fuse --expression-mapper`)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--model", default="builtin", help="SMPL-X model file, folder or 'builtin'")
    p.add_argument("--gender", default="neutral", choices=("neutral", "male", "female"))
    p.add_argument("--target", default="smplx", choices=("smplx", "facial_actions", "arkit"))
    p.add_argument("--method", default=DEFAULT_METHOD, choices=METHODS)
    p.add_argument("--flame", help="FLAME model file (.npz or .pkl); default: the licence-free FLAME-layout source")
    p.add_argument("--flame-ids", help="SMPL-X__FLAME_vertex_ids.npy (with --flame)")
    p.add_argument("--epochs", type=int, default=None, help="learned methods: training epochs")
    p.add_argument("--samples", type=int, default=None, help="learned methods: generated training frames")
    p.set_defaults(handler=_cmd_expression_mapper)


def _cmd_arkit(args: argparse.Namespace) -> int:
    from ...body.builtin import resolve_model
    from ...body.model import load_body_model
    from ...contracts.fused_file import read_fused
    from ...export.arkit import arkit_paths, arkit_take, write_arkit_files

    fused = Path(args.fused)
    stem = Path(args.out) if args.out else fused.with_name(fused.name.removesuffix(".npz").removesuffix(".fused"))
    if not args.overwrite:
        _refuse_existing(list(arkit_paths(stem)), "--out")
    seq = read_fused(fused)
    model = load_body_model(resolve_model(args.model, seq.gender), seq.gender)
    take = arkit_take(seq, model, args.method, args.scale)
    prov = {"fused": str(fused.resolve()), "model": model.path, "method": take.mapper.method,
            "expression_scale": args.scale, "shapes": "model face units" if take.units_from_file else "procedural",
            "note": take.mapper.note}
    for path in write_arkit_files(stem, take.curves, seq.fps, provenance=prov):
        print(path)
    return 0


def _cmd_expression_mapper(args: argparse.Namespace) -> int:
    import numpy as np

    from ...body.builtin import resolve_model
    from ...body.model import load_body_model
    from ...io.expression_mapper_file import mapper_path, write_mapper
    from ...io.face_units import read_face_units
    from . import fit_mapper
    from .arkit import front_face_weights, has_licence_free_actions, smplx_to_arkit_pair
    from .mapping import face_model_from_body_model, facial_actions_model, pair_models
    from .source import build_flame_like_source, make_pair, sample_frames

    out = mapper_path(args.out)
    if not args.overwrite:
        _refuse_existing([out], "--out")
    if args.flame and not args.flame_ids:
        raise FusionError("--flame needs --flame-ids (SMPL-X__FLAME_vertex_ids.npy)", path=args.flame,
                          field="--flame-ids")
    model = load_body_model(resolve_model(args.model, args.gender), args.gender)
    face = face_model_from_body_model(model)
    try:
        if args.target == "facial_actions":
            if not has_licence_free_actions(face):
                raise FusionError("has no licence-free facial actions (the procedural model's)", path=model.path,
                                  field="shapedirs")
            target = facial_actions_model(face)
        elif args.target == "arkit":
            target = smplx_to_arkit_pair(model, read_face_units(model.path)).target
        else:
            target = face
        if args.flame:
            flame = read_flame_face(args.flame, args.flame_ids, model)
            pair = pair_models(flame, target, flame.mesh_ids,
                               front_face_weights(model.v_template, model.joint_regressor, flame.mesh_ids))
        else:
            if not has_licence_free_actions(face):
                raise FusionError("the licence-free source matches the licence-free model's mesh only; give --flame "
                                  "and --flame-ids for this model", path=model.path, field="--flame")
            pair = make_pair(build_flame_like_source(), target)
    except ValueError as exc:
        raise FusionError(str(exc), path=model.path) from None
    validation = sample_frames(np.random.default_rng(11), 200, pair.source.num_coefficients)
    config = None
    if args.method.startswith("learned"):
        from .learned import TrainConfig

        config = TrainConfig()
        if args.epochs:
            config.epochs = args.epochs
        if args.samples:
            config.samples = args.samples
    mapper = fit_mapper(pair, args.method, validation, config)
    print(write_mapper(mapper, out))
    print(f"{mapper.method} -> {mapper.target}: {mapper.note}")
    return 0


__all__ = ["FUSE_ROUTES", "read_mapper", "read_flame_face", "add_fuse_arguments", "fuse_expression_options",
           "add_parser"]
