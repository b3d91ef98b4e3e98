"""The world-grounded estimators' file containers, opened without running anything in them.

- **joblib** (``joblib.dump``; WHAM ``wham_output.pkl`` and ``slam_results.pth``, PromptHMR ``results.pkl``): read
  by the project's joblib unpickler (:mod:`core.fileio.safe_joblib`: joblib's ``NumpyArrayWrapper`` records and
  compressed streams), extended here with one more admitted global: WHAM keeps its results in a
  ``collections.defaultdict(dict)`` (``demo.py``), admitted only as ``defaultdict(dict)`` / ``defaultdict()`` and
  turned into a plain dict (its factory never runs).
- **torch tensors inside a plain pickle** (TRAM ``hps/hps_track_{k}.npy``: ``np.save`` of a dict of torch tensors,
  yufu-wang/tram ``scripts/estimate_humans.py`` / ``lib/models/hmr_vimo.py``): a tensor pickles as
  ``torch._utils._rebuild_tensor_v2(torch.storage._load_from_bytes(<legacy torch.save bytes>), offset, size,
  stride, requires_grad, OrderedDict())``. The storage bytes are opened with ``torch.load(..., weights_only=True)``
  and the tensor is rebuilt only from checked integers that stay inside the storage, then handed on as a numpy
  array. This needs torch, and says so when it is absent.
- **torch.save files** (GVHMR ``hmr4d_results.pt``): ``torch.load(path, map_location="cpu", weights_only=True)``,
  tensors turned into numpy arrays. This needs torch too.
"""
from __future__ import annotations

import io
import math
import pickle
import warnings
from pathlib import Path
from typing import Any, Union

import numpy as np

from ...errors import UnsafePickleError
from ...fileio import safe_joblib, safe_pickle
from ...fileio.safe_pickle import short_reason
from ..input_errors import EstimatorInputError

__all__ = ["load_joblib", "load_npy_with_tensors", "load_torch_file", "to_numpy_tree", "TORCH_MISSING"]

PathLike = Union[str, Path]

TORCH_MISSING = ("needs torch to read (its tensors are torch-serialised; they are opened with "
                 "torch.load(weights_only=True)); install torch in this Python, or use the Python with torch "
                 "(add-on preferences)")


def _defaultdict(factory: Any = None) -> dict:
    """``collections.defaultdict(dict)`` as WHAM dumps it: a plain dict (its factory never runs)."""
    if factory is not None and factory is not dict:
        raise safe_pickle._Refused("refused a defaultdict whose factory is not dict")
    return {}


_EXTRA_CALLABLES: tuple = (_defaultdict,)


def _storage_from_bytes(data: Any) -> Any:
    """``torch.storage._load_from_bytes``: the legacy ``torch.save`` bytes of one storage, with weights_only."""
    if not isinstance(data, (bytes, bytearray)):
        raise safe_pickle._Refused("refused a torch storage built from anything but bytes")
    torch = _torch()
    return torch.load(io.BytesIO(bytes(data)), map_location="cpu", weights_only=True)


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any = False,
                    hooks: Any = None, metadata: Any = None) -> np.ndarray:
    """``torch._utils._rebuild_tensor_v2`` with checked integers; the tensor leaves as a numpy array."""
    torch = _torch()
    if not isinstance(storage, (torch.UntypedStorage, torch.storage.TypedStorage)):
        raise safe_pickle._Refused("refused a tensor whose storage is not a torch storage")
    ints = (offset,) + tuple(size if isinstance(size, tuple) else (None,)) + \
        tuple(stride if isinstance(stride, tuple) else (None,))
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in ints) or \
            not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride) or \
            len(size) > 8 or (hooks is not None and (not isinstance(hooks, dict) or hooks)):
        raise safe_pickle._Malformed("malformed torch tensor arguments")
    count = math.prod(size)
    if count:
        last = offset + sum((s - 1) * st for s, st in zip(size, stride))
        with warnings.catch_warnings():  # TypedStorage's deprecation notice; the length is what is asked
            warnings.simplefilter("ignore")
            length = len(storage)
        if last >= length:
            raise safe_pickle._Malformed("a torch tensor reaches past its storage")
    tensor = torch.empty(0, dtype=storage.dtype).set_(storage, offset, size, stride) if count else \
        torch.empty(size, dtype=storage.dtype)
    return tensor.detach().cpu().numpy().copy()


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise safe_pickle._Refused("torch is not installed") from None
    return torch


