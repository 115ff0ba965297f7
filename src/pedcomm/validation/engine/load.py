"""The load contract: how a host puts a package's tables into DuckDB before the plan's steps run.

The same few statements in every host (the CLI here; the browser validator ports this module):

1. ``status_tables``: ``pc.tables`` (resource, state, why, keyed) and ``pc.columns`` (resource,
   position, name, field, first), filled by the host: state is ``absent`` (not in the package),
   ``unread`` (a file-level finding stopped it; ``why`` says which), ``partial`` (columns missing)
   or ``complete``; a column's ``field`` is the standard's name it carries, ``first`` whether it is
   the first column of that name.
2. ``file_table``: the CSV read by DuckDB's reader, every cell VARCHAR (c0 .. c<N-1> for the N
   columns of the header line, and a spare c<N>), blank cells as '' (never NULL: only the padding
   of a short row is NULL), plus a materialized typed column ``"t:<field>"`` for every non-text
   field present (the plan's typed expression on its column). Rows the reader rejects (more than
   N+1 cells, bytes that are not UTF-8, a stray quote) land in the ``rejects_<resource>`` table.
3. ``ragged_rows``: ROW_RAGGED findings (a row with a NULL last column or a non-NULL spare, and
   the rejected rows with too many cells), with their row numbers.
4. ``views``: ``raw.<resource>`` (the row number ``__row``, header = 1; each standard column by
   its name, NULL when absent; other columns as ``"#<position>"``; the record id ``__record``; the
   ``"t:<field>"`` columns) and ``typed.<resource>`` (``__row``, ``__record`` and every standard
   field typed, missing values NULL), without the ragged rows. A table that was not read gets
   both views empty, with every standard column, so every statement of the plan binds.
"""

from __future__ import annotations

import re

from .sql import SHOWN, ident, lit, results_table

#: What the CSV reader reads as NULL: a text no file holds, so only the padding of a short row is NULL.
NULL_SENTINEL = "\x01pedcomm:padding\x01"
#: The reader's longest line (bytes) for a file larger than WHOLE_LINE: a line beyond it is read again
#: with the file's size as the limit (the reader rejects it). A file up to WHOLE_LINE is read with its
#: own size as the limit (one cell of a text field may be megabytes; such files are small).
MAX_LINE = 1 << 21
WHOLE_LINE = 1 << 26


def max_line(size: int) -> int:
    """The longest line to read a file of ``size`` bytes with."""
    return size + 1 if size <= WHOLE_LINE else MAX_LINE


def status_tables() -> list[str]:
    return ["CREATE SCHEMA IF NOT EXISTS pc", "CREATE SCHEMA IF NOT EXISTS raw", "CREATE SCHEMA IF NOT EXISTS typed",
            "CREATE OR REPLACE TABLE pc.tables (resource VARCHAR, state VARCHAR, why VARCHAR, keyed BOOLEAN DEFAULT true)",
            "CREATE OR REPLACE TABLE pc.columns (resource VARCHAR, position INTEGER, name VARCHAR, field VARCHAR, "
            "first BOOLEAN)", results_table()]


def set_state(resource: str, state: str, why: str | None = None) -> list[str]:
    return [f"DELETE FROM pc.tables WHERE resource = {lit(resource)}",
            f"INSERT INTO pc.tables (resource, state, why) VALUES ({lit(resource)}, {lit(state)}, {lit(why)})"]


def column_rows(resource: str, header: list[str], fields: list[str]) -> str | None:
    if not header:
        return None
    seen: set[str] = set()
    values = []
    for i, name in enumerate(header):
        first = name not in seen
        seen.add(name)
        values.append(f"({lit(resource)}, {i}, {lit(name)}, {lit(name if name in fields else None)}, {lit(first)})")
    return "INSERT INTO pc.columns VALUES " + ", ".join(values)


def file_name(resource: str) -> str:
    return f"pc.{ident(resource + ':file')}"


def rejects_name(resource: str) -> str:
    return "rejects_" + re.sub(r"[^A-Za-z0-9_]", "_", resource)


def positions(header: list[str], fields: list[str]) -> dict[str, int]:
    """The standard field each column of the file is (its first column of that name)."""
    out: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in fields and name not in out:
            out[name] = i
    return out


def file_table(resource: str, path: str, header: list[str], entry: dict, strict: bool = True,
               max_line: int = MAX_LINE) -> str:
    """The statement reading the file (``strict``: rows that break the CSV rules are rejected and
    listed; the lenient retry reads a file the strict reader cannot, e.g. mixed line endings;
    ``max_line``: the longest line, raised to the file's size when a line is longer)."""
    n = len(header)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n + 1))
    where = positions(header, [f["name"] for f in entry["fields"]])
    typed_cols = "".join(", " + f["typed"].replace("{col}", "c" + str(where[f["name"]])) + " AS " + ident("t:" + f["name"])
                         for f in entry["fields"] if f["type"] != "string" and f["name"] in where)
    options = (f"header = false, skip = 1, all_varchar = true, columns = {{{columns}}}, null_padding = true, "
               f"nullstr = {lit(NULL_SENTINEL)}, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
               f"max_line_size = {max_line}, buffer_size = {max(max_line, 1 << 25)}, ")
    options += (f"strict_mode = true, ignore_errors = true, store_rejects = true, rejects_table = {lit(rejects_name(resource))}, "
                f"rejects_scan = {lit('reject_scans_' + rejects_name(resource))}" if strict else "strict_mode = false")
    return (f"CREATE OR REPLACE TABLE {file_name(resource)} AS SELECT *{typed_cols} "
            f"FROM read_csv({lit(path)}, {options})")


