"""Meshcapade interchange files: ``.smpl`` (one body; through smplcodec) and ``.mcs`` (a glTF scene of bodies and
an animated camera), to and from fused takes.

Modules (data flows one way, top to bottom):

* :mod:`.errors`          :class:`InterchangeFileError`;
* :mod:`.world_frame`     the y-up world, the rigid move of SMPL-X root parameters about the pelvis rest joint;
* :mod:`.fused_world`     a take's ``world_from_camera`` / ``world_up`` (schema 1.1, field or extra);
* :mod:`.viewing_camera`  a virtual camera for a body that comes without one;
* :mod:`.world_body`      :class:`WorldBody`, and a fused take <-> world body;
* :mod:`.smpl_file`       ``.smpl`` <-> world body through ``smplcodec.SMPLCodec``;
* :mod:`.mcs_scene`       ``.mcs`` <-> :class:`McsScene` (glTF parsed here, bodies and writing through smplcodec);
* :mod:`.takes`           fused takes <-> files, with the body model's pelvis joint;
* :mod:`.roundtrip`       :func:`smpl_roundtrip_error` (the world bench's ``smpl_roundtrip_err``);
* :mod:`.command`         ``python -m core to-smpl | from-smpl | to-mcs | from-mcs``.

smplcodec is imported when a file is read or written, so ``import core`` works without it.
"""
from __future__ import annotations

from .errors import InterchangeFileError
from .mcs_scene import McsBody, McsScene, read_mcs, write_mcs
from .roundtrip import smpl_roundtrip_error
from .smpl_file import read_smpl, write_smpl
from .takes import fused_to_mcs, fused_to_smpl, mcs_to_fused, scene_from_fused, smpl_to_fused
from .world_body import WorldBody, fused_from_world_body, world_body_from_fused

__all__ = ["InterchangeFileError", "McsBody", "McsScene", "read_mcs", "write_mcs", "smpl_roundtrip_error",
           "read_smpl", "write_smpl", "fused_to_mcs", "fused_to_smpl", "mcs_to_fused", "scene_from_fused",
           "smpl_to_fused", "WorldBody", "fused_from_world_body", "world_body_from_fused"]
