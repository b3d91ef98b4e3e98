"""Fused takes to and from Meshcapade files: ``.smpl`` (one body) and ``.mcs`` (bodies and the camera).

The body model gives the pelvis rest joint J0 the world move needs (:mod:`.world_frame`). A take read from a lone
``.smpl`` gets a virtual static camera framing it (:mod:`.viewing_camera`); one read from a ``.mcs`` gets the
scene's camera. Either way the take records the camera poses as schema 1.1's ``world_from_camera`` (and
``world_up`` = +y), so writing it back gives the same world.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence, Union

import numpy as np

from ..body.model import BodyModel
from ..contracts.fused_file import FusedSequence
from .errors import InterchangeFileError
from .fused_world import get_world
from .mcs_scene import McsBody, McsScene, read_mcs, write_mcs
from .smpl_file import model_variant_guess, read_smpl, write_smpl
from .viewing_camera import default_intrinsics, viewing_camera
from .world_body import fused_from_world_body, world_body_from_fused
from .world_frame import interchange_world_from_camera, pelvis_rest_joint


def fused_to_smpl(seq: FusedSequence, out: Union[str, Path], model: BodyModel) -> Path:
    """Write the take's body, placed in the y-up world, as a ``.smpl`` file (through smplcodec)."""
    return write_smpl(out, world_body_from_fused(seq, pelvis_rest_joint(model, seq.betas)))


def smpl_to_fused(path: Union[str, Path], model: BodyModel, default_fps: float = 30.0) -> FusedSequence:
    """A ``.smpl`` file as a fused take filmed by a virtual static camera (1920 x 1080, f = 1500 px)."""
    body = read_smpl(path, default_fps)
    j0 = pelvis_rest_joint(model, body.betas)
    k, size = default_intrinsics()
    camera = viewing_camera(body.pelvis_world(j0))
    source = {"inputs": [{"role": "body", "path": str(path), "format": "meshcapade .smpl (smplcodec)"}],
              "conventions": ["camera: virtual, static, level, looking down the world's -z (none in the file)"]}
    return fused_from_world_body(body, j0, camera, k, size, model_variant_guess(body), source)


def mcs_to_fused(path: Union[str, Path], model: BodyModel, default_fps: float = 30.0) -> list[FusedSequence]:
    """Every body of a ``.mcs`` scene as a fused take (frames = its ``frame_presence``), filmed by the scene's
    camera; each take carries ``track_id`` = the body's index in the scene."""
    scene = read_mcs(path, default_fps)
    takes = []
    for i, entry in enumerate(scene.bodies):
        first, end = entry.frame_presence
        j0 = pelvis_rest_joint(model, entry.body.betas)
        source = {"inputs": [{"role": "body", "path": str(path), "format": "meshcapade .mcs (glTF + smplcodec)",
                              "body": i, "frame_presence": [first, end]}],
                  "conventions": list(scene.notes) + [
                      "camera: the scene's AnimatedCamera (glTF axes -> OpenCV: R_node @ diag(1, -1, -1))"]}
        seq = fused_from_world_body(entry.body, j0, scene.world_from_camera[first:end], scene.camera_K,
                                    scene.image_size, model_variant_guess(entry.body), source)
        seq.extras["track_id"] = np.array(i)
        seq.extras["first_frame"] = np.array(first)
        takes.append(seq)
    return takes


def scene_from_fused(takes: Sequence[FusedSequence], model: Union[BodyModel, Sequence[BodyModel]]) -> McsScene:
    """One scene of several takes: the camera of the first take (its ``world_from_camera``, else at the origin),
    each body present from the scene frame in its ``first_frame`` extra (0 when absent) for its T frames.
    ``model`` is one body model for every take, or one per take."""
    if not takes:
        raise InterchangeFileError("no takes to write", field="takes")
    models = list(model) if isinstance(model, (list, tuple)) else [model] * len(takes)
    if len(models) != len(takes):
        raise InterchangeFileError(f"{len(takes)} takes but {len(models)} body models", field="models")
    lead = takes[0]
    firsts = [int(np.asarray(s.extras.get("first_frame", 0)).reshape(-1)[0]) for s in takes]
    num_frames = max(f + s.num_frames for f, s in zip(firsts, takes))
    world_from_camera, world_up = get_world(lead)
    lead_pose = interchange_world_from_camera(lead.num_frames, world_from_camera, world_up)
    camera = np.concatenate([np.repeat(lead_pose[:1], firsts[0], axis=0), lead_pose,
                             np.repeat(lead_pose[-1:], num_frames - firsts[0] - lead.num_frames, axis=0)])
    bodies = [McsBody(world_body_from_fused(s, pelvis_rest_joint(m, s.betas)), (f, f + s.num_frames))
              for f, s, m in zip(firsts, takes, models)]
    return McsScene(num_frames=num_frames, fps=float(lead.fps), bodies=bodies, world_from_camera=camera,
                    camera_K=lead.camera_K_per_frame()[0], image_size=lead.image_size.copy())


def fused_to_mcs(takes: Sequence[FusedSequence], out: Union[str, Path],
                 model: Union[BodyModel, Sequence[BodyModel]]) -> Path:
    """Write several takes and the first take's camera as one ``.mcs`` scene (through smplcodec); ``model`` is one
    body model for every take, or one per take."""
    return write_mcs(out, scene_from_fused(takes, model))


__all__ = ["fused_to_smpl", "smpl_to_fused", "mcs_to_fused", "scene_from_fused", "fused_to_mcs"]
