"""`pedcomm dashboard`: one static HTML page for a coordinating centre, across the sites' reports.

In the spirit of the OHDSI Data Quality Dashboard, without a server: the sites' JSON validation
reports (`pedcomm validate --format json --output FILE`, with --timestamp for the date) give the
sites by checks (status, errors and warnings per check, standard version, date) and completeness
by table; site summaries (`pedcomm summarize`), when given, the pooled random-effects estimates
(pedcomm.sites.meta: the same code as `pedcomm meta`).

Every input is read within bounds (pedcomm.files.inputs); every value from a file (site ids, file
names, codes, reasons) is shown through pedcomm.validation.masking and HTML-escaped; a file that
is neither a report nor a summary is left out with DASHBOARD_INPUT_UNREADABLE and listed on the
page. The page is written through pedcomm.files.outputs (one claim). It holds no date of its own:
the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import standard
from ..validation.masking import shown_one as _shown_one
from ..validation.registry import check, spec, specs
from ..validation.report import Report
from ..validation.report.html import badge, e, page, table
from ..validation.words import plural
from . import report_shape
from .summarize import FORMAT


def shown_one(value) -> str:
    """A value fit to show, through the one masking path ("" for a missing value)."""
    return _shown_one(value) or ""

#: Keys a JSON validation report of pedcomm always has.
REPORT_KEYS = ("status", "checks", "findings", "schema_version")


@dataclass
class SiteReport:
    file: str  # the file name, as shown
    sha256: str
    data: dict

    @property
    def site(self) -> str:
        s = self.data.get("site")
        if isinstance(s, list):
            s = "+".join(map(str, s))
        return shown_one(s) if isinstance(s, str) and s else f"(undeclared: {self.file})"


@dataclass
class Dashboard:
    report: Report
    reports: list[SiteReport] = field(default_factory=list)
    summaries: list = field(default_factory=list)  # pedcomm.sites.meta.Loaded
    html: str | None = None
    out: Path | None = None

    @property
    def sites(self) -> list[SiteReport]:
        """The latest report of each site (``latest``)."""
        return latest(self.reports)[0]


class NothingToShow(Exception):
    """No file given is a validation report or a site summary: no page is written (its report says why)."""

    def __init__(self, report: Report):
        super().__init__("none of the files is a pedcomm validation report or site summary")
        self.report = report


@check("DASHBOARD_INPUT_UNREADABLE")
def read_inputs(paths: list[str | Path], report: Report) -> tuple[list[SiteReport], list]:
    """Sort the files given into validation reports and site summaries; leave out (with a finding) the rest."""
    from ..files.inputs import InputRefused, read
    from ..files.jsonsafe import JSONRefused, loads
    from .meta import Loaded, load

    reports, summary_paths = [], []
    for p in map(Path, paths):
        report.ran("DASHBOARD_INPUT_UNREADABLE", None, None, 1)
        name = p.name
        try:
            raw = read(p, "report")
            doc = loads(raw)
        except InputRefused:
            raise  # a pipe, a device or an oversize file: refused like every command's input (exit 2)
        except OSError as err:
            report.add("DASHBOARD_INPUT_UNREADABLE", value=name, detail=f"it cannot be opened ({err.strerror or type(err).__name__})")
            continue
        except JSONRefused as err:
            report.add("DASHBOARD_INPUT_UNREADABLE", value=name, detail=f"it is not JSON pedcomm reads: {err}")
            continue
        if isinstance(doc, dict) and doc.get("format") == FORMAT:
            summary_paths.append(p)
        elif isinstance(doc, dict) and all(k in doc for k in REPORT_KEYS) and isinstance(doc.get("checks"), list):
            odd = report_shape.problem(doc)
            if odd:
                report.add("DASHBOARD_INPUT_UNREADABLE", value=name,
                           detail=f"it looks like a pedcomm validation report, but {odd}")
                continue
            reports.append(SiteReport(report.label(name) or "", hashlib.sha256(raw).hexdigest(), doc))
        else:
            report.add("DASHBOARD_INPUT_UNREADABLE", value=name,
                       detail="it is neither a pedcomm validation report (JSON) nor a site summary")
    loaded: list[Loaded] = []
    if summary_paths:
        sub = Report()
        loaded = load(summary_paths, sub)
        for f in sub.findings:  # a summary meta would refuse: left out, with meta's reason
            report.add("DASHBOARD_INPUT_UNREADABLE", value=f.value, detail=f"{f.code}: {f.message}")
    reports.sort(key=lambda r: (r.site, r.file))
    loaded.sort(key=lambda s: (str(s.summary.get("site")), s.path.name))
    return reports, loaded


def _num(v) -> int:
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else 0


def _site_cell(code: str, r: SiteReport) -> str:
    runs = [c for c in r.data.get("checks", []) if isinstance(c, dict) and c.get("code") == code]
    if not runs:
        return '<span class="muted">not run</span>'
    failed = sum(_num(c.get("failed")) for c in runs)
    if failed:
        sev = next((c.get("severity") for c in runs if _num(c.get("failed"))), "error")
        sev = sev if sev in ("error", "warning", "info") else "error"
        return badge(sev, f"{failed} {sev if failed == 1 else {'error': 'errors', 'warning': 'warnings', 'info': 'notes'}[sev]}")
    skipped = [c for c in runs if c.get("status") == "not_applicable"]
    if skipped and len(skipped) == len(runs):  # the reason on the page: nothing is only shown on hover
        why = "; ".join(sorted({shown_one(c.get("reason") or "not applicable") for c in skipped}))
        return f'{badge("not_applicable", "could not run")}<span class="why">{e(why)}</span>'
    return badge("passed", "passed")


def _status_row(r: SiteReport) -> list[str]:
    d = r.data
    status = str(d.get("status")) if d.get("status") in ("valid", "invalid", "unreadable") else "unreadable"
    kind = {"valid": "passed", "invalid": "error", "unreadable": "error"}[status]
    return [e(r.site), badge(kind, status.upper()), e(_num(d.get("errors"))), e(_num(d.get("warnings"))),
            e(shown_one(d.get("package_schema_version") or d.get("schema_version"))), e(shown_one(d.get("version"))),
            e(shown_one(d.get("validated_at")) or "not recorded"), f"<code>{e(r.file)}</code>"]


def latest(reports: list[SiteReport]) -> tuple[list[SiteReport], list[SiteReport]]:
    """(the latest report of each site, the earlier ones): a site sending a new report after fixing its data
    is one site, not two. Latest by the date the report records (validate --timestamp); a report without a
    date counts as older than a dated one, and among undated ones the last given is taken."""
    by_site: dict[str, list[tuple[int, SiteReport]]] = {}
    for k, r in enumerate(reports):
        by_site.setdefault(r.site, []).append((k, r))
    newest, older = [], []
    for site in sorted(by_site):
        ranked = sorted(by_site[site], key=lambda kr: (_date(kr[1]), kr[0]))
        newest.append(ranked[-1][1])
        older += [r for _, r in reversed(ranked[:-1])]
    return newest, older


def _date(r: SiteReport) -> str:
    d = r.data.get("validated_at")
    return d if isinstance(d, str) else ""


def render(all_reports: list[SiteReport], summaries: list, report: Report) -> str:
    reports, older = latest(all_reports)
    n_bad = sum(r.data.get("status") != "valid" for r in reports)
    verdict = ("v-valid", "ALL SITES VALID") if reports and not n_bad else \
        ("v-invalid", f"{n_bad} {'SITE' if n_bad == 1 else 'SITES'} WITH ERRORS") if n_bad else ("v-warning", "NO REPORTS")
    parts = ["<h1>pedcomm: coordinating-centre dashboard</h1>",
             f"<p class=\"meta\">{plural(len(reports), 'site')} ({plural(len(all_reports), 'validation report')}), "
             f"{plural(len(summaries), 'site summary', 'site summaries')}; made by {e(standard.signature())}.</p>",
             f"<div class=\"verdict {verdict[0]}\"><div class=\"status\">{e(verdict[1])}</div>"
             f"<p>{plural(len(reports) - n_bad, 'site')} valid, {plural(n_bad, 'site')} with errors or unreadable.</p></div>"]
    if reports:
        parts.append("<h2>Sites</h2><p class=\"muted\">One row per site: its latest report.</p>")
        parts.append(table(["Site", "Status", "Errors", "Warnings", "Standard", "pedcomm", "Validated", "Report file"],
                           [_status_row(r) for r in reports], numeric={2, 3}))
        if older:
            parts.append("<h3>Earlier reports</h3><p class=\"muted\">Replaced by the site's latest report above; "
                         "listed so nothing sent is lost from view.</p>")
            parts.append(table(["Site", "Status", "Errors", "Warnings", "Standard", "pedcomm", "Validated", "Report file"],
                               [_status_row(r) for r in older], numeric={2, 3}))
        codes = sorted({str(c.get("code")) for r in reports for c in r.data.get("checks", [])
                        if isinstance(c, dict) and c.get("code") in specs()
                        and (_num(c.get("failed")) or c.get("status") == "not_applicable")})
        passed_everywhere = sorted({str(c.get("code")) for r in reports for c in r.data.get("checks", [])
                                    if isinstance(c, dict) and c.get("code") in specs()} - set(codes))
        parts.append("<h2>Sites by checks</h2>")
        if codes:
            rows = [[f"<code>{e(c)}</code>", e(spec(c).title), *(_site_cell(c, r) for r in reports)] for c in codes]
            parts.append(table(["Code", "Check", *(e(r.site) for r in reports)], rows))
        parts.append(f"<p class=\"muted\">{plural(len(passed_everywhere), 'other check')} passed at every site "
                     "that ran them.</p>")
        tables = sorted({t for r in reports for t in (r.data.get("tables") or {}) if isinstance(t, str)})
        if tables:
            parts.append("<h2>Completeness by table</h2><p class=\"muted\">Share of the standard's cells holding a "
                         "value (blank, missing-value codes and unreadable cells are not), with the rows read.</p>")
            rows = []
            for t in tables:
                cells = [e(shown_one(t))]
                for r in reports:
                    s = (r.data.get("tables") or {}).get(t)
                    if not isinstance(s, dict) or not _num(s.get("cells")):
                        cells.append('<span class="muted">-</span>')
                        continue
                    pct = 100 * _num(s.get("filled")) / _num(s.get("cells"))
                    cells.append(f"{pct:.1f}% <span class=\"muted\">({plural(_num(s.get('rows')), 'row')})</span>")
                rows.append(cells)
            parts.append(table(["Table", *(e(r.site) for r in reports)], rows))
    if summaries:
        parts += _pooled(summaries)
    if report.findings:
        parts.append("<h2>Files not used</h2>")
        parts.append(table(["File", "Why"], [[f"<code>{e(f.value)}</code>", e(f.message)] for f in report.sorted_findings()]))
    parts.append("<footer>Site ids and other values read from the files are shown masked where they look identifying. "
                 "Pooled estimates: random-effects (iterated) meta-analysis of the sites' shared models, as "
                 "<code>pedcomm meta</code> computes them. This page needs no server and loads nothing from the network.</footer>")
    return page("pedcomm coordinating-centre dashboard", "\n".join(parts))


def _fmt(x, digits: int = 2) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return ""
    return "" if not math.isfinite(x) else f"{x:.{digits}f}"


def _pooled(summaries: list) -> list[str]:
    from .meta import pool_models

    parts = ["<h2>Site summaries</h2>"]
    rows = []
    for s in summaries:
        d = s.summary
        models = [m for k in ("models", "agreement") for m in d.get(k, []) if isinstance(m, dict)]
        shared = sum(m.get("status") == "shared" for m in models)
        rows.append([e(shown_one(d.get("site"))), e(shown_one(d.get("study"))), e(shared), e(len(models) - shared),
                     e(len(d.get("tables", []))), f"<code>{e(shown_one(s.path.name))}</code>"])
    parts.append(table(["Site", "Study", "Estimates shared", "Withheld", "Tables", "Summary file"], rows, numeric={2, 3, 4}))
    survey = [s for s in summaries if s.summary.get("models")]
    if len(survey) >= 1:
        estimates, _ = pool_models(survey)
        estimates = estimates.dropna(subset=["odds_ratio"]) if "odds_ratio" in estimates else estimates.iloc[:0]
        if len(estimates):
            parts.append("<h2>Pooled estimates</h2><p class=\"muted\">Random-effects odds ratios across the sites "
                         "whose model was shared, with 95% confidence intervals and heterogeneity.</p>")
            parts.append(table(["Model", "Term", "Sites", "Odds ratio (95% CI)", "I²", "τ²"],
                               [[e(shown_one(r["model"])), e(shown_one(r["label"])), e(int(r["k_sites"])),
                                 f"{_fmt(r['odds_ratio'])} ({_fmt(r['ci_lower'])} to {_fmt(r['ci_upper'])})",
                                 f"{_fmt(100 * r['i2'], 0)}%", _fmt(r["tau2"], 3)] for _, r in estimates.iterrows()],
                               numeric={2}))
    return parts


def dashboard(paths: Sequence[str | Path], out: str | Path, *, force: bool = False) -> Dashboard:
    """Read the reports and summaries, and write the dashboard page to ``out`` (claimed first)."""
    from ..files.outputs import FILE, claim

    report = Report()
    report.meta = {**standard.provenance()}
    result = Dashboard(report)
    with claim(out, kind=FILE, command="dashboard", force=force, protect=[Path(p) for p in paths]) as dest:
        result.reports, result.summaries = read_inputs(paths, report)
        if not result.reports and not result.summaries:  # a wrong path or folder: no empty page to forward
            raise NothingToShow(report)
        result.html = render(result.reports, result.summaries, report)
        dest.write_text(result.html)
    result.out = Path(out)
    return result
