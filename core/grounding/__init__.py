"""Grounding (issue 11): foot contacts, the ground plane, foot locking with leg IK. Plain numpy; runs in Blender.

* :mod:`.foot_points`  heel and toe points of each foot (smplx's vertex joints), camera frame;
* :mod:`.contacts`     per-foot contact probability from height and speed (+ estimator scores), hysteresis;
* :mod:`.plane`        robust ground-plane fit (RANSAC + Tukey IRLS), ``n . x + d = 0``, n up;
* :mod:`.stance_points` one footprint per contact, estimator glitches (the body sinking for a moment) taken out;
* :mod:`.plane_prior`  the plane through the footprints, robust, with the body's up direction as a prior;
* :mod:`.two_bone_ik`  analytic hip-knee-ankle IK, knee bending forward;
* :mod:`.foot_lock`    contact locks with eased blends, root correction along the normal, floor push;
* :mod:`.pipeline`     :func:`ground_sequence` (modes auto / always / never) and :func:`estimate_ground`;
* :mod:`.command`      ``python -m core ground`` and the ``fuse --ground`` step.
"""
from __future__ import annotations

from .contacts import ContactDetection, ContactParams, detect_contacts
from .foot_lock import LockParams, LockResult, lock_feet
from .foot_points import foot_points
from .pipeline import GroundEstimate, GroundingParams, GroundingResult, estimate_ground, ground_sequence, summary_lines
from .plane import GroundPlane, fit_ground_plane
from .plane_prior import fit_plane_with_prior, lean_prior_precision
from .stance_points import StanceParams, StancePoints, stance_points

__all__ = ["ContactDetection", "ContactParams", "detect_contacts", "LockParams", "LockResult", "lock_feet",
           "foot_points", "GroundPlane", "fit_ground_plane", "GroundEstimate", "GroundingParams",
           "GroundingResult", "estimate_ground", "ground_sequence", "summary_lines", "fit_plane_with_prior",
           "lean_prior_precision", "StanceParams", "StancePoints", "stance_points"]
