"""Tracking: per-frame person detections linked into tracks (identities across frames).

:mod:`.tracks` holds the linker (:func:`link_detections`): one optimal assignment per frame
(``scipy.optimize.linear_sum_assignment``) on a cost of box overlap, 3D root distance, pose and shape similarity,
with gating, births, deaths and re-identification across short gaps; an estimator's own track ids are kept.
Plain numpy and scipy: no files, no fusion.
"""
from __future__ import annotations

from .tracks import PersonDetections, TrackingOptions, TrackResult, box_iou, link_detections

__all__ = ["PersonDetections", "TrackingOptions", "TrackResult", "box_iou", "link_detections"]
