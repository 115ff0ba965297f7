"""The descriptors pass frictionless, using only Data Package v2 features it implements."""

import json
import shutil

import frictionless
import pytest


def _validate(path):
    return frictionless.validate(str(path))


def test_shipped_package_passes_frictionless(repo):
    report = _validate(repo / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_conformance_valid_package_passes_frictionless(repo):
    assert _validate(repo / "validation/conformance/valid/datapackage.json").valid


def test_labelled_missing_values_are_honoured(copy_of_shipped):
    """A declared code (-7, refused) in a required field is null to frictionless, as to us."""
    p = copy_of_shipped / "data/survey_parents.csv"
    lines = p.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("sex")] = "-7"
    lines[1] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    report = _validate(copy_of_shipped / "datapackage.json")
    assert report.flatten(["rowNumber", "fieldName", "type"]) == [[2, "sex", "constraint-error"]]


def test_fields_match_subset_allows_extra_columns_and_any_order(copy_of_shipped):
    p = copy_of_shipped / "data/survey_sites.csv"
    rows = [r.split(",", 1) for r in p.read_text().splitlines()]
    p.write_text("\n".join(f"{b},{a},x" if i else f"{b},{a},notes" for i, (a, b) in enumerate(rows)) + "\n")
    # site names hold commas? they do not in the shipped file
    assert _validate(copy_of_shipped / "datapackage.json").valid
    (copy_of_shipped / "data/survey_sites.csv").write_text("site_name\nA\n")
    errors = _validate(copy_of_shipped / "datapackage.json").flatten(["type"])
    assert ["missing-label"] in errors


def test_every_schema_uses_only_implemented_v2_features(repo):
    for path in (repo / "schemas").glob("*.json"):
        s = json.loads(path.read_text())
        assert s["$schema"] == "https://datapackage.org/profiles/2.0/tableschema.json"
        assert "uniqueKeys" not in s
        for f in s["fields"]:
            assert "categories" not in f, "categories is not implemented by frictionless 5.21 (#1814)"
            assert f["type"] in ("string", "integer", "number", "boolean", "date"), f
            for key in ("name", "title", "description", "type", "constraints", "example"):
                assert key in f, (path.name, f["name"], key)
            if "enum" in f["constraints"]:
                assert set(f["enumLabels"]) == set(f["constraints"]["enum"]), (path.name, f["name"])
