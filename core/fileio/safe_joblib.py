"""``joblib.dump`` files through the restricted unpickler, without joblib.

joblib (``joblib/numpy_pickle.py``, ``NumpyPickler.save``) pickles every numpy array as a
``joblib.numpy_pickle.NumpyArrayWrapper`` object (state: ``subclass``, ``shape``, ``order``, ``dtype``,
``allow_mmap``, ``numpy_array_alignment_bytes``) and writes the array's raw bytes into the stream right after that
object's ``BUILD`` opcode: one length byte and that many ``0xff`` padding bytes when the alignment is set (16 since
joblib 1.2), then ``count * itemsize`` bytes in the wrapper's order (``NumpyArrayWrapper.write_array``). With
``compress`` the whole stream is compressed; the format is told by its first bytes (``joblib/compressor.py``:
zlib ``78``, gzip ``1f 8b``, bz2 ``BZ``, xz ``fd 37 7a 58 5a``, lzma ``5d 00``).

:func:`load_joblib` decompresses (zlib, gzip, bz2, xz / lzma; never more than ``max_bytes``) and unpickles with
:class:`core.fileio.safe_pickle`'s restricted unpickler, extended by exactly one admitted global, the wrapper,
which is never instantiated as joblib's class: its state is checked (a tuple shape of non-negative ints, order C or
F, a plain non-object dtype) and the array is read from the declared bytes, which must be there. Object arrays
(joblib pickles those with a nested pickler) are refused. A plain pickle loads as with
:func:`core.fileio.safe_pickle.load_pickle`.
"""
from __future__ import annotations

import bz2
import io
import lzma
import math
import pickle
import zlib
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..errors import UnsafePickleError
from .safe_pickle import _HINT, _Malformed, _Refused, _RestrictedUnpickler, _Truncated, short_reason

#: joblib's compressed-stream prefixes (``joblib/compressor.py``).
ZLIB_PREFIX, GZIP_PREFIX, BZ2_PREFIX = b"\x78", b"\x1f\x8b", b"BZ"
XZ_PREFIX, LZMA_PREFIX = b"\xfd\x37\x7a\x58\x5a", b"\x5d\x00"
#: The most a compressed file may expand to.
MAX_DECOMPRESSED_BYTES = 4 << 30
_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_STATE_KEYS = {"subclass", "shape", "order", "dtype", "allow_mmap", "numpy_array_alignment_bytes"}


class _ArrayWrapper:
    """Stands in for joblib's ``NumpyArrayWrapper``: holds nothing, does nothing; replaced by the array on BUILD."""


def _limited(decompressor: Any, data: bytes, max_bytes: int, what: str) -> bytes:
    out = decompressor.decompress(data, max_bytes + 1)
    if len(out) > max_bytes:
        raise _Malformed(f"its {what} stream expands beyond {max_bytes >> 20} MiB")
    return out


