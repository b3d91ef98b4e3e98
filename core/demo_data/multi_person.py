"""A demo clip with several people: a handshake, a walker who crosses in front, leaves and comes back.

``python -m core demo-data OUT --people N`` (N >= 2) calls :func:`write_multi_person_demo`. The clip (30 fps,
1280 x 720, focal 1100 px, one flat floor, everyone's feet on it):

* **people 0 and 1** stand facing each other and **shake right hands** the whole clip (their right wrists a hand's
  length apart), so each right-hand detection sits at two people's wrists at once;
* **person 2** starts in front of them (nearer the camera, **occluding** one), walks out of the picture on the
  left and **comes back** after a gap, crossing in front of the pair again;
* **people 3...** walk across behind, in the other direction.

The camera is :func:`core.demo_data.walking.camera_pose` at 2.4 m above the floor, pitched 24 degrees down; walkers
are :func:`core.demo_data.walking.make_walking_truth`'s gait, feet planted on the floor.

Estimators, each written exactly as it writes its files (the single-person writers of this package, merged):

* **SMPLer-X** ``smplerx/smplx/{frame:05}_{bbox_id}.npz`` + ``meta/``: ``bbox_id`` is the detection's rank in the
  frame, by a detector score that drops with occlusion and jitters, so **the per-frame rank swaps** and says nothing
  about identity. Each person has a systematic depth error (``depth_bias``, a regressor's per-person scale error,
  e.g. from body size) on top of the per-frame jitter: the crop cameras alone give each person's depth
  independently and badly;
* **EMOCA** ``emoca/{frame:06d}_{k:03d}/`` with ``face_bboxes.json`` keys ``"{frame:06d}_{k:03d}"``; faces ordered
  left to right in each frame;
* **WiLoR** ``wilor/{frame:06d}.npz|pkl``: every visible hand of every person, in a random order per frame.

``truth/person{i}.fused.npz`` holds each person's ground truth (``valid`` = visible) and ``manifest.json`` which
detection belongs to whom (``hand_truth``, ``face_truth``), the ranks, the roles and the depth biases. Deterministic
in ``seed``.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..body.model import BodyModel, load_body_model, resolve_model_file
from ..body.posing import pose_skeleton, skin_vertices
from ..body.skeleton import JOINT_INDEX, SMPLX_EXTRA_VERTEX_IDS
from ..contracts.fused_file import FusedSequence, write_fused
from ..rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .faults import no_faults
from .ground_truth import evaluate_ground_truth, make_ground_truth
from .noise import NoiseLevels
from .walking import camera_pose, floor_plane_camera, make_walking_truth, to_camera_frame
from .write_emoca import make_emoca_output
from .write_smplerx import SmplerxOutput, make_smplerx_output
from .write_wilor import WilorDetections, make_wilor_detections, write_wilor

PAIR_DEPTH_M = 5.2
FRONT_DEPTH_M = 4.0
BACK_DEPTH_M = 6.4
WALK_SPEED_MPS = 1.5
DEPTH_BIAS_SIGMA = 0.08
MANIFEST_NAME = "manifest.json"
_OUTPUTS = ("truth", "smplerx", "emoca", "wilor", "face_bboxes.json", MANIFEST_NAME)
_R_COLLAR, _R_SHOULDER, _R_ELBOW, _R_WRIST = (JOINT_INDEX[n] for n in ("right_collar", "right_shoulder",
                                                                      "right_elbow", "right_wrist"))
_FOOT_IDS = [SMPLX_EXTRA_VERTEX_IDS[k] for k in ("LHeel", "LBigToe", "LSmallToe", "RHeel", "RBigToe", "RSmallToe")]


@dataclass
class MultiPersonTake:
    """The clip's truth and what the estimators report, in memory.

    Attributes:
        truth: one ground-truth sequence per person (camera frame, ``valid`` = visible).
        roles: one word per person (``handshake``, ``walker``).
        present: (P, T) bool, the person's body is detected.
        frames: (T,) footage frame numbers.
        rank: (P, T) int64 the person's per-frame ``bbox_id`` (-1: absent).
        depth_bias: (P,) the body regressor's systematic depth factor per person.
        body: one :class:`SmplerxOutput` per person (T rows each).
        hands: the merged :class:`WilorDetections` (rows = frame rows) and hand_person: (N,) its true person.
        faces: ``[(person, row, codes dict)]`` visible faces.
        image_size: (W, H).
    """

    truth: list
    roles: list
    present: np.ndarray
    frames: np.ndarray
    rank: np.ndarray
    depth_bias: np.ndarray
    body: list
    hands: WilorDetections
    hand_person: np.ndarray
    faces: list = field(default_factory=list)
    image_size: tuple = (1280, 720)


def _yaw(angle: float) -> np.ndarray:
    """(3, 3) rotation about the camera's vertical (y) axis."""
    return axis_angle_to_matrix(np.array([0.0, angle, 0.0]))


