"""Write a package's survey tables as a REDCap raw records export shaped by our dictionary.

The inverse of importer.py: used to test the round trip, and by sites moving existing data
into a REDCap project (Data Import Tool). Options reproduce what real exports vary in: unchecked
boxes as 0 or blank, the completion status of forms a record never filled as 0 or blank.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import pandas as pd

from .. import labels as L
from .dictionary import dictionary_rows, export_columns
from .forms import FORMS, RECORD_ID, REPEAT_INSTANCE, REPEAT_INSTRUMENT, checkbox_column, part_fields

COMPLETE = "2"


def records(tables: dict[str, pd.DataFrame], *, unchecked: str = "0", unfilled: str = "0",
            missing_codes: bool = False) -> str:
    """The raw export (CSV text) of the survey tables (text frames keyed by resource name).

    ``missing_codes``: the project has REDCap missing-data codes (as `pedcomm redcap project` sets
    them up), so each checkbox field has an extra column per code (``field____7``), right after its
    choices; a question answered with a code has that column 1 and its boxes blank.
    """
    rows_dict = dictionary_rows(tables)
    columns = export_columns(rows_dict)
    mdc = {}
    if missing_codes:
        from .shape import missing_code_columns

        for f in FORMS:
            if f.checkbox:
                extra = missing_code_columns(f.checkbox.name, f.checkbox.resource)
                last = max(i for i, c in enumerate(columns) if c.startswith(f.checkbox.name + "___"))
                columns[last + 1:last + 1] = list(extra)
                mdc[f.name] = extra
    by_key = {
        "survey_parents": {r["parent_id"]: r for r in tables["survey_parents"].to_dict("records")},
        "survey_children": {r["parent_id"]: r for r in tables["survey_children"].to_dict("records")},
        "survey_clinicians": {r["clinician_id"]: r for r in tables["survey_clinicians"].to_dict("records")},
    }
    rel_of: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in tables["survey_relationships"].to_dict("records"):
        for f in FORMS:
            if f.repeating:
                rel_of[f.parts[0].record][r[f.parts[0].record]].append(r)
    answers = {(r["relationship_id"], r["respondent"], r["item_id"]): r["response"]
               for r in tables["survey_responses"].to_dict("records")}
    items = tables["survey_items"]
    used: defaultdict[str, dict] = defaultdict(dict)
    for r in tables["survey_strategies"].to_dict("records"):
        used[r["relationship_id"]][r["strategy"]] = r["used"]

    asked = {f.name: list(items.loc[items["instrument"] == f.instrument, "item_id"]) for f in FORMS if f.repeating}
    fields_of = {id(p): part_fields(p) for f in FORMS for p in f.parts}

    def blank_row(record: str) -> dict:
        row = dict.fromkeys(columns, "")
        row[RECORD_ID] = record
        return row

    out = []
    for form in FORMS:
        if form.repeating:
            continue
        head = form.parts[0]
        report_flag = f"{form.respondent}_report"
        for record in tables[head.resource][head.record]:
            row = blank_row(record)
            for other in FORMS:
                if not other.repeating:
                    row[f"{other.name}_complete"] = COMPLETE if other is form else unfilled
            for part in form.parts:
                source = by_key[part.resource].get(record, {})
                for name in fields_of[id(part)]:
                    row[part.variable(name)] = source.get(name, "")
            out.append(row)
            rep = next(f for f in FORMS if f.repeating and f.respondent == form.respondent)
            instance = 0
            for r in rel_of[rep.parts[0].record].get(record, []):
                if r[report_flag] not in L.TRUE_SPELLINGS:
                    continue
                instance += 1
                row = blank_row(record)
                row[REPEAT_INSTRUMENT], row[REPEAT_INSTANCE] = rep.name, str(instance)
                for part in rep.parts:
                    for name in fields_of[id(part)]:
                        row[part.variable(name)] = r[name]
                for item in asked[rep.name]:
                    row[item] = answers.get((r["relationship_id"], rep.respondent, item), "")
                if rep.checkbox:
                    cb = rep.checkbox
                    flags = used.get(r["relationship_id"], {})
                    codes = L.codes_of(L.field_map(cb.resource)[cb.code_field])
                    answer = {flags.get(code, "") for code in codes}
                    coded = next((col for col, c in mdc.get(rep.name, {}).items() if answer == {c}), None)
                    for code in codes:
                        ticked = flags.get(code, "") in L.TRUE_SPELLINGS
                        row[checkbox_column(cb.name, code)] = "" if coded else ("1" if ticked else unchecked)
                    for col in mdc.get(rep.name, {}):
                        row[col] = "1" if col == coded else ("" if coded else unchecked)
                row[f"{rep.name}_complete"] = COMPLETE
                out.append(row)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(out)
    return buf.getvalue()
