"""Reading cells as Table Schema types in the check engine: integers a user can type, and ones int64
cannot hold; numbers; and the typed tables the analyses get back.

Expected values are written out by hand from the Table Schema integer rule (an optional sign, then
digits) and the int64 range, not computed by the code under test.
"""

import duckdb

from pedcomm.validation.engine import sql as q


def _typed(values, type_):
    con = duckdb.connect()
    for s in q.prelude():
        con.execute(s)
    expr_ok = q.type_ok("v", type_)
    expr = q.typed("v", type_, {"": "blank"})
    rows = con.execute(f"SELECT {expr_ok}, {expr} FROM unnest(?::VARCHAR[]) t(v) ", [values]).fetchall()
    return [not ok for ok, _ in rows], [v for _, v in rows]


def test_signed_and_oversized_integers_are_read_or_reported_never_raised():
    raw = ["+5", "-5", "12", "9223372036854775807", "9223372036854775808",
           "-922337203685477580", "99999999999999999999", "1.0"]
    bad, typed = _typed(raw, "integer")
    assert bad == [False, False, False, False, True, False, True, True]
    assert typed[0] == 5 and typed[1] == -5 and typed[2] == 12
    assert typed[3] == 9223372036854775807  # the largest int64 keeps every digit
    assert typed[5] == -922337203685477580
    assert typed[4] is None and typed[6] is None and typed[7] is None


def test_numbers_keep_their_type():
    bad, typed = _typed(["+1.5", "2", "1e400", "x", ".5", "1."], "number")
    assert bad == [False, False, True, True, False, False]
    assert typed[0] == 1.5 and typed[1] == 2.0 and typed[4] == 0.5 and typed[5] == 1.0


def test_missing_values_are_null_not_bad():
    con = duckdb.connect()
    for s in q.prelude():
        con.execute(s)
    codes = {"": "blank", "-7": "refused"}
    rows = con.execute(f"SELECT {q.missing('v', codes)}, {q.typed('v', 'integer', codes)} "
                       "FROM unnest(['', '-7', '3']::VARCHAR[]) t(v)").fetchall()
    assert rows == [(True, None), (True, None), (False, 3)]


def test_the_analyses_get_nullable_typed_frames(tmp_path):
    """Validated.tables: Int64, Float64, boolean and text columns, NA where missing, indexed by file row."""
    from pedcomm.validation import validate
    from pedcomm.validation.conformance import SUITE

    tables = validate(SUITE / "valid").tables
    rel = tables["survey_relationships"]
    assert str(rel["prior_visits"].dtype) == "Int64"
    assert str(rel["parent_report"].dtype) == "boolean"
    assert rel.index.name == "row" and rel.index[0] == 2
    parents = tables["survey_parents"]
    assert str(parents["pc_transitions"].dtype) == "Float64"
    assert parents["site_id"].tolist() == ["S1"] * len(parents)
