"""The mannequin surface as a list of closed parts: the part and body types, torso and neck here;
head and limbs in :mod:`.head` and :mod:`.limbs`, which build on this module; :mod:`.body` puts
them all together (:func:`core.mannequin.body.build_body`).

Every part has a fixed vertex count (independent of the proportions), so meshes built for
different proportions share one topology and can be subtracted to get shape directions.
The left-side parts are built once and mirrored for the right side.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from ..body.skeleton import JOINT_INDEX
from .layout import MIRROR_JOINT, Layout, Proportions, mirror_x
from .primitives import Sweep, gaussian, ring_mesh, signed_volume, smoothstep, sphere_mesh


@dataclass
class SkinSpec:
    """How a part is skinned (interpreted by :mod:`.skinning`).

    ``kind``: ``"rigid"`` (all weight on ``joints[0]``), ``"chain"`` (blend along the polyline
    ``nodes`` (len(joints)+1, 3); segment i is driven by ``joints[i]``; ``blend`` (len(joints)-1,)
    half-widths in metres around the internal nodes), ``"torso"`` or ``"head"`` (special rules).
    """

    kind: str
    joints: tuple[int, ...]
    nodes: Optional[np.ndarray] = None
    blend: Optional[tuple[float, ...]] = None

    def mirrored(self) -> "SkinSpec":
        return replace(self, joints=tuple(int(MIRROR_JOINT[j]) for j in self.joints),
                       nodes=None if self.nodes is None else mirror_x(self.nodes))

    def scaled(self, s: float) -> "SkinSpec":
        return replace(self, nodes=None if self.nodes is None else self.nodes * s,
                       blend=None if self.blend is None else tuple(b * s for b in self.blend))


def rigid(joint: str) -> SkinSpec:
    return SkinSpec("rigid", (JOINT_INDEX[joint],))


def chain(joints: list[str], nodes: list[np.ndarray], blend: list[float]) -> SkinSpec:
    return SkinSpec("chain", tuple(JOINT_INDEX[j] for j in joints), np.array(nodes, dtype=np.float64),
                    tuple(float(b) for b in blend))


@dataclass
class Part:
    """One closed surface piece.

    ``vertices`` (n, 3) float64; ``faces`` (2n-4, 3) int64 local indices, wound outward;
    ``sphere`` (n, 3) the unit-sphere parameters the part was mapped from (for UVs);
    ``region`` a coarse label (``"head"``, ``"left_hand"`` ...) used by later stages.
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    sphere: np.ndarray
    skin: SkinSpec
    region: str

    def mirrored(self) -> "Part":
        """The part reflected to the other side of the body (faces re-wound to stay outward)."""
        name = self.name.replace("left_", "right_") if self.name.startswith("left_") else self.name
        region = self.region.replace("left_", "right_")
        return Part(name, mirror_x(self.vertices), self.faces[:, [0, 2, 1]].copy(), mirror_x(self.sphere),
                    self.skin.mirrored(), region)


#: Elongation of each part along its axis (fixed numbers, so every body shares one topology).
PART_STRETCH: dict[str, float] = {
    "torso": 1.9, "neck": 1.6,
    "left_upper_arm": 2.5, "left_forearm": 2.8, "left_palm": 1.4,
    "left_index": 3.8, "left_middle": 4.0, "left_pinky": 3.7, "left_ring": 4.0, "left_thumb": 2.8,
    "left_thigh": 2.2, "left_shin": 3.2, "left_foot": 2.0, "left_toes": 1.2,
}


def make_part(name: str, n: int, shape, skin: SkinSpec, region: str, front_warp: float = 0.0,
              toward: tuple[float, float, float] = (0.0, 0.0, 1.0)) -> Part:
    """A part with ``n`` vertices: ``shape`` is a :class:`Sweep` or a callable (n, 3) sphere -> (n, 3).

    ``front_warp`` / ``toward`` concentrate the part's vertices (see :func:`sphere_mesh`).
    """
    stretch = PART_STRETCH.get(name.replace("right_", "left_"))
    sphere, faces = ring_mesh(n, stretch) if stretch is not None else sphere_mesh(n, front_warp, toward)
    verts = shape.map(sphere) if isinstance(shape, Sweep) else shape(sphere)
    faces = np.array(faces, dtype=np.int64)
    if signed_volume(verts, faces) <= 0.0:
        raise RuntimeError(f"part {name} is turned inside out")
    return Part(name, verts, faces, np.array(sphere), skin, region)


