"""Renderings of a validation report: terminal summary for a data manager, flat JSON for machines."""

from __future__ import annotations

from collections import defaultdict

from .registry import spec
from .report import Report

DOCS_CHECKS = "docs/checks.md"
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def as_dict(report: Report) -> dict:
    totals = report.totals()
    return {
        **report.meta,
        "status": report.status,
        "errors": totals["error"], "warnings": totals["warning"], "infos": totals["info"],
        "findings_listed": len(report.findings),
        "findings_not_listed": report.unlisted(),
        "inputs": report.inputs,
        "checks": [
            {"code": r.code, "severity": report.severity(r.code, r.resource, r.field), "resource": r.resource, "field": r.field,
             "status": r.status, "checked": r.checked, "failed": r.failed, "reason": r.reason}
            for r in report.runs.values()
        ],
        "findings": [f.as_dict() for f in report.findings],
    }


def to_json(report: Report) -> str:
    """The report as JSON; always valid JSON (a non-finite number would be written as null)."""
    from ..files.jsonsafe import dumps

    return dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"


def to_terminal(report: Report, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    totals = report.totals()
    by_resource = defaultdict(list)
    for f in report.findings:
        by_resource[f.resource or "(package)"].append(f)
    for resource, findings in by_resource.items():
        t = Table(title=escape(resource), title_justify="left", show_lines=False, expand=False)
        for col in ("Row", "Field", "Code", "Severity", "Message"):
            t.add_column(col, overflow="fold")
        for f in findings:
            # data values reach the message: never let them be read as rich markup ('[/b]')
            t.add_row("" if f.row is None else str(f.row), escape(f.field or ""), f.code,
                      f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/]", escape(f.message))
        console.print(t)
        counted = sum(n for (code, res, _), n in report.counts.items() if (res or "(package)") == resource)
        if counted > len(findings):
            console.print(f"  ... and {counted - len(findings)} more findings in {escape(resource)} not listed "
                          f"(all are counted; raise --max-findings to list them).")
    codes = sorted(report.codes(), key=lambda c: ("error", "warning", "info").index(spec(c).severity))
    if codes:
        console.print("\n[bold]What to do[/bold]")
        for code in codes:
            s = spec(code)
            n = sum(v for (c, _, _), v in report.counts.items() if c == code)
            console.print(f"  [{SEVERITY_STYLE[s.severity]}]{code}[/] ({n}x) {s.title}: {s.action}"
                          f"  See {DOCS_CHECKS}#{code.lower()}")
    overrides = report.meta.get("overrides") or []
    if overrides:
        from rich.markup import escape

        console.print("\n[bold]Site configuration overrides[/bold]")
        for o in overrides:
            console.print(f"  {o['code']} ({o['scope']}): {o['from']} -> {o['to']}, {o['findings']} findings. "
                          f"Justification: {escape(o['justification'])}")
    if report.meta.get("refused"):  # an output or option refused before anything was read or written
        console.print(f"\n[bold red]REFUSED[/]: {report.meta['refused']} (pedcomm {report.meta.get('version')}, "
                      f"standard {report.meta.get('schema_version')}).")
        return
    style = {"valid": "bold green", "invalid": "bold red", "unreadable": "bold red"}[report.status]
    n_checks = len(report.runs)
    console.print(f"\n[{style}]{report.status.upper()}[/]: {totals['error']} errors, {totals['warning']} warnings, "
                  f"{totals['info']} notes from {n_checks} checks on {len(report.inputs)} files "
                  f"(pedcomm {report.meta.get('version')}, standard {report.meta.get('schema_version')}).")
