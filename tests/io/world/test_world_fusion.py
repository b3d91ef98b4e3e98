"""Fusion onto a world body: the camera frame stays the fusion frame, ``world_from_camera`` rides along per frame,
and hands a body does not predict are replaced by the expert where it sees them."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.demo_data.moving_camera import estimated_cameras, write_moving_camera_demo
from core.fusion.pipeline import FusionOptions, fuse
from core.io import read_body, read_face, read_hands


def test_moving_camera_demo_fuses_with_its_camera(tmp_path, model_path, world_model):
    info = write_moving_camera_demo(tmp_path / "mc", model_path, num_frames=24, seed=1)
    data = tmp_path / "mc"
    cams = estimated_cameras(data)
    body = read_body(data / info["gvhmr"], model=world_model)
    hands = read_hands(data / info["hands"])
    face = read_face(data / info["face"], bbox=data / info["face_bbox"])
    # the reader reproduces the camera GVHMR's file says (float32 parameters: micrometres)
    np.testing.assert_allclose(body.world_from_camera[:, :3, 3], cams["gvhmr_world_from_camera"][:, :3, 3],
                               atol=1e-5)
    seq = fuse(body, face, hands, world_model, FusionOptions()).sequence
    np.testing.assert_allclose(seq.extras["world_from_camera"], body.world_from_camera)
    np.testing.assert_array_equal(seq.extras["world_up"], [0.0, 1.0, 0.0])
    assert "world (schema 1.1)" in seq.provenance
    # hands: the expert replaces GVHMR's mean hands outright where it sees them
    raw = fuse(body, None, hands, world_model, FusionOptions(smooth=False, confidence_blend=True))
    blended = fuse(replace(body, hands_predicted=True), None, hands, world_model,
                   FusionOptions(smooth=False, confidence_blend=True))
    truth = np.load(data / info["ground_truth"])
    err = {name: np.abs(r.sequence.right_hand_pose - truth["right_hand_pose"]).mean()
           for name, r in (("replaced", raw), ("blended", blended))}
    assert err["replaced"] <= err["blended"] + 1e-12
    wham = read_body(data / info["wham"], model=world_model, image_size=tuple(info["image_size"]),
                     focal=float(cams["camera_K"][0, 0]))
    np.testing.assert_allclose(wham.world_from_camera[:, :3, 3], cams["wham_world_from_camera"][:, :3, 3],
                               atol=1e-5)


def test_camera_only_bodies_get_no_world_keys(tmp_path, model_path, world_model):
    info = write_moving_camera_demo(tmp_path / "mc", model_path, num_frames=12, seed=2)
    body = read_body(tmp_path / "mc" / info["gvhmr"], model=world_model)
    seq = fuse(replace(body, world_from_camera=None, world_up=None), None, None, world_model).sequence
    assert "world_from_camera" not in seq.extras and "world_up" not in seq.extras
