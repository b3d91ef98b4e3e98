"""Recognise an estimator output from its path and keys, and read it with the right reader.

``read_body`` / ``read_face`` / ``read_hands`` take a file or a folder; :func:`detect_format` names the format,
and a path matching none raises :class:`EstimatorInputError` listing every supported format.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

from ..contracts.estimates import BodyEstimate, FaceEstimate, HandDetections
from .amass import read_amass
from .array_checks import key_list
from .emoca import is_codes_folder, read_emoca, read_emoca_faces
from .expose import PARAMS_SUFFIX as EXPOSE_SUFFIX
from .expose import SIGNATURE as EXPOSE_SIGNATURE
from .expose import is_expose_file, read_expose
from .input_errors import EstimatorInputError
from .loaders import ARRAY_SUFFIXES, load_any
from .phalp import is_phalp_file, read_phalp, read_phalp_people
from .pixie import PARAM_SUFFIX, read_pixie
from .smplerx import (
    SMPLERX_SIGNATURE,
    SMPLESTX_SIGNATURE,
    read_smplerx,
    read_smplerx_people,
    read_smplestx,
    read_smplestx_people,
)
from .wilor import is_wilor_mapping, read_wilor
from .world.detect import WORLD_FORMAT_HINTS, WORLD_FORMATS, read_world_bodies, read_world_body, world_format

PathLike = Union[str, Path]

#: Every format the readers know, with what it looks like on disk.
FORMATS: dict[str, str] = {
    "smpler-x": "SMPLer-X output: a folder with smplx/{frame:05}_{bbox_id}.npz and meta/*.json, the smplx/ folder, "
                "or one per-person npz (global_orient, body_pose, left/right_hand_pose, jaw/leye/reye_pose, betas, "
                "expression, transl)",
    "smplest-x": "SMPLest-X output dict (smplx_root_pose, smplx_body_pose, smplx_lhand_pose, smplx_rhand_pose, "
                 "smplx_jaw_pose, smplx_shape, smplx_expr, cam_trans) as npz/pkl, batched or one file per frame",
    "pixie": "PIXIE *_param.pkl (global_pose, body_pose, ..., body_cam, bbox), or a folder of "
             "<name>/<name>_param.pkl",
    "amass": "AMASS-style npz: poses (T,165 or 156), trans, betas, gender, mocap_frame_rate; or split keys "
             "root_orient, pose_body, pose_jaw, pose_eye, pose_hand",
    "expose": "ExPose demo.py --save-params output: <image>_params.npz (rotation matrices, betas, expression, "
              "transl, center, focal_length_in_px, joints, proj_joints), or a folder of <image>/<image>_params.npz",
    "phalp": "4D-Humans / PHALP tracking results: the joblib .pkl keyed by frame path, per frame parallel lists "
             "tid, bbox, smpl (SMPL rotation matrices), camera, tracked_time",
    "emoca": "EMOCA save_codes folders (shape.npy, exp.npy, pose.npy, ...) or a codes dict (shapecode, expcode, "
             "posecode, cam) as npz/pkl, batched or one file per frame",
    "wilor": "WiLoR / HaMeR dumps (pred_mano_params {global_orient, hand_pose, betas}, pred_cam, is_right, "
             "box_center, box_size) as npz/pkl, per frame, per crop or batched",
}
FORMATS.update(WORLD_FORMATS)  # world-grounded bodies with a camera trajectory (core/io/world)
BODY_FORMATS = ("smpler-x", "smplest-x", "pixie", "amass", "expose", "phalp") + tuple(WORLD_FORMATS)
FACE_FORMATS = ("emoca",)
HAND_FORMATS = ("wilor",)


#: What gives each format away, for one-line error messages (the full descriptions are in :data:`FORMATS`).
FORMAT_HINTS: dict[str, str] = {
    "smpler-x": "smplx/<frame>_<id>.npz + meta/*.json",
    "smplest-x": "smplx_root_pose, smplx_body_pose, ...",
    "pixie": "<name>_param.pkl",
    "amass": "poses + trans, or root_orient + pose_body",
    "expose": "<image>_params.npz with focal_length_in_px + proj_joints",
    "phalp": "results/<video>.pkl with tid + smpl per frame",
    "emoca": "save_codes folders or expcode + posecode",
    "wilor": "pred_mano_params + pred_cam",
    **WORLD_FORMAT_HINTS,
}


def _format_list() -> str:
    return ", ".join(f"{name} ({FORMAT_HINTS[name]})" for name in FORMATS) + " (details: core.io.FORMATS)"


def format_of_mapping(data: Mapping[str, Any]) -> Optional[str]:
    """The format whose keys ``data`` has, or None."""
    keys = set(map(str, data.keys()))
    if "poses" in keys or {"root_orient", "pose_body"} <= keys:
        return "amass"
    if set(SMPLESTX_SIGNATURE) <= keys:
        return "smplest-x"
    if "global_pose" in keys and ("body_cam" in keys or "partbody_pose" in keys):
        return "pixie"
    if {"expcode", "posecode"} <= keys:
        return "emoca"
    if is_wilor_mapping(data):
        return "wilor"
    if set(EXPOSE_SIGNATURE) <= keys:  # before smpler-x: ExPose's files hold SMPLer-X's keys too
        return "expose"
    if set(SMPLERX_SIGNATURE) <= keys:
        return "smpler-x"
    return None


def _keys_of(path: Path) -> tuple[Optional[str], list]:
    content = load_any(path)
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        content = content[0]
    if not isinstance(content, Mapping):
        return None, []
    return format_of_mapping(content), [key_list(content)]


def detect_format(path: PathLike) -> str:
    """The name (a key of :data:`FORMATS`) of the estimator output at ``path``."""
    path = Path(path)
    if not path.exists():
        raise EstimatorInputError("file or folder not found", path=path)
    world = world_format(path)  # GVHMR .pt, WHAM / PromptHMR joblib, TRAM folders
    if world is not None:
        return world
    if path.is_file():
        if path.suffix.lower() not in ARRAY_SUFFIXES or path.suffix.lower() == ".json":
            raise EstimatorInputError(f"not an estimator output file (expected .npz or .pkl). Supported formats: "
                                      f"{_format_list()}", path=path)
        if path.suffix.lower() == ".pkl" and is_phalp_file(path):  # joblib: not a plain pickle
            return "phalp"
        if path.suffix.lower() == ".npz" and is_expose_file(path):  # by member names: its object arrays stay shut
            return "expose"
        fmt, keys = _keys_of(path)
        if fmt is None:
            raise EstimatorInputError(f"matches no supported format (keys: {', '.join(keys) or 'none'}). "
                                      f"Supported formats: {_format_list()}", path=path)
        return fmt
    if is_codes_folder(path) or any(is_codes_folder(p) for p in path.iterdir() if p.is_dir()):
        return "emoca"
    if (path / "smplx").is_dir():
        return "smpler-x"
    if any(path.glob(f"*{PARAM_SUFFIX}.pkl")) or any(path.glob(f"*/*{PARAM_SUFFIX}.pkl")):
        return "pixie"
    if any(path.glob(f"*{EXPOSE_SUFFIX}.npz")) or any(path.glob(f"*/*{EXPOSE_SUFFIX}.npz")):
        return "expose"
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".npz", ".pkl"))
    if not files:
        raise EstimatorInputError(f"no estimator output in this folder. Supported formats: {_format_list()}",
                                  path=path)
    fmt, keys = _keys_of(files[0])
    if fmt is None or fmt == "amass":
        raise EstimatorInputError(f"the files here match no supported per-frame format ({files[0].name} has keys: "
                                  f"{', '.join(keys) or 'none'}). Supported formats: {_format_list()}", path=path)
    return fmt


def _wrong_kind(path: Path, fmt: str, wanted: str) -> EstimatorInputError:
    reader = {"body": "read_body", "face": "read_face", "hands": "read_hands"}
    kind = "body" if fmt in BODY_FORMATS else "face" if fmt in FACE_FORMATS else "hands"
    return EstimatorInputError(f"is a {fmt} ({kind}) output, not a {wanted} one; read it with {reader[kind]}()",
                               path=path)


def read_bodies(path: PathLike, **options: Any) -> list[BodyEstimate]:
    """Every person in a body estimator's output (one for PIXIE and AMASS)."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "smpler-x":
        return read_smplerx_people(path, **options)
    if fmt == "smplest-x":
        return read_smplestx_people(path, **options)
    if fmt == "pixie":
        return [read_pixie(path, **options)]
    if fmt == "amass":
        return [read_amass(path, **options)]
    if fmt == "expose":
        return [read_expose(path, **options)]
    if fmt == "phalp":
        return read_phalp_people(path, **options)
    if fmt in WORLD_FORMATS:
        return read_world_bodies(path, fmt, **options)
    raise _wrong_kind(path, fmt, "body")