def _handshake_arm(body_pose: np.ndarray, t: np.ndarray, phase: float) -> np.ndarray:
    """(T, 21, 3) body pose with the right arm reaching forward-down and a shake of the forearm."""
    out = body_pose.copy()
    shoulder = axis_angle_to_matrix(np.array([0.0, np.radians(62.0), 0.0])) @ \
        axis_angle_to_matrix(np.array([0.0, 0.0, np.radians(48.0)]))
    out[:, _R_COLLAR - 1] = 0.0
    out[:, _R_SHOULDER - 1] = matrix_to_axis_angle(shoulder)
    shake = np.radians(8.0) * np.sin(2 * np.pi * 2.0 * t + phase)
    out[:, _R_ELBOW - 1] = np.stack([np.zeros_like(t), np.radians(35.0) + shake, np.zeros_like(t)], axis=1)
    out[:, _R_WRIST - 1] = 0.0
    return out


def _joints(seq: FusedSequence, model: BodyModel) -> np.ndarray:
    return pose_skeleton(seq, model).joints


#: The clip's camera: higher than a walk's (1.5 m, 12 degrees), as a clip of several people is often filmed from
#: above eye level; the floor then fixes relative depth well (see :mod:`core.fusion.clip.shared_floor`).
CAMERA_HEIGHT_M, CAMERA_PITCH_DEG = 2.4, 24.0
_W2C = camera_pose(CAMERA_HEIGHT_M, CAMERA_PITCH_DEG)
_R, _T = _W2C[:, :3], _W2C[:, 3]
_W2C_WALK = camera_pose()  # the camera make_walking_truth sees its walk with
#: OpenCV axes of a level camera -> the Y-up world (x right, y up, z towards the camera).
_CV_TO_WORLD = np.diag([1.0, -1.0, -1.0])


def _standing(gt: FusedSequence, x: float, z: float, yaw: float, model: BodyModel) -> FusedSequence:
    """A person of :func:`make_ground_truth` (made for a level camera) standing at world (x, ., z), turned by
    ``yaw`` about the world up (0: facing the camera), feet on the floor y = 0, seen by :func:`camera_pose`."""
    world_orient = axis_angle_to_matrix(np.array([0.0, yaw, 0.0])) @ _CV_TO_WORLD @ \
        axis_angle_to_matrix(gt.global_orient)
    pelvis = model.rest_joints(np.asarray(gt.betas)[:model.num_betas])[0]
    root = np.tile([x, 1.0, z], (gt.num_frames, 1))
    for _ in range(2):  # place, then drop the lowest foot point onto the floor
        orient, transl = to_camera_frame(world_orient, root, pelvis, _W2C)
        seq = dataclasses.replace(gt, global_orient=orient, transl=transl)
        feet_cam = skin_vertices(model, seq, pose_skeleton(seq, model), _FOOT_IDS, pose_correctives=True)
        feet_world = (feet_cam - _T) @ _R  # x_w = R^T (x_c - t)
        root[:, 1] -= feet_world[..., 1].min(axis=1)
    orient, transl = to_camera_frame(world_orient, root, pelvis, _W2C)
    return dataclasses.replace(gt, global_orient=orient, transl=transl)


