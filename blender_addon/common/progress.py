"""Progress reports: the ``progress(done, total, message)`` callback the core and the add-on's long operations
take (:data:`Progress`, :func:`no_progress` when nobody listens), and an operator's :class:`WindowProgress`, the
window manager's progress bar and one line per step on stderr.
"""
from __future__ import annotations

import sys
from typing import Callable

import bpy

__all__ = ["Progress", "no_progress", "WindowProgress"]

#: ``progress(done, total, message)``: step ``done`` of ``total`` is under way.
Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, message: str) -> None:
    """The :data:`Progress` callback that reports nothing (the default of every long operation)."""
    return None


class WindowProgress:
    """``progress(done, total, message)``: begins the progress bar on the first report, moves it, and prints
    ``[smplx_fusion] <label> done/total: message`` to stderr; :meth:`end` closes the bar (call it in ``finally``)."""

    def __init__(self, context: bpy.types.Context, label: str) -> None:
        self._wm = context.window_manager
        self._label = label
        self._begun = False

    def __call__(self, done: int, total: int, message: str) -> None:
        if not self._begun:
            self._wm.progress_begin(0, max(total, 1))
            self._begun = True
        self._wm.progress_update(done)
        print(f"[smplx_fusion] {self._label} {done}/{total}: {message}", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self._begun:
            self._wm.progress_end()
            self._begun = False
