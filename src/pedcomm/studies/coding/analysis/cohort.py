"""Coding study: cohort characteristics (dyads, patients of the analytic sample, oncologists) as n (%).

Percentages are of the whole group, missing values included. Category labels come from the Table
Schemas' ``enumLabels``; each row has a key (``patients.race.white``) naming its targets in
validation/targets.csv (``.n`` for the count, ``.pct`` for the percentage).
"""

from __future__ import annotations

import pandas as pd

from ....analysis.compare import Reproduced
from ....analysis.rounding import percent, percent_value
from ....analysis.table import Table, n_pct
from .design import Coding, labels

#: (label, column, key prefix, code -> key suffix) of the analytic sample's categorical characteristics.
PATIENT_VARIABLES = [
    ("Sex", "sex", "", {"female": "female", "male": "male"}),
    ("Race", "race", "race", None),
    ("Ethnicity", "ethnicity", "ethnicity", None),
    ("Diagnosis group", "diagnosis_group", "diagnosis", None),
]


def _levels(group: str, label: str, values: pd.Series, levels: dict[str, str], keys: dict[str, str],
            missing_key: str) -> list[tuple]:
    s = values.astype("object")
    n = len(s)
    rows = [(group, label, shown, keys[code], int((s == code).sum()), n) for code, shown in levels.items()]
    if int(s.isna().sum()):
        rows.append((group, label, "Missing", missing_key, int(s.isna().sum()), n))
    return rows


def _categorical(group: str, prefix: str, resource: str, frame: pd.DataFrame, spec) -> list[tuple]:
    label, column, key, suffixes = spec
    levels = labels(resource, column)
    keys = {c: ".".join(p for p in (prefix, key, (suffixes or {}).get(c, c)) if p) for c in levels}
    return _levels(group, label, frame[column], levels, keys, ".".join(p for p in (prefix, key or column, "missing") if p))


def cohort(c: Coding) -> tuple[Table, dict[str, Reproduced]]:
    """The cohort-characteristics table and the reproduced values it holds."""
    enrolled, patients = len(c.enrolled), len(c.patients)
    rows = [("Dyads", "Enrolled patient-parent dyads", "", "dyads.enrolled", enrolled, enrolled),
            ("Dyads", "Analysed: disease progressed (analytic sample)", "", "patients.analytic", patients, enrolled)]
    group = "Patients (analytic sample)"
    for spec in PATIENT_VARIABLES:
        rows += _categorical(group, "patients", "coding_patients", c.patients, spec)
    died = c.patients["died"].astype("boolean").astype("object").map({True: "yes", False: "no"})
    rows += _levels(group, "Died during follow-up", died, {"yes": "Yes", "no": "No"},
                    {"yes": "patients.died", "no": "patients.alive"}, "patients.died.missing")
    onc_ids = pd.unique(c.discussions["primary_oncologist_id"].dropna().astype("object"))
    oncologists = c.clinicians[c.clinicians["clinician_id"].astype("object").isin(onc_ids)]
    rows.append(("Oncologists", "Primary oncologists of the analytic sample", "", "oncologists", len(onc_ids), len(onc_ids)))
    rows += _categorical("Oncologists", "oncologists", "coding_clinicians", oncologists,
                         ("Sex", "sex", "", {"female": "female", "male": "male"}))
    data = pd.DataFrame(rows, columns=["group", "characteristic", "level", "key", "n", "denominator"])
    data["percent"] = [percent_value(k, n) for k, n in zip(data["n"], data["denominator"])]
    totals = {"patients": "patients.analytic.n", "oncologists": "oncologists.n", "dyads": "dyads.enrolled.n"}
    values: dict[str, Reproduced] = {}
    for r in data.itertuples(index=False):
        values[f"{r.key}.n"] = Reproduced(r.n)
        if r.key in ("dyads.enrolled", "oncologists"):
            continue
        total = "dyads.enrolled.n" if r.key == "patients.analytic" else totals[r.key.split(".")[0]]
        values[f"{r.key}.pct"] = Reproduced(percent(r.n, r.denominator), numerator=f"{r.key}.n", denominator=total)
    totals_rows = {"dyads.enrolled", "oncologists"}
    display = pd.DataFrame({
        "Group": data["group"],
        "Characteristic": data["characteristic"],
        "Level": data["level"],
        "n (%)": [str(n) if key in totals_rows else n_pct(n, d)
                  for n, d, key in zip(data["n"], data["denominator"], data["key"])],
    })
    notes = [
        "Percentages are of the group's total (the analytic sample for patients; enrolled dyads for the "
        "analytic sample itself; the primary oncologists for oncologists), missing values included; rounded half up.",
        "Primary oncologists: the distinct primary_oncologist_id of the analytic sample's discussions.",
        "Small cells: a descriptive table of a small single-site cohort; suppress small counts before sharing it.",
    ]
    return Table("coding_cohort", "Cohort characteristics", data, display, notes), values
