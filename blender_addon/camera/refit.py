"""Re-fit: one camera (focal, per-frame translations) fitted to the avatar's estimator evidence, and the scene
updated to it.

The fit runs on the avatar's fused file (:func:`fit_route` says where): in-process with torch when it imports here;
otherwise ``python -m core fit-camera`` in a subprocess with the add-on preferences' 'Python with torch' when one is
set (``core_subprocess``); otherwise in-process on the scipy fit (:mod:`core.camera.fit_scipy`, the extension's
bundled scipy), which fits the focal and the translations; the pose refinement is numpy only and runs on every
route.
The fitted file is written next to the source under a new name (never overwriting), and the scene follows it: the
camera's intrinsics (keyed only if they vary), its reprojection-error curve and the root bone's translation curves.
:class:`RefitEdits` records what that changes in existing data, so a failed re-fit can put it back.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Optional

import bpy
import numpy as np

from ..common import camera_builder
from ..common.animation import FIRST_FRAME, channelbag_of
from ..common.avatar import SOURCE_PROPERTY
from ..common.core_subprocess import core_interpreter, run_core
from ..common.pose_channels import compute_pose_channels
from ..common.world_camera import WORLD_PROPERTY
from ..core.body.model import load_body_model
from ..core.body.skeleton import JOINT_NAMES
from ..core.camera import fit as camera_fit
from ..core.camera.result import REPROJ_AFTER_KEY
from ..core.contracts.fused_file import FusedSequence, read_fused
from ..core.errors import FusionError
from .adjust import MEAN_DEPTH_PROPERTY, apply_adjustments

__all__ = ["unique_output", "root_location_curves", "curve_points", "set_curve_points", "ROUTES", "fit_route",
           "route_description", "fit_file", "RefitEdits", "refit_camera"]

_CAMERA_SETTINGS = ("lens", "shift_x", "shift_y", "sensor_fit", "sensor_width", "sensor_height")


def unique_output(source: Path) -> Path:
    """``<stem>.camera.fused.npz`` next to ``source``, numbered when taken: a user's file is never overwritten."""
    stem = source.name.removesuffix(".npz").removesuffix(".fused")
    n = 0
    while True:
        candidate = source.with_name(f"{stem}.camera{'' if n == 0 else f'.{n}'}.fused.npz")
        if not candidate.exists():
            return candidate
        n += 1


def root_location_curves(arm: bpy.types.Object) -> list:
    """The pelvis bone's three location F-curves (x, y, z) in the armature's action."""
    bag = channelbag_of(arm)
    if bag is None:
        raise FusionError("the avatar has no animation to update", field="animation")
    path = f'pose.bones["{JOINT_NAMES[0]}"].location'
    curves = {fc.array_index: fc for fc in bag.fcurves if fc.data_path == path}
    if sorted(curves) != [0, 1, 2]:
        raise FusionError("the avatar's root translation curves are missing", field="pose.bones.pelvis.location")
    return [curves[i] for i in range(3)]


