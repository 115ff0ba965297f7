"""The plan: every data check as SQL, generated from the Table Schemas and the registry, plus each
study's hand-written rules (``checks.sql`` in the study's folder), in the order they run.

The plan is data (``plan().as_dict()``, exported as JSON by ``pedcomm.validation.engine.export``):
the same statements run in the CLI (Python's duckdb) and in the browser (@duckdb/duckdb-wasm). A
host loads the package's tables first (pedcomm.validation.engine.load: the load contract), then
runs the steps in order:

- a step has ``codes``, the ``resource`` and ``field`` it reports on, an optional ``guard`` and its
  ``sql``. The guard returns one row (``go``, ``reason``): go false with a reason means the step's
  checks could not run (each code is listed as skipped with that reason); go false without one
  means the step does not apply (its study or table is not in the package). Without a guard the
  step always runs;
- ``sql`` is a list of statements run in order; they write their rows into ``pc.results`` (the
  result shape, pedcomm.validation.engine.sql.RESULT_COLUMNS, with ``seq``, the step's place in the
  plan): ``ran`` rows (a check ran: checked, failed), ``finding`` rows (the first max_listed per
  check, by row), ``clue`` rows (evidence of one cause behind many findings,
  pedcomm.validation.hints) and a ``table`` row (rows read, cells filled). A statement that
  returns rows returns the checks that failed, as (code, resource, field);
- ``after`` (optional): [code, resource, field] of a check whose failures this step lists; the
  host runs it only when an earlier step returned that check as failed (a clean column is
  scanned once);
- at the end, one query renders pc.results through the masking path (``pc_render``) in plan order.

Per column of a file that the standard does not define, ``column_steps`` (templates with
``{column}``, the file column's name in the loaded table, and ``{name}``, its header text as a SQL
literal) run the identifier screen.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from ... import standard
from ...standard import studies
from .. import identifiers
from ..cast import LABEL_BOOLEANS
from ..registry import SQL_BLOCK, SQL_RULES, parameter, specs
from . import load
from . import sql as q
from .sql import ident, lit, row

#: Cells a spreadsheet turned into a date (01/03/2021, 2021-03-01 in a number column, 3-Jan, Jan-03).
EXCEL_DATE = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}-[A-Za-z]{3}(-\d{2,4})?|[A-Za-z]{3}-\d{1,2}"
#: Fields screened by another code (the excerpt screen of the coding study).
OWN_SCREEN = {("coding_segments", "excerpt")}


@dataclass
class Step:
    id: str
    codes: list[str]
    resource: str | None
    field: str | None
    sql: list[str]
    guard: dict | None = None
    after: list | None = None
    batch: int = 0

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Plan:
    prelude: list[str]
    resources: dict[str, dict]
    steps: list[Step]
    column_steps: list[Step]
    meta: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"meta": self.meta, "prelude": self.prelude, "resources": self.resources,
                "steps": [s.as_dict() for s in self.steps], "column_steps": [s.as_dict() for s in self.column_steps]}


# -- building blocks ----------------------------------------------------------------------------

#: The columns a step inserts into pc.results, in order.
INSERT = "INSERT INTO pc.results (seq, " + ", ".join(q.RESULT_COLUMNS) + ") "
COLS = ", ".join(q.RESULT_COLUMNS)


def wrap(body: str) -> str:
    """A check body (ran rows and every finding row, columns by name) into pc.results: exact failure
    counts and the first max_listed findings per check (by row)."""
    return f"""{INSERT}WITH body AS (SELECT {row('none')} WHERE false UNION ALL BY NAME ({body})),
f AS (SELECT * FROM body WHERE kind = 'finding'),
n AS (SELECT code, resource, field, count(*) AS n_failed FROM f GROUP BY ALL),
ran AS (SELECT code, resource, field, sum(checked) AS n_checked FROM body WHERE kind = 'ran' GROUP BY ALL)
SELECT {{seq}}, 'ran', coalesce(ran.code, n.code), coalesce(ran.resource, n.resource), coalesce(ran.field, n.field),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, coalesce(ran.n_checked, 0), coalesce(n.n_failed, 0), NULL
FROM ran FULL OUTER JOIN n ON ran.code = n.code AND ran.resource IS NOT DISTINCT FROM n.resource
     AND ran.field IS NOT DISTINCT FROM n.field
UNION ALL
SELECT {{seq}}, {COLS} FROM f QUALIFY row_number() OVER (PARTITION BY code, resource, field ORDER BY row, value.v)
      <= getvariable('max_listed')
