"""Meshcapade ``.smpl`` files (an ``.npz`` without the suffix, camelCase keys), read and written through
``smplcodec`` (Meshcapade/smplcodec, MIT, pinned in requirements.txt): this module only maps its ``SMPLCodec``
to and from :class:`.world_body.WorldBody`.

Layout (smplcodec ``codec.py``, ``SMPLParamStructure``):

* ``bodyPose`` (T, 22, 3) axis-angle, pelvis .. right wrist, joint 0 being the **global orientation**
  (SMPL: (T, 24, 3), SMPL's hand joints 22 and 23 last); ``headPose`` (T, 3, 3) jaw, left eye, right eye;
  ``leftHandPose`` / ``rightHandPose`` (T, 15, 3) index1 .. thumb3;
* ``bodyTranslation`` (T, 3) smplx ``transl`` in a y-up world (metres); ``shapeParameters`` (B,);
  ``expressionParameters`` (T, E); ``frameCount`` int, ``frameRate`` float; ``smplVersion`` and ``gender``
  as ints (``SMPLVersion``, ``SMPLGender``); optional ``vertexOffsets`` (V, 3), which a fused take cannot carry.
* Every array is stored as float32 and every int as int32 (smplcodec ``utils.coerce_type``).

Hand poses are **flat-relative**, as in AMASS: ``SMPLCodec.from_amass_npz`` copies AMASS's ``pose_hand``
(flat-relative) into ``left/rightHandPose`` unchanged (pinned by ``tests/interchange/test_smpl_file.py`` on the
real AMASS-style file of smplcodec's tests). SMPL bodies (24 joints) keep joints 0-21 and drop SMPL's two hand
joints; their hands become flat. SMPL++ / SKEL (46 numbers per frame) and SMIL (an infant body) are refused.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..fileio.atomic_write import write_atomically
from ..fileio.safe_pickle import load_npz
from .errors import InterchangeFileError
from .world_body import WorldBody

#: The versions read: their body pose is (22, 3) plus hands (and head), or SMPL's (24, 3).
_READABLE = ("SMPLX", "SUPR", "SMPLXS", "SMPLH", "SMPL")
_GENDERS = {"NEUTRAL": "neutral", "MALE": "male", "FEMALE": "female"}
#: Plausibility bounds: a larger number is a corrupt file, not a pose (radians, metres, shape units).
_MAX_ROTATION = 1e3
_MAX_TRANSLATION_M = 1e6
_MAX_COEFFICIENT = 1e4
_MAX_FPS = 1e5


def _codec() -> Any:
    """The smplcodec module (imported when needed, so ``import core`` works without it)."""
    try:
        import smplcodec
    except ImportError as exc:  # not installed where this runs (e.g. an add-on built without its wheel)
        raise InterchangeFileError(f"smplcodec is not installed ({exc}); pip install smplcodec==2.3.0",
                                   field="smplcodec") from None
    logging.getLogger("smplcodec").setLevel(logging.WARNING)  # it sets up INFO logging on import; keep ours quiet
    return smplcodec


def read_smpl_codec(path: Union[str, Path]) -> Any:
    """A ``.smpl`` file as an ``smplcodec.SMPLCodec``, or :class:`InterchangeFileError` naming the file and key.

    The archive is first read by the project's checked npz reader (no pickles, no member larger than its bytes),
    then by ``SMPLCodec.from_file``, whose own validation (shapes against ``frameCount``) applies.
    """
    smplcodec = _codec()
    members = load_npz(path, error=InterchangeFileError, allow_objects=False)
    if not members:
        raise InterchangeFileError("an empty archive: no .smpl keys", path=path)
    try:
        return smplcodec.SMPLCodec.from_file(str(path))
    except Exception as exc:  # smplcodec raises TypeError / ValueError / zip errors on a bad file; name it
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        field = _field_in(reason, members)
        raise InterchangeFileError(f"smplcodec cannot read it: {reason}", path=path, field=field) from None


def _field_in(reason: str, members: dict) -> Any:
    """The camelCase key a smplcodec message is about, when it names one (for the one-line message)."""
    for key in members:
        snake = "".join(c if c.islower() or c.isdigit() else f"_{c.lower()}" for c in key).lstrip("_")
        if snake and (snake in reason or key in reason):
            return key
    return None


def _array(value: Any, path: Union[str, Path], key: str, shape: tuple, bound: float) -> np.ndarray:
    """``value`` as float64 of ``shape``, finite and within ``bound``, else an error naming ``key`` and the frame."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise InterchangeFileError(f"expected numbers, found dtype {arr.dtype}", path=path, field=key)
    if arr.shape != shape:
        raise InterchangeFileError(f"expected shape {shape}, found {arr.shape}", path=path, field=key)
    arr = arr.astype(np.float64)
    bad = ~(np.isfinite(arr) & (np.abs(arr) <= bound))
    if bad.any():
        frame = int(np.argwhere(bad)[0][0]) if arr.ndim >= 2 else None
        raise InterchangeFileError(f"contains NaN, Inf or a value beyond {bound:g}", path=path, field=key,
                                   frame=frame)
    return arr


