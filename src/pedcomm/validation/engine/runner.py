"""The runner: one DuckDB connection per validation, the package's tables loaded by the load
contract (load.py), the plan's steps run in order, their rows recorded in the report.

This is the Python host of the check engine; the browser validator is the other (docs/architecture.md,
"The check engine"). What a host does beyond running SQL is small and listed there: the file-level
checks before a table is loaded, the row-number and retry rules of the load, the guards, and the
message of a finding (its registry text with the row's parameters).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..masking import neutralise
from ..registry import spec
from ..report import CheckRun, Finding, Report, _param, _Safe, quote
from . import load
from .errors import OutOfMemory
from .plan import GUARDS, Plan, Step, plan
from .sql import RESULT_COLUMNS, SHOWN_COLUMNS, ident, lit

#: The reader's rejections that mean the bytes are not UTF-8 text (FILE_ENCODING).
ENCODING_ERRORS = ("INVALID ENCODING", "INVALID UNICODE")
#: What the reader's other rejections mean, in words (FILE_FORMAT).
FORMAT_ERRORS = {"UNQUOTED VALUE": "a quoted value is not closed, or text follows its closing quote",
                 "LINE SIZE OVER MAXIMUM": "a line is too long to read"}


def memory_limit(data_bytes: int) -> int:
    """DuckDB's memory limit for a package of ``data_bytes`` of CSV: what the tables need in memory
    (about twice their bytes), within 60% of the machine's memory; beyond it DuckDB spills to disk."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return int(min(max(2.5 * data_bytes, 512 << 20), 0.6 * total))


#: Below this many bytes of CSV a validation runs on one thread: its time is the planning of the plan's
#: statements, which one thread does as fast, and a second thread only adds its coordination (measured on
#: 2 cores, benchmarks/README.md: at 3 MB the same wall time for 20% less CPU; at 15 MB 3% less wall time for
#: 27% more CPU). Many small validations at once (a coordinating centre's twenty sites, the test suite in
#: parallel) then share the cores instead of contending for them.
ONE_THREAD_BELOW = 16 << 20


def threads(data_bytes: int) -> int:
    return 1 if data_bytes < ONE_THREAD_BELOW else max(1, os.cpu_count() or 1)


@dataclass
class Loaded:
    """What the host knows of one table after loading it."""

    header: list[str]
    rows: int = 0
    state: str = "complete"


