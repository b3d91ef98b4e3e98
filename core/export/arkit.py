"""ARKit export of a fused take: its 52 ARKit face curves as CSV and JSON (next to ``core/export/amass.py``).

The curves come from ``core.fusion.expression.arkit`` (the model's expression and jaw projected onto the 52 ARKit
shapes, the eye rotations for ``eyeLook*``). The shapes are the model file's own ARKit-named face units where it
carries them (:func:`core.io.face_units.read_face_units`; the built-in realistic model does), else those sculpted
on the procedural licence-free face. Both files are written atomically: a failed write leaves no half-written
file and an existing file untouched.

* CSV: a header row ``frame, time_s, <52 names in ARKit order>``, then one row per frame (6 decimals).
* JSON: ``{"format": "smplx-fusion-arkit/1", "fps", "first_frame", "names" (52), "weights" (T x 52),
  "sources" (how each shape was made), "provenance"}``.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..errors import FusionError
from ..fileio.atomic_write import write_text_atomically
from ..fusion.expression import DEFAULT_METHOD, fit_mapper
from ..fusion.expression.arkit import ARKIT_NAMES, ARKIT_SOURCES, arkit_curves, smplx_to_arkit_pair
from ..io.face_units import read_face_units

ARKIT_FORMAT = "smplx-fusion-arkit/1"


@dataclass(frozen=True)
class ArkitTake:
    """A take's ARKit curves and the rig they drive.

    Attributes:
        pair: the model's face (source) and the 52 ARKit shapes (target) on the same face vertices.
        mapper: the fitted mapper from the model's expression and jaw to the 52 weights.
        curves: (T, 52) weights in [0, 1], in :data:`ARKIT_NAMES` order.
        units_from_file: whether the shapes are the model file's own face units (else the procedural ones).
    """

    pair: Any
    mapper: Any
    curves: np.ndarray
    units_from_file: bool


def arkit_take(seq: Any, model: Any, method: str = DEFAULT_METHOD, expression_scale: float = 1.0) -> ArkitTake:
    """The ARKit curves of fused sequence ``seq`` on loaded ``BodyModel`` ``model``.

    Expression (T, E) x ``expression_scale``, jaw (T, 3) and eye rotations (T, 3) of ``seq``. Raises
    :class:`FusionError` naming the model file when the model has no ARKit rig (an official SMPL-X model).
    """
    units = read_face_units(model.path)
    try:
        pair = smplx_to_arkit_pair(model, units)
    except ValueError as exc:
        raise FusionError(str(exc).removeprefix(f"{model.path} "), path=model.path, field="faceunits") from None
    mapper = fit_mapper(pair, method)
    expression = np.asarray(seq.expression)[:, :pair.source.num_coefficients]
    curves = arkit_curves(mapper, expression, seq.jaw_pose, seq.leye_pose, seq.reye_pose, expression_scale)
    return ArkitTake(pair=pair, mapper=mapper, curves=curves, units_from_file=units is not None)


def arkit_paths(stem: Union[str, Path]) -> tuple[Path, Path]:
    """``(<stem>.arkit.csv, <stem>.arkit.json)``; a stem that already ends in one of those suffixes is trimmed."""
    stem = Path(stem)
    name = stem.name
    for suffix in (".csv", ".json", ".arkit"):
        name = name.removesuffix(suffix)
    return stem.with_name(name + ".arkit.csv"), stem.with_name(name + ".arkit.json")


def _check_curves(curves: np.ndarray) -> np.ndarray:
    curves = np.asarray(curves, dtype=np.float64)
    if curves.ndim != 2 or curves.shape[1] != len(ARKIT_NAMES):
        raise ValueError(f"ARKit curves must be (T, {len(ARKIT_NAMES)}), found {curves.shape}")
    return curves


def write_arkit_csv(path: Union[str, Path], curves: np.ndarray, fps: float, first_frame: int = 0) -> Path:
    """One row per frame: ``frame, time_s`` then the 52 weights in :data:`ARKIT_NAMES` order (header row first)."""
    curves = _check_curves(curves)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["frame", "time_s", *ARKIT_NAMES])
    for t, row in enumerate(curves):
        writer.writerow([first_frame + t, f"{t / fps:.6f}", *(f"{v:.6f}" for v in row)])
    return write_text_atomically(Path(path), buf.getvalue())


def write_arkit_json(path: Union[str, Path], curves: np.ndarray, fps: float, first_frame: int = 0,
                     provenance: Optional[dict] = None) -> Path:
    """``{"format", "fps", "first_frame", "names" (52), "weights" (T x 52), "sources", "provenance"}``."""
    curves = _check_curves(curves)
    doc = {"format": ARKIT_FORMAT, "fps": float(fps), "first_frame": int(first_frame), "names": list(ARKIT_NAMES),
           "weights": np.round(curves, 6).tolist(), "sources": ARKIT_SOURCES, "provenance": provenance or {}}
    return write_text_atomically(Path(path), json.dumps(doc))


def write_arkit_files(stem: Union[str, Path], curves: np.ndarray, fps: float, first_frame: int = 0,
                      provenance: Optional[dict] = None) -> list[Path]:
    """Both files at :func:`arkit_paths` of ``stem``: [CSV, JSON]."""
    csv_path, json_path = arkit_paths(stem)
    return [write_arkit_csv(csv_path, curves, fps, first_frame),
            write_arkit_json(json_path, curves, fps, first_frame, provenance)]


def read_arkit_csv(path: Union[str, Path]) -> tuple[np.ndarray, np.ndarray]:
    """(frames (T,) int64, curves (T, 52)) from :func:`write_arkit_csv` output.

    Raises :class:`FusionError` naming the file (and the column or row) when it is not such a file.
    """
    path = Path(path)
    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise FusionError(f"cannot read the file ({exc.strerror})", path=path) from None
    header = rows[0] if rows else []
    if tuple(header[2:]) != ARKIT_NAMES or header[:2] != ["frame", "time_s"]:
        raise FusionError(f"not an ARKit curve file (header {header[:4]}...)", path=path, field="header")
    try:
        data = np.array(rows[1:], dtype=np.float64).reshape(-1, len(header))
    except ValueError:
        raise FusionError("rows must hold one number per column", path=path, field="rows") from None
    return data[:, 0].astype(np.int64), data[:, 2:]


__all__ = ["ARKIT_FORMAT", "ArkitTake", "arkit_take", "arkit_paths", "write_arkit_csv", "write_arkit_json",
           "write_arkit_files", "read_arkit_csv"]