UNION ALL
SELECT {{seq}}, {COLS} FROM body WHERE kind IN ('clue', 'skip')"""


def state(resource: str) -> str:
    return f"(SELECT state FROM pc.tables WHERE resource = {lit(resource)})"


def present(resource: str, name: str) -> str:
    return f"EXISTS (SELECT 1 FROM pc.columns WHERE resource = {lit(resource)} AND field = {lit(name)} AND first)"


def raw(resource: str) -> str:
    return f"raw.{ident(resource)}"


def typed(resource: str) -> str:
    return f"typed.{ident(resource)}"


def show(resource: str, name: str, expr: str) -> str:
    return f"{q.show_name(resource, name)}({expr})"


def _pk(schema: dict) -> list[str]:
    pk = schema.get("primaryKey")
    return [pk] if isinstance(pk, str) else list(pk or [])


def _fk_fields(x) -> list[str]:
    return x if isinstance(x, list) else [x]


# -- the generic checks of one resource ---------------------------------------------------------

@dataclass
class FieldCheck:
    """One check of one column: its counts (checked, failed) and, when it failed, its finding rows.

    The counts are conditions on a cell, ``{c}`` (its text as read) and ``{t}`` (its typed value):
    ``checked`` (None: every row), ``failed`` (None: never) or, with ``distinct``, the checked cells
    that repeat an earlier one. counts_step counts them row by row, or over a column's distinct
    values (``by_value``) where the conditions are evaluated once per value."""

    code: str
    column: str
    checked: str | None
    failed: str | None
    bad: str | None = None  # the condition of a failing row (None: the check lists no rows by a condition)
    cols: dict = field(default_factory=dict)  # finding columns (SQL) beyond row and record
    clues: list = field(default_factory=list)  # (kind, condition on failing rows)
    listing: str | None = None  # a whole listing query, when not "rows where bad"
    distinct: bool = False  # failed: the checked cells repeating an earlier one


def by_value(fd: dict) -> bool:
    """Whether a column's checks are counted over its distinct values rather than row by row: an
    identifier column (text with a pattern: its screen and pattern are regular expressions), a coded
    one (enum) and a boolean repeat few values, each of them checked once instead of once per row."""
    c = fd.get("constraints", {})
    return (fd.get("type", "string") == "string" and "pattern" in c) or "enum" in c or fd.get("type") == "boolean"


def field_checks(resource: str, schema: dict) -> list[FieldCheck]:
    codes = standard.missing_codes(resource)
    out: list[FieldCheck] = []
    miss = q.missing("{c}", codes)
    for fd in schema["fields"]:  # the identifier screen of the table as read
        name = fd["name"]
        col = f"r.{ident(name)}"
        if identifiers.is_age_field(name) and fd.get("type") in ("integer", "number"):
            # a typed cell is its number (the common case, without stripping the text)
            number = "CASE WHEN {t} IS NOT NULL THEN CAST({t} AS DOUBLE) ELSE TRY_CAST(pc_strip({c}) AS DOUBLE) END"
            old = f"{number} > {identifiers.MAX_AGE}"
            out.append(FieldCheck("AGE_OVER_89", name, f"{number} IS NOT NULL", old,
                                  cell(old, col, f"r.{ident('t:' + name)}"), {"value": f"secret({col})"}))
        if (resource, name) in OWN_SCREEN or fd.get("type", "string") != "string" or "enum" in fd.get("constraints", {}):
            continue
        out.append(FieldCheck("TEXT_IDENTIFIER", name, None, "pc_screen({c})",
                              f"pc_screen({col})", {"value": f"secret({col})", "detail": f"words(pc_kinds({col}))"}))
    for fd in schema["fields"]:
        name, type_ = fd["name"], fd.get("type", "string")
        c = fd.get("constraints", {})
        col = f"r.{ident(name)}"
        tv = f"r.{ident('t:' + name)}" if type_ != "string" else q.typed(col, "string", codes)
        bad_type = f"NOT {q.missing(col, codes)} AND NOT {q.type_ok(col, type_)}" if type_ != "string" else "false"
        clues = [("excel_dates", f"regexp_full_match(pc_strip({col}), {lit(EXCEL_DATE)})")]
        if type_ == "boolean":
            clues.append(("labels", f"lower(pc_strip({col})) IN {q.in_list(LABEL_BOOLEANS)}"))
        # counted from the typed value (NULL when missing or unreadable: the load typed each cell once)
        out.append(FieldCheck("CELL_TYPE", name, None, f"{{t}} IS NULL AND NOT {miss}" if type_ != "string" else None,
                              bad_type, {"value": show(resource, name, col), "expected": f"words({lit(q.expected_type(type_))})",
                                         "hint": q.type_hint(col, type_, codes)}, clues if type_ != "string" else []))
        if c.get("required"):
            detail = f"CASE WHEN {col} IS NULL OR {col} = '' THEN 'blank' " + " ".join(
                f"WHEN {col} = {lit(v)} THEN {lit(f'the missing-value code {v} ({label})')}" for v, label in codes.items() if v
            ) + " END"
            out.append(FieldCheck("CELL_REQUIRED", name, None, miss, cell(miss, col, tv), {"detail": f"words({detail})"}))
        if "enum" in c:
            allowed = [str(v) for v in c["enum"]]
            text = f"CAST({tv} AS VARCHAR)"
            bad = f"{{t}} IS NOT NULL AND CAST({{t}} AS VARCHAR) NOT IN {q.in_list(allowed)}"
            norm_codes = sorted({re.sub(r"[\s-]+", "_", a.lower()) for a in allowed})
            # a code spelled as a label ('Female'), not a code with spaces around it ('female ')
            labels = f"{q.normalised_code(text)} IN {q.in_list(norm_codes)} AND pc_strip({text}) NOT IN {q.in_list(allowed)}"
            out.append(FieldCheck("CELL_ENUM", name, "{t} IS NOT NULL", bad, cell(bad, col, tv),
                                  {"value": show(resource, name, text), "expected": f"words({lit(', '.join(allowed))})",
                                   "hint": q.enum_hint(text, allowed, codes)}, [("labels", labels)]))
        if "minimum" in c or "maximum" in c:
            lo, hi = c.get("minimum"), c.get("maximum")
            conds = ([f"{{t}} < {lit(lo)}"] if lo is not None else []) + ([f"{{t}} > {lit(hi)}"] if hi is not None else [])
            bad = "(" + " OR ".join(conds) + ")"
            expected = f"{lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'}"
            out.append(FieldCheck("CELL_RANGE", name, "{t} IS NOT NULL", bad, cell(bad, col, tv),
                                  {"value": show(resource, name, col), "expected": f"words({lit(expected)})"}))
        if "pattern" in c:
            bad = f"{{t}} IS NOT NULL AND NOT regexp_full_match({{t}}, {lit(c['pattern'])})"
            out.append(FieldCheck("CELL_PATTERN", name, "{t} IS NOT NULL", bad, cell(bad, col, tv),
                                  {"value": show(resource, name, tv)}))
        if "minLength" in c or "maxLength" in c:
            lo, hi = c.get("minLength", 0), c.get("maxLength")
            length = "length(CAST({t} AS VARCHAR))"
            bad = "(" + " OR ".join([f"{length} < {lo}"] + ([f"{length} > {hi}"] if hi is not None else [])) + ")"
            span = f"{lo} to {hi if hi is not None else 'any'}"
            out.append(FieldCheck("CELL_LENGTH", name, "{t} IS NOT NULL", bad, cell(bad, col, tv),
                                  {"detail": f"words({cell(length, col, tv)})", "expected": f"words({lit(span)})"}))
        if c.get("unique"):
            later = later_rows(raw(resource), [tv], f"({repeated_keys(raw(resource), [tv])})", f"CAST({tv} AS VARCHAR) AS v")
            listing = (f"SELECT __row AS row, __record AS record, {show(resource, name, 'v')} AS value, words(first) AS detail "
                       f"FROM ({later})")
            out.append(FieldCheck("CELL_UNIQUE", name, "{t} IS NOT NULL", None, listing=listing, distinct=True))
    return out


def cell(cond: str, c: str, t: str) -> str:
    """A condition on a cell ({c}, {t}) as SQL on given expressions (the listing's r.<field>, its typed value)."""
    return cond.replace("{c}", c).replace("{t}", t)


def typed_value(fd: dict, codes: dict[str, str]) -> str:
    """A field's typed value in raw.<resource> r: text without the missing-value codes, or its "t:" column."""
    if fd.get("type", "string") == "string":
        return q.typed("r." + ident(fd["name"]), "string", codes)
    return "r." + ident("t:" + fd["name"])


def _count(cond: str | None, grouped: bool) -> str:
    """The rows meeting a condition (None: every row): counted row by row, or over distinct values (v, n)."""
    if grouped:
        return f"CAST(coalesce(sum(n){f' FILTER (WHERE {cond})' if cond else ''}, 0) AS BIGINT)"
    return f"count(*){f' FILTER (WHERE {cond})' if cond else ''}"


def counts(fc_checked: str | None, fc_failed: str | None, distinct: bool, c: str, t: str, grouped: bool) -> tuple[str, str]:
    """(checked, failed) of one check as aggregates, on a cell c with typed value t."""
    checked = cell(fc_checked, c, t) if fc_checked else None
    if distinct:  # the checked cells minus their distinct values
        failed = (f"{_count(checked, True)} - count(*) FILTER (WHERE {checked})" if grouped
                  else f"count(*) FILTER (WHERE {checked}) - count(DISTINCT {t}) FILTER (WHERE {checked})")
    else:
        failed = _count(cell(fc_failed, c, t), grouped) if fc_failed else "CAST(0 AS BIGINT)"
    return _count(checked, grouped), failed


def counts_step(resource: str, schema: dict, checks: list[FieldCheck], seq: int) -> Step:
    """The counts of a table: every field check's (for the columns present), its primary key's (a
    complete table only) and the table's completeness; one scan for the columns counted row by row,
    one grouping by value for each column counted over its distinct values (by_value)."""
    codes = standard.missing_codes(resource)
    aggs: list[str] = []
    entries: list[str] = []
    groups: dict[str, list[str]] = {}  # column -> its counts over its distinct values
    fields = {fd["name"]: fd for fd in schema["fields"]}
    grouped = {n for n, fd in fields.items() if by_value(fd)}

    def on(name: str) -> tuple[str, str]:  # (cell, typed value) of a column, in its counting query
        fd = fields[name]
        if name in grouped:
            return "v", (q.typed("v", "string", codes) if fd.get("type", "string") == "string"
                         else resource_entry_field(fd, codes)["typed"].replace("{col}", "v"))
        return f"r.{ident(name)}", typed_value(fd, codes)

    def add(name: str, exprs: list[str]) -> None:
        (groups.setdefault(name, []) if name in grouped else aggs).extend(exprs)

    pk = _pk(schema)
    if pk:
        if len(pk) == 1:
            c, t = on(pk[0])
            checked, failed = counts("{t} IS NOT NULL", None, True, c, t, pk[0] in grouped)
            add(pk[0], [f"{checked} AS pk_c", f"{failed} AS pk_f"])
        else:
            # a composite key counts distinct hashes: no repeated hash, no repeated key (a repeated hash
            # may be a collision: the key's listing step then counts exactly, key_step)
            tv = {k: typed_value(fields[k], codes) for k in pk}
            notnull = " AND ".join(f"{tv[k]} IS NOT NULL" for k in pk)
            key = "hash(" + ", ".join(tv[k] for k in pk) + ")"
            aggs += [f"count(*) FILTER (WHERE {notnull}) AS pk_c",
                     f"count(*) FILTER (WHERE {notnull}) - count(DISTINCT {key}) FILTER (WHERE {notnull}) AS pk_f"]
        entries.append(f"struct_pack(kind := 'ran', code := 'PRIMARY_KEY', field := {lit(', '.join(pk))}, "
                       "checked := pk_c, failed := pk_f)")
    for i, fc in enumerate(checks):
        c, t = on(fc.column)
        checked, failed = counts(fc.checked, fc.failed, fc.distinct, c, t, fc.column in grouped)
        add(fc.column, [f"{checked} AS c{i}", f"{failed} AS f{i}"])
        entries.append(f"struct_pack(kind := 'ran', code := {lit(fc.code)}, field := {lit(fc.column)}, "
                       f"checked := c{i}, failed := f{i})")
    for j, name in enumerate(fields):
        c, t = on(name)
        add(name, [f"{_count(f'{t} IS NOT NULL', name in grouped)} AS filled{j}"])
    filled = " + ".join(f"filled{j}" for j in range(len(fields)))
    aggs += ["count(*) AS n_rows"]
    entries.append(f"struct_pack(kind := 'table', code := NULL, field := NULL, checked := n_rows, failed := {filled})")
    sources = ", ".join([f"(SELECT {', '.join(aggs)} FROM {raw(resource)} r) a"] + [
        f"(SELECT {', '.join(exprs)} FROM (SELECT r.{ident(col)} AS v, count(*) AS n FROM {raw(resource)} r GROUP BY ALL)) g{j}"
        for j, (col, exprs) in enumerate(groups.items())])
    # a check of a column the file lacks, or the key of a table missing columns, is listed as not run
    # (the table's why names the columns); the screen of an absent column has nothing to screen
    kind = ("CASE WHEN u.kind = 'table' THEN 'table' "
            "WHEN u.code = 'PRIMARY_KEY' THEN CASE WHEN t.state = 'complete' THEN 'ran' ELSE 'skip' END "
            "WHEN list_contains(c.have, u.field) THEN 'ran' ELSE 'skip' END")
    sql = (f"INSERT INTO pc.results (seq, kind, code, resource, field, checked, failed, reason) "
           f"SELECT {seq}, k.kind, u.code, {lit(resource)}, u.field, CASE WHEN k.kind <> 'skip' THEN u.checked END, "
           f"CASE WHEN k.kind <> 'skip' THEN u.failed END, CASE WHEN k.kind = 'skip' THEN t.why END "
           f"FROM (SELECT unnest([{', '.join(entries)}]) AS u FROM {sources}), "
           f"(SELECT coalesce(list(field), []::VARCHAR[]) AS have FROM pc.columns WHERE resource = {lit(resource)} AND first) c, "
           f"(SELECT state, why FROM pc.tables WHERE resource = {lit(resource)}) t, LATERAL (SELECT {kind} AS kind) k "
           f"WHERE k.kind <> 'skip' OR u.code NOT IN ('TEXT_IDENTIFIER', 'AGE_OVER_89')")
    failed = (f"SELECT code, resource, field FROM pc.results WHERE seq = {seq} AND kind = 'ran' AND failed > 0")
    return Step(f"{resource}.counts", sorted({fc.code for fc in checks}), resource, None, [sql, failed],
                {"kind": "readable", "resource": resource})


def listing_steps(resource: str, checks: list[FieldCheck], seq0: int) -> list[Step]:
    out = []
    for i, fc in enumerate(checks):
        seq = seq0 + i
        where = f"{lit(fc.code)}, {lit(resource)}, {lit(fc.column)}"
        if fc.listing:
            select = f"SELECT row, record, value, detail FROM ({fc.listing})"
            cols = "row, record, value, detail"
        else:
            names = ["row", "record", *fc.cols]
            # the failing rows to list first, then their shown (masked) values: not for every failing row
            select = ("SELECT r.__row AS row, r.__record AS record, "
                      + ", ".join(f"{v} AS {k}" for k, v in fc.cols.items())
                      + f" FROM (SELECT * FROM {raw(resource)} r WHERE {fc.bad} ORDER BY r.__row "
                      "LIMIT getvariable('max_listed')) r")
            cols = ", ".join(names)
        sql = [f"INSERT INTO pc.results (seq, kind, code, resource, field, {cols}) "
               f"SELECT {seq}, 'finding', {where}, {cols} FROM ({select}) ORDER BY row LIMIT getvariable('max_listed')"]
        for kind, cond in fc.clues:
            sql.append(f"INSERT INTO pc.results (seq, kind, code, resource, field, detail, failed) "
                       f"SELECT {seq}, 'clue', {where}, words({lit(kind)}), count(*) FROM {raw(resource)} r "
                       f"WHERE ({fc.bad}) AND {cond} HAVING count(*) > 0")
        out.append(Step(f"{resource}.{fc.column}.{fc.code}", [fc.code], resource, fc.column, sql,
                        after=[fc.code, resource, fc.column]))
    return out


def repeated_keys(source: str, keys: list[str]) -> str:
    """The keys (expressions on ``source`` r) that more than one row holds, as u0, u1, ..., with their
    first row and their number of rows: a grouping, which DuckDB spills to disk (a window over every row
    ran out of memory on millions of rows)."""
    notnull = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    return (f"SELECT {', '.join(f'{k} AS u{i}' for i, k in enumerate(keys))}, min(r.__row) AS first, "
            f"count(*) AS n FROM {source} r WHERE {notnull} GROUP BY ALL HAVING count(*) > 1")


def later_rows(source: str, keys: list[str], repeated: str, cols: str) -> str:
    """The first max_listed rows of ``source`` r repeating an earlier row's key (``repeated``: the result of
    repeated_keys), with __row, __record, ``cols`` and the key's first row; masked values are computed
    by the caller on these rows only."""
    on = " AND ".join(f"{k} = d.u{i}" for i, k in enumerate(keys))
    return (f"SELECT r.__row, r.__record, {cols}, d.first FROM {source} r JOIN {repeated} d ON {on} "
            f"WHERE r.__row > d.first ORDER BY r.__row LIMIT getvariable('max_listed')")


def key_step(resource: str, schema: dict, counts_seq: int) -> Step | None:
    """The rows repeating an earlier row's key, when the counts found any (PRIMARY_KEY). The counts
    step counted a composite key's distinct hashes: its count is made exact here first.

    The repeated keys are grouped once into a temporary table (repeated_keys), which both the exact
    count and the listing (later_rows) read; only the listed rows get their masked values."""
    pk = _pk(schema)
    if not pk:
        return None
    label = ", ".join(pk)
    keys = [f"r.{ident(k)}" for k in pk]
    repeated = ident(f"pc_repeated:{resource}")
    group = f"CREATE OR REPLACE TEMP TABLE {repeated} AS {repeated_keys(typed(resource), keys)}"
    exact = []
    if len(pk) > 1:  # every row of a repeated key but its first
        exact = [f"UPDATE pc.results SET failed = (SELECT CAST(coalesce(sum(n - 1), 0) AS BIGINT) FROM {repeated}) "
                 f"WHERE seq = {counts_seq} AND kind = 'ran' AND code = 'PRIMARY_KEY'"]
    text = " || ', ' || ".join(f"CAST(t.{ident(k)} AS VARCHAR)" for k in pk)
    value = q.shown_fields(text, [q.sensitive(standard.field(resource, k), f"CAST(t.{ident(k)} AS VARCHAR)") for k in pk])
    later = later_rows(typed(resource), keys, repeated, ", ".join(keys))
    sql = (f"INSERT INTO pc.results (seq, kind, code, resource, field, row, record, value, detail) "
           f"SELECT {{seq}}, 'finding', 'PRIMARY_KEY', {lit(resource)}, {lit(label)}, t.__row, t.__record, {value}, "
           f"words(t.first) FROM ({later}) t ORDER BY t.__row")
    return Step(f"{resource}.PRIMARY_KEY", ["PRIMARY_KEY"], resource, label, [group, *exact, sql, f"DROP TABLE {repeated}"],
                after=["PRIMARY_KEY", resource, label])


#: The guards of a batch of steps, evaluated together by one query on pc.guards (guards.sql).
GUARDS = (Path(__file__).with_name("guards.sql")).read_text(encoding="utf-8")


def guard_rows(steps: list[Step]) -> list[str]:
    """pc.guards: the guards of the plan's steps as data (see guards.sql)."""
    rows = []
    for i, st in enumerate(steps):
        g = st.guard
        if g is None:
            continue
        rows.append(f"({i}, {st.batch}, {lit(g['kind'])}, {lit(g.get('resource'))}, {lit(g.get('target'))}, "
                    f"{q.list_lit(g.get('fields', []))}, {q.list_lit(g.get('rfields', []))}, {q.list_lit(g.get('needs', []))})")
    return ["CREATE OR REPLACE TABLE pc.guards (i INTEGER, batch INTEGER, kind VARCHAR, resource VARCHAR, target VARCHAR, "
            "fields VARCHAR[], rfields VARCHAR[], needs VARCHAR[])",
            "INSERT INTO pc.guards VALUES " + ", ".join(rows)]


#: After every table's counts: a table whose primary key repeats is not keyed (rules needing it cannot run).
KEYED = ("UPDATE pc.tables SET keyed = resource NOT IN (SELECT resource FROM pc.results "
         "WHERE kind = 'ran' AND code = 'PRIMARY_KEY' AND failed > 0)")


def foreign_key_steps(resource: str, schema: dict) -> list[Step]:
    out = []
    for i, fk in enumerate(schema.get("foreignKeys", [])):
        fields = _fk_fields(fk["fields"])
        ref = fk["reference"]
        target = ref["resource"] or resource
        rfields = _fk_fields(ref["fields"])
        label = ", ".join(fields)
        guard = {"kind": "fk", "resource": resource, "target": target, "fields": fields, "rfields": rfields}
        child_cols = [f"c.{ident(f)}" for f in fields]
        notnull = " AND ".join(f"{c} IS NOT NULL" for c in child_cols)
        on = " AND ".join(f"c.{ident(f)} = p.{ident(rf)}" for f, rf in zip(fields, rfields))
        parent = (f"(SELECT DISTINCT {', '.join(ident(rf) for rf in rfields)} FROM {typed(target)} "
                  f"WHERE {' AND '.join(f'{ident(rf)} IS NOT NULL' for rf in rfields)})")
        if len(fields) == 1:  # a key of one column: a membership test (no distinct parents, no join rows)
            missing = f"NOT ({child_cols[0]} IN (SELECT {ident(rfields[0])} FROM {typed(target)} "
            missing += f"WHERE {ident(rfields[0])} IS NOT NULL))"
            joined = f"{typed(resource)} c WHERE {notnull}"
        else:
            missing = f"p.{ident(rfields[0])} IS NULL"
            joined = f"{typed(resource)} c LEFT JOIN {parent} p ON {on} WHERE {notnull}"
        text = " || ', ' || ".join(f"CAST({c} AS VARCHAR)" for c in child_cols)
        value = q.shown_fields(text, [q.sensitive(standard.field(resource, f), f"CAST(c.{ident(f)} AS VARCHAR)")
                                      for f in fields])
        expected = f"{target}.{', '.join(rfields)}"
        key = f"'FOREIGN_KEY', {lit(resource)}, {lit(label)}"
        counts = [f"INSERT INTO pc.results (seq, kind, code, resource, field, checked, failed) "
                  f"SELECT {{seq}}, 'ran', {key}, count(*), count(*) FILTER (WHERE {missing}) FROM {joined}",
                  "SELECT code, resource, field FROM pc.results WHERE seq = {seq} AND kind = 'ran' AND failed > 0"]
        listing = [f"INSERT INTO pc.results (seq, kind, code, resource, field, row, record, value, expected) "
                   f"SELECT {{seq}}, 'finding', {key}, c.__row, c.__record, {value}, "
                   f"words({lit(expected)}) FROM {joined} AND {missing} ORDER BY c.__row LIMIT getvariable('max_listed')"]
        if len(fields) == 1:  # one cause behind many: leading zeros lost (Excel reads 'P0045' as 'P45')
            unpad = "regexp_replace(CAST({} AS VARCHAR), '^([A-Za-z_.-]*)0+([0-9])', '\\1\\2')"
            listing.append(f"""INSERT INTO pc.results (seq, kind, code, resource, field, detail, expected, failed)
SELECT {{seq}}, 'clue', {key}, words('leading_zeros'), words({lit(f'{target}.{rfields[0]}')}), count(*)
FROM {joined} AND {missing} AND {unpad.format(child_cols[0])} IN
      (SELECT {unpad.format(ident(rfields[0]))} FROM {parent}) HAVING count(*) > 0""")
        out.append(Step(f"{resource}.FOREIGN_KEY.{i}", ["FOREIGN_KEY"], resource, label, counts, guard, batch=1))
        out.append(Step(f"{resource}.FOREIGN_KEY.{i}.rows", ["FOREIGN_KEY"], resource, label, listing,
                        after=["FOREIGN_KEY", resource, label]))
    return out


def column_steps() -> list[Step]:
    """Templates run for each column of a file that the standard does not define ({resource},
    {column} and {name}: the table, the column in the loaded table, its header text as a literal)."""
    label = "pc_show({name}, false)"
    where = dict(resource="{resource_literal}", field=label)
    kind_cases = " ".join(f"WHEN regexp_matches(regexp_replace(lower(pc_strip({{name}})), '[\\s-]+', '_', 'g'), {lit(p)}) "
                          f"THEN {lit(text)}" for text, p in identifiers.COLUMN_PATTERNS)
    name_body = f"""SELECT {row('ran', code=lit('COLUMN_IDENTIFIER'), checked='1', **where)}
UNION ALL BY NAME SELECT {row('finding', code=lit('COLUMN_IDENTIFIER'), detail='words(kind)', **where)}
FROM (SELECT CASE {kind_cases} END AS kind) WHERE kind IS NOT NULL"""
    col = "r.{column}"
    number = f"TRY_CAST(pc_strip({col}) AS DOUBLE)"
    age = f"""SELECT {row('ran', code=lit('AGE_OVER_89'), checked=f'count({number})', **where)} FROM raw.{{resource}} r
UNION ALL BY NAME SELECT {row('finding', code=lit('AGE_OVER_89'), row='r.__row', record='r.__record',
                              value=f'secret({col})', **where)}
FROM raw.{{resource}} r WHERE {number} > {identifiers.MAX_AGE}"""
    text = f"""SELECT {row('ran', code=lit('TEXT_IDENTIFIER'), checked='count(*)', **where)} FROM raw.{{resource}} r
UNION ALL BY NAME SELECT {row('finding', code=lit('TEXT_IDENTIFIER'), row='r.__row', record='r.__record',
                              value=f'secret({col})', detail=f'words(pc_kinds({col}))', **where)}
FROM raw.{{resource}} r WHERE pc_screen({col})"""
    age_guard = {"kind": "sql", "sql": f"SELECT regexp_matches(lower({{name}}), {lit(identifiers.AGE_FIELD.pattern)}), NULL"}
    return [Step("column.COLUMN_IDENTIFIER", ["COLUMN_IDENTIFIER"], None, None, [wrap(name_body)]),
            Step("column.AGE_OVER_89", ["AGE_OVER_89"], None, None, [wrap(age)], age_guard),
            Step("column.TEXT_IDENTIFIER", ["TEXT_IDENTIFIER"], None, None, [wrap(text)])]


# -- the studies' rules -------------------------------------------------------------------------

_PARAM = re.compile(r"\$\{(?:(?P<code>[A-Z][A-Z0-9_]*)\.)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}")
_SHOW = re.compile(r"\bshow\(([a-z0-9_]+)\.([a-z0-9_]+),")


def rule_blocks(text: str) -> list[tuple[list[str], list[str], str]]:
    """The checks of a study's SQL file: (codes, needs, body), each headed by '-- check:' and '-- needs:' lines."""
    heads = list(SQL_BLOCK.finditer(text))
    out = []
    for i, m in enumerate(heads):
        body = text[m.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)].strip().rstrip(";").strip()
        out.append(([c.strip() for c in m["codes"].split(",")], [n.strip() for n in m["needs"].split(",")], body))
    return out


