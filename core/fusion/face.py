"""Face: EMOCA (FLAME) codes -> SMPL-X jaw, expression and, optionally, head orientation.

* **posecode** (EMOCA ``gdl/models/DECA.py``: ``globpose = posecode[..., :3]``, ``jawpose = posecode[..., 3:]``):
  6 numbers, FLAME global rotation then jaw, axis-angle. The jaw copies to SMPL-X ``jaw_pose`` unchanged: FLAME's and
  SMPL-X's heads share their rest frame (smplx issues #51, #122; emoca #30).
* **Expression**: one route per fused file, recorded (name and reason) in :class:`ExpressionTransfer`:
    ``direct``         SMPL-X 2020 (100 expression components) shares FLAME 2020's expression space: copy the 50,
                       the remaining 50 are 0.
    ``projection``     given the FLAME model (template, expression blendshapes, jaw joint, skinning and pose
                       correctives) and ``SMPL-X__FLAME_vertex_ids.npy`` (5023 SMPL-X vertex ids, one per FLAME
                       vertex): per frame, the SMPL-X expression whose posed face (its own jaw bone given the same
                       jaw) is closest, in least squares over the corresponding vertices, to the FLAME face the codes
                       show (expression *and jaw*, exactly). The lowest face vertex error of every route on every
                       target of ``bench/expression_transfer.py`` (the README quotes its figures).
    ``linear``         the same corresponding vertices, one closed-form (E x (50 + 9 jaw features)) matrix.
    ``least_squares``  given FLAME's expression blendshapes (5023, 3, 50) alone: the (E x 50) matrix ``A``
                       minimising ``sum_e || S A e - F e ||^2 + lambda ||A e||^2`` over the corresponding vertices,
                       in closed form ``A = (S^T S + lambda I)^-1 S^T F`` (S: SMPL-X expression dirs at those
                       vertices). The jaw is ignored.
    ``truncate``       SMPL-X v1.1 (10 components) without FLAME files: the first 10 FLAME coefficients are
                       copied. An approximation, documented as such: v1.1's space is not FLAME's. (Right for the
                       demo data, whose EMOCA codes are written by truncating the ground truth's expression.)
    mapper routes      a fitted :class:`.expression.mapping.ExpressionMapper` (``FusionOptions.expression_mapper``,
                       e.g. read by ``core.fusion.expression.command.read_mapper``): expression and jaw in, SMPL-X
                       expression out; the route is named by the mapper's method (``projection``, ``linear``,
                       ``learned``...). ``"mapper"`` asks for the given mapper whatever its method.
  ``"auto"`` (:func:`choose_expression_transfer`): a given mapper > ``projection`` when the FLAME model and its
  vertex ids are given > ``least_squares`` when only FLAME's expression blendshapes are > ``direct`` for SMPL-X
  2020 > ``truncate``.
* **Head orientation** (optional). EMOCA's FLAME lives in a **y-up** frame: ``batch_orth_proj`` adds the crop offset
  and scales, then the code negates y and z to reach image coordinates (``trans_verts[:, :, 1:] =
  -trans_verts[:, :, 1:]``). So the head's rotation in the OpenCV camera (x right, y down, z forward), the frame of the
  body's ``global_orient``, is ``FLAME_TO_OPENCV @ R_flame`` with ``FLAME_TO_OPENCV = diag(1, -1, -1)``. The SMPL-X
  local head rotation is then ``G_neck^T @ R_head_cam``, ``G_neck`` the product along 0, 3, 6, 9, 12 (PIXIE
  ``pose_abs2rel(abs_joint='head')``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

#: EMOCA's FLAME frame (y up, z towards the viewer) -> OpenCV camera frame (y down, z forward).
FLAME_TO_OPENCV = np.diag([1.0, -1.0, -1.0])
FLAME_NUM_VERTICES = 5023
FLAME_NUM_EXPRESSION = 50
#: Routes that need a fitted mapper (named by its method); ``projection`` and ``linear`` can be built here from the
#: FLAME model, the learned ones are trained ahead (``python -m core expression-mapper``).
MAPPER_ROUTES = ("projection", "linear", "linear_bounded", "learned", "learned_residual")
BUILT_HERE = ("projection", "linear")
ROUTES = ("auto", "direct", "least_squares", "truncate", "mapper") + MAPPER_ROUTES


def split_posecode(posecode: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EMOCA ``posecode`` (T, 6) -> ``(flame_global_aa, jaw_aa)``: (T, 3) ``[:, 0:3]`` and (T, 3) ``[:, 3:6]``."""
    p = np.asarray(posecode, dtype=np.float64)
    if p.shape[-1] != 6:
        raise ValueError(f"posecode: expected 6 values per frame (global 3 + jaw 3), found {p.shape[-1]}")
    return p[..., 0:3].copy(), p[..., 3:6].copy()


