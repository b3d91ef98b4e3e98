"""Validation of fused SMPL-X takes: checks vectorised over frames, a JSON report and PNG plot, and fixes.

Checks (each returns per-frame scores, flags and a per-joint / per-part breakdown, :mod:`.result`):

* ``joint_limits``  swing-twist angles about each bone against a documented ROM table (:mod:`.rom_table`);
* ``shape``         betas beyond +-3 sigma;
* ``symmetry``      left against right limb lengths;
* ``penetration``   posed vertices of hands, forearms and legs inside other segments' volumes;
* ``seams``         body estimate vs hand / face expert at the wrists and head (needs seam extras);
* ``temporal``      frames that neither their past nor their future predicts, plus velocity, acceleration,
                    jitter and source switches;
* ``reprojection``  projected joints against optional 2D evidence.

:func:`run_checks` (:mod:`.run`) runs them; :mod:`.fixes` corrects takes on request (:func:`apply_fix`);
:mod:`.metrics` measures accuracy against a ground truth; :mod:`.faults` makes synthetic faulty takes;
:mod:`.report` and :mod:`.plot_png` write the JSON report and PNG plot; :mod:`.command` is ``python -m core
validate``. Everything but :mod:`.mesh_eval` (torch + smplx, imported lazily) and :func:`.fixes.resmooth` (scipy)
is plain numpy, so it runs inside Blender. Importing this package imports nothing heavy.
"""
from __future__ import annotations

from .fixes import FIX_NAMES, FixReport, apply_fix
from .result import CHECK_NAMES, CheckResult, Thresholds, ValidationResult
from .run import run_checks

__all__ = ["CHECK_NAMES", "CheckResult", "Thresholds", "ValidationResult", "run_checks", "FIX_NAMES", "FixReport",
           "apply_fix"]
