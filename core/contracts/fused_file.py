"""The fused sequence file, ``*.fused.npz``, schema v1 (docs/ARCHITECTURE.md, file contracts): write, read, validate.

Only numpy arrays are stored, so files load with ``allow_pickle=False``. Every validation error names the file,
the field and, for per-frame values, the first bad frame.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..errors import FusedFileError
from ..fileio.atomic_write import save_npz_atomic
from ..fileio.safe_pickle import load_npz

SCHEMA = "smplx-fusion/1"
#: Schema 1.1 (world-grounded inputs): schema 1 plus the optional ``world_from_camera`` and ``world_up`` extras.
#: A file carrying them is written as 1.1; both names are read. Every schema-1 file stays valid.
SCHEMA_1_1 = "smplx-fusion/1.1"
READABLE_SCHEMAS = (SCHEMA, SCHEMA_1_1)
#: Schema 1.1 extras: (T, 4, 4) the camera's rigid pose in a gravity-aligned world per frame (a camera-frame point
#: x is ``R x + p`` there), and (3,) that world's unit up axis.
WORLD_FROM_CAMERA_KEY = "world_from_camera"
WORLD_UP_KEY = "world_up"
GENDERS = ("neutral", "male", "female")
PARTS = ("body", "face", "hands")


@dataclass
class FusedSequence:
    """One person's fused SMPL-X sequence, T frames. Shapes are the file contract.

    Attributes:
        fps: frames per second.
        gender: neutral, male or female.
        model_variant: e.g. ``smplx-v1.1``, ``smplx-2020``, ``procedural``.
        betas: (B,) one shape for the sequence.
        expression: (T, E).
        global_orient: (T, 3) axis-angle, camera frame.
        body_pose: (T, 21, 3) axis-angle.
        jaw_pose, leye_pose, reye_pose: (T, 3) axis-angle.
        left_hand_pose, right_hand_pose: (T, 15, 3) axis-angle relative to the **flat** hand.
        transl: (T, 3) metres, camera frame (OpenCV: x right, y down, z forward).
        camera_K: (T, 3, 3) or (3, 3) pinhole intrinsics in pixels.
        image_size: (2,) W, H in pixels.
        part_confidence: (T, 3) in [0, 1] for body, face, hands.
        valid: (T,) bool.
        provenance: JSON string naming each input and the conventions applied.
        extras: optional keys outside schema v1 (e.g. ``track_id``), kept as they were. Those with a meaning
            are checked (:data:`CHECKED_EXTRAS`): ``ground_plane`` (4,) (n, d) with n . x + d = 0 in the camera
            frame, n a unit normal pointing up (towards the body); ``contact_scores`` (T, 2) an estimator's
            left / right foot contact scores in [0, 1]; ``foot_contact`` (T, 2) bool, the locked contacts.
            Schema 1.1 (world-grounded inputs): ``world_from_camera`` (T, 4, 4) the camera's rigid pose in a
            gravity-aligned world per frame, ``world_up`` (3,) that world's unit up axis (the camera frame stays
            the frame of every schema-1 field).
    """

    fps: float
    gender: str
    model_variant: str
    betas: np.ndarray
    expression: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    jaw_pose: np.ndarray
    leye_pose: np.ndarray
    reye_pose: np.ndarray
    left_hand_pose: np.ndarray
    right_hand_pose: np.ndarray
    transl: np.ndarray
    camera_K: np.ndarray
    image_size: np.ndarray
    part_confidence: np.ndarray
    valid: np.ndarray
    provenance: str = "{}"
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.global_orient.shape[0])

    def camera_K_per_frame(self) -> np.ndarray:
        """(T, 3, 3) intrinsics, broadcasting a single (3, 3) matrix."""
        k = np.asarray(self.camera_K, dtype=np.float64)
        return np.broadcast_to(k, (self.num_frames, 3, 3)) if k.ndim == 2 else k

    def full_pose(self) -> np.ndarray:
        """(T, 55, 3) axis-angle in SMPL-X joint order (hands flat-relative)."""
        t = self.num_frames
        return np.concatenate([
            self.global_orient.reshape(t, 1, 3), self.body_pose.reshape(t, 21, 3),
            self.jaw_pose.reshape(t, 1, 3), self.leye_pose.reshape(t, 1, 3), self.reye_pose.reshape(t, 1, 3),
            self.left_hand_pose.reshape(t, 15, 3), self.right_hand_pose.reshape(t, 15, 3)], axis=1)


# (field, trailing shape after T or None when not per frame, kind)
_PER_FRAME: dict[str, tuple[int, ...]] = {
    "expression": (-1,), "global_orient": (3,), "body_pose": (21, 3), "jaw_pose": (3,),
    "leye_pose": (3,), "reye_pose": (3,), "left_hand_pose": (15, 3), "right_hand_pose": (15, 3),
    "transl": (3,), "part_confidence": (3,),
}
_STRING_FIELDS = ("gender", "model_variant", "provenance")
_ALL_FIELDS = [f.name for f in fields(FusedSequence) if f.name != "extras"]


def _fail(path: Optional[str], key: str, message: str, frame: Optional[int] = None) -> FusedFileError:
    return FusedFileError(message, path=path, field=key, frame=frame)


def _first_bad_frame(arr: np.ndarray) -> Optional[int]:
    bad = ~np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1)
    idx = np.flatnonzero(bad)
    return int(idx[0]) if idx.size else None


def validate(seq: FusedSequence, path: Optional[Union[str, Path]] = None) -> FusedSequence:
    """Check every field of ``seq`` against schema v1; returns it with arrays coerced to float64/bool.

    Raises :class:`FusedFileError` naming the field (and frame) of the first problem.
    """
    p = str(path) if path is not None else None
    if seq.gender not in GENDERS:
        raise _fail(p, "gender", f"expected one of {', '.join(GENDERS)}, found {_brief(str(seq.gender))}")
    if not (isinstance(seq.fps, (int, float, np.floating, np.integer)) and np.isfinite(seq.fps) and seq.fps > 0):
        raise _fail(p, "fps", f"expected a positive frame rate, found {_brief(seq.fps)}")
    t = np.asarray(seq.global_orient).shape[0] if np.asarray(seq.global_orient).ndim >= 1 else 0
    if t == 0:
        raise _fail(p, "global_orient", "the sequence has no frames")
    for key, trailing in _PER_FRAME.items():
        arr = np.asarray(getattr(seq, key))
        if arr.dtype.kind not in "iuf":
            raise _fail(p, key, f"expected numbers, found dtype {arr.dtype}")
        want_ndim = 1 + len(trailing)
        shape_ok = arr.ndim == want_ndim and arr.shape[0] == t and all(
            w == -1 or a == w for a, w in zip(arr.shape[1:], trailing))
        if not shape_ok:
            want = "(" + ", ".join([str(t)] + ["E" if w == -1 else str(w) for w in trailing]) + ")"
            raise _fail(p, key, f"expected shape {want}, found {tuple(arr.shape)}")
        arr = arr.astype(np.float64)
        bad = _first_bad_frame(arr)
        if bad is not None:
            raise _fail(p, key, "contains NaN or Inf", frame=bad)
        setattr(seq, key, arr)
    conf = seq.part_confidence
    if conf.min() < 0.0 or conf.max() > 1.0:
        frame = int(np.flatnonzero(((conf < 0) | (conf > 1)).any(axis=1))[0])
        raise _fail(p, "part_confidence", "values must lie in [0, 1]", frame=frame)
    betas = np.asarray(seq.betas)
    if betas.ndim != 1 or betas.shape[0] == 0 or betas.dtype.kind not in "iuf":
        raise _fail(p, "betas", f"expected shape (B,) of numbers, found {tuple(betas.shape)} {betas.dtype}")
    if not np.all(np.isfinite(betas)):
        raise _fail(p, "betas", "contains NaN or Inf")
    seq.betas = betas.astype(np.float64)
    k = np.asarray(seq.camera_K)
    if not (k.shape == (3, 3) or k.shape == (t, 3, 3)) or k.dtype.kind not in "iuf":
        raise _fail(p, "camera_K", f"expected shape (3, 3) or ({t}, 3, 3), found {tuple(k.shape)}")
    k = k.astype(np.float64)
    kf = k.reshape(-1, 3, 3)
    bad = _first_bad_frame(kf)
    if bad is not None:
        raise _fail(p, "camera_K", "contains NaN or Inf", frame=bad if k.ndim == 3 else None)
    nonpos = np.flatnonzero((kf[:, 0, 0] <= 0) | (kf[:, 1, 1] <= 0))
    if nonpos.size:
        raise _fail(p, "camera_K", "focal lengths must be positive", frame=int(nonpos[0]) if k.ndim == 3 else None)
    seq.camera_K = k
    size = np.asarray(seq.image_size)
    if size.shape != (2,) or size.dtype.kind not in "iuf" or not np.all(np.isfinite(size)) or np.any(size <= 0):
        raise _fail(p, "image_size", f"expected (2,) positive W, H, found {_brief(size)}")
    seq.image_size = size.astype(np.float64)
    valid = np.asarray(seq.valid)
    if valid.shape != (t,):
        raise _fail(p, "valid", f"expected shape ({t},), found {tuple(valid.shape)}")
    if valid.dtype != np.bool_:
        if valid.dtype.kind not in "iuf" or not np.all(np.isin(valid, (0, 1))):
            raise _fail(p, "valid", f"expected booleans, found dtype {valid.dtype}")
        valid = valid.astype(bool)
    seq.valid = valid
    _validate_extras(seq, p, t)
    try:
        json.loads(seq.provenance)
    except (TypeError, ValueError) as exc:
        raise _fail(p, "provenance", f"not a JSON string ({exc})") from None
    return seq


#: Extras key of the per-frame expert weights (T, 4): body, face, left hand, right hand (written by
#: :func:`core.fusion.pipeline.fuse`, read by :mod:`core.validate`; optional).
PART_WEIGHTS_KEY = "part_weights"
#: Extras key (bool, shape ()) saying whether ``image_size`` is the footage's real size (True) or a placeholder
#: because no input said it (False; issue 20). Absent: known, unless the provenance records the old guess.
IMAGE_SIZE_KNOWN_KEY = "image_size_known"
#: Optional extras whose layout is checked (grounding, issue 11; issue 20); a file without them stays valid.
CHECKED_EXTRAS = ("ground_plane", "contact_scores", "foot_contact", IMAGE_SIZE_KNOWN_KEY, "track_id")


def image_size_known(seq: FusedSequence) -> bool:
    """Whether ``seq.image_size`` is the footage's real size: the :data:`IMAGE_SIZE_KNOWN_KEY` extra when present;
    else False only for files whose provenance records the size guessed from the principal point (before issue 20)."""
    if IMAGE_SIZE_KNOWN_KEY in seq.extras:
        return bool(np.asarray(seq.extras[IMAGE_SIZE_KNOWN_KEY]))
    try:
        prov = json.loads(seq.provenance or "{}")
    except ValueError:
        return True
    return not (isinstance(prov, dict) and prov.get("image_size_source") == "principal point x 2")


def _validate_extras(seq: FusedSequence, p: Optional[str], t: int) -> None:
    """Check the optional extras of :data:`CHECKED_EXTRAS` that ``seq`` carries (coerced in place)."""
    if "ground_plane" in seq.extras:
        plane = np.asarray(seq.extras["ground_plane"])
        if plane.shape != (4,) or plane.dtype.kind not in "iuf":
            raise _fail(p, "ground_plane", f"expected shape (4,) (nx, ny, nz, d), found {_brief(plane)}")
        plane = plane.astype(np.float64)
        if not np.all(np.isfinite(plane)):
            raise _fail(p, "ground_plane", "contains NaN or Inf")
        if abs(float(np.linalg.norm(plane[:3])) - 1.0) > 1e-3:
            raise _fail(p, "ground_plane", f"the normal must have unit length, found {np.linalg.norm(plane[:3]):.4g}")
        seq.extras["ground_plane"] = plane
    if "contact_scores" in seq.extras:
        scores = np.asarray(seq.extras["contact_scores"])
        if scores.shape != (t, 2) or scores.dtype.kind not in "iuf":
            raise _fail(p, "contact_scores", f"expected shape ({t}, 2) of numbers, found {_brief(scores)}")
        scores = scores.astype(np.float64)
        bad = _first_bad_frame(scores)
        if bad is not None:
            raise _fail(p, "contact_scores", "contains NaN or Inf", frame=bad)
        outside = np.flatnonzero(((scores < 0) | (scores > 1)).any(axis=1))
        if outside.size:
            raise _fail(p, "contact_scores", "values must lie in [0, 1]", frame=int(outside[0]))
        seq.extras["contact_scores"] = scores
    if "foot_contact" in seq.extras:
        contact = np.asarray(seq.extras["foot_contact"])
        if contact.shape != (t, 2) or contact.dtype != np.bool_:
            raise _fail(p, "foot_contact", f"expected shape ({t}, 2) of booleans, found {_brief(contact)}")
    _validate_world(seq, p, t)
    if "track_id" in seq.extras:  # several people in one clip: <stem>.person<ID>.fused.npz (issue 18)
        track = np.asarray(seq.extras["track_id"])
        if track.shape != () or track.dtype.kind not in "iu":
            raise _fail(p, "track_id", f"expected one integer, found {_brief(track)}")
        seq.extras["track_id"] = track.astype(np.int64)
    if IMAGE_SIZE_KNOWN_KEY in seq.extras:
        known = np.asarray(seq.extras[IMAGE_SIZE_KNOWN_KEY])
        if known.shape != () or known.dtype != np.bool_:
            raise _fail(p, IMAGE_SIZE_KNOWN_KEY, f"expected one boolean, found {_brief(known)}")


def _validate_world(seq: FusedSequence, p: Optional[str], t: int) -> None:
    """Schema 1.1's optional ``world_from_camera`` (T, 4, 4) rigid transforms and ``world_up`` (3,) unit vector."""
    if WORLD_FROM_CAMERA_KEY in seq.extras:
        world = np.asarray(seq.extras[WORLD_FROM_CAMERA_KEY])
        if world.shape != (t, 4, 4) or world.dtype.kind not in "iuf":
            raise _fail(p, WORLD_FROM_CAMERA_KEY, f"expected shape ({t}, 4, 4) of numbers, found {_brief(world)}")
        world = world.astype(np.float64)
        bad = _first_bad_frame(world)
        if bad is not None:
            raise _fail(p, WORLD_FROM_CAMERA_KEY, "contains NaN or Inf", frame=bad)
        rot = world[:, :3, :3]
        err = np.abs(rot @ np.swapaxes(rot, 1, 2) - np.eye(3)).max(axis=(1, 2))
        err = np.maximum(err, np.abs(np.linalg.det(rot) - 1.0))
        err = np.maximum(err, np.abs(world[:, 3] - np.array([0.0, 0.0, 0.0, 1.0])).max(axis=1))
        if (err > 1e-4).any():
            raise _fail(p, WORLD_FROM_CAMERA_KEY, "not a rigid transform (rotation, translation, last row 0 0 0 1)",
                        frame=int(np.flatnonzero(err > 1e-4)[0]))
        seq.extras[WORLD_FROM_CAMERA_KEY] = world
    if WORLD_UP_KEY in seq.extras:
        up = np.asarray(seq.extras[WORLD_UP_KEY])
        if up.shape != (3,) or up.dtype.kind not in "iuf" or not np.all(np.isfinite(up)) or \
                abs(float(np.linalg.norm(up)) - 1.0) > 1e-3:
            raise _fail(p, WORLD_UP_KEY, f"expected a unit vector of shape (3,), found {_brief(up)}")
        seq.extras[WORLD_UP_KEY] = up.astype(np.float64)


