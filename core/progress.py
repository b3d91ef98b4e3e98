"""A tqdm bar on stderr that advances one stage at a time; silent when ``quiet``. Shared by the CLI commands."""
from __future__ import annotations

import sys
from typing import Any, Callable, Optional

__all__ = ["ProgressFn", "StageProgress"]

#: ``progress(done, total, message)``: how long work reports its steps (the add-on's window bar takes the same).
ProgressFn = Callable[[int, int, str], None]


class StageProgress:
    """``step(message)`` (or calling the object) advances the bar by one stage and shows ``message``."""

    def __init__(self, total: int, desc: str, quiet: bool) -> None:
        self._bar: Optional[Any] = None
        if not quiet:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="stage", file=sys.stderr, leave=True)

    def step(self, message: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(message)
            self._bar.update(1)

    __call__ = step

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
