"""The REDCap data dictionary of the survey study, generated from the Table Schemas.

Field types, labels, choices, validation types and ranges, required and identifier flags all
come from the schemas; the RCS-P/RCS-C item fields come from the survey_items table and the
site choices from survey_sites (both read from a reference package, by default the shipped
one). Which table goes on which form is stated once, in forms.py.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from ... import standard
from ...validation.cast import is_free_text
from .. import labels as L
from .forms import CHOICES_FROM, FORMS, NAME, RECORD_ID, Part, checkbox_column, part_fields

#: REDCap's data dictionary columns, in REDCap's order.
COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)
VALIDATION = {"integer": "integer", "number": "number", "date": "date_ymd", "datetime": "datetime_ymd"}
MAX_RADIO = 8  # longer lists become dropdowns
MAX_TEXT = 255  # longer strings become notes boxes


def choices(pairs: dict) -> str:
    """REDCap's choice list: '1, Yes | 0, No' (a '|' inside a label would end the choice)."""
    return " | ".join(f"{code}, {str(label).replace('|', '/')}" for code, label in pairs.items())


def _row(**kw) -> dict:
    row = dict.fromkeys(COLUMNS, "")
    for key, value in kw.items():
        row[{"name": "Variable / Field Name", "form": "Form Name", "section": "Section Header",
             "type": "Field Type", "label": "Field Label", "choices": "Choices, Calculations, OR Slider Labels",
             "note": "Field Note", "validation": "Text Validation Type OR Show Slider Number",
             "min": "Text Validation Min", "max": "Text Validation Max", "identifier": "Identifier?",
             "required": "Required Field?", "matrix": "Matrix Group Name",
             "annotation": "Field Annotation"}[key]] = "" if value is None else str(value)
    return row


def _reference_choices(resource: str, fd: dict, reference: dict[str, pd.DataFrame]) -> dict | None:
    for fk in standard.schema(resource).get("foreignKeys", []):
        target = fk["reference"]["resource"]
        if fk["fields"] == [fd["name"]] and target in CHOICES_FROM and target in reference:
            table = reference[target]
            key = fk["reference"]["fields"][0]
            return dict(zip(table[key], table[CHOICES_FROM[target]]))
    return None


def field_row(part: Part, form: str, fd: dict, reference: dict[str, pd.DataFrame]) -> dict:
    """The dictionary row of one standard field."""
    c = fd.get("constraints", {})
    kw = dict(name=part.variable(fd["name"]), form=form, label=fd.get("title", fd["name"]),
              required="y" if c.get("required") else "", identifier="y" if is_free_text(fd) else "",
              annotation=f"pedcomm: {part.resource}.{fd['name']}")
    ref = _reference_choices(part.resource, fd, reference)
    type_ = fd.get("type", "string")
    if L.is_categorical(fd):
        pairs = L.enum_labels(fd)
        kw.update(type="radio" if len(pairs) <= MAX_RADIO else "dropdown", choices=choices(pairs))
    elif ref is not None:
        kw.update(type="dropdown", choices=choices(ref))
    elif type_ == "boolean":
        kw.update(type="yesno")
    elif type_ == "integer" and L.response_labels(fd):
        kw.update(type="radio", choices=choices(L.response_labels(fd)))
    elif type_ == "string" and c.get("maxLength", 0) > MAX_TEXT:
        kw.update(type="notes")
    else:
        kw.update(type="text", validation=VALIDATION.get(type_, ""))
        if type_ in ("integer", "number"):
            kw.update(min=c.get("minimum"), max=c.get("maximum"))
    return _row(**kw)


