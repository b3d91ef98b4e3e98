"""Fusion of a whole-body SMPL-X estimate with face (FLAME / EMOCA) and hand (MANO / WiLoR, HaMeR) experts.

Arrays in, arrays out: nothing here opens a file. Every function is vectorised over frames.

Modules:
    chains      kinematic chains: local <-> global joint rotations, forward kinematics (numpy).
    hands       mirroring, wrist global -> local, flat / mean hands, hand assignment and swaps, Kabsch refinement.
    face        EMOCA jaw and expression -> SMPL-X (three documented routes), head orientation.
    confidence  per-part, per-frame weights; smooth fallback ramps; rotation blending (slerp).
    temporal    quaternion helpers, zero-phase smoothing on SO(3), robust shape, filter lag measurement.
    pipeline    ``fuse(body, face, hands, model, options) -> FusionResult``.

Import ``core.fusion.pipeline`` for :func:`fuse`; this package file imports nothing heavy.
"""
from __future__ import annotations

__all__ = ["chains", "hands", "face", "confidence", "temporal", "pipeline"]
