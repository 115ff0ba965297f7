"""Crosswalks (issue 26): a site's own REDCap project, or its SPSS/Stata/CSV file, imported through a
crosswalk into the package the standard's own project would give, byte for byte; the draft of the
crosswalk from the site's data dictionary; the refusals that keep a wrong crosswalk from writing
anything.

The site projects are written by hand in REDCap's format (docs/examples/site-dictionary.csv and
tests/fixtures/crosswalk/project-b-dictionary.csv) with the crosswalk a person would write for them
(tests/fixtures/crosswalk/*.truth.csv); tests/crosswalk_fixtures.py turns a raw export of the
standard's project into the export the site's project gives for the same records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pedcomm import standard
from pedcomm.cli import app
from pedcomm.interop.package_io import read_text
from pedcomm.interop.redcap.importer import import_export
from pedcomm.interop.redcap.records import records
from pedcomm.interop.tabular import kind, reader_of

from .conftest import REPO, snapshot
from .crosswalk_fixtures import (
    EXAMPLES,
    FIXTURES,
    TRUTH,
    conformance,
    docs_examples,
    grade,
    rows_of,
    site_export,
    to_labelled,
    truth_for,
)

runner = CliRunner()
SURVEY = standard.resource_names("survey")
PROJECT_B = FIXTURES / "project-b-dictionary.csv"
B_MISSING = {"-7": "RF", "-8": "UNK", "-9": "NA"}  # project B's REDCap missing-data codes


@pytest.fixture(scope="module")
def my_site(tmp_path_factory) -> Path:
    """The package `pedcomm init` writes for the docs' example site (one site, SITE1)."""
    from pedcomm.commands.init import write

    out = tmp_path_factory.mktemp("init") / "my-site"
    write(out, "SITE1", "Example Children's Hospital")
    return out


@pytest.fixture(scope="module")
def standard_import(my_site, tmp_path_factory) -> Path:
    """The docs' example export of the standard's project, imported as it is (no crosswalk)."""
    folder = tmp_path_factory.mktemp("standard")
    shutil.copy(EXAMPLES / "redcap-export.csv", folder / "export.csv")
    result = import_export(folder / "export.csv", folder / "package", reference=my_site)
    assert result.validated is not None and result.exit_code == 0
    return folder / "package"


def same_package(got: Path, expected: Path, crosswalk: Path) -> None:
    """``got`` holds the same bytes as ``expected``, file by file; its descriptor differs only by the record
    of the crosswalk (sources: its name, size and SHA-256), and the output marker by that descriptor's hash."""
    files = sorted(p.relative_to(expected).as_posix() for p in expected.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(got).as_posix() for p in got.rglob("*") if p.is_file())
    for rel in files:
        if rel not in ("datapackage.json", ".pedcomm-output.json", "provenance.json"):
            assert (got / rel).read_bytes() == (expected / rel).read_bytes(), rel
    # provenance.json records where each row came from: the other file, in the site's own names
    mine, theirs = (json.loads((p / "provenance.json").read_text(encoding="utf-8")) for p in (got, expected))
    assert mine["source"]["sha256"] != theirs["source"]["sha256"]
    for name, table in theirs["tables"].items():
        assert mine["tables"][name]["sha256"] == table["sha256"]  # the same table written
        assert len(mine["tables"][name]["rows"]) == len(table["rows"])
    desc = json.loads((got / "datapackage.json").read_text(encoding="utf-8"))
    data = crosswalk.read_bytes()
    assert desc.pop("sources") == [{
        "title": f"Crosswalk {crosswalk.name}: the site's own fields and codes mapped to the standard's "
                 "(format: schemas/crosswalk.json of the pedcomm standard)",
        "path": crosswalk.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}]
    assert standard.dumps(desc).encode() == (expected / "datapackage.json").read_bytes()
    marks = [json.loads((p / ".pedcomm-output.json").read_text()) for p in (got, expected)]
    for m in marks:  # the seal binds the file list, which differs by those two files
        m["files"].pop("datapackage.json")
        m["files"].pop("provenance.json")
        assert len(m.pop("seal")) == 64
    assert marks[0] == marks[1]


