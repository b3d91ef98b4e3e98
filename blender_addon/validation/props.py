"""The Validation settings and results, saved with the file as ``scene.smplx_fusion_validation``: thresholds, the
fix range and options, and the last validation's summary and worst-frames list."""
from __future__ import annotations

import bpy

from ..core.validate.result import Thresholds

__all__ = ["THRESHOLD_DEFAULTS", "SMPLX_FUSION_PG_validation_row", "SMPLX_FUSION_PG_validation", "CLASSES",
           "register_extra", "unregister_extra"]

#: The core's default thresholds; the panel lists one field per entry of ``as_dict()``.
THRESHOLD_DEFAULTS = Thresholds()


class SMPLX_FUSION_PG_validation_row(bpy.types.PropertyGroup):
    """One flagged (frame, check) in the worst-frames list."""

    frame: bpy.props.IntProperty(name="Frame")  # type: ignore[valid-type]
    check: bpy.props.StringProperty(name="Check")  # type: ignore[valid-type]
    score: bpy.props.FloatProperty(name="Score")  # type: ignore[valid-type]
    unit: bpy.props.StringProperty(name="Unit")  # type: ignore[valid-type]
    culprits: bpy.props.StringProperty(name="Where")  # type: ignore[valid-type]


class SMPLX_FUSION_PG_validation(bpy.types.PropertyGroup):
    """Thresholds, fix settings and the last validation's results (``scene.smplx_fusion_validation``)."""

    joint_limits_deg: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Joint limits (deg)", default=THRESHOLD_DEFAULTS.joint_limits_deg, min=0.0,
        description="Degrees beyond a joint's range of motion that flag a frame")
    shape_sigma: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Shape (sigma)", default=THRESHOLD_DEFAULTS.shape_sigma, min=0.0,
        description="Largest |beta| in standard deviations")
    symmetry_pct: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Symmetry (%)", default=THRESHOLD_DEFAULTS.symmetry_pct, min=0.0,
        description="Left/right limb-length difference")
    penetration_m: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Penetration (m)", default=THRESHOLD_DEFAULTS.penetration_m, min=0.0, precision=3,
        description="Depth of a body part inside another")
    seams_deg: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Seams (deg)", default=THRESHOLD_DEFAULTS.seams_deg, min=0.0,
        description="Disagreement between the body estimate and an expert at the wrists or head")
    temporal_m: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Temporal (m)", default=THRESHOLD_DEFAULTS.temporal_m, min=0.0, precision=3,
        description="Distance of a joint from what its neighbouring frames predict")
    reprojection_px: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Reprojection (px)", default=THRESHOLD_DEFAULTS.reprojection_px, min=0.0,
        description="Mean distance of projected joints to the 2D evidence")
    evidence_path: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="2D evidence", subtype="FILE_PATH", default="",
        description="Optional npz with keypoints (T, J, 2|3), confidence (T, J) and joint_index (J,)")
    frame_start: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="From", default=0, description="First frame a fix applies to (0: the scene's start)")
    frame_end: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="To", default=0, description="Last frame a fix applies to (0: the scene's end)")
    only_flagged: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Only flagged frames", default=True,
        description="Apply a fix only to the frames its check flagged inside the range")
    soft_limit_deg: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Soft limit (deg)", default=4.0, min=0.0, description="Width of the soft knee of the joint clamp")
    max_markers: bpy.props.IntProperty(name="Max markers", default=2000, min=0)  # type: ignore[valid-type]
    max_rows: bpy.props.IntProperty(name="Max listed frames", default=50, min=1)  # type: ignore[valid-type]
    show_thresholds: bpy.props.BoolProperty(name="Thresholds", default=False)  # type: ignore[valid-type]
    rows: bpy.props.CollectionProperty(type=SMPLX_FUSION_PG_validation_row)  # type: ignore[valid-type]
    row_index: bpy.props.IntProperty(default=0)  # type: ignore[valid-type]
    summary: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    check_counts: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    armature: bpy.props.StringProperty(default="")  # type: ignore[valid-type]
    last_fix: bpy.props.StringProperty(default="")  # type: ignore[valid-type]


CLASSES = (SMPLX_FUSION_PG_validation_row, SMPLX_FUSION_PG_validation)


def register_extra() -> None:
    bpy.types.Scene.smplx_fusion_validation = bpy.props.PointerProperty(type=SMPLX_FUSION_PG_validation)


def unregister_extra() -> None:
    if hasattr(bpy.types.Scene, "smplx_fusion_validation"):
        del bpy.types.Scene.smplx_fusion_validation
