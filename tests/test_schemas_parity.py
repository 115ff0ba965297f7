"""Every Table Schema constraint made the trip to the derived pandera schemas, and they agree in use."""

import pandas as pd
import pandera.pandas as pa
import pytest

from pedcomm import standard
from pedcomm.validation.dataframes import DTYPES, all_schemas, dataframe_schema

NAMES = standard.resource_names()


def _stats(column) -> dict:
    """Check name -> statistics of a pandera Column."""
    return {c.name: c.statistics for c in column.checks}


@pytest.mark.parametrize("name", NAMES)
def test_field_by_field_parity(name):
    ts = standard.schema(name)
    ps = dataframe_schema(name)
    assert list(ps.columns) == [f["name"] for f in ts["fields"]]
    for fd in ts["fields"]:
        col = ps.columns[fd["name"]]
        c = fd.get("constraints", {})
        assert str(col.dtype) == str(pa.Column(DTYPES[fd["type"]]).dtype), fd["name"]
        assert col.nullable is (not c.get("required", False)), fd["name"]
        assert col.unique is bool(c.get("unique", False)), fd["name"]
        stats = _stats(col)
        expected = {}
        if "enum" in c:
            expected["isin"] = {"allowed_values": c["enum"]}
        if "minimum" in c:
            expected["greater_than_or_equal_to"] = {"min_value": c["minimum"]}
        if "maximum" in c:
            expected["less_than_or_equal_to"] = {"max_value": c["maximum"]}
        if "pattern" in c:
            expected["str_matches"] = {"pattern": f"^(?:{c['pattern']})$"}
        if "minLength" in c or "maxLength" in c:
            expected["str_length"] = {"min_value": c.get("minLength"), "max_value": c.get("maxLength"), "exact_value": None}
        assert {k: dict(v) for k, v in stats.items()} == expected, fd["name"]


@pytest.mark.parametrize("name", NAMES)
def test_primary_keys(name):
    pk = standard.schema(name).get("primaryKey")
    ps = dataframe_schema(name)
    if len(pk) > 1:
        assert list(ps.unique) == pk
    else:  # a single-field key is a unique, required column
        assert ps.unique is None
        assert ps.columns[pk[0]].nullable is False


def test_pandera_accepts_the_shipped_tables(shipped):
    for name, schema in all_schemas().items():
        schema.validate(shipped.tables[name], lazy=True)


def test_pandera_rejects_what_the_validator_rejects(shipped):
    parents = shipped.tables["survey_parents"].copy()
    parents.loc[parents.index[0], "race_ethnicity"] = "martian"
    parents.loc[parents.index[1], "hads_anxiety"] = 22
    parents.loc[parents.index[2], "parent_id"] = "P 1"
    with pytest.raises(pa.errors.SchemaErrors) as e:
        dataframe_schema("survey_parents").validate(parents, lazy=True)
    failed = set(map(tuple, e.value.failure_cases[["column", "failure_case"]].astype(str).to_numpy()))
    assert {("race_ethnicity", "martian"), ("hads_anxiety", "22"), ("parent_id", "P 1")} <= failed


def test_unknown_resource_is_a_clear_error():
    with pytest.raises(KeyError, match="not a standard resource"):
        dataframe_schema("parents")
