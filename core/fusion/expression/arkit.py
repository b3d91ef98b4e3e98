"""ARKit-style face curves: the 52 named blendshapes face rigs consume (ARKit, MetaHuman-style, Ready Player Me).

numpy only (runs inside Blender). The 52 shapes are built on the licence-free model's face, in head-local
coordinates found from the model's own eye joints (:func:`head_frame`), so they fit any gender of it. How each
name is made is recorded in :data:`ARKIT_SOURCES`:

* ``action``      the licence-free model's facial action of the same meaning, as is (``eyeBlinkLeft`` = its
                  ``blink_left``; ``mouthPucker``, ``cheekPuff``);
* ``split``       a symmetric action cut into parts by smooth masks that sum to 1, so the parts add back to the
                  action exactly (``mouthSmileLeft`` + ``mouthSmileRight`` = ``smile``; ``browInnerUp`` +
                  ``browOuterUpLeft`` + ``browOuterUpRight`` = ``brows_up``; ``jawLeft`` / ``jawRight`` = the two
                  signs of ``jaw_shift``);
* ``jaw``         ``jawOpen`` is the model's own jaw bone opened by :data:`JAW_OPEN_RAD` (its skinning weights, its
                  joint), frozen as a shape: weight 1 is that opening;
* ``procedural``  no counterpart in the licence-free model: a smooth displacement field sculpted here, in the
                  style of the model's actions (Gaussian patches on the front of the face, millimetres per unit);
* ``eye_pose``    ``eyeLook*``: SMPL-X turns the eyeballs with the eye joints, not with shapes; these shapes are
                  empty and the curves come from ``leye_pose`` / ``reye_pose`` (:func:`eye_look_curves`);
* ``absent``      ``tongueOut``: the licence-free model has no tongue; the shape is empty and the curve is 0.

A model that carries its own ARKit-named facial-action blendshapes (the optional ``faceunits`` /
``faceunit_names`` keys of its ``.npz``, read by :func:`core.io.face_units.read_face_units`; e.g. the CC0
MakeHuman "Face Units" of the realistic built-in model) uses them as they are instead
(:func:`arkit_face_model_from_units`). Curves are written to files by :mod:`core.export.arkit`; nothing here opens
a file.

Left and right are the face's own (ARKit's convention): ``eyeBlinkLeft`` closes the subject's left eye, which is
at +x in the model frame (SMPL-X: x left, y up, z forward).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

import numpy as np

from ...rotations import axis_angle_to_matrix
from .mapping import LEFT_EYE, RIGHT_EYE, ExpressionMapper, FacePair, LinearFaceModel, face_model_from_body_model

#: The 52 ARKit blendshape names, in Apple's ``ARFaceAnchor.BlendShapeLocation`` documentation order.
ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel",
    "mouthPucker", "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft", "mouthPressRight",
    "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "browDownLeft",
    "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff", "cheekSquintLeft",
    "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
)

#: The licence-free model's named facial actions, in its expression-column order.
MODEL_ACTIONS: tuple[str, ...] = ("mouth_open", "smile", "frown", "pucker", "brows_up", "brows_down",
                                  "blink_left", "blink_right", "cheeks_puff", "jaw_shift")

#: How each ARKit shape is made: ``kind: detail`` (kinds in the module notes).
ARKIT_SOURCES: dict[str, str] = {
    "eyeBlinkLeft": "action: blink_left", "eyeBlinkRight": "action: blink_right",
    "mouthPucker": "action: pucker", "cheekPuff": "action: cheeks_puff",
    "mouthSmileLeft": "split: smile x left mask", "mouthSmileRight": "split: smile x right mask",
    "mouthFrownLeft": "split: frown x left mask", "mouthFrownRight": "split: frown x right mask",
    "browDownLeft": "split: brows_down x left mask", "browDownRight": "split: brows_down x right mask",
    "browInnerUp": "split: brows_up x inner mask", "browOuterUpLeft": "split: brows_up x outer x left mask",
    "browOuterUpRight": "split: brows_up x outer x right mask",
    "jawLeft": "split: +jaw_shift", "jawRight": "split: -jaw_shift",
    "jawOpen": "jaw: the model's jaw bone opened by JAW_OPEN_RAD about x",
    "jawForward": "procedural: jaw-skinned region 5 mm forward",
    "mouthClose": "procedural: lips meet (upper lip down, lower lip up)",
    "mouthFunnel": "procedural: lips forward and parted into a funnel",
    "mouthLeft": "procedural: mouth 5 mm to the left", "mouthRight": "procedural: mouth 5 mm to the right",
    "mouthDimpleLeft": "procedural: left corner back and out",
    "mouthDimpleRight": "procedural: right corner back and out",
    "mouthStretchLeft": "procedural: left corner out and down",
    "mouthStretchRight": "procedural: right corner out and down",
    "mouthRollLower": "procedural: lower lip rolls in", "mouthRollUpper": "procedural: upper lip rolls in",
    "mouthShrugLower": "procedural: lower lip and chin up", "mouthShrugUpper": "procedural: upper lip up and out",
    "mouthPressLeft": "procedural: lips pressed, left", "mouthPressRight": "procedural: lips pressed, right",
    "mouthLowerDownLeft": "procedural: lower lip down, left",
    "mouthLowerDownRight": "procedural: lower lip down, right",
    "mouthUpperUpLeft": "procedural: upper lip up, left", "mouthUpperUpRight": "procedural: upper lip up, right",
    "cheekSquintLeft": "procedural: left cheek up", "cheekSquintRight": "procedural: right cheek up",
    "noseSneerLeft": "procedural: left nostril wing up", "noseSneerRight": "procedural: right nostril wing up",
    "eyeSquintLeft": "procedural: left lower lid up", "eyeSquintRight": "procedural: right lower lid up",
    "eyeWideLeft": "procedural: left upper lid up", "eyeWideRight": "procedural: right upper lid up",
    **{f"eyeLook{d}{s}": "eye_pose: from the eye joint's rotation (the shape is empty)"
       for d in ("Down", "In", "Out", "Up") for s in ("Left", "Right")},
    "tongueOut": "absent: the licence-free model has no tongue (the shape is empty, the curve 0)",
}

#: Head-local position of the left eye joint in the licence-free model (``core.mannequin.layout``; a test pins it).
HEAD_LOCAL_LEFT_EYE = (0.031, 0.102, 0.0710)
#: The jaw opening (radians about x) that ``jawOpen = 1`` shows.
JAW_OPEN_RAD = 0.45
#: Eye rotations (radians) that give an ``eyeLook*`` weight of 1: sideways and up/down.
EYE_LOOK_SIDE_RAD, EYE_LOOK_VERTICAL_RAD = 0.6, 0.45


def head_frame(template: np.ndarray, joint_regressor: np.ndarray) -> tuple[np.ndarray, float]:
    """``(anchor (3,), scale)`` of head-local coordinates, ``local = (x - anchor) / scale``, from the eye joints.

    template: (V, 3) full mesh; joint_regressor: (55, V). The licence-free model places its eyes at
    :data:`HEAD_LOCAL_LEFT_EYE` (x mirrored for the right eye), so two regressed joints fix the frame.
    """
    reg = np.asarray(joint_regressor, dtype=np.float64)
    left = reg[LEFT_EYE] @ template
    right = reg[RIGHT_EYE] @ template
    ex, ey, ez = HEAD_LOCAL_LEFT_EYE
    scale = float(np.linalg.norm(left - right) / (2.0 * ex))
    anchor = 0.5 * (left + right) - scale * np.array([0.0, ey, ez])
    return anchor, scale


def smoothstep(x: np.ndarray, e0: float, e1: float) -> np.ndarray:
    """Cubic Hermite step of ``x`` (any shape): 0 at ``e0``, 1 at ``e1`` (either order), clamped between."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _g(x: np.ndarray, y: np.ndarray, x0: float, y0: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-((x - x0) / sx) ** 2 - ((y - y0) / sy) ** 2)


