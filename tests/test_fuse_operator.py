"""``bpy.ops.smplx_fusion.fuse``: estimator outputs -> fused file (core in a subprocess) -> imported avatar."""
from __future__ import annotations

import pytest

from core.demo_data import write_demo_data


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory, model_path):
    return write_demo_data(tmp_path_factory.mktemp("estimators"), model_path, num_frames=20, seed=2)


def test_fuse_then_import(blender, demo_data, tmp_path, model_path):
    bpy = blender
    out = tmp_path / "take.fused.npz"
    out.write_bytes(b"the user's own file")  # must survive: the operator picks a new name
    result = bpy.ops.smplx_fusion.fuse(body=str(demo_data.body), face=str(demo_data.face),
                                       face_bbox=str(demo_data.face_bbox), hands=str(demo_data.hands),
                                       output=str(out), model_path=str(model_path))
    assert result == {"FINISHED"}
    assert out.read_bytes() == b"the user's own file"
    written = tmp_path / "take.1.fused.npz"
    assert written.is_file()
    arm = bpy.context.view_layer.objects.active
    assert arm.type == "ARMATURE" and arm["smplx_fusion_frames"] == 20
    assert arm["smplx_fusion_source"] == str(written.resolve())


def test_bad_body_input_reports_and_leaves_scene(blender, tmp_path, model_path):
    bpy = blender
    bogus = tmp_path / "not_an_estimator.npz"
    bogus.write_bytes(b"garbage")
    before = {ob.name for ob in bpy.data.objects}
    with pytest.raises(RuntimeError, match="not_an_estimator"):
        bpy.ops.smplx_fusion.fuse(body=str(bogus), output=str(tmp_path / "x.fused.npz"), model_path=str(model_path))
    assert {ob.name for ob in bpy.data.objects} == before
    assert not (tmp_path / "x.fused.npz").exists()
