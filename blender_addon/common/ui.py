"""What every sidebar panel and every scene-changing operator share.

* :class:`SidebarPanel` - the SMPL-X tab of the 3D viewport's sidebar; a feature's panel only adds its label, id,
  parent and ``draw``.
* :class:`AtomicOperator` - the one execute block: snapshot the scene, run, and on any failure restore it exactly
  and report one line (the project's own :class:`FusionError` as it is; anything else as "failed unexpectedly and
  was undone", naming the exception). Progress goes to the window's progress bar and stderr.
"""
from __future__ import annotations

from typing import Optional, Protocol

import bpy

from ..core.errors import FusionError
from . import scene_snapshot
from .progress import WindowProgress

__all__ = ["SIDEBAR_CATEGORY", "MAIN_PANEL_ID", "SidebarPanel", "SceneEditsLike", "AtomicOperator"]

SIDEBAR_CATEGORY = "SMPL-X"
#: The tab's top panel (``importing.panel``); every feature's panel is its child (``bl_parent_id``).
MAIN_PANEL_ID = "SMPLX_FUSION_PT_main"


class SidebarPanel:
    """Mixin for ``bpy.types.Panel`` subclasses shown in the SMPL-X sidebar tab."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = SIDEBAR_CATEGORY


class SceneEditsLike(Protocol):
    """Changes a run makes to existing data (markers, curves, object transforms) that the data-block snapshot
    cannot undo; ``restore()`` puts them back."""

    def restore(self) -> None: ...


class AtomicOperator:
    """Mixin for ``bpy.types.Operator`` subclasses that change the scene; they implement :meth:`run`.

    ``execute`` takes a snapshot of the data-blocks (and :meth:`begin_edits`' record of other changes), calls
    ``run(context, progress)`` and returns what it returns. A :class:`FusionError` or any other exception rolls
    the scene back, reports one ``ERROR`` line and cancels.
    """

    #: Names the work in the progress lines and in the "failed unexpectedly" report, e.g. "validation".
    atomic_label = "the operation"

    def begin_edits(self, context: bpy.types.Context) -> Optional[SceneEditsLike]:
        """Record what :meth:`run` may change beyond new data-blocks; ``None`` when nothing."""
        return None

    def run(self, context: bpy.types.Context, progress: WindowProgress) -> set[str]:  # pragma: no cover
        raise NotImplementedError

    def unexpected_message(self, exc: Exception) -> str:
        return f"{self.atomic_label} failed unexpectedly and was undone ({type(exc).__name__}: {exc})"

    def execute(self, context: bpy.types.Context) -> set[str]:
        snapshot = scene_snapshot.take_snapshot(context.scene)
        edits: Optional[SceneEditsLike] = None
        progress = WindowProgress(context, self.atomic_label)
        try:
            edits = self.begin_edits(context)
            return self.run(context, progress)
        except FusionError as exc:
            message = str(exc)
        except Exception as exc:  # a bug of ours: still leave the scene untouched, and say what happened
            message = self.unexpected_message(exc)
        finally:
            progress.end()
        try:
            if edits is not None:
                edits.restore()
        except Exception as exc:  # never let a failed restore hide the error, nor skip the roll-back
            message += f"; restoring the scene's earlier state also failed ({type(exc).__name__}: {exc})"
        finally:
            scene_snapshot.roll_back(snapshot)
        self.report({"ERROR"}, message)  # type: ignore[attr-defined]
        return {"CANCELLED"}
