"""The mean body of a gender, its T-pose, and the shape space: principal components of the macro targets.

A population of adult bodies (:func:`core.anny_model.macro.sample_population`) gives, for each body, the weights of
MakeHuman's macro targets. Every body is a linear combination of the targets, and the repose to SMPL-X's rest is
linear too, so the targets are reposed once and the population's covariance is computed in target space:

    bodies  X = base + C T        (C: (n, K) target weights, T: (K, 3V) reposed targets)
    Cov(X)  = T^T S T             (S: (K, K) covariance of the weights)

Each reposed target is first translated so that it leaves the pelvis joint in place: the shape space describes
bodies around their root joint, which is where ``transl`` and ``global_orient`` act.

Its principal directions are T^T S^1/2 c_k for the eigenvectors c_k of S^1/2 (T T^T) S^1/2, and that vector is
already scaled to one standard deviation: a beta of 1 moves the body by one standard deviation of the population
along that component, as in SMPL-X. Signs are fixed so that a positive beta makes the body taller (for components
that change stature at all; the rule is deterministic either way).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.skeleton import JOINT_INDEX
from .assets import AnnyAssets
from .macro import MacroParameters, sample_population, target_weights
from .repose import Repose, tpose_rotations
from .rig_mapping import joint_operator, merged_weights, tip_operator

#: Where the pelvis joint of every template is put (metres), as on the procedural mannequin.
PELVIS_REST = np.array([0.0, -0.35, 0.004])


def model_vertex_ids(assets: AnnyAssets) -> tuple[np.ndarray, int]:
    """Full-mesh ids (V,) of the model's vertices: the skin, then the left and right eyeballs; and the skin count."""
    mesh = assets.mesh
    body = mesh.group_vertices("body")
    eyes = [mesh.group_vertices("helper-l-eye"), mesh.group_vertices("helper-r-eye")]
    return np.concatenate([body] + eyes), int(body.size)


@dataclass(frozen=True)
class MeanBody:
    """One gender's mean body, A-posed (MakeHuman) and T-posed (SMPL-X rest), before the final translation.

    Attributes:
        population: the sampled bodies; ``weights`` (n, K) their macro-target weights over ``target_names``.
        full: (N, 3) the mean body on the whole MakeHuman mesh (helpers included), A-pose.
        repose: the linear A-pose -> T-pose map found on this body.
        vertices: (V, 3) T-posed model vertices; ``joints`` (55, 3) T-posed joints.
        tips: ``"left_index"`` ... -> (3,) T-posed fingertips.
        vertex_ids: (V,) full-mesh ids of the model vertices; ``body_count`` how many are skin.
    """

    population: MacroParameters
    target_names: list[str]
    weights: np.ndarray
    full: np.ndarray
    repose: Repose
    vertices: np.ndarray
    joints: np.ndarray
    tips: dict[str, np.ndarray]
    vertex_ids: np.ndarray
    body_count: int


def mean_body(assets: AnnyAssets, gender: str) -> MeanBody:
    """The population mean of ``gender`` and its repose (see :class:`MeanBody`)."""
    population = sample_population(gender)
    all_names = sorted(assets.targets)
    weights = target_weights(population, all_names)
    used = np.nonzero(np.abs(weights).max(axis=0) > 0)[0]
    names = [all_names[k] for k in used]
    weights = weights[:, used]
    full = assets.mesh.vertices.copy()
    for k, name in enumerate(names):
        idx, off = assets.targets[name]
        full[idx] += weights[:, k].mean() * off
    ids, body_count = model_vertex_ids(assets)
    jop = joint_operator(assets.mesh)
    tip_names, top = tip_operator(assets.mesh)
    joints_a = jop @ full
    tips_a = dict(zip(tip_names, top @ full))
    rotations = tpose_rotations(joints_a, tips_a)
    repose = Repose(rotations=rotations, weights=merged_weights(assets, ids), joint_op=jop, vertex_ids=ids)
    vertices, joints = repose.apply(full)
    tips = {}
    for name, p in tips_a.items():
        j = JOINT_INDEX[name + "3"]
        tips[name] = joints[j] + rotations[j] @ (p - joints_a[j])
    return MeanBody(population=population, target_names=names, weights=weights, full=full, repose=repose,
                    vertices=vertices, joints=joints, tips=tips, vertex_ids=ids, body_count=body_count)


