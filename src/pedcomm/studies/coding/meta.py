"""The coding study's pooled parts for `pedcomm meta`: proportions and intercoder agreement across sites.

Pooled frequencies. For each theme and code, the sites' counts are summed (pedcomm.sites.meta does it
for every table); here they become proportions of the summed denominators (the coded discussions,
the patients with a coded discussion). A proportion is given only when no site suppressed the count
or its denominator: a suppressed number is unknown, so the pooled count is only a lower bound and
no proportion can be stated honestly.

Pooled agreement, two ways, because sites may code differently:

- *all discussions together*: the sites' 2x2 agreement tables of a theme summed into one, and
  Cohen's kappa of that table (Fleiss-Cohen-Everitt standard error, Wald 95% CI). Meaningful when
  the sites coded with the same codebook and the same training, so their decisions are one
  population; given only when every site published the theme's table in full.
- *random effects across sites*: the sites' own kappas of the theme (with their standard errors)
  combined by statsmodels' ``combine_effects`` (iterated between-site variance, as for the survey
  study's odds ratios), with I². Meaningful when sites' coder pairs differ: it estimates the mean
  agreement of a site's coders and says how much it varies. Needs two sites that shared the kappa.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...analysis.agreement import cohen_kappa_2x2
from ...analysis.rounding import fmt
from ...analysis.table import Table

Z95 = 1.959963984540054
#: The frequency tables and the row of their denominator in the coding_discussions / coding_patients tables.
DENOMINATORS = {"themes_by_discussion": ("coding_discussions", "coded"),
                "codes_by_discussion": ("coding_discussions", "coded"),
                "themes_by_patient": ("coding_patients", "with a coded discussion"),
                "codes_by_patient": ("coding_patients", "with a coded discussion")}


def _cell(summary: dict, table: str, row: str):
    """A table's first-column cell of a row: a number, None when suppressed, KeyError when absent."""
    t = next(t for t in summary["tables"] if t["name"] == table)
    return t["cells"][t["rows"].index(row)][0]


def proportions(summaries: list[dict]) -> Table:
    rows = []
    for name, (dtable, drow) in DENOMINATORS.items():
        denominators = [_cell(s, dtable, drow) for s in summaries]
        denominator = None if any(d is None for d in denominators) else sum(denominators)
        first = next(t for t in summaries[0]["tables"] if t["name"] == name)
        for i, row in enumerate(first["rows"]):
            values = [next(t for t in s["tables"] if t["name"] == name)["cells"][i][0] for s in summaries]
            known = sum(v for v in values if v is not None)
            complete = all(v is not None for v in values)
            share = known / denominator if complete and denominator else None
            rows.append({"table": name, "row": row, "count": known if complete else None, "at_least": known,
                         "denominator": denominator, "proportion": None if share is None else round(share, 6),
                         "sites_suppressed": sum(v is None for v in values)})
    data = pd.DataFrame(rows).astype({"count": "Int64", "at_least": "Int64", "denominator": "Int64"})
    display = pd.DataFrame({
        "Table": data["table"], "Theme / code": data["row"],
        "Pooled n (%)": [f"{r['count']} ({fmt(100 * r['proportion'], 1)}%)" if r["proportion"] is not None
                         else (f"{r['count']}" if r["count"] is not None else f">= {r['at_least']}")
                         for r in rows],
        "Of": ["" if pd.isna(d) else str(int(d)) for d in data["denominator"]],
        "Sites suppressing": data["sites_suppressed"],
    })
    notes = ["Sums over the sites of the coded discussions (patients with a coded discussion) in which the primary "
             "coder applied each theme or code, as a proportion of the summed denominators.",
             "A count suppressed at a site is unknown: the pooled count is then a lower bound ('>= n') and no proportion "
             "is given; neither is one when a site suppressed the denominator."]
    return Table("coding_pooled_frequencies", "Pooled code and theme frequencies", data, display, notes)


def _pooled_tables(summaries: list[dict]) -> dict[str, list[int] | None]:
    """Theme (and all themes) -> the summed 2x2 cells, None when a site suppressed any of them."""
    out: dict[str, list[int] | None] = {}
    tables = [next(t for t in s["tables"] if t["name"] == "theme_agreement") for s in summaries]
    for i, theme in enumerate(tables[0]["rows"]):
        rows = [t["cells"][i] for t in tables]
        out[theme] = None if any(v is None for r in rows for v in r) else [int(sum(col)) for col in zip(*rows)]
    totals = [t.get("column_totals") for t in tables]
    out["all_themes"] = (None if any(tt is None or any(v is None for v in tt) for tt in totals)
                         else [int(sum(col)) for col in zip(*totals)])
    return out