def front_face_mask(local: np.ndarray) -> np.ndarray:
    """(N, 3) head-local points -> (N,) bool: the front of the face (chin to brows, cheek to cheek).

    This is the region every expression score in this project is measured on.
    """
    x, y, z = local[:, 0], local[:, 1], local[:, 2]
    return (z > 0.02) & (y > -0.02) & (y < 0.16) & (np.abs(x) < 0.07)


def front_face_weights(template: np.ndarray, joint_regressor: np.ndarray, vertex_ids: np.ndarray) -> np.ndarray:
    """(N,) float weights, 1 on the front of the face (:func:`front_face_mask`), for vertices ``vertex_ids`` (N,)
    of a model with ``template`` (V, 3) and ``joint_regressor`` (55, V) (its head frame: :func:`head_frame`)."""
    anchor, scale = head_frame(template, joint_regressor)
    local = (np.asarray(template, dtype=np.float64)[np.asarray(vertex_ids, dtype=np.int64)] - anchor) / scale
    return front_face_mask(local).astype(np.float64)


def side_masks(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) (N,) smooth masks that sum to 1; the subject's left is +x."""
    left = smoothstep(local[:, 0], -0.006, 0.006)
    return left, 1.0 - left


def _procedural_fields(local: np.ndarray, jaw_weights: np.ndarray) -> dict[str, np.ndarray]:
    """Head-local (N, 3), jaw weights (N,) -> {name: (N, 3) displacement in head-local units (x head scale)}."""
    x, y, z = local[:, 0], local[:, 1], local[:, 2]
    ax, sx = np.abs(x), np.sign(x)
    front = smoothstep(z, 0.03, 0.06)
    left, right = side_masks(local)
    zero = np.zeros_like(x)

    def vec(dx, dy, dz) -> np.ndarray:
        return np.stack([dx + zero, dy + zero, dz + zero], axis=1)

    upper_lip = _g(x, y, 0.0, 0.029, 0.020, 0.005) * front
    lower_lip = _g(x, y, 0.0, 0.013, 0.019, 0.006) * front
    lips = _g(x, y, 0.0, 0.021, 0.024, 0.012) * front
    corners = _g(ax, y, 0.024, 0.022, 0.010, 0.009) * front
    cheeks = _g(ax, y, 0.040, 0.055, 0.016, 0.014) * front
    wings = _g(ax, y, 0.0125, 0.050, 0.008, 0.008) * front
    lower_lid = _g(ax, y, 0.031, 0.093, 0.015, 0.005) * front
    upper_lid = _g(ax, y, 0.031, 0.110, 0.015, 0.007) * front
    chin = _g(x, y, 0.0, -0.002, 0.016, 0.012) * front
    f: dict[str, np.ndarray] = {}
    f["jawForward"] = jaw_weights[:, None] * vec(0.0, 0.0, 0.005)
    f["mouthClose"] = upper_lip[:, None] * vec(0.0, -0.003, 0.0) + lower_lip[:, None] * vec(0.0, 0.005, 0.001)
    f["mouthFunnel"] = lips[:, None] * vec(-0.15 * x, 0.0, 0.006) + upper_lip[:, None] * vec(0.0, 0.002, 0.0) \
        + lower_lip[:, None] * vec(0.0, -0.003, 0.0)
    for name, sign in (("Left", 1.0), ("Right", -1.0)):
        side = left if sign > 0 else right
        f[f"mouth{name}"] = (lips + 0.5 * chin)[:, None] * vec(0.005 * sign, 0.0, 0.0)
        f[f"mouthDimple{name}"] = (corners * side)[:, None] * vec(0.002 * sx, 0.0, -0.003)
        f[f"mouthStretch{name}"] = (corners * side)[:, None] * vec(0.005 * sx, -0.002, -0.001)
        f[f"mouthPress{name}"] = ((upper_lip + lower_lip) * side)[:, None] * vec(0.0, 0.0, -0.002) \
            + (upper_lip * side)[:, None] * vec(0.0, -0.001, 0.0) + (lower_lip * side)[:, None] * vec(0.0, 0.001, 0.0)
        f[f"mouthLowerDown{name}"] = (lower_lip * side)[:, None] * vec(0.0, -0.004, 0.0)
        f[f"mouthUpperUp{name}"] = (upper_lip * side)[:, None] * vec(0.0, 0.004, 0.001)
        f[f"cheekSquint{name}"] = (cheeks * side)[:, None] * vec(0.0, 0.004, 0.001)
        f[f"noseSneer{name}"] = (wings * side)[:, None] * vec(0.0, 0.004, 0.001)
        f[f"eyeSquint{name}"] = (lower_lid * side)[:, None] * vec(0.0, 0.003, 0.0005)
        f[f"eyeWide{name}"] = (upper_lid * side)[:, None] * vec(0.0, 0.003, 0.0)
    f["mouthRollLower"] = lower_lip[:, None] * vec(0.0, 0.001, -0.004)
    f["mouthRollUpper"] = upper_lip[:, None] * vec(0.0, -0.001, -0.004)
    f["mouthShrugLower"] = (lower_lip + chin)[:, None] * vec(0.0, 0.003, 0.001)
    f["mouthShrugUpper"] = upper_lip[:, None] * vec(0.0, 0.002, 0.002)
    return f


