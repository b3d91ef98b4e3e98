"""The shot operators (materials, lighting, render) are atomic and undoable: a failure halfway leaves the scene
exactly as before (every data-block, the scene and render settings, the avatar's materials), undo after success
restores the previous state, and bad input is reported with nothing changed. Cases:
``tests/hardening/operator_cases.py`` ``AVATAR_OPERATOR_CASES``."""
from __future__ import annotations

import pytest

from tests.hardening.operator_cases import AVATAR_OPERATOR_CASES, data_snapshot, names_only, scene_state

from .render_fixtures import avatar, mesh_look, no_correctives, render_state  # noqa: F401

CASES = pytest.mark.parametrize("case", AVATAR_OPERATOR_CASES, ids=[c.name for c in AVATAR_OPERATOR_CASES])


def _state(bpy, mesh) -> tuple:
    scene = bpy.context.scene
    return (data_snapshot(bpy), scene_state(bpy), render_state(bpy), mesh_look(mesh),
            scene.world.name if scene.world else None)


def _without_render_result(snapshot: dict) -> dict:
    """Blender's own 'Render Result' image (not scene content: it is not saved and not undone) left out."""
    return {k: frozenset(n for n in v if n != "Render Result") if k == "images" else v for k, v in snapshot.items()}


@CASES
def test_failure_halfway_leaves_the_scene_exactly_as_before(case, avatar, tmp_path, monkeypatch):
    bpy = avatar.bpy
    before = _state(bpy, avatar.mesh)
    case.break_halfway(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated failure"):
        case.call(bpy, tmp_path)
    assert _state(bpy, avatar.mesh) == before


@CASES
def test_undo_after_success_restores_the_previous_state(case, avatar, tmp_path):
    bpy = avatar.bpy
    bpy.ops.ed.undo_push(message="before")
    mesh_name = avatar.mesh.name
    before, state, look = names_only(data_snapshot(bpy)), scene_state(bpy), mesh_look(avatar.mesh)
    assert case.call(bpy, tmp_path) == {"FINISHED"}
    bpy.ops.ed.undo_push(message="after")  # headless, undo needs this step (BLENDER5_NOTES.md section 8)
    bpy.ops.ed.undo()
    assert _without_render_result(names_only(data_snapshot(bpy))) == _without_render_result(before)
    mesh = bpy.data.objects[mesh_name]  # undo reloads data-blocks: old references are dead
    assert scene_state(bpy) == state and mesh_look(mesh) == look


@CASES
def test_bad_input_is_reported_and_changes_nothing(case, avatar, tmp_path):
    bpy = avatar.bpy
    before = _state(bpy, avatar.mesh)
    with pytest.raises(RuntimeError, match=case.bad_message):
        case.bad_call(bpy, tmp_path)
    assert _state(bpy, avatar.mesh) == before
