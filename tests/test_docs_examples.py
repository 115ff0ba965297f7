"""Code examples in the hand-written docs pages run, in order, page by page.

Conventions (in the Markdown source, on the line before a fenced block):
  <!-- skip: reason -->   the block is not run (placeholders, network, R); the reason is required
  <!-- exit: N -->        the block must exit with N (default 0)
python blocks run with the project's interpreter, sh blocks with bash -e -o pipefail, both in a
fresh copy of the example package (datapackage.json, data/, schemas/, validation/) with .venv/bin
on PATH; json and yaml blocks must parse. Every python, sh or r block is run or skipped with a reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pedcomm import docsgen

from .conftest import REPO

DOCS = REPO / "docs"
FENCE = re.compile(r"(?:<!--\s*(?P<directive>skip|exit):\s*(?P<arg>.*?)\s*-->\n)?^(?P<ticks>```+)(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=ticks)\s*$",
                   re.M | re.S)
RUN = {"python", "sh", "r"}


def hand_written_pages() -> list[Path]:
    generated = {DOCS / g.rstrip("/") for g in docsgen.GENERATED}
    return sorted(p for p in DOCS.rglob("*.md")
                  if not any(p == g or g in p.parents for g in generated))


def blocks(page: Path) -> list[dict]:
    text = page.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        out.append({"lang": m["lang"].lower(), "body": m["body"], "directive": m["directive"], "arg": m["arg"],
                    "line": text[:m.start("ticks")].count("\n") + 1})
    return out


def workspace(tmp: Path) -> Path:
    ws = tmp / "ws"
    ws.mkdir()
    shutil.copy(REPO / "datapackage.json", ws)
    for d in ("data", "schemas", "validation"):
        shutil.copytree(REPO / d, ws / d, symlinks=True)
    # the guides' example files (docs/examples/) are not copied: a guide gets them from `pedcomm example`, as a
    # site does after installing (tests/test_install.py runs the site guides from the wheel in an empty folder)
    return ws


def site_pages() -> list[Path]:
    """The pages a site follows after installing (the 'For sites' section of mkdocs.yml's nav)."""
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    section = next(entry["For sites"] for entry in nav if isinstance(entry, dict) and "For sites" in entry)
    return [REPO / "docs" / next(iter(item.values())) for item in section]


# The README's examples run too. The site pages run where their readers are, from the installed wheel in an
# empty folder (tests/test_install.py, test_every_site_guide_runs_from_the_installed_wheel_in_an_empty_folder),
# not a second time here in the source tree: each page's examples run once, in the stricter place.
PAGES = [p for p in hand_written_pages() if p not in set(site_pages())] + [REPO / "README.md"]


def test_there_are_examples_to_run():
    runnable = [b for p in PAGES for b in blocks(p) if b["lang"] in ("python", "sh") and b["directive"] != "skip"]
    assert len(runnable) >= 8


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_examples_run(page, tmp_path):
    ws = workspace(tmp_path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "NO_COLOR": "1", "COLUMNS": "160", "PYTHONWARNINGS": "ignore"}
    for b in blocks(page):
        where = f"{page.relative_to(REPO)}:{b['line']}"
        if b["lang"] == "json":
            json.loads(b["body"])
            continue
        if b["lang"] == "yaml":
            yaml.safe_load(b["body"])
            continue
        if b["lang"] not in RUN:
            continue
        if b["directive"] == "skip":
            assert b["arg"], f"{where}: a skipped example needs a reason"
            continue
        assert b["lang"] != "r", f"{where}: R examples cannot run here; mark them <!-- skip: reason -->"
        expected = int(b["arg"]) if b["directive"] == "exit" else 0
        cmd = [sys.executable, "-c", b["body"]] if b["lang"] == "python" else ["bash", "-e", "-o", "pipefail", "-c", b["body"]]
        proc = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == expected, (f"{where}: exit {proc.returncode}, expected {expected}\n"
                                             f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