def arkit_face_model(smplx_face: LinearFaceModel, local: np.ndarray, head_scale: float,
                     action_dirs: Optional[np.ndarray] = None) -> LinearFaceModel:
    """The 52 ARKit shapes on the licence-free model's face: a bounded [0, 1] rig with no jaw bone.

    Args:
        smplx_face: the licence-free model's face (:func:`.mapping.smplx_face_model`), N vertices; its first
            10 directions are :data:`MODEL_ACTIONS` unless ``action_dirs`` (N, 3, 10) gives them.
        local: (N, 3) head-local coordinates of its vertices (:func:`head_frame`); head_scale: metres per unit.
    Returns:
        :class:`LinearFaceModel` ``"arkit"``: dirs (N, 3, 52) in :data:`ARKIT_NAMES` order, bounds (0, 1).
    """
    acts = smplx_face.dirs[:, :, :10] if action_dirs is None else np.asarray(action_dirs, dtype=np.float64)
    if acts.shape[2] < len(MODEL_ACTIONS):
        raise ValueError(f"the ARKit shapes need the licence-free model's {len(MODEL_ACTIONS)} facial actions, "
                         f"found {acts.shape[2]} directions")
    a = {name: acts[:, :, k] for k, name in enumerate(MODEL_ACTIONS)}
    left, right = side_masks(local)
    inner = np.exp(-(local[:, 0] / 0.016) ** 2)
    n = smplx_face.num_vertices
    jaw_w = smplx_face.jaw_weights if smplx_face.jaw_weights is not None else np.zeros(n)
    shapes: dict[str, np.ndarray] = {
        "eyeBlinkLeft": a["blink_left"], "eyeBlinkRight": a["blink_right"], "mouthPucker": a["pucker"],
        "cheekPuff": a["cheeks_puff"],
        "mouthSmileLeft": a["smile"] * left[:, None], "mouthSmileRight": a["smile"] * right[:, None],
        "mouthFrownLeft": a["frown"] * left[:, None], "mouthFrownRight": a["frown"] * right[:, None],
        "browDownLeft": a["brows_down"] * left[:, None], "browDownRight": a["brows_down"] * right[:, None],
        "browInnerUp": a["brows_up"] * inner[:, None],
        "browOuterUpLeft": a["brows_up"] * ((1.0 - inner) * left)[:, None],
        "browOuterUpRight": a["brows_up"] * ((1.0 - inner) * right)[:, None],
        "jawLeft": a["jaw_shift"], "jawRight": -a["jaw_shift"],
    }
    if smplx_face.has_jaw_bone:
        opened = replace(smplx_face, dirs=np.zeros((n, 3, 1)), jaw_joint_dirs=None)
        shapes["jawOpen"] = opened.displacement(np.zeros((1, 1)), np.array([[JAW_OPEN_RAD, 0.0, 0.0]]))[0]
    else:
        shapes["jawOpen"] = a["mouth_open"]
    for name, field_local in _procedural_fields(local, jaw_w).items():
        shapes[name] = field_local * head_scale
    dirs = np.zeros((n, 3, len(ARKIT_NAMES)))
    for k, name in enumerate(ARKIT_NAMES):
        if name in shapes:
            dirs[:, :, k] = shapes[name]
    return LinearFaceModel(name="arkit", template=smplx_face.template, dirs=dirs, names=ARKIT_NAMES,
                           bounds=(0.0, 1.0), mesh_ids=smplx_face.mesh_ids,
                           note="52 ARKit shapes on the licence-free face (see ARKIT_SOURCES); no jaw bone")


