"""Findings and the validation report; its renderings live beside it (render.py: terminal and JSON;
html.py, markdown.py; safe.py makes values safe for each format)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..masking import bounded, mask, neutralise, shown, shown_one  # noqa: F401  (mask: re-exported)
from ..registry import spec

#: Findings listed per (code, resource, field); all of them are always counted.
DEFAULT_MAX_LISTED = 100
#: Longest parameter text (a detail, an expected value) a message formats.
MAX_PARAM = 300


def quote(value: Any) -> str:
    if value is None:
        return "(blank)"
    s = str(value)
    if len(s) > 60:
        s = s[:57] + "..."
    return f"'{s}'"


def _param(v: Any) -> Any:
    """A message parameter, bounded and with control characters neutralised (values embedded in
    it by a check went through pedcomm.validation.masking.shown already)."""
    if v is None or isinstance(v, (int, float)):
        return v
    return bounded(neutralise(str(v)), MAX_PARAM)


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
    #: the row's record id: its primary-key value(s) as the site knows the record (e.g. in REDCap),
    #: shown through pedcomm.validation.masking (masked when it looks identifying); None when the
    #: finding is not about one row or the table's key column could not be read
    record: str | None = None

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
    #: (code, resource, field) -> severity set by a site configuration (pedcomm.validation.config)
    severities: dict = field(default_factory=dict)
    #: resource (as shown) -> its primary-key text by file row, for the record id of each finding
    record_keys: dict = field(default_factory=dict)
    #: evidence a check saw of one cause behind many findings (pedcomm.validation.hints groups them)
    clues: list = field(default_factory=list)
    #: resource (as shown) -> {"rows": rows read, "cells": cells of the standard's columns, "filled": non-missing ones}
    tables: dict = field(default_factory=dict)

    def keys(self, resource: str, key, unsafe=None) -> None:
        """Remember a table's primary-key text by file row (a Series of str, or a frame of key columns),
        so every finding about one of its rows names the record, not only the CSV row. ``unsafe``: a
        boolean Series by row, True where the key is not a well-formed identifier (masked like any
        such value; the identifier screen applies to the others)."""
        import pandas as pd

        if isinstance(key, pd.DataFrame):
            key = key.iloc[:, 0] if key.shape[1] == 1 else key.fillna("").astype(str).agg(" / ".join, axis=1)
        self.record_keys[self.label(resource)] = (key, unsafe)

    def records(self, resource: str | None, rows: list) -> list[str | None]:
        """The record ids of ``rows`` of ``resource`` (None where unknown), through the one masking path."""
        key, unsafe = self.record_keys.get(resource, (None, None))
        if key is None or not rows:
            return [None] * len(rows)
        vals, flags = [], []
        for r in rows:
            try:
                v = key.get(int(r)) if r is not None else None
                bad = bool(unsafe.get(int(r), False)) if unsafe is not None and r is not None else False
            except (TypeError, ValueError):
                v, bad = None, False
            vals.append(None if v is None or v == "" or v != v else v)
            flags.append(bad)
        return shown(vals, reveal=self.reveal_values, sensitive=flags)

    def clue(self, kind: str, code: str, resource: str | None, field: str | None, count: int, **about) -> None:
        """Record evidence of a shared cause (``kind``: see pedcomm.validation.hints.KINDS)."""
        self.clues.append({"kind": kind, "code": code, "resource": self.label(resource),
                           "field": self.label(field), "count": int(count),
                           **{k: self.label(v) if isinstance(v, str) else v for k, v in about.items()}})

    def skipped(self) -> list[CheckRun]:
        """The checks that could not run, each with the reason, in a stable order."""
        return sorted((r for r in self.runs.values() if r.status == "not_applicable"),
                      key=lambda r: (r.resource or "", r.code, r.field or ""))

    def label(self, name: Any) -> str | None:
        """A resource, field or column name as shown (read from a file, it may be a data value)."""
        return None if name is None else shown_one(name, reveal=self.reveal_values)

    def add_input(self, path: str, size: int, sha256: str) -> None:
        """Record an input file read (its path as the descriptor gives it, shown safely)."""
        self.inputs.append({"path": self.label(path), "bytes": int(size), "sha256": sha256})

    def severity(self, code: str, resource: str | None = None, field: str | None = None) -> str:
        """The severity of a check's findings: the registry's, unless a site configuration changed it."""
        return self.severities.get((code, resource, field)) or spec(code).severity

    # -- recording -----------------------------------------------------------------------
    def ran(self, code: str, resource: str | None = None, field: str | None = None,
            checked: int = 0) -> CheckRun:
        spec(code)
        key = (code, self.label(resource), self.label(field))
        run = self.runs.get(key)
        if run is None:
            run = self.runs[key] = CheckRun(*key)
        run.checked += int(checked)
        return run

    def not_applicable(self, code: str, resource: str | None, reason: str, field: str | None = None):
        run = self.ran(code, resource, field)
        if run.status == "passed" and run.checked == 0:
            run.status, run.reason = "not_applicable", _param(reason)

    def add(self, code: str, *, resource: str | None = None, field: str | None = None,
            row: int | None = None, value: Any = None, sensitive: bool = False, **params):
        """Record one failure; see add_many."""
        listed: dict[str, Any] = {k: [v] for k, v in params.items()}
        self.add_many(code, resource=resource, field=field, rows=[row], values=[value], sensitive=sensitive, **listed)

    def add_many(self, code: str, *, resource: str | None, field: str | None,
                 rows: Iterable, values: Iterable | None = None, sensitive: bool | Iterable[bool] = False,
                 checked: int | None = None, **params: Any):
        """Record failures of one check: all are counted, the first ``max_listed`` are listed.

        Every value listed goes through pedcomm.validation.masking.shown (masked when ``sensitive`` says so,
        per value or for all, or when the identifier screen flags it, unless the report reveals
        values); resource and field names too, since they may be read from a file. ``params`` are
        per-row sequences (or scalars) filling the message template (``detail``, ``expected``,
        ``hint`` ...); they are bounded and neutralised.
        """
        s = spec(code)
        rows = list(rows)
        n = len(rows)
        resource, field = self.label(resource), self.label(field)
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
        listed = min(n, room)
        values = list(values)[:room] if values is not None else []
        values += [None] * (listed - len(values))
        flags = sensitive if isinstance(sensitive, bool) else list(sensitive)[:room]
        texts = shown(values, reveal=self.reveal_values, sensitive=flags)
        records = self.records(resource, rows[:listed])
        for i in range(listed):
            text = texts[i]
            p = _Safe(resource=resource, field=field, row=rows[i], value=quote(text) if text is not None else "(blank)")
            for k, v in params.items():
                p[k] = _param(v[i] if isinstance(v, (list, tuple)) else v)
            p.setdefault("hint", "")
            row = rows[i]
            self.findings.append(Finding(
                code=code, severity=s.severity, category=s.category, resource=resource,
                field=field, row=None if row is None else int(row), value=text,
                message=neutralise(s.message.format_map(p)), action=s.action, record=records[i]))

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

    def sorted_findings(self) -> list[Finding]:
        """The findings listed, by resource (package-level first), then row, then code and field:
        the same order on every run."""
        return sorted(self.findings, key=lambda f: (f.resource is not None, f.resource or "",
                                                    f.row if f.row is not None else -1, f.code, f.field or ""))
