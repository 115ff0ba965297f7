"""The identifier screen: one set of patterns for every text field, column names and ages; suspected
values never echoed in full by the terminal or the JSON report."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from pedcomm.studies.coding import checks as coding
from pedcomm.validation import identifiers
from pedcomm.validation.identifiers import column_kind, identifier_kinds
from pedcomm.cli import app
from pedcomm.validation.conformance import materialize
from pedcomm.validation.run import validate

runner = CliRunner()


@pytest.mark.parametrize("text, kinds", [
    ("He lives at 450 Brookline Avenue.", "a street address"),
    ("Send it to P.O. Box 1234.", "a street address"),
    ("Her grandmother, a 92-year-old, came too.", "an age over 89"),
    ("He is 95 years old.", "an age over 89"),
    ("aged 101", "an age over 89"),
    ("a 91 y/o man", "an age over 89"),
    ("Mrs. Lee lives at 12 Oak Street", "a personal name and a street address"),
    ("Seen on 2021-03-04", "a date"),
    ("Call 617-555-0142", "a phone number"),
    ("She is 45 years old and her son is 9 years old.", ""),
    ("Ages 90 and over are grouped.", ""),
    ("How much do you trust your child's oncology provider?", ""),
    ("1=Not at all|2=Somewhat|3=Mostly|4=Completely", ""),
    ("SITE1-P0001", ""),
    ("R00001", ""),
])
def test_text_screen(text, kinds):
    assert identifier_kinds(pd.Series([text], dtype="str")).tolist() == [kinds]


@pytest.mark.parametrize("name, kind", [
    ("first_name", "a person's name"), ("Patient Name", "a person's name"), ("name", "a person's name"),
    ("mrn", "a record number"), ("medical_record_number", "a record number"), ("ssn", "a record number"),
    ("dob", "a date of birth or a calendar date"), ("birth_date", "a date of birth or a calendar date"),
    ("visit_date", "a date of birth or a calendar date"), ("parent_phone", "a phone number"),
    ("email", "an e-mail address"), ("home_address", "a street address"), ("zip_code", "a street address"),
    ("site_name", ""), ("theme_name", ""), ("notes", ""), ("local_flag", ""), ("update_count", ""),
])
def test_column_names(name, kind):
    assert column_kind(name) == kind


def test_one_implementation_of_the_patterns():
    """The engine's screen (pc_screen, pc_kinds) is generated from identifiers.IDENTIFIER_PATTERNS, and the
    coding study's excerpt screen uses it (no pattern of its own); the SQL screen agrees with the Python one."""
    import duckdb

    from pedcomm.validation.engine import sql

    text = coding.RULES.read_text(encoding="utf-8")
    assert "pc_screen(excerpt)" in text and "pc_kinds(excerpt)" in text and "regexp" not in text.split("EXCERPT_IDENTIFIER")[1]
    macros = "\n".join(sql.prelude())
    for _, pattern in identifiers.IDENTIFIER_PATTERNS:
        assert sql.lit(pattern) in macros
    con = duckdb.connect()
    for s in sql.prelude():
        con.execute(s)
    texts = ["Dr. Smith said so", "call 555-123-4567", "nothing here", "born 03/04/2011", "she is 95 years old"]
    got = [k for (k,) in con.execute("SELECT pc_kinds(t) FROM unnest(?::VARCHAR[]) u(t)", [texts]).fetchall()]
    assert got == identifiers.identifier_kinds(__import__("pandas").Series(texts)).tolist()
    assert got[0] == "a personal name" and got[2] == "" and got[4] == "an age over 89"


def test_age_fields():
    assert identifiers.is_age_field("age_years") and identifiers.is_age_field("parent_age")
    assert identifiers.is_age_field("age") and not identifiers.is_age_field("page_count")
    assert not identifiers.is_age_field("stage")


def test_shipped_text_is_screened_without_false_alarms(shipped):
    report = shipped.report
    screened = {(r.resource, r.field) for r in report.runs.values() if r.code == "TEXT_IDENTIFIER" and r.checked}
    assert {("survey_sites", "site_name"), ("survey_items", "wording"), ("survey_parents", "parent_id"),
            ("coding_codes", "definition")} <= screened
    assert not {"TEXT_IDENTIFIER", "COLUMN_IDENTIFIER", "AGE_OVER_89", "EXCERPT_IDENTIFIER"} & report.codes()


SECRETS = {"site_name": "Dr. Alvarez clinic, 450 Brookline Avenue, 617-555-0142",
           "email": "jane.doe@example.org", "excerpt": "My name is Rosalind, call 901-555-0199"}


@pytest.fixture
def leaky(tmp_path):
    """A survey package with identifiers in free text, a local e-mail column and ages over 89."""
    return materialize({"edits": [
        {"set": {"resource": "survey_sites", "row": 2, "field": "site_name", "value": SECRETS["site_name"]}},
        {"add_column": {"resource": "survey_parents", "field": "email", "value": SECRETS["email"]}},
        {"add_column": {"resource": "survey_parents", "field": "parent_age", "value": 93}},
        {"set": {"resource": "survey_children", "row": 2, "field": "age_years", "value": 97}},
    ]}, tmp_path)


def test_every_kind_is_found(leaky):
    report = validate(leaky).report
    got = {(f.code, f.resource, f.field) for f in report.findings}
    assert {("TEXT_IDENTIFIER", "survey_sites", "site_name"), ("TEXT_IDENTIFIER", "survey_parents", "email"),
            ("COLUMN_IDENTIFIER", "survey_parents", "email"), ("AGE_OVER_89", "survey_parents", "parent_age"),
            ("AGE_OVER_89", "survey_children", "age_years"), ("CELL_RANGE", "survey_children", "age_years")} <= got
    (site,) = [f for f in report.findings if f.code == "TEXT_IDENTIFIER" and f.field == "site_name"]
    assert "a personal name" in site.message and "a phone number" in site.message and "a street address" in site.message


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_suspected_values_are_never_echoed(leaky, fmt):
    r = runner.invoke(app, ["validate", str(leaky), "--format", fmt])
    assert r.exit_code == 1
    out = r.stdout
    for secret in (*SECRETS.values(), "Alvarez", "617-555-0142", "jane.doe"):
        assert secret not in out, secret
    if fmt == "json":
        for f in json.loads(out)["findings"]:
            if f["code"] in ("AGE_OVER_89", "CELL_RANGE"):
                assert f["value"] not in ("93", "97") and not {"'93'", "'97'"} & set(f["message"].split()), f
    shown = runner.invoke(app, ["validate", str(leaky), "--format", fmt, "--show-values"]).stdout
    assert "jane.doe@example.org" in shown


def test_excerpts_keep_their_own_code_with_the_shared_screen(tmp_path):
    case = {"base": "valid_coding",
            "edits": [{"set": {"resource": "coding_segments", "row": 2, "field": "excerpt", "value": SECRETS["excerpt"]}}]}
    report = validate(materialize(case, tmp_path)).report
    assert report.codes() == {"EXCERPT_IDENTIFIER"}
    (f,) = report.findings
    assert "Rosalind" not in f.message + (f.value or "") and "a personal name and a phone number" in f.message