def arkit_face_model_from_units(smplx_face: LinearFaceModel, units: dict[str, np.ndarray]) -> LinearFaceModel:
    """The 52 ARKit shapes from a model's own ARKit-named facial-action blendshapes (e.g. MakeHuman's CC0 "Face
    Units" of the realistic built-in model), on ``smplx_face``'s vertices.

    ``units``: name -> (N, 3) displacement on the face's vertices (or (V, 3) on the full mesh when the face has
    ``mesh_ids``). Names equal to ARKit's are used as they are; ``jawOpen`` missing: the model's jaw bone opened by
    :data:`JAW_OPEN_RAD`; ``eyeLook*`` are always empty (eye joints); any other missing name stays empty.
    """
    n = smplx_face.num_vertices
    dirs = np.zeros((n, 3, len(ARKIT_NAMES)))
    used = []
    for k, name in enumerate(ARKIT_NAMES):
        if name not in units or name.startswith("eyeLook"):
            continue
        field = np.asarray(units[name], dtype=np.float64)
        if field.shape[0] != n:
            if smplx_face.mesh_ids is None or field.shape[0] <= int(smplx_face.mesh_ids.max()):
                raise ValueError(f"face unit {name}: {field.shape[0]} rows for a face of {n} vertices")
            field = field[smplx_face.mesh_ids]
        dirs[:, :, k] = field
        used.append(name)
    if "jawOpen" not in units and smplx_face.has_jaw_bone:
        opened = replace(smplx_face, dirs=np.zeros((n, 3, 1)), jaw_joint_dirs=None)
        dirs[:, :, ARKIT_NAMES.index("jawOpen")] = opened.displacement(np.zeros((1, 1)),
                                                                        np.array([[JAW_OPEN_RAD, 0.0, 0.0]]))[0]
    return LinearFaceModel(name="arkit", template=smplx_face.template, dirs=dirs, names=ARKIT_NAMES,
                           bounds=(0.0, 1.0), mesh_ids=smplx_face.mesh_ids,
                           note=f"52 ARKit shapes from the model's own face units ({len(used)} of them); no jaw bone")


