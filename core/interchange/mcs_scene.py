"""Meshcapade scenes, ``.mcs``: glTF 2.0 JSON whose scene extension ``MC_scene_description`` lists the bodies
(``smpl_bodies``: each a ``.smpl`` file in a buffer, with ``frame_presence`` [first, end) in scene frames) and whose
node ``AnimatedCamera`` carries a perspective camera and its per-frame translation and rotation.

Conventions (smplcodec ``mcs.py``, ``CameraPose.to_gltf_pose`` and ``MCSExporter``):

* the world is y up, metres, the bodies' ``.smpl`` world;
* the camera node's transform is the camera's pose in the world in glTF camera axes (looking down -z, y up), so
  the OpenCV camera's pose is ``R_node @ diag(1, -1, -1)`` at the node's translation;
* the camera is animated by LINEAR samplers keyed at ``frame / frame_rate`` seconds (``TimeAccessor``), float32;
* intrinsics are ``yfov`` and ``aspectRatio`` only; smplcodec derives them from a focal length f and a principal
  point (cx, cy) as ``yfov = 2 atan(cy / f)``, ``aspectRatio = cx / cy`` (image 2cx x 2cy). Our writer adds the
  image size and K under the camera's ``extras.smplx_fusion``; without it the reader takes a 1080-pixel-high image.

Reading parses the glTF here (accessors, samplers, data URIs) and decodes each body with smplcodec
(:func:`.smpl_file.read_smpl`); writing goes through ``smplcodec.mcs.SceneExporter.export_animated_scene``.
"""
from __future__ import annotations

import base64
import binascii
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from ..fileio.atomic_write import write_text_atomically
from .errors import InterchangeFileError
from .smpl_file import codec_from_world_body, read_smpl
from .world_body import WorldBody
from .world_frame import CV_TO_GL

CAMERA_NODE = "AnimatedCamera"
EXTENSION = "MC_scene_description"
OUR_EXTRAS = "smplx_fusion"
#: Image height assumed for a scene that gives only the field of view.
DEFAULT_IMAGE_HEIGHT = 1080.0
_MAX_FRAMES = 10_000_000
_FLOAT = 5126


@dataclass
class McsBody:
    """One body of a scene: its parameters and the scene frames it is in, ``frame_presence`` = [first, end)."""

    body: WorldBody
    frame_presence: tuple[int, int]


@dataclass
class McsScene:
    """A Meshcapade scene: N frames, its bodies and one camera.

    Attributes:
        num_frames: N, scene frames.
        fps: frames per second (the bodies' ``frameRate``, else the camera's key times).
        bodies: the bodies with their frame ranges.
        world_from_camera: (N, 4, 4) the OpenCV camera's pose in the y-up world per scene frame.
        camera_K: (3, 3) intrinsics in pixels of ``image_size``.
        image_size: (2,) W, H in pixels.
        notes: what the reader assumed.
    """

    num_frames: int
    fps: float
    bodies: list[McsBody]
    world_from_camera: np.ndarray
    camera_K: np.ndarray
    image_size: np.ndarray
    notes: list[str] = field(default_factory=list)


# ============================================================================================== reading

def _fail(path: Union[str, Path], where: str, message: str, frame: Optional[int] = None) -> InterchangeFileError:
    return InterchangeFileError(message, path=path, field=where, frame=frame)


def _get(obj: Any, key: Any, kind: type, path: Union[str, Path], where: str, default: Any = ...) -> Any:
    """``obj[key]`` of type ``kind`` (int excludes bool; float accepts int), else an error naming ``where``."""
    try:
        value = obj[key]
    except (KeyError, IndexError, TypeError):
        if default is not ...:
            return default
        raise _fail(path, where, "missing") from None
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise _fail(path, where, f"expected {kind.__name__}, found {type(value).__name__}")
    if kind is float and not np.isfinite(value):
        raise _fail(path, where, f"expected a finite number, found {value!r}")
    return value


