"""The validation report as one self-contained HTML file a data manager can open and forward.

Inline CSS, no script, no font or image from the network: it opens in any browser, offline, and
prints. The verdict comes first; then the grouped hints, the findings grouped by check (errors
first) with counts, each listed by resource and row with its record id, the remedy in words; the
checks that could not run and why; the inputs with their SHA-256 hashes. Every value was masked
(pedcomm.validation.masking) when the report was made, unless --show-values; here it is only
HTML-escaped.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from ...standard.links import see
from ..hints import hints
from ..registry import spec
from ..words import plural
from . import Report
from .origin import annotate, where
from .render import code_count, codes_in_order, report_severity, verdict, verdict_advice

#: One stylesheet for every HTML page pedcomm writes for people (reports, summaries, dashboards).
CSS = """
:root { --err: #b42318; --warn: #9a6700; --ok: #1a7f37; --info: #0969da; --ink: #1f2328; --muted: #59636e;
        --line: #d1d9e0; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1200px; padding: 24px; }
h1 { font-size: 1.5em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; } h3 { font-size: 1.05em; margin: 18px 0 6px; }
.muted, .meta { color: var(--muted); font-size: 0.9em; }
.verdict { border-radius: 8px; padding: 16px 20px; margin: 12px 0 20px; color: #fff; }
.verdict .status { font-size: 2em; font-weight: 700; letter-spacing: 0.04em; }
.verdict p { margin: 6px 0 0; font-size: 1.05em; }
.v-valid { background: var(--ok); } .v-invalid, .v-unreadable { background: var(--err); }
.v-warning { background: var(--warn); }
.scroll { overflow-x: auto; max-width: 100%; margin: 6px 0 12px; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
h1, h2, h3, p, li, footer, .verdict, .remedy, .hint, pre { overflow-wrap: anywhere; }
pre { white-space: pre-wrap; }
.sev { display: inline-block; border-radius: 10px; padding: 0 8px; color: #fff; font-size: 0.85em; font-weight: 600; }
.sev-error { background: var(--err); } .sev-warning { background: var(--warn); } .sev-info { background: var(--info); }
.sev-passed { background: var(--ok); } .sev-not_applicable { background: var(--muted); } .sev-failed { background: var(--err); }
.remedy { background: var(--bg); border-left: 4px solid var(--info); padding: 6px 10px; margin: 4px 0 8px; }
.hint { border-left: 4px solid var(--warn); padding: 6px 10px; margin: 6px 0; background: #fff8c5; }
.check { border: 1px solid var(--line); border-radius: 8px; padding: 4px 14px 8px; margin: 12px 0; }
.synthetic { font-weight: 700; color: var(--warn); }
td.suppressed { color: var(--muted); font-style: italic; background: var(--bg); }
footer { margin-top: 32px; color: var(--muted); font-size: 0.85em; }
td .why { display: block; color: var(--muted); font-size: 0.85em; }
@media (max-width: 600px) { body { padding: 12px; font-size: 14px; } .verdict { padding: 12px 14px; }
                            .verdict .status { font-size: 1.6em; } .check { padding: 4px 8px 8px; } }
@media print { .verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; } .scroll { overflow: visible; } }
"""


def e(value) -> str:
    """A value as HTML text (already masked where needed; None as blank)."""
    return "" if value is None else escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    """A whole self-contained HTML page (no script, no external resource)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
            f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def table(header: list[str], rows: list[list[str]], numeric: frozenset[int] | set[int] = frozenset()) -> str:
    """An HTML table; cells are HTML already (callers escape values with ``e``)."""
    num = ' class="num"'
    head = "".join(f"<th{num if i in numeric else ''}>{h}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{num if i in numeric else ''}>{c}</td>" for i, c in enumerate(r))
                   + "</tr>\n" for r in rows)
    return scrolling(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>")


def scrolling(html: str) -> str:
    """A table in a box of the page's width that scrolls sideways when the table is wider (a phone)."""
    return f"<div class=\"scroll\">{html}</div>\n"


def when(iso) -> str:
    """'2026-12-03T09:30:00+00:00' as '2026-12-03 09:30 UTC' (other text as it is)."""
    from datetime import UTC, datetime

    try:
        t = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if t.tzinfo else t.strftime("%Y-%m-%d %H:%M")


def badge(kind: str, text: str | None = None) -> str:
    return f"<span class=\"sev sev-{e(kind)}\">{e(text or kind)}</span>"


def to_html(report: Report) -> str:
    meta = report.meta
    status = report.status
    klass = "v-warning" if status == "valid" and report.totals()["warning"] else f"v-{status}"
    site = meta.get("site")
    parts = [f"<h1>Validation report{(' for site ' + e(site)) if site else ''}</h1>",
             f"<p class=\"meta\">Package <code>{e(meta.get('package'))}</code>; pedcomm {e(meta.get('version'))}, "
             f"standard {e(meta.get('schema_version'))}"
             + (f"; validated <time datetime=\"{e(meta['validated_at'])}\">{e(when(meta['validated_at']))}</time>"
                if meta.get("validated_at") else "") + ".</p>",
             f"<div class=\"verdict {klass}\"><div class=\"status\">{e(status.upper())}</div>"
             f"<p>{e(verdict(report).split(': ', 1)[1])}.</p><p>{e(verdict_advice(report))}</p></div>"]
    if meta.get("refused"):
        parts.append(f"<p><strong>Refused:</strong> {e(meta['refused'])}</p>")
    grouped = hints(report)
    if grouped:
        parts.append("<h2>One cause, many findings</h2>")
        parts += [f"<div class=\"hint\"><strong>{e(h.summary)}</strong><br>{e(h.action)}</div>" for h in grouped]
    codes = codes_in_order(report)
    if codes:
        parts.append(f"<h2>Findings by check ({plural(len(codes), 'check')} with findings)</h2>")
        toc = [[f"<a href=\"#{e(c.lower())}\"><code>{e(c)}</code></a>", badge(report_severity(report, c)),
                e(spec(c).title), str(code_count(report, c))] for c in codes]
        parts.append(table(["Code", "Severity", "Check", "Findings"], toc, numeric={3}))
    by_code = defaultdict(list)
    for f in report.sorted_findings():
        by_code[f.code].append(f)
    origins = annotate(report)
    for code in codes:
        s = spec(code)
        n, listed = code_count(report, code), by_code.get(code, [])
        parts.append(f"<section class=\"check\" id=\"{e(code.lower())}\"><h3>{badge(report_severity(report, code))} "
                     f"<code>{e(code)}</code> {e(s.title)}: {plural(n, 'finding')}</h3>")
        parts.append(f"<div class=\"remedy\"><strong>What to do:</strong> {e(s.action)} "
                     f"<span class=\"muted\">(more: <code>{e(see(code))}</code>)</span></div>")
        if listed:
            traced = any(id(f) in origins for f in listed)  # rows of an imported file: where in its source
            rows = [[e(f.resource or "(package)"), e("" if f.row is None else f.row), f"<span class=\"mono\">{e(f.record)}</span>",
                     e(f.field), *([e(where(origins, f))] if traced else []), e(f.message)] for f in listed]
            parts.append(table(["Table", "Row in file", "Record id", "Column", *(["In the source file"] if traced else []),
                                "Problem"], rows, numeric={1}))
        if n > len(listed):
            parts.append(f"<p class=\"muted\">{plural(n - len(listed), 'more finding')} not listed (all are counted; "
                         "raise --max-findings to list them).</p>")
        parts.append("</section>")
    skipped = report.skipped()
    parts.append("<h2>Checks that could not run</h2>")
    if skipped:
        parts.append(table(["Check", "Table", "Column", "Why it could not run"],
                           [[f"<code>{e(r.code)}</code>", e(r.resource), e(r.field), e(r.reason)] for r in skipped]))
    else:
        parts.append("<p>Every check that applies to this package ran.</p>")
    overrides = meta.get("overrides") or []
    if overrides:
        parts.append("<h2>Site configuration overrides</h2>")
        parts.append(table(["Code", "Scope", "From", "To", "Findings", "Justification"],
                           [[e(o["code"]), e(o["scope"]), e(o["from"]), e(o["to"]), e(o["findings"]), e(o["justification"])]
                            for o in overrides], numeric={4}))
    if report.inputs:
        parts.append("<h2>Files read</h2>")
        parts.append(table(["File", "Bytes", "SHA-256"],
                           [[f"<code>{e(i['path'])}</code>", e(i["bytes"]), f"<span class=\"mono\">{e(i['sha256'])}</span>"]
                            for i in report.inputs], numeric={1}))
    masked = "" if report.reveal_values else (" Values that may identify a person are masked; "
                                              "validate with --show-values to see them (do not forward that report).")
    parts.append(f"<footer>Row numbers count the header as row 1, as a spreadsheet does. Record ids are the table's "
                 f"key (e.g. the REDCap record).{masked} Written by pedcomm {e(meta.get('version'))}.</footer>")
    return page(f"pedcomm validation report: {status}", "\n".join(parts))
