"""One consistent camera for a fused sequence: crop-camera conversions, 2D evidence and the camera fit.

Modules (data flows one way, top to bottom):
- ``conversions``: the estimators' crop cameras to the full frame, weak perspective to perspective, principal
  point, resolution changes (numpy, every formula pinned by a test against a hand-computed case);
- ``blender_camera``: pinhole intrinsics to Blender camera settings, and the OpenCV / Blender camera frames
  (numpy, bpy-free, so Blender's own Python runs it);
- ``points``: the fused sequence's 3D points the camera must reproject (body joints, hand keypoints, face);
- ``evidence``: the 2D evidence implied by each estimator's crop camera (body, hands, face);
- ``footage``: footage metadata (image size, focal length) from a frames folder or a JSON sidecar;
- ``fit``: one focal length and per-frame translations (grid search, then L-BFGS with torch autograd);
- ``pose_refine``: the focal, translations and small body-pose corrections fitted together against 2D keypoints
  (torch autograd; ``fit-camera --keypoints2d`` runs it by default);
- ``command``: the ``fit-camera`` sub-command of the core's command line.

Only ``fit`` and ``pose_refine`` need torch, and it imports it inside its functions: importing this package (and everything above
``fit``) works with numpy alone, as inside Blender.
"""
from __future__ import annotations

from .errors import CameraError

__all__ = ["CameraError"]
