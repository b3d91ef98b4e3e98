"""Schema 1.1: optional ``world_from_camera`` (T, 4, 4) and ``world_up`` (3,); schema-1 files stay valid."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from world_writers import random_rigid

from core.contracts.fused_file import SCHEMA, SCHEMA_1_1, FusedSequence, read_fused, write_fused
from core.errors import FusedFileError


def _seq(t: int = 5) -> FusedSequence:
    z = np.zeros((t, 3))
    return FusedSequence(fps=30.0, gender="neutral", model_variant="smplx-v1.1", betas=np.zeros(10),
                         expression=np.zeros((t, 10)), global_orient=z, body_pose=np.zeros((t, 21, 3)), jaw_pose=z,
                         leye_pose=z, reye_pose=z, left_hand_pose=np.zeros((t, 15, 3)),
                         right_hand_pose=np.zeros((t, 15, 3)), transl=z + [0, 0, 3], camera_K=np.eye(3) * 1000,
                         image_size=np.array([1280.0, 720.0]), part_confidence=np.ones((t, 3)),
                         valid=np.ones(t, bool))


def test_world_keys_round_trip_as_schema_1_1(tmp_path):
    world = random_rigid(np.random.default_rng(0), 5)
    path = write_fused(tmp_path / "a.fused.npz",
                       replace(_seq(), extras={"world_from_camera": world, "world_up": np.array([0.0, 1.0, 0.0])}))
    assert str(np.load(path)["schema"]) == SCHEMA_1_1
    back = read_fused(path)
    np.testing.assert_array_equal(back.extras["world_from_camera"], world)
    np.testing.assert_array_equal(back.extras["world_up"], [0.0, 1.0, 0.0])


def test_schema_1_files_stay_schema_1(tmp_path):
    path = write_fused(tmp_path / "b.fused.npz", _seq())
    assert str(np.load(path)["schema"]) == SCHEMA
    assert "world_from_camera" not in read_fused(path).extras


def test_bad_world_keys_name_field_and_frame(tmp_path):
    world = random_rigid(np.random.default_rng(1), 5)
    world[3, :3, :3] *= 1.1
    with pytest.raises(FusedFileError, match="world_from_camera") as info:
        write_fused(tmp_path / "c.fused.npz", replace(_seq(), extras={"world_from_camera": world}))
    assert info.value.frame == 3
    with pytest.raises(FusedFileError, match="world_from_camera"):
        write_fused(tmp_path / "c.fused.npz", replace(_seq(), extras={"world_from_camera": np.eye(4)}))
    with pytest.raises(FusedFileError, match="world_up"):
        write_fused(tmp_path / "c.fused.npz", replace(_seq(), extras={"world_up": np.array([0.0, 2.0, 0.0])}))
