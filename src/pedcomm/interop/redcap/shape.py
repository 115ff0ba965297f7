"""The shapes a REDCap records export arrives in, recognised before any value is converted.

Each shape gets one finding with its remedy, never one per cell:

- **separators**: Excel in many European locales saves "CSV" with semicolons, and some tools
  write tabs. The file is read with the separator its header uses (REDCAP_DELIMITER, a warning:
  a file re-saved by Excel may have other changes that the validation then reports).
- **labels instead of raw values**: REDCap exports either raw codes or labels, for the header
  ("Record ID", "Repeat Instrument", the field labels) and for the values ("Female", "Checked").
  Either is one REDCAP_LABELS_EXPORTED finding; nothing is converted.
- **no records**: a header without rows (an empty report, a filter that matched nothing) is
  REDCAP_EXPORT_EMPTY, not an empty package that looks valid.
- **duplicated columns**: one REDCAP_COLUMN_DUPLICATE finding listing them; nothing is converted
  (which of the two columns holds the data cannot be known).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Set as AbstractSet

from ...validation.registry import check
from .. import labels as L
from ..display import listing
from .dictionary import choice_pairs
from .forms import RECORD_ID, checkbox_column

SOURCE = "REDCap export"
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}
#: Column headers of a label export that are not field labels.
LABEL_HEADERS = {"record id", "repeat instrument", "repeat instance", "complete?", "survey identifier",
                 "survey timestamp", "data access group", "event name"}
CHECKBOX_LABELS = {"checked", "unchecked"}
#: A share of multiple-choice answers above which the file is a label export (a few stray labels
#: in a raw export are left to the validator, which names each with the code it probably means).
LABEL_SHARE = 0.5


def _cells(line: str, sep: str) -> list[str]:
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=sep))]
    except (csv.Error, StopIteration):
        return []


def separator(first_line: str, record: str = RECORD_ID) -> str | None:
    """The separator under which the header has the record id column (commas first)."""
    for sep in SEPARATORS:
        if record in _cells(first_line, sep):
            return sep
    return None


def dictionary_labels(rows: list[dict]) -> set[str]:
    """The field labels a label export would use as column headers (casefolded)."""
    return {r["Field Label"].strip().casefold() for r in rows if r["Field Label"].strip()} | LABEL_HEADERS


def label_header(first_line: str, labels: AbstractSet[str]) -> list[str]:
    """The header cells that are field labels rather than variable names (under the likeliest separator)."""
    best: list[str] = []
    for sep in SEPARATORS:
        found = [c for c in _cells(first_line, sep) if c.casefold() in labels]
        if len(found) > len(best):
            best = found
    return best if len(best) >= 2 else []


def duplicated(header: list[str]) -> list[str]:
    return sorted(c for c, n in Counter(header).items() if n > 1)


def choice_columns(rows: list[dict]) -> dict[str, tuple[set[str], set[str]]]:
    """Export column -> (raw codes, labels casefolded) of every multiple-choice field."""
    out = {}
    for r in rows:
        name, ftype = r["Variable / Field Name"], r["Field Type"]
        pairs = choice_pairs(r["Choices, Calculations, OR Slider Labels"])
        if ftype == "checkbox":
            for code, _ in pairs:
                out[checkbox_column(name, code)] = ({"0", "1"}, CHECKBOX_LABELS)
        elif ftype in ("radio", "dropdown"):
            out[name] = ({c for c, _ in pairs}, {lab.casefold() for _, lab in pairs} - {c.casefold() for c, _ in pairs})
        elif ftype == "yesno":
            out[name] = ({"0", "1"}, {"yes", "no"})
    return out


def label_values(header: list[str], body: list[tuple[int, list[str]]], rows: list[dict]) -> tuple[int, int, list[str]]:
    """(answers that are labels, multiple-choice answers, the columns holding labels)."""
    cols = choice_columns(rows)
    where = {i: cols[c] for i, c in enumerate(header) if c in cols}
    labelled, answers, columns = 0, 0, []
    for _, cells in body:
        for i, (codes, labs) in where.items():
            v = cells[i].strip()
            if not v:
                continue
            answers += 1
            if v not in codes and v.casefold() in labs:
                labelled += 1
                if header[i] not in columns:
                    columns.append(header[i])
    return labelled, answers, columns


def report_labels(report, detail: str) -> None:
    report.add("REDCAP_LABELS_EXPORTED", resource=SOURCE, detail=detail)


@check("REDCAP_COLUMN_DUPLICATE", "REDCAP_EXPORT_EMPTY", "REDCAP_LABELS_EXPORTED")
def report_shape(report, header: list[str], body, rows: list[dict]) -> bool:
    """Duplicated columns, no records, label values: one finding each; False when nothing can be converted."""
    report.ran("REDCAP_COLUMN_DUPLICATE", SOURCE, None, len(header))
    dup = duplicated(header)
    if dup:
        report.add("REDCAP_COLUMN_DUPLICATE", resource=SOURCE, row=1,
                   detail=f"{len(dup)} columns appear more than once ({listing(dup, private_values=False)})")
        return False
    report.ran("REDCAP_EXPORT_EMPTY", SOURCE, None, 1)
    if not body:
        report.add("REDCAP_EXPORT_EMPTY", resource=SOURCE, detail=f"it has a header of {len(header)} columns and no records")
        return False
    report.ran("REDCAP_LABELS_EXPORTED", SOURCE, None, 1)
    labelled, answers, columns = label_values(header, body, rows)
    if labelled and labelled >= LABEL_SHARE * answers:
        report_labels(report, f"{labelled} of {answers} answers of multiple-choice fields are choice labels, not codes "
                              f"(in {len(columns)} columns such as {listing(columns, limit=3, private_values=False)})")
        return False
    return True


def missing_code_columns(name: str, resource: str) -> dict[str, str]:
    """Export column -> missing-data code of the extra columns REDCap adds to a checkbox field
    (``field____7`` for -7: the '-' becomes '_', after the usual three underscores)."""
    return {checkbox_column(name, code): code for code in L.declared_missing(resource)}

