"""The Face panel's operators: ``smplx_fusion.set_expression_scale`` and ``smplx_fusion.export_arkit``.

Both are ``{'REGISTER', 'UNDO'}`` and atomic (:class:`..common.ui.AtomicOperator`): on failure the scene is exactly
as before.

**ARKit**: the 52 ARKit curves of the take (the fused file's expression at the current intensity, its jaw and eye
rotations; the per-frame bounded projection onto the ARKit shapes: the model's own ARKit-named face units where its
file carries them, else those sculpted on the procedural licence-free face, see ``core/fusion/expression/arkit.py``)
written as CSV and JSON, and optionally added to the avatar as 52 named shape keys with their animation (numpy
only: it runs in Blender's own Python).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import bpy

from ..common.animation import FIRST_FRAME
from ..common.avatar import SOURCE_PROPERTY, active_avatar, avatar_meshes, avatar_of
from ..common.progress import WindowProgress
from ..common.ui import AtomicOperator
from ..core.body.model import load_body_model
from ..core.contracts.fused_file import read_fused
from ..core.errors import FusionError
from ..core.export.arkit import arkit_take, write_arkit_files
from ..core.fusion.expression.arkit import full_mesh_dirs
from ..core.fusion.expression.mapping import DEFAULT_METHOD
from . import arkit_keys
from .expression_scale import expression_fcurves
from .props import SCALE_PROP

__all__ = ["SMPLX_FUSION_OT_set_expression_scale", "SMPLX_FUSION_OT_export_arkit", "CLASSES"]


class SMPLX_FUSION_OT_set_expression_scale(AtomicOperator, bpy.types.Operator):
    """Scale the expression intensity of the selected avatar's take (rescales the baked expression curves)"""

    bl_idname = "smplx_fusion.set_expression_scale"
    bl_label = "Set Expression Intensity"
    bl_options = {"REGISTER", "UNDO"}

    scale: bpy.props.FloatProperty(name="Intensity", default=1.0, min=0.0, soft_max=2.0, max=10.0)  # type: ignore

    atomic_label = "expression intensity"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return avatar_of(context.active_object) is not None

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        arm = active_avatar(context)
        setattr(arm, SCALE_PROP, self.scale)  # the property's update rescales the curves
        n = len(expression_fcurves(arm))
        self.report({"INFO"}, f"Expression intensity {self.scale:g} on '{arm.name}' ({n} curves)")
        return {"FINISHED"}


class SMPLX_FUSION_OT_export_arkit(AtomicOperator, bpy.types.Operator):
    """Write the take's 52 ARKit face curves (CSV and JSON) and optionally add them as shape keys on the avatar"""

    bl_idname = "smplx_fusion.export_arkit"
    bl_label = "Export ARKit Curves"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Output", subtype="FILE_PATH", default="",
        description="Path without extension for <path>.arkit.csv and .arkit.json; empty: next to the fused file")
    write_files: bpy.props.BoolProperty(name="Write CSV and JSON", default=True)  # type: ignore[valid-type]
    add_shape_keys: bpy.props.BoolProperty(name="Add shape keys", default=False)  # type: ignore[valid-type]
    view: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Face shows",
        items=(("SMPLX", "SMPL-X", "Keep the SMPL-X expression and jaw bone; the ARKit keys are added muted"),
               ("ARKIT", "ARKit", "Drive the face with the ARKit keys; mute the Exp keys and the jaw rotation")),
        default="SMPLX")

    atomic_label = "ARKit export"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return avatar_of(context.active_object) is not None

    def begin_edits(self, context: bpy.types.Context) -> Optional[arkit_keys.ArkitEdits]:
        arm = avatar_of(context.active_object)
        return arkit_keys.ArkitEdits(arm) if arm is not None and self.add_shape_keys else None

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:
        arm = active_avatar(context)
        try:
            seq = read_fused(arm[SOURCE_PROPERTY])
            model = load_body_model(arm["smplx_fusion_model"], seq.gender)
            scale = float(getattr(arm, SCALE_PROP))
            take = arkit_take(seq, model, DEFAULT_METHOD, scale)
        except (ValueError, OSError) as exc:  # bad input: reported in its own words, as a FusionError is
            raise FusionError(str(exc)) from exc
        curves = take.curves
        written = []
        if self.write_files:
            if self.filepath:
                stem = Path(bpy.path.abspath(self.filepath))
            else:
                src = Path(arm[SOURCE_PROPERTY])
                stem = src.with_name(src.name.removesuffix(".npz").removesuffix(".fused"))
            prov = {"fused": arm[SOURCE_PROPERTY], "model": model.path, "method": take.mapper.method,
                    "expression_scale": scale, "shapes": "model face units" if take.units_from_file else "procedural",
                    "note": take.mapper.note}
            try:
                written = write_arkit_files(stem, curves, seq.fps, FIRST_FRAME, provenance=prov)
            except OSError as exc:
                raise FusionError(f"{stem}: cannot write the ARKit curves ({exc.strerror})") from exc
        if self.add_shape_keys:
            dirs = full_mesh_dirs(take.pair.target, model.num_vertices)
            for mesh in avatar_meshes(arm):
                if len(mesh.data.vertices) == model.num_vertices:
                    arkit_keys.add_arkit_shape_keys(mesh, dirs, curves)
            arkit_keys.set_face_view(arm, self.view)
        arm[arkit_keys.ARKIT_SCALE_PROPERTY] = scale
        where = ", ".join(str(p) for p in written) or "no files"
        self.report({"INFO"}, f"ARKit: {curves.shape[0]} frames x 52 curves ({where})")
        return {"FINISHED"}


CLASSES = (SMPLX_FUSION_OT_set_expression_scale, SMPLX_FUSION_OT_export_arkit)