def _import(export: Path, out: Path, reference: Path, crosswalk: Path | None = None):
    return import_export(export, out, reference=reference, crosswalk=crosswalk, reader=reader_of(export),
                         kind=kind(export) if reader_of(export) else "REDCap export")


# -- the import: byte for byte -----------------------------------------------------------------------

def test_the_site_project_imports_through_its_crosswalk_into_the_standard_package(my_site, standard_import, tmp_path):
    """French and English names, codes 1, 2 in another order, items coded from 0, checkbox codes renumbered,
    the site's form names in redcap_repeat_instrument and {form}_complete, a repeating form of its own,
    fields of its own and no site field (a single-site project): the same package as the standard's export."""
    export = tmp_path / "export.csv"  # the same file name: the package is named after it
    shutil.copy(EXAMPLES / "site-export.csv", export)
    header = next(csv.reader(io.StringIO(export.read_text())))
    assert {"sexe_parent", "race_eth", "md_role", "strategies___1", "questionnaire_parent_complete", "courriel"} <= set(header)
    assert "record_id" not in header and "parent_sex" not in header
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(truth_for("SITE1"), encoding="utf-8")
    result = import_export(export, tmp_path / "package", reference=my_site, crosswalk=crosswalk)
    assert result.exit_code == 0, [f.message for f in result.report.findings]
    assert result.report.codes() == {"CROSSWALK_NOT_IMPORTED"}
    note = next(f for f in result.report.findings if f.code == "CROSSWALK_NOT_IMPORTED").message
    assert "7 columns the crosswalk does not name ('date_inclusion', 'courriel'" in note
    parents = sum(1 for r in rows_of(EXAMPLES / "redcap-export.csv") if r["parent_sex"])
    assert f"and {parents} rows of repeating instruments it leaves out" in note  # one follow-up per parent
    same_package(tmp_path / "package", standard_import, crosswalk)


def test_findings_after_a_crosswalk_import_name_the_site_project_field_and_instrument(my_site, tmp_path):
    """A value out of range in the site's own field hads_anx is reported by validate with the site's record,
    instrument (questionnaire_parent, not the standard's parent_survey), field and export row."""
    rows = list(csv.reader(io.StringIO((EXAMPLES / "site-export.csv").read_text(encoding="utf-8"))))
    col = rows[0].index("hads_anx")
    line = next(i for i, r in enumerate(rows[1:], start=2) if r[col].strip())
    rows[line - 1][col] = "99"
    export = tmp_path / "export.csv"
    with export.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(truth_for("SITE1"), encoding="utf-8")
    assert import_export(export, tmp_path / "package", reference=my_site, crosswalk=crosswalk).validated is not None
    out = CliRunner().invoke(app, ["validate", str(tmp_path / "package"), "--format", "json"])
    finding = next(f for f in json.loads(out.stdout)["findings"] if f["code"] == "CELL_RANGE")
    source = json.dumps(finding.get("source"))
    assert "hads_anx" in source and "questionnaire_parent" in source and str(line) in source
    assert "parent_hads_anxiety" not in source and "parent_survey" not in source


