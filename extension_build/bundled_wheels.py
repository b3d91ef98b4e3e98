"""The wheels the extension bundles: read ``extension_build/wheels.toml``, fetch them once into a cache, check them.

Used by ``python3 build.py build`` only (set-up time; nothing downloads at run time). Each wheel is fetched with
``pip download --no-deps --only-binary=:all:`` for its own platform and Python tag, pinned by its file name, and
refused unless its sha256 matches the lock.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PLATFORMS", "LOCK", "BundledWheel", "read_lock", "fetch_wheels", "manifest_entries"]

#: Blender's platform names, the zips ``build`` writes (one each).
PLATFORMS = ("linux-x64", "windows-x64", "macos-arm64", "macos-x64")
LOCK = Path(__file__).resolve().parent / "wheels.toml"


@dataclass(frozen=True)
class BundledWheel:
    """One locked wheel: ``file`` (the wheel's own file name), ``platform`` (a Blender platform or ``any``),
    ``sha256``."""

    file: str
    platform: str
    sha256: str

    @property
    def requirement(self) -> str:
        """``name==version`` from the file name."""
        name, version = self.file.split("-")[:2]
        return f"{name}=={version}"

    def pip_target_args(self) -> list[str]:
        """``--platform`` / ``--python-version`` for a binary wheel; nothing for a pure one."""
        python_tag, _abi, platform_tags = self.file[:-4].split("-")[-3:]
        if platform_tags == "any":
            return []
        args = [f"--platform={tag}" for tag in platform_tags.split(".")]
        return [*args, f"--python-version={python_tag.removeprefix('cp')}", "--implementation=cp"]


def read_lock(path: Path = LOCK) -> list[BundledWheel]:
    """The locked wheels; refuses a lock Blender would not honour: numpy bundled (Blender's own must be used), or
    two wheels of one package for the same platform and Python (Blender keeps one per package, by file name)."""
    with path.open("rb") as fh:
        wheels = [BundledWheel(**entry) for entry in tomllib.load(fh)["wheel"]]
    seen: dict[tuple[str, str, str], str] = {}
    for wheel in wheels:
        name, python_tag = wheel.file.split("-")[0].lower(), wheel.file[:-4].split("-")[-3]
        if name == "numpy":
            raise SystemExit(f"error: {path}: {wheel.file}: never bundle numpy, Blender's own is used")
        if wheel.platform not in (*PLATFORMS, "any"):
            raise SystemExit(f"error: {path}: {wheel.file}: unknown platform '{wheel.platform}'")
        key = (name, wheel.platform, python_tag)
        if key in seen:
            raise SystemExit(f"error: {path}: {seen[key]} and {wheel.file} are both {name} for {wheel.platform} "
                             f"and {python_tag}: Blender would keep only one")
        seen[key] = wheel.file
    return wheels


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_wheels(platforms: tuple[str, ...], cache: Path, python: str = sys.executable) -> list[Path]:
    """The locked wheels for ``platforms`` (pure ones included), downloaded into ``cache`` when missing or
    different; raises ``SystemExit`` naming the file when a download does not match its hash."""
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for wheel in read_lock():
        if wheel.platform not in (*platforms, "any"):
            continue
        path = cache / wheel.file
        if not path.is_file() or _sha256(path) != wheel.sha256:
            path.unlink(missing_ok=True)
            subprocess.run([python, "-m", "pip", "download", "--disable-pip-version-check", "-q", "--no-deps",
                            "--only-binary=:all:", *wheel.pip_target_args(), wheel.requirement, "-d", str(cache)],
                           check=True)
            if not path.is_file():
                raise SystemExit(f"error: pip download did not write {wheel.file} (extension_build/wheels.toml)")
            if _sha256(path) != wheel.sha256:
                raise SystemExit(f"error: {wheel.file}: sha256 {_sha256(path)} does not match the lock's "
                                 f"{wheel.sha256} (extension_build/wheels.toml)")
        out.append(path)
    return out


def manifest_entries(wheel_files: list[str], platforms: tuple[str, ...]) -> str:
    """The manifest lines naming the bundled wheels and the platforms (TOML, appended to the staged copy)."""
    wheels = ", ".join(f'"./wheels/{name}"' for name in wheel_files)
    names = ", ".join(f'"{p}"' for p in platforms)
    return f"\nplatforms = [{names}]\nwheels = [{wheels}]\n"