def emoca_jaw_to_smplx(jaw_aa: np.ndarray) -> np.ndarray:
    """FLAME jaw (T, 3) axis-angle -> SMPL-X ``jaw_pose`` (T, 3) axis-angle: the same rotation, copied."""
    return np.asarray(jaw_aa, dtype=np.float64).copy()


@dataclass(frozen=True)
class ExpressionTransfer:
    """A map from FLAME expression to SMPL-X expression: ``smplx = flame @ matrix.T``, or a mapper's.

    Attributes:
        route: ``"direct"``, ``"least_squares"``, ``"truncate"``, or the mapper's method (``"projection"``,
            ``"linear"``, ``"learned"``...) for a mapper route.
        matrix: (E_smplx, 50); for a mapper, the expression columns of its linear part where it has one (else 0).
        note: one line for provenance: why this route, then what was assumed.
        fit_residual: relative vertex residual of the least-squares fit on FLAME's own blendshapes (None otherwise).
        mapper: the :class:`.expression.mapping.ExpressionMapper` behind a mapper route (None otherwise).
        reason: why this route was taken (``"auto: ..."`` or ``"route '...' requested"``); also the start of
            ``note`` when :func:`choose_expression_transfer` made it.
    """

    route: str
    matrix: np.ndarray
    note: str
    fit_residual: Optional[float] = None
    mapper: Optional[Any] = None
    reason: str = ""

    def apply(self, flame_expression: np.ndarray, jaw_aa: Optional[np.ndarray] = None) -> np.ndarray:
        """(T, <=50) FLAME expression (and (T, 3) jaw, used by mappers) -> (T, E_smplx) SMPL-X expression."""
        e = np.asarray(flame_expression, dtype=np.float64)
        if self.mapper is not None:
            return self.mapper.map(e.reshape(-1, e.shape[-1]), jaw_aa)
        n = min(e.shape[-1], self.matrix.shape[1])
        return e[..., :n] @ self.matrix[:, :n].T


def _copy_matrix(n_smplx: int, n_copy: int) -> np.ndarray:
    m = np.zeros((n_smplx, FLAME_NUM_EXPRESSION))
    k = min(n_smplx, n_copy, FLAME_NUM_EXPRESSION)
    m[np.arange(k), np.arange(k)] = 1.0
    return m


def direct_transfer(n_smplx_expression: int) -> ExpressionTransfer:
    """SMPL-X 2020: FLAME's 50 coefficients copied into the first 50 of ``n_smplx_expression`` (100); rest 0."""
    return ExpressionTransfer("direct", _copy_matrix(n_smplx_expression, FLAME_NUM_EXPRESSION),
                              "SMPL-X 2020 shares FLAME 2020's expression space: first 50 copied, the rest 0")


def truncate_transfer(n_smplx_expression: int) -> ExpressionTransfer:
    """SMPL-X v1.1 without FLAME's blendshapes: the first ``n_smplx_expression`` (10) FLAME coefficients copied."""
    k = min(n_smplx_expression, FLAME_NUM_EXPRESSION)
    return ExpressionTransfer("truncate", _copy_matrix(n_smplx_expression, k),
                              f"truncation: the first {k} FLAME coefficients copied as SMPL-X expression "
                              f"(an approximation, the spaces differ; give the FLAME model and its vertex ids for "
                              f"projection)")


