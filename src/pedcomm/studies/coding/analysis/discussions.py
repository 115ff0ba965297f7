"""Coding study: the recorded discussions (count, minutes, per patient, by setting and disease status).

Every discussion of the analytic sample counts, coded or not. Quartiles as coding.yaml ``quartiles``.
"""

from __future__ import annotations

import pandas as pd

from ....analysis.compare import Reproduced
from ....analysis.rounding import fmt, percent_value
from ....analysis.table import Table, n_pct
from .design import Coding, config, labels

COLUMNS = ["key", "characteristic", "level", "n", "denominator", "percent", "minutes", "median", "q1", "q3",
           "minimum", "maximum"]


def number(x) -> str:
    """A count, sum or median as printed: whole numbers without decimals, others to 1 decimal."""
    if x is None or pd.isna(x):
        return ""
    return str(int(x)) if float(x).is_integer() else fmt(float(x), 1)


def summary(x: pd.Series) -> tuple:
    """(median, q1, q3, minimum, maximum) of a numeric series; blanks when empty."""
    v = pd.to_numeric(x, errors="coerce").astype("float64").dropna()
    if v.empty:
        return (None,) * 5
    method = config()["quartiles"]["method"]
    q = v.quantile([0.25, 0.75], interpolation=method)
    return (float(v.median()), float(q.iloc[0]), float(q.iloc[1]), float(v.min()), float(v.max()))


def per_patient(c: Coding) -> pd.Series:
    """Discussions per patient of the analytic sample (0 for a patient without one), patient order."""
    counts = c.discussions.groupby(c.discussions["patient_id"].astype("object")).size()
    return counts.reindex(list(c.patients["patient_id"].astype("object")), fill_value=0).astype("int64")


def _row(key, characteristic, level, d: pd.DataFrame, total: int) -> tuple:
    minutes = pd.to_numeric(d["duration_minutes"], errors="coerce").astype("float64")
    pct = percent_value(len(d), total)
    return (key, characteristic, level, len(d), total, pct, float(minutes.sum()), *summary(minutes))


def discussions(c: Coding) -> tuple[Table, dict[str, Reproduced]]:
    """The discussions table and the reproduced values it holds."""
    d = c.discussions
    n = len(d)
    rows = [_row("discussions", "Recorded discussions", "All", d, n)]
    for column, label, key in (("setting", "Setting", "setting"), ("disease_status", "Disease status shown", "status")):
        s = d[column].astype("object")
        for code, shown in labels("coding_discussions", column).items():
            rows.append(_row(f"discussions.{key}.{code}", label, shown, d[s == code], n))
        if s.isna().any():
            rows.append(_row(f"discussions.{key}.missing", label, "Missing", d[s.isna()], n))
    per = per_patient(c)
    rows.append(("discussions.per_patient", "Discussions per patient", "Patients in the analytic sample", len(per),
                 None, None, None, *summary(per)))
    data = pd.DataFrame(rows, columns=COLUMNS).astype({"denominator": "Int64"})
    med, _, _, lo, hi = summary(per)
    values = {
        "discussions.n": Reproduced(n),
        "discussions.minutes": Reproduced(float(rows[0][6])),
        "discussions.per_patient.median": Reproduced(med),
        "discussions.per_patient.min": Reproduced(lo),
        "discussions.per_patient.max": Reproduced(hi),
    }
    display = pd.DataFrame({
        "Characteristic": data["characteristic"],
        "Level": data["level"],
        "n (%)": [number(r.n) if r.denominator is None or pd.isna(r.denominator) or r.key == "discussions"
                  else n_pct(r.n, int(r.denominator)) for r in data.itertuples(index=False)],
        "Minutes": [number(m) for m in data["minutes"]],
        "Median (IQR)": ["" if pd.isna(m) else f"{number(m)} ({number(a)}-{number(b)})"
                         for m, a, b in zip(data["median"], data["q1"], data["q3"])],
        "Range": ["" if pd.isna(a) else f"{number(a)}-{number(b)}" for a, b in zip(data["minimum"], data["maximum"])],
    })
    notes = [
        "Discussions of the patients in the analytic sample, coded or not. Minutes: total recorded dialogue.",
        "Median (IQR) and range: of the duration in minutes for discussions; of the number of discussions for "
        "'Discussions per patient' (n is then the number of patients, one without a recorded discussion counting 0).",
        f"Quartiles: {config()['quartiles']['assumption']}",
    ]
    return Table("coding_discussions", "Recorded discussions", data, display, notes), values
