"""Renderings of a validation report: terminal summary for a data manager, flat JSON for machines;
HTML and Markdown for people to forward (html.py, markdown.py).

Every rendering shows the same things in the same order (``ordered``): the verdict, grouped hints
(pedcomm.validation.hints), the findings sorted by resource and row with their record ids, the
checks that could not run and why, what to do per code, and the inputs read with their hashes.
"""

from __future__ import annotations

from collections import defaultdict

from ...standard.links import see
from ..hints import hints
from ..registry import spec
from ..words import plural
from . import Report
from .origin import annotate

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SEVERITY_ORDER = ("error", "warning", "info")
#: Width of a text report written to a file (a terminal report fits the terminal).
FILE_WIDTH = 100


def codes_in_order(report: Report) -> list[str]:
    """The codes with findings: errors first, then warnings, then notes; by code within each (stable)."""
    return sorted(report.codes(), key=lambda c: (SEVERITY_ORDER.index(report_severity(report, c)), c))


def report_severity(report: Report, code: str) -> str:
    sev = {report.severity(c, r, f) for (c, r, f), n in report.counts.items() if c == code and n}
    return min(sev, key=SEVERITY_ORDER.index) if sev else spec(code).severity


def code_count(report: Report, code: str) -> int:
    return sum(v for (c, _, _), v in report.counts.items() if c == code)


def verdict(report: Report) -> str:
    """One line: the status and the counts, in words ("INVALID: 1 error, 3 warnings ...")."""
    t = report.totals()
    return (f"{report.status.upper()}: {plural(t['error'], 'error')}, {plural(t['warning'], 'warning')}, "
            f"{plural(t['info'], 'note')} from {plural(len(report.runs), 'check')} on {plural(len(report.inputs), 'file')}")


#: What to do next, by the report's status (every rendering, and the browser validator's page).
VERDICT_ADVICE = {"valid": "The package conforms to the standard: it can be summarized, pooled or sent.",
                  "invalid": ("The package has errors: fix them at the source (e.g. in REDCap, by record id), "
                              "export again and re-validate."),
                  "unreadable": ("The package cannot be read: fix the problem below first; "
                                 "nothing else could be checked.")}


def verdict_advice(report: Report) -> str:
    return VERDICT_ADVICE[report.status]


def as_dict(report: Report) -> dict:
    totals = report.totals()
    origins = annotate(report)  # where rows of an imported package came from (origin.py)
    return {
        **report.meta,
        "status": report.status,
        "errors": totals["error"], "warnings": totals["warning"], "infos": totals["info"],
        "findings_listed": len(report.findings),
        "findings_not_listed": report.unlisted(),
        "inputs": report.inputs,
        "tables": report.tables,
        "checks": [
            {"code": r.code, "severity": report.severity(r.code, r.resource, r.field), "resource": r.resource, "field": r.field,
             "status": r.status, "checked": r.checked, "failed": r.failed, "reason": r.reason}
            for r in report.runs.values()
        ],
        "skipped": [{"code": r.code, "resource": r.resource, "field": r.field, "reason": r.reason}
                    for r in report.skipped()],
        "hints": [h.as_dict() for h in hints(report)],
        "findings": [{**f.as_dict(), "see": see(f.code),
                      **({"source": [o.as_dict() for o in origins[id(f)]]} if id(f) in origins else {})}
                     for f in report.sorted_findings()],
    }


def to_json(report: Report) -> str:
    """The report as JSON; always valid JSON (a non-finite number would be written as null)."""
    from ...files.jsonsafe import dumps

    return dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"


