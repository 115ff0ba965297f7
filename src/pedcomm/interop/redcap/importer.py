"""Turn a REDCap raw records export (shaped by our dictionary) into a validated standard package.

Handles what real exports vary in: checkbox ``var___code`` columns with unchecked boxes as 0 or
blank, ``{form}_complete`` columns, repeating instruments (or none, when a site keeps one
relationship per record), system columns (events, data access groups, survey timestamps).
Problems of the export are coded findings (REDCAP_*); the package written is then validated
like any other, and both sets of findings are reported together.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from ... import standard
from ...files.inputs import InputRefused, read
from ...validation.masking import neutralise
from ...validation.registry import check
from ...validation.report import Report
from .. import labels as L
from .. import spreadsheet
from . import excel, filetype
from . import provenance as P
from . import shape as S
from .dictionary import dictionary_rows, export_columns
from .forms import (
    DERIVED,
    FORMS,
    RECORD_ID,
    REFERENCE_TABLES,
    REPEAT_INSTANCE,
    REPEAT_INSTRUMENT,
    SYSTEM_COLUMNS,
    Form,
    checkbox_column,
    part_fields,
)

SOURCE = "REDCap export"  # the 'resource' of findings about the export itself
_TIMESTAMP = re.compile(r".+_timestamp")


class ImportRefused(Exception):
    """The export cannot be converted faithfully; the report says why."""


@dataclass
class Imported:
    report: Report
    validated: object | None = None  # pedcomm.validation.run.Validated of the written package

    @property
    def exit_code(self) -> int:
        return self.report.exit_code


@check("REDCAP_EXPORT_UNREADABLE", "REDCAP_DELIMITER")
def read_export(path: Path, report: Report, labels: AbstractSet[str] = frozenset(),
                numeric: AbstractSet[str] = frozenset(), identify: bool = True, record: str = RECORD_ID,
                foreign: bool = False) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The header and the non-blank rows (with their file row numbers) of a raw export.

    ``labels``: the dictionary's field labels (casefolded), to recognise a header of labels;
    ``numeric``: its number fields, whose decimal commas a European Excel wrote (excel.py);
    ``identify``: first refuse files that are something else (filetype.py), such as another project's export;
    ``record``: the record id's column (the site's own name for it, under a crosswalk);
    ``foreign``: the export of the site's own project is expected (a crosswalk turns it into the standard's).
    """
    from ...validation.refusals import input_refused

    report.ran("REDCAP_EXPORT_UNREADABLE", SOURCE, None, 1)
    try:
        data = read(path, "redcap")  # a regular file within an export's size, or InputRefused
    except InputRefused as e:
        input_refused(report, e, resource=SOURCE, path=neutralise(str(path)))
        return None
    except OSError as e:
        report.add("REDCAP_EXPORT_UNREADABLE", resource=SOURCE, detail=f"it cannot be opened ({e.strerror or e})")
        return None
    report.add_input(path.name, len(data), hashlib.sha256(data).hexdigest())  # the report names the file it read
    if identify and filetype.refuse(data, report, foreign=foreign):  # a dictionary, an XML, a workbook: said so
        return None
    decoded = spreadsheet.decode(data)  # UTF-8, or Windows-1252 as Excel saves "CSV" (excel.locale says so)
    if decoded is None or decoded.encoding == "utf-16":
        report.add("REDCAP_EXPORT_UNREADABLE", resource=SOURCE,
                   detail=("it is UTF-16 text (Excel's 'Unicode Text'), not UTF-8" if decoded else "it is not text")
                   + "; export again as 'CSV / Microsoft Excel (raw data)' and import that file unchanged")
        return None
    text = decoded.text
    first = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        report.add("REDCAP_EXPORT_UNREADABLE", resource=SOURCE, detail="it is empty")
        return None
    sep = S.separator(first, record)
    if sep is None:
        found = S.label_header(first, labels)
        report.ran("REDCAP_LABELS_EXPORTED", SOURCE, None, 1)
        if found:
            S.report_labels(report, f"its header holds field labels ({L.shown(', '.join(found[:4]), 120)}) instead of "
                                    "variable names")
        else:
            report.add("REDCAP_EXPORT_UNREADABLE", resource=SOURCE,
                       detail=f"its first line has no '{record}' column; export raw data with variable names "
                              "(not labels) from a project built with `pedcomm redcap project` or `pedcomm redcap dictionary`")
        return None
    report.ran("REDCAP_DELIMITER", SOURCE, None, 1)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as e:
        report.add("REDCAP_EXPORT_UNREADABLE", resource=SOURCE, detail=f"it is not a CSV file ({e})")
        return None
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    header, body = [c.strip() for c in rows[0]], []
    for i, r in enumerate(rows[1:], start=2):  # file row numbers: the header is row 1
        if not any(c.strip() for c in r):
            continue
        if len(r) != len(header):
            report.add("REDCAP_EXPORT_UNREADABLE", resource=SOURCE, row=i,
                       detail=f"row {i} has {len(r)} cells for {len(header)} columns")
            return None
        body.append((i, r))
    read_as = excel.locale(header, body, numeric, sep, decoded, report)  # Excel's European CSV: one finding
    return None if read_as is None else (header, read_as)


