"""Property-based fuzzing of every reader, bounded for the test suite (``bench/fuzz.py`` runs 10,000 per reader).

For every reader and every fault class (``fuzz_kit.FAULTS``), hypothesis draws a fault and its parameters; the
faulty file must end in a result that keeps the reader's contract or in the project's own error
(``core.errors.FusionError``) whose message is one readable line naming the file. Nothing else: no other
exception, no crash, no payload that runs. Examples are derandomized, so the suite is reproducible.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import fuzz_kit as K

READERS = ("smpler-x", "smplest-x", "pixie", "amass", "expose", "emoca", "wilor", "fused", "model",
           "openpose", "mmpose", "rtmlib", "smpl", "mcs")
EXAMPLES_PER_READER = 120


@pytest.mark.parametrize("reader", READERS)
def test_faulty_files_end_in_a_result_or_a_readable_error(reader, fuzz_targets):
    workdir, targets = fuzz_targets
    target = targets[reader]
    seen: dict[str, int] = {}

    @settings(max_examples=EXAMPLES_PER_READER, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(fault=st.sampled_from(target.faults), rnd=st.randoms(use_true_random=False))
    def case(fault, rnd):
        outcome = K.run_case(target, fault, rnd, workdir)
        seen[outcome.status] = seen.get(outcome.status, 0) + 1
        assert not outcome.failed, f"{outcome.status} on {outcome.description}:\n{outcome.detail}"

    case()
    assert set(seen) <= {"ok", "error"} and seen.get("error", 0) > 0, seen


def test_every_fault_class_is_exercised(fuzz_targets):
    """Each fault class changes the seed for every reader it applies to (no silent no-op injectors)."""
    import random

    workdir, targets = fuzz_targets
    for name, target in targets.items():
        for fault in target.faults:
            changed = 0
            for i in range(12):
                r = random.Random(f"coverage:{name}:{fault}:{i}")
                seed = K.pick_seed(target, r)
                tree = dict(seed.files)
                K.apply_fault(fault, tree, r, K.Ctx(workdir=workdir, seed=seed), target.faults)
                before = {k: v.encode() for k, v in seed.files.items()}
                after = {k: v.encode() for k, v in tree.items()}
                changed += before != after
            assert changed >= 6, f"{name}: fault {fault} changed the files in only {changed} of 12 draws"


def test_fault_classes_cover_the_brief():
    """The fault catalogue names every class the hardening issue asks for."""
    wanted = {"truncate", "dtype", "shape", "nan_inf", "empty", "extra_key", "drop_key", "huge_header", "is_right",
              "frames", "payload"}
    assert wanted <= set(K.FAULTS) and set(K.FAULTS) == set(K.FAULT_MEANING)
