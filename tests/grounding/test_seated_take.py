"""The seated take (a person on an invisible stool, feet dangling still above the floor): its truth has the claimed
properties, measured with the smplx package's forward pass (independent of core's numpy skinning); mode ``auto``
leaves its estimate unchanged; the dangling-foot rule behind that, on its own and on the walk it must not touch."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.body.posing import EXTRA_JOINT_ORDER
from core.body.smplx_forward import smplx_forward
from core.grounding import ContactParams, GroundingParams, GroundPlane, foot_points, ground_sequence
from core.grounding.contacts import dangling_feet
from core.grounding.pipeline import below_fraction

SEEDS = (0, 1, 2)
FOOT_NAMES = ("LHeel", "LBigToe", "LSmallToe", "RHeel", "RBigToe", "RSmallToe")
#: the rule switched off: no knee is bent more than 181 degrees
RULE_OFF = GroundingParams(contact=ContactParams(dangle_knee_deg=181.0))


@pytest.fixture(scope="module")
def seated_takes(mannequin):
    from core.demo_data.grounding_takes import make_grounding_takes

    return {seed: make_grounding_takes(mannequin, num_frames=150, seed=seed)["seated"] for seed in SEEDS}


def _smplx_joints_and_feet(model_path, seq):
    """(T, 22, 3) body joints and (T, 6, 3) heel / big-toe / small-toe points, left then right, smplx forward."""
    joints, _ = smplx_forward(model_path, seq, num_betas=10, num_expression=10)
    feet = np.stack([joints[:, 55 + EXTRA_JOINT_ORDER.index(n)] for n in FOOT_NAMES], axis=1)
    return joints[:, :22], feet


def _longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for value in mask:
        run = run + 1 if value else 0
        best = max(best, run)
    return best


@pytest.mark.parametrize("seed", SEEDS)
def test_seated_truth_dangles_above_the_floor_and_holds_still(seated_takes, model_path, seed):
    take = seated_takes[seed]
    truth = take.truth
    seq = truth.sequence
    floor = GroundPlane.from_array(truth.plane)
    joints, feet = _smplx_joints_and_feet(model_path, seq)
    # no contacts, and the file says so
    assert not truth.contact.any() and not seq.extras["foot_contact"].any()
    # every frame's lowest foot point is 0.15-0.35 m above the floor
    lowest = floor.signed_distance(feet).min(axis=1)  # (T,)
    assert lowest.min() >= 0.149 and lowest.max() <= 0.35
    # seconds of near-still feet: every foot point slower than 2 cm/s for at least 2 s running
    speed = np.linalg.norm(np.diff(feet, axis=0), axis=-1).max(axis=1) * seq.fps  # (T-1,)
    assert _longest_run(speed < 0.02) >= 2.0 * seq.fps
    # ... and a leg swing somewhere (the feet are not frozen)
    assert speed.max() > 0.2
    # seated: thighs about horizontal (within 15 deg of the floor), shins hanging (ankle below knee)
    for hip, knee, ankle in ((1, 4, 7), (2, 5, 8)):
        thigh = joints[:, knee] - joints[:, hip]
        elevation = np.degrees(np.arcsin(thigh @ floor.normal / np.linalg.norm(thigh, axis=1)))
        assert np.abs(elevation).max() < 15.0
        assert (floor.signed_distance(joints[:, ankle]) < floor.signed_distance(joints[:, knee]) - 0.2).all()
    # the pelvis is in view
    pelvis = joints[:, 0]
    assert (pelvis[:, 2] > 1.0).all()
    uv = pelvis @ np.asarray(seq.camera_K).T
    uv = uv[:, :2] / uv[:, 2:]
    width, height = seq.image_size
    assert ((uv > 0) & (uv < [width, height])).all()
    # the take's identity differs per seed, as in the other takes
    others = [seated_takes[s].truth.sequence.betas for s in SEEDS if s != seed]
    assert all(not np.allclose(seq.betas, b) for b in others)


@pytest.mark.parametrize("seed", SEEDS)
def test_seated_estimate_is_unchanged_in_auto(mannequin, seated_takes, seed):
    take = seated_takes[seed]
    result = ground_sequence(take.estimate, mannequin, "auto")
    assert result.lock is None and not result.contact.any()
    assert result.estimate.plane_source == "none"
    assert result.sequence is take.estimate


def test_without_the_dangling_rule_the_seated_take_is_locked(mannequin, seated_takes):
    """The hard case is real: height and speed alone lock the still, dangling feet on a plane through them."""
    result = ground_sequence(seated_takes[0].estimate, mannequin, "auto", params=RULE_OFF)
    assert result.lock is not None and (result.lock.lock_weight > 0).any(axis=1).sum() > 100


@pytest.mark.parametrize("seed", SEEDS)
def test_mode_always_locks_the_dangling_feet_where_they_hang(mannequin, seated_takes, seed):
    """Mode ``always`` locks every low, slow foot, dangling ones too, but their floor is the feet's lowest level
    (dangling feet fit no plane), so the feet stay where they hang: few frames pushed, small mean shift."""
    take = seated_takes[seed]
    result = ground_sequence(take.estimate, mannequin, "always")
    assert result.estimate.plane_source == "lowest"
    pts = foot_points(take.estimate, mannequin)
    assert below_fraction(pts, result.estimate.plane, 0.0) <= 0.03
    assert result.lock.pushed.any(axis=1).mean() <= 0.2
    assert float(result.lock.foot_shift_m.mean()) < 0.015


def test_dangling_rule_needs_a_bent_knee_and_toes_down():
    """Hand-built legs (hip at the origin, 0.4 m bones, Y up, Z forward; +x rotations turn a foot's toes down):
    only a bent knee over an ankle plantar-flexed in the shin's frame *and* a foot pointing down in the world
    dangles. A straight leg on tiptoe, a toe-off, a bent knee over a flat foot, a squat, and a seated person's feet
    put forward flat on the floor (ankle plantar-flexed against the slanting shin, foot level) do not."""
    def leg(knee_deg: float) -> np.ndarray:
        thigh_dir = np.array([0.0, -np.cos(np.radians(80.0)), np.sin(np.radians(80.0))]) if knee_deg > 0 \
            else np.array([0.0, -1.0, 0.0])
        shin_dir = Rotation.from_euler("x", knee_deg, degrees=True).apply(thigh_dir)
        knee = 0.4 * thigh_dir
        return np.stack([np.zeros(3), knee, knee + 0.4 * shin_dir])

    def rotations(knee_deg: float, plantar_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """(local, global) ankle rotations: the thigh turned 80 deg forward (hip -80 about x) when the knee bends,
        then the knee and the ankle about x."""
        hip_deg = -80.0 if knee_deg > 0 else 0.0
        local = Rotation.from_euler("x", plantar_deg, degrees=True).as_matrix()
        world = Rotation.from_euler("x", hip_deg + knee_deg + plantar_deg, degrees=True).as_matrix()
        return local, world

    cases = {  # (knee bend, plantar flexion) -> dangling?
        (90.0, 25.0): True,    # seated, relaxed foot hanging toes down (35 deg below level)
        (0.0, 40.0): False,    # tiptoe standing: straight knee
        (38.0, 18.0): False,   # a walk's toe-off
        (90.0, 0.0): False,    # seated, foot flat on the floor
        (120.0, -20.0): False,  # squat, heel down (dorsiflexed)
        (60.0, 20.0): False,   # seated, feet put forward flat: shin slants 20 deg, ankle 20 deg, foot level
    }
    legs = np.stack([np.stack([leg(k), leg(k)]) for k, _ in cases])  # (N, 2, 3, 3)
    local, world = zip(*(rotations(k, p) for k, p in cases))
    local_rot = np.stack([np.stack([r, r]) for r in local])  # (N, 2, 3, 3)
    global_rot = np.stack([np.stack([r, r]) for r in world])
    got = dangling_feet(legs, local_rot, global_rot, np.array([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(got[:, 0], list(cases.values()))
    np.testing.assert_array_equal(got[:, 0], got[:, 1])


def test_dangling_rule_never_fires_on_the_walk(mannequin, grounding_takes):
    """The walk's estimate grounds bit for bit as with the rule switched off."""
    take = grounding_takes["walking"]
    on = ground_sequence(take.estimate, mannequin, "auto")
    off = ground_sequence(take.estimate, mannequin, "auto", params=RULE_OFF)
    np.testing.assert_array_equal(on.contact, off.contact)
    np.testing.assert_array_equal(on.sequence.body_pose, off.sequence.body_pose)
    np.testing.assert_array_equal(on.sequence.transl, off.sequence.transl)


def test_demo_data_writes_the_seated_take(model_path, tmp_path):
    from core.cli import main
    from core.contracts.fused_file import read_fused

    assert main(["demo-data", str(tmp_path), "--walking", "--model", str(model_path)]) == 0
    manifest = json.loads((tmp_path / "grounding.json").read_text())
    assert set(manifest["takes"]) == {"walking", "floating", "seated"}
    assert manifest["takes"]["seated"]["contact_frames"] == [0, 0]
    truth = read_fused(tmp_path / "seated" / "ground_truth.fused.npz")
    estimate = read_fused(tmp_path / "seated" / "estimate.fused.npz")
    assert not truth.extras["foot_contact"].any() and truth.extras["ground_plane"].shape == (4,)
    assert estimate.num_frames == truth.num_frames == 150
    assert not np.array_equal(estimate.transl, truth.transl)
