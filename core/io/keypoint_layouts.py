"""2D detectors' keypoint layouts and their correspondence with smplx's joint order. numpy only.

Each layout lists the detector's keypoints in the order its files hold them, and for each keypoint the index it
takes in smplx's keypoint order (:data:`SMPLX_KEYPOINT_NAMES`, 144 = 55 model joints, 21 extra vertex keypoints,
51 face landmarks and 17 face-contour landmarks: ``smplx/joint_names.py`` ``JOINT_NAMES`` and the order of
``smplx.SMPLX``'s output with ``use_face_contour=True``), or -1 where the keypoint has no SMPL-X counterpart and is
**ignored**.

Sources, read to confirm each order (no code copied):

* OpenPose BODY_25, COCO-18, hands and face: CMU-Perceptual-Computing-Lab/openpose ``doc/02_output.md`` (the
  ``POSE_BODY_25_BODY_PARTS`` and ``POSE_COCO_BODY_PARTS`` maps: 0 Nose, 1 Neck, 2 RShoulder, 3 RElbow, 4 RWrist,
  5 LShoulder, 6 LElbow, 7 LWrist, 8 MidHip, 9 RHip, ...; hands 21 points wrist, thumb 1-4, index 1-4, middle,
  ring, pinky; face 70 = the 68 iBUG points + 2 pupils).
* COCO-WholeBody 133 (MMPose's inferencer, rtmlib's RTMPose / DWPose / RTMW): open-mmlab/mmpose
  ``configs/_base_/datasets/coco_wholebody.py`` (0-16 COCO body: nose, left_eye, right_eye, left_ear, right_ear,
  left_shoulder, right_shoulder, left_elbow, right_elbow, left_wrist, right_wrist, left_hip, right_hip, left_knee,
  right_knee, left_ankle, right_ankle; 17-22 left_big_toe, left_small_toe, left_heel, right_big_toe,
  right_small_toe, right_heel; 23-90 face 68; 91-111 left hand; 112-132 right hand, OpenPose hand order).
* rtmlib's OpenPose-style 134 (``to_openpose=True``): Tau-J/rtmlib ``rtmlib/tools/pose_estimation/
  post_processings.py`` ``convert_coco_to_openpose``: a neck (the mean of the shoulders) is inserted at 17, then
  the first 18 are reordered to OpenPose's COCO-18 order, so feet are 18-23, face 24-91, hands 92-112 / 113-133
  (``rtmlib/tools/solution/wholebody.py`` ``format_result`` slices the same way).
* The smplx correspondence: vchoutas/smplify-x ``smplifyx/utils.py`` ``smpl_to_openpose`` (BODY_25 ->
  ``[55, 12, 17, 19, 21, 16, 18, 20, 0, 2, 5, 8, 1, 4, 7, 56 ... 65]``, hands, face ``arange(76, 127)`` and the
  contour after it) and ``cfg_files/fit_smplx.yaml`` ``joints_to_ign: [1, 9, 12]``.

Keypoints that are not SMPL-X joints, and how each is used (:data:`NOT_SMPLX`):

* **hips** (OpenPose RHip / LHip, COCO left_hip / right_hip): **ignored**. Detectors put the hip on the side of
  the body near the top of the thigh (annotators mark the surface), several centimetres lateral of and above
  SMPL-X's hip joints, which sit inside the pelvis; SMPLify-X maps them to the SMPL-X hips but ignores them in the
  fit (``joints_to_ign`` 9 and 12). Fitting them as SMPL-X hips biases the focal and the depth.
* **neck** (OpenPose Neck, rtmlib's inserted neck): **ignored**, as SMPLify-X does (``joints_to_ign`` 1): it is
  the mid-point of the shoulders' surface points, not SMPL-X's neck joint at the base of the skull.
* **MidHip** (BODY_25 8): **ignored**: the mid-point of the detector's hips, with the hips' offset (SMPLify-X maps
  it to the pelvis; we do not, for the same reason as the hips).
* **nose, eyes, ears, big and small toes, heels**: SMPL-X has no such joints, but smplx adds them as keypoints on
  fixed mesh vertices (``smplx/vertex_ids.py``): **mapped to those mesh points** (smplx indices 55-65); the camera
  fit carries them on the head joint and the feet (:mod:`core.camera.points`).
* **fingertips**: mapped to smplx's fingertip vertices (66-75), as the camera fit already uses them.
* **face landmarks**: the 51 inner landmarks (iBUG 17-67) map to smplx's landmarks 76-126, the contour (0-16) to
  127-143 (SMPLify-X's ``use_face_contour``); OpenPose's two pupils (68, 69) are ignored. The camera fit does not
  use the landmarks (its head points are the nose, eyes and ears); they are kept for other consumers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.skeleton import JOINT_NAMES

#: smplx's keypoints after the 55 model joints (``smplx/joint_names.py`` ``JOINT_NAMES[55:76]``).
SMPLX_EXTRA_KEYPOINTS = ("nose", "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe",
                         "left_heel", "right_big_toe", "right_small_toe", "right_heel", "left_thumb", "left_index",
                         "left_middle", "left_ring", "left_pinky", "right_thumb", "right_index", "right_middle",
                         "right_ring", "right_pinky")
#: smplx's keypoint order: 55 joints, 21 extra keypoints, 51 face landmarks (iBUG 17-67), 17 contour (iBUG 0-16).
SMPLX_KEYPOINT_NAMES: tuple[str, ...] = (tuple(JOINT_NAMES) + SMPLX_EXTRA_KEYPOINTS
                                         + tuple(f"face_{i}" for i in range(17, 68))
                                         + tuple(f"face_{i}" for i in range(17)))
NUM_SMPLX_KEYPOINTS = len(SMPLX_KEYPOINT_NAMES)  # 144
_SMPLX_INDEX = {name: i for i, name in enumerate(SMPLX_KEYPOINT_NAMES)}

#: OpenPose's hand order (``doc/02_output.md``): wrist, then four points per finger, base to tip.
HAND_21 = ("wrist",) + tuple(f"{finger}{k}" for finger in ("thumb", "index", "middle", "ring", "pinky")
                             for k in (1, 2, 3, 4))
BODY_25 = ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip", "RHip",
           "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar", "LBigToe", "LSmallToe",
           "LHeel", "RBigToe", "RSmallToe", "RHeel")
COCO_18 = ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "RHip", "RKnee",
           "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar")
COCO_17 = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
           "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
           "left_ankle", "right_ankle")
COCO_FEET = ("left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel")

#: Detector keypoints with no SMPL-X counterpart: how the camera fit uses them (see the module notes).
NOT_SMPLX = {
    "hip": "ignored: detectors mark the hip on the thigh's side, lateral of and above SMPL-X's hip joint "
           "(SMPLify-X's joints_to_ign 9, 12)",
    "neck": "ignored: the shoulders' mid-point, not SMPL-X's neck joint (SMPLify-X's joints_to_ign 1)",
    "midhip": "ignored: the mid-point of the detector's hips, with their offset",
    "pupil": "ignored: OpenPose's face points 68-69; the eyes come from the body keypoints",
}

# OpenPose / COCO body names -> smplx keypoint names (None: ignored, see NOT_SMPLX)
_BODY_TO_SMPLX = {
    "Nose": "nose", "Neck": None, "RShoulder": "right_shoulder", "RElbow": "right_elbow", "RWrist": "right_wrist",
    "LShoulder": "left_shoulder", "LElbow": "left_elbow", "LWrist": "left_wrist", "MidHip": None, "RHip": None,
    "RKnee": "right_knee", "RAnkle": "right_ankle", "LHip": None, "LKnee": "left_knee", "LAnkle": "left_ankle",
    "REye": "right_eye", "LEye": "left_eye", "REar": "right_ear", "LEar": "left_ear", "LBigToe": "left_big_toe",
    "LSmallToe": "left_small_toe", "LHeel": "left_heel", "RBigToe": "right_big_toe", "RSmallToe": "right_small_toe",
    "RHeel": "right_heel",
}
_COCO_TO_SMPLX = {name: (None if name.endswith("_hip") else name) for name in COCO_17 + COCO_FEET}
_HAND_TIPS = {"thumb4": "thumb", "index4": "index", "middle4": "middle", "ring4": "ring", "pinky4": "pinky"}


@dataclass(frozen=True)
class KeypointLayout:
    """A detector's keypoint layout.

    Attributes:
        name: ``body_25``, ``coco_18``, ``coco_wholebody_133``, ``rtmlib_openpose_134`` ...
        names: (K,) the detector's own keypoint names, in file order.
        smplx_index: (K,) index into :data:`SMPLX_KEYPOINT_NAMES`, -1 where the keypoint is ignored.
        source: the public file the order was confirmed in.
    """

    name: str
    names: tuple
    smplx_index: np.ndarray
    source: str

    @property
    def num_keypoints(self) -> int:
        return len(self.names)


def _hand_targets(side: str) -> list:
    out = []
    for name in HAND_21:
        if name in _HAND_TIPS:
            out.append(f"{side}_{_HAND_TIPS[name]}")
        elif name == "wrist":
            out.append(f"{side}_wrist")
        else:
            out.append(f"{side}_{name}")
    return out


def _face_targets(count: int) -> list:
    """iBUG 68 (+ OpenPose's 2 pupils, ignored) -> smplx landmark names."""
    return [f"face_{i}" if i < 68 else None for i in range(count)]


def _layout(name: str, names: tuple, targets: list, source: str) -> KeypointLayout:
    idx = np.array([-1 if t is None else _SMPLX_INDEX[t] for t in targets], dtype=np.int64)
    idx.setflags(write=False)
    return KeypointLayout(name=name, names=names, smplx_index=idx, source=source)


def _hand_names(prefix: str) -> tuple:
    return tuple(f"{prefix}_{n}" for n in HAND_21)


#: OpenPose parts of a person (``pose_keypoints_2d`` etc.), each with its layout by keypoint count.
OPENPOSE_SOURCE = "CMU-Perceptual-Computing-Lab/openpose doc/02_output.md"
MMPOSE_SOURCE = "open-mmlab/mmpose configs/_base_/datasets/coco_wholebody.py"
RTMLIB_SOURCE = "Tau-J/rtmlib rtmlib/tools/pose_estimation/post_processings.py convert_coco_to_openpose"

BODY_25_LAYOUT = _layout("body_25", BODY_25, [_BODY_TO_SMPLX[n] for n in BODY_25], OPENPOSE_SOURCE)
COCO_18_LAYOUT = _layout("coco_18", COCO_18, [_BODY_TO_SMPLX[n] for n in COCO_18], OPENPOSE_SOURCE)
HAND_LEFT_LAYOUT = _layout("hand_left_21", _hand_names("left"), _hand_targets("left"), OPENPOSE_SOURCE)
HAND_RIGHT_LAYOUT = _layout("hand_right_21", _hand_names("right"), _hand_targets("right"), OPENPOSE_SOURCE)
FACE_70_LAYOUT = _layout("face_70", tuple(f"face_{i}" for i in range(70)), _face_targets(70), OPENPOSE_SOURCE)
#: Files blended from other detectors hold the 68 iBUG points without the pupils (smplify-x-partial's demo).
FACE_68_LAYOUT = _layout("face_68", tuple(f"face_{i}" for i in range(68)), _face_targets(68), OPENPOSE_SOURCE)

_WB_NAMES = (COCO_17 + COCO_FEET + tuple(f"face_{i}" for i in range(68)) + _hand_names("left")
             + _hand_names("right"))
COCO_WHOLEBODY_LAYOUT = _layout(
    "coco_wholebody_133", _WB_NAMES,
    [_COCO_TO_SMPLX[n] for n in COCO_17 + COCO_FEET] + _face_targets(68) + _hand_targets("left")
    + _hand_targets("right"), MMPOSE_SOURCE)
_RTM_OP_NAMES = (COCO_18 + COCO_FEET + tuple(f"face_{i}" for i in range(68)) + _hand_names("left")
                 + _hand_names("right"))
RTMLIB_OPENPOSE_LAYOUT = _layout(
    "rtmlib_openpose_134", _RTM_OP_NAMES,
    [_BODY_TO_SMPLX[n] for n in COCO_18] + [_COCO_TO_SMPLX[n] for n in COCO_FEET] + _face_targets(68)
    + _hand_targets("left") + _hand_targets("right"), RTMLIB_SOURCE)

#: OpenPose JSON parts: key -> {keypoint count: layout}.
OPENPOSE_PARTS = {
    "pose_keypoints_2d": {25: BODY_25_LAYOUT, 18: COCO_18_LAYOUT},
    "hand_left_keypoints_2d": {21: HAND_LEFT_LAYOUT},
    "hand_right_keypoints_2d": {21: HAND_RIGHT_LAYOUT},
    "face_keypoints_2d": {70: FACE_70_LAYOUT, 68: FACE_68_LAYOUT},
}
#: Whole-body arrays by keypoint count.
WHOLEBODY_LAYOUTS = {133: COCO_WHOLEBODY_LAYOUT, 134: RTMLIB_OPENPOSE_LAYOUT}


def to_smplx_order(keypoints: np.ndarray, scores: np.ndarray, layout: KeypointLayout) -> tuple[np.ndarray, np.ndarray]:
    """A detector's keypoints in smplx's order.

    Args:
        keypoints: (..., K, 2) pixels in ``layout``'s order (NaN where missing); scores: (..., K).
    Returns:
        ``uv`` (..., 144, 2) (NaN where the detector has no keypoint or it is ignored) and ``score`` (..., 144).
        Where two keypoints map to one smplx keypoint (COCO-WholeBody's body and hand wrists) the surer one is kept.
    """
    lead = keypoints.shape[:-2]
    uv = np.full(lead + (NUM_SMPLX_KEYPOINTS, 2), np.nan)
    sc = np.zeros(lead + (NUM_SMPLX_KEYPOINTS,))
    targets = layout.smplx_index
    use = targets >= 0
    uv[..., targets[use], :] = keypoints[..., use, :]
    sc[..., targets[use]] = scores[..., use]
    seen, dup = np.unique(targets[use], return_counts=True)
    for target in seen[dup > 1]:
        sources = np.flatnonzero(targets == target)
        best = np.take(sources, np.argmax(scores[..., sources], axis=-1))  # (...,) the surer source
        sc[..., target] = np.take_along_axis(scores, best[..., None], axis=-1)[..., 0]
        uv[..., target, :] = np.take_along_axis(keypoints, best[..., None, None], axis=-2)[..., 0, :]
    return uv, sc


__all__ = ["SMPLX_EXTRA_KEYPOINTS", "SMPLX_KEYPOINT_NAMES", "NUM_SMPLX_KEYPOINTS", "HAND_21", "BODY_25", "COCO_18",
           "COCO_17", "COCO_FEET", "NOT_SMPLX", "KeypointLayout", "BODY_25_LAYOUT", "COCO_18_LAYOUT",
           "HAND_LEFT_LAYOUT", "HAND_RIGHT_LAYOUT", "FACE_70_LAYOUT", "FACE_68_LAYOUT", "COCO_WHOLEBODY_LAYOUT",
           "RTMLIB_OPENPOSE_LAYOUT", "OPENPOSE_PARTS", "WHOLEBODY_LAYOUTS", "OPENPOSE_SOURCE", "MMPOSE_SOURCE",
           "RTMLIB_SOURCE", "to_smplx_order"]