@dataclass
class Engine:
    report: Report
    max_listed: int
    reveal: bool
    data_bytes: int = 0
    plan: Plan = field(default_factory=plan)
    loaded: dict[str, Loaded] = field(default_factory=dict)
    listed: dict[tuple, int] = field(default_factory=dict)
    skips: list[tuple] = field(default_factory=list)
    failed: set[tuple] = field(default_factory=set)
    guards: dict[int, tuple] = field(default_factory=dict)
    with_rejects: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import duckdb

        self._oom = duckdb.OutOfMemoryException
        self.limit = memory_limit(self.data_bytes)
        # where DuckDB spills beyond its memory limit: created by DuckDB only when it spills (a small
        # package never does), removed with the engine
        self.tmp = os.path.join(tempfile.gettempdir(), f"pedcomm-duckdb-{os.getpid()}-{uuid.uuid4().hex[:12]}")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.tmp, True)
        self.con = duckdb.connect(config={"threads": threads(self.data_bytes),
                                          "memory_limit": f"{self.limit >> 20}MB",
                                          "temp_directory": self.tmp, "preserve_insertion_order": True,
                                          "autoinstall_known_extensions": False, "autoload_known_extensions": False})
        self.execute("SET enable_progress_bar = false")  # never a progress bar of DuckDB's on a user's screen
        self.execute(f"SET VARIABLE reveal = {lit(self.reveal)}")
        self.execute(f"SET VARIABLE max_listed = {int(self.max_listed)}")
        self.execute(";\n".join(self.plan.prelude))  # the macros and status tables, in one call
        for name, entry in self.plan.resources.items():
            for s in load.set_state(name, "absent") + load.empty_views(name, entry):
                self.execute(s)

    def execute(self, sql: str, fetch: bool = False, where: str = "checking the package") -> list[tuple]:
        cur = self.cursor(sql, where)
        return cur.fetchall() if fetch else []

    def cursor(self, sql: str, where: str):
        """Run one statement; DuckDB running out of memory becomes OutOfMemory (errors.py) saying ``where``."""
        try:
            return self.con.execute(sql)
        except self._oom:
            raise OutOfMemory(where, self.limit, self.data_bytes) from None

    # -- the load contract ----------------------------------------------------------------------
    def unread(self, name: str, why: str) -> None:
        for s in load.set_state(name, "unread", why):
            self.execute(s)

    def load(self, name: str, path: Path, header: list[str], size: int, max_line: int | None = None) -> bool:
        """Read one CSV into DuckDB (load.py); report what the reader rejected and the ragged rows.
        False when the table cannot be used (FILE_ENCODING, FILE_FORMAT)."""
        entry = self.plan.resources[name]
        report = self.report
        strict, max_line = True, max_line or load.max_line(size)
        while True:
            try:
                self.execute(load.file_table(name, str(path), header, entry, strict=strict, max_line=max_line),
                             where=f"reading {name}")
                break
            except OutOfMemory:
                raise
            except Exception as e:  # noqa: BLE001 - the reader's own error, reported as a finding
                text = str(e)
                if "Maximum line size" in text and max_line < size + 1:
                    max_line = size + 1
                    continue
                if strict:
                    strict = False
                    continue
                problem = _encoding(path)
                if problem:
                    report.ran("FILE_ENCODING", name, None, 0)
                    report.add("FILE_ENCODING", resource=name, detail=problem)
                else:
                    report.add("FILE_FORMAT", resource=name, detail=_reader_message(text))
                return False
        rejects = self.execute(load.rejected(name), fetch=True) if strict else []
        bad_text = [r for r in rejects if r[1] in ENCODING_ERRORS]
        if bad_text:
            report.ran("FILE_ENCODING", name, None, 0)
            problem = _encoding(path) or f"line {bad_text[0][0]} is not UTF-8 text"
            report.add("FILE_ENCODING", resource=name, detail=problem)
            return False
        other = [r for r in rejects if r[1] != "TOO MANY COLUMNS"]
        if other:
            line, what, _ = other[0]
            if what == "LINE SIZE OVER MAXIMUM" and max_line < size + 1:
                return self.load(name, path, header, size, max_line=size + 1)
            report.add("FILE_FORMAT", resource=name,
                       detail=f"{FORMAT_ERRORS.get(what, what.lower())} on line {line}")
            return False
        n = len(header)
        rows = self.execute(load.ragged_rows(name, n, bool(rejects)), fetch=True)
        total = self.execute(f"SELECT count(*) FROM {load.file_name(name)}", fetch=True)[0][0] + len(
            [r for r in rejects if r[1] == "TOO MANY COLUMNS"])
        report.ran("ROW_RAGGED", name, None, total)
        if rows:
            report.add_many("ROW_RAGGED", resource=name, field=None, rows=[r[0] for r in rows],
                            detail=[str(r[1]) for r in rows], expected=str(n))
        self.loaded[name] = Loaded(header, rows=total - len(rows))
        self.with_rejects[name] = bool(rejects)
        return True

    def columns(self, name: str, present: list[str], why: str | None) -> None:
        """After the header checks: the table's columns and state (partial when columns are missing)."""
        entry = self.plan.resources[name]
        got = self.loaded[name]
        fields = [f["name"] for f in entry["fields"]]
        rows = load.column_rows(name, got.header, fields)
        if rows:
            self.execute(rows)
        got.state = "complete" if len(present) == len(fields) else "partial"
        pk = entry["primaryKey"]
        ids = bool(pk) and all(k in present for k in pk) and len(set(got.header)) == len(got.header)
        for s in load.set_state(name, got.state, why) + load.views(name, got.header, entry,
                                                                    self.with_rejects.get(name, False), ids):
            self.execute(s)

    # -- the steps ------------------------------------------------------------------------------
    def run(self, progress=None) -> None:
        """Every step of the plan (the column steps first), then the results into the report."""
        seq = -len(self.plan.column_steps) * sum(len(got.header) for got in self.loaded.values()) - 1
        for name, got in self.loaded.items():
            fields = {f["name"] for f in self.plan.resources[name]["fields"]}
            seen: set[str] = set()
            for i, col in enumerate(got.header):
                if col in seen:
                    continue
                seen.add(col)
                if col in fields:
                    continue
                for step in self.plan.column_steps:
                    seq += 1
                    self.step(instantiate(step, name, f"#{i}", col, seq), seq)
        for i, step in enumerate(self.plan.steps):
            if progress and step.id.endswith(".counts"):
                progress(f"checking {step.resource}")
            self.step(step, i)
        self.collect()

    def guard(self, step: Step, seq: int) -> tuple[bool, str | None]:
        """A step's guard; the guards of a plan's steps are evaluated together, a batch at a time
        (``batch``: the steps whose guards depend on the same state of the tables)."""
        assert step.guard is not None
        if step.guard["kind"] == "sql":  # a column step's own
            go, reason = self.execute(step.guard["sql"], fetch=True)[0]
            return bool(go), reason
        if seq not in self.guards:
            for j, go, reason in self.execute(GUARDS.replace("{batch}", str(step.batch)), fetch=True):
                self.guards[j] = (bool(go), reason)
        return self.guards[seq]

    def step(self, step: Step, seq: int) -> None:
        if step.after and tuple(step.after) not in self.failed:
            return
        if step.guard:
            go, reason = self.guard(step, seq)
            if not go:
                if reason:
                    for code in step.codes:
                        self.skips.append((seq, code, step.resource, step.field, reason))
                return
        where = f"checking {step.resource or 'the package'} ({', '.join(step.codes)})"
        for s in step.sql:
            cur = self.cursor(s, where)
            if cur.description:
                self.failed.update(tuple(r) for r in cur.fetchall())

    def collect(self) -> None:
        """The engine's results (pc.results), rendered through the masking path, into the report, in plan order."""
        shown = {c: f"pc_render({c})" for c in SHOWN_COLUMNS}
        cols = ", ".join(shown.get(c, c) for c in RESULT_COLUMNS)
        rows = self.execute(f"SELECT seq, {cols} FROM pc.results ORDER BY seq, CASE kind WHEN 'ran' THEN 0 "
                            "WHEN 'table' THEN 1 WHEN 'finding' THEN 2 ELSE 3 END, code, resource NULLS FIRST, "
                            "field NULLS FIRST, row NULLS FIRST, value.v NULLS FIRST, detail.v NULLS FIRST", fetch=True)
        skips = [(s[0], None, "skip", s[1], s[2], s[3], s[4]) for s in self.skips]
        merged = sorted([(r[0], 0, r) for r in rows] + [(s[0], 1, s) for s in skips], key=lambda x: (x[0], x[1]))
        for _, is_skip, r in merged:
            if is_skip:
                _, _, _, code, resource, field_, reason = r
                self.skip(code, resource, field_, reason)
            else:
                self.record(dict(zip(RESULT_COLUMNS, r[1:])))

    # -- rows into the report -------------------------------------------------------------------
    def run_of(self, code: str, resource: str | None, field: str | None) -> CheckRun:
        key = (code, resource, field)
        run = self.report.runs.get(key)
        if run is None:
            spec(code)
            run = self.report.runs[key] = CheckRun(*key)
        return run

    def skip(self, code: str, resource: str | None, field: str | None, reason: str) -> None:
        run = self.run_of(code, resource, field)
        if run.status == "passed" and run.checked == 0:
            run.status, run.reason = "not_applicable", _param(reason)

    def record(self, r: dict[str, Any]) -> None:
        report = self.report
        kind, code, resource, field_ = r["kind"], r["code"], r["resource"], r["field"]
        if kind == "ran":
            run = self.run_of(code, resource, field_)
            run.checked += int(r["checked"] or 0)
            if r["failed"]:
                run.failed += int(r["failed"])
                run.status = "failed"
                report.counts[(code, resource, field_)] += int(r["failed"])
        elif kind == "skip":
            self.skip(code, resource, field_, r["reason"])
        elif kind == "clue":
            report.clues.append({"kind": r["detail"], "code": code, "resource": resource, "field": field_,
                                 "count": int(r["failed"]), **({"target": r["expected"]} if r["expected"] else {})})
        elif kind == "table":
            n_fields = len(self.plan.resources[resource]["fields"])
            report.tables[resource] = {"rows": int(r["checked"]), "columns": n_fields,
                                       "cells": int(r["checked"]) * n_fields, "filled": int(r["failed"])}
        elif kind == "finding":
            key = (code, resource, field_)
            if self.listed.get(key, 0) >= report.max_listed:
                return
            self.listed[key] = self.listed.get(key, 0) + 1
            report.findings.append(finding(r, report))


