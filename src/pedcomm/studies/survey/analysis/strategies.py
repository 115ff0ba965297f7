"""Survey study: clinician strategies by challenge category (parent only, clinician only, both,
neither), among relationships with both reports."""

from __future__ import annotations

import pandas as pd

from .... import standard
from ....analysis.rounding import percent
from ....analysis.table import Table, n_pct

CATEGORIES = {"parent_only": "Parent only", "clinician_only": "Clinician only", "both": "Both", "neither": "Neither"}


def categories(frame: pd.DataFrame) -> pd.Series:
    """Challenge category per paired relationship with both flags known, indexed by relationship_id."""
    sub = frame[frame["paired"]].dropna(subset=["parent_challenging", "clinician_challenging"])
    p, c = sub["parent_challenging"] == 1, sub["clinician_challenging"] == 1
    cat = pd.Series("neither", index=sub["relationship_id"].to_numpy(), dtype="object")
    cat[(p & ~c).to_numpy()] = "parent_only"
    cat[(~p & c).to_numpy()] = "clinician_only"
    cat[(p & c).to_numpy()] = "both"
    return cat


def strategies(frame: pd.DataFrame, strategies: pd.DataFrame) -> Table:
    cat = categories(frame)
    s = strategies.assign(relationship_id=strategies["relationship_id"].astype(str),
                          strategy=strategies["strategy"].astype("object"),
                          used=strategies["used"].astype("float64"))
    s = s[s["relationship_id"].isin(cat.index)].dropna(subset=["used"])
    s["category"] = s["relationship_id"].map(cat)
    labels = standard.field("survey_strategies", "strategy").get("enumLabels", {})
    order = standard.enum("survey_strategies", "strategy")
    anyuse = s.groupby("relationship_id").agg(used=("used", "max"), category=("category", "first"))
    rows = []
    for code in [*order, "any"]:
        sub = anyuse if code == "any" else s[s["strategy"] == code]
        label = "Any of these strategies" if code == "any" else labels.get(code, code)
        for key in CATEGORIES:
            inc = sub[sub["category"] == key]
            k, n = int((inc["used"] == 1).sum()), len(inc)
            p = percent(k, n)
            rows.append((code, label, key, k, n, None if p is None else round(float(p), 6)))
    data = pd.DataFrame(rows, columns=["strategy", "label", "category", "n", "denominator", "percent"])
    shown = pd.DataFrame({"Strategy": data["label"].drop_duplicates().to_list()})
    for key, title in CATEGORIES.items():
        col = data[data["category"] == key]
        shown[f"{title} (N={int(cat.eq(key).sum())})"] = [
            n_pct(k, n) if n else "-" for k, n in zip(col["n"], col["denominator"])]
    notes = [
        "Challenge category of each relationship with both reports: challenging by the parent only, the "
        "clinician only, both, or neither.",
        "n (%): relationships in which the clinician used the strategy, of those in the category with an "
        "answer for it; 'Any': at least one strategy used.",
        "The article publishes no strategy percentages, so there are no targets for this table.",
    ]
    return Table("survey_strategies", "Clinician strategies by challenge category", data, shown, notes)