def to_arrays(seq: FusedSequence) -> dict[str, np.ndarray]:
    """The npz payload for ``seq`` (validated first); schema 1.1 when it carries ``world_from_camera``."""
    validate(seq)
    out: dict[str, np.ndarray] = {"schema": np.array(SCHEMA_1_1 if WORLD_FROM_CAMERA_KEY in seq.extras else SCHEMA)}
    for name in _ALL_FIELDS:
        value = getattr(seq, name)
        if name in _STRING_FIELDS:
            out[name] = np.array(str(value))
        elif name == "fps":
            out[name] = np.array(float(value))
        else:
            out[name] = np.asarray(value)
    for key, value in seq.extras.items():
        if key in out:
            raise _fail(None, key, "an extra key shadows a schema v1 field")
        out[key] = np.asarray(value)
    return out


def write_fused(path: Union[str, Path], seq: FusedSequence) -> Path:
    """Validate ``seq`` and write it to ``path`` atomically (:func:`core.fileio.atomic_write.save_npz_atomic`)."""
    return save_npz_atomic(path, to_arrays(seq))


def _brief(value: Any) -> str:
    """A value for a one-line message: a few numbers, or its shape and dtype."""
    arr = np.asarray(value) if not isinstance(value, str) else None
    if arr is None:
        return repr(value[:40] + ("..." if len(value) > 40 else ""))
    if arr.size <= 4 and arr.dtype.kind in "biuf":
        return str(arr.tolist())
    return f"an array of shape {tuple(arr.shape)} and dtype {arr.dtype}"