def _buffer_bytes(gltf: dict, index: int, path: Path, where: str) -> bytes:
    buffers = _get(gltf, "buffers", list, path, "buffers")
    buf = _get(buffers, index, dict, path, f"{where}.buffer")
    uri = _get(buf, "uri", str, path, f"buffers[{index}].uri")
    if uri.startswith("data:"):
        head, _, payload = uri.partition(",")
        if not head.endswith(";base64"):
            raise _fail(path, f"buffers[{index}].uri", "only base64 data URIs are read")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise _fail(path, f"buffers[{index}].uri", "not valid base64") from None
    target = (path.parent / uri).resolve()
    if path.parent.resolve() not in target.parents:
        raise _fail(path, f"buffers[{index}].uri", "an external buffer must sit in the scene's folder")
    try:
        return target.read_bytes()
    except OSError as exc:
        raise _fail(path, f"buffers[{index}].uri", f"cannot read {uri!r} ({exc.strerror or exc})") from None


def _view_bytes(gltf: dict, index: Any, path: Path, where: str) -> tuple[bytes, int]:
    """(bytes of bufferView ``index``, its byteStride or 0)."""
    views = _get(gltf, "bufferViews", list, path, "bufferViews")
    if not isinstance(index, int) or isinstance(index, bool):
        raise _fail(path, where, f"expected a bufferView index, found {index!r}")
    view = _get(views, index, dict, path, f"bufferViews[{index}]")
    vw = f"bufferViews[{index}]"
    data = _buffer_bytes(gltf, _get(view, "buffer", int, path, f"{vw}.buffer"), path, vw)
    offset = _get(view, "byteOffset", int, path, f"{vw}.byteOffset", 0)
    length = _get(view, "byteLength", int, path, f"{vw}.byteLength")
    if offset < 0 or length < 0 or offset + length > len(data):
        raise _fail(path, vw, f"bytes {offset}..{offset + length} lie outside a buffer of {len(data)}")
    stride = _get(view, "byteStride", int, path, f"{vw}.byteStride", 0)
    return data[offset:offset + length], stride


def _accessor(gltf: dict, index: Any, width: int, path: Path, where: str) -> np.ndarray:
    """Float accessor ``index`` as (count, width) float64 (SCALAR width 1, VEC3 3, VEC4 4)."""
    accessors = _get(gltf, "accessors", list, path, "accessors")
    if not isinstance(index, int) or isinstance(index, bool):
        raise _fail(path, where, f"expected an accessor index, found {index!r}")
    acc = _get(accessors, index, dict, path, f"accessors[{index}]")
    aw = f"accessors[{index}]"
    if _get(acc, "componentType", int, path, f"{aw}.componentType") != _FLOAT:
        raise _fail(path, f"{aw}.componentType", "expected 5126 (float)")
    want = {1: "SCALAR", 3: "VEC3", 4: "VEC4"}[width]
    if _get(acc, "type", str, path, f"{aw}.type") != want:
        raise _fail(path, f"{aw}.type", f"expected {want}")
    count = _get(acc, "count", int, path, f"{aw}.count")
    if not 1 <= count <= _MAX_FRAMES:
        raise _fail(path, f"{aw}.count", f"expected 1..{_MAX_FRAMES}, found {count}")
    data, stride = _view_bytes(gltf, _get(acc, "bufferView", int, path, f"{aw}.bufferView"), path, aw)
    offset = _get(acc, "byteOffset", int, path, f"{aw}.byteOffset", 0)
    stride = stride or 4 * width
    if offset < 0 or stride < 4 * width or offset + stride * (count - 1) + 4 * width > len(data):
        raise _fail(path, aw, f"{count} x {want} do not fit in their bufferView of {len(data)} bytes")
    rows = np.ndarray((count, width), dtype="<f4", buffer=data, offset=offset, strides=(stride, 4))
    out = rows.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise _fail(path, aw, "contains NaN or Inf", frame=int(np.argwhere(~np.isfinite(out))[0][0]))
    return out


