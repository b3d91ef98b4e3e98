"""A restricted unpickler for research ``.pkl`` files.

It admits numpy arrays (including the protocol-2 ``_codecs.encode`` path and the numpy 1 / numpy 2
reconstructor module names), numpy scalars and dtypes, ``scipy.sparse`` CSC/CSR/COO matrices (the official
SMPL-X ``J_regressor``), and plain containers. Every other global is refused *before* it is called, so a
malicious ``__reduce__`` never runs.

Refusing foreign classes is not enough: numpy's own reconstructors trust their arguments. Fuzzing found that an
object-dtype array state whose list is shorter than its shape, ``scalar(dtype('O'))`` without data, or a dtype
state that declares an object field in a flag-less record each crash the interpreter (or hand out a pointer
read from the file). So the unpickler is the pure-Python one (``pickle._Unpickler``), which lets every opcode
that calls, builds or fills an object be checked:

- only the admitted callables may be called (``REDUCE``), only sparse matrices (and plain containers) created
  with ``NEWOBJ``, and protocol 0/1 class instantiation (``INST``/``OBJ``) and extension codes are refused;
- array states must match their shape and dtype exactly (list length for object arrays, byte count otherwise),
  so nothing is read past the data and no array larger than the file is allocated;
- dtypes are plain (no record fields, no sub-arrays) and built on a fresh copy whose flags and item size must
  equal numpy's own for that type; a dtype is never changed in place after an array may have used it;
- ``SETITEM(S)``, ``APPEND(S)`` and ``ADDITEMS`` only fill dicts, lists and sets;
- every sparse matrix is checked for consistent indices once the whole pickle is read (scipy's compiled
  kernels do not bounds-check them).

Pickles are research data, not code: this costs little, because their opcodes are few and large.

The same module reads ``.npy`` payloads and ``.npz`` archives for every reader (:func:`load_npz`,
:func:`load_npy_file`): an array header is checked against the bytes that can follow it *before* anything is
allocated (a header declaring 10**12 elements in a 100-byte file is an error, not a 7 TiB allocation), zip entries
must be plausible for their compressed size, object arrays go through the restricted unpickler above or are
refused. Small archives (per-frame estimator files, at most :data:`SMALL_ARCHIVE_BYTES`) are read whole in one
call and their stored members sliced from that copy, with the local header, name and CRC-32 checked as
:mod:`zipfile` checks them; members of larger archives are streamed into their array (one copy in memory, never
the raw bytes plus the array). Large plain ``.npy`` files are memory-mapped read-only. Members of an ``.npz`` are
not: a zip entry may be compressed and is not aligned, so each is read once into its own array.
"""
from __future__ import annotations

import _compat_pickle
import functools
import io
import math
import pickle
import re
import struct
import zipfile
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Collection, Optional, Union

import numpy as np

from ..errors import UnsafePickleError

_NUMPY_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")
if int(np.__version__.split(".")[0]) >= 2:  # called only with a checked dtype and exactly itemsize bytes
    from numpy._core.multiarray import scalar as _NUMPY_SCALAR
else:
    from numpy.core.multiarray import scalar as _NUMPY_SCALAR
_NUMPY_NUMERIC = ("numpy.core.numeric", "numpy._core.numeric")
_SPARSE_MODULES = {"csc_matrix": ("scipy.sparse.csc", "scipy.sparse._csc"),
                   "csr_matrix": ("scipy.sparse.csr", "scipy.sparse._csr"),
                   "coo_matrix": ("scipy.sparse.coo", "scipy.sparse._coo")}
_SCALAR_TYPE_NAME = re.compile(r"(float|int|uint|bool|complex)(\d+|_)?")
_LATIN1 = ("latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1")

_HINT = ("re-save the file with plain numpy arrays, e.g. "
         "np.savez(out, **{k: np.asarray(v) for k, v in data.items()}) in an environment you trust")


class _Refused(Exception):
    """A pickle asked for something outside what this module admits (the message says what)."""


class _Malformed(Exception):
    """A pickle's numpy / scipy state contradicts itself (corrupt, or crafted to crash numpy)."""


class _Truncated(Exception):
    """A pickle asks for more bytes than the file holds."""


