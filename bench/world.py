"""World-grounded bodies with a moving camera: GVHMR / WHAM inputs, WiLoR hands and EMOCA faces fused onto them.

Writes the moving-camera demo take (``core.demo_data.moving_camera``: a known world take filmed by a panning,
dollying camera, with GVHMR's ``hmr4d_results.pt`` and WHAM's ``wham_output.pkl`` written in their own layouts
and with their noise and world drift), reads them with ``core.io``, fuses them with the hand and face experts,
writes and reads back the fused file (schema 1.1), and measures against the truth:
- ``w_mpjpe100_mm``: world-frame MPJPE of the 22 body joints over 100-frame windows, each window aligned on its
  first two frames by a rigid fit (WHAM's and GVHMR's W-MPJPE100), of the estimator's own world body (input) and of
  ours (the fused camera-frame body placed by the fused ``world_from_camera``);
- ``hand_mpjpe_mm``: wrist-aligned hand keypoints after fusion against the body-only hands (GVHMR's mean hands);
- ``camera_err``: the fused file's ``world_from_camera`` against the camera the input file says (GVHMR: from its
  two root poses), largest position (mm) and rotation (degrees) error over the take;
- ``skate_mm_per_frame``: world foot slide per frame (ankles and feet) on the frames the truth's foot is planted;
- ``penetration_true_floor_mm``: the grounding bench's drifting walks filmed by a moving camera and grounded in the
  world with the known up axis (``core.world``): the deepest foot point below the true floor
  (:func:`penetration_true_floor`);
- ``smpl_roundtrip_err``: the fused GVHMR take written as ``.smpl`` and read back through smplcodec.
Run: ``.venv/bin/python bench/world.py``. Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.model import load_body_model  # noqa: E402
from core.body.smplx_forward import smplx_forward  # noqa: E402
from core.contracts.fused_file import FusedSequence, read_fused, write_fused  # noqa: E402
from core.demo_data.moving_camera import estimated_cameras, write_moving_camera_demo  # noqa: E402
from core.fusion.pipeline import FusionOptions, fuse  # noqa: E402
from core.io import read_body, read_face, read_hands  # noqa: E402
from core.io.world.camera_trajectory import rotation_error_deg  # noqa: E402
from core.io.world.research_pickles import load_torch_file  # noqa: E402

FRAMES = 200
WINDOW = 100
BODY_JOINTS = np.arange(22)
FOOT_JOINTS = np.array([7, 8, 10, 11])  # ankles and feet


def hand_keypoint_indices(side: str) -> np.ndarray:
    """(21,) indices into smplx's 127 joints in OpenPose hand order."""
    from smplx.joint_names import JOINT_NAMES

    names = [f"{side}_wrist"]
    for finger in ("thumb", "index", "middle", "ring", "pinky"):
        names += [f"{side}_{finger}{k}" for k in (1, 2, 3)] + [f"{side}_{finger}"]
    return np.array([JOINT_NAMES.index(n) for n in names])


def hand_mpjpe_mm(joints: np.ndarray, gt: np.ndarray) -> float:
    """Wrist-aligned hand MPJPE (mm) over both hands and all frames."""
    errors = []
    for side in ("left", "right"):
        idx = hand_keypoint_indices(side)
        errors.append(np.linalg.norm((joints[:, idx] - joints[:, idx[:1]]) - (gt[:, idx] - gt[:, idx[:1]]), axis=-1))
    return float(np.concatenate(errors).mean() * 1000.0)


def to_world(points_cam: np.ndarray, world_from_camera: np.ndarray) -> np.ndarray:
    """(T, J, 3) camera-frame points -> world points through (T, 4, 4)."""
    return np.einsum("tij,tkj->tki", world_from_camera[:, :3, :3], points_cam) + world_from_camera[:, None, :3, 3]


