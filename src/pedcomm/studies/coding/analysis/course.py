"""Coding study: themes across the illness course (table and plot).

Each coded discussion has one position relative to the patient's first discussion showing
progression and to death (coding.yaml ``course``); per position and theme: the discussions in which
the primary coder applied at least one code of the theme, n (% of the position's discussions).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from ....analysis import clustered
from ....analysis.result import Figure
from ....analysis.rounding import percent_value
from ....analysis.table import Table, n_pct
from .design import Coding, config, positions, presence, theme_order

PLOT = "coding_course_plot"
LEVEL = 0.95
#: How the plot's intervals are computed (the figure's note, index.md and the table's notes say it).
INTERVAL_NOTE = ("Bars: 95% CIs of each percentage, clustered by patient (discussions of the same patient are not "
                 "independent): Wilson score intervals at the effective sample size, with the design-based "
                 "(Taylor-linearization) variance summed within patients, G/(G-1), as for the other clustered "
                 "intervals of pedcomm; with few patients in a position they are rough, and with one patient "
                 "they are the plain Wilson interval.")
#: The position outside the ordered course (patients without a discussion showing progression): in
#: the table, not on the plot's course axis.
UNORDERED = "no_progression_recorded"


def course_counts(c: Coding) -> pd.DataFrame:
    """Long frame: position, theme_id, discussions with the theme, discussions, patients and the
    95% CI of the percentage clustered by patient (INTERVAL_NOTE), for every position of coding.yaml
    and every theme, in order."""
    themes = theme_order(c)
    has = presence(c.segments, c.coded["discussion_id"].astype("object"), "theme_id", themes)
    pos = c.coded["position"].to_numpy()
    patient = c.coded["patient_id"].astype("object").to_numpy()
    rows = []
    for p in positions():
        here = pos == p
        n = int(here.sum())
        patients = int(c.coded.loc[here, "patient_id"].nunique())
        for t in themes:
            hit = has.loc[here, t].to_numpy()
            ci: tuple[float | None, float | None] = (None, None)
            if n:
                e = clustered.proportion(hit, [patient[here]], LEVEL)
                ci = (round(100 * e.lower, 6), round(100 * e.upper, 6))
            rows.append((p, t, int(hit.sum()) if n else 0, n, patients, *ci))
    return pd.DataFrame(rows, columns=["position", "theme_id", "discussions_with_theme", "discussions", "patients",
                                       "ci_lower", "ci_upper"])


def course(c: Coding) -> tuple[Table, Figure]:
    counts = course_counts(c)
    shown = positions()
    names = dict(zip(c.themes["theme_id"], c.themes["name"]))
    data = counts.assign(
        position_label=counts["position"].map(shown),
        percent=[percent_value(k, n)
                 for k, n in zip(counts["discussions_with_theme"], counts["discussions"])])
    data = data[["position", "position_label", "theme_id", "discussions_with_theme", "discussions", "patients", "percent",
                 "ci_lower", "ci_upper"]]
    totals = data.drop_duplicates("position").set_index("position")
    themes = theme_order(c)
    cells = data.set_index(["position", "theme_id"])
    present = {p: label for p, label in shown.items() if totals.at[p, "discussions"] > 0}
    display = pd.DataFrame(
        {"Theme": ["Discussions (patients)"] + [names[t] for t in themes]}
        | {label: [f"{totals.at[p, 'discussions']} ({totals.at[p, 'patients']})"]
           + [n_pct(int(cells.at[(p, t), "discussions_with_theme"]), int(totals.at[p, "discussions"])) for t in themes]
           for p, label in present.items()})
    notes = [
        "Cells: coded discussions in the position with at least one code of the theme, n (% of the position's "
        "discussions); first row: the position's coded discussions (and patients). Positions without discussions "
        "are left out here (the CSV lists every position).",
        config()["course"]["assumption"],
        "The plot and the CSV give 95% CIs of the percentages. "
        + INTERVAL_NOTE.removeprefix("Bars: 95% CIs of each percentage, "),
    ]
    table = Table("coding_course", "Themes across the illness course", data, display, notes)
    ordered = [p for p in present if p != UNORDERED]
    series = {names[t]: [(float(cells.at[(p, t), "discussions_with_theme"]) * 100 / int(totals.at[p, "discussions"]),
                          float(cells.at[(p, t), "ci_lower"]), float(cells.at[(p, t), "ci_upper"]))
                         for p in ordered] for t in themes}
    xlabels = [f"{textwrap.fill(shown[p], 16)}\n(n = {totals.at[p, 'discussions']})" for p in ordered]

    def draw(folder: Path, synthetic: bool = False) -> list[str]:
        from .figures import course_plot

        return course_plot(series, xlabels, folder, PLOT,
                           "Themes across the illness course: % of coded discussions with the theme (95% CI)",
                           synthetic=synthetic, note=INTERVAL_NOTE)

    return table, Figure(PLOT, "Themes across the illness course (plot)", draw, note=INTERVAL_NOTE)
