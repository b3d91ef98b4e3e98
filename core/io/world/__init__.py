"""World-grounded body estimators: GVHMR, WHAM, TRAM and PromptHMR outputs -> :class:`BodyEstimate` in the camera
frame plus the camera's pose in a gravity-aligned world per frame (``world_from_camera`` (T, 4, 4), ``world_up``).

The camera frame stays the fusion frame (hands and face fuse exactly as for any body); the world rides along into
the fused file (schema 1.1). Each reader's docstring records what it found in the estimator's own code.

Modules:

* :mod:`.gvhmr`, :mod:`.wham`, :mod:`.tram`, :mod:`.prompthmr`  one reader per estimator;
* :mod:`.smpl24`             SMPL's 24 joints onto SMPL-X's 21 body joints (WHAM, TRAM);
* :mod:`.camera_trajectory`  rigid transforms, root poses between frames (about the pelvis), DPVO poses;
* :mod:`.pelvis`             the rest pelvis J0(betas) those need, from the fusion model;
* :mod:`.research_pickles`   joblib pickles, torch tensors inside pickles and torch.save files, nothing executed;
* :mod:`.assemble`, :mod:`.detect`  rows to estimates with their cameras; recognising the formats.
"""
from __future__ import annotations

from .camera_trajectory import camera_from_root_poses, dpvo_to_world_from_camera, invert_rigid, reframe_root, rigid
from .detect import WORLD_FORMATS, world_format
from .gvhmr import read_gvhmr
from .prompthmr import read_prompthmr, read_prompthmr_people
from .smpl24 import smpl_pose_to_smplx
from .tram import read_tram, read_tram_camera, read_tram_people
from .wham import read_wham, read_wham_people, read_wham_slam

__all__ = ["read_gvhmr", "read_wham", "read_wham_people", "read_wham_slam", "read_tram", "read_tram_people",
           "read_tram_camera", "read_prompthmr", "read_prompthmr_people", "WORLD_FORMATS", "world_format",
           "camera_from_root_poses", "dpvo_to_world_from_camera", "invert_rigid", "reframe_root", "rigid",
           "smpl_pose_to_smplx"]