def fill(body: str, constants: dict) -> str:
    """A rule's text with its ${CODE.parameter} (registry) and ${name} (the study's constants) filled in
    as SQL literals, and show(resource.field, expr) as the field's masking macro."""
    def value(m: re.Match) -> str:
        if m["code"]:
            return lit(parameter(m["code"], m["name"]))
        if m["name"] not in constants:
            raise KeyError(f"the rule names ${{{m['name']}}}, which its study does not define")
        return constants[m["name"]]

    return _SHOW.sub(lambda m: f"{q.show_name(m[1], m[2])}(", _PARAM.sub(value, body))


def rule_guard(needs: list[str]) -> dict:
    """Applies when one of the tables it needs is in the package; runs when all are complete and keyed."""
    return {"kind": "needs", "needs": needs}


def study_steps() -> list[Step]:
    """The rules every registered study wrote as SQL (registered with registry.sql_checks by its checks module)."""
    for study in studies.registered():  # each registers its rules once (pedcomm.validation.run.load_checks)
        if study.checks is not None:
            study.checks()
    # in the order the studies are registered, whatever order a process happened to import their checks in:
    # the plan's text, and so its SHA-256 in every report, is the same in every process
    order = {s.name: i for i, s in enumerate(studies.registered())}
    out = []
    for path, constants in sorted(SQL_RULES, key=lambda r: (order.get(Path(r[0]).parent.name, len(order)), str(r[0]))):
        for codes, needs, body in rule_blocks(Path(path).read_text(encoding="utf-8")):
            out.append(Step(f"{Path(path).parent.name}.{codes[0]}", codes, needs[0], None,
                            [wrap(fill(body, constants))], rule_guard(needs), batch=1))
    return out