@pytest.fixture(scope="module")
def project_b(tmp_path_factory) -> dict:
    """Project B on the shipped example (400 parents, 80 clinicians, two sites), with one relationship's
    strategies answered 'don't know' (its checkbox's missing-data code column) and the standard's export."""
    folder = tmp_path_factory.mktemp("b")
    tables = {n: read_text(REPO / "data" / f"{n}.csv") for n in SURVEY}
    strategies = tables["survey_strategies"].copy()
    first = strategies["relationship_id"].iloc[0]
    strategies.loc[strategies["relationship_id"] == first, "used"] = standard.missing_code("survey_strategies", "don't know")
    tables["survey_strategies"] = strategies
    std = records(tables, missing_codes=True)
    (folder / "standard").mkdir()
    (folder / "site").mkdir()
    (folder / "standard" / "export.csv").write_text(std, encoding="utf-8")
    site = site_export(std, PROJECT_B, FIXTURES / "project-b-dictionary.truth.csv", missing=B_MISSING)
    (folder / "site" / "export.csv").write_text(site, encoding="utf-8")
    result = import_export(folder / "standard" / "export.csv", folder / "standard" / "package", reference=REPO)
    assert result.validated is not None
    return {"folder": folder, "standard": folder / "standard" / "package", "export": folder / "site" / "export.csv",
            "code": strategies.loc[strategies["relationship_id"] == first, "used"].iloc[0]}


def test_a_multi_site_project_with_its_own_missing_data_codes_imports_the_same(project_b, tmp_path):
    """English names, 0/1 sexes, a choice 99 for 'prefer not to answer', site codes 1 and 2, letters as checkbox
    codes with an 'Other' the standard lacks, the parent survey split over two forms, and REDCap missing-data
    codes RF, UNK, NA (as values and as checkbox columns): the same package."""
    header = next(csv.reader(io.StringIO(project_b["export"].read_text())))
    assert {"strategies_used___f", "strategies_used___unk", "hads_complete", "demographics_complete"} <= set(header)
    body = project_b["export"].read_text()
    assert ",RF," in body and ",UNK," not in body.split("\n", 1)[0]
    assert standard.missing_code("survey_strategies", "don't know") == project_b["code"]
    crosswalk = FIXTURES / "project-b-dictionary.truth.csv"
    result = import_export(project_b["export"], tmp_path / "package", reference=REPO, crosswalk=crosswalk)
    assert result.exit_code == 0, [f.message for f in result.report.findings[:5]]
    same_package(tmp_path / "package", project_b["standard"], crosswalk)
    strategies = read_text(tmp_path / "package" / "data" / "survey_strategies.csv")
    assert (strategies["used"] == project_b["code"]).sum() == 5  # every strategy of that relationship


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_an_spss_or_stata_file_imports_the_same(my_site, standard_import, tmp_path, suffix):
    """The site's records as SPSS and Stata store a REDCap export (numbers with value labels, checkboxes 0/1,
    user-missing values), imported with `pedcomm import` through the same crosswalk."""
    path = tmp_path / f"export{suffix}"
    to_labelled((EXAMPLES / "site-export.csv").read_text(encoding="utf-8"), EXAMPLES / "site-dictionary.csv", path)
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(truth_for("SITE1"), encoding="utf-8")
    r = runner.invoke(app, ["import", str(path), "--crosswalk", str(crosswalk), "--package", str(my_site),
                            "--out", str(tmp_path / "package")])
    assert r.exit_code == 0, r.output
    for name in SURVEY:
        assert (tmp_path / "package/data" / f"{name}.csv").read_bytes() == (standard_import / "data" / f"{name}.csv").read_bytes()
    desc = json.loads((tmp_path / "package/datapackage.json").read_text())
    assert desc["title"] == f"Survey data imported from the {kind(path)} export{suffix}"
    assert desc["sources"][0]["sha256"] == hashlib.sha256(crosswalk.read_bytes()).hexdigest()


@pytest.mark.parametrize("delimiter, encoding", [(";", "utf-8-sig"), (",", "cp1252"), ("\t", "utf-16")],
                         ids=["excel-semicolons-bom", "windows-code-page", "unicode-text"])