def _scalar_string(data: Any, key: str, path: str) -> str:
    arr = data[key]
    if not isinstance(arr, np.ndarray) or arr.shape != () or arr.dtype.kind not in "US":
        raise _fail(path, key, f"expected a string, found {_brief(arr)}")
    return str(arr.item())


def read_fused(path: Union[str, Path]) -> FusedSequence:
    """Read and validate a fused file. Raises :class:`FusedFileError` on anything off-contract.

    Members are read by :func:`core.fileio.safe_pickle.load_npz` without pickle: each array header is checked against
    the bytes that follow before anything is allocated, and each member is streamed into its array.
    """
    p = str(path)
    data = load_npz(path, error=FusedFileError, allow_objects=False)
    keys = set(data)
    missing = [k for k in ["schema"] + _ALL_FIELDS if k not in keys]
    if missing:
        raise _fail(p, missing[0], "missing key" + (f" (also missing: {', '.join(missing[1:])})"
                                                    if len(missing) > 1 else ""))
    values: dict[str, Any] = {}
    schema = _scalar_string(data, "schema", p)
    if schema not in READABLE_SCHEMAS:
        raise _fail(p, "schema", f"expected '{SCHEMA}' or '{SCHEMA_1_1}', found {_brief(schema)}")
    for name in _ALL_FIELDS:
        if name in _STRING_FIELDS:
            values[name] = _scalar_string(data, name, p)
        elif name == "fps":
            fps = data[name]
            if fps.shape != () or fps.dtype.kind not in "iuf":
                raise _fail(p, "fps", f"expected a number, found {_brief(fps)}")
            values[name] = float(fps)
        else:
            values[name] = data[name]
    extras = {k: data[k] for k in sorted(keys - set(_ALL_FIELDS) - {"schema"})}
    seq = FusedSequence(**values, extras=extras)
    return validate(seq, path=p)
