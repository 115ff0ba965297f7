"""pandera schemas derived from the Table Schemas, for use in anyone's pipeline.

Derived, never written by hand: pandera's own Frictionless import is lossy (dates become strings,
optional integers non-nullable, keys dropped; see ecosystem.md), so the conversion is ours and a
parity test checks every constraint made the trip.

The frames to validate are typed tables as ``pedcomm.load`` returns them: integer -> Int64,
number -> Float64, boolean -> boolean, date -> datetime64, string -> str (missing as NA).
Cross-table rules (foreign keys, challenge flags) are not expressible in pandera and stay in the
validator.
"""

from __future__ import annotations

from functools import cache

from .. import standard

DTYPES = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "date": "datetime64[ns]", "string": "str"}


def _checks(fd: dict):
    import pandera.pandas as pa

    c = fd.get("constraints", {})
    out = []
    if "enum" in c:
        out.append(pa.Check.isin(c["enum"]))
    if "minimum" in c:
        out.append(pa.Check.ge(c["minimum"]))
    if "maximum" in c:
        out.append(pa.Check.le(c["maximum"]))
    if "pattern" in c:
        # Table Schema patterns match the whole value (XML Schema regex semantics)
        out.append(pa.Check.str_matches(rf"^(?:{c['pattern']})$"))
    if "minLength" in c or "maxLength" in c:
        out.append(pa.Check.str_length(c.get("minLength"), c.get("maxLength")))
    return out


def column(fd: dict, key: bool = False):
    """The pandera Column of one Table Schema field (``key``: the table's one-field primary key)."""
    import pandera.pandas as pa

    c = fd.get("constraints", {})
    return pa.Column(
        DTYPES[fd.get("type", "string")],
        checks=_checks(fd),
        nullable=not c.get("required", False),
        unique=bool(c.get("unique", False)) or key,
        required=True,
        title=fd.get("title"),
        description=fd.get("description"),
        coerce=False,
    )


@cache
def _build(name: str):
    import pandera.pandas as pa

    s = standard.schema(name)
    pk = s.get("primaryKey")
    pk = [pk] if isinstance(pk, str) else pk
    return pa.DataFrameSchema(
        # a one-field primary key is a unique, required column
        {fd["name"]: column(fd, key=pk == [fd["name"]]) for fd in s["fields"]},
        name=name,
        unique=pk if pk and len(pk) > 1 else None,
        strict=False,
        ordered=False,
        description=standard.resource_entry(name).get("description"),
    )


def dataframe_schema(name: str):
    """The pandera DataFrameSchema of a standard resource (e.g. 'survey_parents')."""
    if name not in standard.resource_names():
        raise KeyError(f"{name!r} is not a standard resource; choose one of {standard.resource_names()}")
    return _build(name)


def all_schemas() -> dict:
    return {n: dataframe_schema(n) for n in standard.resource_names()}
