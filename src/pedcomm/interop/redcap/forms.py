"""How the survey study sits in a REDCap project: the one declarative mapping.

A REDCap record is one respondent's survey: a parent (record_id = parent_id) or a clinician
(record_id = clinician_id). Each respondent has a profile form, and one instance of a repeating
form per relationship they report on; that form holds the items of the respondent's instrument
(survey_items rows whose ``instrument`` is the survey study's rules' INSTRUMENT_OF[respondent]), so the
RCS-P and RCS-C item fields come from the survey_items table, not from this file.

Everything else is derived from the Table Schemas: field types, labels, choices, validation
ranges and required flags (dictionary.py). Relationship fields that REDCap does not ask
are derived on import: the report flags (which repeating forms exist) and the challenge flags
(checks.survey.derive_challenge, the rule the validator checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RECORD_ID = "record_id"
REPEAT_INSTRUMENT, REPEAT_INSTANCE = "redcap_repeat_instrument", "redcap_repeat_instance"
#: Columns REDCap may add to a raw export that carry no study data.
SYSTEM_COLUMNS = ("redcap_event_name", "redcap_data_access_group", "redcap_survey_identifier")
#: REDCap variable names: lower-case letters, digits and underscores, starting with a letter.
NAME = re.compile(r"[a-z][a-z0-9_]*")
#: Tables REDCap does not collect: copied from the reference package (instruments and sites).
REFERENCE_TABLES = ("survey_items", "survey_sites")
#: A field with a foreign key to one of these tables becomes a dropdown of its rows, labelled by this field.
CHOICES_FROM = {"survey_sites": "site_name"}
#: Relationship fields computed on import rather than asked.
DERIVED = {"survey_relationships": ("parent_report", "clinician_report", "parent_challenging", "clinician_challenging")}


def survey_rules():
    """The survey study's domain rules, through its record (the REDCap project collects that study)."""
    from ...studies import get

    rules = get("survey").rules
    assert rules is not None
    return rules()


@dataclass(frozen=True)
class Part:
    """Fields of one standard table placed on a form, each named ``prefix + field``."""

    resource: str
    prefix: str
    record: str  # the field that holds the record id (not asked: it is the record)
    fields: tuple[str, ...] | None = None  # None: every field not derived

    def variable(self, field: str) -> str:
        return field if field.startswith(self.prefix) else self.prefix + field


@dataclass(frozen=True)
class Checkbox:
    """A table of (key, code, used) rows asked as one checkbox field: ``name___code`` columns."""

    resource: str
    code_field: str
    flag_field: str
    name: str


@dataclass(frozen=True)
class Form:
    name: str
    respondent: str  # a code of survey_responses.respondent
    repeating: bool  # one instance per relationship
    parts: tuple[Part, ...]
    checkbox: Checkbox | None = None
    label: str = ""  # the instrument's name in REDCap's menus (project XML)

    @property
    def instrument(self) -> str | None:
        """The instrument whose items this form asks (repeating forms only)."""
        return survey_rules().INSTRUMENT_OF[self.respondent] if self.repeating else None


FORMS = (
    Form("parent_survey", "parent", False, (
        Part("survey_parents", "parent_", record="parent_id"),
        Part("survey_children", "child_", record="parent_id"),
    ), label="Parent survey"),
    Form("rcs_p", "parent", True, (
        Part("survey_relationships", "rcsp_", record="parent_id", fields=("relationship_id", "clinician_id", "prior_visits")),
    ), label="RCS-P: one per clinician"),
    Form("clinician_survey", "clinician", False, (
        Part("survey_clinicians", "clinician_", record="clinician_id"),
    ), label="Clinician survey"),
    Form("rcs_c", "clinician", True, (
        Part("survey_relationships", "rcsc_", record="clinician_id", fields=("relationship_id", "parent_id")),
    ), checkbox=Checkbox("survey_strategies", "strategy", "used", "rcsc_strategies"), label="RCS-C: one per family"),
)


def form(name: str) -> Form:
    return next(f for f in FORMS if f.name == name)


def part_fields(part: Part) -> list[str]:
    """The standard fields a part asks, in schema order."""
    from ..labels import fields

    derived = DERIVED.get(part.resource, ())
    names = [f["name"] for f in fields(part.resource)]
    chosen = names if part.fields is None else [n for n in names if n in part.fields]
    return [n for n in chosen if n != part.record and n not in derived]


def checkbox_column(name: str, code: str) -> str:
    """REDCap's export column of one checkbox choice (a '-' in a code becomes '_')."""
    return f"{name}___{code.replace('-', '_').lower()}"
