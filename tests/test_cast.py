"""Reading cells as Table Schema types: integers a user can type, and ones int64 cannot hold.

Expected values are written out by hand from the Table Schema integer rule (an optional sign, then
digits) and the int64 range, not computed by the code under test.
"""

import pandas as pd

from pedcomm.validation.cast import cast


def test_signed_and_oversized_integers_are_read_or_reported_never_raised():
    raw = pd.Series(["+5", "-5", "12", "9223372036854775807", "9223372036854775808",
                     "-922337203685477580", "99999999999999999999", "1.0"])
    typed, bad = cast(raw, "integer")
    assert bad.tolist() == [False, False, False, False, True, False, True, True]
    assert typed[0] == 5 and typed[1] == -5 and typed[2] == 12
    # the largest int64 keeps every digit (through float64 it would become ...776000)
    assert typed[3] == 9223372036854775807
    assert typed[5] == -922337203685477580
    assert typed[[4, 6, 7]].isna().all()
    assert str(typed.dtype) == "Int64"


def test_numbers_keep_their_type():
    typed, bad = cast(pd.Series(["+1.5", "2", "1e400", "x"]), "number")
    assert bad.tolist() == [False, False, True, True]
    assert typed[0] == 1.5 and typed[1] == 2.0
    assert str(typed.dtype) == "Float64"
