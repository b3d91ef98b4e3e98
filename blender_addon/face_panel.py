"""The Face panel: where the avatar's expression came from, its intensity per take, and ARKit curves.

* **Expression source**: the face expert's file and the expression route the fusion took (from the provenance the
  importer stores on the armature).
* **Intensity** (``Object.smplx_fusion_expression_scale``, on the armature): rescales the baked ``Exp###`` key
  F-curves, and with them the baked expression-compensation locations of the bones whose joints the expression
  moves (``(I - R_j) Delta_j`` is linear in the expression; see ``pose_channels``), so the rig stays equal to
  smplx's LBS at the scaled expression. The values are multiplied by ``new / baked`` in place (no Python handler,
  playback stays as fast); the scale the curves currently hold is kept in ``smplx_fusion_expression_baked_scale``.
  A scale of 0 mutes those curves and zeroes the values instead, so nothing is lost and any later scale restores
  them. Changing the property in the UI is an undo step; ``smplx_fusion.set_expression_scale`` does it from
  scripts with ``{'REGISTER', 'UNDO'}``.
* **ARKit** (``smplx_fusion.export_arkit``): the 52 ARKit curves of the take (the fused file's expression at the
  current intensity, its jaw and eye rotations; the per-frame bounded projection onto the ARKit shapes: the
  model's own ARKit-named face units where its file carries them, else those sculpted on the procedural
  licence-free face, see ``core/fusion/expression_arkit.py``) written as CSV and JSON, and optionally added to the
  avatar as 52 named shape keys with their animation. numpy only: it runs in Blender's own Python.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import bpy
import numpy as np
from bpy_extras import anim_utils

from . import animation
from .axes import model_to_blender
from .core.body_model import load_body_model
from .core.errors import FusionError
from .core.fused_file import read_fused
from .core.arkit_export import arkit_take, write_arkit_files
from .core.fusion.expression_arkit import ARKIT_NAMES, full_mesh_dirs
from .core.fusion.expression_map import DEFAULT_METHOD
from .importer import FIRST_FRAME
from .panels import _avatar_root

SCALE_PROP = "smplx_fusion_expression_scale"
BAKED_KEY = "smplx_fusion_expression_baked_scale"
ROOT_BONE = "pelvis"
JAW_BONE = "jaw"


def avatar_meshes(arm_obj: bpy.types.Object) -> list[bpy.types.Object]:
    """The avatar's skinned meshes that carry shape keys (children of the armature)."""
    return [ob for ob in arm_obj.children if ob.type == "MESH" and ob.data.shape_keys is not None]


def _channelbag(owner: bpy.types.ID):
    adt = owner.animation_data
    if adt is None or adt.action is None or adt.action_slot is None:
        return None
    return anim_utils.action_get_channelbag_for_slot(adt.action, adt.action_slot)


def _owned_expression_fcurves(arm_obj: bpy.types.Object) -> list[tuple[bpy.types.ID, bpy.types.FCurve]]:
    """(animated ID, F-curve) for every curve the intensity scales (an F-curve's ``id_data`` is its action)."""
    out = []
    for mesh in avatar_meshes(arm_obj):
        key = mesh.data.shape_keys
        cb = _channelbag(key)
        if cb is not None:
            out += [(key, fc) for fc in cb.fcurves if fc.data_path.startswith('key_blocks["Exp')]
    cb = _channelbag(arm_obj)
    if cb is not None:
        out += [(arm_obj, fc) for fc in cb.fcurves if fc.data_path.startswith("pose.bones[")
                and fc.data_path.endswith("].location") and fc.data_path != f'pose.bones["{ROOT_BONE}"].location']
    return out


def expression_fcurves(arm_obj: bpy.types.Object) -> list[bpy.types.FCurve]:
    """The F-curves the expression intensity scales: ``Exp###`` key values and non-root bone locations."""
    return [fc for _, fc in _owned_expression_fcurves(arm_obj)]


def _zero_static(owned: list[tuple[bpy.types.ID, bpy.types.FCurve]]) -> None:
    """With their curves muted, the properties keep their last value: set them to 0 explicitly."""
    for owner, fc in owned:
        name = fc.data_path.split('"')[1]
        if isinstance(owner, bpy.types.Object):
            pb = owner.pose.bones.get(name)
            if pb is not None:
                pb.location[fc.array_index] = 0.0
        else:
            kb = owner.key_blocks.get(name)
            if kb is not None:
                kb.value = 0.0


