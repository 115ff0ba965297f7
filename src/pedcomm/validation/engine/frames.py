"""Typed tables for the analyses, read from the check engine after validation (not part of it).

``typed.<resource>`` of the engine (pedcomm.validation.engine.load) through Arrow into pandas, with
the nullable dtypes the analyses expect: integers Int64, numbers Float64, booleans boolean, dates
datetime64, text as Arrow-backed strings; missing and unreadable cells are NA; the index is the row
of the file (header = 1), named "row".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .sql import ident

if TYPE_CHECKING:
    import pandas as pd


def typed_frame(engine: Any, resource: str) -> pd.DataFrame:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    fields = engine.plan.resources[resource]["fields"]
    cols = ", ".join(ident(f["name"]) for f in fields)
    table = engine.con.execute(f"SELECT __row, {cols} FROM typed.{ident(resource)} ORDER BY __row").fetch_arrow_table()
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3 default "str" dtype
    dtypes = {"integer": pd.Int64Dtype(), "number": pd.Float64Dtype(), "boolean": pd.BooleanDtype()}
    out = {}
    for f in fields:
        a = table.column(f["name"])
        if f["type"] in dtypes:
            out[f["name"]] = pd.Series(a.to_pandas(types_mapper={a.type: dtypes[f["type"]]}.get).array)
        elif f["type"] == "date":
            out[f["name"]] = pd.Series(pd.to_datetime(a.to_pandas()))
        else:
            a = a.cast(pa.string()) if a.type != pa.string() else a
            out[f["name"]] = pd.Series(a.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get).array)
    index = pd.Index(table.column("__row").to_numpy(), name="row")
    frame = pd.DataFrame(out)
    frame.index = index
    return frame