class _ResearchUnpickler(safe_joblib._JoblibUnpickler):
    """The joblib-aware restricted unpickler plus ``defaultdict(dict)`` and (``tensors``) torch tensors."""

    dispatch = dict(safe_joblib._JoblibUnpickler.dispatch)

    def __init__(self, file: io.BufferedIOBase, path: str, *, tensors: bool) -> None:
        super().__init__(file, path)
        self._tensors = tensors

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "defaultdict"):
            return _defaultdict
        if (module, name) == ("builtins", "dict"):
            return dict  # only ever the factory argument of defaultdict (dict is not callable here)
        if self._tensors and (module, name) == ("torch.storage", "_load_from_bytes"):
            return _storage_from_bytes
        if self._tensors and (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        return super().find_class(module, name)

    def load_reduce(self) -> None:
        func = self.stack[-2] if len(self.stack) >= 2 else None
        tensor_calls = (_storage_from_bytes, _rebuild_tensor) if self._tensors else ()
        if any(func is f for f in _EXTRA_CALLABLES + tensor_calls):
            args = self.stack.pop()
            if not isinstance(args, tuple):
                raise safe_pickle._Refused("refused a call without an argument tuple")
            self.stack[-1] = func(*args)
            return
        super().load_reduce()

    dispatch[pickle.REDUCE[0]] = load_reduce


def _unpickle(data: bytes, path: str, *, tensors: bool) -> Any:
    try:
        if not tensors:
            data, _ = safe_joblib.decompress_joblib(data)
        return _ResearchUnpickler(io.BytesIO(data), path, tensors=tensors).load()
    except UnsafePickleError:
        raise
    except safe_pickle._Refused as exc:
        if "torch is not installed" in str(exc):
            raise EstimatorInputError(TORCH_MISSING, path=path) from None
        raise UnsafePickleError(f"{exc} (only numpy arrays, joblib array records, torch tensors and plain "
                                f"containers are admitted)", path=path) from None
    except (safe_pickle._Truncated, safe_pickle._Malformed) as exc:
        raise UnsafePickleError(f"not a readable pickle: {exc}", path=path) from None
    except (MemoryError, RecursionError):
        raise UnsafePickleError("not a readable pickle (truncated, corrupt or nested too deeply)",
                                path=path) from None
    except Exception as exc:  # a corrupt stream: one line, never a traceback
        raise UnsafePickleError(f"not a readable pickle ({short_reason(exc)})", path=path) from None


def _read_bytes(path: PathLike) -> bytes:
    path = Path(path)
    if not path.exists():
        raise EstimatorInputError("file not found", path=path)
    if path.is_dir():
        raise EstimatorInputError("expected a file, found a folder", path=path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EstimatorInputError(f"cannot read the file ({short_reason(exc)})", path=path) from None


def load_joblib(path: PathLike) -> Any:
    """A ``joblib.dump`` file (compressed or not) through the restricted unpickler."""
    return _unpickle(_read_bytes(path), str(path), tensors=False)


def load_npy_with_tensors(path: PathLike) -> Any:
    """An ``.npy`` file; an object array (``np.save`` of a dict, maybe of torch tensors) goes through the
    restricted unpickler with tensors admitted, and a 0-d one is unwrapped."""
    data = _read_bytes(path)
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        shape, fortran, dtype = np.lib.format._read_array_header(stream, version, max_header_size=10_000)
    except Exception as exc:
        raise EstimatorInputError(f"not an .npy file ({short_reason(exc)})", path=path) from None
    if not dtype.hasobject:
        count = math.prod(shape)
        payload = data[stream.tell():]
        if len(payload) != count * dtype.itemsize:
            raise EstimatorInputError("the array data does not match its header (truncated or corrupt)", path=path)
        return np.frombuffer(payload, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()
    value = _unpickle(data[stream.tell():], str(path), tensors=True)
    if isinstance(value, np.ndarray) and value.dtype.hasobject and value.ndim == 0:
        value = value.item()
    return value


def to_numpy_tree(value: Any, depth: int = 0) -> Any:
    """Torch tensors anywhere in nested dicts / lists / tuples -> numpy arrays (float64 stays float64)."""
    if depth > 32:
        raise ValueError("nested too deeply")
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: to_numpy_tree(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy_tree(v, depth + 1) for v in value)
    return value


def load_torch_file(path: PathLike) -> Any:
    """A ``torch.save`` file via ``torch.load(map_location="cpu", weights_only=True)``; tensors -> numpy."""
    path = Path(path)
    _read_bytes(path)[:0]  # existence and readability, one message
    try:
        import torch
    except ImportError:
        raise EstimatorInputError(TORCH_MISSING, path=path) from None
    try:
        value = torch.load(str(path), map_location="cpu", weights_only=True)
    except MemoryError:
        raise EstimatorInputError("not a readable torch file (it declares more data than it holds)",
                                  path=path) from None
    except Exception as exc:  # weights_only refusals, corrupt zips, truncated files: one line
        raise EstimatorInputError(f"not a readable torch file with weights_only=True ({short_reason(exc)})",
                                  path=path) from None
    try:
        return to_numpy_tree(value)
    except (ValueError, RecursionError, RuntimeError, TypeError) as exc:
        raise EstimatorInputError(f"not a readable torch file ({short_reason(exc)})", path=path) from None

