"""The validation report a person acts on and forwards (issue 17): record ids, grouped hints, the
checks that could not run, HTML and Markdown renderings, a deterministic text report.

Tested at the level of the report (what `pedcomm validate` prints and writes), so the tests keep
passing whatever engine runs the checks.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pedcomm import standard
from pedcomm.cli import app

from . import mistakes

runner = CliRunner()
PEDCOMM = str(Path(sys.executable).parent / "pedcomm")


@pytest.fixture(scope="module")
def mistaken(tmp_path_factory) -> Path:
    return mistakes.build(tmp_path_factory.mktemp("mistakes") / "pkg")


@pytest.fixture(scope="module")
def report(mistaken) -> dict:
    out = subprocess.run([PEDCOMM, "validate", str(mistaken), "--format", "json"], capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    return json.loads(out.stdout)


def test_one_run_reports_every_mistake_with_its_record_id(report):
    found = {(f["code"], f["resource"], f["row"]): f for f in report["findings"]}
    for what, (resource, code, row, record) in mistakes.MISTAKES.items():
        hits = [f for (c, r, rw), f in found.items() if c == code and r == resource and (row is None or rw == row)]
        assert hits, f"{what}: no {code} finding in {resource} row {row}"
        if record is not None:
            assert hits[0]["record"] == record, (what, hits[0])
        assert hits[0]["see"] == f"pedcomm explain {code}"


def test_the_renamed_column_does_not_hide_other_tables_checks(report):
    # the renamed column of survey_children: its foreign key to the parents still ran
    fk = [c for c in report["checks"] if c["code"] == "FOREIGN_KEY" and c["resource"] == "survey_children"]
    assert fk and fk[0]["status"] == "passed" and fk[0]["checked"] == 400, fk
    # and the checks that need the column say they could not run, and why
    skipped = {(s["code"], s["resource"]): s["reason"] for s in report["skipped"]}
    assert "days_since_diagnosis" in skipped[("SURVEY_TIMING", "survey_children")]
    assert "'survey_children' lacks the column 'days_since_diagnosis'" in skipped[("RELATIONSHIP_VISIT_RATE", "survey_relationships")]
    unknown = [f for f in report["findings"] if f["code"] == "COLUMN_UNKNOWN"]
    assert "Did you mean 'days_since_diagnosis'?" in unknown[0]["message"]


def test_one_cause_behind_many_findings_is_said_once(report):
    hints = {h["kind"]: h for h in report["hints"]}
    assert set(hints) == {"renamed_column", "labels", "leading_zeros", "excel_dates"}
    assert hints["renamed_column"]["where"] == ["survey_children: 'days_since_dx' -> 'days_since_diagnosis'"]
    assert hints["leading_zeros"]["count"] == 2 and hints["leading_zeros"]["where"] == ["survey_relationships: parent_id"]
    # 'Female' and 'White' in survey_parents, 'Yes' in survey_relationships
    assert hints["labels"]["count"] == 3
    assert hints["excel_dates"]["where"] == ["survey_parents: mixed_messages"]


def test_identifying_values_and_records_are_masked(report, mistaken):
    text = json.dumps(report)
    assert "John Smith" not in text
    name = next(f for f in report["findings"] if f["code"] == "TEXT_IDENTIFIER")
    assert "masked" in name["value"]


def test_a_record_id_that_looks_identifying_is_masked(tmp_path):
    pkg = tmp_path / "pkg"
    runner.invoke(app, ["example", "--out", str(pkg)])
    f = pkg / "data" / "survey_parents.csv"
    lines = f.read_text().splitlines(keepends=True)
    # an MRN as the parent's key, and an out-of-range answer on that row
    cells = lines[1].split(",")
    cells[0], cells[5] = "MRN7654321", "99"
    lines[1] = ",".join(cells)
    f.write_text("".join(lines))
    r = runner.invoke(app, ["validate", str(pkg), "--format", "json"])
    rep = json.loads(r.stdout)
    rng = next(x for x in rep["findings"] if x["code"] == "CELL_RANGE" and x["resource"] == "survey_parents")
    assert rng["row"] == 2 and rng["record"].startswith("M*") and "masked" in rng["record"]
    assert "7654321" not in r.stdout
    shown = runner.invoke(app, ["validate", str(pkg), "--format", "json", "--show-values"])
    rng = next(x for x in json.loads(shown.stdout)["findings"] if x["code"] == "CELL_RANGE")
    assert rng["record"] == "MRN7654321"


def test_html_report_is_one_self_contained_file_verdict_first(mistaken, tmp_path):
    out = tmp_path / "report.html"
    r = runner.invoke(app, ["validate", str(mistaken), "--format", "HTML", "--output", str(out)])
    assert r.exit_code == 1, r.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from the network
    body = html[html.index("<body>"):]
    assert body.index("INVALID") < body.index("One cause, many findings") < body.index("Findings by check")
    assert "14 errors, 2 warnings" in body
    # grouped by check with counts, each finding with its record id
    for code in ("CELL_TYPE", "FOREIGN_KEY", "PRIMARY_KEY", "TEXT_IDENTIFIER", "SITE_IDENTITY_EXAMPLE"):
        assert f'id="{code.lower()}"' in body
    fk = body[body.index('id="foreign_key"'):]
    fk = fk[:fk.index("</section>")]
    assert "3 findings" in fk and fk.index("R00003") < fk.index("R00004") < fk.index("R00006")
    # every mistake in the section of its check, with its record id
    for what, (resource, code, row, record) in mistakes.MISTAKES.items():
        section = body[body.index(f'id="{code.lower()}"'):]
        section = section[:section.index("</section>")]
        if record is not None:
            assert f'<span class="mono">{record}</span>' in section, what
        if resource is not None:
            assert f"<td>{resource}</td>" in section, what
    assert "Checks that could not run" in body and "SURVEY_TIMING" in body
    for i in json.loads(runner.invoke(app, ["validate", str(mistaken), "--format", "json"]).stdout)["inputs"]:
        assert i["sha256"] in body
    assert "John Smith" not in html
    revealed = runner.invoke(app, ["validate", str(mistaken), "--format", "html", "--show-values"]).stdout
    assert "John Smith" in revealed  # escaped text, shown only on request


def test_markdown_report(mistaken):
    r = runner.invoke(app, ["validate", str(mistaken), "--format", "Markdown"])
    assert r.exit_code == 1
    md = r.stdout
    assert md.startswith("# Validation report for site EXAMPLE")
    assert "**INVALID**: 14 errors, 2 warnings" in md
    assert "### FOREIGN_KEY Reference to a missing row (error, 3 findings)" in md
    assert "| survey_relationships | 4 | R00003 | parent_id |" in md
    assert "## Checks that could not run" in md


def test_text_report_is_deterministic_fits_the_width_and_lists_skipped_checks(mistaken):
    runs = [subprocess.run([PEDCOMM, "validate", str(mistaken)], capture_output=True, text=True,
                           env={"COLUMNS": "100", "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": str(seed)})
            for seed in (1, 2)]
    assert runs[0].stdout == runs[1].stdout  # "What to do" no longer follows set order
    text = runs[0].stdout
    table_lines = [ln for ln in text.splitlines() if ln.startswith(("┃", "│", "┏", "└"))]
    assert table_lines and max(len(ln) for ln in table_lines) <= 100
    assert "Checks that could not run" in text and "SURVEY_TIMING on survey_children" in text
    todo = text[text.index("What to do"):].splitlines()[1:]
    codes = [ln.split()[0] for ln in todo if ln.startswith("  ") and ln.split()[0].isupper()]
    errors = [c for c in codes if c not in ("COLUMN_UNKNOWN", "SITE_IDENTITY_EXAMPLE")]
    assert errors == sorted(errors) and codes[-2:] == ["COLUMN_UNKNOWN", "SITE_IDENTITY_EXAMPLE"]
    assert "1 finding in survey_parents" in text  # singular for one ...
    assert not re.search(r"(?<![\d.])1 (errors|warnings|findings|checks|notes|files)\b", text)  # never "1 errors"
    assert "INVALID: 14 errors, 2 warnings, 0 notes" in text


def test_a_csv_given_instead_of_a_package_says_so(tmp_path):
    r = runner.invoke(app, ["validate", str(standard.example_package() / "data" / "survey_parents.csv")])
    assert r.exit_code == 2
    assert "is a CSV data file, not a package descriptor" in r.output and "invalid JSON" not in r.output


def test_the_unreadable_table_is_named(tmp_path):
    pkg = tmp_path / "pkg"
    runner.invoke(app, ["example", "--out", str(pkg)])
    (pkg / "data" / "survey_clinicians.csv").unlink()
    rep = json.loads(runner.invoke(app, ["validate", str(pkg), "--format", "json"]).stdout)
    fk = {(s["resource"], s["field"]): s["reason"] for s in rep["skipped"] if s["code"] == "FOREIGN_KEY"}
    # the relationships' reference to the clinicians cannot run because of the clinicians' file, and says so
    assert fk[("survey_relationships", "clinician_id")].startswith("'survey_clinicians' could not be read (see FILE_MISSING")
    assert ("survey_relationships", "parent_id") not in fk  # the other reference ran


def test_format_is_case_insensitive_and_a_bad_one_is_refused():
    ok = runner.invoke(app, ["validate", str(standard.example_package()), "--format", "JSON"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["status"] == "valid"
    bad = runner.invoke(app, ["validate", str(standard.example_package()), "--format", "pdf"])
    assert bad.exit_code == 2 and "OPTION_INVALID" in bad.output


def test_shipped_example_keeps_no_identity_warning():
    rep = json.loads(runner.invoke(app, ["validate", str(standard.example_package()), "--format", "json"]).stdout)
    assert rep["warnings"] == 0 and rep["site"] == "EXAMPLE"
    assert {c["code"] for c in rep["checks"]} >= {"SITE_IDENTITY_EXAMPLE"}


def test_every_see_link_resolves_in_the_installed_tool():
    """A finding's default link is `pedcomm explain CODE`, which prints the registry's entry offline."""
    from pedcomm.validation.registry import spec

    r = runner.invoke(app, ["explain", "foreign_key"])
    assert r.exit_code == 0 and "FOREIGN_KEY" in r.stdout
    assert spec("FOREIGN_KEY").action in " ".join(r.stdout.split())
    typo = runner.invoke(app, ["explain", "FOREIN_KEY"])
    assert typo.exit_code == 2 and "Did you mean: FOREIGN_KEY" in typo.stdout


def test_docs_address_is_configured_once(monkeypatch):
    from pedcomm.standard import links

    assert links.see("CELL_TYPE") == "pedcomm explain CELL_TYPE"
    monkeypatch.setenv("PEDCOMM_DOCS_URL", "https://docs.example.org/pedcomm/")
    assert links.see("CELL_TYPE") == "https://docs.example.org/pedcomm/checks/#cell_type"


def test_a_malformed_record_id_is_masked_in_every_finding_of_its_row(tmp_path):
    pkg = tmp_path / "pkg"
    runner.invoke(app, ["example", "--out", str(pkg)])
    f = pkg / "data" / "survey_parents.csv"
    lines = f.read_text().splitlines(keepends=True)
    cells = lines[2].split(",")
    cells[0], cells[6] = "Jane Roe", "30"   # a name as the key (not an identifier), and a HADS score over 21
    lines[2] = ",".join(cells)
    f.write_text("".join(lines))
    rep = json.loads(runner.invoke(app, ["validate", str(pkg), "--format", "json"]).stdout)
    row3 = [x for x in rep["findings"] if x["resource"] == "survey_parents" and x["row"] == 3]
    assert {x["code"] for x in row3} >= {"CELL_PATTERN", "CELL_RANGE"}
    assert all(x["record"] == "J******* (8 characters, masked)" for x in row3), row3
    assert "Jane Roe" not in json.dumps(rep)