def finding(r: dict[str, Any], report: Report) -> Finding:
    """A finding row as the report shows it: the registry's message filled with the row's parameters."""
    s = spec(r["code"])
    code, resource, field_, row_ = r["code"], r["resource"], r["field"], r["row"]
    value = r["value"]
    p = _Safe(resource=resource, field=field_, row=row_, value=quote(value) if value is not None else "(blank)")
    for k in ("detail", "expected", "hint", "who", "n"):
        if r[k] is not None:
            p[k] = _param(r[k])
    p.setdefault("hint", "")
    return Finding(code=code, severity=s.severity,
                   category=s.category, resource=resource, field=field_,
                   row=None if row_ is None else int(row_), value=value,
                   message=neutralise(s.message.format_map(p)), action=s.action, record=r["record"])


def instantiate(step: Step, resource: str, column: str, name: str, seq: int) -> Step:
    """A column step for one column of a file the standard does not define."""
    def fill(text: str) -> str:
        return (text.replace("{resource_literal}", lit(resource)).replace("{resource}", ident(resource))
                .replace("{column}", ident(column)).replace("{name}", lit(name)).replace("{seq}", str(seq)))

    guard = {**step.guard, "sql": fill(step.guard["sql"])} if step.guard else None
    return Step(step.id, step.codes, resource, name, [fill(s) for s in step.sql], guard, step.after)


def _encoding(path: Path) -> str | None:
    """Where a file stops being UTF-8 (pedcomm.validation.read.encoding_problem), when the reader failed."""
    from ..read import encoding_problem

    try:
        return encoding_problem(path.read_bytes())
    except OSError:
        return None


def _reader_message(text: str) -> str:
    """The CSV reader's error in words, without the row text it may quote (a row may identify someone)."""
    first = text.split("\n")[0]
    first = first.split(": ", 1)[1] if first.startswith(("Invalid Input Error", "Conversion Error")) else first
    return neutralise(first[:200])
