"""Camera trajectories of world-grounded estimators as per-frame ``world_from_camera`` (T, 4, 4) rigid transforms.

Every world-grounded reader (:mod:`.gvhmr`, :mod:`.wham`, :mod:`.tram`, :mod:`.prompthmr`) ends here: the body is
handed to fusion in the camera frame (OpenCV: x right, y down, z forward), and the camera's pose in the
estimator's gravity-aligned world rides along as ``world_from_camera``: a point ``x_cam`` in the camera frame is
``R @ x_cam + p`` in the world, with ``R = world_from_camera[:3, :3]`` and ``p = world_from_camera[:3, 3]`` (the
camera centre in the world).

SMPL and SMPL-X rotate the root about the pelvis joint ``J0(betas)``, not about the origin
(smplx ``lbs.py``: joints are posed as ``R (J - J0) + J0``, then ``transl`` is added). So the same body seen from
two frames related by ``x' = Q x + q`` has ``R' = Q R`` and ``t' = Q (J0 + t) + q - J0``
(:func:`reframe_root`); and two root poses of one body, (``R_w``, ``t_w``) in the world and (``R_c``, ``t_c``) in
the camera, give the camera ``R = R_w R_c^T``, ``p = J0 + t_w - R (J0 + t_c)`` (:func:`camera_from_root_poses`;
GVHMR's own ``get_T_w2c_from_wcparams`` in zju3dv/GVHMR ``hmr4d/utils/geo/hmr_global.py`` is this relation,
inverted, with ``offset`` = J0).
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from ...body.rigid_frames import invert_rigid, reframe_root, rigid  # moved to core/body; kept importable here

__all__ = ["rigid", "invert_rigid", "reframe_root", "camera_from_root_poses", "dpvo_to_world_from_camera",
           "up_axis", "rotation_error_deg", "is_rigid"]


def camera_from_root_poses(root_world: np.ndarray, transl_world: np.ndarray, root_cam: np.ndarray,
                           transl_cam: np.ndarray, pelvis_rest: np.ndarray) -> np.ndarray:
    """The camera's pose in the world from one body's root seen in both (the pelvis is the common point).

    Args:
        root_world, root_cam: (T, 3, 3) root rotations in the world and in the camera.
        transl_world, transl_cam: (T, 3) the model's ``transl`` in each frame.
        pelvis_rest: (T, 3) or (3,) rest pelvis joint J0(betas).
    Returns:
        (T, 4, 4) ``world_from_camera``: R = R_w R_c^T, p = J0 + t_w - R (J0 + t_c).
    """
    rot = root_world @ np.swapaxes(root_cam, -1, -2)
    pos = pelvis_rest + transl_world - np.einsum("...ij,...j->...i", rot, pelvis_rest + transl_cam)
    return rigid(rot, pos)


def dpvo_to_world_from_camera(trajectory: np.ndarray) -> np.ndarray:
    """DPVO / DROID-SLAM poses (T, 7) ``[tx, ty, tz, qx, qy, qz, qw]``, camera-to-world -> (T, 4, 4).

    WHAM reads them so (yohanshin/WHAM ``lib/data/datasets/dataset_custom.py`` ``convert_dpvo_to_cam_angvel``:
    "0 ~ 3: translation, 3 ~ 7: Quaternion", reordered ``[3, 0, 1, 2]`` to w-first, "Quat is camera to world").
    The quaternion is normalised; scipy's ``Rotation.from_quat`` takes scalar-last order.
    """
    trajectory = np.asarray(trajectory, dtype=np.float64)
    rot = Rotation.from_quat(trajectory[:, 3:7]).as_matrix()
    return rigid(rot, trajectory[:, :3])


def up_axis(name: str) -> np.ndarray:
    """``"+y"`` / ``"-y"`` / ``"+z"`` ... -> (3,) unit vector."""
    sign = -1.0 if name.startswith("-") else 1.0
    out = np.zeros(3)
    out["xyz".index(name[-1])] = sign
    return out


def rotation_error_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3, 3) x2 -> (...,) geodesic angle between the rotations, degrees."""
    rel = np.swapaxes(a, -1, -2) @ b
    cos = np.clip((np.trace(rel, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)
    # arccos loses precision near 0: use the skew part as well
    sin = 0.5 * np.linalg.norm(np.stack([rel[..., 2, 1] - rel[..., 1, 2], rel[..., 0, 2] - rel[..., 2, 0],
                                         rel[..., 1, 0] - rel[..., 0, 1]], axis=-1), axis=-1)
    return np.degrees(np.arctan2(sin, cos))


def is_rigid(transform: np.ndarray, tolerance: float = 1e-4) -> np.ndarray:
    """(..., 4, 4) -> (...,) bool: a rotation (orthonormal, det +1) with a finite translation and [0, 0, 0, 1]."""
    transform = np.asarray(transform, dtype=np.float64)
    finite = np.isfinite(transform).all(axis=(-1, -2))
    safe = np.where(finite[..., None, None], transform, 0.0)
    rot = safe[..., :3, :3]
    ortho = np.abs(rot @ np.swapaxes(rot, -1, -2) - np.eye(3)).max(axis=(-1, -2)) < tolerance
    det = np.abs(np.linalg.det(rot) - 1.0) < tolerance
    bottom = np.abs(safe[..., 3, :] - np.array([0.0, 0.0, 0.0, 1.0])).max(axis=-1) < tolerance
    return finite & ortho & det & bottom