@check("REDCAP_COLUMN_MISSING", "REDCAP_COLUMN_UNKNOWN")
def check_columns(header: list[str], expected: list[str], report: Report) -> None:
    optional = {REPEAT_INSTRUMENT, REPEAT_INSTANCE} | {f"{f.name}_complete" for f in FORMS}
    optional |= {c for f in FORMS if f.checkbox for c in S.missing_code_columns(f.checkbox.name, f.checkbox.resource)}
    expected = expected + sorted(optional - set(expected))
    report.ran("REDCAP_COLUMN_MISSING", SOURCE, None, len(expected))
    for c in expected:
        if c not in header and c not in optional:
            report.add("REDCAP_COLUMN_MISSING", resource=SOURCE, field=c, row=1)
    report.ran("REDCAP_COLUMN_UNKNOWN", SOURCE, None, len(header))
    for c in header:
        if c not in expected and c not in SYSTEM_COLUMNS and not _TIMESTAMP.fullmatch(c):
            report.add("REDCAP_COLUMN_UNKNOWN", resource=SOURCE, field=L.shown(c), row=1)


def _form_columns(form, items: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(data columns, checkbox columns) of a form in the export."""
    cols = [p.variable(n) for p in form.parts for n in part_fields(p)]
    if form.repeating:
        cols += list(items.loc[items["instrument"] == form.instrument, "item_id"])
    boxes = []
    if form.checkbox:
        cb = form.checkbox
        boxes = [checkbox_column(cb.name, c) for c in L.codes_of(L.field_map(cb.resource)[cb.code_field])]
    return cols, boxes


@check("REDCAP_CHECKBOX_INVALID", "REDCAP_CHECKBOX_CONFLICT")
def checkbox_rows(cb, row: dict, line: int, rel_id: str, codes: list[str], report: Report) -> list[dict]:
    """One (relationship, code, used) row per choice of a checkbox field.

    A box holds 1 (ticked), 0 or blank (not ticked). A question answered with a missing-data code
    instead has the code's extra column ``field____7`` set to 1 and its boxes blank: every choice then
    holds that code (-7 refused, ...), not "not used". Boxes ticked together with a code, or two
    codes, contradict each other (REDCAP_CHECKBOX_CONFLICT).
    """
    values = {}
    code_columns = list(S.missing_code_columns(cb.name, cb.resource).items())
    for col, code in [(checkbox_column(cb.name, c), c) for c in codes] + code_columns:
        v = row.get(col, "").strip()
        report.ran("REDCAP_CHECKBOX_INVALID", SOURCE, None, 1)
        if v not in ("", "0", "1"):
            report.add("REDCAP_CHECKBOX_INVALID", resource=SOURCE, field=col, row=line, value=L.shown(v))
        values[code] = v == "1"
    missing = [c for c in S.missing_code_columns(cb.name, cb.resource).values() if values[c]]
    ticked = [c for c in codes if values[c]]
    report.ran("REDCAP_CHECKBOX_CONFLICT", SOURCE, None, 1)
    if missing and (ticked or len(missing) > 1):
        report.add("REDCAP_CHECKBOX_CONFLICT", resource=SOURCE, field=cb.name, row=line, value=L.shown(rel_id),
                   detail=f"the missing-data code{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
                          + (f" and {len(ticked)} ticked boxes" if ticked else ""))
    used = {c: (missing[0] if missing else (L.TRUE_TEXT if values[c] else L.FALSE_TEXT)) for c in codes}
    return [{"relationship_id": rel_id, cb.code_field: c, cb.flag_field: used[c]} for c in codes]


@check("REDCAP_RECORD_UNCLEAR", "REDCAP_LINK_CONFLICT")
def convert(header: list[str], body: list[tuple[int, list[str]]], items: pd.DataFrame,
            report: Report) -> dict[str, list[dict]]:
    """The standard survey tables (lists of text rows) held by the export."""
    layout = {f.name: _form_columns(f, items) for f in FORMS}
    asked = {f.name: list(items.loc[items["instrument"] == f.instrument, "item_id"]) for f in FORMS if f.repeating}
    box_codes = {f.name: L.codes_of(L.field_map(f.checkbox.resource)[f.checkbox.code_field]) for f in FORMS if f.checkbox}
    fields_of = {(f.name, i): part_fields(p) for f in FORMS for i, p in enumerate(f.parts)}

    def present(row: dict, form) -> bool:
        cols, boxes = layout[form.name]
        return (any(row.get(c, "").strip() for c in cols) or any(row.get(b, "") == "1" for b in boxes)
                or row.get(f"{form.name}_complete", "") in ("1", "2"))

    records: dict[str, list[tuple[int, dict, Form]]] = {}
    order: list[str] = []
    report.ran("REDCAP_RECORD_UNCLEAR", SOURCE, RECORD_ID, len(body))
    for line, cells in body:
        row = dict(zip(header, cells))
        rid = row[RECORD_ID].strip()
        repeat = row.get(REPEAT_INSTRUMENT, "").strip()
        if repeat:
            form = next((f for f in FORMS if f.name == repeat and f.repeating), None)
            if form is None:
                report.add("REDCAP_RECORD_UNCLEAR", resource=SOURCE, field=REPEAT_INSTRUMENT, row=line, value=L.shown(rid),
                           detail=f"a repeating instrument '{L.shown(repeat)}' that the pedcomm dictionary does not define")
                continue
            forms = [form]
        else:
            forms = [f for f in FORMS if present(row, f)]
        if rid not in records:
            records[rid] = []
            order.append(rid)
        records[rid] += [(line, row, f) for f in forms]

    t: dict[str, list[dict]] = {n: [] for n in ("survey_parents", "survey_children", "survey_clinicians", "survey_relationships",
                         "survey_responses", "survey_strategies")}
    sides: dict[str, dict[str, tuple[int, dict, Form]]] = {}  # relationship -> respondent -> (line, values)
    origin: dict[tuple[str, str], list] = {}  # (relationship, respondent) -> where in the export (provenance.py)
    rel_order: list[str] = []
    report.ran("REDCAP_CHECKBOX_INVALID", SOURCE, None, 0)
    for rid in order:
        entries = records[rid]
        respondents = {f.respondent for _, _, f in entries}
        if len(respondents) > 1:
            report.add("REDCAP_RECORD_UNCLEAR", resource=SOURCE, field=RECORD_ID, row=entries[0][0], value=L.shown(rid),
                       detail="data in both the " + " and the ".join(sorted(respondents)) + " forms")
            continue
        for line, row, form in entries:
            if not form.repeating:
                for i, part in enumerate(form.parts):
                    names = fields_of[form.name, i]
                    values = {n: row.get(part.variable(n), "").strip() for n in names}
                    if part is not form.parts[0] and not any(values.values()):
                        continue  # e.g. no child entered
                    t[part.resource].append(P.mark({part.record: rid, **values}, P.where(line, rid, form.name, row)))
                continue
            vals = {}
            for i, part in enumerate(form.parts):
                vals.update({n: row.get(part.variable(n), "").strip() for n in fields_of[form.name, i]})
                vals[part.record] = rid
            rel_id = vals.get("relationship_id", "")
            if rel_id not in sides:
                sides[rel_id] = {}
                rel_order.append(rel_id)
            if form.respondent in sides[rel_id]:
                report.add("REDCAP_LINK_CONFLICT", resource=SOURCE, field=form.parts[0].variable("relationship_id"),
                           row=line, value=L.shown(rel_id), detail=f"it is reported twice by the {form.respondent}")
                continue
            sides[rel_id][form.respondent] = (line, vals, form)
            origin[rel_id, form.respondent] = P.where(line, rid, form.name, row)
            for item in asked[form.name]:
                t["survey_responses"].append(P.mark({"relationship_id": rel_id, "respondent": form.respondent,
                                                     "item_id": item, "response": row.get(item, "").strip()},
                                                    P.where(line, rid, form.name, row, item)))
            if form.checkbox:
                cb = form.checkbox
                t[cb.resource] += [P.mark(r, P.where(line, rid, form.name, row, checkbox_column(cb.name, r[cb.code_field])))
                                   for r in checkbox_rows(cb, row, line, rel_id, box_codes[form.name], report)]

    report.ran("REDCAP_LINK_CONFLICT", SOURCE, None, len(rel_order))
    sides_of = [f.respondent for f in FORMS if f.repeating]
    for rel_id in rel_order:
        merged: dict[str, str] = {}
        for who in sides_of:
            if who not in sides[rel_id]:
                continue
            line, vals, form = sides[rel_id][who]
            for k, v in vals.items():
                if k in merged and v and merged[k] and merged[k] != v:
                    var = next((p.variable(k) for p in form.parts if k in part_fields(p)), RECORD_ID)
                    report.add("REDCAP_LINK_CONFLICT", resource=SOURCE, field=var, row=line, value=L.shown(rel_id),
                               detail=f"the {who} side gives {k} {L.shown(v)!r} but the other side {L.shown(merged[k])!r}")
                elif v or k not in merged:
                    merged[k] = v
        for who in sides_of:
            merged[f"{who}_report"] = L.TRUE_TEXT if who in sides[rel_id] else L.FALSE_TEXT
        t["survey_relationships"].append(P.mark(merged, *(origin[rel_id, w] for w in sides_of if w in sides[rel_id])))
    return t


def _ordered(t: dict[str, list[dict]], items: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Text frames in schema column order; responses and strategies in relationship order."""
    rel_pos = {r["relationship_id"]: i for i, r in enumerate(t["survey_relationships"])}
    item_pos = {v: i for i, v in enumerate(items["item_id"])}
    who = L.numeric_codes(L.field_map("survey_responses")["respondent"])
    strat = L.numeric_codes(L.field_map("survey_strategies")["strategy"])
    t["survey_responses"].sort(key=lambda r: (who.get(r["respondent"], 0), rel_pos[r["relationship_id"]],
                                              item_pos.get(r["item_id"], 0)))
    t["survey_strategies"].sort(key=lambda r: (rel_pos[r["relationship_id"]], strat.get(r["strategy"], 0)))
    out = {}
    for name, rows in t.items():
        cols = [f["name"] for f in L.fields(name)]
        out[name] = pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols, dtype=str)
    return out