def world_body_from_codec(codec: Any, path: Union[str, Path] = "<smpl>", default_fps: float = 30.0) -> WorldBody:
    """An ``SMPLCodec`` -> :class:`WorldBody` (SMPL-X joints, flat hands), each key checked (file, key, frame)."""
    smplcodec = _codec()
    version = smplcodec.SMPLVersion(codec.smpl_version).name
    if version not in _READABLE:
        raise InterchangeFileError(f"{version} bodies cannot become SMPL-X (readable: {', '.join(_READABLE)})",
                                   path=path, field="smplVersion")
    t = codec.frame_count
    if t is None or int(t) < 1 or codec.body_pose is None:
        raise InterchangeFileError("no motion: the file holds a shape only (no frameCount / bodyPose)", path=path,
                                   field="bodyPose")
    t = int(t)
    notes = [f".smpl {version}, smplcodec {smplcodec.__version__}: bodyPose[:, 0] is the global orientation; "
             "hands flat-relative (as AMASS)"]
    body_joints = 24 if version == "SMPL" else 22
    body = _array(codec.body_pose, path, "bodyPose", (t, body_joints, 3), _MAX_ROTATION)
    if version == "SMPL":
        notes.append("SMPL's hand joints 22 and 23 dropped; hands set flat")
    zeros3 = np.zeros((t, 3, 3))
    head = zeros3 if codec.head_pose is None else _array(codec.head_pose, path, "headPose", (t, 3, 3), _MAX_ROTATION)
    hands = []
    for key, value in (("leftHandPose", codec.left_hand_pose), ("rightHandPose", codec.right_hand_pose)):
        hands.append(np.zeros((t, 15, 3)) if value is None else _array(value, path, key, (t, 15, 3), _MAX_ROTATION))
    transl = np.zeros((t, 3)) if codec.body_translation is None else \
        _array(codec.body_translation, path, "bodyTranslation", (t, 3), _MAX_TRANSLATION_M)
    if codec.shape_parameters is None:
        betas = np.zeros(10)
        notes.append("no shapeParameters: betas set to 10 zeros")
    else:
        n = int(np.asarray(codec.shape_parameters).shape[0])
        if n == 0:
            raise InterchangeFileError("expected at least one shape parameter, found none", path=path,
                                       field="shapeParameters")
        betas = _array(codec.shape_parameters, path, "shapeParameters", (n,), _MAX_COEFFICIENT)
    expression = np.zeros((t, 0))
    if codec.expression_parameters is not None:
        e = np.asarray(codec.expression_parameters)
        if e.ndim != 2 or e.shape[0] != t:
            raise InterchangeFileError(f"expected shape ({t}, E), found {e.shape}", path=path,
                                       field="expressionParameters")
        expression = _array(e, path, "expressionParameters", e.shape, _MAX_COEFFICIENT)
    fps = codec.frame_rate
    if fps is None:
        fps = float(default_fps)
        notes.append(f"no frameRate: {fps:g} fps assumed")
    if not isinstance(fps, (int, float)) or not np.isfinite(fps) or not 0 < fps <= _MAX_FPS:
        raise InterchangeFileError(f"expected a positive frame rate, found {fps!r}", path=path, field="frameRate")
    if codec.vertex_offsets is not None:
        notes.append("vertexOffsets ignored (a fused take has no per-vertex offsets)")
    gender = _GENDERS[smplcodec.SMPLGender(codec.gender).name]
    return WorldBody(fps=float(fps), gender=gender, betas=betas, expression=expression, global_orient=body[:, 0],
                     body_pose=body[:, 1:22], jaw_pose=head[:, 0], leye_pose=head[:, 1], reye_pose=head[:, 2],
                     left_hand_pose=hands[0], right_hand_pose=hands[1], transl=transl, notes=notes)


