"""The real avatar.smpl (Meshcapade, 601 frames at 120 fps) becomes a fused take that imports into Blender; the rig
holds the file's motion (read back from the F-curves)."""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from core.contracts.fused_file import write_fused
from core.interchange.takes import smpl_to_fused


def test_real_avatar_imports_with_its_motion(blender, real_avatar, body_model, model_path, tmp_path):
    bpy = blender
    seq = smpl_to_fused(real_avatar, body_model)
    fused = write_fused(tmp_path / "avatar.fused.npz", seq)
    assert bpy.ops.smplx_fusion.import_fused(filepath=str(fused), model_path=str(model_path)) == {"FINISHED"}
    arm = bpy.context.view_layer.objects.active
    assert arm.type == "ARMATURE" and len(arm.data.bones) == 55
    assert int(arm["smplx_fusion_frames"]) == 601
    assert bpy.context.scene.render.fps / bpy.context.scene.render.fps_base == 120.0

    from blender_addon.common.avatar import body_mesh_of
    from blender_addon.common.readback import read_take

    back = read_take(arm, body_mesh_of(arm)).seq
    for name in ("body_pose", "left_hand_pose", "right_hand_pose"):
        diff = Rotation.from_rotvec(getattr(back, name).reshape(-1, 3)).inv() * \
            Rotation.from_rotvec(getattr(seq, name).reshape(-1, 3))
        assert np.degrees(diff.magnitude()).max() < 0.01, name
    np.testing.assert_allclose(back.transl, seq.transl, atol=1e-4)