def derive_flags(tables: dict[str, pd.DataFrame], typed_items: pd.DataFrame) -> None:
    """Fill the challenge flags with the validator's own rule (the survey study's rules.derive_challenge)."""
    from .forms import survey_rules

    derive_challenge = survey_rules().derive_challenge

    resp = tables["survey_responses"]
    codes = list(standard.missing_codes("survey_responses"))
    typed = resp.assign(response=pd.to_numeric(resp["response"].where(~resp["response"].isin(codes)),
                                               errors="coerce").astype("Int64"))
    rel = tables["survey_relationships"]
    for name in DERIVED["survey_relationships"]:
        if not name.endswith("_challenging"):
            continue
        flags = derive_challenge(typed, typed_items, name.removesuffix("_challenging"))
        mapped = rel["relationship_id"].map(flags)
        rel[name] = [("" if pd.isna(v) else (L.TRUE_TEXT if v else L.FALSE_TEXT)) for v in mapped]


def _provenance(built: dict[str, list[dict]], tables: dict[str, pd.DataFrame], export: Path, report: Report,
                names: dict[str, str] | None = None) -> bytes:
    """The package's provenance file: where each row of each table came from in the export (provenance.py);
    ``names``: the site's own names of the standard's fields and forms, under a crosswalk."""
    from ...standard.writer import to_csv

    text = {n: to_csv(tables[n], standard.schema(n)) for n in built}
    sha = next((i["sha256"] for i in report.inputs if i["path"] == report.label(export.name)), "")
    return P.sidecar(built, text, export.name, sha, names)


