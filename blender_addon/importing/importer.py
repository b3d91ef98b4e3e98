"""Fused file -> armature, skinned mesh with shape keys, whole animation and camera, in the current scene."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import bpy
import numpy as np

from ..common import animation, camera_builder, take_root, world_camera
from ..common.animation import FIRST_FRAME
from ..common.avatar import CAMERA_PROPERTY, SOURCE_PROPERTY
from ..common.correctives import corrective_basis
from ..common.pose_channels import compute_pose_channels
from ..common.progress import Progress, no_progress
from ..core.body.builtin import resolve_model
from ..core.body.correctives import pose_feature
from ..core.body.model import BodyModel, load_body_model
from ..core.body.skeleton import JOINT_NAMES
from ..core.camera.result import REPROJ_AFTER_KEY
from ..core.contracts.fused_file import FusedSequence, read_fused
from ..core.world import has_world
from . import mesh_builder, rig_builder, world_import

__all__ = ["ImportResult", "import_fused_file"]


@dataclass
class ImportResult:
    armature: bpy.types.Object
    mesh: bpy.types.Object
    camera: Optional[bpy.types.Object]
    num_frames: int
    warnings: list[str] = field(default_factory=list)


def _set_scene_timing(scene: bpy.types.Scene, fps: float, num_frames: int) -> None:
    rounded = max(1, int(round(fps)))
    scene.render.fps = rounded
    scene.render.fps_base = rounded / fps
    scene.frame_start = FIRST_FRAME
    scene.frame_end = FIRST_FRAME + num_frames - 1


def _animate(arm_obj: bpy.types.Object, mesh_obj: bpy.types.Object, seq: FusedSequence, model: BodyModel,
             rest_joints: np.ndarray, bone_rest_rotation: np.ndarray, name: str,
             key_tracks: list[tuple[str, str, np.ndarray]]) -> None:
    """Bone channels on an OBJECT slot and shape-key values on a KEY slot of one action.

    ``key_tracks``: (key name prefix, group name, (T, K) values) per family of animated shape keys.
    """
    channels = compute_pose_channels(seq, model, rest_joints, bone_rest_rotation)
    t = seq.num_frames
    frames = FIRST_FRAME + np.arange(t, dtype=np.float32)
    action = bpy.data.actions.new(f"{name}-SMPLX")
    arm_slot = animation.new_slot(action, "OBJECT", arm_obj.name)
    specs, columns = [], []
    for j, bone in enumerate(JOINT_NAMES):
        for k in range(4):
            specs.append((f'pose.bones["{bone}"].rotation_quaternion', k, bone))
            columns.append(channels.quaternion_wxyz[:, j, k])
        if channels.animated_location[j]:
            for k in range(3):
                specs.append((f'pose.bones["{bone}"].location', k, bone))
                columns.append(channels.location[:, j, k])
    animation.write_fcurves(action, arm_slot, specs, frames, np.stack(columns, axis=1))
    animation.assign_action(arm_obj, action, arm_slot)

    key_tracks = [track for track in key_tracks if track[2].shape[1]]
    if key_tracks:
        key = mesh_obj.data.shape_keys
        key_slot = animation.new_slot(action, "KEY", key.name)
        key_specs = [(f'key_blocks["{prefix}{k:03d}"].value', 0, group)
                     for prefix, group, values in key_tracks for k in range(values.shape[1])]
        values = np.clip(np.concatenate([values for _, _, values in key_tracks], axis=1),
                         -mesh_builder.SLIDER_LIMIT, mesh_builder.SLIDER_LIMIT)
        animation.write_fcurves(action, key_slot, key_specs, frames, values)
        animation.assign_action(key, action, key_slot)


def import_fused_file(context: bpy.types.Context, filepath: str, model_path: str = "",
                      model_cache_dir: Optional[str] = None, pose_correctives: str = "COMPACT",
                      progress: Progress = no_progress, world_align: bool = False,
                      camera: Optional[bpy.types.Object] = None) -> ImportResult:
    """Build the avatar for ``filepath``. Raises ``core.errors.FusionError`` on bad input.

    ``pose_correctives``: ``COMPACT`` (default; the fewest SVD components of ``posedirs`` that reproduce all 486
    within 1e-5 m, so playback stays fast), ``FULL`` (one ``Pose###`` key per pose-feature entry, 486) or
    ``NONE``. The per-frame weights are baked as F-curves: playback needs no Python handler.

    ``world_align``: parent the rig and the camera to an empty (``take_root``) placed so that the take's ground
    (the file's ``ground_plane``, else estimated from the feet) is Blender's z = 0 with +Z up; one rigid
    transform, so the camera sees the avatar exactly as without it.

    ``camera``: an existing camera to share (several people of one clip, :mod:`.clip_importer`); none is built.

    The caller owns atomicity: on an exception, IDs created so far are left for it to remove.
    """
    total = 6
    progress(0, total, "reading the fused file")
    seq = read_fused(filepath)
    progress(1, total, "loading the body model")
    model = load_body_model(resolve_model(model_path, seq.gender, model_cache_dir), seq.gender)
    warnings: list[str] = []
    n_betas = min(seq.betas.shape[0], model.num_betas)
    n_expr = min(seq.expression.shape[1], model.num_expression)
    if seq.betas.shape[0] > model.num_betas:
        warnings.append(f"the file has {seq.betas.shape[0]} betas, the model {model.num_betas}: extra ignored")
    if seq.expression.shape[1] > model.num_expression:
        warnings.append(f"the file has {seq.expression.shape[1]} expression coefficients, the model "
                        f"{model.num_expression}: extra ignored")
    if np.any(np.abs(seq.betas[:n_betas]) > mesh_builder.SLIDER_LIMIT) or \
            np.any(np.abs(seq.expression[:, :n_expr]) > mesh_builder.SLIDER_LIMIT):
        warnings.append("coefficients beyond +-10 were clipped to Blender's shape-key slider limit")

    seq.betas = seq.betas[:n_betas]
    seq.expression = seq.expression[:, :n_expr]
    name = Path(filepath).name.removesuffix(".npz").removesuffix(".fused")
    scene = context.scene
    collection = bpy.data.collections.new(name)
    scene.collection.children.link(collection)

    progress(2, total, "building the armature")
    rest_joints = model.rest_joints(seq.betas)
    arm_obj, bone_rest_rotation = rig_builder.build_armature(context, name, rest_joints, collection)
    progress(3, total, "building the mesh, vertex groups and shape keys")
    mesh_obj = mesh_builder.build_mesh(f"{name}-body", model, collection)
    mesh_builder.add_vertex_groups(mesh_obj, model.skinning_weights)
    # one key per coefficient the file uses: unused keys would still cost playback time
    mesh_builder.add_shape_keys(mesh_obj, "Shape", model.shape_dirs[:, :, :n_betas], values=seq.betas)
    if n_expr:
        mesh_builder.add_shape_keys(mesh_obj, "Exp", model.expression_dirs[:, :, :n_expr])
    basis = corrective_basis(model, pose_correctives)
    corrective_weights = np.zeros((seq.num_frames, 0))
    if basis is not None and basis.directions.shape[2]:
        mesh_builder.add_shape_keys(mesh_obj, "Pose", basis.directions)
        corrective_weights = pose_feature(seq.full_pose()) @ basis.feature_to_weight
    mesh_builder.add_armature_modifier(mesh_obj, arm_obj)

    progress(4, total, f"writing {seq.num_frames} frames of animation")
    # world import (schema 1.1): the rig carries the world motion, the camera flies its path (world_import)
    placement = world_import.placement_for(seq, model, camera) if has_world(seq) else None
    rig_seq = seq if placement is None else world_camera.rig_take(seq, model, placement)
    _animate(arm_obj, mesh_obj, rig_seq, model, rest_joints, bone_rest_rotation, name,
             [("Exp", "Expression", seq.expression[:, :n_expr]), ("Pose", "Pose correctives", corrective_weights)])
    _set_scene_timing(scene, seq.fps, seq.num_frames)

    progress(5, total, "matching the camera")
    if camera is None:
        camera = camera_builder.build_camera(f"{name}-camera", seq.camera_K, seq.image_size, scene, collection,
                                             first_frame=FIRST_FRAME)
        camera_builder.set_reprojection_curve(camera, seq.extras.get(REPROJ_AFTER_KEY), FIRST_FRAME)
    if scene.camera is None:
        scene.camera = camera
    warnings.extend(camera_builder.camera_warnings(seq.camera_K, seq.image_size))
    if placement is not None:
        world_import.animate_camera_path(camera, placement, FIRST_FRAME)
        world_import.record_placement(arm_obj, placement)
        if world_align:
            warnings.append("world-align skipped: the take is imported in its own world, floor at z = 0")
    elif world_align:
        plane, source = take_root.ground_for_alignment(seq, model, filepath)
        take_root.add_take_root(name, plane, source, (arm_obj, camera), collection)
        if source != "file":
            warnings.append(f"world-aligned on a ground estimated from the feet ({source}): the file has no "
                            "ground_plane")
    arm_obj[CAMERA_PROPERTY] = camera.name
    arm_obj["smplx_fusion_mean_depth"] = float(np.median(seq.transl[:, 2]))
    frame_ids = seq.extras.get("frame_ids")
    arm_obj["smplx_fusion_footage_first_frame"] = int(np.asarray(frame_ids).reshape(-1)[0]) \
        if frame_ids is not None and np.asarray(frame_ids).size else FIRST_FRAME

    for ob in (arm_obj, mesh_obj):
        ob[SOURCE_PROPERTY] = str(Path(filepath).resolve())
        ob["smplx_fusion_model"] = model.path
    arm_obj["smplx_fusion_frames"] = seq.num_frames
    arm_obj["smplx_fusion_pose_correctives"] = pose_correctives
    arm_obj["smplx_fusion_fps"] = float(seq.fps)
    arm_obj["smplx_fusion_provenance"] = seq.provenance
    arm_obj["smplx_fusion_warnings"] = json.dumps(warnings)
    progress(total, total, "done")
    return ImportResult(armature=arm_obj, mesh=mesh_obj, camera=camera, num_frames=seq.num_frames,
                        warnings=warnings)
