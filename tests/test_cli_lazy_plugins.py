"""``python -m core <command>`` imports only the plugin package its command needs (start-up time, issue 20)."""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli

ROOT = Path(__file__).resolve().parents[1]


def commands_added_by(module_name: str) -> set[str]:
    """The sub-command names a plugin module registers, read from a parser of its own."""
    sub = argparse.ArgumentParser().add_subparsers(dest="command")
    importlib.import_module(module_name).add_parser(sub)
    return set(sub.choices)


@pytest.mark.parametrize("module_name", cli._PLUGIN_COMMANDS)
def test_command_map_matches_what_each_plugin_registers(module_name):
    mapped = {name for name, module in cli._PLUGIN_OF_COMMAND.items() if module == module_name}
    assert commands_added_by(module_name) == mapped


def test_selective_parser_reads_a_command_line_like_the_full_one(tmp_path):
    line = ["ground", str(tmp_path / "a.fused.npz"), "--out", str(tmp_path / "b.fused.npz"), "--mode", "always"]
    full = vars(cli.build_parser().parse_args(line))
    own = vars(cli.build_parser(cli._command_of(line)).parse_args(line))
    assert own == full and own["mode"] == "always"
    fuse_line = ["--debug", "fuse", "--body", "x", "--out", "y.fused.npz", "--expression-route", "direct"]
    assert cli._command_of(fuse_line) == "fuse"
    assert vars(cli.build_parser("fuse").parse_args(fuse_line)) == vars(cli.build_parser().parse_args(fuse_line))


def test_unknown_or_missing_command_builds_every_parser():
    assert cli._plugins_for(None) == cli._PLUGIN_COMMANDS
    assert cli._plugins_for("no-such-command") == cli._PLUGIN_COMMANDS
    assert cli._plugins_for("fuse") == ()
    assert cli._plugins_for("fit-camera") == ("core.camera.command",)


HEAVY = ("scipy.signal", "torch", "bpy", "core.grounding", "core.camera", "core.validate", "core.interchange")


@pytest.mark.parametrize("command, allowed", [
    ("fuse", ()),
    ("fit-camera", ("core.camera",)),
    ("ground", ("core.grounding",)),
])
def test_a_command_imports_only_its_own_plugin_at_start(command, allowed):
    """A fresh interpreter builds the parser for ``command``; the other plugin packages, scipy.signal, torch and bpy
    stay unimported."""
    code = (f"import sys, json; from core.cli import build_parser; build_parser({command!r}); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'torch', 'bpy', 'core'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    unwanted = {m for m in loaded for heavy in HEAVY if (m == heavy or m.startswith(heavy + "."))
                and not any(m == a or m.startswith(a + ".") for a in allowed)}
    assert not unwanted, f"{command}: imported {sorted(unwanted)}"
    assert "scipy.signal" not in loaded
