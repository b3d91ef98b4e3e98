"""docs/ARCHITECTURE.md (data flow): ``core/fusion`` is arrays in, arrays out; files are read and written in
``core/io``, the export modules and the commands. A check of the source, so a file call does not creep back in.

Every module under ``core/fusion`` is scanned, sub-packages included (``core/fusion/expression``), except the
command modules (:data:`COMMANDS`, every ``command.py``): they are the CLI sub-commands (``fuse``, ``arkit``,
``expression-mapper``), which read their input files and write their outputs, calling ``core.io`` and the export
modules for it."""
from __future__ import annotations

import ast
from pathlib import Path

FUSION = Path(__file__).resolve().parents[2] / "core" / "fusion"
#: File names of the command modules, which may open files (the CLI's sub-commands).
COMMANDS = ("command.py",)
#: Calls that open, read or write files (numpy's and pathlib's included).
FILE_CALLS = {"open", "load", "save", "savez", "savez_compressed", "loadtxt", "savetxt", "fromfile", "tofile",
              "read_text", "write_text", "read_bytes", "write_bytes", "mkdir", "unlink", "load_pickle", "load_npz"}
#: Modules whose import means file work (the project's readers included).
FILE_MODULES = ("io", "safe_pickle", "face_units", "expression_mapper_file", "flame_model")


def _file_calls(path: Path) -> list[str]:
    where = path.relative_to(FUSION.parent)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            receiver = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            if name in FILE_CALLS:
                found.append(f"{where}:{node.lineno} {receiver + '.' if receiver else ''}{name}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{where}:{node.lineno} imports {m}" for m in modules
                      if m and (m in ("csv", "pathlib", "pickle", "zipfile") or m.split(".")[-1] in FILE_MODULES)]
    return found


def test_the_check_finds_file_work():
    hits = _file_calls(FUSION.parents[0] / "export" / "arkit.py")
    assert any("open" in h for h in hits) and any("face_units" in h for h in hits)
    assert any("read_mapper_arrays" in h or "expression_mapper_file" in h
               for h in _file_calls(FUSION / "expression" / "command.py"))


def test_core_fusion_opens_no_files():
    files = sorted(p for p in FUSION.rglob("*.py") if p.name not in COMMANDS)
    assert len(files) >= 12 and any(p.parent.name == "expression" for p in files)
    found = [hit for path in files for hit in _file_calls(path)]
    assert not found, found