def _recamera(seq: FusedSequence, model: BodyModel) -> FusedSequence:
    """A take seen by :func:`make_walking_truth`'s camera, re-expressed in the clip's camera (same world)."""
    r_old, t_old = _W2C_WALK[:, :3], _W2C_WALK[:, 3]
    rel = _R @ r_old.T  # x_new = rel (x_old - t_old) + t_new
    pelvis = model.rest_joints(np.asarray(seq.betas)[:model.num_betas])[0]
    orient = matrix_to_axis_angle(rel @ axis_angle_to_matrix(seq.global_orient))
    root = (np.asarray(seq.transl) + pelvis - t_old) @ rel.T + _T
    return dataclasses.replace(seq, global_orient=orient, transl=root - pelvis)


def _walker(model: BodyModel, seed: int, legs: list) -> FusedSequence:
    """A walker on the floor from :func:`make_walking_truth` segments ``[(frames, heading_deg, start_x, z)]``
    joined end to end, each a straight walk whose pelvis starts exactly at world (start_x, ., z) (the joins fall
    where the walker is out of the picture)."""
    parts = []
    for n, hd, x0, z in legs:
        seq = _recamera(make_walking_truth(model, n, seed=seed, speed_mps=WALK_SPEED_MPS, heading_deg=hd,
                                           start_world=np.array([x0, 0.0, z])).sequence, model)
        pelvis0 = _R.T @ (_joints(seq, model)[0, 0] - _T)  # world
        shift = _R @ np.array([x0 - pelvis0[0], 0.0, z - pelvis0[2]])  # along the floor only
        parts.append(dataclasses.replace(seq, transl=np.asarray(seq.transl) + shift))
    first = parts[0]
    cat = {f: np.concatenate([np.asarray(getattr(p, f)) for p in parts]) for f in
           ("global_orient", "body_pose", "transl", "jaw_pose", "leye_pose", "reye_pose", "left_hand_pose",
            "right_hand_pose", "expression", "part_confidence", "valid")}
    return dataclasses.replace(first, **cat, extras={})


