"""Demo data: a known ground-truth SMPL-X take and SMPLer-X, EMOCA and WiLoR outputs of it, each written in the
estimator's own native format and conventions, with recorded faults (dropped frames, a mislabeled hand, a body
outlier). ``python -m core demo-data OUT_DIR`` calls :func:`write_demo_data`.

Modules:

* :mod:`.motion`           a short deterministic SMPL-X motion (a wave, a step, a head turn, talking);
* :mod:`.ground_truth`     the known take in the camera frame, and what the model makes of it;
* :mod:`.noise`, :mod:`.faults`  seeded estimator noise per part, and the frames the estimators get wrong;
* :mod:`.camera`           the camera arithmetic the writers share (projection, boxes, each estimator's camera);
* :mod:`.write_smplerx`, :mod:`.write_emoca`, :mod:`.write_wilor`  each estimator's output, written as it writes it;
* :mod:`.plate`            a synthetic background plate (PNG frames) of the take;
* :mod:`.manifest`         where each output lies, its conventions and faults (:class:`DemoDataManifest`);
* :mod:`.generate`         :func:`write_demo_data`, all of the above in one folder;
* :mod:`.walking`, :mod:`.seated`, :mod:`.grounding_noise`, :mod:`.grounding_takes`  the grounding takes (a walk
  on a known floor, a floating and a seated take), truth and noisy estimate (:func:`make_grounding_takes`);
* :mod:`.shape_takes`      takes of a known body shape in a model's own shape space, seen by a 2D detector (the
  shape fit's ground truth; import the module).

Importing this package does not import torch; the smplx forward pass imports it when data is written.
"""
from __future__ import annotations

from .faults import Fault
from .generate import write_demo_data
from .ground_truth import make_ground_truth
from .grounding_takes import make_grounding_takes, write_grounding_takes
from .manifest import DemoDataManifest
from .motion import make_demo_sequence
from .noise import NoiseLevels

__all__ = ["DemoDataManifest", "Fault", "NoiseLevels", "write_demo_data", "make_demo_sequence", "make_ground_truth",
           "make_grounding_takes", "write_grounding_takes"]