def _quaternion(values: Any, path: Path, where: str) -> np.ndarray:
    q = np.asarray(values, dtype=np.float64).reshape(-1, 4)
    norm = np.linalg.norm(q, axis=1)
    if not np.all(np.isfinite(q)) or np.any(norm < 1e-6):
        raise _fail(path, where, "expected unit quaternions (x, y, z, w)")
    return q / norm[:, None]


def _node_static(node: dict, path: Path, where: str) -> np.ndarray:
    """(4, 4) a node's local transform from ``matrix`` or ``translation`` / ``rotation`` (scale must be 1)."""
    out = np.eye(4)
    if "matrix" in node:
        m = node["matrix"]
        if not (isinstance(m, list) and len(m) == 16 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                            for v in m)):
            raise _fail(path, f"{where}.matrix", "expected 16 numbers")
        out = np.asarray(m, dtype=np.float64).reshape(4, 4).T  # glTF matrices are column-major
        if not np.all(np.isfinite(out)) or not np.allclose(out[:3, :3] @ out[:3, :3].T, np.eye(3), atol=1e-4):
            raise _fail(path, f"{where}.matrix", "expected a rigid transform (rotation and translation)")
        return out
    out[:3, 3] = _vector(node.get("translation", [0.0, 0.0, 0.0]), 3, path, f"{where}.translation")
    quat = _vector(node.get("rotation", [0.0, 0.0, 0.0, 1.0]), 4, path, f"{where}.rotation")
    out[:3, :3] = Rotation.from_quat(_quaternion(quat, path, f"{where}.rotation")).as_matrix()[0]
    scale = _vector(node.get("scale", [1.0, 1.0, 1.0]), 3, path, f"{where}.scale")
    if not np.allclose(scale, 1.0, atol=1e-6):
        raise _fail(path, f"{where}.scale", "a scaled camera is not a camera pose")
    return out


def _vector(value: Any, n: int, path: Path, where: str) -> np.ndarray:
    if not (isinstance(value, list) and len(value) == n and
            all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise _fail(path, where, f"expected {n} numbers")
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 1e9):
        raise _fail(path, where, "expected finite numbers")
    return arr


def _camera_node(gltf: dict, path: Path) -> tuple[int, dict]:
    nodes = _get(gltf, "nodes", list, path, "nodes")
    with_camera = [(i, n) for i, n in enumerate(nodes) if isinstance(n, dict) and "camera" in n]
    named = [(i, n) for i, n in with_camera if n.get("name") == CAMERA_NODE]
    if not (named or with_camera):
        raise _fail(path, "nodes", f"no camera node (expected one named {CAMERA_NODE!r})")
    return (named or with_camera)[0]


def _parent_transform(gltf: dict, index: int, path: Path) -> np.ndarray:
    """(4, 4) the static transform of the node's ancestors (root first)."""
    nodes = gltf["nodes"]
    parents = {c: i for i, n in enumerate(nodes) if isinstance(n, dict)
               for c in (n.get("children") if isinstance(n.get("children"), list) else [])
               if isinstance(c, int) and not isinstance(c, bool)}
    out, seen, current = np.eye(4), {index}, index
    while current in parents:
        current = parents[current]
        if current in seen:
            raise _fail(path, f"nodes[{current}].children", "the node tree has a cycle")
        seen.add(current)
        out = _node_static(nodes[current], path, f"nodes[{current}]") @ out
    return out


