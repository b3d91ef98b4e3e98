"""The SMPL-X body: its skeleton, model files, built-in licence-free models, pose correctives and posing.

Modules (data flows one way, top to bottom; numpy only at import, as inside Blender):

* :mod:`.skeleton`       joint names, kinematic tree, named chains, smplx's extra-joint vertex ids;
* :mod:`.model`          :func:`load_body_model`: an SMPL-X model file (``.npz`` / ``.pkl``) -> :class:`BodyModel`;
* :mod:`.chains`         kinematic chains: local <-> global joint rotations, forward kinematics (fusion, the
                         camera fit, grounding and posing all build on it);
* :mod:`.correctives`    smplx's pose feature (:func:`pose_feature`) and exact low-rank corrective bases;
* :mod:`.builtin`        the built-in models on disk (:func:`ensure_builtin_model`, :func:`resolve_model`),
                         generated on first use by :mod:`core.anny_model` or :mod:`core.mannequin`;
* :mod:`.shape_space`    whose shape space a model's betas live in (SMPL-X's or a built-in model's own), and
                         whether an estimate's betas apply to it (:func:`choose_betas`; import the module);
* :mod:`.limbs`          the limb bones and breadths as joint pairs, and their lengths (:func:`limb_lengths`);
* :mod:`.smplx_forward`  the smplx package's forward pass on a whole take (:func:`smplx_forward`; torch and smplx,
                         imported when called), the independent reference of the tests and benches;
* :mod:`.posing`         a fused take's posed skeleton and skinned vertices in plain numpy (``pose_skeleton``,
                         ``skin_vertices``); import ``core.body.posing`` (kept out of this package's import: it
                         is needed by validation and grounding only).
"""
from __future__ import annotations

from .builtin import BUILTIN_NAMES, default_cache_dir, ensure_builtin_model, is_builtin_name, resolve_model
from .correctives import CorrectiveBasis, compact_basis, full_basis, pose_feature
from .model import GENDERS, BodyModel, load_body_model, resolve_model_file
from .skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, NUM_VERTICES, PARENTS
from .smplx_forward import smplx_forward

__all__ = ["JOINT_NAMES", "JOINT_INDEX", "NUM_JOINTS", "NUM_VERTICES", "PARENTS", "GENDERS", "BodyModel",
           "load_body_model", "resolve_model_file", "CorrectiveBasis", "pose_feature", "full_basis",
           "compact_basis", "BUILTIN_NAMES", "default_cache_dir", "is_builtin_name", "ensure_builtin_model",
           "resolve_model", "smplx_forward"]
