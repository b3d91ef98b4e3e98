"""The fixed axis mappings between SMPL-X / OpenCV frames and Blender's Z-up world. bpy-free.

* ``MODEL_TO_BLENDER`` (A): the SMPL-X model frame (Y up, facing +Z, left at +X) to the armature's rest frame,
  a +90 degree rotation about X: (x, y, z) -> (x, -z, y). The rest T-pose stands upright on Blender's Z axis and
  faces -Y, Blender's "front" view.
* ``CAMERA_TO_BLENDER`` (C): the fused file's camera frame (OpenCV: x right, y down, z forward) to the Blender
  world, a -90 degree rotation about X: (x, y, z) -> (x, z, -y). The footage camera sits at the origin looking
  along +Y with +Z up, and a person who stands upright in the image stands upright on Blender's floor.

The two differ by 180 degrees about X because a camera-frame ``global_orient`` already contains the flip from
SMPL-X's Y-up to the image's y-down. ``tests/test_blender_rig.py`` checks both against the smplx forward pass.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MODEL_TO_BLENDER", "CAMERA_TO_BLENDER", "CAMERA_OBJECT_EULER", "model_to_blender", "camera_to_blender",
           "blender_to_camera"]

MODEL_TO_BLENDER: np.ndarray = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
CAMERA_TO_BLENDER: np.ndarray = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

#: Euler XYZ of a Blender camera object at the origin that looks along the OpenCV camera's +z:
#: Blender cameras look down their local -Z with +Y up, and Rx(+90 deg) maps those onto +Y and +Z.
CAMERA_OBJECT_EULER = (np.pi / 2.0, 0.0, 0.0)


def model_to_blender(points: np.ndarray) -> np.ndarray:
    """(..., 3) SMPL-X model-frame points or directions -> Blender rest frame."""
    return np.asarray(points) @ MODEL_TO_BLENDER.T


def camera_to_blender(points: np.ndarray) -> np.ndarray:
    """(..., 3) OpenCV camera-frame points -> Blender world."""
    return np.asarray(points) @ CAMERA_TO_BLENDER.T


def blender_to_camera(points: np.ndarray) -> np.ndarray:
    """(..., 3) Blender world points -> OpenCV camera frame (the inverse of :func:`camera_to_blender`)."""
    return np.asarray(points) @ CAMERA_TO_BLENDER
