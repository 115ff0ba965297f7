"""Coding study: how often each code and theme was applied (primary coder, coded discussions).

Per code and per theme: segments coded; discussions with at least one; patients with at least one,
as n (%) of the coded discussions and of the patients with a coded discussion (coding.yaml).
"""

from __future__ import annotations

import pandas as pd

from ....analysis.rounding import percent_value
from ....analysis.table import Table, n_pct
from .design import Coding, code_order, config, presence, theme_order

COLUMNS = ["level", "theme_id", "code_id", "name", "segments", "discussions", "discussions_denominator",
           "discussions_percent", "patients", "patients_denominator", "patients_percent"]


def _pct(k: int, n: int) -> float | None:
    return percent_value(k, n)


def counts(c: Coding, by: str, ids: list[str]) -> pd.DataFrame:
    """Segments, discussions and patients with ``by`` (code_id or theme_id) for each of ``ids``."""
    disc = c.coded["discussion_id"].astype("object")
    has = presence(c.segments, disc, by, ids)
    patient = c.coded["patient_id"].astype("object").to_numpy()
    per_patient = has.groupby(patient, sort=True).any()
    segments = c.segments[by].astype("object").value_counts().reindex(ids, fill_value=0)
    return pd.DataFrame({"segments": segments.to_numpy(), "discussions": has.sum().to_numpy(),
                         "patients": per_patient.sum().reindex(ids, fill_value=0).to_numpy()}, index=ids)


def frequencies(c: Coding) -> Table:
    n_disc = len(c.coded)
    n_pat = int(c.coded["patient_id"].nunique())
    themes, codes = theme_order(c), code_order(c)
    by_theme, by_code = counts(c, "theme_id", themes), counts(c, "code_id", codes)
    theme_names = dict(zip(c.themes["theme_id"], c.themes["name"]))
    code_info = c.codes.set_index("code_id")
    rows = []
    for th in themes:
        r = by_theme.loc[th]
        rows.append(("theme", th, "", theme_names[th], int(r.segments), int(r.discussions), n_disc,
                     _pct(r.discussions, n_disc), int(r.patients), n_pat, _pct(r.patients, n_pat)))
        for code in [x for x in codes if code_info.at[x, "theme_id"] == th]:
            r = by_code.loc[code]
            rows.append(("code", th, code, code_info.at[code, "name"], int(r.segments), int(r.discussions), n_disc,
                         _pct(r.discussions, n_disc), int(r.patients), n_pat, _pct(r.patients, n_pat)))
    data = pd.DataFrame(rows, columns=COLUMNS)
    is_theme = data["level"] == "theme"
    display = pd.DataFrame({
        "Theme / code": [n if t else f"{code}: {n}" for n, code, t in zip(data["name"], data["code_id"], is_theme)],
        "Segments": data["segments"].astype(str),
        f"Discussions (of {n_disc}), n (%)": [n_pct(k, n_disc) for k in data["discussions"]],
        f"Patients (of {n_pat}), n (%)": [n_pct(k, n_pat) for k in data["patients"]],
    })
    notes = [
        f"Codings of each discussion's primary coder in the {n_disc} coded discussions of the analytic sample "
        f"({n_pat} patients); {len(c.segments)} coded segments in all. Theme rows count any of the theme's codes.",
        config()["frequencies"]["assumption"],
    ]
    return Table("coding_frequencies", "Code and theme frequencies", data, display, notes)