# ------------------------------------------------------------------------------------------ guarded callables

def _check_dtype(value: Any) -> np.dtype:
    if not isinstance(value, np.dtype):
        raise _Malformed(f"expected a numpy dtype, found {type(value).__name__}")
    return value


def _check_shape(shape: Any) -> tuple[int, ...]:
    if not isinstance(shape, tuple) or len(shape) > 32 or \
            not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise _Malformed(f"an array shape must be a tuple of non-negative integers, found {shape!r:.80}")
    return shape


def _reconstruct(subtype: Any, shape: Any = (0,), dtype: Any = b"b") -> np.ndarray:
    """``numpy.core.multiarray._reconstruct``: always an empty base-class array, filled by its BUILD state."""
    if subtype is not np.ndarray:
        raise _Refused("refused an array reconstructor for a class other than numpy.ndarray")
    return np.ndarray((0,), dtype=np.int8)


def _scalar(dtype: Any, data: Any = None) -> Any:
    """``numpy.core.multiarray.scalar``: a numpy scalar from exactly ``itemsize`` bytes (never an object)."""
    dtype = _check_dtype(dtype)
    if dtype.hasobject:
        raise _Refused("refused a numpy object scalar")
    if isinstance(data, str):
        data = data.encode("latin1")
    if not isinstance(data, (bytes, bytearray)) or len(data) != dtype.itemsize:
        raise _Malformed(f"a {dtype} scalar needs exactly {dtype.itemsize} bytes")
    return _NUMPY_SCALAR(dtype, bytes(data))


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any = "C") -> np.ndarray:
    """``numpy.core.numeric._frombuffer`` (protocol 5 arrays) with the byte count checked first."""
    dtype = _check_dtype(dtype)
    shape = _check_shape(shape)
    if dtype.hasobject:
        raise _Refused("refused an object array from raw bytes")
    if isinstance(buf, pickle.PickleBuffer):
        buf = buf.raw().tobytes()
    if not isinstance(buf, (bytes, bytearray)) or len(buf) != math.prod(shape) * dtype.itemsize:
        raise _Malformed("the array data does not match its shape and dtype")
    if order not in ("C", "F"):
        raise _Malformed(f"unknown array order {order!r:.20}")
    return np.frombuffer(bytes(buf), dtype=dtype).reshape(shape, order=order)


def _dtype(obj: Any, align: Any = False, copy: Any = True) -> np.dtype:
    """``numpy.dtype(code, align, copy)``: from a type code only, always a fresh copy."""
    if not isinstance(obj, str) or len(obj) > 16:
        raise _Refused(f"refused a dtype built from {type(obj).__name__} instead of a type code")
    return np.dtype(obj, False, True)


def _copyreg_reconstructor(cls: Any, base: Any, state: Any) -> Any:
    """``copyreg._reconstructor`` (protocol 0/1 objects): only ever reached through ``load_reduce``, which admits
    it for scipy sparse matrices alone (``object.__new__`` and no state), as protocol 2's ``NEWOBJ``."""
    raise _Refused("refused copyreg._reconstructor")  # pragma: no cover - intercepted in load_reduce


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    """``_codecs.encode`` as numpy's protocol-2 pickles use it: a latin1 string to bytes."""
    if not isinstance(text, str) or not isinstance(encoding, str) or encoding.lower() not in _LATIN1:
        raise _Refused("refused _codecs.encode with anything but latin1 text")
    return text.encode("latin1")


def _bytes(*args: Any) -> bytes:
    """``bytes()``: protocols 0 and 1 pickle an empty bytes object as a call without arguments."""
    if args:
        raise _Refused("refused bytes() with arguments")
    return b""


def _bytearray(data: Any = b"") -> bytearray:
    if not isinstance(data, (bytes, bytearray)):
        raise _Refused("refused a bytearray built from anything but bytes")
    return bytearray(data)


