"""One site's rows resubmitted under a second site id, with a few rows dropped or cells changed.

`pedcomm pool` refuses two site ids whose unit tables are identical (POOL_SITE_SAME_DATA). A copy
sent again with one participant left out or one cell corrected is just as much the same people
counted twice, so pool also compares the rows themselves (POOL_SITE_NEAR_DUPLICATE): for each
pair of sites and each unit table both hold, the share of the smaller table's rows that the other
holds too, after the two site ids (and identifiers prefixed with them) are set aside. The pair
is refused when that share reaches ``min_shared`` in every unit table both hold with at least
``min_rows`` rows each. Each site's rows are hashed once (every site id of the pool set aside, since
a copy may keep the first site's id in its cells); pairs then compare counts of hashes.

Why this does not refuse two real sites: a site package numbers its records locally (P0001,
R00001 at every site), so identifiers alone coincide all the time and are no evidence; but a row
is the identifier together with every other cell (sex, education, scores, visits, reports), and
rows whose cells beyond the keys are all blank are not counted. Two real sites share a handful
of such rows by chance (a fraction of a percent), never half of a table.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations

import pandas as pd

from .. import standard
from ..validation.registry import check, parameter
from ..validation.report import Report

_SITE = "\x00site"
_MISSING = "\x00missing"


def _keys(name: str) -> set[str]:
    schema = standard.schema(name)
    pk = schema.get("primaryKey") or []
    keys = {pk} if isinstance(pk, str) else set(pk)
    for fk in schema.get("foreignKeys", []):
        f = fk.get("fields")
        keys |= {f} if isinstance(f, str) else set(f or [])
    return keys


def rows(frame: pd.DataFrame, name: str, ids: tuple[str, ...]) -> Counter:
    """The rows of a table as hashes, each site id of ``ids`` (and the prefix ``ID-``) replaced by one
    placeholder; rows holding nothing beyond their keys are left out."""
    text = frame.astype("string").fillna(_MISSING)
    if ids:
        prefix = "^(?:" + "|".join(re.escape(sid) for sid in ids) + ")-"
        for c in text.columns:
            col = text[c]
            text[c] = col.mask(col.isin(ids), _SITE).str.replace(prefix, f"{_SITE}-", regex=True)
    rest = [c for c in text.columns if c not in _keys(name)]
    if rest:
        text = text[(~text[rest].isin([_MISSING, _SITE, ""])).any(axis=1)]
    return Counter(pd.util.hash_pandas_object(text, index=False).tolist())


@check("POOL_SITE_NEAR_DUPLICATE")
def check_near_duplicates(sites: list, tables: tuple[str, ...], report: Report, *, skip: set | None = None) -> None:
    """Refuse pairs of site ids whose unit ``tables`` mostly hold the same rows (``sites``: the pool's
    SiteInput list; ``skip``: pairs of indexes already refused as identical)."""
    min_shared = float(parameter("POOL_SITE_NEAR_DUPLICATE", "min_shared"))
    min_rows = int(parameter("POOL_SITE_NEAR_DUPLICATE", "min_rows"))
    report.ran("POOL_SITE_NEAR_DUPLICATE", None, None, len(sites))
    usable = [i for i, s in enumerate(sites) if s.site is not None and s.validated.report.status == "valid"]
    ids = tuple(sorted({str(sites[i].site) for i in usable}))
    # each site's rows once, every site id of the pool set aside (a copy may keep the first site's id in its cells)
    held = {i: {n: rows(f, n, ids) for n in tables if (f := sites[i].validated.tables.get(n)) is not None and len(f) >= min_rows}
            for i in usable}
    for i, j in combinations(usable, 2):
        a, b = sites[i], sites[j]
        if a.site == b.site or (skip and (i, j) in skip):
            continue
        both = [n for n in tables if n in held[i] and n in held[j]]
        parts: list[str] = []
        for name in both:
            ra, rb = held[i][name], held[j][name]
            smaller = min(sum(ra.values()), sum(rb.values()))
            if smaller < min_rows:
                continue
            shared = sum((ra & rb).values())
            if shared / smaller < min_shared:
                parts = []
                break
            parts.append(f"{shared} of {smaller} rows of {name}")
        if parts:
            report.add("POOL_SITE_NEAR_DUPLICATE", value=f"{a.site} and {b.site}", detail=", ".join(parts))
