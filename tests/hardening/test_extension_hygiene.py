"""Extension hygiene, checked on the zip ``build.py build`` makes: only the ``files`` permission, no network
access anywhere in the add-on or the vendored core, and no writes into the extension's own folder (user data
goes to ``bpy.utils.extension_path_user``)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

#: Modules (and their sub-modules) that reach the network.
NETWORK_MODULES = ("socket", "ssl", "http", "urllib", "urllib2", "urllib3", "requests", "httpx", "aiohttp",
                   "ftplib", "smtplib", "poplib", "imaplib", "nntplib", "telnetlib", "xmlrpc", "websocket",
                   "websockets", "webbrowser", "socketserver", "asyncio.streams")
#: Calls that write files, with the position of their path argument.
WRITE_CALLS = {"open": 0, "write_text": None, "write_bytes": None, "mkdir": None, "touch": None, "save": 0,
               "savez": 0, "savez_compressed": 0, "copy": 1, "copy2": 1, "copyfile": 1, "copytree": 1, "move": 1,
               "makedirs": 0, "replace": 1, "rename": 1, "unlink": None, "rmtree": 0, "remove": 0,
               "write_bundled_models": 0, "write_mannequin_set": 0, "write_mannequin": 0}


@pytest.fixture(scope="module")
def sources(built_zip) -> dict[str, str]:
    with zipfile.ZipFile(built_zip) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist() if name.endswith(".py")}


def test_manifest_declares_only_the_files_permission(built_zip):
    with zipfile.ZipFile(built_zip) as zf:
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
    assert set(manifest.get("permissions", {})) == {"files"}
    assert manifest["permissions"]["files"].strip()


def _imported_modules(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")):
            found.append((node.args[0].value, node.lineno))
    return found


def test_no_network_access_in_the_add_on_or_core(sources):
    assert len(sources) > 40 and "core/io/loaders.py" in sources and "importing/ops.py" in sources
    offenders = []
    for name, text in sources.items():
        tree = ast.parse(text, filename=name)
        for module, line in _imported_modules(tree):
            if any(module == m or module.startswith(m + ".") for m in NETWORK_MODULES):
                offenders.append(f"{name}:{line} imports {module}")
        if "url_open" in text:
            offenders.append(f"{name}: calls bpy.ops.wm.url_open")
    assert offenders == []


def _names_from_file_location(tree: ast.Module) -> set[str]:
    """Module-level names whose value is computed from ``__file__`` (the package's own folder), transitively."""
    tainted: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                source = ast.unparse(node.value) if node.value is not None else ""
                if "__file__" in source or any(t in source for t in tainted):
                    for target in targets:
                        if isinstance(target, ast.Name) and target.id not in tainted:
                            tainted.add(target.id)
                            changed = True
    return tainted


def test_nothing_writes_into_the_extension_folder(sources):
    """No file-writing call takes a path built from ``__file__`` (or a module constant derived from it)."""
    offenders = []
    for name, text in sources.items():
        tree = ast.parse(text, filename=name)
        tainted = _names_from_file_location(tree) | {"__file__"}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func not in WRITE_CALLS:
                continue
            if func == "open" and not _opens_for_writing(node):
                continue
            position = WRITE_CALLS[func]
            parts = [node.func.value] if position is None and isinstance(node.func, ast.Attribute) else \
                node.args[position:position + 1] if position is not None else []
            source = " ".join(ast.unparse(p) for p in parts)
            if any(t in source.replace(".", " ").replace("(", " ").split() or t in source for t in tainted):
                offenders.append(f"{name}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert offenders == []


def _opens_for_writing(node: ast.Call) -> bool:
    mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wax+")


def test_the_scan_catches_writes_next_to_the_package():
    """The static check is not vacuous: it flags the usual ways of writing beside ``__file__``."""
    bad = textwrap.dedent("""
        from pathlib import Path
        import numpy as np
        HERE = Path(__file__).parent
        CACHE = HERE / "cache"
        def f():
            np.save(CACHE / "x.npy", 1)
            (HERE / "log.txt").write_text("x")
            open(HERE / "y", "w")
    """)
    tree = ast.parse(bad)
    assert _names_from_file_location(tree) == {"HERE", "CACHE"}
    sources = {"bad.py": bad}
    with pytest.raises(AssertionError):
        test_nothing_writes_into_the_extension_folder(sources)


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (bytecode caches aside: the interpreter writes those for any package)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_installed_extension_folder_is_unchanged_by_use(built_zip, tmp_path):
    """Install as a user would (fresh HOME) and import a take with the default model: the extension's folder is
    byte-for-byte as installed, and user data lives under extension_path_user."""
    from core.contracts.fused_file import write_fused
    from core.demo_data.motion import make_demo_sequence

    fused = write_fused(tmp_path / "take.fused.npz", make_demo_sequence(num_frames=4))
    home = tmp_path / "home"
    home.mkdir()
    ext = home / ".config/blender/5.0/extensions/user_default/smplx_fusion"
    script = textwrap.dedent(f"""
        import json, os, sys
        from pathlib import Path
        import bpy
        assert bpy.ops.extensions.package_install_files(filepath={str(built_zip)!r}, repo="user_default",
                                                         enable_on_install=True) == {{"FINISHED"}}
        ext = Path({str(ext)!r})
        def listing():
            return {{str(p.relative_to(ext)): (p.stat().st_size, p.stat().st_mtime_ns) for p in ext.rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts}}
        before = listing()
        import importlib
        prefs = importlib.import_module("bl_ext.user_default.smplx_fusion.preferences")
        user_dir = prefs.builtin_model_cache_dir()
        assert bpy.ops.smplx_fusion.import_fused(filepath={str(fused)!r}) == {{"FINISHED"}}  # default model
        print("RESULT", json.dumps({{"same": listing() == before, "files": len(before), "user_dir": user_dir}}))
    """)
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    env.pop("SMPLX_FUSION_MODEL_DIR", None)
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    import json

    result = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT"))[len("RESULT "):])
    assert result["same"] and result["files"] > 40
    assert "/extensions/.user/user_default/smplx_fusion" in result["user_dir"]
    assert not Path(result["user_dir"]).is_relative_to(ext)