def decompress_joblib(data: bytes, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> tuple[bytes, str]:
    """``(pickle bytes, compression name)`` of a joblib file's content (``"none"`` when it is not compressed)."""
    if data.startswith(XZ_PREFIX) or data.startswith(LZMA_PREFIX):
        fmt = lzma.FORMAT_XZ if data.startswith(XZ_PREFIX) else lzma.FORMAT_ALONE
        return _limited(lzma.LZMADecompressor(format=fmt), data, max_bytes, "lzma"), "lzma"
    if data.startswith(GZIP_PREFIX):
        return _limited(zlib.decompressobj(16 + zlib.MAX_WBITS), data, max_bytes, "gzip"), "gzip"
    if data.startswith(BZ2_PREFIX):
        return _limited(bz2.BZ2Decompressor(), data, max_bytes, "bz2"), "bz2"
    if data.startswith(ZLIB_PREFIX):
        return _limited(zlib.decompressobj(), data, max_bytes, "zlib"), "zlib"
    return data, "none"


class _JoblibUnpickler(_RestrictedUnpickler):
    """The restricted unpickler plus joblib's array wrapper (see the module docstring)."""

    dispatch = dict(_RestrictedUnpickler.dispatch)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == _WRAPPER:
            return _ArrayWrapper
        return super().find_class(module, name)

    def _new(self, cls: Any, args: Any, kwargs: Any) -> Any:
        if cls is _ArrayWrapper and args == () and not kwargs:
            return _ArrayWrapper()
        return super()._new(cls, args, kwargs)

    def load_build(self) -> None:
        if type(self.stack[-2]) is not _ArrayWrapper:
            super().load_build()
            return
        state = self.stack.pop()
        self.stack[-1] = self._read_wrapped_array(state)

    def _read_wrapped_array(self, state: Any) -> np.ndarray:
        if not isinstance(state, dict) or not set(state) <= _STATE_KEYS or not {"shape", "dtype"} <= set(state):
            raise _Malformed("malformed joblib array wrapper state")
        shape, dtype, order = state["shape"], state["dtype"], state.get("order", "C")
        if not isinstance(shape, tuple) or not all(type(v) is int and v >= 0 for v in shape):
            raise _Malformed("joblib array shape is not a tuple of non-negative integers")
        if not isinstance(dtype, np.dtype) or dtype.hasobject or dtype.fields is not None or dtype.subdtype:
            raise _Refused("refused a joblib object or record array")
        if order not in ("C", "F"):
            raise _Malformed(f"joblib array order {order!r} is neither 'C' nor 'F'")
        subclass = state.get("subclass", np.ndarray)
        if subclass is not np.ndarray:
            raise _Refused("refused a joblib array subclass")
        align = state.get("numpy_array_alignment_bytes")
        if align is not None:
            if type(align) is not int:
                raise _Malformed("joblib array alignment is not an integer")
            pad = self.read(1)
            if len(pad) < 1:
                raise _Truncated("it ends early (truncated or corrupt)")
            if pad[0]:
                self.read(pad[0])
        count = math.prod(shape)
        data = self.read(count * dtype.itemsize)
        if len(data) < count * dtype.itemsize:
            raise _Truncated("it ends early (truncated or corrupt)")
        flat = np.frombuffer(data, dtype=dtype, count=count).copy()
        return flat.reshape(shape[::-1]).T if order == "F" else flat.reshape(shape)

    dispatch[pickle.BUILD[0]] = load_build


def loads_joblib(data: bytes, path: str = "<bytes>") -> Any:
    """Restricted-load the bytes of a joblib (or plain pickle) file; ``path`` names it in errors."""
    try:
        raw, _ = decompress_joblib(data)
        return _JoblibUnpickler(io.BytesIO(raw), path).load()
    except UnsafePickleError as exc:
        raise UnsafePickleError(exc.problem, path=path) from None
    except _Refused as exc:
        raise UnsafePickleError(f"{exc} (only numpy arrays, scipy sparse matrices and plain containers are "
                                f"admitted); {_HINT}", path=path) from None
    except _Truncated as exc:
        raise UnsafePickleError(f"not a readable joblib file: {exc}", path=path) from None
    except _Malformed as exc:
        raise UnsafePickleError(f"not a readable joblib file: {exc}", path=path) from None
    except MemoryError:
        raise UnsafePickleError("not a readable joblib file: it declares more data than the file holds",
                                path=path) from None
    except RecursionError:
        raise UnsafePickleError("not a readable joblib file: nested too deeply", path=path) from None
    except Exception as exc:  # corrupt stream or compression: report it, never a traceback
        raise UnsafePickleError(f"not a readable joblib file ({short_reason(exc)})", path=path) from None


def load_joblib(path: Union[str, Path]) -> Any:
    """Load a ``joblib.dump`` file (compressed or not) or a plain pickle with the restricted unpickler."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnsafePickleError(f"cannot read the file ({exc.strerror})", path=path) from None
    return loads_joblib(data, path=str(path))


__all__ = ["MAX_DECOMPRESSED_BYTES", "decompress_joblib", "loads_joblib", "load_joblib"]