def least_squares_transfer(flame_expression_dirs: np.ndarray, smplx_expression_dirs: np.ndarray,
                           flame_vertex_ids: np.ndarray, tikhonov: float = 0.0) -> ExpressionTransfer:
    """Closed-form (E x 50) map fitting SMPL-X's expression blendshapes to FLAME's on corresponding vertices.

    Args:
        flame_expression_dirs: (5023, 3, 50) FLAME expression blendshapes (metres per unit coefficient).
        smplx_expression_dirs: (V, 3, E) SMPL-X expression blendshapes (``BodyModel.expression_dirs``).
        flame_vertex_ids: (5023,) SMPL-X vertex index of each FLAME vertex (``SMPL-X__FLAME_vertex_ids.npy``).
        tikhonov: lambda >= 0, ridge on the SMPL-X coefficients (relative to the mean diagonal of ``S^T S``).
    Returns:
        :class:`ExpressionTransfer` with route ``least_squares``.
    """
    f = np.asarray(flame_expression_dirs, dtype=np.float64)
    s = np.asarray(smplx_expression_dirs, dtype=np.float64)
    ids = np.asarray(flame_vertex_ids, dtype=np.int64).reshape(-1)
    if f.ndim != 3 or f.shape[1] != 3:
        raise ValueError(f"FLAME expression dirs: expected (V_flame, 3, N), found {f.shape}")
    if ids.shape[0] != f.shape[0]:
        raise ValueError(f"FLAME vertex ids: expected {f.shape[0]} ids (one per FLAME vertex), found {ids.shape[0]}")
    if ids.min() < 0 or ids.max() >= s.shape[0]:
        raise ValueError(f"FLAME vertex ids must index the SMPL-X mesh's {s.shape[0]} vertices")
    n_flame = f.shape[2]
    s_sub = s[ids].reshape(-1, s.shape[2])  # (3 * 5023, E)
    f_mat = f.reshape(-1, n_flame)  # (3 * 5023, 50)
    gram = s_sub.T @ s_sub
    lam = float(tikhonov) * (np.trace(gram) / max(gram.shape[0], 1))
    a = np.linalg.solve(gram + lam * np.eye(gram.shape[0]), s_sub.T @ f_mat)  # (E, N)
    resid = s_sub @ a - f_mat
    rel = float(np.linalg.norm(resid) / max(np.linalg.norm(f_mat), 1e-15))
    matrix = np.zeros((s.shape[2], FLAME_NUM_EXPRESSION))
    matrix[:, :min(n_flame, FLAME_NUM_EXPRESSION)] = a[:, :FLAME_NUM_EXPRESSION]
    return ExpressionTransfer("least_squares", matrix,
                              f"least squares on {ids.shape[0]} corresponding face vertices, "
                              f"tikhonov={tikhonov:g}, relative residual {rel:.3f}", rel)


def mapper_transfer(mapper: Any, n_smplx_expression: int) -> ExpressionTransfer:
    """A mapper route: an :class:`.expression.mapping.ExpressionMapper` whose target is this model's expression."""
    if mapper.num_target != n_smplx_expression:
        raise ValueError(f"the expression mapper outputs {mapper.num_target} coefficients ({mapper.target}); "
                         f"this model has {n_smplx_expression} expression components")
    if mapper.bounds is not None:
        raise ValueError(f"the expression mapper targets a bounded rig ({mapper.target}), not SMPL-X expression")
    matrix = np.zeros((n_smplx_expression, FLAME_NUM_EXPRESSION))
    linear = getattr(mapper, "matrix", None)
    if linear is not None:
        k = min(mapper.num_source, FLAME_NUM_EXPRESSION)
        matrix[:, :k] = np.asarray(linear)[:, :k]
    return ExpressionTransfer(mapper.method, matrix, f"{mapper.method} mapper to {mapper.target} (expression and "
                                                     f"jaw in): {mapper.note}", mapper=mapper)


