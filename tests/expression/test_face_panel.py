"""The Blender Face panel: expression intensity per take (exact, lossless, undoable) and the ARKit export."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from core.body.model import load_body_model
from core.contracts.fused_file import write_fused
from core.demo_data.motion import make_demo_sequence
from core.export.arkit import read_arkit_csv
from core.fusion.expression import fit_mapper
from core.fusion.expression.arkit import ARKIT_NAMES, arkit_curves, smplx_to_arkit_pair

FRAMES = 12


@pytest.fixture
def face_blender(blender):
    """The ``blender`` session with the face feature registered (``blender_addon.FEATURES`` includes it)."""
    bpy = blender
    from blender_addon import face

    try:
        bpy.ops.smplx_fusion.set_expression_scale.get_rna_type()
    except (AttributeError, KeyError):
        for cls in face.CLASSES:
            bpy.utils.register_class(cls)
        face.register_extra()
    return bpy


def _import(bpy, path, model_path):
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(path), model_path=str(model_path),
                                             pose_correctives="NONE") == {"FINISHED"}
    return bpy.context.view_layer.objects.active


def _mesh_positions(bpy, arm, frame: int) -> np.ndarray:
    from blender_addon.common.avatar import avatar_meshes

    bpy.context.scene.frame_set(frame)
    dg = bpy.context.evaluated_depsgraph_get()
    ev = avatar_meshes(arm)[0].evaluated_get(dg)
    me = ev.to_mesh()
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    return co.reshape(-1, 3)


@pytest.fixture
def takes(tmp_path):
    seq = make_demo_sequence(num_frames=FRAMES)
    seq.expression = seq.expression * 2.0  # a clearly visible face
    half = replace(seq, expression=seq.expression * 0.5)
    return write_fused(tmp_path / "full.fused.npz", seq), write_fused(tmp_path / "half.fused.npz", half), seq


def test_intensity_equals_a_take_imported_at_that_intensity(face_blender, takes, model_path):
    """Scaling the baked Exp keys and the expression-compensation bone locations reproduces the rig of the take
    whose expression was scaled before import: the mesh matches vertex for vertex."""
    bpy = face_blender
    from blender_addon.face.expression_scale import expression_fcurves

    full_path, half_path, _ = takes
    half = _import(bpy, half_path, model_path)
    full = _import(bpy, full_path, model_path)
    curves = expression_fcurves(full)
    assert any(fc.data_path.startswith('key_blocks["Exp') for fc in curves)
    assert any(fc.data_path.endswith(".location") for fc in curves)  # joints the expression moves
    before = _mesh_positions(bpy, full, 6)
    assert bpy.ops.smplx_fusion.set_expression_scale(scale=0.5) == {"FINISHED"}
    assert full.smplx_fusion_expression_scale == 0.5 and full["smplx_fusion_expression_baked_scale"] == 0.5
    for frame in (3, 6, 10):
        got, want = _mesh_positions(bpy, full, frame), _mesh_positions(bpy, half, frame)
        assert np.abs(got - want).max() < 2e-5
    assert np.abs(before - _mesh_positions(bpy, full, 6)).max() > 1e-3  # it did change the face


def test_zero_intensity_mutes_and_any_later_value_restores(face_blender, takes, model_path):
    bpy = face_blender
    from blender_addon.common.avatar import avatar_meshes
    from blender_addon.face.expression_scale import expression_fcurves

    arm = _import(bpy, takes[0], model_path)
    key = avatar_meshes(arm)[0].data.shape_keys
    bpy.context.scene.frame_set(5)
    original = key.key_blocks["Exp000"].value
    assert abs(original) > 1e-3
    arm.smplx_fusion_expression_scale = 0.0
    assert all(fc.mute for fc in expression_fcurves(arm))
    bpy.context.scene.frame_set(6)
    bpy.context.scene.frame_set(5)
    assert key.key_blocks["Exp000"].value == 0.0 and tuple(arm.pose.bones["jaw"].location) == (0.0, 0.0, 0.0)
    arm.smplx_fusion_expression_scale = 1.0
    bpy.context.scene.frame_set(6)
    bpy.context.scene.frame_set(5)
    assert not any(fc.mute for fc in expression_fcurves(arm))
    assert key.key_blocks["Exp000"].value == pytest.approx(original, rel=1e-6)


def test_undo_restores_the_previous_intensity(face_blender, takes, model_path):
    bpy = face_blender
    arm = _import(bpy, takes[0], model_path)
    name = arm.name
    bpy.context.scene.frame_set(4)
    from blender_addon.common.avatar import avatar_meshes

    value = avatar_meshes(arm)[0].data.shape_keys.key_blocks["Exp001"].value
    bpy.ops.ed.undo_push(message="before")
    bpy.ops.smplx_fusion.set_expression_scale(scale=1.7)
    bpy.ops.ed.undo_push(message="after")
    bpy.ops.ed.undo()
    arm = bpy.data.objects[name]
    bpy.context.scene.frame_set(5)
    bpy.context.scene.frame_set(4)
    assert arm.smplx_fusion_expression_scale == 1.0 and "smplx_fusion_expression_baked_scale" not in arm
    assert avatar_meshes(arm)[0].data.shape_keys.key_blocks["Exp001"].value == pytest.approx(value, rel=1e-6)


def test_arkit_export_writes_curves_and_adds_shape_keys(face_blender, takes, model_path, tmp_path):
    bpy = face_blender
    from blender_addon.common.avatar import avatar_meshes
    from blender_addon.face.arkit_keys import set_face_view

    arm = _import(bpy, takes[0], model_path)
    out = tmp_path / "export" / "take"
    assert bpy.ops.smplx_fusion.export_arkit(filepath=str(out), add_shape_keys=True, view="ARKIT") == {"FINISHED"}
    frames, curves = read_arkit_csv(tmp_path / "export" / "take.arkit.csv")
    assert curves.shape == (FRAMES, 52) and frames[0] == 1 and curves.min() >= 0.0 and curves.max() <= 1.0
    doc = json.loads((tmp_path / "export" / "take.arkit.json").read_text())
    assert doc["provenance"]["method"] == "projection" and doc["provenance"]["expression_scale"] == 1.0
    seq = takes[2]
    model = load_body_model(model_path)
    want = arkit_curves(fit_mapper(smplx_to_arkit_pair(model), "projection"), seq.expression, seq.jaw_pose,
                        seq.leye_pose, seq.reye_pose)
    assert np.allclose(curves, want, atol=2e-6)  # the take's expression, jaw and eyes, as the core maps them
    jaw_open = curves[:, ARKIT_NAMES.index("jawOpen")]
    assert jaw_open.max() > 0.1
    key = avatar_meshes(arm)[0].data.shape_keys
    assert all(name in key.key_blocks for name in ARKIT_NAMES)
    assert not key.key_blocks["jawOpen"].mute and key.key_blocks["Exp000"].mute
    bpy.context.scene.frame_set(7)
    assert key.key_blocks["jawOpen"].value == pytest.approx(jaw_open[6], abs=1e-5)
    assert tuple(arm.pose.bones["jaw"].rotation_quaternion) == (1.0, 0.0, 0.0, 0.0)  # ARKit's jawOpen is a shape
    set_face_view(arm, "SMPLX")
    assert key.key_blocks["jawOpen"].mute and not key.key_blocks["Exp000"].mute
    # exporting again replaces the curves instead of stacking them
    arm.smplx_fusion_expression_scale = 0.5
    assert bpy.ops.smplx_fusion.export_arkit(filepath=str(out), add_shape_keys=True) == {"FINISHED"}
    from blender_addon.common.animation import channelbag_of

    bag = channelbag_of(key)
    paths = [fc.data_path for fc in bag.fcurves]
    assert paths.count('key_blocks["jawOpen"].value') == 1
    assert json.loads((tmp_path / "export" / "take.arkit.json").read_text())["provenance"]["expression_scale"] == 0.5


def test_face_panel_shows_the_expression_source(face_blender, takes, model_path, tmp_path):
    bpy = face_blender
    from blender_addon.face.expression_source import expression_source_lines
    from blender_addon.face.panel import SMPLX_FUSION_PT_face

    seq = takes[2]
    prov = {"inputs": {"face": {"path": "/clips/take01.emoca", "format": "emoca (save_codes)"}},
            "expression_transfer": {"route": "projection",
                                    "note": "auto: the given expression mapper: projection mapper to smplx_v1.1"}}
    path = write_fused(tmp_path / "withface.fused.npz", replace(seq, provenance=json.dumps(prov)))
    arm = _import(bpy, path, model_path)
    lines = expression_source_lines(arm)
    assert lines[0] == "Face: take01.emoca (emoca (save_codes))" and lines[1] == "Route: projection"
    assert " ".join(lines[2:]) == "auto: the given expression mapper: projection mapper to smplx_v1.1"
    assert all(len(line) <= 48 for line in lines[2:])
    assert hasattr(bpy.types, "SMPLX_FUSION_PT_face") and SMPLX_FUSION_PT_face.poll(bpy.context)
    arm["smplx_fusion_provenance"] = json.dumps({"inputs": {"face": None}, "expression_transfer": None})
    assert expression_source_lines(arm) == ["No face expert: expression from the body estimate"]