def read_body(path: PathLike, *, person_id: Optional[int] = None, **options: Any) -> BodyEstimate:
    """One person's body estimate; ``person_id`` picks one where the output holds several."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "smpler-x":
        return read_smplerx(path, person_id=person_id, **options)
    if fmt == "smplest-x":
        return read_smplestx(path, person_id=person_id, **options)
    if fmt == "phalp":
        return read_phalp(path, person_id=person_id, **options)
    if fmt in WORLD_FORMATS:
        return read_world_body(path, fmt, person_id=person_id, **options)
    if fmt in ("pixie", "amass", "expose"):
        if person_id not in (None, 0):
            raise EstimatorInputError(f"a {fmt} output holds one person; person_id={person_id} does not exist",
                                      path=path, field="person_id")
        reader = {"pixie": read_pixie, "amass": read_amass, "expose": read_expose}[fmt]
        return reader(path, **options)
    raise _wrong_kind(path, fmt, "body")


def read_faces(path: PathLike, bbox: Any = None, **options: Any) -> list[FaceEstimate]:
    """Every face (one per detection index) in a face expert's output."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt != "emoca":
        raise _wrong_kind(path, fmt, "face")
    return read_emoca_faces(path, bbox=bbox, **options)


def read_face(path: PathLike, bbox: Any = None, *, face_index: Optional[int] = None, **options: Any) -> FaceEstimate:
    """One face's codes; ``bbox`` gives the face boxes EMOCA's ``save_codes`` does not keep."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt != "emoca":
        raise _wrong_kind(path, fmt, "face")
    return read_emoca(path, bbox=bbox, face_index=face_index, **options)


def read_hands(path: PathLike, **options: Any) -> HandDetections:
    """Every hand detection in a hand expert's output."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt != "wilor":
        raise _wrong_kind(path, fmt, "hands")
    return read_wilor(path, **options)
