"""Meshcapade .smpl through smplcodec: the real file, the conventions (joint 0 is the root, flat hands, y-up world
about the pelvis joint), the round trip, and one-line errors."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from smplcodec import SMPLCodec, SMPLGender, SMPLVersion

from core.contracts.fused_file import read_fused, write_fused
from core.demo_data.motion import make_demo_sequence
from core.interchange import InterchangeFileError, read_smpl, smpl_roundtrip_error, world_body_from_fused
from core.interchange.smpl_file import read_smpl_codec
from core.interchange.takes import fused_to_smpl, smpl_to_fused
from core.interchange.world_frame import CV_TO_GL, pelvis_rest_joint


def test_real_avatar_reads_and_becomes_a_valid_take(real_avatar, body_model, tmp_path):
    body = read_smpl(real_avatar)
    raw = np.load(real_avatar)
    assert body.num_frames == 601 and body.fps == 120.0 and body.gender == "neutral"
    assert body.betas.shape == (16,)
    np.testing.assert_array_equal(body.global_orient, raw["bodyPose"][:, 0])
    np.testing.assert_array_equal(body.body_pose, raw["bodyPose"][:, 1:])
    np.testing.assert_array_equal(body.left_hand_pose, raw["leftHandPose"])
    np.testing.assert_array_equal(body.transl, raw["bodyTranslation"])
    seq = smpl_to_fused(real_avatar, body_model)
    write_fused(tmp_path / "avatar.fused.npz", seq)
    back = read_fused(tmp_path / "avatar.fused.npz")
    assert back.num_frames == 601 and back.fps == 120.0
    assert back.extras["world_from_camera"].shape == (601, 4, 4)
    np.testing.assert_allclose(back.extras["world_up"], [0.0, 1.0, 0.0])
    # the virtual camera sees the body in front of it: positive depth, pelvis projected inside the frame
    j0 = pelvis_rest_joint(body_model, back.betas)
    pelvis_cam = back.transl + j0
    assert np.all(pelvis_cam[:, 2] > 1.0)
    uv = pelvis_cam[:, :2] / pelvis_cam[:, 2:] * back.camera_K[0, 0] + back.camera_K[:2, 2]
    assert np.all((uv >= 0) & (uv <= back.image_size))


def test_hands_are_flat_relative_like_amass(real_amass, tmp_path):
    """smplcodec's own AMASS import copies AMASS's flat-relative hands unchanged: our reader must keep them as they
    are (a reader that added or removed a hand mean would fail here)."""
    from core.io.amass import read_amass

    codec = SMPLCodec.from_amass_npz(str(real_amass))
    codec.write(str(tmp_path / "amass.smpl"))
    body = read_smpl(tmp_path / "amass.smpl")
    est = read_amass(real_amass)
    assert est.hand_pose_relative_to == "flat"
    np.testing.assert_allclose(body.left_hand_pose, est.left_hand_pose, atol=1e-6)
    np.testing.assert_allclose(body.right_hand_pose, est.right_hand_pose, atol=1e-6)
    np.testing.assert_allclose(body.global_orient, est.global_orient, atol=1e-6)
    assert np.abs(body.left_hand_pose).max() > 0.1  # the file really poses the fingers


def test_world_move_matches_smplx_about_the_pelvis(model_path, body_model):
    """The y-up world body, posed by smplx, is the camera-frame body turned by CV_TO_GL (no camera pose): checks
    the pelvis-joint term of the root move against the smplx package itself."""
    from core.body.smplx_forward import smplx_forward
    from core.interchange.world_body import fused_from_world_body

    seq = make_demo_sequence(num_frames=3)
    seq.transl = seq.transl + np.array([0.3, -0.2, 2.5])
    world = world_body_from_fused(seq, pelvis_rest_joint(body_model, seq.betas))
    identity = np.tile(np.eye(4), (3, 1, 1))
    as_take = fused_from_world_body(world, pelvis_rest_joint(body_model, seq.betas), identity, seq.camera_K,
                                    seq.image_size, seq.model_variant, {})
    joints_cam, _ = smplx_forward(model_path, seq)
    joints_world, _ = smplx_forward(model_path, as_take)
    np.testing.assert_allclose(joints_world, joints_cam @ CV_TO_GL.T, atol=1e-5)
    # flipping the world turn (y down) would put the head below the pelvis
    head, pelvis = joints_world[:, 15], joints_world[:, 0]
    assert np.all(head[:, 1] > pelvis[:, 1])


def test_joint_zero_is_the_global_orientation(tmp_path):
    t = 2
    body_pose = np.zeros((t, 22, 3))
    body_pose[:, 0] = Rotation.from_euler("y", 90, degrees=True).as_rotvec()
    body_pose[:, 18] = [0.0, 0.0, 0.7]  # left elbow (SMPL-X joint 18)
    SMPLCodec(smpl_version=SMPLVersion.SMPLX, gender=SMPLGender.FEMALE, shape_parameters=np.zeros(10),
              frame_count=t, frame_rate=25.0, body_translation=np.zeros((t, 3)), body_pose=body_pose).write(
        str(tmp_path / "a.smpl"))
    body = read_smpl(tmp_path / "a.smpl")
    np.testing.assert_allclose(body.global_orient, body_pose[:, 0], atol=1e-7)
    np.testing.assert_allclose(body.body_pose[:, 17], [[0.0, 0.0, 0.7]] * t, atol=1e-7)  # body_pose index = joint - 1
    assert body.gender == "female" and body.fps == 25.0
    np.testing.assert_array_equal(body.left_hand_pose, 0.0)


def test_smpl_bodies_drop_the_two_hand_joints(tmp_path):
    t = 3
    pose = np.random.default_rng(0).normal(scale=0.2, size=(t, 24, 3))
    SMPLCodec(smpl_version=SMPLVersion.SMPL, frame_count=t, frame_rate=30.0, body_pose=pose,
              shape_parameters=np.zeros(10)).write(str(tmp_path / "smpl.smpl"))
    body = read_smpl(tmp_path / "smpl.smpl")
    np.testing.assert_allclose(body.body_pose, pose[:, 1:22], atol=1e-6)
    assert any("22 and 23 dropped" in n for n in body.notes)


def test_written_smpl_reads_back_unchanged_through_smplcodec(tmp_path, body_model):
    seq = make_demo_sequence(num_frames=40)
    write_fused(tmp_path / "demo.fused.npz", seq)
    err = smpl_roundtrip_error(tmp_path / "demo.fused.npz", body_model)
    assert err <= 1e-6
    fused_to_smpl(seq, tmp_path / "demo.smpl", body_model)
    codec = SMPLCodec.from_file(str(tmp_path / "demo.smpl"))
    assert codec.smpl_version == SMPLVersion.SMPLX and codec.frame_count == 40
    assert codec.body_pose.shape == (40, 22, 3) and codec.head_pose.shape == (40, 3, 3)
    np.testing.assert_allclose(codec.body_pose[:, 1:], seq.body_pose, atol=1e-6)
    np.testing.assert_allclose(codec.right_hand_pose, seq.right_hand_pose, atol=1e-6)
    np.testing.assert_allclose(codec.expression_parameters, seq.expression, atol=1e-6)


def test_a_take_read_from_smpl_writes_the_same_world_back(real_avatar, body_model, tmp_path):
    seq = smpl_to_fused(real_avatar, body_model)
    fused_to_smpl(seq, tmp_path / "again.smpl", body_model)
    a, b = SMPLCodec.from_file(str(real_avatar)), SMPLCodec.from_file(str(tmp_path / "again.smpl"))
    np.testing.assert_allclose(b.body_pose, a.body_pose, atol=1e-6)
    np.testing.assert_allclose(b.body_translation, a.body_translation, atol=1e-6)
    np.testing.assert_allclose(b.shape_parameters, a.shape_parameters, atol=0)


@pytest.mark.parametrize("case", ["skel", "shape_only", "nan", "garbage", "unknown_key"])
def test_bad_files_give_one_line_errors(case, tmp_path):
    path = tmp_path / "bad.smpl"
    t = 4
    if case == "skel":
        SMPLCodec(smpl_version=SMPLVersion.SKEL, frame_count=t, frame_rate=30.0,
                  body_pose=np.zeros((t, 46))).write(str(path))
        field = "smplVersion"
    elif case == "shape_only":
        SMPLCodec(shape_parameters=np.zeros(10)).write(str(path))
        field = "bodyPose"
    elif case == "nan":
        pose = np.zeros((t, 22, 3))
        pose[2, 5, 1] = np.nan
        SMPLCodec(frame_count=t, frame_rate=30.0, body_pose=pose).write(str(path))
        field = "bodyPose"
    elif case == "garbage":
        path.write_bytes(b"PK\x03\x04 not really a zip")
        field = None
    else:
        np.savez(path.open("wb"), bodyPose=np.zeros((t, 22, 3)), frameCount=np.int32(t), frameRate=np.float32(30),
                 somethingElse=np.zeros(3))
        field = None
    with pytest.raises(InterchangeFileError) as info:
        read_smpl(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    if field:
        assert info.value.field == field
    if case == "nan":
        assert info.value.frame == 2


def test_codec_reader_refuses_pickles(tmp_path):
    path = tmp_path / "obj.smpl"
    np.savez(path.open("wb"), bodyPose=np.array([{"a": 1}], dtype=object))
    with pytest.raises(Exception) as info:
        read_smpl_codec(path)
    from core.errors import FusionError

    assert isinstance(info.value, FusionError)


def test_a_world_with_another_up_axis_is_turned_to_y_up(model_path, body_model):
    """A schema-1.1 take whose world is y-down (world_up = -y, e.g. the camera frame itself) is written y-up."""
    from core.body.smplx_forward import smplx_forward
    from core.interchange.fused_world import set_world
    from core.interchange.world_body import fused_from_world_body

    seq = make_demo_sequence(num_frames=3)
    set_world(seq, np.tile(np.eye(4), (3, 1, 1)), np.array([0.0, -1.0, 0.0]))
    j0 = pelvis_rest_joint(body_model, seq.betas)
    world = world_body_from_fused(seq, j0)
    as_take = fused_from_world_body(world, j0, np.tile(np.eye(4), (3, 1, 1)), seq.camera_K, seq.image_size,
                                    seq.model_variant, {})
    joints_cam, _ = smplx_forward(model_path, seq)
    joints_world, _ = smplx_forward(model_path, as_take)
    assert np.all(joints_cam[:, 15, 1] < joints_cam[:, 0, 1])  # y down in the camera frame: head above = smaller y
    assert np.all(joints_world[:, 15, 1] > joints_world[:, 0, 1])  # written y up
    np.testing.assert_allclose(joints_world, joints_cam @ np.diag([1.0, -1.0, -1.0]).T, atol=1e-5)
