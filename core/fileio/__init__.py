"""File plumbing every feature shares: atomic writes and safe reading of ``.npz`` / ``.npy`` / ``.pkl`` files.

Modules:

* :mod:`.atomic_write`  the one atomic writer: :func:`write_atomically` (bytes), :func:`write_text_atomically`,
                        :func:`save_npz_atomic` (a temporary file renamed over the target);
* :mod:`.safe_pickle`   a restricted unpickler and checked archive readers: :func:`load_pickle`,
                        :func:`load_npz`, :func:`load_npy_file` (nothing foreign is ever called).

numpy and the standard library only (scipy.sparse only when a pickle holds a sparse matrix).
"""
from __future__ import annotations

from .atomic_write import save_npz_atomic, write_atomically, write_text_atomically
from .safe_pickle import load_npy_file, load_npz, load_pickle, loads_pickle

__all__ = ["write_atomically", "write_text_atomically", "save_npz_atomic", "load_pickle", "loads_pickle",
           "load_npz", "load_npy_file"]