def reposed_offsets(assets: AnnyAssets, body: MeanBody, entries: list[tuple[np.ndarray, np.ndarray]]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Repose sparse offsets (each (ids (n,), offsets (n, 3)) on the full mesh).

    Returns model-vertex offsets (K, V, 3) and joint offsets (K, 55, 3).
    """
    n_full = assets.mesh.vertices.shape[0]
    position = np.full(n_full, -1, dtype=np.int64)
    position[body.vertex_ids] = np.arange(body.vertex_ids.size)
    jop = body.repose.joint_op
    cubes = np.nonzero(np.abs(jop).sum(axis=0))[0]              # the joint-cube vertices, the only ones it reads
    cube_pos = np.full(n_full, -1, dtype=np.int64)
    cube_pos[cubes] = np.arange(cubes.size)
    jop_cubes = jop[:, cubes]
    verts = np.zeros((len(entries), body.vertex_ids.size, 3))
    cube_offsets = np.zeros((len(entries), cubes.size, 3))
    for k, (idx, off) in enumerate(entries):
        pos = position[idx]
        inside = pos >= 0
        verts[k, pos[inside]] = off[inside]
        cpos = cube_pos[idx]
        on_cube = cpos >= 0
        cube_offsets[k, cpos[on_cube]] = off[on_cube]
    joints = np.matmul(jop_cubes, cube_offsets)
    return body.repose.apply_parts(joints, verts)


@dataclass(frozen=True)
class ShapeSpace:
    """Principal shape directions, one standard deviation each.

    Attributes:
        vertex_dirs: (P, V, 3) model-vertex displacement per unit of each component.
        joint_dirs: (P, 55, 3) joint-cube displacement per unit (what the regressor must reproduce).
        stddev: (P,) the standard deviation (metres, over all coordinates) each component stands for.
    """

    vertex_dirs: np.ndarray
    joint_dirs: np.ndarray
    stddev: np.ndarray


def shape_space(assets: AnnyAssets, body: MeanBody, count: int) -> ShapeSpace:
    """The first ``count`` principal components of the population's reposed bodies."""
    verts, joints = reposed_offsets(assets, body, [assets.targets[n] for n in body.target_names])
    # keep the pelvis where it is: a body grows and shrinks about its root joint, as SMPL-X's bodies do
    pelvis = joints[:, JOINT_INDEX["pelvis"]][:, None, :].copy()
    verts -= pelvis
    joints -= pelvis
    K = verts.shape[0]
    T = verts.reshape(K, -1)
    gram = T @ T.T                                              # (K, K)
    centered = body.weights - body.weights.mean(axis=0)
    cov = centered.T @ centered / (centered.shape[0] - 1)       # (K, K)
    evals, evecs = np.linalg.eigh(cov)
    root = (evecs * np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T
    H = root @ gram @ root
    H = 0.5 * (H + H.T)
    lam, c = np.linalg.eigh(H)
    order = np.argsort(lam)[::-1][:count]
    coeff = root @ c[:, order]                                  # (K, count): target weights per unit component
    vertex_dirs = np.einsum("kp,kvc->pvc", coeff, verts)
    joint_dirs = np.einsum("kp,kjc->pjc", coeff, joints)
    height = body.vertices[:, 1] - body.vertices[:, 1].mean()
    for p in range(count):
        if vertex_dirs[p, :, 1] @ height < 0:
            vertex_dirs[p] *= -1.0
            joint_dirs[p] *= -1.0
    return ShapeSpace(vertex_dirs=vertex_dirs, joint_dirs=joint_dirs,
                      stddev=np.sqrt(np.clip(lam[order], 0.0, None) / verts[0].size))
