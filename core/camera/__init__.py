"""One consistent camera for a fused sequence: crop-camera conversions, 2D evidence and the camera fit.

Modules (data flows one way, top to bottom):

* :mod:`.errors`          :class:`CameraError`, a ``FusionError`` naming the file and field;
* :mod:`.conversions`     the estimators' crop cameras to the full frame, weak perspective to perspective,
                          principal point, resolution changes (numpy, every formula pinned by a test against a
                          hand-computed case);
* :mod:`.blender_camera`  pinhole intrinsics to Blender camera settings (:func:`blender_camera_settings`), and the
                          OpenCV / Blender camera frames (numpy, bpy-free, so Blender's own Python runs it);
* :mod:`.footage`         footage metadata (image size, focal length) from a frames folder or a JSON sidecar
                          (:func:`read_footage`);
* :mod:`.footage_frame`   which pixels a fit uses and writes (the footage's size, never a guessed one; one uniform
                          scale), the plausible focal range and the default field of view;
* :mod:`.points`          the fused sequence's 3D points the camera must reproject (body joints, hand keypoints,
                          face);
* :mod:`.keypoints2d`     a 2D detector's keypoints as evidence (:func:`read_keypoints2d`);
* :mod:`.evidence`        the 2D evidence implied by each estimator's crop camera (body, hands, face);
* :mod:`.result`          what a fit produces and how it enters a fused file (reprojection errors);
* :mod:`.fit_common`      what both camera fits share: options, checks, grid, start, frame outliers, result (numpy);
* :mod:`.fit`             one focal length and per-frame translations (grid search, then L-BFGS with torch
                          autograd); :func:`.fit.fit_camera` runs :mod:`.fit_scipy` instead where torch does not
                          import (``backend``);
* :mod:`.fit_scipy`       the same fit with numpy and scipy (``least_squares``, sparse analytic Jacobian): what
                          Blender's own Python runs;
* :mod:`.pose_refine`     the focal, translations and body-pose corrections fitted together against 2D keypoints,
                          only where the keypoints see a joint (numpy Levenberg-Marquardt,
                          :mod:`.refine_solver`; groups and held-out checks :mod:`.refine_groups`,
                          :mod:`.refine_report`; ``fit-camera --keypoints2d`` runs it by default);
* :mod:`.shape_fit`       on a built-in model, the take's own body shape fitted to the 2D keypoints (and an
                          estimator's 3D joints), camera held, then the camera refitted (numpy + scipy);
* :mod:`.fit_fused`       a fused file in, the fitted camera written into it (:func:`fit_fused_file`);
* :mod:`.command`         the ``fit-camera`` sub-command of the core's command line (not imported here).

Only ``fit``'s torch path needs torch, and it imports it inside its functions; ``fit_scipy`` needs scipy (imported
only when it runs): importing this package works with numpy alone. Without torch the camera fit runs on scipy, and
the pose refinement (numpy) runs as everywhere, so Blender's own Python refines too.
"""
from __future__ import annotations

from .blender_camera import BlenderCameraSettings, blender_camera_settings
from .errors import CameraError
from .fit_fused import FitOutcome, FitRequest, fit_fused_file
from .footage import FootageInfo, read_footage
from .keypoints2d import Keypoints2D, read_keypoints2d, write_keypoints2d

__all__ = ["CameraError", "BlenderCameraSettings", "blender_camera_settings", "FootageInfo", "read_footage",
           "Keypoints2D", "read_keypoints2d", "write_keypoints2d", "FitRequest", "FitOutcome", "fit_fused_file"]