def curve_points(fc: bpy.types.FCurve) -> np.ndarray:
    """(K, 2) the curve's keyframe (frame, value) pairs, read in bulk."""
    co = np.empty(len(fc.keyframe_points) * 2, dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def set_curve_points(fc: bpy.types.FCurve, co: np.ndarray) -> None:
    """Write (K, 2) keyframe (frame, value) pairs to the curve's K existing keys in bulk."""
    fc.keyframe_points.foreach_set("co", np.ascontiguousarray(co, dtype=np.float32).ravel())
    fc.update()


def _bone_rest_rotations(arm: bpy.types.Object) -> np.ndarray:
    return np.stack([np.array(arm.data.bones[name].matrix_local)[:3, :3] for name in JOINT_NAMES])


#: Where a re-fit runs: in Blender with torch, in Blender on scipy (focal + translations), or ``python -m core`` in a
#: subprocess.
ROUTES = ("torch", "scipy", "subprocess")


def _configured_python(prefs: Any) -> str:
    return str(getattr(prefs, "python_path", "") or "") if prefs is not None else ""


def fit_route(mode: str, prefs: Any, refine_pose: bool = False) -> str:
    """Where a re-fit with the operator's ``mode`` runs here (one of :data:`ROUTES`).

    ``AUTO``: torch in Blender when it imports here; else the preferences' 'Python with torch' in a subprocess when
    one is set; else scipy in Blender. ``IN_PROCESS``: torch when it imports here, else scipy. ``SUBPROCESS``: the
    subprocess (the configured interpreter, else this one).

    Raises :class:`FusionError` before anything runs when the route needs scipy and it does not import
    (``refine_pose`` runs on every route: the refinement is numpy only).
    """
    torch_here = camera_fit.torch_available()
    configured = bool(_configured_python(prefs))
    if mode == "SUBPROCESS":
        route = "subprocess"
    elif torch_here:
        route = "torch"
    elif mode == "AUTO" and configured:
        route = "subprocess"
    else:
        route = "scipy"
    if route == "scipy" and importlib.util.find_spec("scipy") is None:
        raise FusionError("the camera re-fit in Blender needs scipy (the extension zip for this platform bundles it) "
                          "or torch; install that zip, or set 'Python with torch' in the add-on preferences",
                          field="preferences: Python with torch")
    return route


def route_description(mode: str, prefs: Any) -> str:
    """One line for the re-fit button's tooltip: where the fit will run, and what pose refinement needs there."""
    try:
        route = fit_route(mode, prefs)
    except FusionError as exc:
        return f"Cannot run here: {exc}"
    if route == "torch":
        return "Runs in Blender with torch"
    if route == "subprocess":
        python = _configured_python(prefs) or "this Python"
        return f"Runs python -m core fit-camera in a subprocess with {python}"
    return "Runs in Blender on scipy (focal, translations and pose refinement)"


def fit_file(source: Path, out: Path, model_path: str, focal_px: float, footage: str, mode: str,
             prefs: Any, keypoints2d: str = "", refine_pose: Optional[bool] = None) -> None:
    """Write the fitted file ``out`` where :func:`fit_route` says (in-process with torch or scipy, or a subprocess).

    ``mode``: ``AUTO``, ``IN_PROCESS`` or ``SUBPROCESS`` (see :func:`fit_route`). ``keypoints2d``: a 2D detector's
    keypoints file; ``refine_pose``: refine the pose with the camera (None: exactly with keypoints, as
    ``fit-camera`` does). Raises :class:`FusionError` before anything runs when this cannot run here."""
    from ..core.camera.fit_fused import FitRequest, fit_fused_file, refines_pose

    request = FitRequest(fused=str(source), out=str(out), from_provenance=True, model=model_path,
                         focal_px=focal_px if focal_px > 0 else None, footage=footage or None,
                         keypoints2d=keypoints2d or None, refine_pose=refine_pose)
    route = fit_route(mode, prefs, refines_pose(request))
    if route != "subprocess":
        request.backend = route
        fit_fused_file(request)
        return
    args = ["fit-camera", str(source), "--from-provenance", "--model", model_path, "--out", str(out), "--quiet"]
    if focal_px > 0:
        args += ["--focal", repr(float(focal_px))]
    if footage:
        args += ["--footage", footage]
    if keypoints2d:
        args += ["--keypoints2d", keypoints2d]
    if refine_pose is not None:
        args += ["--refine-pose" if refine_pose else "--no-refine-pose"]
    interpreter = core_interpreter(prefs.python_path if prefs is not None else "")
    run_core(args, interpreter, on_line=lambda line: print(f"[smplx_fusion] {line}", file=sys.stderr, flush=True))


class RefitEdits:
    """What a re-fit changes in existing data (the root's location keys, the camera's settings and actions, the
    armature's source and mean depth), recorded by :meth:`record` just before the change. ``restore()`` puts it
    back; new data-blocks are left to the operator's snapshot roll-back."""

    def __init__(self) -> None:
        self.arm: Optional[bpy.types.Object] = None
        self.cam: Optional[bpy.types.Object] = None
        self.saved: dict[str, Any] = {}

    def record(self, arm: bpy.types.Object, cam: bpy.types.Object, curves: list) -> None:
        self.saved = {"curves": [curve_points(fc) for fc in curves],
                      "camera": {k: getattr(cam.data, k) for k in _CAMERA_SETTINGS},
                      "camera_action": cam.data.animation_data.action if cam.data.animation_data else None,
                      "reproj_action": cam.animation_data.action if cam.animation_data else None,
                      "props": {k: arm.get(k) for k in (SOURCE_PROPERTY, MEAN_DEPTH_PROPERTY)}}
        self.arm, self.cam = arm, cam

    def restore(self) -> None:
        arm, cam, saved = self.arm, self.cam, self.saved
        if arm is None or cam is None:
            return
        for fc, co in zip(root_location_curves(arm), saved["curves"]):
            set_curve_points(fc, co)
        for key, value in saved["camera"].items():
            setattr(cam.data, key, value)
        if cam.data.animation_data is not None or saved["camera_action"] is not None:
            (cam.data.animation_data or cam.data.animation_data_create()).action = saved["camera_action"]
        if cam.animation_data is not None or saved["reproj_action"] is not None:
            (cam.animation_data or cam.animation_data_create()).action = saved["reproj_action"]
        for key, value in saved["props"].items():
            if value is not None:
                arm[key] = value


def refit_camera(context: bpy.types.Context, arm: bpy.types.Object, cam: bpy.types.Object, mode: str, prefs: Any,
                 edits: RefitEdits) -> tuple[FusedSequence, Path]:
    """Fit the camera for ``arm``'s take, write the fitted file and make the scene follow it; returns (fitted
    sequence, its path). Everything is computed before the scene changes, and ``edits`` records the change."""
    if arm.get(WORLD_PROPERTY):
        # the rig holds world motion and the camera its keyed path: a re-fit writes camera-frame roots
        raise FusionError("a world-grounded import (moving camera) keeps the estimator's camera path; re-fit its "
                          "file with 'python -m core fit-camera' and import the result instead",
                          path=arm.get(SOURCE_PROPERTY), field="world_from_camera")
    props = arm.smplx_fusion_camera
    source = Path(arm[SOURCE_PROPERTY])
    out = unique_output(source)
    footage = bpy.path.abspath(props.footage) if props.footage else ""
    fit_file(source, out, str(arm.get("smplx_fusion_model", "builtin")), props.focal_override_px, footage, mode,
             prefs)
    seq = read_fused(out)
    model = load_body_model(arm["smplx_fusion_model"], seq.gender)
    n_betas = min(seq.betas.shape[0], model.num_betas)
    n_expr = min(seq.expression.shape[1], model.num_expression)
    seq.betas, seq.expression = seq.betas[:n_betas], seq.expression[:, :n_expr]
    channels = compute_pose_channels(seq, model, model.rest_joints(seq.betas), _bone_rest_rotations(arm))
    curves = root_location_curves(arm)
    if len(curves[0].keyframe_points) != seq.num_frames:
        raise FusionError(f"the fitted file has {seq.num_frames} frames, the avatar "
                          f"{len(curves[0].keyframe_points)}", path=out, field="transl")
    # everything is computed: now change the scene, remembering what was there
    edits.record(arm, cam, curves)
    for k, fc in enumerate(curves):
        co = edits.saved["curves"][k].copy()
        co[:, 1] = channels.location[:, 0, k]
        set_curve_points(fc, co)
    camera_builder.update_camera(cam, seq.camera_K, seq.image_size, context.scene, FIRST_FRAME)
    camera_builder.set_reprojection_curve(cam, seq.extras.get(REPROJ_AFTER_KEY), FIRST_FRAME)
    arm[SOURCE_PROPERTY] = str(out.resolve())
    arm[MEAN_DEPTH_PROPERTY] = float(np.median(seq.transl[:, 2]))
    apply_adjustments(arm)
    return seq, out