def make_multi_person_take(model_file: Union[str, Path], people: int = 3, num_frames: int = 120, seed: int = 0,
                           noise_scale: float = 1.0, first_frame: int = 1) -> MultiPersonTake:
    """The clip in memory (see the module docstring)."""
    if people < 2:
        raise ValueError(f"a multi-person clip needs at least 2 people, found {people}")
    if num_frames < 60:
        raise ValueError(f"the multi-person clip needs at least 60 frames, found {num_frames}")
    model_path = resolve_model_file(model_file)
    model = load_body_model(model_path)
    streams = np.random.SeedSequence(seed).spawn(people + 1)
    rng_clip = np.random.default_rng(streams[-1])
    noise = NoiseLevels().scaled(noise_scale)
    sec = np.arange(num_frames, dtype=np.float64) / 30.0
    frames = np.arange(num_frames, dtype=np.int64) + int(first_frame)

    truth, roles = [], []
    for i in range(2):  # the handshake pair, facing each other
        gt = make_ground_truth(num_frames, seed=streams[i].spawn(1)[0], model_variant=model.variant)
        gt = dataclasses.replace(gt, body_pose=_handshake_arm(gt.body_pose, sec, phase=0.0))
        side = -1.0 if i == 0 else 1.0
        truth.append(_standing(gt, 0.5 * side, -PAIR_DEPTH_M, -side * np.pi / 2, model))
        roles.append("handshake")
    # person 1's right wrist a hand's length from person 0's: move them (standing still) by the mean offset
    j0, j1 = _joints(truth[0], model), _joints(truth[1], model)
    shift = (j0[:, _R_WRIST] + _R @ np.array([0.12, 0.0, 0.0]) - j1[:, _R_WRIST]).mean(axis=0)
    shift -= (_R @ np.array([0.0, 1.0, 0.0])) * float(shift @ (_R @ np.array([0.0, 1.0, 0.0])))  # along the floor
    truth[1] = dataclasses.replace(truth[1], transl=truth[1].transl + shift)
    centre = 0.5 * (_joints(truth[0], model)[:, 0] + _joints(truth[1], model)[:, 0]).mean(axis=0)
    centre_world = _R.T @ (centre - _T)
    move = _R @ np.array([-centre_world[0], 0.0, 0.0])
    truth = [dataclasses.replace(gt, transl=gt.transl + move) for gt in truth]  # the pair in the middle
    for i in range(2, people):
        k = i - 2
        wseed = int(streams[i].generate_state(1)[0])
        if k == 0:  # in front of the pair, out on the left, back again and across in front of them
            out_at = int(0.4 * num_frames)
            legs = [(out_at, -90.0, -0.6, -FRONT_DEPTH_M), (num_frames - out_at, 90.0, -3.4, -FRONT_DEPTH_M)]
        else:
            x0, hd = (2.2, -90.0) if k % 2 else (-2.2, 90.0)
            legs = [(num_frames, hd, x0, -(BACK_DEPTH_M + 0.7 * (k - 1)))]
        truth.append(_walker(model, wseed, legs))
        roles.append("walker")

    w, h = (int(v) for v in truth[0].image_size)
    image_size = (w, h)
    geoms = [evaluate_ground_truth(gt, model_path, model.skinning_weights) for gt in truth]
    boxes = np.stack([g.body_box for g in geoms])  # (P, T, 4)
    centre = 0.5 * (boxes[..., :2] + boxes[..., 2:])
    present = (centre[..., 0] > 0) & (centre[..., 0] < w) & (centre[..., 1] > 0) & (centre[..., 1] < h)
    depth = np.stack([np.asarray(gt.transl)[:, 2] for gt in truth])  # (P, T)

    # occlusion: the share of a box covered by nearer people's boxes; the detector's score drops with it
    occl = np.zeros(present.shape)
    for i in range(people):  # people, not frames
        for j in range(people):
            if i == j:
                continue
            nearer = (depth[j] < depth[i]) & present[j]
            iw = np.clip(np.minimum(boxes[i, :, 2], boxes[j, :, 2]) - np.maximum(boxes[i, :, 0], boxes[j, :, 0]),
                         0, None)
            ih = np.clip(np.minimum(boxes[i, :, 3], boxes[j, :, 3]) - np.maximum(boxes[i, :, 1], boxes[j, :, 1]),
                         0, None)
            area = np.prod(boxes[i, :, 2:] - boxes[i, :, :2], axis=1)
            occl[i] = np.maximum(occl[i], np.where(nearer, iw * ih / np.maximum(area, 1.0), 0.0))
    score = 0.9 - 0.4 * occl + rng_clip.normal(0.0, 0.04, present.shape)
    score = np.where(present, score, -np.inf)
    order = np.argsort(-score, axis=0, kind="stable")  # (P, T): rank -> person
    rank = np.full(present.shape, -1, dtype=np.int64)
    np.put_along_axis(rank, order, np.arange(people)[:, None].repeat(num_frames, 1), axis=0)
    rank = np.where(present, rank, -1)

    hands_mean = np.stack([model.left_hand_mean, model.right_hand_mean])
    bias = np.clip(1.0 + rng_clip.normal(0.0, DEPTH_BIAS_SIGMA, people), 0.85, 1.15)
    body_out, dets, det_person, faces = [], [], [], []
    for i, (gt, geom) in enumerate(zip(truth, geoms)):
        r_body, r_face, r_hand = (np.random.default_rng(s) for s in streams[i].spawn(4)[1:])
        out, _ = make_smplerx_output(gt, geom, hands_mean, noise, r_body, image_size, None)
        pelvis = model.rest_joints(out.betas.mean(axis=0))[0]
        # a per-person depth scale error: the pelvis slides along its viewing ray
        out = dataclasses.replace(out, transl=(out.transl + pelvis) * bias[i] - pelvis)
        body_out.append(out)
        face = make_emoca_output(gt, geom, noise, r_face)
        head_c = 0.5 * (face.face_box[:, :2] + face.face_box[:, 2:])
        visible_face = present[i] & (head_c[:, 0] > 0) & (head_c[:, 0] < w) & (occl[i] < 0.5)
        for row in np.flatnonzero(visible_face).tolist():
            faces.append((i, row, {"shape": face.shape[row], "exp": face.exp[row], "tex": face.tex[row],
                                   "pose": face.pose[row], "detail": face.detail[row], "box": face.face_box[row]}))
        hand_c = 0.5 * (geom.hand_boxes[..., :2] + geom.hand_boxes[..., 2:])  # (T, 2, 2)
        plan = no_faults(num_frames)
        plan.hand_present = present[i][:, None] & (hand_c[..., 0] > 0) & (hand_c[..., 0] < w) & \
            (hand_c[..., 1] > 0) & (hand_c[..., 1] < h)
        hd, _ = make_wilor_detections(gt, geom, noise, r_hand, plan, image_size)
        dets.append(hd)
        det_person.append(np.full(hd.rows.shape[0], i))
    merged, hand_person = _merge_hands(dets, np.concatenate(det_person), rng_clip)
    truth = [dataclasses.replace(gt, valid=vis.copy()) for gt, vis in zip(truth, present)]
    return MultiPersonTake(truth=truth, roles=roles, present=present, frames=frames, rank=rank, depth_bias=bias,
                           body=body_out, hands=merged, hand_person=hand_person, faces=faces, image_size=image_size)


