"""The demo-data manifest: where each estimator's output lies, what conventions it uses, which faults it holds.

Written next to the data as ``manifest.json`` (paths relative to that folder) and returned by
:func:`core.demo_data.write_demo_data` as a :class:`DemoDataManifest` (absolute paths).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from .faults import Fault

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "smplx-fusion-demo-data/1"

#: One line per estimator on the layout and conventions of what was written (details in each writer module).
CONVENTIONS: dict[str, str] = {
    "ground_truth": "schema-v1 fused npz; camera frame OpenCV (x right, y down, z forward); hands relative to "
                    "the flat hand; row r is footage frame r + first_frame",
    "body": "SMPLer-X main/inference.py: smplx/{frame:05}_0.npz (global_orient, body_pose, left/right_hand_pose "
            "MEAN-relative, jaw_pose, leye/reye_pose zeros, betas (1,10), expression (1,10), transl = cam_trans) "
            "+ meta/{frame:05}_0.json (focal, princpt: per-frame virtual camera from the processed bbox; bbox, "
            "bbox_mmdet x,y,w,h); transl is for that virtual camera, not the real one",
    "face": "EMOCA save_codes: {frame:06d}_000/{shape(100),exp(50),tex(50),pose(6),detail(128)}.npy float32; "
            "pose = [FLAME global in EMOCA's y-up camera: R_opencv = diag(1,-1,-1) R(pose[:3]) | jaw]; exp[:10] "
            "carries the v1.1 SMPL-X expression (truncation route), exp[10:] small noise; no camera written",
    "face_bbox": "JSON {\"%06d\" image stem: [x0, y0, x1, y1] pixels}, only for frames with a face",
    "hands": "WiLoR demo dump per image {frame:06d}.npz or .pkl (image numbers divisible by 5): pkl nests "
             "pred_mano_params {global_orient (B,1,3,3), hand_pose (B,15,3,3), betas (B,10)}, npz merges those "
             "three keys into the top level; pred_cam [s,tx,ty] (tx un-mirrored), pred_cam_t_full, "
             "scaled_focal_length, pred_keypoints_3d (B,21,3) OpenPose order un-mirrored, is_right float32, "
             "box_center, box_size, img_size; rotations flat-relative and, for left hands, still MIRRORED "
             "(M R M, M = diag(-1,1,1)); no file for images without detections",
}


@dataclass
class DemoDataManifest:
    """What :func:`core.demo_data.write_demo_data` wrote.

    Attributes:
        out_dir: the folder holding everything below and ``manifest.json``.
        ground_truth: schema-v1 ``*.fused.npz`` of the true take (hands flat-relative).
        body: SMPLer-X output folder (``smplx/``, ``meta/``).
        face: EMOCA output folder (one sub-folder per detected face).
        hands: WiLoR dump folder (one npz / pkl per image with detections).
        face_bbox: JSON of face boxes per image stem.
        faults: the injected faults (kind, part, ground-truth rows, footage frames, detail).
        num_frames: T ground-truth rows; first_frame: the footage frame number of row 0.
        fps, image_size (W, H), camera_K (3x3, pixels): the take's camera.
        model_file: the body model the ground truth was evaluated with; seed, noise_scale: generator settings.
        hands_pickle_frames: footage frames whose WiLoR dump is a ``.pkl``.
        conventions: one line per output on layout and conventions.
    """

    out_dir: Path
    ground_truth: Path
    body: Path
    face: Path
    hands: Path
    face_bbox: Path
    faults: list[Fault]
    num_frames: int
    first_frame: int
    fps: float
    image_size: tuple[int, int]
    camera_K: list[list[float]]
    model_file: str
    seed: int
    noise_scale: float
    hands_pickle_frames: list[int] = field(default_factory=list)
    conventions: dict[str, str] = field(default_factory=lambda: dict(CONVENTIONS))

    def faults_of(self, kind: str) -> list[Fault]:
        """The faults of one kind (e.g. ``"mislabeled_hand"``)."""
        return [f for f in self.faults if f.kind == kind]

    def fault_rows(self, part: str) -> list[int]:
        """Sorted ground-truth rows with a fault touching ``part`` (``body``, ``face`` or ``hands``)."""
        return sorted({r for f in self.faults if part in f.part.split("+") for r in f.rows})

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict, paths relative to ``out_dir``."""
        def rel(p: Path) -> str:
            return Path(p).relative_to(self.out_dir).as_posix()

        return {
            "schema": MANIFEST_SCHEMA, "ground_truth": rel(self.ground_truth), "body": rel(self.body),
            "face": rel(self.face), "hands": rel(self.hands), "face_bbox": rel(self.face_bbox),
            "faults": [f.to_json() for f in self.faults], "num_frames": self.num_frames,
            "first_frame": self.first_frame, "fps": self.fps, "image_size": list(self.image_size),
            "camera_K": self.camera_K, "model_file": self.model_file, "seed": self.seed,
            "noise_scale": self.noise_scale, "hands_pickle_frames": list(self.hands_pickle_frames),
            "conventions": self.conventions,
        }

    def write(self) -> Path:
        """Write ``out_dir/manifest.json``; returns its path."""
        path = self.out_dir / MANIFEST_NAME
        path.write_text(json.dumps(self.to_json(), indent=2))
        return path

    @classmethod
    def read(cls, path: Union[str, Path]) -> "DemoDataManifest":
        """Read a ``manifest.json`` (or the folder holding it)."""
        path = Path(path)
        if path.is_dir():
            path = path / MANIFEST_NAME
        data = json.loads(path.read_text())
        if data.get("schema") != MANIFEST_SCHEMA:
            raise ValueError(f"{path}: not a demo-data manifest (schema {data.get('schema')!r})")
        root = path.parent.resolve()
        return cls(
            out_dir=root, ground_truth=root / data["ground_truth"], body=root / data["body"],
            face=root / data["face"], hands=root / data["hands"], face_bbox=root / data["face_bbox"],
            faults=[Fault.from_json(f) for f in data["faults"]], num_frames=int(data["num_frames"]),
            first_frame=int(data["first_frame"]), fps=float(data["fps"]),
            image_size=(int(data["image_size"][0]), int(data["image_size"][1])), camera_K=data["camera_K"],
            model_file=str(data["model_file"]), seed=int(data["seed"]), noise_scale=float(data["noise_scale"]),
            hands_pickle_frames=[int(f) for f in data.get("hands_pickle_frames", [])],
            conventions=dict(data.get("conventions", {})))