@dataclass
class Body:
    """All parts of one mannequin plus the layout they were built on (both in metres)."""

    layout: Layout
    parts: list[Part] = field(default_factory=list)

    @property
    def vertices(self) -> np.ndarray:
        """(V, 3) float64, parts concatenated in order."""
        return np.concatenate([p.vertices for p in self.parts], axis=0)

    @property
    def faces(self) -> np.ndarray:
        """(F, 3) int64 global vertex indices."""
        out, offset = [], 0
        for p in self.parts:
            out.append(p.faces + offset)
            offset += p.vertices.shape[0]
        return np.concatenate(out, axis=0)

    def slices(self) -> dict[str, slice]:
        """Vertex index range of every part, by part name."""
        out, offset = {}, 0
        for p in self.parts:
            out[p.name] = slice(offset, offset + p.vertices.shape[0])
            offset += p.vertices.shape[0]
        return out

    def face_slices(self) -> dict[str, slice]:
        """Face index range of every part, by part name."""
        out, offset = {}, 0
        for p in self.parts:
            out[p.name] = slice(offset, offset + p.faces.shape[0])
            offset += p.faces.shape[0]
        return out

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)


# ----------------------------------------------------------------------------------------- torso

#: Torso profile in base coordinates: height y, half-width, front z, back z.
_TORSO_Y = np.array([-0.470, -0.430, -0.380, -0.320, -0.250, -0.180, -0.100, -0.030, 0.030, 0.080, 0.120])
_TORSO_RX = np.array([0.142, 0.166, 0.166, 0.152, 0.136, 0.137, 0.148, 0.158, 0.164, 0.168, 0.156])
_TORSO_ZF = np.array([0.072, 0.086, 0.090, 0.090, 0.088, 0.092, 0.102, 0.108, 0.106, 0.094, 0.070])
_TORSO_ZB = np.array([-0.088, -0.104, -0.100, -0.080, -0.068, -0.070, -0.076, -0.084, -0.088, -0.088, -0.078])


def torso_part(n: int, props: Proportions, layout: Layout) -> Part:
    """The one-piece torso from the crotch to the base of the neck."""
    y = _TORSO_Y
    ws = smoothstep(y, -0.15, 0.05)                 # shoulder region
    wh = 1.0 - smoothstep(y, -0.36, -0.22)          # hip region
    wm = np.clip(1.0 - ws - wh, 0.0, 1.0)           # waist
    width = 1.0 + (props.shoulder_width - 1.0) * ws + (props.hip_width - 1.0) * wh + (props.waist_width - 1.0) * wm
    rx = _TORSO_RX * width * props.girth
    chest = gaussian((y + 0.01) ** 2, 0.08)
    depth = props.girth * (1.0 + (props.chest_depth - 1.0) * chest)
    zf = _TORSO_ZF * depth + props.belly * gaussian((y + 0.19) ** 2, 0.07)
    zb = _TORSO_ZB * depth
    oz = 0.5 * (zf + zb)
    sweep = Sweep(origin=np.zeros(3), axis=np.array([0.0, 1.0, 0.0]), u=np.array([1.0, 0.0, 0.0]),
                  knots=y, ru=rx, rwp=zf - oz, rwn=oz - zb, ow=oz, cap0=0.035, cap1=0.042,
                  n_p=2.3, n_n=2.4)

    def shape(sphere: np.ndarray) -> np.ndarray:
        v = sweep.map(sphere)
        front = smoothstep(v[:, 2], 0.02, 0.06)
        bump = gaussian((np.abs(v[:, 0]) - 0.068) ** 2, 0.042) * gaussian((v[:, 1] - 0.005) ** 2, 0.048)
        v[:, 2] += props.bust * bump * front
        return v

    J = layout.joints
    nodes = [J[JOINT_INDEX[k]] for k in ("pelvis", "spine1", "spine2", "spine3", "neck", "head")]
    nodes[0] = nodes[0] + np.array([0.0, -0.2, 0.0])  # the pelvis segment reaches down to the crotch
    skin = SkinSpec("torso", tuple(JOINT_INDEX[k] for k in ("pelvis", "spine1", "spine2", "spine3", "neck")),
                    np.array(nodes), (0.045, 0.035, 0.025, 0.045))
    return make_part("torso", n, shape, skin, "torso")


def neck_part(n: int, props: Proportions, layout: Layout) -> Part:
    """The neck column from inside the shoulders up into the head."""
    p0 = np.array([0.0, 0.115, -0.032])
    head = layout.joint("head")
    p1 = np.array([0.0, head[1] + 0.045 * layout.head_scale, -0.012])
    length = float(np.linalg.norm(p1 - p0))
    g = props.girth
    sweep = Sweep(origin=p0, axis=(p1 - p0) / length, u=np.array([1.0, 0.0, 0.0]),
                  knots=np.array([0.0, 0.5 * length, length]),
                  ru=np.array([0.060, 0.054, 0.052]) * g, rwp=np.array([0.056, 0.051, 0.050]) * g,
                  cap0=0.03, cap1=0.03)
    J = layout.joints
    skin = chain(["spine3", "neck", "head"],
                 [J[JOINT_INDEX["spine3"]], layout.joint("neck"), layout.joint("head"), head + np.array([0, 0.2, 0])],
                 [0.04, 0.035])
    return make_part("neck", n, sweep, skin, "neck")