def _camera_track(gltf: dict, node_index: int, path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'translation' | 'rotation': (key times (K,), values (K, 3 | 4))} of the camera node's animation."""
    tracks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    animations = _get(gltf, "animations", list, path, "animations", [])
    for a, anim in enumerate(animations):
        aw = f"animations[{a}]"
        if not isinstance(anim, dict):
            raise _fail(path, aw, "expected an object")
        samplers = _get(anim, "samplers", list, path, f"{aw}.samplers", [])
        for c, channel in enumerate(_get(anim, "channels", list, path, f"{aw}.channels", [])):
            cw = f"{aw}.channels[{c}]"
            target = _get(channel, "target", dict, path, f"{cw}.target")
            if target.get("node") != node_index or target.get("path") not in ("translation", "rotation"):
                continue
            kind = target["path"]
            sampler = _get(samplers, _get(channel, "sampler", int, path, f"{cw}.sampler"), dict, path,
                           f"{aw}.samplers")
            interpolation = _get(sampler, "interpolation", str, path, f"{aw}.samplers.interpolation", "LINEAR")
            if interpolation not in ("LINEAR", "STEP"):
                raise _fail(path, f"{aw}.samplers.interpolation", f"{interpolation} is not read (LINEAR, STEP)")
            times = _accessor(gltf, sampler.get("input"), 1, path, f"{aw}.samplers.input")[:, 0]
            values = _accessor(gltf, sampler.get("output"), 3 if kind == "translation" else 4, path,
                               f"{aw}.samplers.output")
            if values.shape[0] != times.shape[0]:
                raise _fail(path, f"{aw}.samplers", f"{times.shape[0]} key times but {values.shape[0]} values")
            if np.any(np.diff(times) <= 0):
                raise _fail(path, f"{aw}.samplers.input", "key times must increase",
                            frame=int(np.flatnonzero(np.diff(times) <= 0)[0]) + 1)
            if kind == "rotation":
                values = _quaternion(values, path, f"{aw}.samplers.output")
            tracks[kind] = (times, values)
    return tracks


def _sample(track: tuple[np.ndarray, np.ndarray], times: np.ndarray, kind: str) -> np.ndarray:
    keys, values = track
    if keys.shape[0] == 1:
        return np.repeat(values, times.shape[0], axis=0)
    clipped = np.clip(times, keys[0], keys[-1])
    if kind == "translation":
        return np.stack([np.interp(clipped, keys, values[:, i]) for i in range(3)], axis=1)
    return Slerp(keys, Rotation.from_quat(values))(clipped).as_quat()


