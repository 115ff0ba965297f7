"""The standard side of a crosswalk: every field of the standard's REDCap project and the codes it takes.

The fields are the rows of the data dictionary `pedcomm redcap dictionary` writes (built from the
reference package's instrument items and sites), plus REDCap's own columns a crosswalk may need to
map: the record id, the repeating-instrument columns and each form's ``{form}_complete``. Which
table a field belongs to, and so which missing-value codes it takes, is read from the one
declarative mapping of the REDCap project (pedcomm.interop.redcap.forms).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import labels as L
from ..redcap.dictionary import choice_pairs, dictionary_rows
from ..redcap.forms import FORMS, RECORD_ID, REPEAT_INSTANCE, REPEAT_INSTRUMENT, part_fields

# Kinds of standard fields: what a crosswalk row may say about them.
RECORD = "record"  # the record id: renamed only
CHOICE = "choice"  # radio, dropdown, yes/no: codes
CHECKBOX = "checkbox"  # one export column per code
TEXT = "text"  # text, notes: values kept (a missing-value code may replace a site's own)
REPEAT = "repeat"  # redcap_repeat_instrument: the repeating forms' names
INSTANCE = "instance"  # redcap_repeat_instance: renamed only
COMPLETE = "complete"  # {form}_complete: REDCap's form status

#: REDCap's form status codes ({form}_complete), the same in every project.
FORM_STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
#: yes/no and true/false fields: REDCap's fixed codes.
YESNO = {str(k): v for k, v in L.BOOLEAN_LABELS.items()}
TRUEFALSE = {"1": "True", "0": "False"}
#: Kinds whose values must each be mapped once a field is recoded (a code outside its list is not a value).
CODED = (CHOICE, CHECKBOX, REPEAT, COMPLETE)
#: Kinds a crosswalk may leave out: REDCap's own columns, not data of the standard.
OPTIONAL = (REPEAT, INSTANCE, COMPLETE)


@dataclass(frozen=True)
class Target:
    """One field of the standard's REDCap project."""

    name: str
    form: str  # the form it is on ('' for the repeating-instrument columns)
    kind: str
    label: str = ""
    field_type: str = ""  # REDCap's field type ('' for REDCap's own columns)
    validation: str = ""  # REDCap's text validation (integer, number, date_ymd ...)
    codes: dict[str, str] = field(default_factory=dict)  # code -> label, in the dictionary's order
    missing: dict[str, str] = field(default_factory=dict)  # declared missing-value codes it takes
    short: str = ""  # its name in its table (sex for parent_sex), an item's domain (respect for rcsp_respect)

    @property
    def required(self) -> bool:
        """Every crosswalk must say where the field comes from (or that the site does not collect it)."""
        return self.kind not in OPTIONAL

    def allows(self, code: str) -> bool:
        """A standard code this field takes (choices and missing-value codes; any value of a text field)."""
        if self.kind in (RECORD, INSTANCE):
            return False
        if self.kind == TEXT:
            return True
        return code in self.codes or code in self.missing

    def choices(self) -> dict[str, str]:
        """Every code with its label: the field's choices, then its missing-value codes."""
        return {**self.codes, **self.missing}


def _resources(items: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Variable -> (the standard table it fills, its name there or an item's domain)."""
    out = {}
    for form in FORMS:
        for part in form.parts:
            for name in part_fields(part):
                out[part.variable(name)] = (part.resource, name)
        if form.repeating:
            mine = items[items["instrument"] == form.instrument]
            for item, domain in zip(mine["item_id"], mine["domain"]):
                out[item] = ("survey_responses", domain)
        if form.checkbox:
            out[form.checkbox.name] = (form.checkbox.resource, form.checkbox.code_field)
    return out


def _kind(field_type: str) -> str:
    if field_type == "checkbox":
        return CHECKBOX
    if field_type in ("radio", "dropdown", "yesno", "truefalse"):
        return CHOICE
    return TEXT


def targets(reference: dict[str, pd.DataFrame]) -> dict[str, Target]:
    """Every standard field a crosswalk may name, by name, in the export's order (the record id first).

    ``reference``: the text tables of the reference package (its survey_items and survey_sites).
    """
    rows = dictionary_rows(reference)
    resource = _resources(reference["survey_items"])
    out: dict[str, Target] = {}
    for r in rows:
        name, ftype = r["Variable / Field Name"], r["Field Type"]
        if ftype == "descriptive":
            continue
        if name == RECORD_ID:
            out[name] = Target(name, r["Form Name"], RECORD, r["Field Label"], ftype)
            continue
        kind = _kind(ftype)
        fixed = {"yesno": YESNO, "truefalse": TRUEFALSE}.get(ftype)
        codes = fixed or dict(choice_pairs(r["Choices, Calculations, OR Slider Labels"]))
        res, short = resource.get(name, (None, name))
        out[name] = Target(name, r["Form Name"], kind, r["Field Label"], ftype,
                           r["Text Validation Type OR Show Slider Number"], codes if kind != TEXT else {},
                           L.declared_missing(res) if res else {}, short)
    out[REPEAT_INSTRUMENT] = Target(REPEAT_INSTRUMENT, "", REPEAT, "Repeat instrument",
                                    codes={f.name: f.label or f.name for f in FORMS if f.repeating})
    out[REPEAT_INSTANCE] = Target(REPEAT_INSTANCE, "", INSTANCE, "Repeat instance")
    for form in FORMS:
        name = f"{form.name}_complete"
        out[name] = Target(name, form.name, COMPLETE, f"{form.label or form.name}: complete?", codes=dict(FORM_STATUS))
    return out


def forms() -> list[tuple[str, str, bool]]:
    """(name, label, repeating) of the standard's forms, in order."""
    return [(f.name, f.label or f.name, f.repeating) for f in FORMS]
