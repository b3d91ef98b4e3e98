"""What the features share (``docs/ARCHITECTURE.md``); no module here imports a feature. The one avatar finder
(:mod:`.avatar`), the rig read-back (:mod:`.readback`), bulk F-curves and the one channelbag lookup
(:mod:`.animation`), the axis maps (:mod:`.axes`), the import's bone channels (:mod:`.pose_channels`), bone tails
(:mod:`.bones`) and pose-corrective basis (:mod:`.correctives`), the world-aligned take root (:mod:`.take_root`,
:mod:`.ground_alignment`, :mod:`.ground_object`), the footage camera (:mod:`.camera_builder`) and plate
(:mod:`.plate`), the markers a feature owns (:mod:`.markers`), atomic operators (:mod:`.scene_snapshot`,
:mod:`.progress`, :mod:`.ui`) and the core in a subprocess (:mod:`.core_subprocess`)."""
from __future__ import annotations

__all__ = ["animation", "avatar", "axes", "bones", "camera_builder", "core_subprocess", "correctives",
           "ground_alignment", "ground_object", "markers", "plate", "pose_channels", "progress", "readback",
           "scene_snapshot", "take_root", "ui"]