def records_step(steps: list[Step]) -> Step | None:
    """The record id of each listed finding whose step left it out (the studies' rules need not carry
    __record through their joins, which would compute it for every row): looked up for the listed rows
    only, in the tables the rules need (a LATERAL lookup reads the rows it asks for, not every record)."""
    tables = sorted({t for st in steps if st.guard and st.guard.get("kind") == "needs" for t in st.guard["needs"]})
    if not tables:
        return None
    parts = [f"SELECT {lit(t)} AS resource, x.row, l.__record AS rec FROM (SELECT DISTINCT row FROM pc.results "
             f"WHERE kind = 'finding' AND record IS NULL AND row IS NOT NULL AND resource = {lit(t)}) x, "
             f"LATERAL (SELECT __record FROM {raw(t)} WHERE __row = x.row) l" for t in tables]
    sql = (f"UPDATE pc.results SET record = f.rec FROM ({' UNION ALL '.join(parts)}) f "
           "WHERE pc.results.kind = 'finding' AND pc.results.record IS NULL AND pc.results.resource = f.resource "
           "AND pc.results.row = f.row")
    return Step("records", [], None, None, [sql])


# -- the whole plan -----------------------------------------------------------------------------

def resource_entry(resource: str, schema: dict) -> dict:
    """What the load contract needs of a table: its fields with their SQL types and typed
    expressions (templates on {col}), its key and the record id's template."""
    codes = standard.missing_codes(resource)
    fields = [resource_entry_field(fd, codes) for fd in schema["fields"]]
    return {"fields": fields, "primaryKey": _pk(schema), "record": record_template(resource, schema)}


