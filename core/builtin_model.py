"""The built-in licence-free model: where it lives on disk and how it is (re)generated on first use."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional, Union

from .errors import ModelFileError

#: Names a user may give instead of a path to mean the built-in model.
BUILTIN_NAMES = ("", "builtin", "mannequin")
#: Bump the revision whenever the generator's output changes, so stale caches are regenerated.
BUILTIN_REVISION = "mannequin-v1.1-r2"
#: Where ``build.py build`` puts pre-generated (compressed) copies inside the extension zip, so that Blender's own
#: Python, which has numpy but not scipy (the generator needs scipy), never has to generate them.
BUNDLED_DIR = Path(__file__).resolve().parent / "bundled_models" / BUILTIN_REVISION
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


def ensure_builtin_model(gender: str = "neutral", cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """Path to the built-in model file for ``gender``, generating the set of three genders if missing."""
    if gender not in GENDER_FILES:
        raise ModelFileError(f"unknown gender '{gender}' (expected one of {', '.join(GENDER_FILES)})")
    bundled = BUNDLED_DIR / GENDER_FILES[gender]
    if bundled.is_file():
        return bundled
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = folder / BUILTIN_REVISION
    target = folder / GENDER_FILES[gender]
    if not target.is_file():
        try:
            from .mannequin import write_mannequin_set  # numpy/scipy generator, imported only when needed
        except ImportError as exc:
            raise ModelFileError(
                f"the built-in model must be generated once, and that needs {exc.name or 'scipy'}, which this "
                "Python lacks; run `python -m core make-model DIR` with the project's Python and point the "
                "add-on's 'SMPL-X model' preference at DIR", path=target) from None

        # write into a private folder, then move it into place, so a half-written model is never seen
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
        try:
            write_mannequin_set(staging, variant="v1.1")
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
    """A model file from a user's setting: empty / ``builtin`` / ``mannequin`` means the built-in model."""
    from .body_model import resolve_model_file

    if is_builtin_name(path_or_name):
        return ensure_builtin_model(gender, cache_dir)
    return resolve_model_file(path_or_name, gender)


def write_bundled_models(package_core_dir: Union[str, Path]) -> Path:
    """Write compressed copies of the built-in set under ``<package_core_dir>/bundled_models/<revision>``."""
    import numpy as np

    from .mannequin import build_mannequin

    folder = Path(package_core_dir) / "bundled_models" / BUILTIN_REVISION
    folder.mkdir(parents=True, exist_ok=True)
    for gender, name in GENDER_FILES.items():
        np.savez_compressed(folder / name, **build_mannequin(variant="v1.1", gender=gender))
    return folder
