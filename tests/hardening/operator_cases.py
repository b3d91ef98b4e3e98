"""Operators under the atomicity tests, and the scene snapshots they are compared with.

Each :class:`OperatorCase` says how to call one operator successfully and how to make it fail halfway (after
it has created data-blocks). ``test_atomic_operators.py`` runs every case through the same checks: a failure
leaves the scene exactly as before, undo after success restores the previous state, and the user's own
data-blocks with the names the operator uses are never touched. To cover a new operator (the validation
developer's validate / fix, say), append a case to :data:`OPERATOR_CASES`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

#: bpy.data collections that are not scene content.
_SKIP = ("window_managers", "screens", "workspaces")


def data_snapshot(bpy: Any) -> dict[str, frozenset]:
    """Every data-block of every ``bpy.data`` collection as ``{collection: {(name, session_uid)}}``."""
    out = {}
    for attr in dir(bpy.data):
        coll = getattr(bpy.data, attr, None)
        if isinstance(coll, bpy.types.bpy_prop_collection) and attr not in _SKIP:
            out[attr] = frozenset((idb.name, idb.session_uid) for idb in coll)
    return out


def names_only(snapshot: dict[str, frozenset]) -> dict[str, frozenset]:
    """The snapshot without session ids (undo reloads data-blocks, which renumbers them)."""
    return {k: frozenset(name for name, _ in v) for k, v in snapshot.items()}


def scene_state(bpy: Any) -> tuple:
    """The scene settings an import or fuse may change."""
    s = bpy.context.scene
    r = s.render
    return (s.frame_start, s.frame_end, s.frame_current, s.camera.name if s.camera else None, r.fps, r.fps_base,
            r.resolution_x, r.resolution_y, r.pixel_aspect_x, r.pixel_aspect_y)


def created_by(before: dict[str, frozenset], after: dict[str, frozenset]) -> dict[str, set]:
    """Names of the data-blocks that appeared between two snapshots, per collection."""
    return {k: {name for name, _ in after[k] - before.get(k, frozenset())} for k in after
            if after[k] - before.get(k, frozenset())}


@dataclass
class OperatorCase:
    """One operator as the atomicity tests drive it.

    Attributes:
        name: test id.
        prepare: ``(tmp_path, model_path) -> kwargs`` for a successful call (writes its input files).
        call: ``(bpy, kwargs) -> result set`` (raises RuntimeError when the operator reports an error).
        break_halfway: ``(monkeypatch) -> None``: makes the call fail after it created data-blocks.
        poison: ``(kwargs, tmp_path, marker) -> kwargs`` whose input is a malicious pickle creating ``marker``.
        learn: ``(bpy, kwargs, tmp_path, model_path) -> None``: a cheaper call creating the same data-block
            names as ``call(bpy, kwargs)`` would (None: run the operator itself).
    """

    name: str
    prepare: Callable[[Path, Path], dict]
    call: Callable[[Any, dict], set]
    break_halfway: Callable[[pytest.MonkeyPatch], None]
    poison: Callable[[dict, Path, Path], dict]
    learn: Optional[Callable[[Any, dict, Path, Path], None]] = None


def _explode(*args: Any, **kwargs: Any) -> None:
    raise ValueError("simulated failure after the armature, mesh and action exist")


def _break_camera(monkeypatch: pytest.MonkeyPatch) -> None:
    from blender_addon.common import camera_builder

    monkeypatch.setattr(camera_builder, "build_camera", _explode)


def _evil_pickle(path: Path, marker: Path) -> Path:
    from .fuzz_kit import payload_pickles

    blob = next(b for name, b in payload_pickles(marker, marker) if name == "os.system (protocol 2)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return path


def _prepare_import(tmp: Path, model_path: Path) -> dict:
    from core.contracts.fused_file import write_fused
    from core.demo_data.motion import make_demo_sequence

    tmp.mkdir(parents=True, exist_ok=True)
    fused = write_fused(tmp / "take.fused.npz", make_demo_sequence(num_frames=6))
    return {"filepath": str(fused), "model_path": str(model_path)}


_DEMO: dict = {}


def _prepare_fuse(tmp: Path, model_path: Path) -> dict:
    """The demo estimators' outputs (written once per session, read-only afterwards) and a fresh output path."""
    from core.demo_data import write_demo_data

    if str(model_path) not in _DEMO:
        _DEMO[str(model_path)] = write_demo_data(tmp / "estimators", model_path, num_frames=8, seed=5)
    demo = _DEMO[str(model_path)]
    return {"body": str(demo.body), "face": str(demo.face), "face_bbox": str(demo.face_bbox),
            "hands": str(demo.hands), "output": str(tmp / "take.fused.npz"), "model_path": str(model_path)}


def _learn_fuse_names(bpy: Any, kwargs: dict, tmp: Path, model_path: Path) -> None:
    """The fuse operator imports its output: an import of a file with the same name makes the same names."""
    stem = Path(kwargs["output"]).name
    learn = _prepare_import(tmp / "learn", model_path)
    Path(learn["filepath"]).rename(Path(learn["filepath"]).with_name(stem))
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(Path(learn["filepath"]).with_name(stem)),
                                             model_path=learn["model_path"]) == {"FINISHED"}


