"""The validation report as Markdown (a ticket, an e-mail, a wiki page): the same content and order
as the HTML report (html.py), every value through safe.md."""

from __future__ import annotations

from collections import defaultdict

from ...standard.links import see
from ..hints import hints
from ..registry import spec
from ..words import plural
from . import Report
from .html import when
from .origin import annotate, where
from .render import code_count, codes_in_order, report_severity, verdict, verdict_advice
from .safe import md


def _table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(md(c) for c in r) + " |" for r in rows), ""]


def to_markdown(report: Report) -> str:
    meta = report.meta
    site = meta.get("site")
    out = [f"# Validation report{(' for site ' + md(site)) if site else ''}", "",
           f"**{report.status.upper()}**: {md(verdict(report).split(': ', 1)[1])}.", "",
           md(verdict_advice(report)), "",
           f"Package `{md(meta.get('package'))}`; pedcomm {md(meta.get('version'))}, standard {md(meta.get('schema_version'))}"
           + (f"; validated {md(when(meta['validated_at']))}" if meta.get("validated_at") else "") + ".", ""]
    grouped = hints(report)
    if grouped:
        out += ["## One cause, many findings", ""]
        out += [f"- **{md(h.summary)}**. {md(h.action)}" for h in grouped] + [""]
    by_code = defaultdict(list)
    for f in report.sorted_findings():
        by_code[f.code].append(f)
    codes = codes_in_order(report)
    origins = annotate(report)
    if codes:
        out += ["## Findings by check", ""]
    for code in codes:
        s = spec(code)
        n, listed = code_count(report, code), by_code.get(code, [])
        out += [f"### {code} {md(s.title)} ({report_severity(report, code)}, {plural(n, 'finding')})", "",
                f"What to do: {md(s.action)} (more: `{see(code)}`)", ""]
        if listed:
            traced = any(id(f) in origins for f in listed)  # rows of an imported file: where in its source
            out += _table(["Table", "Row in file", "Record id", "Column", *(["In the source file"] if traced else []), "Problem"],
                          [[f.resource or "(package)", "" if f.row is None else f.row, f.record, f.field,
                            *([where(origins, f)] if traced else []), f.message] for f in listed])
        if n > len(listed):
            out += [f"{plural(n - len(listed), 'more finding')} not listed (all are counted).", ""]
    out += ["## Checks that could not run", ""]
    skipped = report.skipped()
    out += _table(["Check", "Table", "Column", "Why"], [[r.code, r.resource, r.field, r.reason] for r in skipped]) \
        if skipped else ["Every check that applies to this package ran.", ""]
    if report.inputs:
        out += ["## Files read", ""]
        out += _table(["File", "Bytes", "SHA-256"], [[i["path"], i["bytes"], i["sha256"]] for i in report.inputs])
    if not report.reveal_values:
        out += ["Values that may identify a person are masked (--show-values shows them; do not forward that report).", ""]
    return "\n".join(out)
