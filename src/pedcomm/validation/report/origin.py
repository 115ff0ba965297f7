"""Where a finding's row came from, when a package was converted from another tool's file.

`pedcomm redcap import` builds the survey tables from a records export: a parent's row comes from
the record's ``parent_survey`` row of the export, a relationship from an instance of ``rcs_p`` and
one of ``rcs_c``, an item response from one field of one instance. The package's own keys (``R00006
/ parent / rcsp_respect``) and row numbers mean little to the data manager who has to open REDCap
and correct the record; what they need is the REDCap record, the instrument, the instance, the
field and the row of the export file.

So the import writes, beside the tables, a provenance file (``provenance.json``, format
``pedcomm-provenance/1``) holding for every table the SHA-256 of the CSV file it describes and,
for every data row, where that row came from::

    {"format": "pedcomm-provenance/1",
     "source": {"tool": "REDCap", "file": "export.csv", "sha256": "..."},
     "tables": {"survey_relationships": {
         "path": "data/survey_relationships.csv", "sha256": "...",
         "variables": {"prior_visits": {"rcs_p": "rcsp_prior_visits"}, ...},
         "rows": [[[3, "P0001", "rcs_p", 1, null], [41, "K013", "rcs_c", 2, null]], ...]}}}

Each origin is ``[row of the export file, record, instrument, instance or null, field or null]``
(the field when it is the row's own, as for an item response; otherwise ``variables`` gives the
export field of each column by instrument). Validation itself never reads the file: ``annotate``
is applied to a finished report by the renderers (text, JSON, HTML, Markdown). It uses the
provenance only for tables whose files are byte for byte those the report read (their SHA-256
among the report's inputs), so a table edited after the import is never annotated with rows it
no longer has. Record ids go through the one masking path like every value shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..masking import shown_one
from . import Finding, Report

FILE = "provenance.json"
FORMAT = "pedcomm-provenance/1"


@dataclass(frozen=True)
class Origin:
    tool: str
    file: str
    row: int
    record: str | None
    instrument: str | None
    instance: int | None
    field: str | None

    def text(self) -> str:
        """'REDCap record P0003, rcs_p #2, field rcsp_respect (row 7 of export.csv)'."""
        what = f"{self.tool} record {self.record or '?'}"
        if self.instrument:
            what += f", {self.instrument}" + (f" #{self.instance}" if self.instance is not None else "")
        if self.field:
            what += f", field {self.field}"
        return f"{what} (row {self.row} of {self.file})"

    def short(self) -> str:
        """'P0003 rcs_p #2': the record, and its instrument and instance."""
        if not self.instrument:
            return self.record or "?"
        return f"{self.record or '?'} {self.instrument}" + (f" #{self.instance}" if self.instance is not None else "")

    def as_dict(self) -> dict:
        return {"tool": self.tool, "file": self.file, "row": self.row, "record": self.record,
                "instrument": self.instrument, "instance": self.instance, "field": self.field}


def _provenance(report: Report) -> dict | None:
    """The provenance file of the report's package, or None (none, unreadable, or not this format)."""
    from ...files.inputs import InputRefused, read
    from ...files.jsonsafe import JSONRefused, loads

    given = report.meta.get("package")
    if not given:
        return None
    folder = Path(given)
    folder = folder.parent if folder.suffix == ".json" else folder
    try:
        doc = loads(read(folder / FILE, "provenance"))
    except (OSError, InputRefused, JSONRefused):
        return None
    ok = isinstance(doc, dict) and doc.get("format") == FORMAT and isinstance(doc.get("tables"), dict)
    return doc if ok else None


def _origin(raw, tool: str, file: str, field: str | None, variables: dict, report: Report) -> Origin | None:
    if not (isinstance(raw, list) and len(raw) == 5 and isinstance(raw[0], int)):
        return None
    row, record, instrument, instance, own = raw
    text = lambda v: report.label(v) if isinstance(v, str) and v else None  # noqa: E731
    instrument = text(instrument)
    var = own if isinstance(own, str) and own else (variables.get(field) or {}).get(instrument) if field else None
    shown = shown_one(record, reveal=report.reveal_values) if isinstance(record, str) and record else None
    return Origin(tool, file, row, shown, instrument, instance if isinstance(instance, int) else None, text(var))


def annotate(report: Report) -> dict[int, list[Origin]]:
    """``id(finding)`` -> where its row came from, for the listed findings about rows of converted tables."""
    doc = _provenance(report)
    if doc is None:
        return {}
    source = doc["source"] if isinstance(doc.get("source"), dict) else {}
    tool = report.label(source.get("tool")) or "source"
    file = report.label(source.get("file")) or "the source file"
    read = {(i.get("path"), i.get("sha256")) for i in report.inputs}
    out: dict[int, list[Origin]] = {}
    for f in report.findings:
        entry = doc["tables"].get(f.resource) if f.resource else None
        if f.row is None or not isinstance(entry, dict) or (entry.get("path"), entry.get("sha256")) not in read:
            continue
        rows = entry.get("rows")
        k = f.row - 2  # the header is row 1 of the file
        if not isinstance(rows, list) or not 0 <= k < len(rows) or not isinstance(rows[k], list):
            continue
        variables = entry["variables"] if isinstance(entry.get("variables"), dict) else {}
        found = [o for raw in rows[k] if (o := _origin(raw, tool, file, f.field, variables, report))]
        with_field = [o for o in found if o.field]
        if found:
            out[id(f)] = with_field or found  # the side that holds the finding's field, when one does
    return out


def where(origins: dict[int, list[Origin]], finding: Finding) -> str | None:
    """The origins of a finding in words ('; ' between the two sides of a relationship), or None."""
    found = origins.get(id(finding))
    return "; ".join(o.text() for o in found) if found else None
