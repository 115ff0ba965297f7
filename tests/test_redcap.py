"""REDCap: the data dictionary is generated from the schemas, and a records export shaped by it
imports back into the original tables exactly."""

import csv
import io

import pytest
from typer.testing import CliRunner

from pedcomm import standard
from pedcomm.cli import app
from pedcomm.conformance import SUITE
from pedcomm.interop import labels as L
from pedcomm.interop.package_io import read_text
from pedcomm.interop.redcap_dictionary import COLUMNS, dictionary_rows, export_columns
from pedcomm.interop.redcap_forms import DERIVED, FORMS, REFERENCE_TABLES
from pedcomm.interop.redcap_import import import_export
from pedcomm.interop.redcap_records import records

from .conftest import snapshot

runner = CliRunner()
SURVEY = standard.resource_names("survey")


@pytest.fixture(scope="module")
def tables(repo):
    return {n: read_text(repo / "data" / f"{n}.csv") for n in SURVEY}


@pytest.fixture(scope="module")
def rows(tables):
    return dictionary_rows(tables)


def test_dictionary_has_redcaps_18_columns_in_order():
    assert COLUMNS == (
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
        "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
        "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
        "Matrix Ranking?", "Field Annotation")


def test_every_survey_field_is_asked_derived_or_reference(rows):
    """Parity: each field of each survey table reaches REDCap (or is derived, or is the record id)."""
    annotated = {r["Field Annotation"].removeprefix("pedcomm: ") for r in rows}
    covered = set()
    for a in annotated:
        for part in a.split("; "):
            covered.add(part.split(" ")[0])
    covered |= {f"{p.resource}.{p.record}" for form in FORMS for p in form.parts}  # filled from the record id
    for name in SURVEY:
        if name in REFERENCE_TABLES:
            continue
        for f in L.fields(name):
            key = f"{name}.{f['name']}"
            assert (key in covered or f["name"] in DERIVED.get(name, ()) or name == "survey_responses"
                    or name == "survey_strategies"), key
    assert "survey_responses.response" in covered and "survey_strategies.used" in covered


def test_dictionary_takes_types_choices_ranges_and_flags_from_the_schemas(rows):
    by_name = {r["Variable / Field Name"]: r for r in rows}
    for r in rows:
        source = r["Field Annotation"].removeprefix("pedcomm: ").split(" ")[0]
        if r["Variable / Field Name"] == "record_id" or "." not in source or source.startswith("survey_responses"):
            continue
        resource, field = source.split(".")
        f = L.field_map(resource)[field]
        c = f.get("constraints", {})
        if r["Field Type"] == "checkbox":
            continue
        assert r["Field Label"] == f["title"]
        assert r["Required Field?"] == ("y" if c.get("required") else "")
        if "enum" in c:
            assert r["Field Type"] in ("radio", "dropdown")
            assert r["Choices, Calculations, OR Slider Labels"] == " | ".join(f"{k}, {v}" for k, v in L.enum_labels(f).items())
        if f["type"] in ("integer", "number") and r["Field Type"] == "text":
            assert r["Text Validation Type OR Show Slider Number"] == f["type"]
            assert r["Text Validation Min"] == str(c.get("minimum", "")) and r["Text Validation Max"] == str(c.get("maximum", ""))
    assert by_name["parent_mixed_messages"]["Choices, Calculations, OR Slider Labels"].startswith("1, Never | 2, Rarely")
    assert by_name["parent_site_id"]["Field Type"] == "dropdown"  # choices from survey_sites
    strategies = by_name["rcsc_strategies"]
    assert strategies["Field Type"] == "checkbox"
    assert strategies["Choices, Calculations, OR Slider Labels"].split(" | ")[0] == "family_meetings, Regular family meetings"


def test_item_fields_come_from_survey_items(rows, tables):
    items = tables["survey_items"]
    by_name = {r["Variable / Field Name"]: r for r in rows}
    for item in items.to_dict("records"):
        r = by_name[item["item_id"]]
        assert r["Form Name"] == item["instrument"] and r["Field Label"] == item["wording"]
        assert r["Field Type"] == "radio" and r["Matrix Group Name"] == item["instrument"]
        scale = L.parse_scale_labels(item["response_labels"])
        assert r["Choices, Calculations, OR Slider Labels"] == " | ".join(f"{k}, {v}" for k, v in scale.items())
    assert [f.name for f in FORMS] == ["parent_survey", "rcs_p", "clinician_survey", "rcs_c"]
    assert {r["Form Name"] for r in rows} == {f.name for f in FORMS}


@pytest.mark.parametrize("unchecked", ["0", ""], ids=["unchecked-0", "unchecked-blank"])
def test_round_trip_returns_the_original_tables_exactly(tables, repo, tmp_path, unchecked):
    export = tmp_path / "export.csv"
    export.write_text(records(tables, unchecked=unchecked, unfilled=unchecked), encoding="utf-8")
    header = next(csv.reader(io.StringIO(export.read_text())))
    assert "rcsc_strategies___family_meetings" in header and "rcs_p_complete" in header
    result = import_export(export, tmp_path / "pkg", reference=repo)
    assert result.report.codes() == set(), [f.message for f in result.report.findings[:5]]
    for name in SURVEY:
        assert (tmp_path / "pkg" / "data" / f"{name}.csv").read_bytes() == (repo / "data" / f"{name}.csv").read_bytes(), name