def _lookup(module: str, name: str) -> Optional[Any]:
    """The object a pickle may name as ``module.name``, or None when it is refused."""
    if module in _NUMPY_CORE and name == "_reconstruct":
        return _reconstruct
    if module in _NUMPY_CORE and name == "scalar":
        return _scalar
    if module in _NUMPY_NUMERIC and name == "_frombuffer":
        return _frombuffer
    if module == "numpy" and name == "dtype":
        return _dtype
    if module == "numpy" and name == "ndarray":
        return np.ndarray  # an argument of _reconstruct, never callable
    if module == "numpy" and _SCALAR_TYPE_NAME.fullmatch(name):
        return getattr(np, name, None)  # scalar *types* as values (e.g. a saved dtype), never callable
    if (module, name) == ("_codecs", "encode"):
        return _encode
    if (module, name) == ("copyreg", "_reconstructor"):
        return _copyreg_reconstructor
    if (module, name) == ("builtins", "object"):
        return object  # the base argument of copyreg._reconstructor, never callable
    if (module, name) == ("collections", "OrderedDict"):
        return OrderedDict
    if module == "builtins" and name in ("set", "frozenset", "slice", "complex"):
        return {"set": set, "frozenset": frozenset, "slice": slice, "complex": complex}[name]
    if (module, name) == ("builtins", "bytearray"):
        return _bytearray
    if (module, name) == ("builtins", "bytes"):
        return _bytes
    if name in _SPARSE_MODULES and module in _SPARSE_MODULES[name]:
        import scipy.sparse

        return getattr(scipy.sparse, name)
    return None


_CALLABLE_NAMES = {_reconstruct, _scalar, _frombuffer, _dtype, _encode, _bytes, _bytearray, OrderedDict, set,
                   frozenset, slice, complex}


def _is_sparse_class(cls: Any) -> bool:
    return isinstance(cls, type) and cls.__name__ in _SPARSE_MODULES and cls.__module__.startswith("scipy.sparse")


# ------------------------------------------------------------------------------------------ states

def _check_array_state(state: Any) -> None:
    """``ndarray.__setstate__`` arguments: the data must be exactly what shape and dtype declare."""
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise _Malformed("malformed array state")
    shape, dtype, fortran, raw = state[-4:]
    shape = _check_shape(shape)
    dtype = _check_dtype(dtype)
    if not isinstance(fortran, (bool, int)):
        raise _Malformed("malformed array state")
    count = math.prod(shape)
    if dtype.hasobject:
        if dtype.fields is not None or not isinstance(raw, list) or len(raw) != count:
            raise _Malformed(f"an object array of shape {shape} needs a list of {count} items")
    elif not isinstance(raw, (bytes, bytearray, str)) or len(raw) != count * dtype.itemsize:
        found = _human(len(raw)) if hasattr(raw, "__len__") else type(raw).__name__
        raise _Malformed(f"an array of shape {shape} and dtype {dtype} needs {_human(count * dtype.itemsize)} of "
                         f"data, found {found}")


def _built_dtype(template: np.dtype, state: Any) -> np.dtype:
    """A new dtype: ``template`` copied, with ``state`` applied and checked against numpy's own for its type."""
    if not isinstance(state, tuple) or len(state) not in (8, 9) or any(v is not None for v in state[2:5]):
        raise _Refused("refused a record, sub-array or malformed dtype")
    if state[1] not in ("<", ">", "|", "="):
        raise _Malformed("malformed dtype byte order")
    dtype = np.dtype(template.str, False, True)  # a new instance (np.dtype(template, ...) would return template)
    if dtype is template:
        raise _Malformed("cannot copy the dtype")  # pragma: no cover - numpy always builds a new one from a code
    dtype.__setstate__(state)
    reference = np.dtype(dtype.str)
    if (reference.itemsize, reference.flags, reference.alignment, reference.kind, reference.hasobject) != \
            (dtype.itemsize, dtype.flags, dtype.alignment, dtype.kind, dtype.hasobject):
        raise _Malformed(f"inconsistent dtype state for {dtype.str}")
    return dtype


