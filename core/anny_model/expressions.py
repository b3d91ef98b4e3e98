"""Ten expression components built from the CC0 "Face Units" facial-action blendshapes (ARKit-style names).

Each component is a fixed combination of face units; one unit of the coefficient is *half* of a full activation of
the units on its positive side (so +2 is the full expression), and a negative coefficient plays the units listed
as "negative" (where there is a natural opposite). Left and right units are used together.

What they stand in for. SMPL-X's (and FLAME's) expression components are principal components learnt from scans:
they have no names and no fixed meaning beyond "component 0 mostly opens the lips". This model's components are
named actions, ordered so that the coarse, often-seen role of the low SMPL-X components is roughly kept (0: lips
apart, 1: smile). Beyond that **no index corresponds across the models**: expression coefficients estimated for
SMPL-X (e.g. by EMOCA, SMPLer-X) drive this face only loosely, and should be retargeted, not copied, when the face
matters. Jaw opening, jaw sideways/forward motion and gaze are *not* expressions here: they come from the jaw and
eye joints (``jaw_pose``, ``leye_pose``, ``reye_pose``), exactly as in SMPL-X, so the units jawOpen, jawLeft,
jawRight, jawForward, mouthClose, eyeLook* and tongueOut are unused by the components. All 52 units are also
stored as they are in the model file (``faceunits`` (V, 3, 52) float32, metres per unit, and ``faceunit_names``),
where the ARKit export (``core/export/arkit.py``) finds them.
"""
from __future__ import annotations

import numpy as np

#: (name, positive units, negative units) per component, in shapedirs order (columns 10..19).
EXPRESSIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("lips_apart", ("mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight"),
     ("mouthPressLeft", "mouthPressRight")),
    ("smile", ("mouthSmileLeft", "mouthSmileRight"), ("mouthFrownLeft", "mouthFrownRight")),
    ("pucker", ("mouthPucker",), ("mouthStretchLeft", "mouthStretchRight")),
    ("brows_up", ("browInnerUp", "browOuterUpLeft", "browOuterUpRight"), ("browDownLeft", "browDownRight")),
    ("blink", ("eyeBlinkLeft", "eyeBlinkRight"), ("eyeWideLeft", "eyeWideRight")),
    ("funnel", ("mouthFunnel",), ("mouthRollUpper", "mouthRollLower")),
    ("cheek_puff", ("cheekPuff",), ()),
    ("mouth_left", ("mouthLeft",), ("mouthRight",)),
    ("sneer", ("noseSneerLeft", "noseSneerRight", "cheekSquintLeft", "cheekSquintRight"), ()),
    ("chin_raise", ("mouthShrugUpper", "mouthShrugLower"), ("mouthDimpleLeft", "mouthDimpleRight")),
)

#: Face units deliberately left out (their motion belongs to joints, or has no SMPL-X counterpart).
UNUSED_UNITS: tuple[str, ...] = (
    "jawOpen", "jawForward", "jawLeft", "jawRight", "mouthClose", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "tongueOut",
)

#: A coefficient of 1 plays each listed unit at this weight.
UNIT_WEIGHT = 0.5


def expression_directions(units: dict[str, np.ndarray]) -> np.ndarray:
    """(V, 3, 10) float64 expression blendshapes from reposed face-unit offsets ``units`` (name -> (V, 3))."""
    first = next(iter(units.values()))
    out = np.zeros(first.shape + (len(EXPRESSIONS),))
    for k, (_, positive, negative) in enumerate(EXPRESSIONS):
        for name in positive:
            out[:, :, k] += UNIT_WEIGHT * units[name]
        for name in negative:
            out[:, :, k] -= UNIT_WEIGHT * units[name]
    return out


def used_units() -> list[str]:
    """Sorted names of the face units the components use."""
    return sorted({u for _, pos, neg in EXPRESSIONS for u in pos + neg})


def face_unit_names(assets) -> list[str]:
    """Sorted names of every face unit of the assets (MakeHuman's 52, named as ARKit names its blendshapes).

    All of them are stored in the model file (``faceunits`` / ``faceunit_names``, reposed exactly as the expression
    components) for rigs that want ARKit's shapes, the units left out of the components included.
    """
    return sorted(assets.faceunits)
