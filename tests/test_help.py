"""Every command's help as rendered by Typer/Rich at 80 and 120 columns: plain type words (no
`<bool>`, `{path}`, `<list[Path]>`), sentences wrapped at the terminal's width, not where the source
code broke them (issue 17)."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from pedcomm.cli import app

runner = CliRunner()


def command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    out = [[]]

    def walk(cmd, path):
        if isinstance(getattr(cmd, "commands", None), dict):
            for name, sub in cmd.commands.items():
                out.append(path + [name])
                walk(sub, path + [name])

    walk(root, [])
    return out


PATHS = command_paths()


def test_every_command_is_walked():
    names = {" ".join(p) for p in PATHS}
    assert {"validate", "dashboard", "init", "explain", "redcap import", "qda export", "synth all", "summarize"} <= names


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "pedcomm")
def test_help_is_clean(path, width):
    r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(width), "NO_COLOR": "1"}, terminal_width=width)
    assert r.exit_code == 0, r.output
    text = r.output
    for artefact in ("<bool>", "<path>", "<int>", "<str>", "<float>", "<list[", "{path}", "{out}", "<file>", "<directory>"):
        assert artefact not in text, (path, artefact)
    assert not re.search(r"Usage: .*\{", text), text.splitlines()[1]
    assert max(len(line) for line in text.splitlines()) <= width
    # the description: every line of a paragraph but its last is filled to near the width
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("Usage:")) + 1
    end = next((i for i, ln in enumerate(lines) if ln.startswith("╭")), len(lines))
    para: list[str] = []
    for ln in lines[start:end] + [""]:
        if ln.strip():
            para.append(ln.rstrip())
            continue
        for inner in para[:-1]:
            assert len(inner) >= width - 25, (path, width, inner)
        para = []
