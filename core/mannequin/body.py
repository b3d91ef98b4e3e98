"""The whole mannequin surface: every part built for given proportions and put together.

The parts come from :mod:`.surface` (torso, neck), :mod:`.head` (head, eyes, ears) and
:mod:`.limbs` (arms, hands, legs, feet); this module sits above all three, so none of them
imports it.
"""
from __future__ import annotations

from ..body.skeleton import NUM_VERTICES
from .head import head_parts
from .layout import Proportions, base_layout
from .limbs import arm_parts, leg_parts
from .surface import Body, Part, neck_part, torso_part

#: Vertex count of each left-side (or central) part; right-side parts copy their left twin.
#: The torso takes whatever remains of NUM_VERTICES.
PART_COUNTS: dict[str, int] = {
    "head": 2400, "left_eye": 90, "left_ear": 80, "neck": 200,
    "left_shoulder_ball": 80, "left_upper_arm": 280, "left_elbow_ball": 60, "left_forearm": 250,
    "left_wrist_ball": 48, "left_palm": 230,
    "left_index": 150, "left_middle": 160, "left_pinky": 130, "left_ring": 150, "left_thumb": 150,
    "left_thigh": 380, "left_knee_ball": 80, "left_shin": 300, "left_ankle_ball": 50,
    "left_foot": 240, "left_toes": 110,
}
def _torso_count() -> int:
    total = 0
    for name, n in PART_COUNTS.items():
        total += 2 * n if name.startswith("left_") else n
    return NUM_VERTICES - total


def build_body(props: Proportions) -> Body:
    """Build every part for ``props``; the vertex count totals exactly NUM_VERTICES."""
    layout = base_layout(props)
    counts = dict(PART_COUNTS)
    parts: list[Part] = [torso_part(_torso_count(), props, layout), neck_part(counts["neck"], props, layout)]
    parts += head_parts(props, layout, counts)
    left = arm_parts(props, layout, counts) + leg_parts(props, layout, counts)
    parts += left
    parts += [p.mirrored() for p in left]
    s = props.stature
    body = Body(layout=layout.scaled(s))
    for p in parts:
        body.parts.append(Part(p.name, p.vertices * s, p.faces, p.sphere, p.skin.scaled(s), p.region))
    n = sum(p.vertices.shape[0] for p in body.parts)
    if n != NUM_VERTICES:
        raise RuntimeError(f"mannequin has {n} vertices, expected {NUM_VERTICES}")
    return body


__all__ = ["PART_COUNTS", "build_body"]
