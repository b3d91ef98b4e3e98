"""Loading SMPL-X body-model files (official layouts and the project's licence-free ones) into a typed ``BodyModel``.

Reads ``.npz`` (plain arrays only, each member's header checked before it is read) and ``.pkl`` (through the
restricted unpickler); both through :mod:`core.fileio.safe_pickle`. Covers SMPL-X v1.1
(10 shape + 10 expression columns in ``shapedirs``) and 2020 (300 + 100), neutral, male and female.

A large deflated ``posedirs`` (the built-in model's is 157 MB of zeros, 0.4 s to inflate) is read on the first use of
``BodyModel.pose_dirs``: its zip entry, dtype and shape are checked at load, its data (CRC-32, NaN / Inf) then.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

import numpy as np

from ..errors import ModelFileError
from ..fileio.safe_pickle import DeferredNpzMember, load_npz, load_pickle, short_reason
from .skeleton import NUM_JOINTS, NUM_POSE_BASIS, PARENTS

GENDERS = ("neutral", "male", "female")
_REQUIRED_KEYS = ("v_template", "f", "J_regressor", "kintree_table", "weights", "shapedirs", "posedirs",
                  "hands_meanl", "hands_meanr")


class _ReadOnFirstUse:
    """A dataclass field that holds an array, or a zero-argument loader called once, on first access, whose array
    then replaces it (the loader raises :class:`ModelFileError` like :func:`load_body_model` would)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_held"

    def __get__(self, obj: Any, owner: Optional[type] = None) -> np.ndarray:
        if obj is None:  # no class-level default: the dataclass field stays required
            raise AttributeError(self._slot)
        value = obj.__dict__[self._slot]
        if callable(value) and not isinstance(value, np.ndarray):
            value = value()
            obj.__dict__[self._slot] = value
        return value

    def __set__(self, obj: Any, value: Union[np.ndarray, Callable[[], np.ndarray]]) -> None:
        obj.__dict__[self._slot] = value  # only reached from the frozen dataclass's __init__


@dataclass(frozen=True)
class BodyModel:
    """An SMPL-X body model as plain float64 numpy arrays (V vertices, J = 55 joints).

    Attributes:
        v_template: (V, 3) rest vertices, metres, Y up.
        faces: (F, 3) int64 triangle indices.
        joint_regressor: (J, V) dense joint regressor.
        parents: (J,) int64 parent of each joint, -1 for the root.
        skinning_weights: (V, J) linear-blend-skinning weights.
        shape_dirs: (V, 3, n_betas) shape blendshapes.
        expression_dirs: (V, 3, n_expression) expression blendshapes.
        pose_dirs: (V, 3, 486) pose-corrective blendshapes. A large compressed ``posedirs`` member of an ``.npz``
            (the built-in model's 157 MB of zeros take 0.4 s to inflate) is read, and checked, on first access;
            the constructor also takes a zero-argument loader for it.
        left_hand_mean, right_hand_mean: (15, 3) axis-angle hand means (what ``flat_hand_mean=False`` adds).
        left_hand_components, right_hand_components: (45, 45) hand PCA bases, or None.
        variant: ``"smplx-v1.1"`` (10 + 10) or ``"smplx-2020"`` (300 + 100) by ``shapedirs`` width.
        gender: neutral, male or female (from the file name where it says, else neutral).
        path: the file it came from.
    """

    v_template: np.ndarray
    faces: np.ndarray
    joint_regressor: np.ndarray
    parents: np.ndarray
    skinning_weights: np.ndarray
    shape_dirs: np.ndarray
    expression_dirs: np.ndarray
    pose_dirs: np.ndarray = _ReadOnFirstUse()  # type: ignore[assignment]
    left_hand_mean: np.ndarray
    right_hand_mean: np.ndarray
    left_hand_components: Optional[np.ndarray]
    right_hand_components: Optional[np.ndarray]
    variant: str
    gender: str
    path: str

    def __getstate__(self) -> dict:
        """For pickle and copy: the loaded arrays (a deferred ``pose_dirs`` is read first)."""
        _ = self.pose_dirs
        return dict(self.__dict__)

    @property
    def num_vertices(self) -> int:
        return int(self.v_template.shape[0])

    @property
    def num_betas(self) -> int:
        return int(self.shape_dirs.shape[2])

    @property
    def num_expression(self) -> int:
        return int(self.expression_dirs.shape[2])

    def shaped_vertices(self, betas: np.ndarray, expression: Optional[np.ndarray] = None) -> np.ndarray:
        """Rest vertices with shape (and expression) offsets.

        Args:
            betas: (B,) or (T, B); B may be shorter than ``num_betas`` (missing ones are zero).
            expression: (E,) or (T, E), optional.
        Returns:
            (V, 3) or (T, V, 3) float64.
        """
        betas = np.asarray(betas, dtype=np.float64)
        out = self.v_template + _blend(self.shape_dirs, betas)
        if expression is not None:
            out = out + _blend(self.expression_dirs, np.asarray(expression, dtype=np.float64))
        return out

    def rest_joints(self, betas: np.ndarray, expression: Optional[np.ndarray] = None) -> np.ndarray:
        """Joint positions regressed from the shaped rest mesh: (55, 3), or (T, 55, 3) for batched input."""
        verts = self.shaped_vertices(betas, expression)
        return np.einsum("jv,...vc->...jc", self.joint_regressor, verts)

    def expression_joint_offsets(self, expression: np.ndarray) -> np.ndarray:
        """How far expression moves each regressed joint: (T, E) -> (T, 55, 3), linear in the expression."""
        expr = np.asarray(expression, dtype=np.float64)
        n = min(expr.shape[-1], self.num_expression)
        joint_expr_dirs = np.einsum("jv,vcn->jcn", self.joint_regressor, self.expression_dirs[:, :, :n])
        return np.einsum("jcn,...n->...jc", joint_expr_dirs, expr[..., :n])


