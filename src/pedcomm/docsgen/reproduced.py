"""The reproduced tables and figures: `pedcomm reproduce` is run at build time into a temporary folder.

Its Markdown tables are inlined, its other files (CSV, HTML, LaTeX, PNG, SVG) are served beside the
page under ``reproduced/``, and the published targets (validation/targets.csv) are listed with their
sources. If the command does not exist yet the page says so; if it exists and fails, the build fails.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import typer
import yaml

from .. import standard
from ..files.markers import MARKER
from .codebook import package_dir
from .md import BANNER, code, demote, table

ASSETS = "reproduced"
_LINK = re.compile(r"(\]\()([^)\s#]+)(\))")
_H1 = re.compile(r"^# (.+)$", re.M)


class ReproduceFailed(RuntimeError):
    """`pedcomm reproduce` exists but did not produce its tables."""


def command_exists() -> bool:
    from ..cli import app

    return "reproduce" in getattr(typer.main.get_command(app), "commands", {})


def run(out: Path) -> None:
    """Run `pedcomm reproduce` on the shipped example package (relative path, so no machine path leaks)."""
    cmd = [sys.executable, "-m", "pedcomm.cli", "reproduce", "datapackage.json", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=package_dir(), capture_output=True, text=True, env=_env())
    if proc.returncode != 0 or not (out / "index.md").is_file():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise ReproduceFailed(f"`pedcomm reproduce` exited {proc.returncode} on the shipped package:\n{tail}")


def _env() -> dict:
    import os

    return {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}


def _stem_anchor(stem: str) -> str:
    return "table-" + stem.replace("_", "-")


def rewrite_links(markdown: str, files: set[str]) -> str:
    """Links to the reproduction's files: Markdown tables become in-page anchors, the rest ``reproduced/...``."""
    def sub(m):
        target = m.group(2)
        if target not in files:
            return m.group(0)
        if target.endswith(".md"):
            return f"{m.group(1)}#{_stem_anchor(target[:-3])}{m.group(3)}"
        return f"{m.group(1)}{ASSETS}/{target}{m.group(3)}"

    return _LINK.sub(sub, markdown)


def _ordered_tables(index: str, out: Path) -> list[Path]:
    """The Markdown tables in the order the index first links them, then any others."""
    linked = [m.group(2) for m in _LINK.finditer(index) if m.group(2).endswith(".md")]
    names = list(dict.fromkeys(n for n in linked if (out / n).is_file()))
    names += sorted(p.name for p in out.glob("*.md") if p.name not in names and p.name != "index.md")
    return [out / n for n in names]


def targets_section() -> str:
    path = standard.TARGETS
    if not path.is_file():
        return ""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    body = [[r["study"], code(r["target"]), r["published"],
             f"{r['ci_lower']}-{r['ci_upper']}" if r.get("ci_lower") else "", r.get("source", ""), r.get("note", "")]
            for r in rows]
    return "\n".join([
        "## Published targets and their sources {#published-targets}", "",
        f"Every published number the reproduction is compared against ({len(rows)} targets, from "
        "`validation/targets.csv`).", "",
        table(["Study", "Target", "Published", "95% CI", "Source", "Note"], body), ""])


def _assumptions(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "assumption" and isinstance(v, str):
                yield ".".join(path), v
            else:
                yield from _assumptions(v, path + (str(k),))


def assumptions_section() -> str:
    out = []
    from ..studies import registered

    package = Path(__file__).resolve().parents[1]
    for study in registered():
        cfg = study.analysis_config
        if cfg is None:
            continue
        items = list(_assumptions(yaml.safe_load(cfg.read_text(encoding="utf-8"))))
        if items:
            where = cfg.relative_to(package).as_posix() if cfg.is_relative_to(package) else cfg.name
            out += [f"### {code('src/pedcomm/' + where)}", "",
                    *[f"- {code(k)}: {v}" for k, v in items], ""]
    return "\n".join(["## Methods and assumptions {#assumptions}", "", *out]) if out else ""


def generate() -> tuple[str, dict[str, bytes]]:
    """The page and the files to serve under ``reproduced/`` (name -> bytes)."""
    head = [BANNER.format(source="the output of `pedcomm reproduce` on the shipped example package"),
            "# Reproduced tables and figures", ""]
    if not command_exists():
        page = head + ['!!! note "Not available yet"', "",
                       "    The `pedcomm reproduce` command is not part of this version yet; once it is, this page shows "
                       "its tables and figures beside the published values. The published values and the assumptions "
                       "behind the analyses are listed below.", "",
                       targets_section(), assumptions_section()]
        return "\n".join(page), {}
    with tempfile.TemporaryDirectory(prefix="pedcomm-docs-") as tmp:
        out = Path(tmp) / "out"
        run(out)
        files = {p.name for p in out.iterdir() if p.is_file() and p.name != MARKER}  # not the output marker
        index = (out / "index.md").read_text(encoding="utf-8")
        index = _H1.sub("", index, count=1).lstrip()
        page = head + [
            "Generated at build time by running `pedcomm reproduce datapackage.json --out DIR` on the shipped "
            "SYNTHETIC example package, so these numbers are what the code gives today. The same command "
            "on a site's own package writes the same tables.", "",
            '!!! warning "What agreement with the published numbers shows here"', "",
            "    The shipped data were calibrated until pedcomm's own estimator gave the published odds ratios, so "
            "on them the agreement is by construction: it shows that the analyses run, not that they are the "
            "published ones or that their intervals are right. The evidence for the estimators is the test "
            "suite's independent computations and the [simulation study](simulation.md) of their bias and "
            "coverage. On a site's own (non-synthetic) package the same comparison reads as a replication.", "",
            rewrite_links(index, files), "", "## The tables {#reproduced-tables}", ""]
        for md in _ordered_tables(index, out):
            text = md.read_text(encoding="utf-8")
            m = _H1.search(text)
            title = m.group(1).strip() if m else md.stem
            body = _H1.sub("", text, count=1) if m else text
            page += [f"### {title} {{#{_stem_anchor(md.stem)}}}", "", demote(rewrite_links(body, files), 2).strip(), ""]
        page += [targets_section()]
        # not index.html: this page is that index (and reproduced/index.html is where mkdocs writes it)
        assets = {name: (out / name).read_bytes() for name in sorted(files)
                  if not name.endswith(".md") and name != "index.html"}
    return "\n".join(page), assets
