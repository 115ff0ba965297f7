"""DIR/index.md: what was reproduced from which data, how, and how it compares with the publication.

Holds no timestamps or absolute paths of the output, so two runs on the same input write the same file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .. import standard
from .._base import __version__
from ..analysis.compare import OR_RELATIVE_TOLERANCE, STATUS_MEANING, STATUSES
from ..analysis.labels import in_words
from ..analysis.render_tables import FORMATS, markdown_table
from ..validation.report.safe import Markdown, md
from ..validation.words import plural

if TYPE_CHECKING:
    from .outcome import Outcome

#: Settings that are command-line choices (pedcomm.analysis.result.Options): shown as they are typed.
OPTION_SETTINGS = ("method", "cluster", "correction")
FORMAT_NAMES = {"csv": "CSV", "md": "Markdown", "html": "HTML", "tex": "LaTeX",
                "png": "PNG (300 dpi)", "svg": "SVG", "pdf": "PDF"}


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


def _figures(outcome: Outcome, result) -> list[str]:
    """The study's figures: links to both formats, then the PNG inline (nothing without figures)."""
    if not result.figures:
        return []
    out = ["", "### Figures", ""]
    for f in result.figures:
        files = outcome.files[f.name]
        out += [f"- {f.title}: {_links(files)}" + (f". {md(f.note)}" if f.note else "")]
    for f in result.figures:
        out += ["", f"![{f.title}]({outcome.files[f.name]['png']})"]
    return out


def is_synthetic(descriptor: dict) -> bool:
    """The package declares itself synthetic (pedcomm.standard.is_synthetic)."""
    return standard.is_synthetic(descriptor)


def what_the_comparison_shows(synthetic: bool) -> list[str]:
    """What agreement with the published numbers can and cannot show, for this kind of input."""
    evidence = ("The evidence that the estimators are right is elsewhere: the tests recompute every statistic "
                "independently (hand formulas, scipy and statsmodels, sandwich covariances written out in numpy) and a "
                "simulation study measures the bias and the 95% CI coverage of every estimator pedcomm offers, on data "
                "with planted odds ratios in a design like the survey study's (documentation: Simulation study, "
                "generated from `benchmarks/sim_or_coverage.py`).")
    if synthetic:
        return ["**The input package is SYNTHETIC** (its descriptor says so): no real parent, clinician or patient is "
                "in it, and these tables are not research results.", "",
                "**What the comparison can show.** The synthetic data were generated to match every published count and "
                "calibrated until pedcomm's own default model estimates came close to the published odds ratios. On "
                "these data, agreement with the published numbers is therefore by construction: it shows that the "
                "analyses run end to end and that the calibration worked. It does not show that pedcomm's analysis is "
                "the one the authors ran, nor that the estimators are unbiased or their intervals correct.", "",
                evidence]
    return ["**The input package does not declare itself synthetic**, so the comparison below reads as a replication: "
            "the published analyses, as pedcomm defines them, run on these data and set beside the published numbers. "
            "Many analysis choices are not published (listed under Assumptions for each study); the sensitivity table "
            "shows which odds ratios depend on them, so a difference from a published value may come from a choice "
            "as well as from the data.", "", evidence]


def index_markdown(outcome: Outcome, titles: dict[str, str], path: str) -> str:
    report = outcome.validated.report
    desc = outcome.validated.package.descriptor if outcome.validated.package else {}
    totals = report.totals()
    counts = outcome.status_counts
    out = ["# Reproduction of the published analyses", ""]
    out += [f"> {line}" if line else ">" for line in what_the_comparison_shows(is_synthetic(desc))] + [""]
    out += [
        "## Input and tool",
        "",
        f"- Data package: {md(shown_path(path))} ({md(desc.get('title', desc.get('name', 'untitled')))}, "
        f"version {md(desc.get('version', 'not given'))})",
        f"- Data package hash: `sha256:{package_digest(report.inputs)}` (SHA-256 of the manifest of input-file "
        "hashes listed at the end, one `<sha256>  <path>` line per file, sorted by path)",
        f"- Tool: pedcomm {__version__} (standard {report.meta.get('schema_version')})",
        f"- Validation: {report.status} ({plural(totals['error'], 'error')}, {plural(totals['warning'], 'warning')}, "
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
                f"{_links(outcome.files['forest'])}."]
        out += ["", f"![Published and reproduced odds ratios]({outcome.files['forest']['png']})"]
    out += ["", "Statuses:", ""]
    out += [f"- `{s}`: {STATUS_MEANING[s]}." for s in STATUSES]
    out += ["", f"The tolerance for odds ratios ({OR_RELATIVE_TOLERANCE:.0%} of the published point estimate) "
            "allows for estimates from re-generated or re-collected data; counts and percentages must be exact."]
    if is_synthetic(desc):
        out += ["", "On this synthetic package `exact` and `within` are what the generator was built to achieve "
                "(see the note at the top): they confirm the calibration, not the estimators."]
    flagged = [r for r in outcome.comparison if r.status == "published_inconsistent"]
    if flagged:
        out += ["", "Targets the publication is inconsistent on (reproduced values are not adjusted):", ""]
        out += [f"- `{r.study}.{r.target}`: published {r.published}, reproduced {r.reproduced}. {r.target_spec.note}"
                for r in flagged]
    for result in outcome.results:
        out += ["", f"## {titles.get(result.study, result.study)}", "", "### Tables", ""]
        rows = [[t.title] + [Markdown(f"[{ext}]({outcome.files[t.name][ext]})") for ext in FORMATS] for t in result.tables]
        # dtype=object: pandas would otherwise turn the Markdown links into plain strings, and escape them
        columns = ["Table", *(FORMAT_NAMES[f] for f in FORMATS)]
        out += [markdown_table(pd.DataFrame(rows, columns=columns, dtype=object)).rstrip()]
        out += _figures(outcome, result)
        findings = getattr(result, "findings", []) or []
        if findings:
            out += ["", "### Warnings", ""]
            out += [f"- `{f.code}`: {in_words(f.message)} {in_words(f.action)}" for f in findings]
        out += ["", "### Settings", ""]
        # the command-line choices as they are typed; the prose in words (as in the tables' notes)
        out += [f"- {k}: {v if k in OPTION_SETTINGS else in_words(str(v))}" for k, v in result.settings.items()]
        source = f" ({result.assumptions_source})" if result.assumptions_source else ""
        out += ["", f"### Assumptions{source}", ""]
        out += [f"- `{where}`: {in_words(what)}" for where, what in result.assumptions]
    if outcome.skipped or outcome.unimplemented:
        out += ["", "## Not reproduced", ""]
        out += [f"- {titles.get(s, s)}: its resources are not in the package." for s in outcome.skipped]
        out += [f"- The {s} study: its resources are in the package but pedcomm has no reproduction of it yet; "
                "its published targets are listed as `not_reproduced`." for s in outcome.unimplemented]
    out += ["", "## Input files", ""]
    files = pd.DataFrame([(i["path"], i["bytes"], i["sha256"]) for i in report.inputs], columns=["path", "bytes", "sha256"])
    out += [markdown_table(files).rstrip(), ""]
    return "\n".join(out)