def flame_mapper(flame_face: Any, smplx_face: Any, method: str = "projection",
                 weights: Optional[np.ndarray] = None) -> Any:
    """A ``projection`` or ``linear`` mapper from the FLAME model to an SMPL-X model's expression, built now.

    Args:
        flame_face: the FLAME model as a :class:`.expression.mapping.LinearFaceModel` whose ``mesh_ids`` are
            ``SMPL-X__FLAME_vertex_ids.npy`` (:func:`.expression.source.face_model_from_flame_arrays`).
        smplx_face: the SMPL-X model's face (:func:`.expression.mapping.face_model_from_body_model`).
        weights: (N_flame,) weight of each FLAME vertex in the fit, e.g. the front of the face
            (:func:`.expression.arkit.front_face_weights`, where the bench scores); default: all equal. FLAME
            vertices off the model's head region are dropped.
    """
    from .expression import fit_mapper, pair_models

    if method not in BUILT_HERE:
        raise ValueError(f"expression route '{method}' cannot be built at fuse time (only {', '.join(BUILT_HERE)}); "
                         f"fit it with `python -m core expression-mapper` and give the file")
    if flame_face.mesh_ids is None:
        raise ValueError("the FLAME face model needs SMPL-X__FLAME_vertex_ids.npy as its mesh_ids")
    mapper = fit_mapper(pair_models(flame_face, smplx_face, flame_face.mesh_ids, weights), method)
    mapper.note = f"built from {flame_face.name} ({flame_face.note}) and {smplx_face.name}; {mapper.note}"
    return mapper


def _auto_route(model_variant: str, mapper: Any, have_flame_model: bool, have_ls: bool) -> tuple[str, str]:
    """``(route, why)`` of ``"auto"``: mapper > projection > least squares > direct (2020) > truncate."""
    if mapper is not None:
        return "mapper", "auto: an expression mapper was given"
    if have_flame_model:
        return "projection", ("auto: the FLAME model and its vertex ids were given; projection has the lowest face "
                              "error measured (bench/expression_transfer.py)")
    if have_ls:
        return "least_squares", ("auto: FLAME's expression blendshapes were given without the rest of the model "
                                 "(no jaw), so least squares; give the whole FLAME model for projection")
    if model_variant == "smplx-2020":
        return "direct", "auto: SMPL-X 2020 shares FLAME 2020's expression space"
    return "truncate", ("auto: neither an expression mapper nor the FLAME model was given, and this model "
                        f"({model_variant}) does not share FLAME's expression space")