def rejected(resource: str) -> str:
    """The rows the strict reader rejected, one per line: (line, what, cells)."""
    return (f"SELECT line, min(error_type) AS what, max(column_idx) AS cells FROM {rejects_name(resource)} "
            f"GROUP BY line ORDER BY line")


def ragged(n: int) -> str:
    """A row of the file table that does not have the header's N cells."""
    return f"(c{n - 1} IS NULL OR c{n} IS NOT NULL)"


def row_number(resource: str, with_rejects: bool) -> str:
    """The row number of a row of the file table (header = 1), counting the rows the reader rejected
    (a rejected row's line counts the records before it)."""
    if not with_rejects:
        return "(rowid + 2)"
    return (f"(rowid + 2 + (SELECT count(*) FROM (SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS kept "
            f"FROM (SELECT DISTINCT line FROM {rejects_name(resource)})) WHERE kept <= rowid))")


def ragged_rows(resource: str, n: int, with_rejects: bool) -> str:
    """ROW_RAGGED: (row, cells, total rows read) of every ragged row, by row."""
    cells = " + ".join(f"CAST(c{i} IS NOT NULL AS INTEGER)" for i in range(n + 1))
    kept = (f"SELECT {row_number(resource, with_rejects)} AS row, {cells} AS cells FROM {file_name(resource)} "
            f"WHERE {ragged(n)}")
    if with_rejects:
        kept += (f" UNION ALL SELECT line AS row, max(column_idx) AS cells FROM {rejects_name(resource)} "
                 f"WHERE error_type = 'TOO MANY COLUMNS' GROUP BY line")
    total = f"(SELECT count(*) FROM {file_name(resource)})" + (
        f" + (SELECT count(DISTINCT line) FROM {rejects_name(resource)} WHERE error_type = 'TOO MANY COLUMNS')"
        if with_rejects else "")
    return f"SELECT row, cells, {total} AS total FROM ({kept}) ORDER BY row"


def views(resource: str, header: list[str], entry: dict, with_rejects: bool, ids: bool) -> list[str]:
    """raw.<resource> and typed.<resource> over the file table (see the module docstring)."""
    n = len(header)
    fields = [f["name"] for f in entry["fields"]]
    where = positions(header, fields)
    cols = [f"{row_number(resource, with_rejects)} AS __row"]
    for f in entry["fields"]:
        name = f["name"]
        cols.append(f"c{where[name]} AS {ident(name)}" if name in where else f"CAST(NULL AS VARCHAR) AS {ident(name)}")
        if f["type"] != "string":
            t = ident("t:" + name)
            cols.append(f"{t}" if name in where else f"CAST(NULL AS {f['sql_type']}) AS {t}")
    cols += [f"c{i} AS {ident('#' + str(i))}" for i, name in enumerate(header) if where.get(name) != i]
    record = entry.get("record")
    if record and ids:
        for k in entry["primaryKey"]:
            record = record.replace("{" + k + "}", f"c{where[k]}")
        cols.append(f"{record} AS __record")
    else:
        cols.append(f"CAST(NULL AS {SHOWN}) AS __record")
    raw = (f"CREATE OR REPLACE VIEW raw.{ident(resource)} AS SELECT {', '.join(cols)} FROM {file_name(resource)} "
           f"WHERE NOT {ragged(n)}")
    return [raw, typed_view(resource, entry)]


def typed_view(resource: str, entry: dict) -> str:
    out = ["__row", "__record"]
    for f in entry["fields"]:
        name = f["name"]
        if f["type"] == "string":
            out.append(f"{f['typed'].replace('{col}', ident(name))} AS {ident(name)}")
        else:
            out.append(f"{ident('t:' + name)} AS {ident(name)}")
    return f"CREATE OR REPLACE VIEW typed.{ident(resource)} AS SELECT {', '.join(out)} FROM raw.{ident(resource)}"


def empty_views(resource: str, entry: dict) -> list[str]:
    """Both views of a table that was not read: empty, with every standard column."""
    cols = ["CAST(NULL AS BIGINT) AS __row"]
    for f in entry["fields"]:
        cols.append(f"CAST(NULL AS VARCHAR) AS {ident(f['name'])}")
        if f["type"] != "string":
            cols.append(f"CAST(NULL AS {f['sql_type']}) AS {ident('t:' + f['name'])}")
    cols.append(f"CAST(NULL AS {SHOWN}) AS __record")
    return [f"CREATE OR REPLACE VIEW raw.{ident(resource)} AS SELECT {', '.join(cols)} WHERE false",
            typed_view(resource, entry)]