def _check_sparse(matrix: Any) -> None:
    """Indices and lengths of a sparse matrix, as scipy's compiled kernels assume them."""
    shape = matrix.__dict__.get("_shape")
    if not isinstance(shape, tuple) or len(shape) != 2 or \
            not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
        raise _Malformed("a sparse matrix needs a 2-d shape")
    try:
        if type(matrix).__name__ in ("csc_matrix", "csr_matrix"):
            matrix.check_format(full_check=True)
        else:
            coords = matrix.__dict__.get("coords")
            data = np.asarray(matrix.__dict__.get("data"))
            if not isinstance(coords, tuple) or len(coords) != 2 or data.ndim != 1 or \
                    any(np.ndim(c) != 1 or len(c) != len(data) for c in coords):
                raise _Malformed("inconsistent sparse COO arrays")
            matrix._check()
    except _Malformed:
        raise
    except Exception as exc:
        raise _Malformed(f"inconsistent sparse matrix ({short_reason(exc)})") from None


class _RestrictedUnpickler(pickle._Unpickler):
    """The pure-Python unpickler with every object-creating opcode checked (see the module docstring)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: io.BufferedIOBase, path: str) -> None:
        super().__init__(file, encoding="latin1")
        self._path = path
        self._sparse: list = []
        self._stream = file
        self._file_read = self._read_exactly

    def _read_exactly(self, n: int) -> bytes:
        """Every read of a declared length is checked against what is left: a length field that lies is reported
        as such (and nothing of that size is ever allocated, as the stream only returns what it holds)."""
        data = self._stream.read(n)
        if len(data) < n:
            if n > 65536:
                raise _Truncated(f"it declares {_human(n)} of data where only {_human(len(data))} remain "
                                 f"(truncated or corrupt)")
            raise _Truncated("it ends early (truncated or corrupt)")
        return data

    def find_class(self, module: str, name: str) -> Any:
        if self.proto < 3 and self.fix_imports:  # Python 2 names, e.g. __builtin__.set
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        found = _lookup(module, name)
        if found is None:
            raise UnsafePickleError(
                f"refused to load class '{module}.{name}' (only numpy arrays, scipy sparse matrices and plain "
                f"containers are admitted); {_HINT}",
                path=self._path)
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("refused a persistent-id reference")

    def get_extension(self, code: int) -> Any:
        raise _Refused("refused an extension-registry reference")

    def load(self) -> Any:
        result = super().load()
        for matrix in self._sparse:
            _check_sparse(matrix)
        return result

    # opcodes that call something
    def load_reduce(self) -> None:
        args = self.stack.pop()
        func = self.stack[-1]
        if func is _copyreg_reconstructor and isinstance(args, tuple) and len(args) == 3 \
                and args[1] is object and args[2] is None:
            self.stack[-1] = self._new(args[0], (), {})
            return
        if not any(func is f for f in _CALLABLE_NAMES) or not isinstance(args, tuple):
            raise _Refused(f"refused to call {getattr(func, '__name__', type(func).__name__)}")
        self.stack[-1] = func(*args)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, {}))

    def load_newobj_ex(self) -> None:
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, kwargs))

    def _new(self, cls: Any, args: Any, kwargs: Any) -> Any:
        if _is_sparse_class(cls) and args == () and not kwargs:
            matrix = cls.__new__(cls)
            self._sparse.append(matrix)
            return matrix
        if any(cls is c for c in (set, frozenset, OrderedDict)) and isinstance(args, tuple) and not kwargs:
            return cls(*args)
        raise _Refused(f"refused to create {getattr(cls, '__name__', type(cls).__name__)}")

    def load_inst(self) -> None:
        raise _Refused("refused a protocol 0/1 class instance")

    load_obj = load_inst

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) is np.ndarray:
            _check_array_state(state)
            inst.__setstate__(state)
        elif isinstance(inst, np.dtype):
            built = _built_dtype(inst, state)
            self.stack[-1] = built  # never change a dtype in place: an array may already hold it
            for key in reversed(self.memo):  # pickle memoizes a dtype right after creating it
                if self.memo[key] is inst:
                    self.memo[key] = built
                    break
        elif any(inst is m for m in self._sparse):
            if not isinstance(state, dict) or not all(
                    isinstance(k, str) and not k.startswith("__") and not callable(getattr(type(inst), k, None))
                    for k in state):
                raise _Malformed("malformed sparse matrix state")
            setstate = getattr(type(inst), "__setstate__", None)
            if setstate is not None and setstate is not getattr(object, "__setstate__", None):
                setstate(inst, state)
            else:
                inst.__dict__.update(state)
        else:
            raise _Refused(f"refused to set the state of {type(inst).__name__}")

    # opcodes that fill containers
    def load_setitem(self) -> None:
        self._expect(self.stack[-3], (dict,))
        super().load_setitem()

    def load_setitems(self) -> None:
        self._expect(self._marked_target(), (dict,))
        super().load_setitems()

    def load_append(self) -> None:
        self._expect(self.stack[-2], (list,))
        super().load_append()

    def load_appends(self) -> None:
        self._expect(self._marked_target(), (list,))
        super().load_appends()

    def load_additems(self) -> None:
        self._expect(self._marked_target(), (set,))
        super().load_additems()

    def _marked_target(self) -> Any:
        """The object a MARK-delimited opcode fills: the top of the stack as it was when the MARK was pushed."""
        return self.metastack[-1][-1]

    @staticmethod
    def _expect(target: Any, kinds: tuple) -> None:
        if not isinstance(target, kinds):
            raise _Refused(f"refused to fill a {type(target).__name__} like a {kinds[0].__name__}")

    for _code, _method in ((pickle.REDUCE, load_reduce), (pickle.NEWOBJ, load_newobj),
                           (pickle.NEWOBJ_EX, load_newobj_ex), (pickle.INST, load_inst), (pickle.OBJ, load_obj),
                           (pickle.BUILD, load_build), (pickle.SETITEM, load_setitem),
                           (pickle.SETITEMS, load_setitems), (pickle.APPEND, load_append),
                           (pickle.APPENDS, load_appends), (pickle.ADDITEMS, load_additems)):
        dispatch[_code[0]] = _method
    del _code, _method


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


def loads_pickle(data: bytes, path: str = "<bytes>", field: Optional[str] = None) -> Any:
    """Restricted-unpickle ``data``; ``path`` (and ``field``, e.g. an npz member) only name it in errors."""
    try:
        return _RestrictedUnpickler(io.BytesIO(data), path).load()
    except UnsafePickleError as exc:
        raise UnsafePickleError(exc.problem, path=path, field=field) from None
    except _Refused as exc:
        raise UnsafePickleError(f"{exc} (only numpy arrays, scipy sparse matrices and plain containers are "
                                f"admitted); {_HINT}", path=path, field=field) from None
    except _Truncated as exc:
        raise UnsafePickleError(f"not a readable pickle: {exc}", path=path, field=field) from None
    except _Malformed as exc:
        raise UnsafePickleError(f"not a readable pickle: {exc} (corrupt, or crafted to crash numpy; nothing from "
                                f"it was used)", path=path, field=field) from None
    except MemoryError:
        raise UnsafePickleError("not a readable pickle: it declares more data than the file holds (truncated "
                                "or corrupt)", path=path, field=field) from None
    except RecursionError:
        raise UnsafePickleError("not a readable pickle: nested too deeply", path=path, field=field) from None
    except Exception as exc:  # truncated or corrupt stream: report it, never a traceback
        raise UnsafePickleError(f"not a readable pickle ({short_reason(exc)})", path=path, field=field) from None


# ============================================================================================== array files

#: Plain ``.npy`` files at least this large are memory-mapped (read-only) instead of read.
MMAP_MIN_BYTES = 64 << 20
_CHUNK = 1 << 20
_MAX_DEFLATE_RATIO = 1100  # deflate cannot expand more than ~1032:1
_MAX_HEADER = 10_000  # numpy's own limit on an npy header
#: ``.npz`` archives up to this size are read into memory whole (one read instead of one per member).
SMALL_ARCHIVE_BYTES = 4 << 20
_SMALL_NPY_BYTES = 1 << 20  # plain .npy files up to this size are read in one call
#: Members of at least this size that a caller lets :func:`load_npz` defer (``defer=``) are read on first use.
DEFER_MIN_BYTES = 32 << 20
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # a zip local file header: signature ... name length, extra length


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def short_reason(exc: BaseException) -> str:
    """``TypeName: first line of the message`` (at most 120 characters), for one-line error messages."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    text = re.sub(r"<[^<>]* object at 0x[0-9a-fA-F]+>", "...", text)
    text = "".join(ch if ch.isprintable() else "?" for ch in text[:120])
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@functools.lru_cache(maxsize=256)
def _parse_header(magic: bytes, text: bytes) -> tuple[tuple[int, ...], bool, np.dtype]:
    """numpy's own header parser, cached: per-frame files repeat the same few headers thousands of times."""
    width = 2 if magic[6] == 1 else 4
    stream = io.BytesIO(magic[6:8] + len(text).to_bytes(width, "little") + text)
    version = (magic[6], magic[7])
    stream.seek(2)
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = reader(stream)
    return tuple(shape), bool(fortran), dtype


