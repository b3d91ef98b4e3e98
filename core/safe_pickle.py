"""A restricted unpickler for research ``.pkl`` files.

It admits numpy arrays (including the protocol-2 ``_codecs.encode`` path and the numpy 1 / numpy 2
reconstructor module names), numpy scalars and dtypes, ``scipy.sparse`` CSC/CSR/COO matrices (the official
SMPL-X ``J_regressor``), and plain containers. Every other global is refused *before* it is called, so a
malicious ``__reduce__`` never runs.
"""
from __future__ import annotations

import io
import re
import pickle
from pathlib import Path
from typing import Any, Union

from .errors import UnsafePickleError

_NUMPY_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")
_ALLOWED: frozenset[tuple[str, str]] = frozenset(
    [(m, "_reconstruct") for m in _NUMPY_CORE]
    + [(m, "scalar") for m in _NUMPY_CORE]
    + [("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
       ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
       ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
       ("builtins", "complex"), ("builtins", "bytearray"),
       ("collections", "OrderedDict")]
    + [(mod, cls) for mod in ("scipy.sparse.csc", "scipy.sparse._csc") for cls in ("csc_matrix",)]
    + [(mod, cls) for mod in ("scipy.sparse.csr", "scipy.sparse._csr") for cls in ("csr_matrix",)]
    + [(mod, cls) for mod in ("scipy.sparse.coo", "scipy.sparse._coo") for cls in ("coo_matrix",)]
)

_HINT = ("re-save the file with plain numpy arrays, e.g. "
         "np.savez(out, **{k: np.asarray(v) for k, v in data.items()}) in an environment you trust")


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, path: str) -> None:
        super().__init__(file, encoding="latin1")
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module == "numpy" and re.fullmatch(r"(float|int|uint|bool|complex)(\d+|_)?", name):
            # numpy scalar types referenced by dtype pickles, e.g. numpy.float64
            return super().find_class(module, name)
        raise UnsafePickleError(
            f"refused to load class '{module}.{name}' (only numpy arrays, scipy sparse matrices and plain "
            f"containers are admitted); {_HINT}",
            path=self._path)

    def persistent_load(self, pid: Any) -> Any:  # pragma: no cover - defensive
        raise UnsafePickleError("refused a persistent-id reference", path=self._path)


def load_pickle(path: Union[str, Path]) -> Any:
    """Load ``path`` with the restricted unpickler.

    Raises :class:`UnsafePickleError` for any disallowed class and for files that are not pickles.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnsafePickleError(f"cannot read the file ({exc.strerror})", path=path) from None
    return loads_pickle(data, path=str(path))


def loads_pickle(data: bytes, path: str = "<bytes>") -> Any:
    """Restricted-unpickle ``data``; ``path`` is only used in error messages."""
    try:
        return _RestrictedUnpickler(io.BytesIO(data), path).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # truncated or corrupt stream: report it, never a traceback
        raise UnsafePickleError(f"not a readable pickle ({type(exc).__name__}: {exc})", path=path) from None