def _merge_hands(dets: list, person: np.ndarray, rng: np.random.Generator) -> tuple[WilorDetections, np.ndarray]:
    """Every person's hand detections in one set, rows sorted by frame row, random order within a row."""
    cat = {f.name: np.concatenate([getattr(d, f.name) for d in dets])
           for f in dataclasses.fields(WilorDetections) if f.name not in ("image_size", "focal")}
    order = np.lexsort((rng.random(cat["rows"].shape[0]), cat["rows"]))
    merged = WilorDetections(**{k: v[order] for k, v in cat.items()}, image_size=dets[0].image_size,
                             focal=dets[0].focal)
    return merged, person[order]


def _write_smplerx(folder: Path, take: MultiPersonTake) -> None:
    """``smplx/{frame:05}_{bbox_id}.npz`` + ``meta/`` exactly as :mod:`.write_smplerx` writes one person."""
    smplx_dir, meta_dir = folder / "smplx", folder / "meta"
    smplx_dir.mkdir(parents=True, exist_ok=True)
    meta_dir.mkdir(parents=True, exist_ok=True)
    f32 = np.float32
    for i, out in enumerate(take.body):
        o: SmplerxOutput = out
        for row in np.flatnonzero(take.present[i]).tolist():  # the loop only writes
            frame, bbox_id = int(take.frames[row]), int(take.rank[i, row])
            stem = f"{frame:05}_{bbox_id}"
            np.savez(smplx_dir / f"{stem}.npz",
                     global_orient=o.global_orient[row].reshape(-1, 3).astype(f32),
                     body_pose=o.body_pose[row].reshape(-1, 3).astype(f32),
                     left_hand_pose=o.left_hand_pose[row].reshape(-1, 3).astype(f32),
                     right_hand_pose=o.right_hand_pose[row].reshape(-1, 3).astype(f32),
                     jaw_pose=o.jaw_pose[row].reshape(-1, 3).astype(f32),
                     leye_pose=np.zeros((1, 3)), reye_pose=np.zeros((1, 3)),
                     betas=o.betas[row].reshape(-1, 10).astype(f32),
                     expression=o.expression[row].reshape(-1, 10).astype(f32),
                     transl=o.transl[row].reshape(-1, 3).astype(f32))
            meta = {"focal": o.focal[row].tolist(), "princpt": o.princpt[row].tolist(), "bbox": o.bbox[row].tolist(),
                    "bbox_mmdet": o.bbox_mmdet[row].tolist(), "bbox_id": bbox_id,
                    "img_path": f"images/{frame:06d}.jpg"}
            (meta_dir / f"{stem}.json").write_text(json.dumps(meta, indent=4))


