"""Make operators atomic: remember which data-blocks and scene settings existed, and undo a failed run exactly."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bpy

__all__ = ["SceneSnapshot", "take_snapshot", "new_ids", "roll_back"]

_SCENE_RENDER_PROPS = ("fps", "fps_base", "resolution_x", "resolution_y", "pixel_aspect_x", "pixel_aspect_y")
_SCENE_PROPS = ("frame_start", "frame_end", "frame_current", "camera")


def _id_collections() -> list[tuple[str, Any]]:
    out = []
    for attr in dir(bpy.data):
        value = getattr(bpy.data, attr, None)
        if isinstance(value, bpy.types.bpy_prop_collection) and attr not in ("window_managers", "screens",
                                                                                "workspaces"):
            out.append((attr, value))
    return out


@dataclass
class SceneSnapshot:
    ids: set[tuple[str, int]]
    scene: bpy.types.Scene
    scene_values: dict[str, Any]
    render_values: dict[str, Any]


def take_snapshot(scene: bpy.types.Scene) -> SceneSnapshot:
    """Record every data-block (by collection and ``session_uid``) and the scene settings an import changes."""
    ids = {(name, idb.session_uid) for name, coll in _id_collections() for idb in coll}
    return SceneSnapshot(ids=ids, scene=scene,
                         scene_values={p: getattr(scene, p) for p in _SCENE_PROPS},
                         render_values={p: getattr(scene.render, p) for p in _SCENE_RENDER_PROPS})


def new_ids(snapshot: SceneSnapshot) -> list[bpy.types.ID]:
    """Data-blocks created since ``snapshot``."""
    return [idb for name, coll in _id_collections() for idb in coll
            if (name, idb.session_uid) not in snapshot.ids]


def roll_back(snapshot: SceneSnapshot) -> None:
    """Remove every data-block created since ``snapshot`` and restore the recorded scene settings."""
    if bpy.context.object is not None and bpy.context.object.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    created = new_ids(snapshot)
    if created:
        bpy.data.batch_remove(created)
    scene = snapshot.scene
    for prop, value in snapshot.render_values.items():
        setattr(scene.render, prop, value)
    for prop, value in snapshot.scene_values.items():
        setattr(scene, prop, value)