def apply_expression_scale(arm_obj: bpy.types.Object, scale: float) -> int:
    """Rescale the baked expression curves of ``arm_obj`` to ``scale`` x the fused values; returns curves changed.

    Values are multiplied by ``scale / baked`` (``baked`` = the scale they hold now, starts at 1). ``scale == 0``
    mutes them (values kept at the last non-zero scale) and zeroes the static values.
    """
    scale = float(scale)
    if scale < 0.0:
        raise ValueError("the expression intensity cannot be negative")
    owned = _owned_expression_fcurves(arm_obj)
    curves = [fc for _, fc in owned]
    baked = float(arm_obj.get(BAKED_KEY, 1.0))
    if scale == 0.0:
        for fc in curves:
            fc.mute = True
        _zero_static(owned)
        return len(curves)
    ratio = scale / baked
    for fc in curves:
        n = len(fc.keyframe_points)
        if n and ratio != 1.0:
            co = np.empty(2 * n, dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            co[1::2] *= ratio
            fc.keyframe_points.foreach_set("co", co)
            fc.update()
        fc.mute = False
    arm_obj[BAKED_KEY] = scale
    return len(curves)


def _on_scale_changed(self: bpy.types.Object, context: bpy.types.Context) -> None:
    if "smplx_fusion_source" in self and self.type == "ARMATURE":
        apply_expression_scale(self, getattr(self, SCALE_PROP))


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


# ----------------------------------------------------------------------------- ARKit
def add_arkit_shape_keys(mesh_obj: bpy.types.Object, dirs_model: np.ndarray, curves: np.ndarray,
                         first_frame: int = FIRST_FRAME) -> list[bpy.types.ShapeKey]:
    """52 shape keys named as ARKit names them, from (V, 3, 52) model-frame directions, animated by (T, 52) curves
    on the mesh's existing Key action slot (replaced when they exist). Sliders 0..1, ARKit's range."""
    if mesh_obj.data.shape_keys is None:
        mesh_obj.shape_key_add(name="Basis", from_mix=False)
    key = mesh_obj.data.shape_keys
    basis = np.empty(len(mesh_obj.data.vertices) * 3, dtype=np.float32)
    key.key_blocks[0].points.foreach_get("co", basis)
    offsets = model_to_blender(np.moveaxis(dirs_model, 2, 0)).astype(np.float32)  # (52, V, 3)
    blocks = []
    for k, name in enumerate(ARKIT_NAMES):
        kb = key.key_blocks.get(name) or mesh_obj.shape_key_add(name=name, from_mix=False)
        kb.slider_min, kb.slider_max = 0.0, 1.0
        kb.points.foreach_set("co", basis + offsets[k].ravel())
        blocks.append(kb)
    adt = key.animation_data
    if adt is None or adt.action is None or adt.action_slot is None:
        action = bpy.data.actions.new(f"{mesh_obj.name}-ARKit")
        slot = animation.new_slot(action, "KEY", key.name)
        animation.assign_action(key, action, slot)
    else:
        action, slot = adt.action, adt.action_slot
    cb = anim_utils.action_ensure_channelbag_for_slot(action, slot)
    paths = {f'key_blocks["{name}"].value' for name in ARKIT_NAMES}
    for fc in [fc for fc in cb.fcurves if fc.data_path in paths]:
        cb.fcurves.remove(fc)
    frames = first_frame + np.arange(curves.shape[0], dtype=np.float32)
    animation.write_fcurves(action, slot, [(f'key_blocks["{name}"].value', 0, "ARKit") for name in ARKIT_NAMES],
                            frames, curves)
    return blocks


def set_face_view(arm_obj: bpy.types.Object, view: str) -> None:
    """``"SMPLX"``: the face shows SMPL-X expression and the jaw bone, ARKit keys muted; ``"ARKIT"``: the ARKit keys
    drive the face, the ``Exp###`` keys and the jaw bone's rotation are muted (ARKit's jawOpen is a shape)."""
    arkit = view == "ARKIT"
    for mesh in avatar_meshes(arm_obj):
        key = mesh.data.shape_keys
        for kb in key.key_blocks:
            if kb.name in ARKIT_NAMES:
                kb.mute = not arkit
            elif kb.name.startswith("Exp"):
                kb.mute = arkit
    cb = _channelbag(arm_obj)
    if cb is not None:
        for fc in cb.fcurves:
            if fc.data_path == f'pose.bones["{JAW_BONE}"].rotation_quaternion':
                fc.mute = arkit
        pb = arm_obj.pose.bones.get(JAW_BONE)
        if arkit and pb is not None:
            pb.rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
    arm_obj["smplx_fusion_face_view"] = view


class SMPLX_FUSION_OT_set_expression_scale(bpy.types.Operator):
    """Scale the expression intensity of the selected avatar's take (rescales the baked expression curves)"""

    bl_idname = "smplx_fusion.set_expression_scale"
    bl_label = "Set Expression Intensity"
    bl_options = {"REGISTER", "UNDO"}

    scale: bpy.props.FloatProperty(name="Intensity", default=1.0, min=0.0, soft_max=2.0, max=10.0)  # type: ignore

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _avatar_root(context.active_object) is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        arm = _avatar_root(context.active_object)
        setattr(arm, SCALE_PROP, self.scale)  # the property's update rescales the curves
        n = len(expression_fcurves(arm))
        self.report({"INFO"}, f"Expression intensity {self.scale:g} on '{arm.name}' ({n} curves)")
        return {"FINISHED"}


class SMPLX_FUSION_OT_export_arkit(bpy.types.Operator):
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

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _avatar_root(context.active_object) is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        arm = _avatar_root(context.active_object)
        try:
            seq = read_fused(arm["smplx_fusion_source"])
            model = load_body_model(arm["smplx_fusion_model"], seq.gender)
            scale = float(getattr(arm, SCALE_PROP))
            take = arkit_take(seq, model, DEFAULT_METHOD, scale)
        except (FusionError, ValueError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        curves = take.curves
        written = []
        if self.write_files:
            if self.filepath:
                stem = Path(bpy.path.abspath(self.filepath))
            else:
                src = Path(arm["smplx_fusion_source"])
                stem = src.with_name(src.name.removesuffix(".npz").removesuffix(".fused"))
            prov = {"fused": arm["smplx_fusion_source"], "model": model.path, "method": take.mapper.method,
                    "expression_scale": scale, "shapes": "model face units" if take.units_from_file else "procedural",
                    "note": take.mapper.note}
            try:
                written = write_arkit_files(stem, curves, seq.fps, FIRST_FRAME, provenance=prov)
            except OSError as exc:
                self.report({"ERROR"}, f"{stem}: cannot write the ARKit curves ({exc.strerror})")
                return {"CANCELLED"}
        if self.add_shape_keys:
            dirs = full_mesh_dirs(take.pair.target, model.num_vertices)
            for mesh in avatar_meshes(arm):
                if len(mesh.data.vertices) == model.num_vertices:
                    add_arkit_shape_keys(mesh, dirs, curves)
            set_face_view(arm, self.view)
        arm["smplx_fusion_arkit_scale"] = scale
        where = ", ".join(str(p) for p in written) or "no files"
        self.report({"INFO"}, f"ARKit: {curves.shape[0]} frames x 52 curves ({where})")
        return {"FINISHED"}


class SMPLX_FUSION_PT_face(bpy.types.Panel):
    bl_label = "Face"
    bl_idname = "SMPLX_FUSION_PT_face"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SMPL-X"
    bl_parent_id = "SMPLX_FUSION_PT_main"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _avatar_root(context.active_object) is not None

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        arm = _avatar_root(context.active_object)
        box = layout.box()
        for line in expression_source_lines(arm):
            box.label(text=line)
        n_exp = sum(1 for mesh in avatar_meshes(arm) for kb in mesh.data.shape_keys.key_blocks
                    if kb.name.startswith("Exp"))
        box.label(text=f"{n_exp} expression keys")
        layout.prop(arm, SCALE_PROP, slider=True)
        if "smplx_fusion_arkit_scale" in arm and arm["smplx_fusion_arkit_scale"] != getattr(arm, SCALE_PROP):
            layout.label(text="ARKit curves were made at another intensity", icon="ERROR")
        layout.operator(SMPLX_FUSION_OT_export_arkit.bl_idname, icon="EXPORT")


CLASSES = (SMPLX_FUSION_OT_set_expression_scale, SMPLX_FUSION_OT_export_arkit, SMPLX_FUSION_PT_face)


def register_extra() -> None:
    bpy.types.Object.smplx_fusion_expression_scale = bpy.props.FloatProperty(
        name="Expression intensity", default=1.0, min=0.0, soft_max=2.0, max=10.0,
        description="Scale of this take's expression (rescales the baked Exp key and expression-compensation "
                    "curves; 0 mutes them)", update=_on_scale_changed)


def unregister_extra() -> None:
    if hasattr(bpy.types.Object, SCALE_PROP):
        del bpy.types.Object.smplx_fusion_expression_scale