OPERATOR_CASES = [
    OperatorCase(
        name="import_fused",
        prepare=_prepare_import,
        call=lambda bpy, kw: bpy.ops.smplx_fusion.import_fused(**kw),
        break_halfway=_break_camera,
        poison=lambda kw, tmp, marker: dict(kw, model_path=str(_evil_pickle(tmp / "evil" / "SMPLX_NEUTRAL.pkl",
                                                                            marker))),
    ),
    OperatorCase(
        name="fuse",
        prepare=_prepare_fuse,
        call=lambda bpy, kw: bpy.ops.smplx_fusion.fuse(**kw),
        break_halfway=_break_camera,
        poison=lambda kw, tmp, marker: dict(kw, body=str(_evil_pickle(
            tmp / "pixie" / "clip_frame00001" / "clip_frame00001_param.pkl", marker).parent.parent)),
        learn=_learn_fuse_names,
    ),
]


# --------------------------------------------------------------------------------------------------- avatar operators

@dataclass
class AvatarOperatorCase:
    """An operator that works on an already imported avatar (materials, lighting, shot rendering).

    :data:`OPERATOR_CASES`' checks assume the operator imports (its undo must remove an armature), so these run
    through the same failure-halfway, undo and refused-input checks in ``tests/shots/test_render_atomic.py``, with
    the avatar part of the scene before the call.

    Attributes:
        name: test id.
        call: ``(bpy, tmp_path) -> result set`` for a successful call (raises RuntimeError on an error report).
        break_halfway: ``(monkeypatch) -> None``: makes the call fail after it created data-blocks (and, for the
            render, after the first frame rendered) with "simulated failure".
        bad_call: ``(bpy, tmp_path) -> result set`` refused for bad input; ``bad_message`` matches its report.
    """

    name: str
    call: Callable[[Any, Path], set]
    break_halfway: Callable[[pytest.MonkeyPatch], None]
    bad_call: Callable[[Any, Path], set]
    bad_message: str


def _break_eye_material(monkeypatch: pytest.MonkeyPatch) -> None:
    from blender_addon.shots import materials

    monkeypatch.setattr(materials, "build_eye_material", _explode)  # after the skin material exists


def _break_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    from blender_addon.shots import preview_stage

    monkeypatch.setattr(preview_stage, "add_floor", _explode)  # after the lights, world and collection exist


def _break_second_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    from blender_addon.common import ui
    from blender_addon.common.progress import WindowProgress

    class FailOnSecondFrame(WindowProgress):
        def __call__(self, done: int, total: int, message: str) -> None:
            if done == 1:  # frame 1 rendered: plate loaded, preset applied, Render Result made
                _explode()
            super().__call__(done, total, message)

    monkeypatch.setattr(ui, "WindowProgress", FailOnSecondFrame)  # the progress AtomicOperator passes


def _break_ground_object(monkeypatch: pytest.MonkeyPatch) -> None:
    from blender_addon.common import ground_object

    new_ground = ground_object._new_ground

    def fail_after_creating(*args: Any, **kwargs: Any) -> None:
        new_ground(*args, **kwargs)  # by now: keys written (lock), markers and contact channels, ground object
        _explode()

    monkeypatch.setattr(ground_object, "_new_ground", fail_after_creating)


def _grounding_call(bpy: Any, operator: str, **settings: Any) -> set:
    """A grounding operator with the panel's settings (mode Always: the 6-frame demo take shows no contact)."""
    panel = bpy.context.scene.smplx_fusion_grounding
    for key, value in {"mode": "ALWAYS", **settings}.items():
        setattr(panel, key, value)
    return getattr(bpy.ops.smplx_fusion, operator)()


def _render_call(bpy: Any, tmp: Path, **extra: Any) -> set:
    from tests.shots.render_fixtures import write_png

    footage = write_png(bpy, tmp / "footage" / "plate.png", (0.3, 0.5, 0.2, 1.0))
    kwargs = dict(frames_mode="LIST", frames="1,2", output_dir=str(tmp / "shots"), preset="CYCLES_FINAL",
                  samples=2, percentage=100, overlay="FOOTAGE", overlay_path=str(footage))
    return bpy.ops.smplx_fusion.render(**{**kwargs, **extra})


AVATAR_OPERATOR_CASES = [
    AvatarOperatorCase(
        name="apply_materials",
        call=lambda bpy, tmp: bpy.ops.smplx_fusion.apply_materials(),
        break_halfway=_break_eye_material,
        bad_call=lambda bpy, tmp: bpy.ops.smplx_fusion.apply_materials(skin_texture=str(tmp / "missing.png")),
        bad_message="skin texture not found",
    ),
    AvatarOperatorCase(
        name="apply_lighting",
        call=lambda bpy, tmp: bpy.ops.smplx_fusion.apply_lighting(preset="STUDIO"),
        break_halfway=_break_floor,
        bad_call=lambda bpy, tmp: bpy.ops.smplx_fusion.apply_lighting(preset="HDRI", hdri="moon"),
        bad_message="no such studio HDRI",
    ),
    AvatarOperatorCase(
        name="ground_detect",
        call=lambda bpy, tmp: _grounding_call(bpy, "ground_detect"),
        break_halfway=_break_ground_object,
        bad_call=lambda bpy, tmp: _grounding_call(bpy, "ground_detect", frame_start=100, frame_end=120),
        bad_message="hold none of the take's frames",
    ),
    AvatarOperatorCase(
        name="ground_lock",
        call=lambda bpy, tmp: _grounding_call(bpy, "ground_lock"),
        break_halfway=_break_ground_object,
        bad_call=lambda bpy, tmp: _grounding_call(bpy, "ground_lock", frame_start=100, frame_end=120),
        bad_message="hold none of the take's frames",
    ),
    AvatarOperatorCase(
        name="render",
        call=_render_call,
        break_halfway=_break_second_frame,
        bad_call=lambda bpy, tmp: _render_call(bpy, tmp, frames="1,x"),
        bad_message="cannot read 'x' as a frame",
    ),
]