def test_a_crosswalk_saved_by_a_spreadsheet_with_only_four_columns_applies_the_same(my_site, standard_import, tmp_path,
                                                                                    delimiter, encoding):
    export = tmp_path / "export.csv"
    shutil.copy(EXAMPLES / "site-export.csv", export)
    rows = [[r["site_field"], r["site_code"], r["standard_field"], r["standard_code"]] for r in rows_of(truth_for("SITE1"))]
    rows[0].append("vérifié par l'équipe")  # a note with accents, in the spreadsheet's encoding
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(
        [["site_field", "site_code", "standard_field", "standard_code", "note"], *rows, ["", "", "", ""]])
    crosswalk = tmp_path / "saved.csv"
    crosswalk.write_bytes(buf.getvalue().encode(encoding))
    result = import_export(export, tmp_path / "package", reference=my_site, crosswalk=crosswalk)
    assert result.exit_code == 0, [f.message for f in result.report.findings]
    same_package(tmp_path / "package", standard_import, crosswalk)


# -- the refusals: coded, naming the field and the code, nothing written -----------------------------

@pytest.mark.parametrize("case, code, named", [
    ("misspelled-column", "CROSSWALK_UNREADABLE", ["standard_cod"]),
    ("field-unknown", "CROSSWALK_FIELD_UNKNOWN", ["parent_hads_depresion", "did you mean parent_hads_depression"]),
    ("code-unknown", "CROSSWALK_CODE_UNKNOWN", ["'man'", "parent_sex", "female, male"]),
    ("field-twice", "CROSSWALK_FIELD_TWICE", ["sexe_parent", "parent_sex on row 4 and to clinician_sex"]),
    ("field-unmapped", "CROSSWALK_FIELD_UNMAPPED", ["parent_hads_depression"]),
    ("review-pending", "CROSSWALK_REVIEW_PENDING", ["educ = 4 -> parent_education = college"]),
    ("field-absent", "CROSSWALK_FIELD_ABSENT", ["hads_dep", "parent_hads_depression"]),
    ("code-unmapped", "CROSSWALK_CODE_UNMAPPED", ["sexe_parent", "'9'", "parent_sex"]),
])
def test_a_wrong_crosswalk_is_refused_with_the_field_and_code_and_nothing_is_written(tmp_path, case, code, named):
    files = tmp_path / "in"
    shutil.copytree(REPO / "validation/conformance/files/crosswalk", files)
    before = snapshot(tmp_path)
    r = runner.invoke(app, ["redcap", "import", str(files / f"{case}.csv"), "--crosswalk", str(files / f"{case}.crosswalk.csv"),
                            "--package", str(REPO / "validation/conformance/valid"), "--out", str(tmp_path / "out"),
                            "--format", "json"])
    assert r.exit_code == 2, r.output
    report = json.loads(r.stdout)
    found = [f for f in report["findings"] if f["code"] == code]
    assert found, report["findings"]
    assert all(n in " ".join(f["message"] for f in found) for n in named), [f["message"] for f in found]
    assert not (tmp_path / "out").exists()
    assert snapshot(tmp_path) == before


def test_the_record_id_cannot_be_left_out(my_site, tmp_path):
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(truth_for("SITE1").replace("id_participant,,record_id,,", ",,record_id,,"), encoding="utf-8")
    shutil.copy(EXAMPLES / "site-export.csv", tmp_path / "export.csv")
    result = import_export(tmp_path / "export.csv", tmp_path / "out", reference=my_site, crosswalk=crosswalk)
    assert result.exit_code == 2 and not (tmp_path / "out").exists()
    assert [(f.code, f.field) for f in result.report.findings] == [("CROSSWALK_FIELD_UNMAPPED", "record_id")]


