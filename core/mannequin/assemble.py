"""Put every piece together into the arrays of an official SMPL-X model file."""
from __future__ import annotations

import numpy as np

from ..body.skeleton import NUM_VERTICES, kintree_table
from .blendshapes import expression_directions, extra_shape_directions, pose_directions, shape_directions
from .body import build_body
from .handpose import left_hand_components, left_hand_mean, right_hand_components, right_hand_mean
from .landmarks import contour_landmarks, static_landmarks, vertex_order
from .layout import proportions_for
from .regressor import joint_regressor
from .skinning import skinning_weights
from .uv import atlas_uv

#: Number of (shape, expression) columns of ``shapedirs`` per file layout.
VARIANTS: dict[str, tuple[int, int]] = {"v1.1": (10, 10), "2020": (300, 100)}


def build_arrays(variant: str = "v1.1", gender: str = "neutral") -> dict[str, np.ndarray]:
    """All arrays of the model file (see :func:`core.mannequin.build_mannequin`)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {sorted(VARIANTS)}")
    n_betas, n_expr = VARIANTS[variant]
    props = proportions_for(gender)
    body = build_body(props)
    template = body.vertices
    faces = body.faces

    betas = shape_directions(props, template)
    if n_betas > betas.shape[2]:
        betas = np.concatenate([betas, extra_shape_directions(template, n_betas - betas.shape[2])], axis=2)
    shapedirs = np.concatenate([betas, expression_directions(body, n_expr)], axis=2)
    # everything tied to the topology (vertex order, landmarks, UVs) comes from the neutral
    # body, so that all genders and variants share one mesh layout
    reference = body if gender.lower() == "neutral" else build_body(proportions_for("neutral"))
    lmk_faces, lmk_bary = static_landmarks(reference)
    dyn_faces, dyn_bary = contour_landmarks(reference)
    vt, ft = atlas_uv(reference)

    # move the anatomical vertices to smplx's fixed ids
    order = vertex_order(reference)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    assert template.shape[0] == NUM_VERTICES

    return {
        "v_template": np.ascontiguousarray(template[order]),
        "f": inverse[faces].astype(np.uint32),
        "kintree_table": kintree_table().astype(np.int64),
        "J_regressor": np.ascontiguousarray(joint_regressor(body)[:, order]),
        "weights": np.ascontiguousarray(skinning_weights(body)[order]),
        "shapedirs": np.ascontiguousarray(shapedirs[order]),
        "posedirs": np.ascontiguousarray(pose_directions(body)[order]),
        "hands_componentsl": left_hand_components(),
        "hands_componentsr": right_hand_components(),
        "hands_meanl": left_hand_mean(),
        "hands_meanr": right_hand_mean(),
        "lmk_faces_idx": lmk_faces.astype(np.int64),
        "lmk_bary_coords": lmk_bary.astype(np.float64),
        "dynamic_lmk_faces_idx": dyn_faces.astype(np.int64),
        "dynamic_lmk_bary_coords": dyn_bary.astype(np.float64),
        "vt": vt.astype(np.float64),
        "ft": ft.astype(np.uint32),
    }
