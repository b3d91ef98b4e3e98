"""Several people in one clip: one camera, tracks, each person's own hands and face, one floor.

* :mod:`.people`        :func:`fuse_clip`: every body row into one shared camera, linked into tracks
                        (:mod:`core.tracking`), hands and faces assigned per frame (:mod:`core.fusion.assignment`),
                        one :func:`core.fusion.pipeline.fuse` per track;
* :mod:`.shared_floor`  the floor people share, and the depth along their viewing rays that puts each on it;
* :mod:`.command`       ``python -m core fuse-clip``: files in, ``<stem>.person<ID>.fused.npz`` and
                        ``<stem>.clip.json`` out.

Arrays in, arrays out, except :mod:`.command`.
"""
from __future__ import annotations

from .people import (
    ClipOptions,
    ClipResult,
    PersonFusion,
    flatten_faces,
    fuse_clip,
    gather_faces,
    shared_camera,
    to_shared_camera,
)
from .shared_floor import depth_scale_on_plane, feet_level, rescale_translation, shared_plane

__all__ = ["ClipOptions", "ClipResult", "PersonFusion", "flatten_faces", "fuse_clip", "gather_faces",
           "shared_camera", "to_shared_camera", "depth_scale_on_plane", "feet_level", "rescale_translation",
           "shared_plane"]
