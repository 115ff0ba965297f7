"""Findings and the validation report: one report, several renderings (see render.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from .registry import spec

#: Findings listed per (code, resource, field); all of them are always counted.
DEFAULT_MAX_LISTED = 100


def mask(value: Any) -> str:
    """Show the shape of a possibly identifying value without the value itself."""
    s = str(value)
    if len(s) <= 1:
        return "*"
    return f"{s[0]}{'*' * min(len(s) - 1, 8)} ({len(s)} characters, masked)"


def quote(value: Any) -> str:
    if value is None:
        return "(blank)"
    s = str(value)
    if len(s) > 60:
        s = s[:57] + "..."
    return f"'{s}'"


@dataclass
class Finding:
    code: str
    severity: str
    category: str
    resource: str | None
    field: str | None
    row: int | None
    value: str | None
    message: str
    action: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckRun:
    code: str
    resource: str | None
    field: str | None
    checked: int = 0
    failed: int = 0
    status: str = "passed"  # passed | failed | not_applicable
    reason: str | None = None


class _Safe(dict):
    def __missing__(self, key):
        return "?"


@dataclass
class Report:
    max_listed: int = DEFAULT_MAX_LISTED
    reveal_values: bool = False
    findings: list[Finding] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # (code, resource, field) -> failures
    runs: dict = field(default_factory=dict)  # (code, resource, field) -> CheckRun
    inputs: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    #: (code, resource, field) -> severity set by a site configuration (pedcomm.sites.config)
    severities: dict = field(default_factory=dict)

    def severity(self, code: str, resource: str | None = None, field: str | None = None) -> str:
        """The severity of a check's findings: the registry's, unless a site configuration changed it."""
        return self.severities.get((code, resource, field)) or spec(code).severity

    # -- recording -----------------------------------------------------------------------
    def ran(self, code: str, resource: str | None = None, field: str | None = None,
            checked: int = 0) -> CheckRun:
        spec(code)
        key = (code, resource, field)
        run = self.runs.get(key)
        if run is None:
            run = self.runs[key] = CheckRun(code, resource, field)
        run.checked += int(checked)
        return run

    def not_applicable(self, code: str, resource: str | None, reason: str, field: str | None = None):
        run = self.ran(code, resource, field)
        if run.status == "passed" and run.checked == 0:
            run.status, run.reason = "not_applicable", reason

    def add(self, code: str, *, resource: str | None = None, field: str | None = None,
            row: int | None = None, value: Any = None, sensitive: bool = False, **params):
        self.add_many(code, resource=resource, field=field, rows=[row], values=[value],
                      sensitive=sensitive, **{k: [v] for k, v in params.items()})

    def add_many(self, code: str, *, resource: str | None, field: str | None,
                 rows: Iterable, values: Iterable | None = None, sensitive: bool = False,
                 checked: int | None = None, **params):
        """Record failures of one check: all are counted, the first ``max_listed`` are listed.

        ``params`` are per-row sequences (or scalars) filling the message template
        (``detail``, ``expected``, ``hint`` ...).
        """
        s = spec(code)
        rows = list(rows)
        n = len(rows)
        key = (code, resource, field)
        run = self.ran(code, resource, field, checked or 0)
        if n == 0:
            return
        run.failed += n
        run.status = "failed"
        already = self.counts[key]
        self.counts[key] += n
        room = max(0, self.max_listed - already)
        if room == 0:
            return
        values = list(values)[:room] if values is not None else [None] * min(n, room)
        for i in range(min(n, room)):
            raw = values[i] if i < len(values) else None
            if raw is None or (isinstance(raw, float) and raw != raw):
                shown = None
            elif sensitive and not self.reveal_values:
                shown = mask(raw)
            else:
                shown = str(raw)
            p = _Safe(resource=resource, field=field, row=rows[i], value=quote(shown) if shown is not None else "(blank)")
            for k, v in params.items():
                p[k] = v[i] if isinstance(v, (list, tuple)) else v
            p.setdefault("hint", "")
            row = rows[i]
            self.findings.append(Finding(
                code=code, severity=s.severity, category=s.category, resource=resource,
                field=field, row=None if row is None else int(row), value=shown,
                message=s.message.format_map(p), action=s.action))

    # -- summary -------------------------------------------------------------------------
    def totals(self) -> Counter:
        c = Counter({"error": 0, "warning": 0, "info": 0})
        for (code, res, fld), n in self.counts.items():
            c[self.severity(code, res, fld)] += n
        return c

    @property
    def fatal(self) -> bool:
        return any(spec(code).fatal for (code, _, _) in self.counts)

    @property
    def status(self) -> str:
        if self.fatal:
            return "unreadable"
        return "invalid" if self.totals()["error"] else "valid"

    @property
    def exit_code(self) -> int:
        return {"valid": 0, "invalid": 1, "unreadable": 2}[self.status]

    def codes(self) -> set[str]:
        return {code for (code, _, _), n in self.counts.items() if n}

    def unlisted(self) -> int:
        return sum(self.counts.values()) - len(self.findings)
