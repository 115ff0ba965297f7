"""`pedcomm export`: SPSS, Stata and Parquet files that read back as the original tables exactly,
with the schemas' variable labels, value labels and declared missing values."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from pedcomm import standard
from pedcomm.cli import app
from pedcomm.interop import exports
from pedcomm.interop import labels as L
from pedcomm.interop.package_io import read_text

runner = CliRunner()


@pytest.fixture(scope="module", params=exports.FORMATS)
def exported(request, repo, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param) / "out"
    validated, written = exports.export(repo, request.param, out)
    assert validated.report.exit_code == 0
    return request.param, out, written


def test_every_resource_reads_back_exactly(exported, repo):
    fmt, out, written = exported
    names = [n for n in standard.resource_names() if (repo / "data" / f"{n}.csv").is_file()]
    assert sorted(p.name for p in written) == sorted(f"{n}.{fmt}" for n in names)
    for name in names:
        original = read_text(repo / "data" / f"{name}.csv")
        back = exports.read_back(out / f"{name}.{fmt}", name)
        pd.testing.assert_frame_equal(back, original, check_dtype=False, obj=f"{name}.{fmt}")


def test_the_round_trip_keeps_missing_value_codes(exported, repo):
    fmt, out, _ = exported
    original = read_text(repo / "data" / "survey_responses.csv")
    assert (original["response"] == "-7").sum() > 0  # the shipped data use the code
    back = exports.read_back(out / f"survey_responses.{fmt}", "survey_responses")
    assert (back["response"] == "-7").sum() == (original["response"] == "-7").sum()


def test_spss_labels_and_user_missing(tmp_path, repo):
    import pyreadstat

    exports.export(repo, "sav", tmp_path / "sav")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "sav" / "survey_parents.sav"), user_missing=True)
    fields = L.field_map("survey_parents")
    assert meta.column_names_to_labels == {n: f["title"] for n, f in fields.items()}
    sex = meta.variable_value_labels["sex"]
    assert {sex[1.0], sex[2.0]} == {"Female", "Male"}  # integer-coded, labelled by enumLabels
    assert sex[-7.0] == "refused" and sex[-8.0] == "don't know" and sex[-9.0] == "not applicable"
    assert meta.variable_value_labels["mixed_messages"][5.0] == "Very often"  # responseLabels
    assert {r["lo"] for r in meta.missing_ranges["hads_depression"]} == {-7.0, -8.0, -9.0}
    assert {r["lo"] for r in meta.missing_ranges["parent_id"]} == {"-7", "-8", "-9"}  # string user-missing
    assert meta.variable_measure["education"] == "nominal" and meta.variable_measure["hads_anxiety"] == "scale"
    # read without user-missing, declared codes become system-missing: an analyst never averages -7
    plain, _ = pyreadstat.read_sav(str(tmp_path / "sav" / "survey_parents.sav"))
    assert plain["hads_depression"].min() >= 0


def test_stata_labels_and_extended_missing(tmp_path, repo):
    import pyreadstat

    exports.export(repo, "dta", tmp_path / "dta")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "dta" / "survey_responses.dta"), user_missing=True)
    assert meta.column_names_to_labels["response"] == L.field_map("survey_responses")["response"]["title"]
    assert meta.variable_value_labels["response"]["a"] == "refused"
    assert (frame["response"] == "a").sum() == (read_text(repo / "data/survey_responses.csv")["response"] == "-7").sum()
    rel, meta = pyreadstat.read_dta(str(tmp_path / "dta" / "survey_relationships.dta"))
    assert {k: v for k, v in meta.variable_value_labels["parent_report"].items() if k in (0, 1)} == {0: "No", 1: "Yes"}
    assert set(rel["parent_report"].dropna()) <= {0, 1}


def test_parquet_types_and_metadata(tmp_path, repo):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    exports.export(repo, "parquet", tmp_path / "pq")
    table = pq.read_table(tmp_path / "pq" / "survey_parents.parquet")
    assert pa.types.is_dictionary(table.schema.field("education").type)
    assert table.schema.field("hads_anxiety").type == pa.int64()
    assert table.schema.field("pc_transitions").type == pa.float64()
    assert table.schema.field("sex").metadata[b"title"] == b"Parent sex"
    assert json.loads(table.schema.metadata[b"pedcomm:table_schema"]) == standard.schema("survey_parents")
    coded = json.loads(table.schema.metadata[b"pedcomm:missing"])
    assert set(coded["hads_depression"]) == {"-7"}
    assert table.column("hads_depression").null_count >= len(coded["hads_depression"]["-7"])


def test_a_package_with_errors_is_not_exported(copy_of_shipped, tmp_path):
    p = copy_of_shipped / "data" / "survey_parents.csv"
    p.write_text(p.read_text().replace(",white,", ",martian,", 1))
    r = runner.invoke(app, ["export", str(copy_of_shipped), "--format", "sav", "--out", str(tmp_path / "out")])
    assert r.exit_code == 1, r.output
    assert "CELL_ENUM" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_cli_export_and_bad_format(tmp_path, repo):
    r = runner.invoke(app, ["export", str(repo), "--format", "dta", "--out", str(tmp_path / "dta")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "dta" / "survey_parents.dta").is_file()
    r = runner.invoke(app, ["export", "--format", "xlsx", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and not (tmp_path / "x").exists()
