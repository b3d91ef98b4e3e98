"""Where the rig's bones point: the tails the import builds the armature with, and the validation's shape fix
puts back when it moves the rests with the betas."""
from __future__ import annotations

import numpy as np

from ..core.body.skeleton import JOINT_INDEX, JOINT_NAMES, PARENTS

__all__ = ["bone_tails"]

# joints whose bone points at one particular child rather than the only one
_PRIMARY_CHILD = {"pelvis": "spine1", "spine3": "neck", "left_wrist": "left_middle1",
                  "right_wrist": "right_middle1"}
# leaves and the head: a fixed direction in Blender's rest frame (Z up, front is -Y) and length in metres
_FIXED_DIRECTION = {"head": ((0.0, 0.0, 1.0), 0.18), "jaw": ((0.0, -0.8, -0.6), 0.08),
                    "left_eye_smplhf": ((0.0, -1.0, 0.0), 0.025), "right_eye_smplhf": ((0.0, -1.0, 0.0), 0.025),
                    "left_foot": ((0.0, -1.0, 0.0), 0.08), "right_foot": ((0.0, -1.0, 0.0), 0.08)}


def bone_tails(heads_bl: np.ndarray) -> np.ndarray:
    """(55, 3) bone heads in the Blender rest frame -> (55, 3) tails pointing along each limb."""
    tails = np.zeros_like(heads_bl)
    for j, name in enumerate(JOINT_NAMES):
        if name in _FIXED_DIRECTION:
            direction, length = _FIXED_DIRECTION[name]
            tails[j] = heads_bl[j] + length * np.asarray(direction)
            continue
        children = [int(c) for c in np.nonzero(PARENTS == j)[0]]
        if name in _PRIMARY_CHILD:
            children = [JOINT_INDEX[_PRIMARY_CHILD[name]]]
        if children:
            tails[j] = heads_bl[children[0]]
        else:  # finger tips: continue the parent bone's direction
            along = heads_bl[j] - heads_bl[PARENTS[j]]
            tails[j] = heads_bl[j] + 0.8 * along
        if np.linalg.norm(tails[j] - heads_bl[j]) < 1e-3:
            tails[j] = heads_bl[j] + np.array([0.0, 0.0, 0.01])
    return tails
