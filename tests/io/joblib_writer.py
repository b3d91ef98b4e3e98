"""Write ``joblib.dump``'s format without joblib (the project does not depend on it), for the PHALP reader's tests.

Mirrors ``joblib/numpy_pickle.py``: every numpy array is pickled as a ``joblib.numpy_pickle.NumpyArrayWrapper``
(NEWOBJ, then BUILD with its state dict) and its raw bytes follow the BUILD opcode, after one padding-length byte
and that many ``0xff`` bytes aligning the data to 16 bytes of the uncompressed stream; with protocol 4 the frame is
committed first (``framer.commit_frame(force=True)``). ``compress`` > 0 zlib-compresses the whole stream as joblib's
``BinaryZlibFile`` does (``compress=3`` is what PHALP's ``joblib.dump(..., compress=3)`` writes).
"""
from __future__ import annotations

import io
import pickle
import zlib
from pathlib import Path
from typing import Any

import numpy as np

ALIGNMENT = 16


class _JoblibLikePickler(pickle._Pickler):
    def __init__(self, fh: io.BytesIO, protocol: int) -> None:
        super().__init__(fh, protocol=protocol)
        self.fh = fh

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if type(obj) is np.ndarray:
            self._save_wrapped(obj)
            return
        super().save(obj, save_persistent_id)

    def _save_wrapped(self, arr: np.ndarray) -> None:
        order = "F" if (arr.flags.f_contiguous and not arr.flags.c_contiguous) else "C"
        state = {"subclass": np.ndarray, "shape": arr.shape, "order": order, "dtype": arr.dtype,
                 "allow_mmap": True, "numpy_array_alignment_bytes": ALIGNMENT}
        if self.proto >= 4:
            self.save("joblib.numpy_pickle")
            self.save("NumpyArrayWrapper")
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + b"joblib.numpy_pickle\nNumpyArrayWrapper\n")
        self.write(pickle.EMPTY_TUPLE + pickle.NEWOBJ)
        self.save(state)
        self.write(pickle.BUILD)
        if self.proto >= 4:
            self.framer.commit_frame(force=True)
        pad = ALIGNMENT - ((self.fh.tell() + 1) % ALIGNMENT)
        self.fh.write(bytes([pad]) + b"\xff" * pad)
        self.fh.write(arr.tobytes(order=order))


def dumps_like_joblib(obj: Any, compress: int = 3, protocol: int = 4) -> bytes:
    fh = io.BytesIO()
    _JoblibLikePickler(fh, protocol).dump(obj)
    raw = fh.getvalue()
    return zlib.compress(raw, compress) if compress else raw


def dump_like_joblib(obj: Any, path: Path, compress: int = 3, protocol: int = 4) -> Path:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(dumps_like_joblib(obj, compress, protocol))
    return Path(path)