def resource_entry_field(fd: dict, codes: dict[str, str]) -> dict:
    type_ = fd.get("type", "string")
    return {"name": fd["name"], "type": type_, "sql_type": q.sql_type(type_), "typed": q.typed("{col}", type_, codes)}


def record_template(resource: str, schema: dict) -> str | None:
    """The record id of a row (the key as the site knows it), shown through the masking path; its
    key columns as {field} placeholders. A key that is not a well-formed identifier, or is named like a
    person (masking.named_like_a_person), is masked."""
    pk = _pk(schema)
    if not pk:
        return None
    fields = {f["name"]: f for f in schema["fields"]}
    if len(pk) == 1:
        text = "NULLIF({" + pk[0] + "}, '')"
    else:
        text = " || ' / ' || ".join("coalesce({" + k + "}, '')" for k in pk)
    unsafe, person = [], []
    for k in pk:
        v = "coalesce({" + k + "}, '')"
        pattern = fields[k].get("constraints", {}).get("pattern")
        cond = f"length({v}) > 40"
        person.append(v)  # 'Jane_Doe' as a record id: named like a person (pc_person, at the render)
        if pattern:
            cond += f" OR (NOT regexp_full_match({v}, {lit(pattern)}) AND {v} <> '')"
        unsafe.append(f"({cond})")
    return q.shown(text, " OR ".join(unsafe), person)


