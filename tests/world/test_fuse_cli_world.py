"""``python -m core fuse`` on a world-grounded body: the fusion model and the footage size reach the reader."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from core.body.rigid_frames import reframe_root, rigid
from core.cli import main
from core.contracts.fused_file import read_fused
from core.io.world.pelvis import hip_midpoint_rest, pelvis_rest
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle


def _write_wham(path, model, n=8):
    """WHAM's ``wham_output.pkl`` (joblib, track id -> SMPL 72-d poses, ``trans``, ``trans_world`` = the posed hip
    midpoint in the world, ``betas``, ``frame_ids``) of a body walking past a camera that turns and moves."""
    import joblib

    rng = np.random.default_rng(3)
    root = rng.normal(scale=0.3, size=(n, 3)) + np.array([np.pi, 0.0, 0.0])
    body = rng.normal(scale=0.15, size=(n, 21, 3))
    transl = np.stack([np.linspace(-0.5, 0.5, n), np.full(n, 0.3), np.full(n, 4.0)], axis=1)
    betas = np.tile(rng.normal(scale=0.8, size=(1, 10)), (n, 1))
    s = np.linspace(0.0, 1.0, n)
    world_from_camera = rigid(axis_angle_to_matrix(np.stack([np.pi + 0.1 * s, 0.5 * s, 0 * s], 1)),
                              np.stack([s, 1.5 + 0 * s, -s], 1))
    j0 = pelvis_rest(model, betas)
    r_cam = axis_angle_to_matrix(root)
    root_w, _ = reframe_root(r_cam, transl, j0, world_from_camera)
    hips_cam = transl + j0 + np.einsum("nij,nj->ni", r_cam, hip_midpoint_rest(model, betas) - j0)
    hips_w = np.einsum("nij,nj->ni", world_from_camera[:, :3, :3], hips_cam) + world_from_camera[:, :3, 3]
    pose = np.zeros((n, 24, 3))
    pose[:, 0], pose[:, 1:22] = root, body
    pose_w = pose.copy()
    pose_w[:, 0] = matrix_to_axis_angle(root_w)
    results: defaultdict = defaultdict(dict)
    results[0].update({"pose": pose.reshape(n, 72).astype(np.float32), "trans": transl.astype(np.float32),
                       "pose_world": pose_w.reshape(n, 72).astype(np.float32),
                       "trans_world": hips_w.astype(np.float32), "betas": betas.astype(np.float32),
                       "frame_ids": np.arange(n)})
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(results, path)
    return world_from_camera


def test_fuse_passes_the_model_and_image_size_to_wham(tmp_path, model_path, world_model, capsys):
    wham = tmp_path / "wham" / "wham_output.pkl"
    truth = _write_wham(wham, world_model)
    out = tmp_path / "take.fused.npz"
    # without the footage size WHAM cannot be read: one line naming the file and the field, exit 2
    assert main(["fuse", "--body", str(wham.parent), "--model", str(model_path), "--out", str(out), "--quiet"]) == 2
    assert "field 'image_size'" in capsys.readouterr().err and not out.exists()
    assert main(["fuse", "--body", str(wham.parent), "--model", str(model_path), "--image-size", "1280", "720",
                 "--out", str(out), "--quiet", "--no-smooth"]) == 0
    seq = read_fused(out)
    np.testing.assert_allclose(seq.image_size, [1280.0, 720.0])
    # the camera comes back from WHAM's two roots and hips with this model's rest joints: exact up to float32
    np.testing.assert_allclose(seq.extras["world_from_camera"], truth, atol=2e-5)
    # with another model (its rest mesh raised 5 cm) the rest joints differ and so does the camera: the model given
    # on the command line is the one the reader used
    data = dict(np.load(model_path, allow_pickle=False))
    data["v_template"] = data["v_template"] + np.array([0.0, 0.05, 0.0])
    raised = tmp_path / "raised" / "SMPLX_NEUTRAL.npz"
    raised.parent.mkdir()
    np.savez(raised, **data)
    other = tmp_path / "raised.fused.npz"
    assert main(["fuse", "--body", str(wham.parent), "--model", str(raised), "--image-size", "1280", "720",
                 "--out", str(other), "--quiet", "--no-smooth"]) == 0
    assert np.abs(read_fused(other).extras["world_from_camera"][:, :3, 3] - truth[:, :3, 3]).max() > 1e-2
