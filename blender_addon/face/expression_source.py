"""Where the avatar's expression came from: the face expert's file and the expression route the fusion took,
from the provenance the importer stores on the armature."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import bpy

__all__ = ["expression_source_lines"]


def expression_source_lines(arm_obj: bpy.types.Object) -> list[str]:
    """Short lines for the panel: the face expert's input and the expression route, from the provenance."""
    try:
        prov = json.loads(arm_obj.get("smplx_fusion_provenance", "") or "{}")
    except (TypeError, ValueError):
        return ["provenance unreadable"]
    face = (prov.get("inputs") or {}).get("face")
    transfer = prov.get("expression_transfer")
    lines = []
    if not face:
        lines.append("No face expert: expression from the body estimate")
    else:
        name, fmt = face, None
        if isinstance(face, dict):
            name = next((face[k] for k in ("path", "file", "files", "folder") if face.get(k)), None)
            name = name[0] if isinstance(name, (list, tuple)) and name else name
            fmt = face.get("format")
        lines.append(f"Face: {Path(str(name)).name if name else '?'}" + (f" ({fmt})" if fmt else ""))
    if transfer:
        lines.append(f"Route: {transfer.get('route', '?')}")
        lines += textwrap.wrap(str(transfer.get("note", "")), 48)[:3]  # why, then what (core.fusion.face)
    return lines
