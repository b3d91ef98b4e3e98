"""A camera for a body that comes without one (a lone ``.smpl``): static, level, looking down the world's -z at the
take, far enough back for the whole path to fit in a 1920 x 1080 frame with a 1500 px focal length."""
from __future__ import annotations

import numpy as np

from .world_frame import CV_TO_GL

#: The virtual footage of a take read without a camera: W, H in pixels and the focal length in pixels.
DEFAULT_IMAGE_SIZE = (1920.0, 1080.0)
DEFAULT_FOCAL_PX = 1500.0
#: Metres kept around the body's path on every side.
MARGIN_M = 1.2


def default_intrinsics() -> tuple[np.ndarray, np.ndarray]:
    """((3, 3) K, (2,) W, H) of the virtual footage: square pixels, principal point at the centre."""
    w, h = DEFAULT_IMAGE_SIZE
    k = np.array([[DEFAULT_FOCAL_PX, 0.0, w / 2.0], [0.0, DEFAULT_FOCAL_PX, h / 2.0], [0.0, 0.0, 1.0]])
    return k, np.array([w, h])


def viewing_camera(pelvis_world: np.ndarray) -> np.ndarray:
    """(T, 4, 4) world_from_camera (OpenCV camera) of a static camera framing the pelvis path (T, 3), y up.

    The camera looks down -z (its OpenCV axes are the world's turned by :data:`CV_TO_GL`), at the height of the
    path's centre, and stands back along +z so that the path's x extent plus :data:`MARGIN_M` fills at most the
    frame's width and a 2 m tall body at the nearest point the frame's height.
    """
    path = np.asarray(pelvis_world, dtype=np.float64).reshape(-1, 3)
    lo, hi = path.min(axis=0), path.max(axis=0)
    centre = (lo + hi) / 2.0
    w, h = DEFAULT_IMAGE_SIZE
    half_width = (hi[0] - lo[0]) / 2.0 + MARGIN_M
    half_height = (hi[1] - lo[1]) / 2.0 + MARGIN_M
    distance = max(half_width * DEFAULT_FOCAL_PX / (w / 2.0), half_height * DEFAULT_FOCAL_PX / (h / 2.0))
    pose = np.eye(4)
    pose[:3, :3] = CV_TO_GL
    pose[:3, 3] = [centre[0], centre[1], hi[2] + distance]
    return np.tile(pose, (path.shape[0], 1, 1))


__all__ = ["DEFAULT_IMAGE_SIZE", "DEFAULT_FOCAL_PX", "MARGIN_M", "default_intrinsics", "viewing_camera"]