def item_rows(form, items: pd.DataFrame) -> list[dict]:
    """One radio field per item of the form's instrument, in survey_items order (a matrix when the scales agree)."""
    mine = items[items["instrument"] == form.instrument]
    scales = [L.parse_scale_labels(t) for t in mine["response_labels"]]
    matrix = form.instrument if scales and all(s == scales[0] for s in scales) else ""
    response = L.field_map("survey_responses")["response"]
    out = []
    for item_id, wording, scale in zip(mine["item_id"], mine["wording"], scales):
        out.append(_row(name=item_id, form=form.name, type="radio", label=wording, choices=choices(scale),
                        required="y" if response.get("constraints", {}).get("required") else "", matrix=matrix,
                        annotation=f"pedcomm: survey_responses.response (item_id {item_id}, respondent {form.respondent})"))
    if out:
        instrument = L.field_map("survey_items")["instrument"]
        out[0]["Section Header"] = L.enum_labels(instrument).get(form.instrument, form.instrument)
    return out


def checkbox_row(form) -> dict:
    cb = form.checkbox
    fm = L.field_map(cb.resource)
    return _row(name=cb.name, form=form.name, type="checkbox", label=L.section_title(cb.resource),
                choices=choices(L.enum_labels(fm[cb.code_field])), note=fm[cb.flag_field].get("description", ""),
                section=L.section_title(cb.resource),
                annotation=f"pedcomm: {cb.resource}.{cb.flag_field} per {cb.code_field}")


def dictionary_rows(reference: dict[str, pd.DataFrame]) -> list[dict]:
    """Every row of the data dictionary. ``reference`` holds the text tables survey_items and survey_sites."""
    record_titles = []
    for f in FORMS:
        if not f.repeating:
            p = f.parts[0]
            record_titles.append((p.resource, p.record, L.field_map(p.resource)[p.record].get("title", p.record)))
    rows = [_row(name=RECORD_ID, form=FORMS[0].name, type="text",
                 label=" or ".join(t for _, _, t in record_titles),
                 annotation="pedcomm: " + "; ".join(f"{r}.{f}" for r, f, _ in record_titles)
                            + f" (dictionary written by {standard.signature()})")]
    for form in FORMS:
        for part in form.parts:
            fm = L.field_map(part.resource)
            names = part_fields(part)
            for i, name in enumerate(names):
                row = field_row(part, form.name, fm[name], reference)
                if i == 0:
                    row["Section Header"] = L.section_title(part.resource)
                rows.append(row)
        if form.repeating:
            rows.extend(item_rows(form, reference["survey_items"]))
        if form.checkbox:
            rows.append(checkbox_row(form))
    names = [r["Variable / Field Name"] for r in rows]
    bad = [n for n in names if not NAME.fullmatch(n)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if bad or dup:
        raise ValueError(f"invalid REDCap variable names {bad} or duplicates {dup}")
    return rows


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def choice_pairs(text: str) -> list[tuple[str, str]]:
    """(code, label) of a choice list ('1, Yes | 0, No', or REDCap's own '1, Yes|0, No')."""
    out = []
    for part in re.split(r"\s*\|\s*", text or ""):
        if part.strip():
            code, _, label = part.partition(",")
            out.append((code.strip(), label.strip()))
    return out


def choice_codes(text: str) -> list[str]:
    return [code for code, _ in choice_pairs(text)]


def export_columns(rows: list[dict], *, repeating: bool = True) -> list[str]:
    """The columns of a raw records export of a project built from these rows, in REDCap's order.

    REDCap's rules, checked against real exports (tests/test_redcap.py): the record id first, then the
    repeating-instrument columns (projects with repeating instruments), then each form's fields in
    dictionary order (a checkbox as one ``name___code`` column per choice, descriptive fields left
    out) followed by ``{form}_complete``.
    """
    record = rows[0]["Variable / Field Name"]
    out = [record] + (["redcap_repeat_instrument", "redcap_repeat_instance"] if repeating else [])
    forms = list(dict.fromkeys(r["Form Name"] for r in rows))
    for form in forms:
        for r in rows:
            if r["Form Name"] != form or r["Variable / Field Name"] == record or r["Field Type"] == "descriptive":
                continue
            name = r["Variable / Field Name"]
            if r["Field Type"] == "checkbox":
                out += [checkbox_column(name, code) for code in choice_codes(r["Choices, Calculations, OR Slider Labels"])]
            else:
                out.append(name)
        out.append(f"{form}_complete")
    return out
