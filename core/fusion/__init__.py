"""Fusion of a whole-body SMPL-X estimate with face (FLAME / EMOCA) and hand (MANO / WiLoR, HaMeR) experts.

Arrays in, arrays out: nothing here opens a file but the ``command`` modules (the CLI). Every function is vectorised
over frames.

Modules (data flows one way, top to bottom):

* :mod:`.temporal`    quaternion helpers, zero-phase smoothing on SO(3), robust shape, filter lag measurement;
* :mod:`.confidence`  per-part, per-frame weights; smooth fallback ramps; rotation blending (slerp);
* :mod:`.hands`       mirroring, wrist global -> local, flat / mean hands, hand assignment and swaps, Kabsch
                      refinement;
* :mod:`.expression`  expression transfer between face models (a package: mappers, ARKit curves);
* :mod:`.face`        EMOCA jaw and expression -> SMPL-X (the expression routes), head orientation;
* :mod:`.pipeline`    :func:`fuse` ``(body, face, hands, model, options) -> FusionResult``, six stages;
* :mod:`.command`     ``python -m core fuse`` (reads the estimators' files, writes the fused file; not imported
                      here).

numpy only at import (scipy and torch, where used, are imported inside functions).
"""
from __future__ import annotations

from .pipeline import FusionOptions, FusionResult, fuse

__all__ = ["FusionOptions", "FusionResult", "fuse"]