def resources() -> dict[str, dict]:
    """Every table the standard and the registered studies define (name -> Table Schema)."""
    return {name: standard.schema(name) for name in standard.resource_names()}


@cache
def plan() -> Plan:
    schemas = resources()
    prelude = q.prelude()
    for name, schema in schemas.items():
        prelude += [q.show_macro(name, fd) for fd in schema["fields"]]
    steps: list[Step] = []
    for name, schema in schemas.items():
        checks = field_checks(name, schema)
        counts_seq = len(steps)
        steps.append(counts_step(name, schema, checks, counts_seq))
        steps += listing_steps(name, checks, len(steps))
        k = key_step(name, schema, counts_seq)
        if k is not None:
            steps.append(k)
    steps.append(Step("keyed", [], None, None, [KEYED]))
    for name, schema in schemas.items():
        steps += foreign_key_steps(name, schema)
    rules = study_steps()
    steps += rules
    fill = records_step(rules)
    if fill is not None:
        steps.append(fill)
    for i, st in enumerate(steps):  # every step's rows carry its place in the plan
        st.sql = [s.replace("{seq}", str(i)) for s in st.sql]
    text = "\n".join(prelude + [s for st in steps for s in st.sql])
    meta = {"standard": standard.descriptor()["version"], "codes": sorted(specs()),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    prelude = prelude + load.status_tables() + guard_rows(steps)
    return Plan(prelude, {n: resource_entry(n, s) for n, s in schemas.items()}, steps, column_steps(), meta)
