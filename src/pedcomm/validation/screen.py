"""The identifier screen as checks (TEXT_IDENTIFIER, COLUMN_IDENTIFIER, AGE_OVER_89): every table as read.

The patterns are pedcomm.validation.identifiers (the masking path uses them too); this module applies
them to the cells and column names of each resource. Suspected values are always masked in reports.
"""

from __future__ import annotations

import pandas as pd

from .identifiers import MAX_AGE, column_kind, find, is_age_field
from .registry import check
from .report import Report


def _screened_as_text(fd: dict | None) -> bool:
    """Text fields screened for identifiers: every string field except categorical codes."""
    if fd is None:  # a column the standard does not define: any text may be in it
        return True
    return fd.get("type", "string") == "string" and "enum" not in fd.get("constraints", {})


#: Fields screened by another code (the excerpt screen of the coding study).
OWN_SCREEN = {("coding_segments", "excerpt")}


def screen(resource: str, schema: dict, raw: pd.DataFrame, report: Report) -> None:
    """Screen one table as read (cells as text) for likely direct identifiers."""
    fields = {f["name"]: f for f in schema["fields"]}
    seen: set[str] = set()
    for i, col in enumerate(raw.columns):
        if not isinstance(col, str) or col in seen:
            continue  # repeated names are COLUMN_DUPLICATE's business
        seen.add(col)
        fd = fields.get(col)
        values = raw.iloc[:, i]
        if fd is None:
            report.ran("COLUMN_IDENTIFIER", resource, col, 1)
            kind = column_kind(col)
            if kind:
                report.add("COLUMN_IDENTIFIER", resource=resource, field=col, detail=kind)
        if is_age_field(col) and (fd is None or fd.get("type") in ("integer", "number")):
            _ages(resource, col, values, report)
        if (resource, col) in OWN_SCREEN or not _screened_as_text(fd):
            continue
        report.ran("TEXT_IDENTIFIER", resource, col, int(values.count()))
        where, kinds = find(values)
        if len(where):
            report.add_many("TEXT_IDENTIFIER", resource=resource, field=col, rows=values.index[where],
                            values=values.iloc[where].tolist(), sensitive=True, detail=kinds)


def _ages(resource: str, col: str, values: pd.Series, report: Report) -> None:
    x = pd.to_numeric(values, errors="coerce")
    report.ran("AGE_OVER_89", resource, col, int(x.notna().sum()))
    bad = (x > MAX_AGE).fillna(False).astype(bool).to_numpy()
    if bad.any():
        report.add_many("AGE_OVER_89", resource=resource, field=col, rows=values.index[bad],
                        values=values[bad].tolist(), sensitive=True)


@check("TEXT_IDENTIFIER", "COLUMN_IDENTIFIER", "AGE_OVER_89", stage="resource")
def screen_step(v, name: str) -> bool:
    """Resource stage: the identifier screen of the table as read."""
    screen(name, v.schemas[name], v.raw[name], v.report)
    return True