def _npy_header(stream: BinaryIO, size: int, *, path: str, member: Optional[str], error: type,
                allow_objects: bool) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """``(shape, fortran, dtype, header bytes)`` of the ``.npy`` payload of ``size`` bytes at ``stream``'s position,
    checked against ``size`` (an object array only when ``allow_objects``, and only with data after its header); the
    stream is left at the start of the data. Raises ``error`` with ``field=member``."""
    start = stream.tell()
    try:
        magic = stream.read(8)
        if len(magic) != 8 or magic[:6] != b"\x93NUMPY" or magic[6] not in (1, 2, 3):
            raise ValueError("no npy magic")
        width = 2 if magic[6] == 1 else 4
        length = int.from_bytes(stream.read(width), "little")
        if length > _MAX_HEADER:
            raise ValueError("header too long")
        shape, fortran, dtype = _parse_header(magic, stream.read(length))
    except Exception:  # not an npy payload at all
        raise error("not a readable .npy array: its header is missing or damaged", path=path,
                    field=member) from None
    header = stream.tell() - start
    available = size - header
    if any(d < 0 for d in shape):
        raise error(f"the array header declares a negative dimension {shape}", path=path, field=member)
    if dtype.hasobject:
        if not allow_objects:
            raise error("holds a pickled object array, which this kind of file never contains; refused without "
                        "unpickling it (it cannot be read without pickle)", path=path, field=member)
        if available > 0:
            return shape, fortran, dtype, header
        raise error("truncated object array (no pickle data)", path=path, field=member)
    needed = math.prod(shape) * dtype.itemsize
    if needed > available:
        raise error(f"the array header declares {shape} {dtype} ({_human(needed)}) but only "
                    f"{_human(max(available, 0))} follow: truncated or corrupt", path=path, field=member)
    return shape, fortran, dtype, header


