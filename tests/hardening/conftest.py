"""Fixtures shared by the hardening tests: the fuzzing seeds, and the extension zip built as a user gets it."""
from __future__ import annotations

from pathlib import Path

import pytest

from . import fuzz_kit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fuzz_targets(tmp_path_factory) -> tuple[Path, dict[str, fuzz_kit.Target]]:
    """(work folder, every reader's seeds in their real formats), built once per session."""
    workdir = tmp_path_factory.mktemp("fuzz")
    return workdir, fuzz_kit.build_targets(workdir)


@pytest.fixture(scope="session")
def built_zip(extension_zip) -> Path:
    """The zip ``python build.py build`` writes (the session fixture of tests/conftest.py)."""
    return extension_zip
