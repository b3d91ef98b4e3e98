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

:func:`core.validate.run.run_checks` runs them; :mod:`.fixes` corrects takes on request; :mod:`.metrics` measures
accuracy against a ground truth; :mod:`.faults` makes synthetic faulty takes. Everything but
:mod:`.mesh_eval` (torch + smplx, imported lazily) and :func:`.fixes.resmooth` (scipy) is plain numpy, so it runs
inside Blender. Importing this package imports nothing heavy.
"""
from __future__ import annotations

__all__ = ["result", "rom_table", "swing_twist", "joint_limits", "shape", "symmetry", "penetration", "seams",
           "temporal", "reprojection", "metrics", "posing", "mesh_eval", "run", "fixes", "faults", "report",
           "plot_png", "command"]