def _write_emoca(folder: Path, bbox_file: Path, take: MultiPersonTake) -> dict[str, int]:
    """One ``{frame:06d}_{k:03d}/`` folder per visible face (k: left to right); returns folder name -> person."""
    folder.mkdir(parents=True, exist_ok=True)
    f32 = np.float32
    by_row: dict[int, list] = {}
    for person, row, codes in take.faces:
        by_row.setdefault(row, []).append((float(codes["box"][0]), person, codes))
    boxes: dict[str, list] = {}
    owner: dict[str, int] = {}
    for row in sorted(by_row):  # the loop only writes
        for k, (_, person, codes) in enumerate(sorted(by_row[row], key=lambda e: e[0])):
            stem = f"{int(take.frames[row]):06d}_{k:03d}"
            sample = folder / stem
            sample.mkdir(exist_ok=True)
            for name in ("shape", "exp", "tex", "pose", "detail"):
                np.save(sample / f"{name}.npy", np.asarray(codes[name]).astype(f32))
            boxes[stem] = [round(float(v), 2) for v in codes["box"]]
            owner[stem] = int(person)
    bbox_file.write_text(json.dumps(boxes, indent=1))
    return owner


def write_multi_person_demo(out_dir: Union[str, Path], model_file: Union[str, Path], people: int = 3,
                            num_frames: int = 120, seed: int = 0, noise_scale: float = 1.0) -> dict[str, Any]:
    """Write the clip (see the module docstring); returns the manifest (also ``out_dir/manifest.json``)."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    ours = (out_dir / MANIFEST_NAME).is_file()
    for name in _OUTPUTS:
        p = out_dir / name
        if p.exists():
            if not ours:
                raise FileExistsError(f"{p}: exists and is not from an earlier demo-data run; choose an empty folder")
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    take = make_multi_person_take(model_file, people, num_frames, seed, noise_scale)
    truth_paths = [str(write_fused(out_dir / "truth" / f"person{i}.fused.npz", gt)) for i, gt in enumerate(take.truth)]
    _write_smplerx(out_dir / "smplerx", take)
    face_owner = _write_emoca(out_dir / "emoca", out_dir / "face_bboxes.json", take)
    _, pickled = write_wilor(out_dir / "wilor", take.hands, take.frames)
    hand_truth: dict[str, list] = {}
    for k in range(take.hands.rows.shape[0]):  # JSON record only
        frame = str(int(take.frames[take.hands.rows[k]]))
        hand_truth.setdefault(frame, []).append(
            {"person": int(take.hand_person[k]), "side": int(take.hands.true_side[k]),
             "box_center": [round(float(v), 3) for v in take.hands.box_center[k]]})
    manifest = {
        "people": people, "frames": num_frames, "first_frame": int(take.frames[0]), "fps": 30.0,
        "image_size": list(take.image_size), "camera_K": np.asarray(take.truth[0].camera_K).tolist(),
        "floor_plane": floor_plane_camera(_W2C).tolist(), "roles": take.roles, "depth_bias": take.depth_bias.tolist(),
        "truth": truth_paths, "body": str(out_dir / "smplerx"), "face": str(out_dir / "emoca"),
        "face_bbox": str(out_dir / "face_bboxes.json"), "hands": str(out_dir / "wilor"),
        "present": take.present.astype(int).tolist(), "rank": take.rank.tolist(),
        "rank_swaps": int(np.count_nonzero(np.diff(take.rank, axis=1)[(take.rank[:, 1:] >= 0)
                                                                     & (take.rank[:, :-1] >= 0)])),
        "face_truth": face_owner, "hand_truth": hand_truth, "hands_pickle_frames": pickled,
        "model_file": str(resolve_model_file(model_file)), "seed": int(seed), "noise_scale": float(noise_scale),
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest))
    return manifest


__all__ = ["MultiPersonTake", "CAMERA_HEIGHT_M", "CAMERA_PITCH_DEG", "make_multi_person_take",
           "write_multi_person_demo"]
