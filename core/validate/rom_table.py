"""Ranges of motion per SMPL-X joint, measured on swing and twist about the bone axis, with their sources.

Every row is written for the **left** side (or a central joint) in the SMPL-X model frame at rest (Y up, facing +Z,
the model's left at +X). Right-side joints use the mirrored row: their rotation is mirrored through x = 0
(axis-angle (x, y, z) -> (x, -y, -z)) and measured on the mirrored rest skeleton, so one row serves both sides.

Each row gives the bone axis (towards a child joint, or a fixed direction for leaves), a hint for the flexion axis
and one for the abduction axis (made orthonormal in :func:`core.validate.swing_twist.orthonormal_frame`), and three
ranges in degrees, ``(min, max)``, **as published** for the anatomical motion named in ``meaning``:

* ``flex``:  swing component about the flexion axis (positive = the named flexion),
* ``abd``:   swing component about the abduction axis (positive = the named abduction),
* ``twist``: rotation about the bone axis (positive = right-handed about the axis from the joint to its child).

``margin`` widens both ends (degrees): SMPL-X joints are not anatomical joints (the shoulder complex is split over
the collar and shoulder, the spine over three joints, forearm roll over elbow and wrist), and estimators spread
motion differently. The check reports a violation only beyond ``range +- margin``.

Sources (the key in ``source``):

* ``AAOS``: American Academy of Orthopaedic Surgeons, *Joint Motion: Method of Measuring and Recording* (1965),
  as tabulated in Norkin & White, *Measurement of Joint Motion: A Guide to Goniometry*, F.A. Davis, Appendix A,
  Table A.1 (shoulder complex: flexion 180, extension 60, abduction 180, medial rotation 70, lateral rotation 90;
  elbow flexion 150, extension 0; pronation 80, supination 80; wrist flexion 80, extension 70, radial deviation 20,
  ulnar deviation 30). Thoracolumbar spine (AAOS, as commonly quoted): flexion 80, extension 25, lateral
  flexion 35, rotation 45.
* ``MERCK``: *Merck Manual Professional Edition*, "Normal Values for Range of Motion of Joints" (hip flexion 125,
  hyperextension 15, abduction 45, lateral and medial rotation 45; knee flexion 130; ankle plantar flexion 50,
  dorsiflexion 20; inversion 35, eversion 25; MTP flexion 30, extension 80; finger MCP flexion 90, extension 30,
  abduction 25; PIP flexion 120; DIP flexion 80; thumb MCP flexion 70; thumb IP flexion 90).
* ``CLIN``: clinical summary tables of normal ROM (e.g. the widely used "Normal ROM" goniometry cards): knee
  extension 0-15, knee external rotation 30-40 and internal 20-30, DIP hyperextension up to 20, thumb CMC flexion
  45-50 and abduction 60-70, thumb IP extension 0-5, shoulder horizontal flexion 130 and horizontal extension 45.
* ``CERV``: cervicocranial spine of healthy young adults, J. Muscolino (learnmuscles.com, "Cervical spine ranges
  of motion"): flexion 50, extension 80, lateral flexion 45, rotation 80.
* ``RHYTHM``: the scapulohumeral rhythm (Inman, Saunders & Abbott, J Bone Joint Surg 1944): about one third of arm
  elevation happens at the shoulder girdle, which SMPL-X's collar joint stands for.
* ``PROJECT``: this project's allowance where no published table covers the motion (jaw; axial rotation of the
  finger joints, which anatomically is nil; abduction of hinge joints). Treat these as tunable.

Shares: SMPL-X spreads one anatomical motion over several joints, so a row may allow ``share`` of the published
total for each joint (spine 0.6 each of three joints, neck and head 0.6 each, collar 1/3).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

Range = tuple[float, float]


@dataclass(frozen=True)
class RomRow:
    """One joint's limits (left side or central), degrees; see the module docstring for the conventions."""

    joint: str
    child: Optional[str]
    fixed_axis: Optional[tuple[float, float, float]]
    flex_hint: tuple[float, float, float]
    abd_hint: tuple[float, float, float]
    flex: Range
    abd: Range
    twist: Range
    margin: float
    source: str
    meaning: str


def _scaled(r: Range, share: float) -> Range:
    return (r[0] * share, r[1] * share)


_X, _MX = (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)
_Y, _MY = (0.0, 1.0, 0.0), (0.0, -1.0, 0.0)
_Z, _MZ = (0.0, 0.0, 1.0), (0.0, 0.0, -1.0)

_SPINE_SHARE = 0.6
_NECK_SHARE = 0.6
_COLLAR_SHARE = 1.0 / 3.0


def _finger_rows(finger: str) -> list[RomRow]:
    return [
        RomRow(f"left_{finger}1", f"left_{finger}2", None, _MZ, _Y, (-30, 90), (-25, 25), (0, 0), 15,
               "MERCK", "MCP: +flex toward the palm / -hyperextension; abd = spread; no axial rotation"),
        RomRow(f"left_{finger}2", f"left_{finger}3", None, _MZ, _Y, (0, 120), (0, 0), (0, 0), 15,
               "MERCK", "PIP: +flex toward the palm; a hinge"),
        RomRow(f"left_{finger}3", None, None, _MZ, _Y, (-20, 80), (0, 0), (0, 0), 15,
               "MERCK+CLIN", "DIP: +flex toward the palm / -hyperextension; a hinge"),
    ]


