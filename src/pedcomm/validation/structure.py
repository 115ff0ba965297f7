"""The header checks of a table (COLUMN_MISSING, COLUMN_UNKNOWN, COLUMN_DUPLICATE), in Python: they
read only the header line, and name the column a missing one was most likely renamed to
(pedcomm.validation.hints.closest_names). The checks of the cells are SQL (pedcomm.validation.engine).
"""

from __future__ import annotations

from .hints import closest_names
from .registry import check, engine_checks
from .report import Report

#: The data checks the engine generates from every Table Schema (pedcomm.validation.engine.plan).
engine_checks("CELL_TYPE", "CELL_REQUIRED", "CELL_ENUM", "CELL_RANGE", "CELL_PATTERN", "CELL_LENGTH", "CELL_UNIQUE",
              "PRIMARY_KEY", "FOREIGN_KEY", "TEXT_IDENTIFIER", "COLUMN_IDENTIFIER", "AGE_OVER_89")


def check_header(resource: str, schema: dict, columns: list[str], report: Report) -> list[str]:
    """Header findings; returns the schema fields present in the file."""
    names = [f["name"] for f in schema["fields"]]
    seen: dict[str, int] = {}
    for c in columns:
        seen[c] = seen.get(c, 0) + 1
    report.ran("COLUMN_DUPLICATE", resource, None, len(columns))
    for c, n in seen.items():
        if n > 1:
            report.add("COLUMN_DUPLICATE", resource=resource, field=c, row=1, detail=n)
    absent = [n for n in names if n not in seen]
    extra = [c for c in seen if c not in names]
    renamed = closest_names(extra, absent)  # file column -> the standard column it most likely is
    was = {std: col for col, std in renamed.items()}
    report.ran("COLUMN_MISSING", resource, None, len(names))
    for n in absent:
        report.add("COLUMN_MISSING", resource=resource, field=n, row=1,
                   hint=f" The file has a column '{report.label(was[n])}': is it this one, renamed?" if n in was else "")
    report.ran("COLUMN_UNKNOWN", resource, None, len(columns))
    for c in extra:
        report.add("COLUMN_UNKNOWN", resource=resource, field=c, row=1,
                   hint=f" Did you mean '{renamed[c]}'?" if c in renamed else "")
    return [n for n in names if n in seen]


@check("COLUMN_MISSING", "COLUMN_UNKNOWN", "COLUMN_DUPLICATE", stage="resource")
def header_step(v, name: str) -> bool:
    """The header checks; then the engine knows the table's columns. A table missing columns is
    still checked cell by cell and against other tables, but goes no further (no keys, no rules)."""
    schema = v.schemas[name]
    present = check_header(name, schema, v.header[name], v.report)
    v.present[name] = present
    why = None
    if len(present) < len(schema["fields"]):
        absent = [f["name"] for f in schema["fields"] if f["name"] not in present]
        # the columns it has are still checked against other tables (a lost leading zero in a
        # key is found in the same run as the renamed column), and checks needing it say why not
        why = (f"'{name}' lacks the column{'s' if len(absent) > 1 else ''} "
               + ", ".join(f"'{a}'" for a in absent[:5]) + (" ..." if len(absent) > 5 else "")
               + " (renamed or missing, see COLUMN_MISSING)")
        v.extra.setdefault("why", {})[name] = why
    v.engine.columns(name, present, why)
    return True
