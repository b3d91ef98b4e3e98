"""Run ``python -m core ...`` in a subprocess with an interpreter that has the core's dependencies.

Blender's own Python ships numpy but not scipy (fusion's filters) or torch; the add-on preferences name an
interpreter that has them. Inside the bpy-module build (tests, the demo) the current interpreter has them.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..core.errors import FusionError

__all__ = ["ADDON_DIR", "core_interpreter", "run_core"]

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
    raise FusionError("fusing needs a Python with numpy, scipy and tqdm (torch for camera fitting); set it in "
                      "Edit > Preferences > Add-ons > SMPL-X Fusion > 'Python with torch'",
                      field="preferences: Python with torch")


def run_core(arguments: Sequence[str], interpreter: str,
             on_line: Optional[Callable[[str], None]] = None) -> str:
    """Run ``interpreter -m core <arguments>``, streaming stdout lines to ``on_line``; returns stdout.

    Raises FusionError with the core's own one-line message when it exits non-zero.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ADDON_DIR) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
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
