"""Every Table Schema constraint made the trip to the derived pandera schemas, and they agree in use."""

import re

import pandas as pd
import pandera.pandas as pa
import pytest

from pedcomm import standard
from pedcomm.validation.dataframes import DTYPES, all_schemas, column, dataframe_schema

NAMES = standard.resource_names()


@pytest.mark.parametrize("name", NAMES)
def test_field_by_field_parity(name):
    """Columns, types, nullability and uniqueness follow the Table Schema field by field."""
    ts = standard.schema(name)
    ps = dataframe_schema(name)
    assert list(ps.columns) == [f["name"] for f in ts["fields"]]
    for fd in ts["fields"]:
        col = ps.columns[fd["name"]]
        c = fd.get("constraints", {})
        assert str(col.dtype) == str(pa.Column(DTYPES[fd["type"]]).dtype), fd["name"]
        assert col.nullable is (not c.get("required", False)), fd["name"]
        assert col.unique is (bool(c.get("unique", False)) or [fd["name"]] in (ts.get("primaryKey"), [ts.get("primaryKey")])), fd["name"]


# -- every constraint, derived from the Table Schemas' constraint lists ------------------------

def _table_schema_constraints(kind: str) -> set[str]:
    """The constraints Table Schema defines for a field type, as frictionless (the reference
    implementation) lists them, and ``unique`` (a constraint of every type)."""
    import frictionless.fields as F

    cls = {"string": F.StringField, "integer": F.IntegerField, "number": F.NumberField,
           "boolean": F.BooleanField, "date": F.DateField}[kind]
    return set(cls.supported_constraints) | {"unique"}


def _value(fd: dict, raw):
    """A value of the field's type, as typed tables hold it."""
    kind = fd["type"]
    if kind == "integer":
        return int(float(raw))
    if kind == "number":
        return float(raw)
    if kind == "boolean":
        return raw if isinstance(raw, bool) else str(raw).lower() == "true"
    return str(raw)


def _frame(fd: dict, values: list) -> pd.DataFrame:
    dtype = DTYPES[fd["type"]]
    return pd.DataFrame({fd["name"]: pd.Series(values, dtype=object if dtype == "str" else dtype)})


def _good_and_bad(fd: dict, key: str, limit) -> tuple[list, list | None]:
    """Values one constraint accepts and values it refuses, derived from the constraint's value
    (None: the constraint refuses nothing, e.g. ``required: false``)."""
    example = _value(fd, fd["example"])
    step = 1 if fd["type"] == "integer" else 0.5
    if key == "required":
        return ([example], [example, None]) if limit else ([example, None], None)
    if key == "unique":
        other = example + "x" if isinstance(example, str) else example + step
        return ([example, other], [example, example]) if limit else ([example, example], None)
    if key == "enum":
        outside = "|".join(map(str, limit)) + "?" if fd["type"] == "string" else max(limit) + step
        return [limit[0]], [outside]
    if key == "minimum":
        return [limit], [limit - step]
    if key == "maximum":
        return [limit], [limit + step]
    if key == "minLength":
        return ["a" * limit], (["a" * (limit - 1)] if limit > 0 else None)
    if key == "maxLength":
        return ["a" * limit], ["a" * (limit + 1)]
    if key == "pattern":
        assert re.fullmatch(limit, example), (fd["name"], "its example does not match its pattern")
        candidates = ["", " ", "!", "a b", "x" * 1000, "0", "A", "\n", example + " "]
        bad = next(v for v in candidates if not re.fullmatch(limit, v))
        return [example], [bad]
    raise AssertionError(f"{fd['name']}: no test values for the constraint {key!r}: add them here")


FIELD_CONSTRAINTS = [(name, fd["name"], key) for name in NAMES for fd in standard.schema(name)["fields"]
                     for key in fd.get("constraints", {})]


@pytest.mark.parametrize("name,field,key", FIELD_CONSTRAINTS, ids=["-".join(t) for t in FIELD_CONSTRAINTS])
def test_every_constraint_is_enforced(name, field, key):
    """For every constraint of every field (the Table Schema's list, not a restated mapping): the
    derived column accepts values meeting it and refuses values breaking it, alone and in the
    resource's pandera schema."""
    fd = standard.field(name, field)
    assert key in _table_schema_constraints(fd["type"]), f"{key} is not a Table Schema constraint of {fd['type']}"
    limit = fd["constraints"][key]
    good, bad = _good_and_bad(fd, key, limit)
    alone = pa.DataFrameSchema({field: column({**fd, "constraints": {key: limit}})})
    alone.validate(_frame(fd, good))
    if bad is not None:
        with pytest.raises(pa.errors.SchemaError):
            alone.validate(_frame(fd, bad))
        with pytest.raises(pa.errors.SchemaError):
            pa.DataFrameSchema({field: dataframe_schema(name).columns[field]}).validate(_frame(fd, bad))


@pytest.mark.parametrize("name", NAMES)
def test_primary_keys(name):
    pk = standard.schema(name).get("primaryKey")
    ps = dataframe_schema(name)
    if len(pk) > 1:
        assert list(ps.unique) == pk
    else:  # a single-field key is a unique, required column
        assert ps.unique is None
        assert ps.columns[pk[0]].nullable is False and ps.columns[pk[0]].unique is True


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
