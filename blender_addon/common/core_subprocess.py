"""Run ``python -m core ...`` in a subprocess with an interpreter that has the core's dependencies.

Blender's own Python has numpy, and scipy and tqdm from the extension's bundled wheels (in the extensions' shared
site-packages, which the subprocess is given on its path), but not torch: :func:`torch_interpreter` finds a Python
with torch (the preference, ``$SMPLX_FUSION_TORCH_PYTHON``, conda environments) for the work that needs it.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..core.errors import FusionError

__all__ = ["ADDON_DIR", "TORCH_PYTHON_ENV", "core_interpreter", "torch_interpreter", "run_core"]

ADDON_DIR = Path(__file__).resolve().parents[1]  # the add-on root, which holds the vendored ``core`` package


def core_interpreter(configured: str = "") -> str:
    """The interpreter to run the core with; raises FusionError explaining what to configure."""
    if configured:
        if not Path(configured).is_file():
            raise FusionError("the configured Python does not exist", path=configured,
                              field="preferences: Python with torch")
        return configured
    if importlib.util.find_spec("scipy") is not None:
        return sys.executable
    raise FusionError("fusing needs scipy and tqdm, which the extension zip for this platform bundles "
                      "(smplx_fusion-<version>-<platform>.zip); install that zip, or name a Python that has them "
                      "in Edit > Preferences > Add-ons > SMPL-X Fusion > 'Python with torch'",
                      field="preferences: Python with torch")


#: An environment variable naming a Python with torch (checked after the preference, before conda environments).
TORCH_PYTHON_ENV = "SMPLX_FUSION_TORCH_PYTHON"
_CONDA_ROOTS = ("miniconda3", "anaconda3", "miniforge3", "mambaforge", "micromamba", ".conda")


def _has_torch(python: str) -> bool:
    """Whether ``python`` runs and can find torch (without importing it: a fraction of a second)."""
    check = "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"
    try:
        return subprocess.run([python, "-c", check], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _torch_candidates(configured: str) -> list[str]:
    """Where a Python with torch may be, in the order they are tried."""
    found = [configured] if configured else []
    found += [os.environ[TORCH_PYTHON_ENV]] if os.environ.get(TORCH_PYTHON_ENV) else []
    bin_dir, exe = ("Scripts", "python.exe") if os.name == "nt" else ("bin", "python")
    if os.environ.get("CONDA_PREFIX"):
        found.append(str(Path(os.environ["CONDA_PREFIX"]) / bin_dir / exe))
    home = Path.home()
    for root in _CONDA_ROOTS:
        found += [str(p) for p in sorted((home / root / "envs").glob(f"*/{bin_dir}/{exe}"))]
    return found


def torch_interpreter(configured: str = "") -> str:
    """A Python with torch, found without typing a path where possible: the preference, then
    ``$SMPLX_FUSION_TORCH_PYTHON``, the active conda environment and the conda environments in the home folder.
    Raises FusionError saying what to set when none has torch."""
    if configured and not Path(configured).is_file():
        raise FusionError("the configured Python does not exist", path=configured,
                          field="preferences: Python with torch")
    for candidate in _torch_candidates(configured):
        if Path(candidate).is_file() and _has_torch(candidate):
            return candidate
    raise FusionError(f"this needs a Python with torch, and none was found (the preference, ${TORCH_PYTHON_ENV}, "
                      "conda environments); set it in Edit > Preferences > Add-ons > SMPL-X Fusion > "
                      "'Python with torch'", field="preferences: Python with torch")


def run_core(arguments: Sequence[str], interpreter: str,
             on_line: Optional[Callable[[str], None]] = None) -> str:
    """Run ``interpreter -m core <arguments>``, streaming stdout lines to ``on_line``; returns stdout.

    Raises FusionError with the core's own one-line message when it exits non-zero.
    """
    env = dict(os.environ)
    paths = [str(ADDON_DIR)]
    if interpreter == sys.executable:  # this Python: also what it sees, e.g. the extensions' bundled wheels
        paths += [p for p in sys.path if p and Path(p).is_dir()]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    proc = subprocess.Popen([interpreter, "-m", "core", *arguments], cwd=str(ADDON_DIR), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if on_line is not None:
            on_line(line.rstrip("\n"))
    stderr = proc.stderr.read() if proc.stderr is not None else ""
    code = proc.wait()
    if code != 0:
        last = [ln for ln in stderr.splitlines() if ln.strip()]
        message = last[-1] if last else f"exited with code {code}"
        raise FusionError(message.removeprefix("error: "))
    return "".join(lines)