def codec_from_world_body(body: WorldBody) -> Any:
    """:class:`WorldBody` -> ``SMPLCodec`` (SMPL-X; smplcodec stores float32)."""
    smplcodec = _codec()
    t = body.num_frames
    codec = smplcodec.SMPLCodec(
        smpl_version=smplcodec.SMPLVersion.SMPLX,
        gender=smplcodec.SMPLGender[body.gender.upper()],
        shape_parameters=np.asarray(body.betas, dtype=np.float64),
        frame_count=t,
        frame_rate=float(body.fps),
        body_translation=np.asarray(body.transl, dtype=np.float64),
        body_pose=np.concatenate([body.global_orient.reshape(t, 1, 3), body.body_pose.reshape(t, 21, 3)], axis=1),
        head_pose=np.stack([body.jaw_pose, body.leye_pose, body.reye_pose], axis=1),
        left_hand_pose=np.asarray(body.left_hand_pose, dtype=np.float64).reshape(t, 15, 3),
        right_hand_pose=np.asarray(body.right_hand_pose, dtype=np.float64).reshape(t, 15, 3),
        expression_parameters=np.asarray(body.expression, dtype=np.float64) if body.expression.shape[1] else None,
    )
    return codec


def read_smpl(path: Union[str, Path], default_fps: float = 30.0) -> WorldBody:
    """Read a ``.smpl`` file through smplcodec into a :class:`WorldBody` (y-up world, flat hands)."""
    return world_body_from_codec(read_smpl_codec(path), path, default_fps)


def smpl_bytes(body: WorldBody) -> bytes:
    """The ``.smpl`` file of ``body`` as bytes (``SMPLCodec.write_to_buffer``), e.g. for an ``.mcs`` buffer."""
    import io

    buffer = io.BytesIO()
    codec_from_world_body(body).write_to_buffer(buffer)
    return buffer.getvalue()


def write_smpl(path: Union[str, Path], body: WorldBody) -> Path:
    """Write ``body`` as a ``.smpl`` file through smplcodec, atomically (a failure leaves ``path`` as it was)."""
    codec = codec_from_world_body(body)
    return write_atomically(path, codec.write_to_buffer)


def model_variant_guess(body: WorldBody) -> str:
    """``smplx-2020`` when the file carries more than 10 shape or expression components, else ``smplx-v1.1``
    (a ``.smpl`` file does not name the SMPL-X release; the count of components is the only hint)."""
    return "smplx-2020" if body.betas.shape[0] > 10 or body.expression.shape[1] > 10 else "smplx-v1.1"


__all__ = ["read_smpl_codec", "world_body_from_codec", "codec_from_world_body", "read_smpl", "smpl_bytes",
           "write_smpl", "model_variant_guess"]
