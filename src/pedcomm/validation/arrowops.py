"""Vectorized lookups on string columns through pyarrow compute.

pandas' isin/map on Arrow-backed strings builds Python lists (seconds per million rows); pyarrow's
hash kernels do the same work in milliseconds. Small helpers, used by every cross-table check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow(values) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, pd.Series):
        values = values.array
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                         for v in values], type=pa.string())


def _as_string(a):
    return a if pa.types.is_string(a.type) or pa.types.is_large_string(a.type) else pc.cast(a, pa.string())


def arrow_strings(values):
    """The values as an Arrow string array (zero-copy for Arrow-backed pandas strings)."""
    return _as_string(arrow(values))


def isin(values, allowed) -> np.ndarray:
    """Boolean array: value is one of ``allowed`` (nulls are False)."""
    a = _as_string(arrow(values))
    s = _as_string(arrow(allowed if not isinstance(allowed, (list, tuple, set)) else list(allowed)))
    return pc.fill_null(pc.is_in(a, value_set=pc.unique(s)), False).to_numpy(zero_copy_only=False)


def index_in(values, keys) -> np.ndarray:
    """Position of each value among ``keys`` (-1 when absent or null)."""
    a = _as_string(arrow(values))
    k = _as_string(arrow(keys))
    idx = pc.index_in(a, value_set=k)
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def equals(values, value: str) -> np.ndarray:
    a = _as_string(arrow(values))
    return pc.fill_null(pc.equal(a, value), False).to_numpy(zero_copy_only=False)


def _codes(values) -> tuple[np.ndarray, int]:
    """Integer code per value (-1 for null) and the number of distinct values."""
    a = arrow(values)
    if isinstance(a, pa.ChunkedArray):  # one dictionary: cheaper than unifying per-chunk ones
        a = a.combine_chunks()
    enc = pc.dictionary_encode(a)
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return idx, len(enc.dictionary)


def key_codes(frame: pd.DataFrame) -> np.ndarray:
    """One int64 per row identifying its combination of values (for duplicate detection)."""
    code = np.zeros(len(frame), dtype=np.int64)
    for col in frame.columns:
        c, n = _codes(frame[col])
        code = code * (n + 1) + (c + 1)
        if len(frame.columns) > 1:
            code = pd.factorize(code)[0].astype(np.int64)  # keep it compact: no overflow
    return code


def all_distinct(frame: pd.DataFrame) -> bool:
    """True when no two rows share the same combination of values (the common, fast case)."""
    if len(frame) < 2:
        return True
    if len(frame.columns) == 1:
        return pc.count_distinct(arrow(frame.iloc[:, 0])).as_py() == len(frame)
    return not pd.Series(key_codes(frame)).duplicated().any()