def arkit_from_smplx_face(smplx_face: LinearFaceModel, template_full: np.ndarray,
                          joint_regressor: np.ndarray) -> LinearFaceModel:
    """:func:`arkit_face_model` with the head frame taken from the full model (template (V, 3), regressor (55, V))."""
    anchor, scale = head_frame(template_full, joint_regressor)
    return arkit_face_model(smplx_face, (smplx_face.template - anchor) / scale, scale)


def full_mesh_dirs(face: LinearFaceModel, num_vertices: int) -> np.ndarray:
    """A face model's dirs scattered back onto the whole mesh: (V, 3, K), zero off the face (needs ``mesh_ids``)."""
    if face.mesh_ids is None:
        raise ValueError(f"{face.name}: no mesh_ids, cannot place its shapes on the full mesh")
    out = np.zeros((num_vertices, 3, face.num_coefficients))
    out[face.mesh_ids] = face.dirs
    return out


def eye_look_curves(leye_pose: np.ndarray, reye_pose: np.ndarray) -> dict[str, np.ndarray]:
    """SMPL-X eye rotations (T, 3) each -> the eight ``eyeLook*`` curves (T,) in [0, 1].

    The gaze is R @ (0, 0, 1) in the model frame (z forward, y up, +x the subject's left). Sideways angle
    ``atan2(g_x, g_z)``: for the left eye, looking out is +x; for the right eye, looking out is -x. Weight 1 at
    :data:`EYE_LOOK_SIDE_RAD` sideways and :data:`EYE_LOOK_VERTICAL_RAD` up or down.
    """
    out: dict[str, np.ndarray] = {}
    for side, pose, out_sign in (("Left", leye_pose, 1.0), ("Right", reye_pose, -1.0)):
        r = axis_angle_to_matrix(np.asarray(pose, dtype=np.float64).reshape(-1, 3))
        g = r[:, :, 2]
        yaw = np.arctan2(g[:, 0], g[:, 2])
        pitch = np.arctan2(g[:, 1], np.hypot(g[:, 0], g[:, 2]))
        out[f"eyeLookOut{side}"] = np.clip(out_sign * yaw / EYE_LOOK_SIDE_RAD, 0.0, 1.0)
        out[f"eyeLookIn{side}"] = np.clip(-out_sign * yaw / EYE_LOOK_SIDE_RAD, 0.0, 1.0)
        out[f"eyeLookUp{side}"] = np.clip(pitch / EYE_LOOK_VERTICAL_RAD, 0.0, 1.0)
        out[f"eyeLookDown{side}"] = np.clip(-pitch / EYE_LOOK_VERTICAL_RAD, 0.0, 1.0)
    return out


def assemble_curves(shape_weights: np.ndarray, names: Sequence[str],
                    eye_curves: Optional[dict[str, np.ndarray]] = None) -> np.ndarray:
    """(T, K) weights for ``names`` (a subset of ARKit's) + eye curves -> (T, 52) in :data:`ARKIT_NAMES` order."""
    w = np.asarray(shape_weights, dtype=np.float64)
    out = np.zeros((w.shape[0], len(ARKIT_NAMES)))
    index = {n: k for k, n in enumerate(ARKIT_NAMES)}
    for k, name in enumerate(names):
        out[:, index[name]] = w[:, k]
    for name, curve in (eye_curves or {}).items():
        out[:, index[name]] = curve
    return np.clip(out, 0.0, 1.0)


