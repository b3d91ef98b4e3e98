"""extension_build/: the wheels each platform's zip bundles, checked without a download (the zip itself is built
and installed by tests/test_extension_zip.py and tests/blender_versions/)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extension_build"))
from bundled_wheels import PLATFORMS, read_lock  # noqa: E402


def test_every_platform_has_one_scipy_per_blender_python_and_no_numpy():
    wheels = read_lock()
    for platform in PLATFORMS:
        for python_tag in ("cp311", "cp313"):  # Blender 4.5 / 5.0, and 5.1+
            found = [w.file for w in wheels if w.platform == platform and w.file.startswith("scipy-")
                     and f"-{python_tag}-" in w.file]
            assert len(found) == 1, (platform, python_tag, found)
    assert not any(w.file.lower().startswith("numpy-") for w in wheels)
    assert [w.file for w in wheels if w.platform == "any"] == [
        "tqdm-4.67.1-py3-none-any.whl", "smplcodec-2.3.0-py3-none-any.whl", "semver-3.2.0-py3-none-any.whl"]
    macos_arm = [w.file for w in wheels if w.platform == "macos-arm64"]
    assert all("macosx_12_0_arm64" in f for f in macos_arm), macos_arm  # one tag only: Blender keeps one


@pytest.mark.parametrize("extra, message", [
    ('[[wheel]]\nfile = "numpy-2.2.6-cp311-cp311-win_amd64.whl"\nplatform = "windows-x64"\nsha256 = "0"\n',
     "never bundle numpy"),
    ('[[wheel]]\nfile = "scipy-1.16.3-cp311-cp311-macosx_14_0_arm64.whl"\nplatform = "macos-arm64"\nsha256 = "0"\n',
     "Blender would keep only one"),
])
def test_a_lock_blender_would_not_honour_is_refused(tmp_path, extra, message):
    from bundled_wheels import LOCK

    lock = tmp_path / "wheels.toml"
    lock.write_text(LOCK.read_text() + "\n" + extra)
    with pytest.raises(SystemExit, match=message):
        read_lock(lock)
