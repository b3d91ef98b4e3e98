"""A licence-free FLAME-layout face model, to test expression transfer honestly without FLAME's files.

FLAME (and its ``SMPL-X__FLAME_vertex_ids.npy``) is licence-restricted, so it is not here. This module builds a
stand-in with FLAME's layout: **5023 vertices, 50 expression directions, a jaw bone with FLAME-style jaw pose
correctives, and a vertex-id array into the SMPL-X mesh** (one SMPL-X vertex per source vertex). Everything is
deterministic (fixed seeds); nothing is fitted to the targets the benchmark maps to.

How it is made (the benchmark's honesty depends on it; a source that is an exact linear function of a target's
directions would make linear least squares win trivially):

1. **Vertices.** The SMPL-X-layout model's head region (vertices skinned to head, jaw and eyes; 2,778 on the
   licence-free model) is copied exactly, and the remaining ``5023 - 2778`` vertices are extra points at one third
   along evenly chosen head edges: ``(2 v_a + v_b) / 3``, whose id is ``a``. So the correspondence is partly exact
   and partly approximate (several source vertices share an SMPL-X vertex, a few millimetres apart), unlike the
   real file, which is one-to-one.
2. **Expression basis** (all fields in head-local coordinates, :func:`.arkit.head_frame`; values at the
   extra points interpolated along their edge). A generative family of 60 fields:
     - 10 *shared*: the licence-free model's own named facial actions (mouth open, smile, ... jaw shift);
     - 10 *variants*: each shared action times a smooth random spatial modulation ``1 + 0.6 tanh(bumps)`` (the same
       idea, shaped differently: bases that overlap without coinciding);
     - 40 *private*: sums of three anisotropic Gaussian patches on the front of the face with random 3D amplitudes
       (seed 5023, unrelated to the licence-free model's own seeded bumps), half of them finer (lip and eye detail).
   Activations of the family get random scales and correlations (``B = diag(s) (I + 0.25 N / sqrt 60)``), and the
   source's 50 directions are the top 50 principal components of ``G B`` (as FLAME's expression space is a PCA),
   scaled by their singular values, so unit-variance coefficients reproduce the family's covariance; the overall
   scale makes ``e ~ N(0, I)`` move the face by 4 mm RMS. The 10 leftover components are dropped.
   So: the target's directions are *in* the source's generative family but mixed with private ones and rotated by
   the PCA; no target direction is a source direction, and the source holds much the target cannot show.
3. **Jaw (the non-linear coupling).** The source jaw pivots elsewhere (head-local (0, 0.040, -0.010): 5 mm higher
   and 16 mm further back than the licence-free model's), skins with its own smooth weights
   (``smoothstep(y, 0.036, 0.016) * smoothstep(z, -0.05, 0.0)``), and has FLAME-style jaw pose correctives: nine
   smooth fields, one per entry of ``vec(R - I)``. As in FLAME and SMPL-X, the jaw rotates the
   expression-displaced mesh, so the face depends on ``expression x jaw`` bilinearly, and on the jaw angle through
   ``R(theta)``; where the two models' jaw weights differ, the target must compensate with its expression.
4. **Landmarks and face mask.** The target's 51 static landmarks (``lmk_faces_idx``/``lmk_bary_coords``) land on
   exact source vertices; the scored face is :func:`.arkit.front_face_mask`.

Sampling: :func:`sample_frames` (independent frames, the training prior) and :func:`sample_sequences` (smooth
held-out sequences: keyframed expressions eased between keys, plus small per-frame estimator noise).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .arkit import front_face_mask, head_frame, smoothstep
from .mapping import LEFT_EYE, RIGHT_EYE, FacePair, LinearFaceModel, face_model_from_arrays, head_region, pair_models

NUM_VERTICES = 5023
NUM_EXPRESSION = 50
SOURCE_SEED = 5023
#: Head-local jaw pivot of the source (the licence-free model's is (0, 0.035, 0.006)).
SOURCE_JAW_LOCAL = (0.0, 0.040, -0.010)
#: RMS face displacement (metres) of unit-variance source coefficients.
SOURCE_RMS_M = 0.004


@dataclass(frozen=True)
class FlameLikeSource:
    """The licence-free FLAME-layout source.

    Attributes:
        model: :class:`LinearFaceModel` on 5023 vertices, 50 directions, with a jaw bone.
        vertex_ids: (5023,) SMPL-X mesh vertex of each source vertex (the ``SMPL-X__FLAME_vertex_ids.npy`` role).
        exact: (5023,) True where the source vertex sits exactly on its SMPL-X vertex.
        face_mask: (5023,) True on the scored front of the face.
        landmark_vertices: (51, 3) source vertex indices of each landmark's triangle; landmark_bary: (51, 3).
        explained_variance: share of the generative family's variance the 50 directions keep.
    """

    model: LinearFaceModel
    vertex_ids: np.ndarray
    exact: np.ndarray
    face_mask: np.ndarray
    landmark_vertices: np.ndarray
    landmark_bary: np.ndarray
    explained_variance: float


def _patches(local: np.ndarray, rng: np.random.Generator, count: int, fine: bool) -> np.ndarray:
    """(N, 3) head-local -> (N, 3, count) fields, each a sum of three anisotropic Gaussian patches on the face."""
    x, y, z = local[:, 0], local[:, 1], local[:, 2]
    front = smoothstep(z, 0.03, 0.06)
    out = np.zeros((local.shape[0], 3, count))
    for k in range(count):
        for _ in range(3):
            if fine:  # lips and eyes
                cx, cy = rng.uniform(-0.035, 0.035), rng.choice([rng.uniform(0.005, 0.035), rng.uniform(0.09, 0.115)])
                sx, sy = rng.uniform(0.006, 0.014, size=2)
            else:
                cx, cy = rng.uniform(-0.05, 0.05), rng.uniform(0.0, 0.14)
                sx, sy = rng.uniform(0.012, 0.035, size=2)
            amp = rng.normal(0.0, 1.0, size=3) * np.array([1.0, 1.0, 0.7])
            g = np.exp(-((x - cx) / sx) ** 2 - ((y - cy) / sy) ** 2) * front
            out[:, :, k] += g[:, None] * amp[None]
    return out


def build_flame_like_source(arrays: Optional[dict] = None, seed: int = SOURCE_SEED) -> FlameLikeSource:
    """Build the source from an SMPL-X-layout model's arrays (default: the licence-free v1.1 neutral model).

    ``arrays``: ``v_template`` (V, 3), ``f`` (F, 3), ``weights`` (V, 55), ``J_regressor`` (55, V), ``shapedirs``
    (its first 10 expression columns are the named facial actions), ``lmk_faces_idx`` (51,), ``lmk_bary_coords``
    (51, 3). See the module notes for every step.
    """
    if arrays is None:
        from ...mannequin import build_mannequin  # needs scipy; only the generator uses it

        arrays = build_mannequin("v1.1", "neutral")
    rng = np.random.default_rng(seed)
    verts = np.asarray(arrays["v_template"], dtype=np.float64)
    faces = np.asarray(arrays["f"], dtype=np.int64)
    reg = np.asarray(arrays["J_regressor"], dtype=np.float64)
    smplx_face = face_model_from_arrays(arrays, "smplx")
    region = head_region(arrays["weights"])
    if region.size > NUM_VERTICES:
        raise ValueError(f"the head region has {region.size} vertices, more than FLAME's {NUM_VERTICES}")
    anchor, scale = head_frame(verts, reg)

    # 1. vertices: the head region exactly, then points one third along evenly chosen head edges
    in_region = np.zeros(verts.shape[0], dtype=bool)
    in_region[region] = True
    tri = faces[in_region[faces].all(axis=1)]
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    edges = np.unique(edges, axis=0)
    n_extra = NUM_VERTICES - region.size
    pick = np.round(np.linspace(0, edges.shape[0] - 1, n_extra)).astype(np.int64)
    ea, eb = edges[pick, 0], edges[pick, 1]
    template = np.concatenate([verts[region], (2.0 * verts[ea] + verts[eb]) / 3.0])
    vertex_ids = np.concatenate([region, ea])
    exact = np.zeros(NUM_VERTICES, dtype=bool)
    exact[:region.size] = True
    local = (template - anchor) / scale

    def on_source(field_on_mesh: np.ndarray) -> np.ndarray:
        """(V, ...) field on the SMPL-X mesh -> (5023, ...) on the source (interpolated along the extra edges)."""
        return np.concatenate([field_on_mesh[region], (2.0 * field_on_mesh[ea] + field_on_mesh[eb]) / 3.0])

    # 2. the generative family: shared actions, modulated variants, private patches
    full_actions = np.zeros((verts.shape[0], 3, 10))
    full_actions[smplx_face.mesh_ids] = smplx_face.dirs[:, :, :10]
    shared = on_source(full_actions)                                         # (N, 3, 10)
    bumps = _patches(local, rng, 10, fine=False)
    modulation = 1.0 + 0.6 * np.tanh(np.linalg.norm(bumps, axis=1) - 0.5)    # (N, 10)
    variants = shared * modulation[:, None, :]
    private = np.concatenate([_patches(local, rng, 20, fine=False), _patches(local, rng, 20, fine=True)], axis=2)
    private *= 0.003 * scale                                                 # a few millimetres per unit
    family = np.concatenate([shared, variants, private], axis=2)             # (N, 3, 60)
    n_family = family.shape[2]
    s = np.concatenate([np.full(10, 1.0), np.full(10, 0.7), np.linspace(0.9, 0.3, 40)])
    mix = np.diag(s) @ (np.eye(n_family) + 0.25 * rng.standard_normal((n_family, n_family)) / np.sqrt(n_family))
    g = family.reshape(-1, n_family) @ mix                                   # (3N, 60)
    u, sv, _ = np.linalg.svd(g, full_matrices=False)
    explained = float((sv[:NUM_EXPRESSION] ** 2).sum() / (sv ** 2).sum())
    basis = u[:, :NUM_EXPRESSION] * sv[:NUM_EXPRESSION]
    sign = np.sign(basis[np.argmax(np.abs(basis), axis=0), np.arange(NUM_EXPRESSION)])
    basis = basis * sign
    mask = front_face_mask(local)
    rms = np.sqrt((basis.reshape(-1, 3, NUM_EXPRESSION)[mask] ** 2).sum(axis=(1, 2)).mean())
    dirs = (basis * (SOURCE_RMS_M / rms)).reshape(NUM_VERTICES, 3, NUM_EXPRESSION)

    # 3. the jaw: its own pivot, weights and pose correctives
    y, z = local[:, 1], local[:, 2]
    eyes = np.zeros(NUM_VERTICES, dtype=bool)
    weights = np.asarray(arrays["weights"], dtype=np.float64)
    eyes[:region.size] = weights[region][:, [LEFT_EYE, RIGHT_EYE]].sum(axis=1) > 0.5
    jaw_weights = smoothstep(y, 0.036, 0.016) * smoothstep(z, -0.05, 0.0) * ~eyes
    jaw_joint = anchor + scale * np.asarray(SOURCE_JAW_LOCAL)
    correctives = np.concatenate([_patches(local, rng, 9, fine=False)], axis=2)
    lower = smoothstep(y, 0.07, 0.03)
    jaw_pose_dirs = correctives * lower[:, None, None] * (0.004 * scale)

    # 4. landmarks on exact vertices
    lmk_faces = faces[np.asarray(arrays["lmk_faces_idx"], dtype=np.int64)]       # (51, 3) mesh ids
    position = np.full(verts.shape[0], -1, dtype=np.int64)
    position[region] = np.arange(region.size)
    landmark_vertices = position[lmk_faces]
    if (landmark_vertices < 0).any():
        raise ValueError("a landmark triangle lies outside the head region")

    model = LinearFaceModel(
        name="flame_like", template=template, dirs=dirs, names=None, bounds=None, jaw_joint=jaw_joint,
        jaw_joint_dirs=None, jaw_weights=jaw_weights, jaw_pose_dirs=jaw_pose_dirs, mesh_ids=vertex_ids,
        note=(f"licence-free FLAME-layout source: {NUM_VERTICES} vertices ({region.size} exact), "
              f"{NUM_EXPRESSION} PCA directions of 60 fields (10 shared, 10 variants, 40 private; "
              f"{100 * explained:.1f}% kept), own jaw pivot, weights and correctives; seed {seed}"))
    return FlameLikeSource(model=model, vertex_ids=vertex_ids, exact=exact, face_mask=mask,
                           landmark_vertices=landmark_vertices,
                           landmark_bary=np.asarray(arrays["lmk_bary_coords"], dtype=np.float64),
                           explained_variance=explained)


def make_pair(source: FlameLikeSource, target: LinearFaceModel) -> FacePair:
    """Source and target on corresponding vertices (:func:`.mapping.pair_models`): source vertex i <-> the
    target vertex with mesh id ``source.vertex_ids[i]``; source vertices off the target's face are dropped (partial
    overlap); the weights are the face mask; landmarks use the exact vertices.
    """
    return pair_models(source.model, target, source.vertex_ids, source.face_mask.astype(np.float64),
                       source.landmark_vertices, source.landmark_bary)


def face_model_from_flame_arrays(arrays: dict, vertex_ids: np.ndarray, num_shape: int = 300,
                                 num_expression: int = NUM_EXPRESSION) -> LinearFaceModel:
    """A FLAME file's arrays (``generic_model.pkl`` read through ``core.fileio.safe_pickle``) -> the source face model.

    Keys: ``v_template`` (5023, 3), ``shapedirs`` (5023, 3, num_shape + >=num_expression), ``posedirs``
    (5023, 3, 36) (or smplx's (36, 15069)), ``weights`` (5023, 5), ``J_regressor`` (5, 5023) (dense or sparse).
    FLAME's joints are global, neck, jaw, left eye, right eye; the jaw is joint 2, its pose features columns 9:18.
    ``vertex_ids``: ``SMPL-X__FLAME_vertex_ids.npy`` (5023,).
    """
    template = np.asarray(arrays["v_template"], dtype=np.float64)
    n = template.shape[0]
    sd = np.asarray(arrays["shapedirs"], dtype=np.float64)
    if sd.shape[2] < num_shape + num_expression:
        raise ValueError(f"FLAME shapedirs: expected >= {num_shape + num_expression} columns, found {sd.shape[2]}")
    reg = arrays["J_regressor"]
    reg = np.asarray(reg.toarray() if hasattr(reg, "toarray") else reg, dtype=np.float64)
    pd = np.asarray(arrays["posedirs"], dtype=np.float64)
    if pd.ndim == 2:  # smplx's reshaped (P, 3V) layout
        pd = pd.T.reshape(n, 3, -1)
    flame_jaw = 2
    dirs = sd[:, :, num_shape:num_shape + num_expression]
    return LinearFaceModel(
        name="flame", template=template, dirs=dirs, jaw_joint=reg[flame_jaw] @ template,
        jaw_joint_dirs=np.einsum("v,vck->ck", reg[flame_jaw], dirs),
        jaw_weights=np.asarray(arrays["weights"], dtype=np.float64)[:, flame_jaw],
        jaw_pose_dirs=pd[:, :, (flame_jaw - 1) * 9:flame_jaw * 9], mesh_ids=np.asarray(vertex_ids, dtype=np.int64),
        note=f"FLAME: {n} vertices, expression columns {num_shape}:{num_shape + num_expression}")


# ----------------------------------------------------------------------------- expression data
def sample_frames(rng: np.random.Generator, count: int,
                  num_expression: int = NUM_EXPRESSION) -> tuple[np.ndarray, np.ndarray]:
    """Independent frames from the prior: (count, num_expression) coefficients, (count, 3) jaw axis-angle.

    Each frame has an intensity U(0.2, 1.6) and a random share (30-100 %) of active components, N(0, 1) each.
    The jaw opens by |N(0, 0.18)| + 0.03 rad (at most 0.5) about x, with small yaw N(0, 0.04) and roll N(0, 0.02).
    """
    intensity = rng.uniform(0.2, 1.6, size=(count, 1))
    active = rng.random((count, num_expression)) < rng.uniform(0.3, 1.0, size=(count, 1))
    expr = rng.standard_normal((count, num_expression)) * active * intensity
    opening = np.clip(np.abs(rng.normal(0.0, 0.18, count)) + 0.03 * rng.standard_normal(count), 0.0, 0.5)
    jaw = np.stack([opening, rng.normal(0.0, 0.04, count), rng.normal(0.0, 0.02, count)], axis=1)
    return expr, jaw


def sample_sequences(rng: np.random.Generator, num_sequences: int, frames: int,
                     num_expression: int = NUM_EXPRESSION, noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """Smooth sequences: (S, T, num_expression) coefficients and (S, T, 3) jaw axis-angle.

    Key frames every 6-20 frames (drawn with :func:`sample_frames`), eased between keys (smoothstep), plus
    per-frame estimator noise N(0, ``noise``) on the coefficients and N(0, ``noise`` / 10) rad on the jaw.
    """
    expr = np.zeros((num_sequences, frames, num_expression))
    jaw = np.zeros((num_sequences, frames, 3))
    for s in range(num_sequences):
        keys = [0]
        while keys[-1] < frames - 1:
            keys.append(min(frames - 1, keys[-1] + int(rng.integers(6, 21))))
        ke, kj = sample_frames(rng, len(keys), num_expression)
        t = np.arange(frames)
        seg = np.clip(np.searchsorted(keys, t, side="right") - 1, 0, len(keys) - 2)
        k0, k1 = np.asarray(keys)[seg], np.asarray(keys)[seg + 1]
        u = smoothstep((t - k0) / np.maximum(k1 - k0, 1), 0.0, 1.0)[:, None]
        expr[s] = (1 - u) * ke[seg] + u * ke[seg + 1]
        jaw[s] = (1 - u) * kj[seg] + u * kj[seg + 1]
    expr += noise * rng.standard_normal(expr.shape)
    jaw += (noise / 10.0) * rng.standard_normal(jaw.shape)
    jaw[..., 0] = np.clip(jaw[..., 0], 0.0, None)
    return expr, jaw


__all__ = ["NUM_VERTICES", "NUM_EXPRESSION", "FlameLikeSource", "build_flame_like_source", "make_pair",
           "face_model_from_flame_arrays", "sample_frames", "sample_sequences"]
