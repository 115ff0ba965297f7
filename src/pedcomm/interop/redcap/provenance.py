"""Where each row of an imported package came from in the REDCap export (pedcomm.validation.report.origin).

The conversion (importer.convert) marks every row it builds with its origins: the row of the
export file, the record, the instrument and its instance, and, when the row stands for one field
(an item response, a strategy's checkbox), that field. ``sidecar`` turns the marks into the
package's provenance file, which the report renderers read to name the REDCap record of a finding.
"""

from __future__ import annotations

import hashlib
import json

from ...validation.report.origin import FILE, FORMAT
from .forms import FORMS, RECORD_ID, REPEAT_INSTANCE, part_fields

#: The key under which a row built by the conversion carries its origins (not a column: never written).
ORIGINS = "_origins"


def where(line: int, record: str, instrument: str, row: dict, field: str | None = None) -> list:
    """One origin: [row of the export file, record, instrument, instance (repeating instruments) or None, field]."""
    instance = (row.get(REPEAT_INSTANCE) or "").strip()
    return [line, record, instrument, int(instance) if instance.isdigit() else None, field]


def mark(row: dict, *origins: list) -> dict:
    row[ORIGINS] = list(origins)
    return row


def variables() -> dict[str, dict[str, dict[str, str]]]:
    """table -> column -> instrument -> the export field that holds it (from the forms' one mapping)."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for form in FORMS:
        for part in form.parts:
            cols = out.setdefault(part.resource, {})
            cols.setdefault(part.record, {})[form.name] = RECORD_ID
            for name in part_fields(part):
                cols.setdefault(name, {})[form.name] = part.variable(name)
    return out


def sidecar(rows: dict[str, list[dict]], csv_text: dict[str, str], export_name: str, export_sha256: str,
            names: dict[str, str] | None = None) -> bytes:
    """The provenance file of the tables built from one export (``csv_text``: each table as written).

    ``names``: the site's own name of a standard field or form (an import through a crosswalk,
    pedcomm.interop.crosswalk.site_names), so that findings name the fields and instruments of the
    site's project rather than the standard's."""
    names = names or {}

    def own(name):
        return names.get(name, name) if isinstance(name, str) else name

    fields = {t: {col: {own(form): own(var) for form, var in by.items()} for col, by in cols.items()}
              for t, cols in variables().items()}
    tables = {}
    for name, built in rows.items():
        if name not in csv_text:
            continue
        origins = [[[line, record, own(form), instance, own(field)] for line, record, form, instance, field in r.get(ORIGINS, [])]
                   for r in built]
        tables[name] = {"path": f"data/{name}.csv",
                        "sha256": hashlib.sha256(csv_text[name].encode("utf-8")).hexdigest(),
                        "variables": fields.get(name, {}),
                        "rows": origins}
    doc = {"format": FORMAT, "source": {"tool": "REDCap", "file": export_name, "sha256": export_sha256},
           "tables": tables}
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


__all__ = ["FILE", "ORIGINS", "mark", "sidecar", "variables", "where"]