def to_terminal(report: Report, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    origins = annotate(report)
    by_resource = defaultdict(list)
    for f in report.sorted_findings():
        by_resource[f.resource or "(package)"].append(f)
    package_level = by_resource.pop("(package)", [])
    if package_level:  # not about a row: one paragraph each (the terminal wraps it; nothing to align)
        console.print("[bold]The package[/bold]")
        for f in package_level:
            console.print(f"  [{SEVERITY_STYLE[f.severity]}]{f.severity}[/] {f.code}"
                          + (f" ({escape(f.field)})" if f.field else "") + f": {escape(f.message)}", soft_wrap=True)
    for resource, findings in by_resource.items():
        traced = all(id(f) in origins for f in findings)  # rows of an imported file: named as in its source
        first = origins[id(findings[0])][0] if traced else None
        title = escape(resource) + (f" (rows from {escape(first.file)})" if first else "")
        t = Table(title=title, title_justify="left", show_lines=False, expand=False)
        has_record = traced or any(f.record for f in findings)
        wide = console.width >= 120  # a narrow terminal shows the severity by the code's colour (and in the summary)
        row_col, record_col = (("Row", f"{first.tool} record") if first else ("Row", "Record"))
        cols = (row_col, *((record_col,) if has_record else ()), "Field", "Code", *(("Severity",) if wide else ()), "Message")
        for col in cols:
            fixed = col in ("Row", "Code", "Severity")  # short and meaningful only whole
            t.add_column(col, overflow="fold", no_wrap=fixed, max_width=24 if col in ("Field", record_col) else None)
        for f in findings:
            # data values reach the message: never let them be read as rich markup ('[/b]')
            style = SEVERITY_STYLE[f.severity]
            row, record, field = ("" if f.row is None else str(f.row)), (f.record or ""), (f.field or "")
            if traced:  # the export's row, the REDCap record with its instrument and instance, and its field
                row = ", ".join(str(o.row) for o in origins[id(f)])
                record = "; ".join(o.short() for o in origins[id(f)])
                field = ", ".join(dict.fromkeys(o.field or field for o in origins[id(f)]))
            t.add_row(row, *((escape(record),) if has_record else ()),
                      escape(field), f"[{style}]{f.code}[/]", *((f"[{style}]{f.severity}[/]",) if wide else ()),
                      escape(f.message))
        console.print(t)
        counted = sum(n for (code, res, _), n in report.counts.items() if (res or "(package)") == resource)
        if counted > len(findings):
            console.print(f"  ... and {plural(counted - len(findings), 'more finding')} in {escape(resource)} not listed "
                          f"(all are counted; raise --max-findings to list them).")
    grouped = hints(report)
    if grouped:
        console.print("\n[bold]One cause, many findings[/bold]")
        for h in grouped:
            console.print(f"  [bold]{escape(h.summary)}[/bold]. {escape(h.action)}", soft_wrap=True)
    skipped = report.skipped()
    if skipped:
        console.print("\n[bold]Checks that could not run[/bold]")
        for r in skipped:
            where = escape(r.resource or "package") + (f" ({escape(r.field)})" if r.field else "")
            console.print(f"  {r.code} on {where}: {escape(r.reason or 'not applicable')}", soft_wrap=True)
    codes = codes_in_order(report)
    if codes:
        console.print("\n[bold]What to do[/bold]")
        for code in codes:
            s = spec(code)
            sev = report_severity(report, code)
            console.print(f"  [{SEVERITY_STYLE[sev]}]{code}[/] ({code_count(report, code)}x) {s.title}: {s.action}"
                          f"  See: {see(code)}", soft_wrap=True)
    overrides = report.meta.get("overrides") or []
    if overrides:
        console.print("\n[bold]Site configuration overrides[/bold]")
        for o in overrides:
            console.print(f"  {o['code']} ({o['scope']}): {o['from']} -> {o['to']}, {plural(o['findings'], 'finding')}. "
                          f"Justification: {escape(o['justification'])}", soft_wrap=True)
    if report.meta.get("refused"):  # an output or option refused before anything was read or written
        console.print(f"\n[bold red]REFUSED[/]: {report.meta['refused']} (pedcomm {report.meta.get('version')}, "
                      f"standard {report.meta.get('schema_version')}).", soft_wrap=True)
        return
    style = {"valid": "bold green", "invalid": "bold red", "unreadable": "bold red"}[report.status]
    status, rest = verdict(report).split(":", 1)
    console.print(f"\n[{style}]{status}[/]:{rest} "
                  f"(pedcomm {report.meta.get('version')}, standard {report.meta.get('schema_version')}).", soft_wrap=True)


def to_text(report: Report, width: int = FILE_WIDTH) -> str:
    """The terminal rendering as plain text, for a file."""
    from io import StringIO

    from rich.console import Console

    c = Console(record=True, width=width, file=StringIO(), highlight=False, soft_wrap=False)
    to_terminal(report, c)
    return c.export_text()
