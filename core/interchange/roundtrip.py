"""The ``.smpl`` round trip the world bench reports (``smpl_roundtrip_err``): a fused take written as ``.smpl``
by us and read back through smplcodec must give the same SMPL-X parameters (target <= 1e-6)."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..body.model import BodyModel
from ..contracts.fused_file import read_fused
from .smpl_file import read_smpl_codec, world_body_from_codec, write_smpl
from .world_body import world_body_from_fused
from .world_frame import pelvis_rest_joint

_COMPARED = ("betas", "expression", "global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose",
             "left_hand_pose", "right_hand_pose", "transl")


def smpl_roundtrip_error(fused_path: Union[str, Path], model: Optional[BodyModel] = None) -> float:
    """Largest absolute difference (radians, metres, coefficients, fps) between the take's world-frame SMPL-X
    parameters and those read back through ``smplcodec.SMPLCodec.from_file`` from the ``.smpl`` we write.

    ``model`` gives the pelvis rest joint of the world move (the built-in model of the take's gender when None).
    smplcodec stores float32, so the error is float32 rounding: about 1e-7 for values of a few units.
    """
    seq = read_fused(fused_path)
    if model is None:
        from ..body.builtin import resolve_model
        from ..body.model import load_body_model

        model = load_body_model(resolve_model("builtin", seq.gender), seq.gender)
    written = world_body_from_fused(seq, pelvis_rest_joint(model, seq.betas))
    with tempfile.TemporaryDirectory(prefix="smpl_roundtrip_") as tmp:
        out = write_smpl(Path(tmp) / "take.smpl", written)
        back = world_body_from_codec(read_smpl_codec(out), out)
    errors = [abs(written.fps - back.fps)]
    for name in _COMPARED:
        a, b = getattr(written, name), getattr(back, name)
        if a.shape != b.shape:
            return float("inf")
        errors.append(float(np.max(np.abs(a - b))) if a.size else 0.0)
    if written.gender != back.gender:
        return float("inf")
    return float(max(errors))


__all__ = ["smpl_roundtrip_error"]
