"""The take as the scene displays it: read back from the rig, and written back into its F-curves.

What is read is what the user sees: the bone rotations and locations, the expression and pose-corrective weights
from the F-curves (their keys, or ``FCurve.evaluate`` where keys were edited or removed), the betas from the
``Shape###`` sliders; the source fused file supplies only what the rig does not hold (camera, fps, provenance and
extras). The rig's channels are inverted exactly (the :mod:`.pose_channels` derivation):
``R_j = A^T B_j Q_j B_j^T A`` and ``R_0 = C^T B_0 Q_0 B_0^T A``, and ``transl`` from the root bone's location.
The displayed skeleton (bone heads, Blender's own pose-matrix chain, user edits of bone locations included) comes
with it. Validation, grounding and the AMASS export all read the take here.

Writing back (:func:`write_take`) sets the changed rows of the existing F-curves' keys in bulk
(``keyframe_points.foreach_set``, the same path as :func:`.animation.write_fcurves`; never one key at a time);
every curve it touches is saved in a :class:`CurveBackup` first, so a failure can put the keys back.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import bpy
import numpy as np

from ..core.body.correctives import pose_feature
from ..core.body.model import BodyModel, load_body_model
from ..core.body.posing import with_full_pose
from ..core.body.rigid_frames import invert_rigid, reframe_take
from ..core.body.skeleton import JOINT_NAMES, PARENTS
from ..core.contracts.fused_file import FusedSequence, read_fused
from ..core.errors import FusionError
from ..core.rotations import axis_angle_to_matrix, matrix_to_axis_angle, quaternion_wxyz_to_matrix
from . import animation
from .animation import FIRST_FRAME, LINEAR, channelbag_of
from .axes import CAMERA_TO_BLENDER, MODEL_TO_BLENDER
from .correctives import corrective_basis
from .pose_channels import compute_pose_channels
from .take_root import take_root_of
from .world_camera import WORLD_PROPERTY, camera_from_rig_of

__all__ = ["TakeReadback", "curve_keys", "curve_values", "bone_rest_matrices", "orthonormal", "armature_in_take",
           "seq_in_rig_frame", "read_take", "displayed_skeleton", "CurveBackup", "row_segments", "align_signs",
           "write_take"]


# ------------------------------------------------------------------------------------------------ curves


def _curve(cb: Any, path: str, index: int) -> Optional[bpy.types.FCurve]:
    return None if cb is None else cb.fcurves.find(path, index=index)


def curve_keys(fc: bpy.types.FCurve) -> np.ndarray:
    """(2K,) float32 ``co`` of the curve's K keys, interleaved (frame, value), read in bulk."""
    n = len(fc.keyframe_points)
    co = np.empty(2 * n, dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co


def curve_values(fc: Optional[bpy.types.FCurve], frames: np.ndarray, default: float) -> np.ndarray:
    """(T,) values of ``fc`` at ``frames``: its keys where they sit exactly on the frames, else evaluated."""
    if fc is None:
        return np.full(frames.shape[0], float(default))
    co = curve_keys(fc)
    if co.size == 2 * frames.shape[0] and np.array_equal(co[0::2], frames.astype(np.float32)) and \
            len(fc.modifiers) == 0:
        return co[1::2].astype(np.float64)
    return np.array([fc.evaluate(float(f)) for f in frames], dtype=np.float64)


def bone_rest_matrices(arm: bpy.types.Object) -> np.ndarray:
    """(55, 4, 4) ``bone.matrix_local`` (armature space) in SMPL-X joint order."""
    bones = arm.data.bones
    flat = np.empty(len(bones) * 16, dtype=np.float32)
    bones.foreach_get("matrix_local", flat)
    mats = flat.reshape(-1, 4, 4).transpose(0, 2, 1).astype(np.float64)
    order = []
    for name in JOINT_NAMES:
        i = bones.find(name)
        if i < 0:
            raise FusionError(f"the armature has no bone '{name}'", path=arm.name, field="bones")
        order.append(i)
    return mats[order]


def orthonormal(rot: np.ndarray) -> np.ndarray:
    """The nearest rotation(s) to ``rot`` (..., 3, 3): a bone's rest or an object's matrix without its scale."""
    u, _, vt = np.linalg.svd(rot)
    return u @ vt


# ------------------------------------------------------------------------------------------------ reading


@dataclass
class TakeReadback:
    """The take as displayed.

    Attributes:
        arm, mesh: the avatar.
        seq: the take (pose, transl, betas, expression from the rig; the rest from the source file).
        model: its body model.
        rest_joints_model: (55, 3) rest joints from the betas, model frame (the bones' rests).
        bone_rest: (55, 4, 4) bones' ``matrix_local``.
        displayed_joints: (T, 55, 3) the displayed skeleton in the camera frame, metres.
        frames: (T,) Blender frames of the file's rows.
        correctives: the rig's pose-corrective mode (``COMPACT``, ``FULL`` or ``NONE``).
        quaternions, locations: (T, 55, 4), (T, 55, 3) the channels read.
    """

    arm: bpy.types.Object
    mesh: bpy.types.Object
    seq: FusedSequence
    model: BodyModel
    rest_joints_model: np.ndarray
    bone_rest: np.ndarray
    displayed_joints: np.ndarray
    frames: np.ndarray
    correctives: str
    quaternions: np.ndarray
    locations: np.ndarray


def armature_in_take(arm: bpy.types.Object) -> np.ndarray:
    """(4, 4) the armature object's transform in the take's own world (the Blender world of a plain import, where
    the footage camera sits at the origin): its world matrix, taken relative to its take root after a
    world-aligned import (``take_root``), so the camera frame is the same either way."""
    world = np.array(arm.matrix_world, dtype=np.float64)
    root = take_root_of(arm)
    if root is not None:
        world = np.linalg.inv(np.array(root.matrix_world, dtype=np.float64)) @ world
    return world


def seq_in_rig_frame(rb: TakeReadback, seq: FusedSequence) -> FusedSequence:
    """A take in the camera frame as displayed (what :func:`read_take` returns, or a fix of it) -> the same take in
    the rig's own frame, i.e. what the F-curves hold: :func:`read_take`'s account of the armature object's
    transform (:func:`armature_in_take`) taken back out. Identity when the object is not moved, so
    ``write_take(rb, seq_in_rig_frame(rb, rb.seq), ...)`` rewrites the keys it read."""
    camera_from_rig = camera_from_rig_of(rb.arm.get(WORLD_PROPERTY), rb.seq)  # a world import (world_camera)
    if camera_from_rig is not None:
        return reframe_take(seq, invert_rigid(camera_from_rig), rb.model)
    world = armature_in_take(rb.arm)
    if np.allclose(world, np.eye(4), atol=1e-9):
        return seq
    to_cam = CAMERA_TO_BLENDER.T @ orthonormal(world[:3, :3]) @ CAMERA_TO_BLENDER
    out = copy.deepcopy(seq)
    n_e = min(out.expression.shape[1], rb.model.num_expression)
    delta0 = rb.model.expression_joint_offsets(out.expression[:, :n_e])[:, 0] if n_e \
        else np.zeros((out.num_frames, 3))
    joint0 = rb.rest_joints_model[0] + delta0
    root_cam = (out.transl + joint0 - world[:3, 3] @ CAMERA_TO_BLENDER) @ to_cam
    out.transl = root_cam - joint0
    out.global_orient = matrix_to_axis_angle(to_cam.T @ axis_angle_to_matrix(out.global_orient))
    return out


def read_take(arm: bpy.types.Object, mesh: bpy.types.Object) -> TakeReadback:
    """Read the displayed take back from the rig (see the module docstring)."""
    source = str(arm.get("smplx_fusion_source", ""))
    if not source or not Path(source).is_file():
        raise FusionError("the take's source file is missing (validation reads the camera and extras from it)",
                          path=source or arm.name, field="smplx_fusion_source")
    base = read_fused(source)
    model = load_body_model(str(arm.get("smplx_fusion_model", "")), base.gender)
    t = base.num_frames
    if int(arm.get("smplx_fusion_frames", t)) != t:
        raise FusionError(f"the rig holds {arm.get('smplx_fusion_frames')} frames, its source {t}",
                          path=source, field="frames")
    frames = FIRST_FRAME + np.arange(t, dtype=np.float64)
    key = mesh.data.shape_keys
    betas = np.array(base.betas, dtype=np.float64)
    for k in range(min(betas.shape[0], model.num_betas)):
        kb = key.key_blocks.get(f"Shape{k:03d}")
        if kb is not None:
            betas[k] = kb.value
    key_cb = channelbag_of(key)
    expression = np.array(base.expression, dtype=np.float64)
    for k in range(min(expression.shape[1], model.num_expression)):
        kb = key.key_blocks.get(f"Exp{k:03d}")
        if kb is not None:
            expression[:, k] = curve_values(_curve(key_cb, f'key_blocks["Exp{k:03d}"].value', 0), frames, kb.value)
    arm_cb = channelbag_of(arm)
    quat = np.empty((t, len(JOINT_NAMES), 4))
    loc = np.empty((t, len(JOINT_NAMES), 3))
    for j, name in enumerate(JOINT_NAMES):
        pb = arm.pose.bones[name]
        for k in range(4):
            quat[:, j, k] = curve_values(_curve(arm_cb, f'pose.bones["{name}"].rotation_quaternion', k), frames,
                                         pb.rotation_quaternion[k])
        for k in range(3):
            loc[:, j, k] = curve_values(_curve(arm_cb, f'pose.bones["{name}"].location', k), frames, pb.location[k])
    rest = bone_rest_matrices(arm)
    b = orthonormal(rest[:, :3, :3])
    a, c = MODEL_TO_BLENDER, CAMERA_TO_BLENDER
    q_rot = quaternion_wxyz_to_matrix(quat)  # (T, 55, 3, 3)
    left = np.swapaxes(a, 0, 1) @ b  # A^T B_j
    left0 = c.T @ b[0]
    right = np.swapaxes(b, -1, -2) @ a  # B_j^T A
    local = left[None] @ q_rot @ right[None]
    local[:, 0] = left0[None] @ q_rot[:, 0] @ right[0][None]
    n_b = min(betas.shape[0], model.num_betas)
    rest_joints_model = model.rest_joints(betas[:n_b])
    n_e = min(expression.shape[1], model.num_expression)
    delta = model.expression_joint_offsets(expression[:, :n_e]) if n_e else np.zeros((t, len(JOINT_NAMES), 3))
    moved_root = delta[:, 0] - np.einsum("tab,tb->ta", local[:, 0], delta[:, 0])
    root_world = loc[:, 0] @ b[0].T
    j0 = rest_joints_model[0]
    transl = (root_world + a @ j0) @ c - j0 - moved_root
    world = armature_in_take(arm)
    if not np.allclose(world, np.eye(4), atol=1e-9):
        # the armature object was moved: what the camera sees is the root carried by the object's transform
        m_rot = orthonormal(world[:3, :3])
        to_cam = c.T @ m_rot @ c  # the object's rotation in the camera frame
        joint0 = j0 + delta[:, 0]
        root_cam = transl + joint0
        transl = root_cam @ to_cam.T + world[:3, 3] @ c - joint0
        local[:, 0] = to_cam[None] @ local[:, 0]
    full_pose = matrix_to_axis_angle(local)
    seq = with_full_pose(base, full_pose)
    seq.betas = betas
    seq.expression = expression
    seq.transl = transl
    displayed = displayed_skeleton(arm, rest, quat, loc)
    # the bone heads sit at the betas-only rest joints; SMPL-X's joints also carry the expression shift
    glob = np.empty_like(local)
    glob[:, 0] = local[:, 0]
    for j in range(1, len(JOINT_NAMES)):  # joints, each step batched over frames
        glob[:, j] = glob[:, PARENTS[j]] @ local[:, j]
    displayed = displayed + np.einsum("tjab,tjb->tja", glob, delta)
    camera_from_rig = camera_from_rig_of(arm.get(WORLD_PROPERTY), base)  # a world import: the rig holds the world
    if camera_from_rig is not None:
        seq = reframe_take(seq, camera_from_rig, model)
        displayed = np.einsum("tij,tkj->tki", camera_from_rig[:, :3, :3], displayed) + camera_from_rig[:, None, :3, 3]
    return TakeReadback(arm=arm, mesh=mesh, seq=seq, model=model, rest_joints_model=rest_joints_model,
                        bone_rest=rest, displayed_joints=displayed, frames=frames,
                        correctives=str(arm.get("smplx_fusion_pose_correctives", "NONE")), quaternions=quat,
                        locations=loc)


def displayed_skeleton(arm: bpy.types.Object, rest: np.ndarray, quat: np.ndarray, loc: np.ndarray) -> np.ndarray:
    """(T, 55, 3) bone heads in the camera frame from Blender's pose chain:
    ``pose_j = pose_parent (rest_parent^-1 rest_j) T(loc_j) R(quat_j)``, then the object's world matrix."""
    t = quat.shape[0]
    basis = np.broadcast_to(np.eye(4), (t, len(JOINT_NAMES), 4, 4)).copy()
    basis[..., :3, :3] = quaternion_wxyz_to_matrix(quat)
    basis[..., :3, 3] = loc
    pose = np.empty_like(basis)
    inv_rest = np.linalg.inv(rest)
    pose[:, 0] = rest[0][None] @ basis[:, 0]
    for j in range(1, len(JOINT_NAMES)):
        p = int(PARENTS[j])
        pose[:, j] = pose[:, p] @ (inv_rest[p] @ rest[j])[None] @ basis[:, j]
    world = armature_in_take(arm)
    heads = pose[..., :3, 3] @ world[:3, :3].T + world[:3, 3]
    return heads @ CAMERA_TO_BLENDER  # Blender world -> OpenCV camera frame


# ------------------------------------------------------------------------------------------------ writing


class CurveBackup:
    """Keys of every F-curve a write touches (and the curves it creates), put back by :meth:`restore`."""

    def __init__(self) -> None:
        self._saved: list[tuple[bpy.types.FCurve, np.ndarray]] = []
        self._created: list[tuple[Any, bpy.types.FCurve]] = []

    def save(self, fc: bpy.types.FCurve) -> None:
        self._saved.append((fc, curve_keys(fc)))

    def created(self, cb: Any, fc: bpy.types.FCurve) -> None:
        self._created.append((cb, fc))

    def restore(self) -> None:
        for fc, co in reversed(self._saved):
            if len(fc.keyframe_points) != co.size // 2:
                fc.keyframe_points.clear()
                fc.keyframe_points.add(co.size // 2)
            fc.keyframe_points.foreach_set("co", co)
            fc.update()
        for cb, fc in self._created:
            cb.fcurves.remove(fc)


def row_segments(rows: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive rows in sorted ``rows`` as inclusive (first, last) pairs."""
    if rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) > 1)
    return list(zip(np.concatenate([[rows[0]], rows[breaks + 1]]).tolist(),
                    np.concatenate([rows[breaks], [rows[-1]]]).tolist()))


def align_signs(new: np.ndarray, old: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(T, J, 4) new quaternions, sign-flipped per joint and per run of ``rows`` to meet the old keys next to it."""
    out = new.copy()
    t = new.shape[0]
    inside = np.zeros(t, dtype=bool)
    inside[rows] = True
    for a, b in row_segments(rows):
        ref = a - 1 if a > 0 else (b + 1 if b + 1 < t else None)
        if ref is None or inside[ref]:
            continue
        sign = np.where(np.einsum("jk,jk->j", new[ref], old[ref]) < 0.0, -1.0, 1.0)
        out[a:b + 1] *= sign[None, :, None]
    return out


def _write_rows(cb: Any, owner_slot: tuple[bpy.types.Action, bpy.types.ActionSlot], path: str, index: int,
                group: str, frames: np.ndarray, rows: np.ndarray, values: np.ndarray, backup: CurveBackup,
                default: float) -> None:
    """Set the keys of rows ``rows`` of one channel to ``values[rows]`` in bulk; a missing curve is created with
    every frame (``animation.write_fcurves``); a curve whose keys do not sit on the frames is re-keyed."""
    fc = cb.fcurves.find(path, index=index) if cb is not None else None
    if fc is None:
        if np.allclose(values[rows], default):
            return
        full = np.full(frames.shape[0], float(default))
        full[rows] = values[rows]
        action, slot = owner_slot
        animation.write_fcurves(action, slot, [(path, index, group)], frames, full[:, None])
        cb = animation.slot_channelbag(action, slot)
        backup.created(cb, cb.fcurves.find(path, index=index))
        return
    backup.save(fc)
    co = curve_keys(fc)
    if co.size == 2 * frames.shape[0] and np.array_equal(co[0::2], frames.astype(np.float32)):
        co[2 * rows + 1] = values[rows].astype(np.float32)
        fc.keyframe_points.foreach_set("co", co)
    else:  # keys edited by hand: key every frame, keeping what is displayed elsewhere
        full = np.array([fc.evaluate(float(f)) for f in frames])
        full[rows] = values[rows]
        fc.keyframe_points.clear()
        fc.keyframe_points.add(frames.shape[0])
        new_co = np.empty((frames.shape[0], 2), dtype=np.float32)
        new_co[:, 0], new_co[:, 1] = frames, full
        fc.keyframe_points.foreach_set("co", new_co.ravel())
        fc.keyframe_points.foreach_set("interpolation", np.full(frames.shape[0], LINEAR, dtype=np.int32))
    fc.update()


def _owner(owner: bpy.types.ID) -> tuple[bpy.types.Action, bpy.types.ActionSlot]:
    adt = owner.animation_data
    if adt is None or adt.action is None or adt.action_slot is None:
        raise FusionError(f"'{owner.name}' has no assigned action to write into", field="animation")
    return adt.action, adt.action_slot


def write_take(rb: TakeReadback, new_seq: FusedSequence, rows: np.ndarray, backup: CurveBackup) -> None:
    """Write rows ``rows`` of ``new_seq`` (in the rig's own frame: see :func:`seq_in_rig_frame`) into the rig's
    F-curves (rotations, locations, expression and pose-corrective weights), in bulk."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return
    b = orthonormal(rb.bone_rest[:, :3, :3])
    channels = compute_pose_channels(new_seq, rb.model, rb.rest_joints_model, b)
    quat = align_signs(channels.quaternion_wxyz, rb.quaternions, rows)
    arm_cb, arm_slot = channelbag_of(rb.arm), _owner(rb.arm)
    for j, name in enumerate(JOINT_NAMES):
        for k in range(4):
            _write_rows(arm_cb, arm_slot, f'pose.bones["{name}"].rotation_quaternion', k, name, rb.frames, rows,
                        quat[:, j, k], backup, 1.0 if k == 0 else 0.0)
        for k in range(3):
            _write_rows(arm_cb, arm_slot, f'pose.bones["{name}"].location', k, name, rb.frames, rows,
                        channels.location[:, j, k], backup, 0.0)
    key = rb.mesh.data.shape_keys
    key_cb = channelbag_of(key)
    n_e = min(new_seq.expression.shape[1], rb.model.num_expression)
    if n_e and key_cb is not None:
        key_slot = _owner(key)
        for k in range(n_e):
            if key.key_blocks.get(f"Exp{k:03d}") is not None:
                _write_rows(key_cb, key_slot, f'key_blocks["Exp{k:03d}"].value', 0, "Expression", rb.frames,
                            rows, new_seq.expression[:, k], backup, 0.0)
    basis = _corrective_basis(rb.model, rb.correctives)
    if basis is not None and basis.directions.shape[2] and key_cb is not None:
        weights = pose_feature(new_seq.full_pose()) @ basis.feature_to_weight
        key_slot = _owner(key)
        for k in range(weights.shape[1]):
            if key.key_blocks.get(f"Pose{k:03d}") is not None:
                _write_rows(key_cb, key_slot, f'key_blocks["Pose{k:03d}"].value', 0, "Pose correctives",
                            rb.frames, rows, weights[:, k], backup, 0.0)


_BASIS_CACHE: dict[tuple[str, str, int], Any] = {}


def _corrective_basis(model: BodyModel, mode: str) -> Any:
    """:func:`.correctives.corrective_basis`, remembered per model file and mode (its SVD takes seconds)."""
    key = (model.path, mode, model.num_vertices)
    if key not in _BASIS_CACHE:
        _BASIS_CACHE.clear()
        _BASIS_CACHE[key] = corrective_basis(model, mode)
    return _BASIS_CACHE[key]
