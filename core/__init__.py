"""SMPL-X Fusion's core: estimator outputs in, one fused SMPL-X take out; plain Python (numpy), no Blender.

One feature, one folder (docs/ARCHITECTURE.md, "where each feature lives"); data flows one way, top to bottom:

* :mod:`.errors`, :mod:`.rotations`, :mod:`.progress`  error types, rotation conversions, progress lines;
* :mod:`.fileio`      atomic writes and safe reading of ``.npz`` / ``.pkl`` files;
* :mod:`.contracts`   what crosses between features: the estimates and the fused file (schema v1);
* :mod:`.body`        the SMPL-X skeleton, model files, built-in models, pose correctives, posing;
* :mod:`.mannequin`, :mod:`.anny_model`  the two licence-free built-in models (numpy + scipy generators);
* :mod:`.io`          readers of the estimators' outputs (SMPLer-X, PIXIE, AMASS, EMOCA, WiLoR...);
* :mod:`.fusion`      body + face + hand experts -> one fused sequence (:func:`core.fusion.fuse`), expression
                      transfer (:mod:`core.fusion.expression`);
* :mod:`.camera`      one consistent camera for a fused take;
* :mod:`.grounding`   foot contacts, the ground plane, foot locking;
* :mod:`.validate`    checks, reports and fixes of a fused take;
* :mod:`.export`      AMASS and ARKit exports;
* :mod:`.demo_data`   a known ground-truth take and synthetic estimator outputs of it;
* :mod:`.cli`         ``python -m core <command>``.

Importing this package imports only :mod:`.errors` (torch, smplx and scipy are imported where they are used).
"""
from __future__ import annotations

from .errors import FusedFileError, FusionError, ModelFileError, UnsafePickleError

__all__ = ["FusionError", "ModelFileError", "FusedFileError", "UnsafePickleError"]
