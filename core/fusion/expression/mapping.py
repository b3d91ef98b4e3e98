"""Expression mappers: source face coefficients (plus the jaw) -> target face coefficients, one interface.

Everything here is numpy only, so mapping (inference) runs inside Blender. This module is the base of the package:
it imports none of the mapper classes (:mod:`.linear`, :mod:`.learned`), which build on it; the package file
(:mod:`core.fusion.expression`) fits and rebuilds them.

Vocabulary (shapes in brackets; T frames, N vertices, K coefficients):

* :class:`LinearFaceModel` - a linear face model on N vertices: rest positions, expression directions (N, 3, K)
  and, when the face has a jaw bone (SMPL-X, FLAME), the jaw joint, its skinning weights and its pose correctives.
  Its posed displacement follows smplx's ``lbs`` with every joint but the jaw at rest::

      d      = dirs . c + jaw_pose_dirs . phi(jaw)                 phi(jaw) = vec(R(jaw) - I), row-major (9,)
      J(c)   = jaw_joint + jaw_joint_dirs . c                      (the joint is regressed from v_shaped)
      disp   = d + w_jaw * (R(jaw) - I) (template + d - J(c))

  A face rig without a jaw bone (ARKit, ``jaw_weights is None``) has ``disp = dirs . c``; its jaw is a shape.
* :class:`FacePair` - a source and a target model restricted to M corresponding vertices (row m of each is the
  same point of the face), per-vertex weights (the face mask; 0 = not scored), and L landmarks as barycentric
  combinations of corresponding vertices. It scores a mapping: vertex error (mm), landmark error (mm) and jitter.
* :class:`ExpressionMapper` - the interface every method implements: ``map(expression (T, Ks), jaw (T, 3))
  -> (T, Kt)``; ``header()`` (a JSON-able dict) and ``arrays()`` (plain arrays) describe it completely, and
  :func:`core.fusion.expression.mapper_from_arrays` builds any of them back. Files are written and read by
  :mod:`core.io.expression_mapper_file` (this package never opens a file).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

import numpy as np

from ...rotations import axis_angle_to_matrix

#: SMPL-X joint indices used here (smplx ``joint_names.py``).
HEAD, JAW, LEFT_EYE, RIGHT_EYE = 15, 22, 23, 24
#: Column of the jaw's first pose feature in SMPL-X ``posedirs`` ((joint - 1) * 9).
SMPLX_JAW_POSE_COLUMN = (JAW - 1) * 9
NUM_JAW_FEATURES = 9
FORMAT = "smplx-fusion-expression-mapper/1"


def jaw_features(jaw_aa: np.ndarray) -> np.ndarray:
    """Jaw axis-angle (T, 3) -> (T, 9) ``vec(R - I)`` row-major, the pose feature smplx and FLAME use."""
    r = axis_angle_to_matrix(np.asarray(jaw_aa, dtype=np.float64).reshape(-1, 3))
    return (r - np.eye(3)).reshape(-1, 9)


def mapper_inputs(expression: np.ndarray, jaw_aa: Optional[np.ndarray], num_source: int) -> np.ndarray:
    """The common input of every mapper: ``[expression (Ks), vec(R(jaw) - I) (9)]`` -> (T, Ks + 9).

    ``expression`` (T, <=Ks) is zero-padded or truncated to ``num_source``; ``jaw_aa`` (T, 3) or None (closed jaw).
    """
    e = np.asarray(expression, dtype=np.float64)
    e = e.reshape(-1, e.shape[-1]) if e.ndim else e.reshape(1, 1)
    t = e.shape[0]
    x = np.zeros((t, num_source + NUM_JAW_FEATURES))
    n = min(e.shape[1], num_source)
    x[:, :n] = e[:, :n]
    if jaw_aa is not None:
        x[:, num_source:] = jaw_features(np.asarray(jaw_aa, dtype=np.float64).reshape(t, 3))
    return x


@dataclass(frozen=True)
class LinearFaceModel:
    """A linear face model on N vertices (model frame, metres, Y up).

    Attributes:
        name: what it is (``"smplx_v1.1"``, ``"flame_like"``, ``"arkit"``...).
        template: (N, 3) rest positions.
        dirs: (N, 3, K) expression directions, metres per unit coefficient.
        names: K coefficient names, or None.
        bounds: ``(lo, hi)`` for rigs whose weights must lie in a range (ARKit: (0, 1)), or None.
        jaw_joint: (3,) rest jaw joint, or None when the face has no jaw bone.
        jaw_joint_dirs: (3, K) how the regressed jaw joint moves per coefficient (SMPL-X regresses it from the
            expression-shaped mesh), or None.
        jaw_weights: (N,) jaw skinning weight of each vertex, or None (no jaw bone: the jaw is a shape).
        jaw_pose_dirs: (N, 3, 9) jaw pose correctives per entry of ``vec(R - I)``, or None.
        mesh_ids: (N,) index of each vertex in the full mesh it was taken from, or None.
        note: provenance in one line.
    """

    name: str
    template: np.ndarray
    dirs: np.ndarray
    names: Optional[tuple[str, ...]] = None
    bounds: Optional[tuple[float, float]] = None
    jaw_joint: Optional[np.ndarray] = None
    jaw_joint_dirs: Optional[np.ndarray] = None
    jaw_weights: Optional[np.ndarray] = None
    jaw_pose_dirs: Optional[np.ndarray] = None
    mesh_ids: Optional[np.ndarray] = None
    note: str = ""

    def __post_init__(self) -> None:
        n, k = self.template.shape[0], self.dirs.shape[2]
        if self.template.shape != (n, 3) or self.dirs.shape[:2] != (n, 3):
            raise ValueError(f"{self.name}: template (N, 3) and dirs (N, 3, K) disagree: "
                             f"{self.template.shape}, {self.dirs.shape}")
        if self.names is not None and len(self.names) != k:
            raise ValueError(f"{self.name}: {len(self.names)} names for {k} directions")
        if self.jaw_weights is not None:
            if self.jaw_joint is None or self.jaw_weights.shape != (n,):
                raise ValueError(f"{self.name}: a jaw bone needs jaw_joint (3,) and jaw_weights (N,)")
        if self.jaw_joint_dirs is not None and self.jaw_joint_dirs.shape != (3, k):
            raise ValueError(f"{self.name}: jaw_joint_dirs must be (3, {k}), found {self.jaw_joint_dirs.shape}")
        if self.jaw_pose_dirs is not None and self.jaw_pose_dirs.shape != (n, 3, NUM_JAW_FEATURES):
            raise ValueError(f"{self.name}: jaw_pose_dirs must be ({n}, 3, 9), found {self.jaw_pose_dirs.shape}")

    @property
    def num_vertices(self) -> int:
        return int(self.template.shape[0])

    @property
    def num_coefficients(self) -> int:
        return int(self.dirs.shape[2])

    @property
    def has_jaw_bone(self) -> bool:
        return self.jaw_weights is not None

    def take(self, index: np.ndarray) -> "LinearFaceModel":
        """The model on vertices ``index`` (M,) (rows may repeat); the jaw joint and its dirs are kept."""
        idx = np.asarray(index, dtype=np.int64)
        return replace(self, template=self.template[idx], dirs=self.dirs[idx],
                       jaw_weights=None if self.jaw_weights is None else self.jaw_weights[idx],
                       jaw_pose_dirs=None if self.jaw_pose_dirs is None else self.jaw_pose_dirs[idx],
                       mesh_ids=None if self.mesh_ids is None else self.mesh_ids[idx])

    def jaw_fields(self) -> np.ndarray:
        """(N, 3, 9): the displacement per entry of ``vec(R - I)`` at zero expression (zero without a jaw bone).

        ``w_jaw (R - I)(v - J) + P phi`` is linear in ``phi = vec(R - I)``: entry (a, b) moves component a by
        ``w_jaw (v - J)_b``, plus the pose corrective of that entry. (The jaw also rotates its own correctives,
        ``w_jaw (R - I) P phi``, second order in phi; that and the expression coupling are what it leaves out.)
        """
        out = np.zeros((self.num_vertices, 3, NUM_JAW_FEATURES))
        if self.jaw_weights is None:
            return out
        rel = self.template - np.asarray(self.jaw_joint)[None]
        for a in range(3):
            for b in range(3):
                out[:, a, 3 * a + b] = self.jaw_weights * rel[:, b]
        if self.jaw_pose_dirs is not None:
            out = out + self.jaw_pose_dirs
        return out

    def displacement(self, coeffs: np.ndarray, jaw_aa: Optional[np.ndarray] = None) -> np.ndarray:
        """Posed displacement from the template: coeffs (T, K), jaw (T, 3) or None -> (T, N, 3), metres."""
        c = np.asarray(coeffs, dtype=np.float64).reshape(-1, self.num_coefficients)
        n = self.num_vertices
        d = (c @ self.dirs.reshape(n * 3, -1).T).reshape(-1, n, 3) if c.any() else np.zeros((c.shape[0], n, 3))
        if jaw_aa is None or self.jaw_weights is None:
            return d
        r = axis_angle_to_matrix(np.asarray(jaw_aa, dtype=np.float64).reshape(-1, 3))
        r_i = r - np.eye(3)
        if self.jaw_pose_dirs is not None:
            d = d + (r_i.reshape(-1, 9) @ self.jaw_pose_dirs.reshape(n * 3, 9).T).reshape(-1, n, 3)
        joint = np.broadcast_to(np.asarray(self.jaw_joint, dtype=np.float64), (c.shape[0], 3))
        if self.jaw_joint_dirs is not None:
            joint = joint + c @ self.jaw_joint_dirs.T
        rel = self.template[None] + d - joint[:, None]
        return d + self.jaw_weights[None, :, None] * (rel @ np.swapaxes(r_i, 1, 2))


@dataclass(frozen=True)
class FacePair:
    """Source and target face models on M corresponding vertices, with the face mask and landmarks.

    Attributes:
        source, target: :class:`LinearFaceModel` with M vertices each (row m = the same face point).
        weights: (M,) per-vertex weight in fits and scores (the face mask: 1 on the face, 0 elsewhere).
        landmark_index: (L, 3) rows of the M vertices forming each landmark's triangle.
        landmark_bary: (L, 3) barycentric coordinates.
        note: how the correspondence was made.
    """

    source: LinearFaceModel
    target: LinearFaceModel
    weights: np.ndarray
    landmark_index: np.ndarray
    landmark_bary: np.ndarray
    note: str = ""

    def __post_init__(self) -> None:
        m = self.source.num_vertices
        if self.target.num_vertices != m or self.weights.shape != (m,):
            raise ValueError(f"FacePair: {m} source rows, {self.target.num_vertices} target rows, "
                             f"weights {self.weights.shape}")

    @property
    def name(self) -> str:
        return self.target.name

    def compact(self) -> "FacePair":
        """The pair on the weighted rows and the landmark rows only (fits and training need nothing else)."""
        keep = np.zeros(self.weights.shape[0], dtype=bool)
        keep[self.weights > 0] = True
        keep[self.landmark_index.reshape(-1)] = True
        rows = np.flatnonzero(keep)
        new_index = np.full(keep.shape[0], -1, dtype=np.int64)
        new_index[rows] = np.arange(rows.size)
        return replace(self, source=self.source.take(rows), target=self.target.take(rows),
                       weights=self.weights[rows], landmark_index=new_index[self.landmark_index])

    def source_displacement(self, expression: np.ndarray, jaw_aa: Optional[np.ndarray]) -> np.ndarray:
        """(T, Ks), (T, 3) -> (T, M, 3): the face the source model shows (the reference)."""
        return self.source.displacement(expression, jaw_aa)

    def target_displacement(self, coeffs: np.ndarray, jaw_aa: Optional[np.ndarray]) -> np.ndarray:
        """(T, Kt), (T, 3) -> (T, M, 3): the face the target shows (its jaw bone, if any, gets the same jaw)."""
        return self.target.displacement(coeffs, jaw_aa)

    def landmarks(self, displacement: np.ndarray) -> np.ndarray:
        """(T, M, 3) -> (T, L, 3) landmark displacements."""
        return np.einsum("tlkc,lk->tlc", displacement[:, self.landmark_index], self.landmark_bary)

    def score(self, coeffs: np.ndarray, expression: np.ndarray, jaw_aa: Optional[np.ndarray],
              sequence_length: Optional[int] = None) -> dict[str, float]:
        """Errors of target coefficients against the source face.

        Args:
            coeffs: (T, Kt) target coefficients; expression (T, Ks) and jaw_aa (T, 3) the source's.
            sequence_length: frames per sequence when T holds several sequences back to back (for the jitter).
        Returns:
            ``vertex_mm``: weighted mean over face vertices and frames of |error|, mm.
            ``landmark_mm``: mean over landmarks and frames of |error|, mm (NaN for a pair without landmarks).
            ``jitter``: weighted mean |second temporal difference of the error|, mm/frame^2 (0: the mapping adds
            no jitter of its own to the source's motion).
        """
        err = self.target_displacement(coeffs, jaw_aa) - self.source_displacement(expression, jaw_aa)
        w = self.weights / self.weights.sum()
        norm = np.linalg.norm(err, axis=-1)
        vertex = float((norm.mean(axis=0) * w).sum())
        landmark = float(np.linalg.norm(self.landmarks(err), axis=-1).mean()) if self.landmark_index.size \
            else float("nan")
        t = err.shape[0]
        length = sequence_length or t
        jitter = float("nan")
        if length >= 3 and t % length == 0:
            seqs = err.reshape(t // length, length, *err.shape[1:])
            acc = np.linalg.norm(seqs[:, 2:] - 2.0 * seqs[:, 1:-1] + seqs[:, :-2], axis=-1)
            jitter = float((acc.mean(axis=(0, 1)) * w).sum())
        return {"vertex_mm": 1000.0 * vertex, "landmark_mm": 1000.0 * landmark, "jitter": 1000.0 * jitter}


class ExpressionMapper:
    """Interface: ``map(expression (T, Ks), jaw (T, 3) or None) -> (T, Kt)`` target coefficients.

    Attributes every mapper has: ``method`` (``"linear"``, ``"linear_bounded"``, ``"learned"``,
    ``"learned_residual"``...), ``target`` (target model name), ``num_source`` (Ks), ``num_target`` (Kt),
    ``bounds`` ((lo, hi) or None), ``target_names`` (Kt names or None), ``note`` (one line of provenance).
    """

    method: str
    target: str
    num_source: int
    num_target: int
    bounds: Optional[tuple[float, float]]
    target_names: Optional[tuple[str, ...]]
    note: str

    def map(self, expression: np.ndarray, jaw_aa: Optional[np.ndarray] = None) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.method} expression mapper to {self.target}: {self.num_source} + 9 jaw -> {self.num_target}>"

    def arrays(self) -> dict[str, np.ndarray]:
        """The method's own arrays (saved next to the common header)."""
        raise NotImplementedError

    def header(self) -> dict:
        return {"format": FORMAT, "method": self.method, "target": self.target, "num_source": self.num_source,
                "num_target": self.num_target, "bounds": None if self.bounds is None else list(self.bounds),
                "target_names": None if self.target_names is None else list(self.target_names), "note": self.note}


#: Mapper methods by the family of classes that read them back (``header["method"]``).
LEARNED_METHODS = ("learned", "learned_residual")
LINEAR_METHODS = ("linear", "linear_bounded")


def model_arrays(model: LinearFaceModel, prefix: str) -> dict[str, np.ndarray]:
    """A :class:`LinearFaceModel` as plain arrays under ``prefix`` (for mapper files); see :func:`model_from_arrays`."""
    out = {f"{prefix}template": model.template, f"{prefix}dirs": model.dirs,
           f"{prefix}meta": np.array(json.dumps({"name": model.name, "note": model.note,
                                                 "names": None if model.names is None else list(model.names),
                                                 "bounds": None if model.bounds is None else list(model.bounds)}))}
    for key in ("jaw_joint", "jaw_joint_dirs", "jaw_weights", "jaw_pose_dirs", "mesh_ids"):
        value = getattr(model, key)
        if value is not None:
            out[f"{prefix}{key}"] = np.asarray(value)
    return out


def model_from_arrays(arrays: dict[str, np.ndarray], prefix: str) -> LinearFaceModel:
    """Inverse of :func:`model_arrays`."""
    meta = json.loads(str(arrays[f"{prefix}meta"]))

    def opt(key: str) -> Optional[np.ndarray]:
        return arrays.get(f"{prefix}{key}")

    return LinearFaceModel(name=meta["name"], template=arrays[f"{prefix}template"], dirs=arrays[f"{prefix}dirs"],
                           names=None if meta["names"] is None else tuple(meta["names"]),
                           bounds=None if meta["bounds"] is None else tuple(meta["bounds"]),
                           jaw_joint=opt("jaw_joint"), jaw_joint_dirs=opt("jaw_joint_dirs"),
                           jaw_weights=opt("jaw_weights"), jaw_pose_dirs=opt("jaw_pose_dirs"),
                           mesh_ids=opt("mesh_ids"), note=meta["note"])


def pair_models(source: LinearFaceModel, target: LinearFaceModel, source_vertex_ids: np.ndarray,
                weights: Optional[np.ndarray] = None, landmark_vertices: Optional[np.ndarray] = None,
                landmark_bary: Optional[np.ndarray] = None) -> FacePair:
    """Source vertex i <-> the target vertex whose mesh id is ``source_vertex_ids[i]`` (the
    ``SMPL-X__FLAME_vertex_ids.npy`` convention). Source vertices off the target's face are dropped.

    Args:
        source: Ns vertices; target: a face model with ``mesh_ids``.
        source_vertex_ids: (Ns,) mesh id of each source vertex.
        weights: (Ns,) face mask / vertex weights (default: 1 everywhere).
        landmark_vertices, landmark_bary: (L, 3) source vertex indices and barycentric coordinates (optional).
    """
    if target.mesh_ids is None:
        raise ValueError(f"{target.name}: the target needs mesh_ids to be matched to the source's vertex ids")
    ids = np.asarray(source_vertex_ids, dtype=np.int64).reshape(-1)
    if ids.shape[0] != source.num_vertices:
        raise ValueError(f"{ids.shape[0]} vertex ids for a source of {source.num_vertices} vertices")
    size = int(max(target.mesh_ids.max(), ids.max())) + 1
    where = np.full(size, -1, dtype=np.int64)
    where[target.mesh_ids] = np.arange(target.mesh_ids.size)
    target_rows = where[ids]
    keep = np.flatnonzero(target_rows >= 0)
    if keep.size == 0:
        raise ValueError(f"no source vertex lies on the face of {target.name}")
    w = np.ones(source.num_vertices) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    row_of_source = np.full(source.num_vertices, -1, dtype=np.int64)
    row_of_source[keep] = np.arange(keep.size)
    if landmark_vertices is None:
        lmk, bary = np.zeros((0, 3), dtype=np.int64), np.zeros((0, 3))
    else:
        lmk = row_of_source[np.asarray(landmark_vertices, dtype=np.int64)]
        bary = np.asarray(landmark_bary, dtype=np.float64)
        if (lmk < 0).any():
            raise ValueError(f"{target.name}: a landmark vertex is not on the target's face")
    return FacePair(source=source.take(keep), target=target.take(target_rows[keep]), weights=w[keep],
                    landmark_index=lmk, landmark_bary=bary,
                    note=f"{keep.size} of {source.num_vertices} source vertices on the face of {target.name}")


#: The method shipped by default for every target: the per-frame projection was the best on all four targets of
#: ``bench/expression_transfer.py`` (the lowest face vertex error any mapper of these inputs can reach).
DEFAULT_METHOD = "projection"
METHODS = ("linear", "linear_bounded", "projection", "learned", "learned_residual")


# ----------------------------------------------------------------------------- targets from SMPL-X-layout models
def head_region(skinning_weights: np.ndarray, threshold: float = 0.99) -> np.ndarray:
    """(V, 55) skinning weights -> sorted ids of the vertices skinned to head, jaw and eyes (sum >= threshold)."""
    w = np.asarray(skinning_weights, dtype=np.float64)
    return np.flatnonzero(w[:, [HEAD, JAW, LEFT_EYE, RIGHT_EYE]].sum(axis=1) >= threshold)


def smplx_face_model(name: str, template: np.ndarray, expression_dirs: np.ndarray, skinning_weights: np.ndarray,
                     joint_regressor: np.ndarray, pose_dirs: Optional[np.ndarray] = None,
                     vertex_ids: Optional[np.ndarray] = None, names: Optional[Sequence[str]] = None,
                     bounds: Optional[tuple[float, float]] = None, note: str = "") -> LinearFaceModel:
    """The face of an SMPL-X-layout model (official or licence-free) as a :class:`LinearFaceModel`.

    Args:
        template: (V, 3); expression_dirs: (V, 3, E); skinning_weights: (V, 55); joint_regressor: (55, V);
        pose_dirs: (V, 3, 486) or None (no jaw correctives); vertex_ids: the face vertices (default: the head
        region, :func:`head_region`).
    """
    template = np.asarray(template, dtype=np.float64)
    dirs = np.asarray(expression_dirs, dtype=np.float64)
    ids = head_region(skinning_weights) if vertex_ids is None else np.asarray(vertex_ids, dtype=np.int64)
    reg = np.asarray(joint_regressor, dtype=np.float64)[JAW]
    jaw_pose = None
    if pose_dirs is not None:
        jaw_pose = np.asarray(pose_dirs, dtype=np.float64)[ids][:, :, SMPLX_JAW_POSE_COLUMN:SMPLX_JAW_POSE_COLUMN + 9]
        if not np.any(jaw_pose):
            jaw_pose = None
    return LinearFaceModel(
        name=name, template=template[ids], dirs=dirs[ids], names=None if names is None else tuple(names),
        bounds=bounds, jaw_joint=reg @ template, jaw_joint_dirs=np.einsum("v,vck->ck", reg, dirs),
        jaw_weights=np.asarray(skinning_weights, dtype=np.float64)[ids, JAW], jaw_pose_dirs=jaw_pose,
        mesh_ids=ids, note=note or f"SMPL-X-layout face: {ids.size} head-region vertices, {dirs.shape[2]} directions")


def face_model_from_body_model(model, name: Optional[str] = None) -> LinearFaceModel:
    """A loaded ``BodyModel`` (``core.body.model``) -> its face as a :class:`LinearFaceModel` (jaw bone included)."""
    return smplx_face_model(name or model.variant.replace("smplx-", "smplx_"), model.v_template,
                            model.expression_dirs, model.skinning_weights, model.joint_regressor, model.pose_dirs,
                            note=f"{model.path}: {model.num_expression} expression directions")


def face_model_from_arrays(arrays: dict, name: str, num_betas: Optional[int] = None) -> LinearFaceModel:
    """An SMPL-X file's arrays (``build_mannequin`` output or an official ``.npz``) -> face model.

    The expression columns follow the loader's rule: 300:400 when ``shapedirs`` has >= 400 columns, else 10:20.
    """
    sd = np.asarray(arrays["shapedirs"], dtype=np.float64)
    if num_betas is None:
        num_betas, num_expr = (300, 100) if sd.shape[2] >= 400 else (10, 10)
    else:
        num_expr = sd.shape[2] - num_betas
    return smplx_face_model(name, arrays["v_template"], sd[:, :, num_betas:num_betas + num_expr],
                            arrays["weights"], arrays["J_regressor"], arrays.get("posedirs"))


#: The licence-free model's named facial actions (``core.mannequin.blendshapes.EXPRESSIONS``), made one-sided:
#: ``jaw_shift`` moves both ways, so it becomes two actions. A facial-action rig drives each with a weight in [0, 1].
FACIAL_ACTIONS: tuple[tuple[str, int, float], ...] = (
    ("mouth_open", 0, 1.0), ("smile", 1, 1.0), ("frown", 2, 1.0), ("pucker", 3, 1.0), ("brows_up", 4, 1.0),
    ("brows_down", 5, 1.0), ("blink_left", 6, 1.0), ("blink_right", 7, 1.0), ("cheeks_puff", 8, 1.0),
    ("jaw_shift_left", 9, 1.0), ("jaw_shift_right", 9, -1.0),
)


def facial_actions_model(smplx_face: LinearFaceModel, action_dirs: Optional[np.ndarray] = None,
                         actions: Sequence[tuple[str, int, float]] = FACIAL_ACTIONS) -> LinearFaceModel:
    """The licence-free model's facial actions as a bounded [0, 1] rig on the SMPL-X face (jaw bone kept).

    ``smplx_face``: the face of a licence-free model (its first 10 expression directions are the named actions of
    ``core.mannequin.blendshapes.EXPRESSIONS``), or give ``action_dirs`` (N, 3, >=10) in that order. A realistic
    model with its own named actions plugs in the same way with its own ``actions`` table (name, column, sign).
    """
    src = smplx_face.dirs if action_dirs is None else np.asarray(action_dirs, dtype=np.float64)
    dirs = np.stack([sign * src[:, :, col] for _, col, sign in actions], axis=2)
    return replace(smplx_face, name="facial_actions", dirs=dirs, names=tuple(a[0] for a in actions), bounds=(0.0, 1.0),
                   jaw_joint_dirs=np.stack([sign * smplx_face.jaw_joint_dirs[:, col] for _, col, sign in actions],
                                           axis=1) if smplx_face.jaw_joint_dirs is not None else None,
                   note=f"{len(actions)} one-sided facial actions of the licence-free model, weights in [0, 1]")


@dataclass
class MethodResult:
    """One bench row: a method's scores on one target (see :meth:`FacePair.score`)."""

    target: str
    method: str
    vertex_mm: float
    landmark_mm: float
    jitter: float
    extra: dict = field(default_factory=dict)

    def row(self) -> dict:
        return {"target": self.target, "method": self.method, "vertex_mm": round(self.vertex_mm, 4),
                "landmark_mm": round(self.landmark_mm, 4), "jitter": round(self.jitter, 5)}


__all__ = ["FORMAT", "NUM_JAW_FEATURES", "jaw_features", "mapper_inputs", "LinearFaceModel", "FacePair",
           "ExpressionMapper", "LEARNED_METHODS", "LINEAR_METHODS", "pair_models", "DEFAULT_METHOD", "METHODS",
           "model_arrays", "model_from_arrays", "head_region", "smplx_face_model", "face_model_from_body_model",
           "face_model_from_arrays", "FACIAL_ACTIONS", "facial_actions_model", "MethodResult"]
