"""The validation report as JSON: a summary, one entry per check and one per frame.

Layout (``schema: "smplx-fusion-validation/1"``)::

    {"schema", "source", "num_frames", "fps", "info",
     "summary": {"flagged_frames", "flagged_frame_list", "by_check": {check: {status, flagged, max, unit,
                 threshold}}, "worst": [{frame, frame_id, check, score, ratio, culprits}]},
     "checks": {check: {status, unit, threshold, note, flagged_frames, score: {max, mean, p95, argmax_frame},
                        breakdown: {series: {max, argmax_frame}}, details}},
     "frames": [{frame, frame_id, scores: {check: score|null}, flags: [check], culprits: {check: [series]},
                 "accuracy_mm": {...} when a ground truth was given}],
     "metrics": {...}, "fixes": [...]}

Frames are file rows (0-based); ``frame_id`` is the footage frame (the fused file's ``frame_ids``). NaN is
written as null; keys of ``details`` that start with ``_`` (large arrays) are left out.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..fileio.atomic_write import write_text_atomically
from .result import ValidationResult

REPORT_SCHEMA = "smplx-fusion-validation/1"


def jsonable(value: Any) -> Any:
    """numpy scalars and arrays, NaN and nested containers -> plain JSON values (NaN / inf -> None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


def _summary(values: np.ndarray) -> dict[str, Any]:
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    if not ok.any():
        return {"max": None, "mean": None, "p95": None, "argmax_frame": None}
    return {"max": float(v[ok].max()), "mean": float(v[ok].mean()), "p95": float(np.percentile(v[ok], 95)),
            "argmax_frame": int(np.flatnonzero(ok)[np.argmax(v[ok])])}


def report_dict(result: ValidationResult, source: Optional[str] = None,
                fixes: Optional[Sequence[dict]] = None, after: Optional[ValidationResult] = None) -> dict[str, Any]:
    """The report of ``result`` (and, after fixes, the fixes' reports and the re-validation's summary)."""
    t = result.num_frames
    ids = result.frame_ids
    checks_out, by_check = {}, {}
    for name, c in result.checks.items():
        flagged = c.flagged_frames
        checks_out[name] = {
            "status": c.status, "unit": c.unit, "threshold": c.threshold, "note": c.note,
            "flagged_frames": flagged.tolist(), "score": _summary(c.scores),
            "breakdown": {k: {"max": _summary(v)["max"], "argmax_frame": _summary(v)["argmax_frame"]}
                          for k, v in c.breakdown.items()},
            "details": c.details}
        by_check[name] = {"status": c.status, "flagged": int(flagged.size), "max": _summary(c.scores)["max"],
                          "unit": c.unit, "threshold": c.threshold}
    any_flags = result.any_flags()
    worst = result.worst_frames(50)
    for row in worst:
        row["frame_id"] = int(ids[row["frame"]])
    per_frame_metrics = result.metrics.get("per_frame_mm", {}) if result.metrics else {}
    frames = []
    for f in range(t):
        entry: dict[str, Any] = {"frame": f, "frame_id": int(ids[f]),
                                 "scores": {n: c.scores[f] for n, c in result.checks.items()},
                                 "flags": result.flagged_by(f)}
        culprits = {n: c.culprits(f) for n, c in result.checks.items() if c.flags[f]}
        if culprits:
            entry["culprits"] = culprits
        if per_frame_metrics:
            entry["accuracy_mm"] = {k: v[f] for k, v in per_frame_metrics.items()}
        frames.append(entry)
    metrics = {k: v for k, v in (result.metrics or {}).items() if k != "per_frame_mm"}
    out = {
        "schema": REPORT_SCHEMA, "source": source, "num_frames": t, "fps": result.fps, "info": result.info,
        "summary": {"flagged_frames": int(any_flags.sum()), "flagged_frame_list": np.flatnonzero(any_flags).tolist(),
                    "by_check": by_check, "worst": worst},
        "checks": checks_out, "frames": frames, "metrics": metrics,
    }
    if fixes is not None:
        out["fixes"] = list(fixes)
    if after is not None:
        out["after_fixes"] = {"flagged_frames": int(after.any_flags().sum()),
                              "by_check": {n: int(c.flags.sum()) for n, c in after.checks.items()},
                              "metrics": {k: v for k, v in (after.metrics or {}).items() if k != "per_frame_mm"}}
    return jsonable(out)


def write_report(path: Union[str, Path], report: dict[str, Any]) -> Path:
    """Write ``report`` as indented JSON, atomically (:func:`core.fileio.atomic_write.write_text_atomically`)."""
    return write_text_atomically(path, json.dumps(report, indent=1, allow_nan=False))


def summary_lines(result: ValidationResult) -> list[str]:
    """A table for people: one line per check."""
    lines = [f"{'check':<14}{'status':<13}{'flagged':>8}{'max':>11}  {'threshold':<12} note"]
    for name, c in result.checks.items():
        s = _summary(c.scores)["max"]
        value = f"{s:.3g}" if s is not None else "-"
        lines.append(f"{name:<14}{c.status:<13}{int(c.flags.sum()):>8}{value:>11}  "
                     f"{f'{c.threshold:g} {c.unit}':<12} {c.note}")
    flags = result.any_flags()
    lines.append(f"{int(flags.sum())} of {result.num_frames} frames flagged")
    return lines


__all__ = ["REPORT_SCHEMA", "jsonable", "report_dict", "write_report", "summary_lines"]