def rigid_fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation and translation (no scale) taking (N, 3) ``src`` onto ``dst`` (Kabsch, scipy's align_vectors)."""
    from scipy.spatial.transform import Rotation

    cs, cd = src.mean(0), dst.mean(0)
    rot, _ = Rotation.align_vectors(dst - cd, src - cs)
    r = rot.as_matrix()
    return r, cd - r @ cs


def w_mpjpe100_mm(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean over 100-frame windows of the MPJPE after aligning each window's first two frames (mm)."""
    errs = []
    for start in range(0, pred.shape[0] - WINDOW + 1, WINDOW):
        p, g = pred[start:start + WINDOW], gt[start:start + WINDOW]
        r, t = rigid_fit(p[:2].reshape(-1, 3), g[:2].reshape(-1, 3))
        aligned = p @ r.T + t
        errs.append(np.linalg.norm(aligned - g, axis=-1).mean())
    return float(np.mean(errs) * 1000.0)


def skate_mm_per_frame(feet: np.ndarray, gt_feet: np.ndarray, up: np.ndarray) -> float:
    """Mean horizontal slide per frame (mm) of the feet on frames where the truth's foot is planted (its own
    horizontal speed under 2 mm/frame)."""
    def horizontal(v: np.ndarray) -> np.ndarray:
        return v - np.einsum("...c,c->...", v, up)[..., None] * up

    gt_step = np.linalg.norm(horizontal(np.diff(gt_feet, axis=0)), axis=-1)
    step = np.linalg.norm(horizontal(np.diff(feet, axis=0)), axis=-1)
    planted = gt_step < 0.002
    return float(step[planted].mean() * 1000.0) if planted.any() else float("nan")


def world_input_sequence(path: Path, like: FusedSequence) -> FusedSequence:
    """GVHMR's own world body (``smpl_params_global``, median betas, mean hands irrelevant to body joints)."""
    data = load_torch_file(path)["smpl_params_global"]
    t = data["global_orient"].shape[0]
    from dataclasses import replace

    return replace(like, betas=np.median(np.asarray(data["betas"], dtype=np.float64), axis=0),
                   global_orient=np.asarray(data["global_orient"], np.float64),
                   body_pose=np.asarray(data["body_pose"], np.float64).reshape(t, 21, 3),
                   transl=np.asarray(data["transl"], np.float64), expression=np.zeros((t, like.expression.shape[1])),
                   extras={})


def penetration_true_floor(model, model_file: Path) -> dict:
    """The grounding bench's drifting walks (``bench/grounding.py``, its seeds, frames and smplx measure), each
    filmed by a moving camera in a y-up world (``core.demo_data.moving_grounding``) and grounded in that world with
    its known up axis (``core.world.ground_world_take``, mode auto): the deepest foot point below the true floor over
    every frame and seed (mm), raw and ours, next to the same grounding run in the static camera's frame with the
    true floor normal as the up axis (the grounding bench's ``up_known``)."""
    from bench.grounding import FRAMES as GROUND_FRAMES
    from bench.grounding import HELD_OUT_SEEDS, SEEDS, smplx_points
    from core.body.rigid_frames import reframe_take
    from core.demo_data.grounding_takes import make_grounding_takes
    from core.demo_data.moving_grounding import film_with_moving_camera
    from core.grounding import GroundPlane, ground_sequence
    from core.world import ground_world_take

    out = {}
    for label, seeds in (("bench", SEEDS), ("held_out", HELD_OUT_SEEDS)):
        deepest = {"raw": 0.0, "ours": 0.0, "static_up_known": 0.0}
        for seed in seeds:
            walk = make_grounding_takes(model, GROUND_FRAMES, seed)["walking"]
            plane = GroundPlane.from_array(walk.truth.plane)
            film = film_with_moving_camera(walk.estimate, walk.truth.plane, model)
            grounded = ground_world_take(film.sequence, model, "auto").sequence
            ours_static = reframe_take(grounded, film.static_from_camera, model)  # back in the truth's frame
            static = ground_sequence(walk.estimate, model, "auto", known_up=plane.normal).sequence
            for name, seq in (("raw", walk.estimate), ("ours", ours_static), ("static_up_known", static)):
                feet = smplx_points(model_file, seq)[1]
                deepest[name] = max(deepest[name], -float(plane.signed_distance(feet).min()))
        out[label] = {k: round(max(v, 0.0) * 1000.0, 2) for k, v in deepest.items()}
    return out


def main() -> None:
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="smplx_fusion_world_"))
    model_file = ensure_builtin_model("neutral", work / "models", kind="mannequin")
    model = load_body_model(model_file)
    manifest = write_moving_camera_demo(work / "data", model_file, num_frames=FRAMES, seed=0)
    data = work / "data"
    cams = estimated_cameras(data)
    gt = read_fused(data / manifest["ground_truth"])
    face = read_face(data / manifest["face"], bbox=data / manifest["face_bbox"])
    hands = read_hands(data / manifest["hands"])
    w, h = manifest["image_size"]
    inputs = {"gvhmr": read_body(data / manifest["gvhmr"], model=model),
              "wham": read_body(data / manifest["wham"], model=model, image_size=(w, h),
                                focal=float(cams["camera_K"][0, 0]))}

    gt_joints, _ = smplx_forward(model_file, gt, num_betas=10, num_expression=10)
    gt_world = to_world(gt_joints, gt.extras["world_from_camera"])
    up = np.asarray(gt.extras["world_up"])
    rows = {}
    for name, body in inputs.items():
        fused = fuse(body, face, hands, model, FusionOptions()).sequence
        out = write_fused(work / f"{name}.fused.npz", fused)
        fused = read_fused(out)  # the figures are of the file as written (schema 1.1)
        body_only = fuse(body, None, None, model, FusionOptions()).sequence
        said = cams[f"{name}_world_from_camera"]
        ours_cam = fused.extras["world_from_camera"]
        cam_mm = float(np.linalg.norm(ours_cam[:, :3, 3] - said[:, :3, 3], axis=-1).max() * 1000.0)
        cam_deg = float(rotation_error_deg(ours_cam[:, :3, :3], said[:, :3, :3]).max())
        ours_joints, _ = smplx_forward(model_file, fused, num_betas=10, num_expression=10)
        body_only_joints, _ = smplx_forward(model_file, body_only, num_betas=10, num_expression=10)
        ours_world = to_world(ours_joints, ours_cam)
        if name == "gvhmr":
            input_joints, _ = smplx_forward(model_file, world_input_sequence(data / manifest["gvhmr"], body_only),
                                            num_betas=10, num_expression=10)
            input_world = input_joints  # already in GVHMR's world
        else:  # WHAM's world body is the camera-frame body placed by its own camera (trans_world = hip midpoint)
            raw = fuse(body, None, None, model, FusionOptions(smooth=False)).sequence
            input_world = to_world(smplx_forward(model_file, raw, num_betas=10, num_expression=10)[0],
                                   raw.extras["world_from_camera"])
        rows[name] = {
            "w_mpjpe100_mm": {"input": w_mpjpe100_mm(input_world[:, BODY_JOINTS], gt_world[:, BODY_JOINTS]),
                              "ours": w_mpjpe100_mm(ours_world[:, BODY_JOINTS], gt_world[:, BODY_JOINTS])},
            "hand_mpjpe_mm": {"body_only": hand_mpjpe_mm(body_only_joints, gt_joints),
                              "ours": hand_mpjpe_mm(ours_joints, gt_joints)},
            "camera_err": {"mm": cam_mm, "deg": cam_deg},
            "skate_mm_per_frame": {"raw": skate_mm_per_frame(input_world[:, FOOT_JOINTS], gt_world[:, FOOT_JOINTS],
                                                             up),
                                   "ours": skate_mm_per_frame(ours_world[:, FOOT_JOINTS], gt_world[:, FOOT_JOINTS],
                                                              up)},
            "schema": str(np.load(out)["schema"]),
        }
    penetration = penetration_true_floor(model, model_file)
    try:
        from core.interchange.roundtrip import smpl_roundtrip_error

        roundtrip, roundtrip_reason = smpl_roundtrip_error(work / "gvhmr.fused.npz", model), None
    except ImportError as exc:  # the .smpl interchange is not in this tree
        roundtrip, roundtrip_reason = None, f"core.interchange unavailable ({exc})"
    seconds = time.perf_counter() - t0

    print(f"world-grounded fusion on {FRAMES} frames of a moving-camera take (panning, dollying camera; "
          f"{w} x {h}); truth vs each input and vs ours (WiLoR hands + EMOCA face fused)")
    print(f"{'input':<8}{'W-MPJPE100 in':>15}{'ours':>8}{'hands body-only':>17}{'ours':>8}{'ratio':>7}"
          f"{'camera mm':>11}{'deg':>10}{'skate raw':>11}{'ours':>7}  schema")
    for name, r in rows.items():
        print(f"{name:<8}{r['w_mpjpe100_mm']['input']:>15.2f}{r['w_mpjpe100_mm']['ours']:>8.2f}"
              f"{r['hand_mpjpe_mm']['body_only']:>17.2f}{r['hand_mpjpe_mm']['ours']:>8.2f}"
              f"{r['hand_mpjpe_mm']['ours'] / r['hand_mpjpe_mm']['body_only']:>7.2f}"
              f"{r['camera_err']['mm']:>11.2e}{r['camera_err']['deg']:>10.2e}"
              f"{r['skate_mm_per_frame']['raw']:>11.2f}{r['skate_mm_per_frame']['ours']:>7.2f}  {r['schema']}")
    print("camera error: the fused file's world_from_camera against the camera the input file says (GVHMR: from "
          "its two root poses; WHAM: its world and camera roots and the hip midpoint)")
    pen = penetration
    print(f"penetration against the true floor, grounding bench's drifting walks filmed by a moving camera, grounded "
          f"in the world with the known up axis (deepest foot point, mm): raw {pen['bench']['raw']:.2f} -> ours "
          f"{pen['bench']['ours']:.2f} (static camera, up known: {pen['bench']['static_up_known']:.2f}); held-out "
          f"seeds: raw {pen['held_out']['raw']:.2f} -> ours {pen['held_out']['ours']:.2f} (target <= 5)")
    print(f"smpl_roundtrip_err (gvhmr fused take -> .smpl -> smplcodec): "
          f"{roundtrip if roundtrip is not None else roundtrip_reason}")
    print(f"targets: W-MPJPE100 ours <= input; hands <= 0.6 x body-only; camera <= 1 mm and 0.01 deg  "
          f"({seconds:.1f} s)")
    main_row = rows["gvhmr"]

    def rounded(d: dict) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in d.items()}

    print(json.dumps({
        "bench": "world", "frames": FRAMES, "input": "gvhmr",
        "w_mpjpe100_mm": rounded(main_row["w_mpjpe100_mm"]),
        "hand_mpjpe_mm": rounded(main_row["hand_mpjpe_mm"]),
        "camera_err": {"mm": float(f"{main_row['camera_err']['mm']:.3e}"),
                       "deg": float(f"{main_row['camera_err']['deg']:.3e}")},
        "skate_mm_per_frame": rounded(main_row["skate_mm_per_frame"]),
        "penetration_true_floor_mm": penetration["bench"]["ours"],
        "penetration_true_floor_detail_mm": penetration,
        "smpl_roundtrip_err": None if roundtrip is None else float(f"{roundtrip:.3e}"),
        **({"smpl_roundtrip_reason": roundtrip_reason} if roundtrip is None else {}),
        "per_input": {name: {k: (rounded(v) if isinstance(v, dict) else v) for k, v in r.items()}
                      for name, r in rows.items()},
        "seconds": round(seconds, 1),
    }))


if __name__ == "__main__":
    main()