def has_licence_free_actions(face: LinearFaceModel) -> bool:
    """Whether a face's first 10 expression directions look like the licence-free model's named actions.

    The check: its 10th direction (``jaw_shift``) moves vertices sideways only, and its 7th and 8th (the blinks)
    each move one side of the face only (above 1 % of their largest displacement). A PCA expression space (the
    official SMPL-X) fails it.
    """
    if face.num_coefficients < len(MODEL_ACTIONS):
        return False
    d = face.dirs
    shift = d[:, :, 9]
    if not np.any(shift[:, 0]) or np.any(shift[:, 1:]):
        return False
    x = face.template[:, 0] - face.template[:, 0].mean()
    left, right = np.linalg.norm(d[:, :, 6], axis=1), np.linalg.norm(d[:, :, 7], axis=1)
    left_moves = left > 0.01 * left.max(initial=0.0)
    right_moves = right > 0.01 * right.max(initial=0.0)
    return bool(left_moves.any() and right_moves.any() and np.all(x[left_moves] > 0) and np.all(x[right_moves] < 0))


def smplx_to_arkit_pair(model, units: Optional[dict[str, np.ndarray]] = None) -> FacePair:
    """A loaded ``BodyModel`` -> (its face with its jaw bone, the 52 ARKit shapes) on the same vertices, weighted
    by the front-of-face mask.

    The ARKit shapes come from ``units`` (name -> (V, 3): the model's own ARKit-named blendshapes, as
    :func:`core.io.face_units.read_face_units` reads them from its file; :func:`arkit_face_model_from_units`), else
    from the procedural licence-free model's named actions (:func:`arkit_face_model`). Raises ``ValueError`` when
    the model has neither (an official SMPL-X model needs an ARKit rig on its own topology).
    """
    face = face_model_from_body_model(model, "smplx")
    anchor, scale = head_frame(model.v_template, model.joint_regressor)
    if units is not None:
        arkit = arkit_face_model_from_units(face, units)
    elif has_licence_free_actions(face):
        arkit = arkit_face_model(face, (face.template - anchor) / scale, scale)
    else:
        raise ValueError(f"{model.path} has neither ARKit-named face units ('faceunits' / 'faceunit_names') nor the "
                         f"procedural licence-free model's named actions, so there is no ARKit rig on its face")
    mask = front_face_mask((face.template - anchor) / scale).astype(np.float64)
    return FacePair(source=face, target=arkit, weights=mask, landmark_index=np.zeros((0, 3), dtype=np.int64),
                    landmark_bary=np.zeros((0, 3)), note="the model's face and the ARKit shapes on the same vertices")


def arkit_curves(mapper: ExpressionMapper, expression: np.ndarray, jaw_pose: Optional[np.ndarray],
                 leye_pose: Optional[np.ndarray] = None, reye_pose: Optional[np.ndarray] = None,
                 expression_scale: float = 1.0) -> np.ndarray:
    """SMPL-X expression (T, E) x ``expression_scale``, jaw (T, 3), eyes (T, 3) -> (T, 52) ARKit curves in [0, 1].

    ``mapper``: from the model's face to the ARKit shapes (:func:`core.fusion.expression.arkit_mapper`); the
    ``eyeLook*`` curves come from the eye rotations (:func:`eye_look_curves`), ``tongueOut`` is 0.
    """
    e = np.asarray(expression, dtype=np.float64) * float(expression_scale)
    w = mapper.map(e, jaw_pose)
    eyes = None
    if leye_pose is not None and reye_pose is not None:
        eyes = eye_look_curves(leye_pose, reye_pose)
    return assemble_curves(w, ARKIT_NAMES, eyes)


__all__ = ["ARKIT_NAMES", "ARKIT_SOURCES", "MODEL_ACTIONS", "JAW_OPEN_RAD", "head_frame", "front_face_mask",
           "front_face_weights",
           "has_licence_free_actions", "arkit_face_model_from_units", "smplx_to_arkit_pair", "arkit_curves",
           "smoothstep", "side_masks", "arkit_face_model", "arkit_from_smplx_face", "full_mesh_dirs",
           "eye_look_curves", "assemble_curves"]
