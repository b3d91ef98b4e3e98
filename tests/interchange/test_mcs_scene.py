"""Meshcapade .mcs scenes: several bodies with frame presence, the animated camera (glTF axes, looking down -z),
written through smplcodec's exporter and read back; the camera convention pinned on smplcodec's own writer."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from smplcodec import SMPLCodec
from smplcodec.mcs import CameraIntrinsics, CameraPose, SceneExporter

from core.cli import main as cli_main
from core.contracts.fused_file import read_fused, write_fused
from core.demo_data.motion import make_demo_sequence
from core.interchange import InterchangeFileError, fused_to_mcs, mcs_to_fused, read_mcs
from core.interchange.fused_world import set_world


def _moving_camera(t: int) -> np.ndarray:
    """(T, 4, 4) a panning, dollying OpenCV camera in a y-up world."""
    pose = np.tile(np.eye(4), (t, 1, 1))
    yaw = np.linspace(-20, 25, t)
    pose[:, :3, :3] = Rotation.from_euler("y", yaw, degrees=True).as_matrix() @ np.diag([1.0, -1.0, -1.0])
    pose[:, :3, 3] = np.stack([np.linspace(-1, 1.5, t), np.full(t, 1.4), np.linspace(4.0, 3.0, t)], axis=1)
    return pose


def test_camera_convention_on_smplcodecs_own_writer(real_avatar, tmp_path):
    """smplcodec's CameraPose takes the OpenCV world->camera (R, t); our reader must return its inverse."""
    rot_cw = Rotation.from_euler("xyz", [10, -30, 5], degrees=True).as_matrix()
    t_cw = np.array([0.2, -0.9, 4.1])
    body = SMPLCodec.from_file(str(real_avatar))
    SceneExporter().export_static_camera_scene(
        [body], [[0, 601]], tmp_path / "s.mcs", 601, 120.0,
        CameraIntrinsics(focal_length=1000.0, principal_point=(640.0, 360.0)), CameraPose(rot_cw, t_cw))
    scene = read_mcs(tmp_path / "s.mcs")
    pose = scene.world_from_camera[0]
    np.testing.assert_allclose(pose[:3, :3], rot_cw.T, atol=1e-6)
    np.testing.assert_allclose(pose[:3, 3], -rot_cw.T @ t_cw, atol=1e-5)
    np.testing.assert_allclose(scene.image_size[1], 1080.0)
    # yfov = 2 atan(360 / 1000): the focal length at a 1080-pixel height scales by 1080 / 720
    np.testing.assert_allclose(scene.camera_K[1, 1], 1000.0 * 1080.0 / 720.0, rtol=1e-5)
    assert len(scene.bodies) == 1 and scene.bodies[0].frame_presence == (0, 601) and scene.fps == 120.0


def test_scene_round_trip_with_two_bodies_and_a_moving_camera(body_model, tmp_path):
    t = 30
    a = make_demo_sequence(num_frames=t)
    set_world(a, _moving_camera(t), np.array([0.0, 1.0, 0.0]))
    b = make_demo_sequence(num_frames=12)
    b.transl = b.transl + np.array([0.8, 0.0, 0.5])
    b.extras["first_frame"] = np.array(10)
    out = fused_to_mcs([a, b], tmp_path / "scene.mcs", body_model)
    gltf = json.loads(out.read_text())
    ext = gltf["scenes"][0]["extensions"]["MC_scene_description"]
    assert ext["num_frames"] == t and [s["frame_presence"] for s in ext["smpl_bodies"]] == [[0, t], [10, 22]]
    assert gltf["nodes"][1]["name"] == "AnimatedCamera"
    takes = mcs_to_fused(out, body_model)
    assert [s.num_frames for s in takes] == [t, 12]
    # camera trajectory within 1 mm and 0.01 degrees (float32 storage)
    cam = takes[0].extras["world_from_camera"]
    truth = _moving_camera(t)
    assert np.abs(cam[:, :3, 3] - truth[:, :3, 3]).max() < 1e-3
    rel = Rotation.from_matrix(np.swapaxes(cam[:, :3, :3], 1, 2) @ truth[:, :3, :3]).magnitude()
    assert np.degrees(rel).max() < 0.01
    # each body comes back in the camera frame it was in (the second body seen by camera frames 10..21)
    np.testing.assert_allclose(takes[0].transl, a.transl, atol=1e-4)
    root_diff = Rotation.from_rotvec(takes[0].global_orient).inv() * Rotation.from_rotvec(a.global_orient)
    assert root_diff.magnitude().max() < 1e-5  # compared as rotations: near pi the axis-angle sign may flip
    np.testing.assert_allclose(takes[0].camera_K, a.camera_K_per_frame()[0], atol=1e-9)
    np.testing.assert_allclose(takes[0].image_size, a.image_size)
    np.testing.assert_allclose(takes[1].extras["world_from_camera"], truth[10:22], atol=1e-4)
    assert int(takes[1].extras["track_id"]) == 1


def test_cli_from_mcs_and_to_smpl(body_model, tmp_path, real_avatar):
    assert cli_main(["from-smpl", str(real_avatar), "--out", str(tmp_path / "av.fused.npz"),
                     "--model", "mannequin"]) == 0
    assert cli_main(["to-mcs", str(tmp_path / "av.fused.npz"), "--out", str(tmp_path / "av.mcs"),
                     "--model", "mannequin"]) == 0
    assert cli_main(["from-mcs", str(tmp_path / "av.mcs"), "--out", str(tmp_path), "--model", "mannequin"]) == 0
    seq = read_fused(tmp_path / "av.person0.fused.npz")
    assert seq.num_frames == 601 and seq.fps == 120.0
    assert cli_main(["to-smpl", str(tmp_path / "av.person0.fused.npz"), str(tmp_path / "av.smpl"),
                     "--model", "mannequin"]) == 0
    np.testing.assert_allclose(SMPLCodec.from_file(str(tmp_path / "av.smpl")).body_translation,
                               SMPLCodec.from_file(str(real_avatar)).body_translation, atol=1e-5)
    assert cli_main(["to-smpl", str(tmp_path / "av.person0.fused.npz"), str(tmp_path / "av.smpl")]) == 2


@pytest.mark.parametrize("case", ["no_extension", "bad_base64", "presence", "no_camera", "not_json", "bad_body"])
def test_bad_scenes_give_one_line_errors(case, tmp_path, body_model):
    seq = make_demo_sequence(num_frames=5)
    write_fused(tmp_path / "a.fused.npz", seq)
    out = fused_to_mcs([seq], tmp_path / "s.mcs", body_model)
    gltf = json.loads(out.read_text())
    if case == "no_extension":
        del gltf["scenes"][0]["extensions"]
    elif case == "bad_base64":
        gltf["buffers"][0]["uri"] = "data:application/octet-stream;base64,@@@"
    elif case == "presence":
        gltf["scenes"][0]["extensions"]["MC_scene_description"]["smpl_bodies"][0]["frame_presence"] = [3, 99]
    elif case == "no_camera":
        gltf["nodes"] = [{"name": "RootNode"}]
    elif case == "bad_body":
        junk = b"PK\x03\x04" + bytes(60)  # a body buffer that is no .smpl archive
        gltf["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(junk).decode()
        gltf["buffers"][0]["byteLength"] = gltf["bufferViews"][0]["byteLength"] = len(junk)
    path = tmp_path / "bad.mcs"
    path.write_text("{ not json" if case == "not_json" else json.dumps(gltf))
    with pytest.raises(InterchangeFileError) as info:
        read_mcs(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    if case == "bad_body":
        assert info.value.field.startswith("smpl_bodies[0]")