def choose_expression_transfer(route: str, model_variant: str, n_smplx_expression: int,
                               smplx_expression_dirs: Optional[np.ndarray] = None,
                               flame_expression_dirs: Optional[np.ndarray] = None,
                               flame_vertex_ids: Optional[np.ndarray] = None,
                               tikhonov: float = 0.0, mapper: Optional[Any] = None,
                               flame_face: Optional[Any] = None, smplx_face: Optional[Any] = None,
                               flame_weights: Optional[np.ndarray] = None) -> ExpressionTransfer:
    """Pick the expression route (see the module notes); the note starts with why.

    ``"auto"``: the mapper when one is given, else ``projection`` when the FLAME model (``flame_face``, a
    :class:`.expression.mapping.LinearFaceModel` whose ``mesh_ids`` are the vertex ids) and the model's face
    (``smplx_face``) are given, else ``least_squares`` when only FLAME's expression blendshapes and the vertex ids
    are, else ``direct`` for SMPL-X 2020, else ``truncate``. An explicit route is honoured or refused with a
    reason: ``"mapper"`` or a mapper method needs ``mapper`` (of that method), except ``projection`` and ``linear``,
    which are built from ``flame_face`` and ``smplx_face`` (weighted by ``flame_weights``, see
    :func:`flame_mapper`) when no mapper is given; ``least_squares`` also takes its blendshapes and ids from
    ``flame_face``.
    """
    have_flame_model = flame_face is not None and smplx_face is not None
    if flame_face is not None and flame_expression_dirs is None:
        flame_expression_dirs, flame_vertex_ids = flame_face.dirs, flame_face.mesh_ids
    have_ls = flame_expression_dirs is not None and flame_vertex_ids is not None and smplx_expression_dirs is not None
    if route == "auto":
        route, why = _auto_route(model_variant, mapper, have_flame_model, have_ls)
    else:
        why = f"route '{route}' requested"
    if mapper is not None and route == getattr(mapper, "method", None):
        route = "mapper"
    if route == "mapper" or route in MAPPER_ROUTES:
        if route != "mapper" and mapper is None and route in BUILT_HERE and have_flame_model:
            mapper = flame_mapper(flame_face, smplx_face, route, flame_weights)
        elif mapper is None:
            raise ValueError(f"expression route '{route}' needs an expression mapper (--expression-mapper; "
                             f"FusionOptions.expression_mapper)"
                             + (" or the FLAME model and its vertex ids (--flame, --flame-ids)"
                                if route in BUILT_HERE else ""))
        elif route != "mapper":
            raise ValueError(f"expression route '{route}' does not match the given mapper ({mapper.method})")
        chosen = mapper_transfer(mapper, n_smplx_expression)
    elif route == "least_squares":
        if not have_ls:
            raise ValueError("expression route 'least_squares' needs FLAME's expression blendshapes and "
                             "SMPL-X__FLAME_vertex_ids.npy (--flame, --flame-ids)")
        chosen = least_squares_transfer(flame_expression_dirs, smplx_expression_dirs, flame_vertex_ids, tikhonov)
    elif route == "direct":
        if model_variant != "smplx-2020" or n_smplx_expression < FLAME_NUM_EXPRESSION:
            raise ValueError(f"expression route 'direct' needs the SMPL-X 2020 model (100 expression components); "
                             f"this model is {model_variant} with {n_smplx_expression}")
        chosen = direct_transfer(n_smplx_expression)
    elif route == "truncate":
        chosen = truncate_transfer(n_smplx_expression)
    else:
        raise ValueError(f"unknown expression route '{route}' (expected one of {', '.join(ROUTES)})")
    return replace(chosen, note=f"{why}: {chosen.note}", reason=why)


def flame_global_to_camera(flame_global_rotmat: np.ndarray, axes: str = "flame") -> np.ndarray:
    """(T, 3, 3) EMOCA global head rotation -> (T, 3, 3) head rotation in the OpenCV camera frame.

    ``axes="flame"``: EMOCA's y-up frame, left-multiplied by ``FLAME_TO_OPENCV``; ``axes="camera"``: already OpenCV.
    """
    r = np.asarray(flame_global_rotmat, dtype=np.float64)
    if axes == "flame":
        return FLAME_TO_OPENCV @ r
    if axes == "camera":
        return r.copy()
    raise ValueError(f"unknown face axes '{axes}' (expected flame or camera)")


def head_global_to_local(neck_global_rotmat: np.ndarray, global_head_rotmat_cam: np.ndarray) -> np.ndarray:
    """``local_head_rotmat = G_neck^T @ R_head_cam``: (T, 3, 3), (T, 3, 3) -> (T, 3, 3)."""
    return np.swapaxes(neck_global_rotmat, -1, -2) @ global_head_rotmat_cam


__all__ = ["FLAME_TO_OPENCV", "ROUTES", "MAPPER_ROUTES", "split_posecode", "emoca_jaw_to_smplx",
           "ExpressionTransfer", "direct_transfer", "truncate_transfer", "least_squares_transfer", "mapper_transfer",
           "flame_mapper", "choose_expression_transfer",
           "flame_global_to_camera", "head_global_to_local"]
