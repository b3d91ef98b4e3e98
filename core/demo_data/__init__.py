"""Demo data: a known ground-truth SMPL-X take and SMPLer-X, EMOCA and WiLoR outputs of it, each written in the
estimator's own native format and conventions, with recorded faults (dropped frames, a mislabeled hand, a body
outlier). ``python -m core demo-data OUT_DIR`` calls :func:`write_demo_data`.

Importing this package does not import torch; the smplx forward pass imports it when data is written.
"""
from __future__ import annotations

from .faults import Fault
from .generate import write_demo_data
from .grounding_takes import make_grounding_takes, write_grounding_takes
from .manifest import DemoDataManifest
from .noise import NoiseLevels

__all__ = ["DemoDataManifest", "Fault", "NoiseLevels", "write_demo_data", "make_grounding_takes",
           "write_grounding_takes"]