def import_export(export: str | Path, out: str | Path, *, reference: str | Path | None = None,
                  force: bool = False, site: str | None = None, crosswalk: str | Path | None = None,
                  reader=None, kind: str = SOURCE) -> Imported:
    """Convert ``export`` into a package at ``out`` and validate it.

    Nothing is written when the export is unreadable or cannot be converted faithfully (REDCAP_*
    errors); validation findings about the data are reported, and the package is kept so the
    data manager can look at it. ``site``: the site id the package declares (default: the
    reference package's, e.g. the one `pedcomm init` wrote). ``crosswalk``: a crosswalk from the
    site's own fields and codes (pedcomm.interop.crosswalk), applied first; ``reader`` reads a file
    other than a REDCap CSV export into the same rows (``kind`` names it), e.g. an SPSS file.
    """
    from ...files.inputs import package_files
    from ...files.outputs import FOLDER, claim
    from ..package_io import shipped_package

    report = Report()
    report.meta = {**standard.provenance(), "package": str(out), "source": str(export)}
    reference = reference or shipped_package()
    with claim(out, kind=FOLDER, command="redcap import" if reader is None else "import", force=force,
               protect=[export, *package_files(reference), *([crosswalk] if crosswalk is not None else [])]) as dest:
        return _import(Path(export), dest, reference, report, site, crosswalk, reader, kind)