def read_npy(stream: BinaryIO, size: int, *, path: str, member: Optional[str], error: type,
             allow_objects: bool, mmap_source: Optional[Union[str, Path]] = None) -> Any:
    """One ``.npy`` payload of ``size`` bytes from ``stream`` (positioned at its start).

    The header is checked against ``size`` before any allocation; object arrays are restricted-unpickled when
    ``allow_objects`` (0-d ones are not unwrapped here), refused otherwise. ``mmap_source``: the file itself,
    memory-mapped read-only when the data is at least :data:`MMAP_MIN_BYTES`. Raises ``error`` (a
    :class:`core.errors.FusionError` subclass) with ``field=member``, or :class:`UnsafePickleError`.
    """
    start = stream.tell()
    shape, fortran, dtype, header = _npy_header(stream, size, path=path, member=member, error=error,
                                                allow_objects=allow_objects)
    if dtype.hasobject:
        return loads_pickle(stream.read(size - header), path=path, field=member)
    count = math.prod(shape)
    needed = count * dtype.itemsize
    order = "F" if fortran else "C"
    if mmap_source is not None and needed >= MMAP_MIN_BYTES:
        return np.memmap(mmap_source, dtype=dtype, mode="r", offset=start + header, shape=shape, order=order)
    arr = np.empty(count, dtype=dtype)
    view = memoryview(arr.reshape(-1).view(np.uint8)) if needed else memoryview(b"")
    pos = 0
    try:
        while pos < needed:
            chunk = stream.read(min(_CHUNK, needed - pos))
            if not chunk:
                break
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
    except Exception as exc:  # CRC error, truncated zip member
        raise error(f"truncated or corrupt array data ({short_reason(exc)})", path=path, field=member) from None
    if pos < needed:
        raise error(f"truncated array data ({_human(pos)} of {_human(needed)})", path=path, field=member)
    return arr.reshape(shape, order=order)