#: The table. Hand rows assume flat-relative hand poses (the fused file's convention): the flat hand is zero.
ROM_TABLE: tuple[RomRow, ...] = (
    RomRow("left_hip", "left_knee", None, _MX, _Z, (-15, 125), (-30, 45), (-45, 45), 15, "MERCK+AAOS",
           "+flex thigh forward / -hyperextension; +abd thigh outward / -adduction; +twist internal rotation"),
    RomRow("left_knee", "left_ankle", None, _X, _Z, (-10, 135), (0, 0), (-40, 40), 10, "MERCK+CLIN",
           "+flex shank backward / -hyperextension; no abduction; twist = tibial rotation"),
    RomRow("left_ankle", "left_foot", None, _X, _Y, (-20, 50), (-35, 35), (-35, 35), 15, "MERCK",
           "+flex plantar flexion / -dorsiflexion; abd and twist = inversion / eversion (35 / 25, taken +-35)"),
    RomRow("left_foot", None, (0.0, 0.0, 1.0), _X, _Y, (-80, 30), (0, 0), (0, 0), 15, "MERCK",
           "toes at the MTP joints: +flex down / -extension up"),
    RomRow("spine1", "spine2", None, _X, _MZ, _scaled((-25, 80), _SPINE_SHARE), _scaled((-35, 35), _SPINE_SHARE),
           _scaled((-45, 45), _SPINE_SHARE), 15, "AAOS",
           "thoracolumbar: +flex forward / -extension; abd = lateral flexion; twist = axial rotation"),
    RomRow("spine2", "spine3", None, _X, _MZ, _scaled((-25, 80), _SPINE_SHARE), _scaled((-35, 35), _SPINE_SHARE),
           _scaled((-45, 45), _SPINE_SHARE), 15, "AAOS", "as spine1"),
    RomRow("spine3", "neck", None, _X, _MZ, _scaled((-25, 80), _SPINE_SHARE), _scaled((-35, 35), _SPINE_SHARE),
           _scaled((-45, 45), _SPINE_SHARE), 15, "AAOS", "as spine1"),
    RomRow("neck", "head", None, _X, _MZ, _scaled((-80, 50), _NECK_SHARE), _scaled((-45, 45), _NECK_SHARE),
           _scaled((-80, 80), _NECK_SHARE), 15, "CERV",
           "cervical: +flex forward / -extension; abd = lateral flexion; twist = rotation"),
    RomRow("head", None, (0.0, 1.0, 0.0), _X, _MZ, _scaled((-80, 50), _NECK_SHARE),
           _scaled((-45, 45), _NECK_SHARE), _scaled((-80, 80), _NECK_SHARE), 15, "CERV", "as neck"),
    RomRow("jaw", None, (0.0, -0.6, 0.8), _X, _Y, (-5, 30), (-10, 10), (-10, 10), 10, "PROJECT",
           "+flex opens the mouth; abd = lateral deviation"),
    RomRow("left_collar", "left_shoulder", None, _MY, _Z, _scaled((-60, 180), _COLLAR_SHARE),
           _scaled((-60, 180), _COLLAR_SHARE), _scaled((-90, 70), _COLLAR_SHARE), 15, "AAOS+RHYTHM",
           "shoulder girdle: +flex protraction / -retraction; +abd elevation / -depression"),
    RomRow("left_shoulder", "left_elbow", None, _MY, _Z, (-45, 130), (-125, 90), (-90, 70), 15, "AAOS+CLIN",
           "from the T-pose: +flex horizontal flexion (forward) / -horizontal extension; +abd raises the arm "
           "above horizontal (anatomical abduction = 90 + abd; -90 = arm down, -125 = 35 deg across the body); "
           "+twist medial rotation / -lateral rotation"),
    RomRow("left_elbow", "left_wrist", None, _MY, _Z, (0, 150), (0, 0), (-80, 80), 10, "AAOS",
           "+flex forearm forward / -hyperextension; no abduction; twist = forearm pronation / supination"),
    RomRow("left_wrist", "left_middle1", None, _MZ, _MY, (-70, 80), (-30, 20), (-80, 80), 15, "AAOS",
           "+flex palmar flexion / -extension; +abd radial / -ulnar deviation; twist = forearm roll"),
    *_finger_rows("index"), *_finger_rows("middle"), *_finger_rows("ring"), *_finger_rows("pinky"),
    RomRow("left_thumb1", "left_thumb2", None, _MZ, _Y, (-50, 50), (-70, 70), (-45, 45), 15, "CLIN+PROJECT",
           "CMC: flexion / extension, abduction / adduction; twist = opposition roll (project allowance)"),
    RomRow("left_thumb2", "left_thumb3", None, _MZ, _Y, (-10, 70), (-20, 20), (-20, 20), 15, "MERCK+PROJECT",
           "MCP: +flex / -hyperextension"),
    RomRow("left_thumb3", None, None, _MZ, _Y, (-5, 90), (0, 0), (0, 0), 15, "MERCK+CLIN",
           "IP: +flex / -hyperextension; a hinge"),
)


def mirrored_name(name: str) -> Optional[str]:
    """``left_x`` -> ``right_x``; None for central joints."""
    return "right_" + name[len("left_"):] if name.startswith("left_") else None


def limits_degrees(row: RomRow) -> np.ndarray:
    """(3, 2) effective (min, max) of (flex, abd, twist) in degrees, margins included."""
    return np.array([row.flex, row.abd, row.twist], dtype=np.float64) + np.array([-row.margin, row.margin])


__all__ = ["RomRow", "ROM_TABLE", "mirrored_name", "limits_degrees"]