def test_system_columns_and_a_byte_order_mark_are_accepted(tables, repo, tmp_path):
    text = records(tables)
    lines = text.splitlines()
    lines = [lines[0] + ",redcap_data_access_group,parent_survey_timestamp"] + [ln + ",site_a,2021-03-01 10:00" for ln in lines[1:]]
    export = tmp_path / "export.csv"
    export.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())
    result = import_export(export, tmp_path / "pkg", reference=repo)
    assert result.report.codes() == set()
    assert (tmp_path / "pkg/data/survey_strategies.csv").read_bytes() == (repo / "data/survey_strategies.csv").read_bytes()


def test_export_columns_follow_the_dictionary(rows):
    cols = export_columns(rows)
    assert cols[:3] == ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert cols.index("parent_survey_complete") < cols.index("rcsp_relationship_id") < cols.index("rcs_p_complete")
    assert [c for c in cols if c.startswith("rcsc_strategies___")] == [
        f"rcsc_strategies___{c}" for c in standard.enum("survey_strategies", "strategy")]


@pytest.mark.parametrize("fixture, code, exit_code", [
    ("labels-header.csv", "REDCAP_EXPORT_UNREADABLE", 2),
    ("column-missing.csv", "REDCAP_COLUMN_MISSING", 1),
    ("record-both.csv", "REDCAP_RECORD_UNCLEAR", 1),
    ("checkbox-label.csv", "REDCAP_CHECKBOX_INVALID", 1),
    ("link-conflict.csv", "REDCAP_LINK_CONFLICT", 1),
])
def test_a_bad_export_is_a_coded_finding_and_writes_nothing(fixture, code, exit_code, tmp_path):
    before = snapshot(SUITE / "files" / "redcap")
    r = runner.invoke(app, ["redcap", "import", str(SUITE / "files" / "redcap" / fixture), "--out", str(tmp_path / "pkg"),
                            "--package", str(SUITE / "valid")])
    assert r.exit_code == exit_code, r.output
    assert code in r.output and "Traceback" not in r.output
    assert not (tmp_path / "pkg").exists()
    assert snapshot(SUITE / "files" / "redcap") == before


def test_an_unknown_column_is_a_warning_and_the_package_is_written(tmp_path):
    r = runner.invoke(app, ["redcap", "import", str(SUITE / "files/redcap/column-unknown.csv"), "--out", str(tmp_path / "pkg"),
                            "--package", str(SUITE / "valid"), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert '"code": "REDCAP_COLUMN_UNKNOWN"' in r.output
    assert (tmp_path / "pkg/datapackage.json").is_file()
    # the checkbox records every strategy: unticked boxes become 'used: false' rows
    strategies = read_text(tmp_path / "pkg/data/survey_strategies.csv")
    assert len(strategies) == 2 * len(standard.enum("survey_strategies", "strategy"))


def test_cli_dictionary(tmp_path):
    r = runner.invoke(app, ["redcap", "dictionary", "--out", str(tmp_path / "dict.csv")])
    assert r.exit_code == 0, r.output
    got = list(csv.reader(io.StringIO((tmp_path / "dict.csv").read_text())))
    assert tuple(got[0]) == COLUMNS and all(len(row) == 18 for row in got)
    assert got[1][0] == "record_id"
    assert "Missing Data Codes" in r.output and "-7, refused" in r.output


def test_a_project_without_repeating_instruments_imports(tmp_path):
    """A site asking one relationship per record has no repeat columns: the form sits on the record's row."""
    valid = {n: read_text(SUITE / "valid" / "data" / f"{n}.csv") for n in SURVEY}
    rows = list(csv.DictReader(io.StringIO(records(valid))))
    first = {}
    for r in rows:  # keep each record's first rcs_p instance, merged into its row
        base = first.setdefault(r["record_id"], dict(r))
        if r["redcap_repeat_instrument"] == "rcs_p" and r["redcap_repeat_instance"] == "1":
            base.update({k: v for k, v in r.items() if v and not k.startswith("redcap_repeat")})
    cols = [c for c in rows[0] if not c.startswith("redcap_repeat")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(first.values())
    (tmp_path / "flat.csv").write_text(buf.getvalue())
    result = import_export(tmp_path / "flat.csv", tmp_path / "pkg", reference=SUITE / "valid")
    assert result.report.codes() == set()
    rel = read_text(tmp_path / "pkg/data/survey_relationships.csv")
    assert rel["relationship_id"].tolist() == ["R1", "R2"]  # P1's and P2's first relationships
    assert rel["clinician_report"].tolist() == ["false", "false"]