def test_a_ticked_box_of_a_site_code_the_crosswalk_leaves_out_is_refused_and_an_unticked_one_ignored(my_site, tmp_path):
    export = (EXAMPLES / "site-export.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(export)))
    rows[0].append("strategies___6")  # a sixth choice ('Other') the crosswalk does not map, never ticked
    for r in rows[1:]:
        r.append("0" if r[rows[0].index("redcap_repeat_instrument")] == "evaluation_famille" else "")
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(truth_for("SITE1"), encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    assert import_export(path, tmp_path / "ok", reference=my_site, crosswalk=crosswalk).exit_code == 0
    line = next(i for i, r in enumerate(rows) if r[-1] == "0")
    rows[line][-1] = "1"
    path.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    result = import_export(path, tmp_path / "refused", reference=my_site, crosswalk=crosswalk)
    assert result.exit_code == 2 and not (tmp_path / "refused").exists()
    (finding,) = [f for f in result.report.findings if f.code == "CROSSWALK_CODE_UNMAPPED"]
    assert (finding.field, finding.value, finding.row) == ("strategies", "6", line + 1)


def test_a_crosswalk_never_overwrites_an_input(my_site, tmp_path):
    shutil.copy(EXAMPLES / "site-export.csv", tmp_path / "export.csv")
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(truth_for("SITE1"), encoding="utf-8")
    before = snapshot(tmp_path)
    r = runner.invoke(app, ["redcap", "crosswalk", "--dictionary", str(EXAMPLES / "site-dictionary.csv"),
                            "--out", str(crosswalk), "--force"])
    assert r.exit_code == 2 and "OUTPUT_FOREIGN" in r.output  # a file pedcomm did not write
    r = runner.invoke(app, ["redcap", "crosswalk", "--dictionary", str(crosswalk), "--out", str(crosswalk), "--force"])
    assert r.exit_code == 2 and "OUTPUT_OVERLAPS_INPUT" in r.output
    r = runner.invoke(app, ["redcap", "import", str(tmp_path / "export.csv"), "--crosswalk", str(crosswalk),
                            "--package", str(my_site), "--out", str(crosswalk), "--force"])
    assert r.exit_code == 2 and "OUTPUT_OVERLAPS_INPUT" in r.output
    assert snapshot(tmp_path) == before


# -- the draft ---------------------------------------------------------------------------------------

def _draft(dictionary: Path, reference: Path, out: Path) -> list[dict]:
    r = runner.invoke(app, ["redcap", "crosswalk", "--dictionary", str(dictionary), "--package", str(reference),
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    return rows_of(out)


def _reviewed(rows: list[dict], extra: tuple[dict, ...] | list[dict] = ()) -> str:
    """The draft after a person checked the rows marked for review and found them right."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in [*rows, *extra]:
        w.writerow({**{k: "" for k in rows[0]}, **r, "review": "false"})
    return buf.getvalue()


def _figures(g: dict) -> str:
    flagged = {k: sum(r["review"] == "true" for r in g[k]) for k in ("right", "wrong")}
    n = len(g["right"]) + len(g["wrong"])
    return (f"{len(g['right'])} of {n} rows right ({flagged['right']} of them marked for review), {len(g['wrong'])} wrong "
            f"({flagged['wrong']} marked for review), {len(g['missing'])} rows of the hand-written crosswalk missing")


def test_the_draft_gets_an_ordinary_project_right_without_help(my_site, standard_import, tmp_path, capsys):
    draft = _draft(EXAMPLES / "site-dictionary.csv", my_site, tmp_path / "draft.csv")
    g = grade(draft, rows_of(truth_for("SITE1")))
    with capsys.disabled():
        print(f"\ndraft of docs/examples/site-dictionary.csv: {_figures(g)}")
    assert g["wrong"] == [] and g["missing"] == []
    review = [r for r in draft if r["review"] == "true"]
    assert len(review) <= 5 and len(draft) >= 100
    # imported as drafted, once the rows marked for review are confirmed: the standard's package
    export = tmp_path / "export.csv"
    shutil.copy(EXAMPLES / "site-export.csv", export)
    crosswalk = tmp_path / "reviewed.csv"
    crosswalk.write_text(_reviewed(draft), encoding="utf-8")
    assert import_export(export, tmp_path / "package", reference=my_site, crosswalk=crosswalk).exit_code == 0
    same_package(tmp_path / "package", standard_import, crosswalk)
    # and not before: rows still marked for review refuse the import
    result = import_export(export, tmp_path / "unreviewed", reference=my_site, crosswalk=tmp_path / "draft.csv")
    assert result.report.codes() == {"CROSSWALK_REVIEW_PENDING"} and result.exit_code == 2


def test_the_draft_of_project_b_needs_only_its_missing_data_codes(project_b, tmp_path, capsys):
    draft = _draft(PROJECT_B, REPO, tmp_path / "draft.csv")
    g = grade(draft, rows_of(FIXTURES / "project-b-dictionary.truth.csv"))
    with capsys.disabled():
        print(f"\ndraft of tests/fixtures/crosswalk/project-b-dictionary.csv: {_figures(g)}")
    assert g["wrong"] == []
    assert [(m["site_code"], m["standard_code"]) for m in g["missing"]] == list(zip(B_MISSING.values(), B_MISSING))
    extra = [{"site_code": site, "standard_code": std} for std, site in B_MISSING.items()]
    crosswalk = tmp_path / "reviewed.csv"
    crosswalk.write_text(_reviewed(draft, extra), encoding="utf-8")
    result = import_export(project_b["export"], tmp_path / "package", reference=REPO, crosswalk=crosswalk)
    assert result.exit_code == 0
    same_package(tmp_path / "package", project_b["standard"], crosswalk)


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_the_draft_reads_spss_and_stata_labels(my_site, tmp_path, suffix, capsys):
    path = tmp_path / f"site{suffix}"
    to_labelled((EXAMPLES / "site-export.csv").read_text(encoding="utf-8"), EXAMPLES / "site-dictionary.csv", path)
    draft = _draft(path, my_site, tmp_path / "draft.csv")
    g = grade(draft, rows_of(truth_for("SITE1")))
    with capsys.disabled():
        print(f"\ndraft of the site's {kind(path)}: {_figures(g)}")
    assert g["wrong"] == [] and g["missing"] == []


@pytest.mark.parametrize("project", ["checkboxes-1", "dag", "longitudinal", "repeating-instruments", "survey"])
def test_the_draft_of_an_unrelated_real_project_marks_what_it_cannot_know(project, tmp_path):
    """REDCap's own test projects (not pedcomm's): the draft is a valid crosswalk, and the standard fields
    it cannot find, or finds only in a look-alike (a 'Gender' that may be the parent's or the child's),
    are marked for review rather than guessed."""
    import frictionless

    dictionary = REPO.parent / "shared" / "redcap" / project / "dictionary.csv"
    draft = _draft(dictionary, REPO, tmp_path / "draft.csv")
    from pedcomm.standard import crosswalk

    import contextlib

    schema = frictionless.Schema.from_descriptor(crosswalk.schema())
    with contextlib.chdir(tmp_path):
        report = frictionless.validate(frictionless.Resource("draft.csv", schema=schema))
    assert report.valid, report.flatten(["type", "note"])
    fields = [r for r in draft if r["standard_field"] and not r["site_code"] and not r["standard_field"].endswith("_complete")
              and r["standard_field"] not in ("record_id", "redcap_repeat_instrument")]
    sure = [r["standard_field"] for r in fields if r["review"] == "false"]
    assert len(sure) <= 2, sure  # at most a race or a sex with its labels, never an instrument's item
    assert not [s for s in sure if s.startswith(("rcsp_", "rcsc_"))]


def test_the_committed_examples_are_what_the_builders_make():
    for name, data in conformance().items():
        assert (REPO / "validation/conformance/files/crosswalk" / name).read_bytes() == data, name
    import pyreadstat

    for name, data in docs_examples().items():
        if name.endswith(".sav"):  # SPSS writes the time into the header: compare what the file holds
            committed, made = (pyreadstat.read_sav(io.BytesIO(b), user_missing=True) for b in ((EXAMPLES / name).read_bytes(), data))
            assert committed[0].equals(made[0]), name
            assert (committed[1].column_names_to_labels, committed[1].variable_value_labels, committed[1].missing_ranges) == \
                (made[1].column_names_to_labels, made[1].variable_value_labels, made[1].missing_ranges)
            continue
        assert (EXAMPLES / name).read_bytes() == data, name


def test_the_crosswalk_format_is_published_with_the_standard(tmp_path):
    """One source (schemas/crosswalk.json): copied into the release and its manifest, rendered on the data
    dictionary page and served beside it, read by the import and the draft; not a resource of the package."""
    from pedcomm.docsgen import dictionary
    from pedcomm.standard import crosswalk

    source = REPO / "schemas" / "crosswalk.json"
    assert standard.CROSSWALK_SCHEMA == source and "crosswalk" not in standard.resource_names()
    assert crosswalk.columns() == ["site_field", "site_code", "standard_field", "standard_code", "note", "confidence",
                                   "review"]
    r = runner.invoke(app, ["standard", "--out", str(tmp_path / "release")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "release/schemas/crosswalk.json").read_bytes() == source.read_bytes()
    manifest = json.loads((tmp_path / "release/manifest.json").read_text())
    entry = next(f for f in manifest["files"] if f["path"] == "schemas/crosswalk.json")
    assert entry["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert "crosswalk" not in [r["name"] for r in json.loads((tmp_path / "release/datapackage.json").read_text())["resources"]]
    page = dictionary.page()
    section = page[page.index("{#crosswalk}"):]
    assert all(f"{{#crosswalk-{c}}}" in section for c in crosswalk.columns())
    assert json.loads(dictionary.schema_files()["schemas/crosswalk.json"]) == json.loads(source.read_text())


def test_the_draft_of_a_terse_project_marks_every_row_it_gets_wrong(tmp_path, capsys):
    """Project C: short names (p_sex, q1 ... q6), labels of a word or two ('Sex' on three forms, 'HADS-A'),
    'White, non-Hispanic', an acronym of the standard's field (PCT). The draft cannot be sure of much,
    but every row it gets wrong is marked for review."""
    draft = _draft(FIXTURES / "project-c-dictionary.csv", REPO, tmp_path / "draft.csv")
    g = grade(draft, rows_of(FIXTURES / "project-c-dictionary.truth.csv"))
    with capsys.disabled():
        print(f"\ndraft of tests/fixtures/crosswalk/project-c-dictionary.csv: {_figures(g)}")
    assert g["missing"] == [] and len(g["right"]) >= 0.95 * len(draft)
    assert [r for r in g["wrong"] if r["review"] != "true"] == []
    sexes = {r["site_field"]: r["standard_field"] for r in draft if r["site_field"].endswith("_sex") and not r["site_code"]}
    assert sexes == {"p_sex": "parent_sex", "c_sex": "child_sex", "clin_sex": "clinician_sex"}  # told apart by their forms


def test_the_draft_of_a_plain_csv_file_marks_the_codes_it_cannot_know(my_site, tmp_path, capsys):
    """A CSV file without a dictionary (the site's export itself): names and values only. Codes without labels
    cannot be known; the draft proposes none it cannot back (or the same code, to confirm) and marks them."""
    draft = _draft(EXAMPLES / "site-export.csv", my_site, tmp_path / "draft.csv")
    g = grade(draft, rows_of(truth_for("SITE1")))
    with capsys.disabled():
        print(f"\ndraft of docs/examples/site-export.csv (no labels): {_figures(g)}")
    assert [r for r in g["wrong"] if r["review"] != "true"] == []
    found = {r["standard_field"] for r in g["right"] if r["site_field"] and not r["site_code"]}
    assert len(found) >= 25  # of the standard's 30 fields (2 are single-site values)