def agreement(summaries: list[dict]) -> Table:
    from statsmodels.stats.meta_analysis import combine_effects

    pooled = _pooled_tables(summaries)
    rows = []
    for theme, cells in pooled.items():
        row: dict[str, Any] = {
               "theme": theme, "n_discussions": None, "percent_agreement": None, "kappa": None, "kappa_lower": None,
               "kappa_upper": None, "k_sites": 0, "re_kappa": None, "re_lower": None, "re_upper": None,
               "tau2": None, "i2": None}
        if cells is not None:
            both, first, second, neither = ([v] for v in cells)
            k = cohen_kappa_2x2(both, first, second, neither).iloc[0]
            row.update({"n_discussions": int(sum(cells)), "percent_agreement": round(float(k["observed"]), 6)})
            if np.isfinite(k["kappa"]):
                row.update({"kappa": round(float(k["kappa"]), 6), "kappa_lower": round(float(max(k["lower"], -1)), 6),
                            "kappa_upper": round(float(min(k["upper"], 1)), 6)})
        shared = [(s["site"], a) for s in summaries for a in s.get("agreement", [])
                  if a["name"] == theme and a["status"] == "shared" and "se" in a and a["se"] > 0]
        row["k_sites"] = len(shared)
        if len(shared) >= 2:
            res = combine_effects(np.array([a["kappa"] for _, a in shared]), np.array([a["se"] ** 2 for _, a in shared]),
                                  method_re="iterated", row_names=[site for site, _ in shared])
            re = res.summary_frame().loc["random effect"]
            row.update({"re_kappa": round(float(re["eff"]), 6), "re_lower": round(float(max(re["ci_low"], -1)), 6),
                        "re_upper": round(float(min(re["ci_upp"], 1)), 6), "tau2": round(float(max(res.tau2, 0.0)), 6),
                        "i2": round(float(max(res.i2, 0.0)), 6)})
        rows.append(row)
    data = pd.DataFrame(rows).astype({"n_discussions": "Int64", "k_sites": "Int64"})

    def ci(v, lo, hi):
        return "" if v is None or v != v else f"{fmt(v, 2)} ({fmt(lo, 2)} to {fmt(hi, 2)})"

    display = pd.DataFrame({
        "Theme": data["theme"],
        "Double-coded discussions": ["" if pd.isna(v) else str(int(v)) for v in data["n_discussions"]],
        "Percent agreement": ["" if v is None or v != v else f"{fmt(100 * v, 1)}%" for v in data["percent_agreement"]],
        "Kappa, all discussions (95% CI)": [ci(r["kappa"], r["kappa_lower"], r["kappa_upper"]) for r in rows],
        "Sites": data["k_sites"],
        "Kappa, random effects (95% CI)": [ci(r["re_kappa"], r["re_lower"], r["re_upper"]) for r in rows],
        "I²": ["" if r["i2"] is None else f"{fmt(100 * r['i2'], 0)}%" for r in rows],
    })
    notes = ["All discussions: Cohen's kappa of the sites' 2x2 presence tables of the theme summed into one (Wald 95% CI, "
             "Fleiss-Cohen-Everitt standard error); given only when every site published the theme's table in full. "
             "It treats the sites' double-coded discussions as one population (same codebook, same training).",
             "Random effects: the sites' kappas combined with their standard errors (statsmodels combine_effects, iterated "
             "between-site variance; I² truncated at 0), from the sites that shared the theme's kappa (two or more). It "
             "estimates a site's mean agreement when sites' coder pairs differ.",
             "all_themes: every theme's decisions pooled; its kappa is not combined across sites (its decisions are "
             "clustered by discussion, so no site shares an independent-decisions standard error for it)."]
    return Table("coding_pooled_agreement", "Pooled intercoder agreement (presence of each theme)", data, display, notes)


def pooled_tables(summaries: list[dict]) -> list[Table]:
    return [proportions(summaries), agreement(summaries)]
