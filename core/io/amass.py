"""AMASS-style npz motion files -> :class:`BodyEstimate`.

Layouts read (AMASS's own loader, nghorbani/human_body_prior ``src/human_body_prior/body_model/body_model.py``,
``BodyModel.forward``: ``full_pose = cat([root_orient, pose_body, pose_jaw, pose_eye, pose_hand])`` for SMPL-X and
``cat([root_orient, pose_body, pose_hand])`` for SMPL+H):
- SMPL-X: ``poses`` (T, 165) = root 0:3, body 3:66 (21 joints), jaw 66:69, eyes 69:75 (left, right), hands
  75:165 (left 75:120, right 120:165); ``trans`` (T, 3); ``betas`` (B,) (16 in AMASS SMPL-X files);
  ``gender``; ``mocap_frame_rate``;
- SMPL+H (older AMASS): ``poses`` (T, 156) = root 0:3, body 3:66, hands 66:156 (no jaw, no eyes);
  ``mocap_framerate``; jaw and eyes are read as zeros and that is recorded;
- split keys written by other tools: ``root_orient`` (T,3), ``pose_body`` (T,63), ``pose_jaw`` (T,3),
  ``pose_eye`` (T,6), ``pose_hand`` (T,90); ``expression`` (T,E) when present.

Hands are relative to the **flat** hand: ``BodyModel.forward`` passes ``pose_hand`` to ``lbs`` with no
``hands_mean`` term (and the smplx layer needs ``flat_hand_mean=True`` to match). AMASS sequences without captured
hands store MANO's mean pose explicitly in these flat-relative coordinates (nghorbani/amass issue #28).

AMASS is mocap, not video: there is no camera. ``global_orient`` and ``transl`` are in the capture's world frame
(z up in AMASS), not a camera frame; ``camera_K`` is a documented placeholder (focal 1000 px, principal point at
the centre of a 1000 x 1000 image) and ``source["camera"]`` says so. Missing ``gender`` reads as ``neutral`` and
a missing frame rate as ``default_fps`` (30); both are listed in ``source["defaults"]``; ``fps=`` overrides the
file. The frame rate is ``source["fps"]`` and the gender ``source["gender"]`` (BodyEstimate has no such fields).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..contracts.estimates import BodyEstimate
from .array_checks import as_float_array, check_policy, find_key, leading_length, per_frame, require
from .assemble import body_from_rows, rows_variable
from .frames import frames_by_index, frames_from_key
from .input_errors import EstimatorInputError
from .loaders import load_mapping

PathLike = Union[str, Path]

DEFAULT_FPS = 30.0
PLACEHOLDER_FOCAL = 1000.0
PLACEHOLDER_IMAGE_SIZE = (1000.0, 1000.0)

#: Column layout of ``poses``: name -> (start, stop).
SMPLX_COLUMNS = {"global_orient": (0, 3), "body_pose": (3, 66), "jaw_pose": (66, 69), "leye_pose": (69, 72),
                 "reye_pose": (72, 75), "left_hand_pose": (75, 120), "right_hand_pose": (120, 165)}
SMPLH_COLUMNS = {"global_orient": (0, 3), "body_pose": (3, 66), "left_hand_pose": (66, 111),
                 "right_hand_pose": (111, 156)}

CONVENTIONS = {
    "rotations": "axis-angle",
    "hand_pose_relative_to": "flat (human_body_prior BodyModel adds no hands mean)",
    "coordinate_frame": "capture world frame (AMASS: z up), not a camera frame",
}

SIGNATURES = (("poses", "trans"), ("root_orient", "pose_body"))

_SHAPES = {"global_orient": (3,), "body_pose": (21, 3), "jaw_pose": (3,), "leye_pose": (3,), "reye_pose": (3,),
           "left_hand_pose": (15, 3), "right_hand_pose": (15, 3)}


def _text(value: Any, path: Path, key: str) -> str:
    """A string saved as a str, bytes, or a 0-d / one-element array of either."""
    item = value
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise EstimatorInputError(f"expected one string, found an array of shape {value.shape}", path=path,
                                      field=key)
        item = value.reshape(-1)[0]
    if isinstance(item, (bytes, np.bytes_)):
        item = bytes(item).decode("utf-8", "replace")
    if not isinstance(item, str):
        raise EstimatorInputError(f"expected a string, found {type(item).__name__}", path=path, field=key)
    return str(item)


def read_amass(path: PathLike, *, fps: Optional[float] = None, default_fps: float = DEFAULT_FPS,
               gender: Optional[str] = None, model_variant: Optional[str] = None,
               nonfinite: str = "raise") -> BodyEstimate:
    """An AMASS-style SMPL-X or SMPL+H npz (or pkl with the same keys).

    Args:
        fps: overrides the file's frame rate.
        default_fps: used when the file has none (recorded in ``source["defaults"]``).
        gender: overrides the file's gender.
        model_variant: overrides the variant inferred from the number of betas (>= 300: ``smplx-2020``).
        nonfinite: ``"raise"`` or ``"invalidate"``.
    """
    check_policy(nonfinite)
    path = Path(path)
    if path.is_dir():
        raise EstimatorInputError("expected one AMASS .npz file, found a folder", path=path)
    data = load_mapping(path)
    defaults: dict = {}
    fields: dict = {}
    names: dict = {}  # field -> the file's own key, for messages
    if "poses" in data:
        poses = as_float_array(data["poses"], path, "poses")
        if poses.ndim != 2 or poses.shape[1] not in (165, 156):
            raise EstimatorInputError(f"expected shape (T, 165) for SMPL-X or (T, 156) for SMPL+H, found "
                                      f"{tuple(poses.shape)}", path=path, field="poses")
        layout = "smplx-165" if poses.shape[1] == 165 else "smplh-156"
        columns = SMPLX_COLUMNS if layout == "smplx-165" else SMPLH_COLUMNS
        n = poses.shape[0]
        for name, (a, b) in columns.items():
            fields[name] = poses[:, a:b].reshape((n,) + _SHAPES[name])
            names[name] = "poses"
        if layout == "smplh-156":
            for name in ("jaw_pose", "leye_pose", "reye_pose"):
                fields[name] = np.zeros((n, 3))
            defaults["jaw_pose, leye_pose, reye_pose"] = "zeros (SMPL+H has no face joints)"
    else:
        layout = "split keys"
        rk, root = require(data, ("root_orient", "global_orient"), path)
        n = leading_length(root, path, rk, 3)
        fields["global_orient"] = per_frame(root, n, (3,), path, rk)
        names["global_orient"] = rk
        bk, body = require(data, ("pose_body", "body_pose"), path)
        fields["body_pose"] = per_frame(body, n, (21, 3), path, bk)
        names["body_pose"] = bk
        jk = find_key(data, ("pose_jaw", "jaw_pose"))
        fields["jaw_pose"] = per_frame(data[jk], n, (3,), path, jk) if jk else np.zeros((n, 3))
        names["jaw_pose"] = jk or "pose_jaw"
        if jk is None:
            defaults["jaw_pose"] = "zeros (no pose_jaw)"
        ek = find_key(data, ("pose_eye",))
        if ek:
            eyes = per_frame(data[ek], n, (2, 3), path, ek)
            fields["leye_pose"], fields["reye_pose"] = eyes[:, 0], eyes[:, 1]
            names["leye_pose"] = names["reye_pose"] = ek
        else:
            fields["leye_pose"] = np.zeros((n, 3))
            fields["reye_pose"] = np.zeros((n, 3))
            defaults["leye_pose, reye_pose"] = "zeros (no pose_eye)"
        hk = find_key(data, ("pose_hand",))
        if hk:
            hands = per_frame(data[hk], n, (30, 3), path, hk)
            fields["left_hand_pose"], fields["right_hand_pose"] = hands[:, :15], hands[:, 15:]
            names["left_hand_pose"] = names["right_hand_pose"] = hk
        else:
            fields["left_hand_pose"] = np.zeros((n, 15, 3))
            fields["right_hand_pose"] = np.zeros((n, 15, 3))
            defaults["left_hand_pose, right_hand_pose"] = "zeros = flat hands (no pose_hand)"
    tk, trans = require(data, ("trans", "transl"), path)
    fields["transl"] = per_frame(trans, n, (3,), path, tk)
    names["transl"] = tk
    bk, betas = require(data, ("betas",), path)
    names["betas"] = bk
    betas = as_float_array(betas, path, bk)
    if betas.ndim <= 1 or (betas.ndim == 2 and betas.shape[0] == 1 and n != 1):
        fields["betas"] = np.broadcast_to(betas.reshape(1, -1), (n, betas.size)).copy()
    else:
        fields["betas"] = rows_variable(betas, n, path, bk)
    xk = find_key(data, ("expression", "expr"))
    if xk:
        fields["expression"] = rows_variable(data[xk], n, path, xk)
        names["expression"] = xk
    else:
        fields["expression"] = np.zeros((n, 10))
        defaults["expression"] = "zeros (10 components; the file has none)"

    fk = find_key(data, ("mocap_frame_rate", "mocap_framerate", "fps", "frame_rate"))
    file_fps = None
    if fk:
        rate = as_float_array(data[fk], path, fk).reshape(-1)
        if rate.size != 1 or not np.isfinite(rate[0]) or rate[0] <= 0:
            raise EstimatorInputError(f"expected one positive frame rate, found {rate.tolist()[:4]}", path=path,
                                      field=fk)
        file_fps = float(rate[0])
    if fps is not None:
        used_fps = float(fps)
    elif file_fps is not None:
        used_fps = file_fps
    else:
        used_fps = float(default_fps)
        defaults["fps"] = f"{used_fps:g} (the file has no mocap_frame_rate; override with fps=...)"
    gk = find_key(data, ("gender",))
    if gender is not None:
        used_gender = gender
    elif gk:
        used_gender = _text(data[gk], path, gk).strip().lower()
    else:
        used_gender = "neutral"
        defaults["gender"] = "neutral (the file has no gender)"
    if used_gender not in ("neutral", "male", "female"):
        raise EstimatorInputError(f"unknown gender {used_gender[:40]!r} (expected neutral, male or female)",
                                  path=path, field=gk or "gender")

    if model_variant is None:
        if layout == "smplh-156":
            model_variant = "smplh"
        else:
            model_variant = "smplx-2020" if fields["betas"].shape[1] >= 300 else "smplx-v1.1"

    _, frames = frames_from_key(data, n, path)
    warnings: list = []
    if frames is None:
        frames = frames_by_index(n)
    w, h = PLACEHOLDER_IMAGE_SIZE
    K = np.array([[PLACEHOLDER_FOCAL, 0.0, w / 2.0], [0.0, PLACEHOLDER_FOCAL, h / 2.0], [0.0, 0.0, 1.0]])
    fields["camera_K"] = np.broadcast_to(K, (n, 3, 3)).copy()
    source = {
        "format": "amass",
        "path": str(path),
        "layout": layout,
        "conventions": dict(CONVENTIONS),
        "fps": used_fps,
        "gender": used_gender,
        "camera": {"kind": "placeholder: AMASS has no camera", "focal_px": PLACEHOLDER_FOCAL,
                   "principal_point": "image centre", "image_size": list(PLACEHOLDER_IMAGE_SIZE)},
        "defaults": defaults,
        "warnings": warnings,
    }
    if layout == "smplh-156":
        warnings.append(f"{path}: SMPL+H file: betas are SMPL+H shape coefficients, not SMPL-X ones")
    return body_from_rows(fields, frames, where=path, hand_pose_relative_to="flat", model_variant=model_variant,
                          source=source, image_size=PLACEHOLDER_IMAGE_SIZE, nonfinite=nonfinite, names=names)