def _import(export: Path, dest, reference, report: Report, site: str | None = None,
            crosswalk: str | Path | None = None, reader=None, kind: str = SOURCE) -> Imported:
    from ...validation.run import validate
    from ..package_io import merge, text_tables, write_package

    ref = validate(reference)
    ref_text = text_tables(ref)
    lacking = [n for n in REFERENCE_TABLES if n not in ref_text]
    if lacking:
        raise FileNotFoundError(f"it has no readable "
                                f"{', '.join(lacking)} (the instruments and sites the dictionary was built from)")
    rows = dictionary_rows(ref_text)
    names: dict[str, str] = {}  # the site's own names of the standard's fields and forms, under a crosswalk
    if crosswalk is None:
        parsed = (reader or read_export)(Path(export), report, S.dictionary_labels(rows), excel.numeric_columns(rows))
    else:  # the site's own fields and codes, turned into the standard's first
        from ..crosswalk import read_through

        parsed = read_through(crosswalk, Path(export), ref_text, report, reader or partial(read_export, foreign=True), kind,
                              names=names)
    if parsed is None:
        return Imported(report)
    header, body = parsed
    if not S.report_shape(report, header, body, rows):
        return Imported(report)
    check_columns(header, export_columns(rows), report)
    items = ref_text["survey_items"]
    built = convert(header, body, items, report)
    tables = _ordered(built, items)
    if report.totals()["error"]:
        return Imported(report)
    derive_flags(tables, ref.tables["survey_items"])
    tables.update({n: ref_text[n] for n in REFERENCE_TABLES})
    name = Path(export).stem.lower().replace(" ", "-") or "redcap-import"
    from ...standard.declaration import site_of

    validated = write_package(tables, dest, name=re.sub(r"[^a-z0-9._-]", "-", name), site=site or site_of(ref),
                              title=f"Survey data imported from the {kind} {Path(export).name}",
                              description=("Survey-study tables converted from a REDCap raw records export by "
                                           "`pedcomm redcap import`." if reader is None else
                                           f"Survey-study tables converted from a {kind} by `pedcomm import`."),
                              extra={"sources": [report.meta["crosswalk"]]} if crosswalk is not None else None,
                              files={P.FILE: _provenance(built, tables, Path(export), report, names)})
    validated.report.meta.update(report.meta)
    return Imported(merge(validated.report, report), validated)