def read_mcs(path: Union[str, Path], default_fps: float = 30.0) -> McsScene:
    """Read a ``.mcs`` scene: every body (through smplcodec) and the camera per scene frame.

    Raises :class:`InterchangeFileError` naming the file and the glTF field (``smpl_bodies[i].<key>`` for a body).
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise _fail(path, None, "file not found") from None
    except OSError as exc:
        raise _fail(path, None, f"cannot read it ({exc.strerror or exc})") from None
    try:
        gltf = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _fail(path, None, f"not glTF JSON ({' '.join(str(exc).split())[:120]})") from None
    if not isinstance(gltf, dict):
        raise _fail(path, None, "not a glTF object")
    scenes = _get(gltf, "scenes", list, path, "scenes")
    scene_index = _get(gltf, "scene", int, path, "scene", 0)
    scene = _get(scenes, scene_index, dict, path, f"scenes[{scene_index}]")
    ext = _get(_get(scene, "extensions", dict, path, "scenes.extensions"), EXTENSION, dict, path, EXTENSION)
    num_frames = _get(ext, "num_frames", int, path, f"{EXTENSION}.num_frames")
    if not 1 <= num_frames <= _MAX_FRAMES:
        raise _fail(path, f"{EXTENSION}.num_frames", f"expected 1..{_MAX_FRAMES}, found {num_frames}")
    notes: list[str] = []
    entries = _get(ext, "smpl_bodies", list, path, f"{EXTENSION}.smpl_bodies")
    with tempfile.TemporaryDirectory(prefix="mcs_bodies_") as tmp:  # each body's .smpl, read through smplcodec
        bodies = [_read_body(gltf, entry, i, num_frames, path, default_fps, notes, Path(tmp))
                  for i, entry in enumerate(entries)]
    fps = bodies[0].body.fps if bodies else default_fps
    node_index, node = _camera_node(gltf, path)
    world_from_camera, k, size = _read_camera(gltf, node_index, node, num_frames, fps, path, notes)
    return McsScene(num_frames=num_frames, fps=fps, bodies=bodies, world_from_camera=world_from_camera,
                    camera_K=k, image_size=size, notes=notes)


def _read_body(gltf: dict, entry: Any, i: int, num_frames: int, path: Path, default_fps: float,
               notes: list[str], folder: Path) -> McsBody:
    where = f"smpl_bodies[{i}]"
    if not isinstance(entry, dict):
        raise _fail(path, where, "expected an object")
    presence = entry.get("frame_presence")
    if not (isinstance(presence, list) and len(presence) == 2 and
            all(isinstance(v, int) and not isinstance(v, bool) for v in presence)):
        raise _fail(path, f"{where}.frame_presence", f"expected [first, end] frame numbers, found {presence!r}"[:160])
    first, end = presence
    if not 0 <= first < end <= num_frames:
        raise _fail(path, f"{where}.frame_presence", f"expected 0 <= first < end <= {num_frames}, found {presence}")
    data, _ = _view_bytes(gltf, entry.get("bufferView"), path, f"{where}.bufferView")
    body_path = folder / f"body{i}.smpl"
    body_path.write_bytes(data)
    try:
        body = read_smpl(body_path, default_fps)
    except InterchangeFileError as exc:
        raise InterchangeFileError(exc.problem, path=path, field=f"{where}.{exc.field or 'buffer'}",
                                   frame=exc.frame) from None
    span = end - first
    if body.num_frames != span:
        keep = min(span, body.num_frames)
        notes.append(f"{where}: {body.num_frames} body frames for frame_presence {presence}; "
                     f"frames {first}..{first + keep - 1} used")
        body = _first_frames(body, keep)
        end = first + keep
    return McsBody(body=body, frame_presence=(first, end))


def _first_frames(body: WorldBody, n: int) -> WorldBody:
    per_frame = ("expression", "global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose",
                 "left_hand_pose", "right_hand_pose", "transl")
    values = {k: getattr(body, k)[:n] for k in per_frame}
    return WorldBody(fps=body.fps, gender=body.gender, betas=body.betas, notes=list(body.notes), **values)


def _read_camera(gltf: dict, node_index: int, node: dict, num_frames: int, fps: float, path: Path,
                 notes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cameras = _get(gltf, "cameras", list, path, "cameras")
    camera = _get(cameras, _get(node, "camera", int, path, f"nodes[{node_index}].camera"), dict, path, "cameras")
    if camera.get("type") != "perspective":
        raise _fail(path, "cameras.type", f"expected 'perspective', found {camera.get('type')!r}"[:120])
    persp = _get(camera, "perspective", dict, path, "cameras.perspective")
    yfov = _get(persp, "yfov", float, path, "cameras.perspective.yfov")
    if not 1e-4 < yfov < np.pi - 1e-4:
        raise _fail(path, "cameras.perspective.yfov", f"expected 0 < yfov < pi, found {yfov!r}")
    aspect = _get(persp, "aspectRatio", float, path, "cameras.perspective.aspectRatio", 16.0 / 9.0)
    if not 1e-3 < aspect < 1e3:
        raise _fail(path, "cameras.perspective.aspectRatio", f"expected a positive ratio, found {aspect!r}")
    ours = camera.get("extras", {}).get(OUR_EXTRAS) if isinstance(camera.get("extras"), dict) else None
    k_ours = None
    if isinstance(ours, dict):
        size = _vector(ours.get("image_size"), 2, path, f"cameras.extras.{OUR_EXTRAS}.image_size")
        k_ours = _vector(ours.get("camera_K"), 9, path, f"cameras.extras.{OUR_EXTRAS}.camera_K").reshape(3, 3)
        if np.any(size <= 0) or k_ours[0, 0] <= 0 or k_ours[1, 1] <= 0:
            raise _fail(path, f"cameras.extras.{OUR_EXTRAS}", "expected a positive image size and focal lengths")
    else:
        size = np.array([DEFAULT_IMAGE_HEIGHT * aspect, DEFAULT_IMAGE_HEIGHT])
        notes.append(f"camera: yfov and aspect only; a {size[0]:.0f} x {size[1]:.0f} image assumed")
    f = (size[1] / 2.0) / np.tan(yfov / 2.0)
    k = k_ours if k_ours is not None else np.array([[f, 0.0, size[0] / 2], [0.0, f, size[1] / 2], [0.0, 0.0, 1.0]])
    local = np.tile(_node_static(node, path, f"nodes[{node_index}]"), (num_frames, 1, 1))
    tracks = _camera_track(gltf, node_index, path)
    times = np.arange(num_frames) / fps
    if "translation" in tracks:
        local[:, :3, 3] = _sample(tracks["translation"], times, "translation")
    if "rotation" in tracks:
        local[:, :3, :3] = Rotation.from_quat(_sample(tracks["rotation"], times, "rotation")).as_matrix()
    if np.any(np.abs(local[:, :3, 3]) > 1e9):
        raise _fail(path, f"nodes[{node_index}].translation", "expected finite camera positions")
    pose = np.einsum("ij,tjk->tik", _parent_transform(gltf, node_index, path), local)
    pose[:, :3, :3] = pose[:, :3, :3] @ CV_TO_GL  # glTF camera axes -> OpenCV camera axes
    return pose, k, size


# ============================================================================================== writing

def write_mcs(path: Union[str, Path], scene: McsScene) -> Path:
    """Write ``scene`` as a ``.mcs`` file through ``smplcodec.mcs.SceneExporter`` (atomically), adding the image
    size and K under the camera's ``extras.smplx_fusion`` so that our reader gets the intrinsics back exactly."""
    from smplcodec.mcs import CameraIntrinsics, CameraPose, SceneExporter

    path = Path(path)
    w, h = (float(v) for v in scene.image_size)
    fy = float(scene.camera_K[1, 1])
    intrinsics = CameraIntrinsics(focal_length=fy, principal_point=(w / 2.0, h / 2.0))
    poses = []
    for pose in np.asarray(scene.world_from_camera, dtype=np.float64):
        rot_cw = pose[:3, :3].T  # world -> camera rotation (OpenCV), what CameraPose takes
        poses.append(CameraPose(rot_cw, -rot_cw @ pose[:3, 3]))
    codecs = [codec_from_world_body(b.body) for b in scene.bodies]
    presences = [[int(b.frame_presence[0]), int(b.frame_presence[1])] for b in scene.bodies]
    with tempfile.TemporaryDirectory(prefix="mcs_write_") as tmp:
        staged = Path(tmp) / "scene.mcs"
        SceneExporter().export_animated_scene(codecs, presences, staged, scene.num_frames, float(scene.fps),
                                              intrinsics, poses)
        gltf = json.loads(staged.read_text(encoding="utf-8"))
    camera = gltf["cameras"][0]
    camera.setdefault("extras", {})[OUR_EXTRAS] = {
        "image_size": [w, h], "camera_K": [float(v) for v in np.asarray(scene.camera_K, dtype=np.float64).ravel()]}
    gltf["asset"]["generator"] = gltf["asset"].get("generator", "") + " (via SMPL-X Fusion)"
    return write_text_atomically(path, json.dumps(gltf, indent=1))


__all__ = ["CAMERA_NODE", "EXTENSION", "McsBody", "McsScene", "read_mcs", "write_mcs"]