def _blend(dirs: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    n = min(coeffs.shape[-1], dirs.shape[2])
    return np.einsum("vcn,...n->...vc", dirs[:, :, :n], coeffs[..., :n])


def resolve_model_file(path: Union[str, Path], gender: str = "neutral") -> Path:
    """A model file path from a file path or a folder holding ``SMPLX_<GENDER>.npz``/``.pkl``."""
    p = Path(path).expanduser()
    gender = gender.lower()
    if gender not in GENDERS:
        raise ModelFileError(f"unknown gender '{gender}' (expected one of {', '.join(GENDERS)})", path=p)
    if p.is_dir():
        for ext in ("npz", "pkl"):
            candidate = p / f"SMPLX_{gender.upper()}.{ext}"
            if candidate.is_file():
                return candidate
        raise ModelFileError(f"no SMPLX_{gender.upper()}.npz or .pkl in this folder", path=p)
    if not p.is_file():
        raise ModelFileError("model file not found", path=p)
    return p


def _gender_from_name(path: Path) -> str:
    stem = path.stem.lower()
    for g in ("female", "male", "neutral"):  # female first: "male" is a substring of it
        if g in stem:
            return g
    return "neutral"


def _read_mapping(path: Path) -> Mapping[str, Any]:
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return load_npz(path, error=ModelFileError, allow_objects=False, defer=("posedirs",))
    if suffix == ".pkl":
        data = load_pickle(path)
        if not isinstance(data, dict):
            raise ModelFileError(f"expected a dict of arrays, found {type(data).__name__}", path=path)
        return data
    raise ModelFileError("unsupported model file type (expected .npz or .pkl)", path=path)


def _array(data: Mapping[str, Any], key: str, path: Path,
           sparse_shape: Optional[tuple[int, int]] = None) -> np.ndarray:
    """``data[key]`` as a real-valued numeric array.

    A ``scipy.sparse`` value (the official ``J_regressor``) is accepted where its dense shape is known
    (``sparse_shape``), and densified only after its shape matches, so a lying shape cannot allocate.
    """
    if key not in data:
        raise ModelFileError("missing key", path=path, field=key)
    value = data[key]
    if hasattr(value, "toarray") and hasattr(value, "shape"):
        if sparse_shape is None:
            raise ModelFileError("expected a dense array, found a scipy sparse matrix", path=path, field=key)
        if tuple(value.shape) != sparse_shape:
            raise ModelFileError(f"expected shape {sparse_shape}, found {tuple(value.shape)}", path=path, field=key)
        try:
            value = value.toarray()
        except Exception as exc:  # a sparse matrix the unpickler admitted but scipy cannot densify
            raise ModelFileError(f"cannot be read as a sparse matrix ({short_reason(exc)})", path=path,
                                 field=key) from None
    try:
        arr = np.asarray(value)
    except Exception as exc:  # e.g. a ragged nested list in a pickle
        raise ModelFileError(f"cannot be read as a numeric array ({short_reason(exc)})", path=path,
                             field=key) from None
    if arr.dtype.kind not in "iuf":
        raise ModelFileError(f"expected a real-valued numeric array, found dtype {arr.dtype}", path=path, field=key)
    return arr


def _expect_shape(arr: np.ndarray, shape: tuple, key: str, path: Path) -> None:
    _expect_shape_of(tuple(arr.shape), shape, key, path)


def _expect_shape_of(found: tuple, shape: tuple, key: str, path: Path) -> None:
    ok = len(found) == len(shape) and all(s is None or a == s for a, s in zip(found, shape))
    if not ok:
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ModelFileError(f"expected shape {want}, found {tuple(found)}", path=path, field=key)


def _expect_finite(arr: np.ndarray, key: str, path: Path) -> None:
    if not np.all(np.isfinite(arr)):
        raise ModelFileError("contains NaN or Inf values", path=path, field=key)


def _posedirs(value: Any, n_verts: int, file: Path) -> Union[np.ndarray, Callable[[], np.ndarray]]:
    """(V, 3, 486) float64 ``posedirs``, checked; for a :class:`DeferredNpzMember` its header is checked now (dtype,
    shape) and a loader returned that reads and checks the data on first use."""
    if not isinstance(value, DeferredNpzMember):
        posedirs = _array({"posedirs": value}, "posedirs", file).astype(np.float64)
        _expect_shape(posedirs, (n_verts, 3, NUM_POSE_BASIS), "posedirs", file)
        _expect_finite(posedirs, "posedirs", file)
        return posedirs
    if value.dtype.kind not in "iuf":
        raise ModelFileError(f"expected a real-valued numeric array, found dtype {value.dtype}", path=file,
                             field="posedirs")
    _expect_shape_of(value.shape, (n_verts, 3, NUM_POSE_BASIS), "posedirs", file)

    def read() -> np.ndarray:
        return _posedirs(value.load(error=ModelFileError), n_verts, file)  # type: ignore[return-value]

    return read


def load_body_model(path: Union[str, Path], gender: str = "neutral") -> BodyModel:
    """Load an SMPL-X model file (or folder + gender) into a :class:`BodyModel`.

    Raises :class:`ModelFileError` naming the file and the key for anything missing or mis-shaped.
    """
    file = resolve_model_file(path, gender)
    data = _read_mapping(file)
    for key in _REQUIRED_KEYS:
        if key not in data:
            raise ModelFileError("missing key", path=file, field=key)

    v_template = _array(data, "v_template", file).astype(np.float64)
    _expect_shape(v_template, (None, 3), "v_template", file)
    n_verts = v_template.shape[0]
    faces = _array(data, "f", file)
    _expect_shape(faces, (None, 3), "f", file)
    if faces.size and (not np.all(np.isfinite(faces)) or np.any(faces != np.round(faces))
                       or faces.min() < 0 or faces.max() >= n_verts):
        raise ModelFileError(f"face indices must be integers in [0, {n_verts})", path=file, field="f")
    faces = faces.astype(np.int64)
    j_reg = _array(data, "J_regressor", file, sparse_shape=(NUM_JOINTS, n_verts)).astype(np.float64)
    _expect_shape(j_reg, (NUM_JOINTS, n_verts), "J_regressor", file)
    kintree = _array(data, "kintree_table", file)
    _expect_shape(kintree, (2, NUM_JOINTS), "kintree_table", file)
    parents = kintree[0].astype(np.int64)
    parents[0] = -1  # official files store 2**32 - 1 for the root
    if not np.array_equal(parents, PARENTS):
        raise ModelFileError("the kinematic tree is not SMPL-X's", path=file, field="kintree_table")
    weights = _array(data, "weights", file, sparse_shape=(n_verts, NUM_JOINTS)).astype(np.float64)
    _expect_shape(weights, (n_verts, NUM_JOINTS), "weights", file)
    shapedirs = _array(data, "shapedirs", file).astype(np.float64)
    _expect_shape(shapedirs, (n_verts, 3, None), "shapedirs", file)
    n_cols = shapedirs.shape[2]
    if n_cols >= 400:
        variant, shape_dirs, expr_dirs = "smplx-2020", shapedirs[:, :, :300], shapedirs[:, :, 300:400]
    elif n_cols >= 20:
        variant, shape_dirs, expr_dirs = "smplx-v1.1", shapedirs[:, :, :10], shapedirs[:, :, 10:20]
    else:
        raise ModelFileError(f"expected at least 20 columns (10 shape + 10 expression), found {n_cols}",
                             path=file, field="shapedirs")
    posedirs = _posedirs(data["posedirs"], n_verts, file)
    hand_means = {}
    for key in ("hands_meanl", "hands_meanr"):
        arr = _array(data, key, file).astype(np.float64).reshape(-1)
        _expect_shape(arr, (45,), key, file)
        _expect_finite(arr, key, file)
        hand_means[key] = arr.reshape(15, 3)
    components = {}
    for key in ("hands_componentsl", "hands_componentsr"):
        if key in data:
            arr = _array(data, key, file).astype(np.float64)
            _expect_shape(arr, (None, 45), key, file)
            _expect_finite(arr, key, file)
            components[key] = arr
        else:
            components[key] = None
    for key, arr in (("v_template", v_template), ("J_regressor", j_reg), ("weights", weights),
                     ("shapedirs", shapedirs)):
        _expect_finite(arr, key, file)

    return BodyModel(
        v_template=v_template, faces=faces, joint_regressor=j_reg, parents=parents,
        skinning_weights=weights, shape_dirs=np.ascontiguousarray(shape_dirs),
        expression_dirs=np.ascontiguousarray(expr_dirs), pose_dirs=posedirs,
        left_hand_mean=hand_means["hands_meanl"], right_hand_mean=hand_means["hands_meanr"],
        left_hand_components=components["hands_componentsl"],
        right_hand_components=components["hands_componentsr"],
        variant=variant, gender=_gender_from_name(file), path=str(file),
    )
