"""DIR/index.md: what was reproduced from which data, how, and how it compares with the publication.

Holds no timestamps or absolute paths of the output, so two runs on the same input write the same file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .. import __version__
from .compare import OR_RELATIVE_TOLERANCE, STATUS_MEANING, STATUSES
from ..render_safe import Markdown, md
from .render_tables import FORMATS, markdown_table

if TYPE_CHECKING:
    from .reproduce import Outcome

FORMAT_NAMES = {"csv": "CSV", "md": "Markdown", "html": "HTML", "tex": "LaTeX", "png": "PNG", "svg": "SVG"}


def package_digest(inputs: list[dict]) -> str:
    """SHA-256 of the input manifest: one '<sha256>  <path>' line per input file, sorted by path."""
    lines = "".join(f"{i['sha256']}  {i['path']}\n" for i in sorted(inputs, key=lambda i: i["path"]))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def shown_path(path: str) -> str:
    """The package path as the user would type it: relative to the working folder when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _links(files: dict[str, str]) -> str:
    return " · ".join(f"[{FORMAT_NAMES.get(ext, ext)}]({name})" for ext, name in files.items())


def _figures(outcome: "Outcome", result) -> list[str]:
    """The study's figures: links to both formats, then the PNG inline (nothing without figures)."""
    if not result.figures:
        return []
    out = ["", "### Figures", ""]
    for f in result.figures:
        files = outcome.files[f.name]
        out += [f"- {f.title}: {_links(files)}"]
    for f in result.figures:
        out += ["", f"![{f.title}]({outcome.files[f.name]['png']})"]
    return out


def index_markdown(outcome: "Outcome", titles: dict[str, str], path: str) -> str:
    report = outcome.validated.report
    desc = outcome.validated.package.descriptor if outcome.validated.package else {}
    totals = report.totals()
    counts = outcome.status_counts
    out = ["# Reproduction of the published analyses", ""]
    if "synthetic data" in desc.get("keywords", []):
        out += ["> **The input package is SYNTHETIC** (its descriptor says so): these tables show that the "
                "analyses run and recover the published figures; they are not research results.", ""]
    out += [
        "## Input and tool",
        "",
        f"- Data package: {md(shown_path(path))} ({md(desc.get('title', desc.get('name', 'untitled')))}, "
        f"version {md(desc.get('version', 'not given'))})",
        f"- Data package hash: `sha256:{package_digest(report.inputs)}` (SHA-256 of the manifest of input-file "
        "hashes listed at the end, one `<sha256>  <path>` line per file, sorted by path)",
        f"- Tool: pedcomm {__version__} (standard {report.meta.get('schema_version')})",
        f"- Validation: {report.status} ({totals['error']} errors, {totals['warning']} warnings, "
        f"{totals['info']} notes); the tables were produced only because there were no errors",
        "",
        "## Comparison with the published numbers",
        "",
        f"{len(outcome.comparison)} published targets (validation/targets.csv): "
        + ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]) + ".",
        "",
        f"All comparisons: {_links(outcome.files['comparison'])}.",
    ]
    if "comparison_odds_ratios" in outcome.files:
        out += [f"Odds ratios with both CIs: {_links(outcome.files['comparison_odds_ratios'])}; forest plot: "
                f"[PNG]({outcome.files['forest']['png']}) · [SVG]({outcome.files['forest']['svg']})."]
        out += ["", f"![Published and reproduced odds ratios]({outcome.files['forest']['png']})"]
    out += ["", "Statuses:", ""]
    out += [f"- `{s}`: {STATUS_MEANING[s]}." for s in STATUSES]
    out += ["", f"The tolerance for odds ratios ({OR_RELATIVE_TOLERANCE:.0%} of the published point estimate) "
            "allows for estimates from re-generated or re-collected data; counts and percentages must be exact."]
    flagged = [r for r in outcome.comparison if r.status == "published_inconsistent"]
    if flagged:
        out += ["", "Targets the publication is inconsistent on (reproduced values are not adjusted):", ""]
        out += [f"- `{r.study}.{r.target}`: published {r.published}, reproduced {r.reproduced}. {r.target_spec.note}"
                for r in flagged]
    for result in outcome.results:
        out += ["", f"## {titles.get(result.study, result.study)}", "", "### Tables", ""]
        rows = [[t.title] + [Markdown(f"[{ext}]({outcome.files[t.name][ext]})") for ext in FORMATS] for t in result.tables]
        out += [markdown_table(pd.DataFrame(rows, columns=["Table", *(FORMAT_NAMES[f] for f in FORMATS)])).rstrip()]
        out += _figures(outcome, result)
        out += ["", "### Settings", ""]
        out += [f"- {k}: {v}" for k, v in result.settings.items()]
        source = f" ({result.assumptions_source})" if result.assumptions_source else ""
        out += ["", f"### Assumptions{source}", ""]
        out += [f"- `{where}`: {what}" for where, what in result.assumptions]
    if outcome.skipped or outcome.unimplemented:
        out += ["", "## Not reproduced", ""]
        out += [f"- {titles.get(s, s)}: its resources are not in the package." for s in outcome.skipped]
        out += [f"- The {s} study: its resources are in the package but pedcomm has no reproduction of it yet; "
                "its published targets are listed as `not_reproduced`." for s in outcome.unimplemented]
    out += ["", "## Input files", ""]
    files = pd.DataFrame([(i["path"], i["bytes"], i["sha256"]) for i in report.inputs], columns=["path", "bytes", "sha256"])
    out += [markdown_table(files).rstrip(), ""]
    return "\n".join(out)
