"""Coding study: which themes occur together in the same discussion (table and heatmap).

For themes i and j: the coded discussions in which the primary coder applied at least one code of
each (i = j: discussions with the theme), as n, % of the coded discussions, and the Jaccard index
(discussions with both over discussions with either).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ....analysis.result import Figure
from ....analysis.rounding import percent_value
from ....analysis.table import Table, n_pct
from .design import Coding, config, presence, theme_order

HEATMAP = "coding_cooccurrence_heatmap"


def cooccurrence_counts(c: Coding) -> pd.DataFrame:
    """Square theme x theme frame: discussions with both themes (diagonal: with the theme)."""
    themes = theme_order(c)
    has = presence(c.segments, c.coded["discussion_id"].astype("object"), "theme_id", themes).to_numpy(dtype="int64")
    return pd.DataFrame(has.T @ has, index=themes, columns=themes)


def cooccurrence(c: Coding) -> tuple[Table, Figure]:
    both = cooccurrence_counts(c)
    n = len(c.coded)
    names = dict(zip(c.themes["theme_id"], c.themes["name"]))
    themes = list(both.index)
    rows = []
    for a in themes:
        for b in themes:
            k = int(both.at[a, b])
            either = int(both.at[a, a] + both.at[b, b] - k)
            rows.append((a, names[a], b, names[b], k, n, percent_value(k, n),
                         round(k / either, 6) if either else None))
    data = pd.DataFrame(rows, columns=["theme_a", "theme_a_name", "theme_b", "theme_b_name", "discussions",
                                       "denominator", "percent", "jaccard"])
    display = pd.DataFrame({"Theme": [names[t] for t in themes]}
                           | {names[b]: [n_pct(int(both.at[a, b]), n) for a in themes] for b in themes})
    notes = [
        f"Coded discussions of the analytic sample: {n}. Cells: discussions with both themes, n (% of {n}); "
        "the diagonal: discussions with the theme.",
        config()["cooccurrence"]["assumption"],
    ]
    table = Table("coding_cooccurrence", "Theme co-occurrence within discussions", data, display, notes)
    pct = 100 * both.to_numpy(dtype="float64") / n if n else np.zeros(both.shape)
    labels = [names[t] for t in themes]
    title = f"Theme co-occurrence in {n} coded discussions"

    def draw(folder: Path, synthetic: bool = False) -> list[str]:
        from .figures import heatmap

        return heatmap(pct, both.to_numpy(), labels, folder, HEATMAP, title, synthetic=synthetic)

    return table, Figure(HEATMAP, "Theme co-occurrence heatmap", draw)
