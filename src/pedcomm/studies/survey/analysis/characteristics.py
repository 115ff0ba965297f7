"""Survey study: participant characteristics (parents, children, clinicians) as n (%).

Percentages are of all participants of the group, missing included (as the article's race and
ethnicity figures are: 17 missing of 400 = 4.3%). Category labels come from the Table Schemas'
``enumLabels``; each row has a key (``parents.race.asian``) that names its targets in
validation/targets.csv (``.n`` for the count, ``.pct`` for the percentage).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .... import standard
from ....analysis.compare import Reproduced
from ....analysis.rounding import percent, percent_value
from ....analysis.table import Table, n_pct
from .design import apply_rule, config

#: Child age groups for display only (the article's groups are not published).
CHILD_AGE_GROUPS = (("0-4", 0, 4), ("5-9", 5, 9), ("10-14", 10, 14), ("15 or older", 15, 99))


@dataclass(frozen=True)
class Variable:
    """A categorical characteristic: its column, label and row keys (code -> key suffix)."""

    label: str
    column: str
    key: str  # key prefix within the group ("" for none)
    suffixes: dict[str, str] | None = None  # code -> key suffix (default: the code)


GROUPS = {
    "parents": ("Parents", "survey_parents", [
        Variable("Sex", "sex", "", {"female": "women", "male": "men"}),
        Variable("Race and ethnicity", "race_ethnicity", "race"),
        Variable("Highest education", "education", "education"),
    ]),
    "children": ("Children", "survey_children", [
        Variable("Sex", "sex", "sex"),
        Variable("Diagnosis group", "diagnosis_group", "diagnosis"),
    ]),
    "clinicians": ("Clinicians", "survey_clinicians", [
        Variable("Sex", "sex", "", {"female": "women", "male": "men"}),
        Variable("Role", "role", "role"),
    ]),
}


def _labels(resource: str, column: str) -> dict[str, str]:
    f = standard.field(resource, column)
    codes = f["constraints"]["enum"]
    labels = f.get("enumLabels", {})
    return {c: labels.get(c, c) for c in codes}


def _rows(group: str, variable: str, series: pd.Series, levels: dict[str, str], keys: dict[str | None, str], n: int):
    """(group, variable, level label, key, k, n) for every level and for missing values."""
    s = series.astype("object")
    out = []
    for code, label in levels.items():
        out.append((group, variable, label, keys[code], int((s == code).sum()), n))
    missing = int(s.isna().sum())
    if missing:
        out.append((group, variable, "Missing", keys.get(None, ""), missing, n))
    return out


def _key(group: str, prefix: str, suffix: str) -> str:
    return ".".join(p for p in (group, prefix, suffix) if p)


def _categorical(group: str, resource: str, frame: pd.DataFrame, v: Variable) -> list[tuple]:
    levels = _labels(resource, v.column)
    keys: dict[str | None, str] = {c: _key(group, v.key, (v.suffixes or {}).get(c, c)) for c in levels}
    keys[None] = _key(group, v.key or v.column, "missing")
    return _rows(GROUPS[group][0], v.label, frame[v.column], levels, keys, len(frame))


def _derived(t: dict[str, pd.DataFrame]) -> list[tuple]:
    """Rows defined in survey.yaml (anxiety, depression) and display groups (child age, clinician years)."""
    rows = []
    d = config()["definitions"]
    parents = t["survey_parents"]
    for name, label in (("anxiety", "Anxiety"), ("depression", "Depression")):
        col = d[name]["field"].split(".")[1]
        flag = apply_rule(parents[col], d[name]["rule"])
        level = {"yes": f"{standard.field('survey_parents', col)['title']} {d[name]['rule']}"}
        rows += _rows("Parents", label, flag.map({1.0: "yes", 0.0: "no"}), level,
                      {"yes": f"parents.{name}", None: f"parents.{name}.missing"}, len(parents))
    clin = t["survey_clinicians"]
    years = pd.to_numeric(clin["years_in_practice"], errors="coerce").astype("float64")
    bands = d["years_band"]["bands"]
    banded = pd.Series(pd.NA, index=clin.index, dtype="object")
    for band, (lo, hi) in bands.items():
        banded[(years >= lo) & (years <= hi)] = band
    rows += _rows("Clinicians", "Years in practice", banded, {b: b for b in bands},
                  {b: f"clinicians.years.{b}" for b in bands} | {None: "clinicians.years.missing"}, len(clin))
    if "survey_children" in t:
        kids = t["survey_children"]
        age = pd.to_numeric(kids["age_years"], errors="coerce").astype("float64")
        grouped = pd.Series(pd.NA, index=kids.index, dtype="object")
        for label, lo, hi in CHILD_AGE_GROUPS:
            grouped[(age >= lo) & (age <= hi)] = label
        rows += _rows("Children", "Age, years", grouped, {g[0]: g[0] for g in CHILD_AGE_GROUPS},
                      {g[0]: f"children.age.{g[0]}" for g in CHILD_AGE_GROUPS} | {None: "children.age.missing"},
                      len(kids))
    return rows


def characteristics(t: dict[str, pd.DataFrame]) -> tuple[Table, dict[str, Reproduced]]:
    """The participant-characteristics table and the reproduced values it holds."""
    rows = []
    for group, (label, resource, variables) in GROUPS.items():
        if resource not in t:
            continue
        frame = t[resource]
        rows.append((label, "Participants", "", f"{group}", len(frame), len(frame)))
        for v in variables:
            rows += _categorical(group, resource, frame, v)
    rows += _derived(t)
    order = {g[0]: i for i, g in enumerate(GROUPS.values())}
    rows.sort(key=lambda r: order[r[0]])  # stable: keeps the order within a group
    data = pd.DataFrame(rows, columns=["group", "characteristic", "level", "key", "n", "denominator"])
    data["percent"] = [percent_value(k, n) for k, n in zip(data["n"], data["denominator"])]
    values: dict[str, Reproduced] = {}
    for r in data.itertuples(index=False):
        if r.level == "":  # the group's total
            values[f"{r.key}.n"] = Reproduced(r.n)
            continue
        total = f"{r.key.split('.')[0]}.n"
        values[f"{r.key}.n"] = Reproduced(r.n)
        values[f"{r.key}.pct"] = Reproduced(percent(r.n, r.denominator), numerator=f"{r.key}.n", denominator=total)
    display = pd.DataFrame({
        "Group": data["group"],
        "Characteristic": data["characteristic"],
        "Level": data["level"],
        "n (%)": [str(n) if lvl == "" else n_pct(n, d) for n, d, lvl in zip(data["n"], data["denominator"], data["level"])],
    })
    d = config()["definitions"]
    notes = [
        "Percentages are of all participants of the group, missing values included; rounded half up.",
        f"Anxiety: {d['anxiety']['assumption']} Depression: {d['depression']['assumption']}",
        f"Years in practice: {d['years_band']['assumption']}",
        "Child age groups are for display only (the article's groups are not published).",
    ]
    return Table("survey_characteristics", "Participant characteristics", data, display, notes), values