def load_npy_file(path: Union[str, Path], *, error: type, allow_objects: bool) -> Any:
    """A ``.npy`` file (see :func:`read_npy`); large plain arrays are memory-mapped read-only."""
    path = Path(path)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except OSError as exc:
        raise error(f"cannot read the file ({short_reason(exc)})", path=path) from None
    with fh:
        size = fh.seek(0, io.SEEK_END)
        fh.seek(0)
        if size <= min(_SMALL_NPY_BYTES, MMAP_MIN_BYTES - 1):  # per-frame codes files: one read, parsed in memory
            return read_npy(io.BytesIO(fh.read()), size, path=str(path), member=None, error=error,
                            allow_objects=allow_objects)
        return read_npy(fh, size, path=str(path), member=None, error=error, allow_objects=allow_objects,
                        mmap_source=path)


def _stored_member(buffer: bytes, info: zipfile.ZipInfo) -> bytes:
    """The bytes of an uncompressed (stored) zip member, sliced from the whole archive in memory.

    Checks what :meth:`zipfile.ZipFile.open` and its reader check for a stored member: the local header's signature,
    its file name against the central directory's, no encryption or patched data, the data within the archive and its
    CRC-32. Raises :class:`zipfile.BadZipFile` (or :class:`NotImplementedError`) otherwise.
    """
    offset = info.header_offset
    header = buffer[offset:offset + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("Truncated file header")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != zipfile.stringFileHeader:
        raise zipfile.BadZipFile("Bad magic number for file header")
    if info.flag_bits & 0x1:
        raise NotImplementedError("encrypted member")
    if info.flag_bits & 0x20:
        raise NotImplementedError("compressed patched data (flag bit 5)")
    start = offset + _LOCAL_HEADER.size
    name = buffer[start:start + name_length].decode("utf-8" if info.flag_bits & 0x800 else "cp437")
    if name != info.orig_filename:
        raise zipfile.BadZipFile(f"File name in directory {info.orig_filename!r:.60} and header {name!r:.60} differ.")
    start += name_length + extra_length
    data = buffer[start:start + info.compress_size]
    if len(data) != info.compress_size:
        raise EOFError("the member's data runs past the end of the archive")
    if zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r:.60}")
    return data


def load_npz(path: Union[str, Path], *, error: type, allow_objects: bool,
             defer: Collection[str] = ()) -> dict[str, Any]:
    """Every member of an ``.npz`` archive, as a dict keyed by member name without ``.npy``.

    Each member is read into its array after its zip entry and array header were found plausible. Archives of at
    most :data:`SMALL_ARCHIVE_BYTES` (per-frame estimator files) are read whole, once, and their stored members
    sliced from that copy (local header, name and CRC-32 checked as :mod:`zipfile` does); larger ones and compressed
    members are streamed. ``defer``: keys whose member, when compressed and at least :data:`DEFER_MIN_BYTES`, is
    returned as a :class:`DeferredNpzMember` (header checked now, data read by its ``load``) instead of an array.
    Raises ``error`` naming the file (and the member as the field), or :class:`UnsafePickleError` for refused
    pickles.
    """
    path = Path(path)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except IsADirectoryError:
        raise error("expected a file, found a folder", path=path) from None
    except Exception as exc:  # permissions, a name too long ...
        raise error(f"not a readable .npz archive, truncated or corrupt ({short_reason(exc)})", path=path) from None
    out: dict[str, Any] = {}
    with fh:
        try:
            archive_size = fh.seek(0, io.SEEK_END)
            fh.seek(0)
            buffer = fh.read() if archive_size <= SMALL_ARCHIVE_BYTES else None
            archive = zipfile.ZipFile(io.BytesIO(buffer) if buffer is not None else fh)
        except Exception as exc:  # not a zip, truncated central directory
            raise error(f"not a readable .npz archive, truncated or corrupt ({short_reason(exc)})",
                        path=path) from None
        with archive:
            for info in archive.infolist():
                name = info.filename
                key = name[:-4] if name.endswith(".npy") else name
                shown = key if len(key) <= 60 and key.isprintable() else \
                    "".join(ch if ch.isprintable() else "?" for ch in key[:60])  # for messages only
                if info.compress_size > archive_size or \
                        info.file_size > max(info.compress_size, 1) * _MAX_DEFLATE_RATIO + 1024 or \
                        (info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size):
                    raise error(f"the archive entry declares {_human(info.file_size)} from "
                                f"{_human(info.compress_size)} in a {_human(archive_size)} file: truncated or corrupt",
                                path=path, field=shown)
                if buffer is not None and info.compress_type == zipfile.ZIP_STORED:
                    try:
                        data = _stored_member(buffer, info)
                    except Exception as exc:  # bad local header, bad CRC, data past the end
                        raise error(f"truncated or corrupt archive member ({short_reason(exc)})", path=path,
                                    field=shown) from None
                    out[key] = read_npy(io.BytesIO(data), len(data), path=str(path), member=shown, error=error,
                                        allow_objects=allow_objects)
                    continue
                if key in defer and info.compress_type != zipfile.ZIP_STORED and info.file_size >= DEFER_MIN_BYTES:
                    deferred = _deferred_member(archive, info, path, shown, error)
                    if deferred is not None:
                        out[key] = deferred
                        continue
                out[key] = _streamed_member(archive, info, path, shown, error, allow_objects)
    return out


@dataclass(frozen=True)
class DeferredNpzMember:
    """A large compressed ``.npz`` member whose zip entry and array header were checked, its data not yet read.

    Attributes:
        path: the archive.  member: the zip entry's name.  field: the key, as error messages show it.
        shape, dtype, file_size: what the header and the zip entry declared (checked again by :meth:`load`).
    """

    path: str
    member: str
    field: str
    shape: tuple[int, ...]
    dtype: np.dtype
    file_size: int

    def load(self, *, error: type) -> np.ndarray:
        """The member's array, read with every check :func:`load_npz` applies (CRC-32 included); ``error`` names
        the file and the field, also when the archive changed since it was opened."""
        path = Path(self.path)
        try:
            archive = zipfile.ZipFile(path)
        except Exception as exc:  # gone, truncated or replaced since
            raise error(f"not a readable .npz archive any more ({short_reason(exc)})", path=path,
                        field=self.field) from None
        with archive:
            try:
                info = archive.getinfo(self.member)
            except KeyError:
                info = None
            if info is None or info.file_size != self.file_size:
                raise error("the archive changed since it was opened (this member is gone or resized)", path=path,
                            field=self.field)
            value = _streamed_member(archive, info, path, self.field, error, False)
        if value.shape != self.shape or value.dtype != self.dtype:
            raise error(f"the archive changed since it was opened (now {value.shape} {value.dtype})", path=path,
                        field=self.field)
        return value


def _deferred_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, shown: str,
                     error: type) -> Optional[DeferredNpzMember]:
    """A :class:`DeferredNpzMember` after the member's header was checked (only its first bytes are inflated); None
    for an object array (read at once instead)."""
    try:
        stream = archive.open(info)
    except Exception as exc:  # bad local header, unsupported compression
        raise error(f"truncated or corrupt archive member ({short_reason(exc)})", path=path, field=shown) from None
    with stream:
        shape, _, dtype, _ = _npy_header(stream, info.file_size, path=str(path), member=shown, error=error,
                                         allow_objects=True)
    if dtype.hasobject:
        return None
    return DeferredNpzMember(path=str(path), member=info.filename, field=shown, shape=shape, dtype=dtype,
                             file_size=info.file_size)


def _streamed_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, shown: str, error: type,
                     allow_objects: bool) -> Any:
    """One member read through :mod:`zipfile`'s stream, to the end of the entry (where its CRC is checked)."""
    try:
        stream = archive.open(info)
    except Exception as exc:  # bad local header, unsupported compression
        raise error(f"truncated or corrupt archive member ({short_reason(exc)})", path=path, field=shown) from None
    with stream:
        value = read_npy(stream, info.file_size, path=str(path), member=shown, error=error,
                         allow_objects=allow_objects)
        try:
            while stream.read(_CHUNK):  # to the end of the entry, where zipfile checks its CRC
                pass
        except Exception as exc:
            raise error(f"corrupt archive member ({short_reason(exc)})", path=path, field=shown) from None
    return value
